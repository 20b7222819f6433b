//! Bounded cost: lines of every pathological shape, as long as bash takes one argument, judged
//! by the real `gate check`. Each must finish, and none may be allowed unseen. The time and the
//! peak memory of each run are printed (`--nocapture`), not asserted: they depend on the build
//! and the machine (the bound to meet is 1 s and 100 MB for a release build).

use super::support::TestEnv;
use std::process::Command;
use std::time::{Duration, Instant};

/// A little under the kernel's 128 KiB limit for one argument.
const LINE: usize = 120 * 1024;

/// `part` repeated until the line is `LINE` long, after `head`.
fn fill(head: &str, part: impl Fn(usize) -> String) -> String {
    let mut line = head.to_owned();
    let mut i = 0;
    while line.len() < LINE {
        line.push_str(&part(i));
        i += 1;
    }
    line
}

fn shapes() -> Vec<(&'static str, String)> {
    let half = |part: &dyn Fn(usize) -> String| {
        let mut line = String::new();
        let mut i = 0;
        while line.len() < LINE / 2 {
            line.push_str(&part(i));
            i += 1;
        }
        line
    };
    let mut arith = String::from("a0=1; ");
    for i in 1..8 {
        arith.push_str(&format!("a{i}={}; ", vec![format!("a{}", i - 1); 50].join("+")));
    }
    arith.push_str("echo $((a7))");
    vec![
        ("assignments, then commands", fill(&half(&|i| format!("v{i}=x; ")), |_| "ls; ".into())),
        ("a 64 KiB value, then commands", fill(&format!("x={}; ", "A".repeat(64 * 1024)), |_| "ls;".into())),
        ("assignments and commands in turn", fill("", |i| format!("v{i}=x; ls; "))),
        (
            "exported values, then new shells",
            fill(&half(&|i| format!("export v{i}=xxxxxxxx; ")), |_| "sh -c ls; ".into()),
        ),
        ("function calls", fill("f(){ x=$((x+1)); ls; }; ", |_| "f; ".into())),
        ("functions redefined and called", fill("", |i| format!("f(){{ v{i}=1; ls; }}; f; "))),
        ("traps", fill("trap 'ls' EXIT; ", |i| format!("x={i}; trap 'ls $x' INT; "))),
        ("command substitutions", fill("echo ", |_| "$(ls) ".into())),
        ("expansions", fill("echo ", |_| "$x".into())),
        ("evals", fill("", |_| "eval 'ls; ls'; ".into())),
        ("a pipeline", fill("ls", |_| " | cat".into())),
        ("a here-document", fill("cat <<EOF\n", |_| "$x\n".into()) + "EOF\n"),
        ("branches that move", fill("", |_| "if a; then cd x; else cd y; fi; ".into())),
        ("nested loops", "for i in a; do x=$i; ".repeat(300) + "ls; " + &"done; ".repeat(300)),
        ("values that name each other", arith),
        ("nested substitutions", "echo $(".repeat(90) + "ls" + &")".repeat(90)),
        ("array subscripts", fill("", |i| format!("a[{i}]=$((a[{i}]+1)); "))),
    ]
}

/// Runs `gate check --json -c LINE`; its decision, wall time and peak memory (KiB) when
/// `/usr/bin/time` can measure it.
fn judge(env: &TestEnv, line: &str) -> (String, Duration, Option<u64>) {
    let gate = super::support::gate_binary();
    let measured = std::path::Path::new("/usr/bin/time").exists();
    let report = env.root().join("time.txt");
    let mut command = if measured {
        let mut command = Command::new("/usr/bin/time");
        command.args(["-f", "%M", "-o"]).arg(&report).arg(&gate);
        command
    } else {
        Command::new(&gate)
    };
    command
        .args(["check", "--json", "-c", line])
        .env_clear()
        .env("HOME", env.home())
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("GATE_DB", env.db())
        .current_dir(env.work());
    let start = Instant::now();
    let output = command.output().unwrap();
    let elapsed = start.elapsed();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    let rss = measured
        .then(|| std::fs::read_to_string(&report).ok())
        .flatten()
        .and_then(|text| text.trim().lines().last()?.trim().parse().ok());
    (json["decision"].as_str().unwrap().to_owned(), elapsed, rss)
}

#[test]
fn every_shape_of_long_line_finishes_and_is_not_allowed() {
    let env = TestEnv::new();
    let mut failures = Vec::new();
    for (name, line) in shapes() {
        let (decision, elapsed, rss) = judge(&env, &line);
        let rss_text = rss.map_or("n/a".to_owned(), |kib| format!("{} MiB", kib / 1024));
        println!(
            "{name:<36} {:>7} bytes  {:>8.3} s  {rss_text:>8}  {decision}",
            line.len(),
            elapsed.as_secs_f64()
        );
        if decision == "allow" && !allowed_is_fine(name) {
            failures.push(format!("{name}: allowed"));
        }
        // Far above any bound the walk keeps (it used 2.7 GB on one of these): a regression.
        if rss.is_some_and(|kib| kib > 512 * 1024) {
            failures.push(format!("{name}: {rss_text}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Shapes that stay within the bounds and hold nothing gate cannot see: judged as usual.
fn allowed_is_fine(name: &str) -> bool {
    matches!(name, "expansions" | "nested loops")
}
