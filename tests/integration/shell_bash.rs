//! Claims the shell walk makes about bash, checked in real bash with harmless payloads (a
//! listener on 127.0.0.1, a file touched in a temp dir), and the same lines judged by the real
//! `gate check` under a policy that allows every command: what bash does at run time must not be
//! allowed unseen.

use super::support::{TestEnv, policy};
use std::net::{TcpListener, UdpSocket};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn decision(env: &TestEnv, line: &str) -> String {
    let output = env.gate(&["check", "--json", "-c", line]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    json["decision"].as_str().unwrap().to_owned()
}

fn bash(env: &TestEnv, line: &str) {
    Command::new("timeout")
        .args(["3", "bash", "-c", line])
        .current_dir(env.work())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", env.home())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
}

/// Waits (up to a second) until `count` passes `before`.
fn reached(count: &AtomicUsize, before: usize) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(1) {
        if count.load(Ordering::SeqCst) > before {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn network_redirections_connect_and_are_never_allowed() {
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp_port = tcp.local_addr().unwrap().port();
    let tcp_hits = Arc::new(AtomicUsize::new(0));
    let hits = tcp_hits.clone();
    std::thread::spawn(move || {
        for stream in tcp.incoming() {
            hits.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let udp_port = udp.local_addr().unwrap().port();
    let udp_hits = Arc::new(AtomicUsize::new(0));
    let hits = udp_hits.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while udp.recv(&mut buf).is_ok() {
            hits.fetch_add(1, Ordering::SeqCst);
        }
    });
    let connect = [
        "cat </dev/tcp/127.0.0.1/PORT",
        "echo x >/dev/tcp/127.0.0.1/PORT",
        "echo x >>/dev/tcp/127.0.0.1/PORT",
        "echo x >|/dev/tcp/127.0.0.1/PORT",
        "cat <>/dev/tcp/127.0.0.1/PORT",
        "echo x &>/dev/tcp/127.0.0.1/PORT",
        "echo x &>>/dev/tcp/127.0.0.1/PORT",
        "echo x >&/dev/tcp/127.0.0.1/PORT",
        "cat 3</dev/tcp/127.0.0.1/PORT",
        "exec 3<>/dev/tcp/127.0.0.1/PORT",
        "echo x > /dev/tcp/localhost/PORT",
        "{ echo x; } >/dev/tcp/127.0.0.1/PORT",
        "f() { echo x; } >/dev/tcp/127.0.0.1/PORT; f",
        "X=/dev/tcp/127.0.0.1/PORT; echo x > $X",
        "h=127.0.0.1; echo x > /dev/tcp/$h/PORT",
        "HOME=/dev/tcp/127.0.0.1; echo x > ~/PORT",
        "cat <<< x > /dev/tcp/127.0.0.1/PORT",
        "bash -c 'echo x > /dev/tcp/127.0.0.1/PORT'",
    ];
    let mut failures = Vec::new();
    for template in connect {
        let line = template.replace("PORT", &tcp_port.to_string());
        let before = tcp_hits.load(Ordering::SeqCst);
        bash(&env, &line);
        if !reached(&tcp_hits, before) {
            failures.push(format!("bash did not connect: {line}"));
        }
        let got = decision(&env, &line);
        if got == "allow" {
            failures.push(format!("allowed: {line}"));
        }
    }
    let line = format!("echo x > /dev/udp/127.0.0.1/{udp_port}");
    let before = udp_hits.load(Ordering::SeqCst);
    bash(&env, &line);
    if !reached(&udp_hits, before) {
        failures.push(format!("bash did not send: {line}"));
    }
    if decision(&env, &line) == "allow" {
        failures.push(format!("allowed: {line}"));
    }
    // Spellings bash does not treat specially: plain (missing) files, no connection.
    for template in ["echo x > /dev//tcp/127.0.0.1/PORT", "echo x > /dev/./tcp/127.0.0.1/PORT"] {
        let line = template.replace("PORT", &tcp_port.to_string());
        let before = tcp_hits.load(Ordering::SeqCst);
        bash(&env, &line);
        std::thread::sleep(Duration::from_millis(200));
        if tcp_hits.load(Ordering::SeqCst) != before {
            failures.push(format!("bash connected: {line}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn run_time_text_bash_evaluates_runs_code_and_is_never_allowed() {
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    // Each line reads its text from a file, so gate cannot know it before the line runs.
    let lines = [
        "x=$(cat f); echo $((x))",
        "x=$(cat f); echo $[x]",
        "x=$(cat f); ((x))",
        "x=$(cat f); let y=x+1",
        "x=$(cat f); [[ $x -eq 0 ]]",
        "x=$(cat f); [[ x -lt 1 ]]",
        "x=$(cat f); echo ${a[x]}",
        "x=$(cat f); echo ${a[$x]}",
        "x=$(cat f); a[x]=1",
        "x=$(cat f); a=(1); unset a[x]",
        "x=$(cat f); declare -i y=x",
        "declare -i y; read y < f",
        "x=$(cat f); s=hello; echo ${s:x}",
        "x=$(cat f); for ((i=x; i<1; i++)); do :; done",
        "x=$(cat f); echo ${!x}",
        "x=$(cat f); [[ -v $x ]]",
        "x=$(cat f); test -v \"$x\"",
        "x=$(cat f); y=x; echo $((y))",
        "echo $(( $(cat f) ))",
        "x=$(cat f); export x; bash -c 'echo $((x))'",
    ];
    let mut failures = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let probe = env.work().join(format!("probe-{n}"));
        std::fs::write(env.work().join("f"), format!("a[$(touch {})]", probe.display())).unwrap();
        bash(&env, line);
        if !probe.exists() {
            failures.push(format!("bash did not run the payload: {line}"));
        }
        if decision(&env, line) == "allow" {
            failures.push(format!("allowed: {line}"));
        }
    }
    // Known values and numbers by construction stay allowed.
    for line in [
        "x=3; echo $((x + 1))",
        "n=0; for f in *; do n=$((n + 1)); done; echo $n",
        "for i in 1 2 3; do echo $((i * 2)); done",
        "x=$(cat f); echo ${#x} ${x:-1}",
    ] {
        let got = decision(&env, line);
        if got != "allow" {
            failures.push(format!("{got}: {line}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The directory the walk says the last command runs in, resolved against `start` (`None` when
/// it says unknown).
fn walked_dir(line: &str, start: &std::path::Path, home: &std::path::Path) -> Option<std::path::PathBuf> {
    use gate::shell::{Cwd, Piece, Unit};
    let analysis = gate::shell::analyze_line(line);
    let last = analysis.units.iter().rev().find_map(|unit| match unit {
        Unit::Command(cmd) if !cmd.words.is_empty() => Some(cmd.cwd.clone()),
        _ => None,
    })?;
    let word = match last {
        Cwd::Start => return Some(start.to_owned()),
        Cwd::Unknown => return None,
        Cwd::Known(word) => word,
    };
    let mut text = String::new();
    for piece in &word.pieces {
        match piece {
            Piece::Text(t) => text.push_str(t),
            Piece::Home => text.push_str(&home.display().to_string()),
            _ => return None,
        }
    }
    let mut path = start.to_owned();
    for part in text.split('/') {
        match part {
            "" if path == start && text.starts_with('/') => path = "/".into(),
            "" | "." => {}
            ".." => {
                path.pop();
            }
            part => path.push(part),
        }
    }
    Some(path)
}

#[test]
fn the_walk_knows_where_bash_runs_each_command() {
    let env = TestEnv::new();
    let start = env.work().canonicalize().unwrap();
    let home = env.home().canonicalize().unwrap();
    for dir in ["a/b", "lib", "x/y"] {
        std::fs::create_dir_all(start.join(dir)).unwrap();
    }
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    let lines = [
        "pwd",
        "cd a && pwd",
        "cd a/b && cd ../.. && cd lib && pwd",
        "cd missing 2>/dev/null; pwd",
        "cd a || exit; pwd",
        "cd ~/.ssh && pwd",
        "cd && pwd",
        "cd a && cd - >/dev/null && pwd",
        "(cd a); pwd",
        "echo $(cd a) >/dev/null; pwd",
        "cd a | cat; pwd",
        "pushd a >/dev/null && pushd ../lib >/dev/null && popd >/dev/null && pwd",
        "if cd missing 2>/dev/null; then :; else pwd; fi",
        "f() { cd x/y || exit; }; f; pwd",
        "env -C a pwd",
        "cd a && env --chdir=b pwd",
        "! cd missing 2>/dev/null && pwd",
        "bash -c 'cd a'; pwd",
        "eval 'cd a || exit'; pwd",
    ];
    let mut failures = Vec::new();
    for line in lines {
        let output = Command::new("bash")
            .args(["-c", line])
            .current_dir(&start)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &home)
            .output()
            .unwrap();
        let ran = std::path::PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        match walked_dir(line, &start, &home) {
            Some(walked) if walked != ran => failures.push(format!(
                "{line}: bash ran in {}, the walk says {}",
                ran.display(),
                walked.display()
            )),
            Some(_) => {}
            None => println!("{line}: the walk does not know (bash ran in {})", ran.display()),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
