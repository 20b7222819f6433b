//! What one command costs the disk, counted rather than timed: the fsyncs of an allowed
//! `gate exec`, seen through strace (where it is installed), so that no change adds one back
//! unnoticed. The timings themselves are a benchmark: benches/speed.sh.

use super::support::{TestEnv, policy};
use std::path::Path;
use std::process::Command;

/// The calls that force data to the disk.
const SYNCS: &str = "fsync,fdatasync,sync_file_range,syncfs,sync,msync";

/// One `gate exec -- true` under strace: the syncs before the command started and after it.
fn syncs_of_one_exec(env: &TestEnv) -> (usize, usize) {
    let trace = env.root().join("strace.txt");
    let output = Command::new("strace")
        .args(["-f", "-qq", "-o"])
        .arg(&trace)
        .arg(format!("--trace={SYNCS},execve"))
        .arg(super::support::gate_binary())
        .args(["exec", "--", "true"])
        .env_clear()
        .env("HOME", env.home())
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("GATE_DB", env.db())
        .env("GATE_POLICY", env.root().join("policy.toml"))
        .current_dir(env.work())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = std::fs::read_to_string(&trace).unwrap();
    // The first execve is gate's own; the second, the command's.
    let calls: Vec<&str> = text.lines().filter(|line| !line.contains("resumed>")).collect();
    let started = calls
        .iter()
        .enumerate()
        .filter(|(_, line)| line.contains("execve("))
        .nth(1)
        .map(|(at, _)| at)
        .expect("the command ran");
    let is_sync = |line: &&&str| {
        let call = line.split_whitespace().nth(1).unwrap_or("");
        SYNCS.split(',').any(|name| call.starts_with(&format!("{name}(")))
    };
    let before = calls[..started].iter().filter(is_sync).count();
    let after = calls[started..].iter().filter(is_sync).count();
    (before, after)
}

fn wal_len(db: &Path) -> u64 {
    std::fs::metadata(format!("{}-wal", db.display())).map_or(0, |meta| meta.len())
}

/// On a warm log an allowed exec makes one fsync: its decision's commit, before the command
/// starts. The WAL is kept between runs and folded in after the command once it is large: that
/// run makes two more, after its command; the run after it, one more (SQLite's fresh WAL
/// header). No run makes more than two before its command starts.
#[test]
fn an_allowed_exec_makes_one_fsync_on_a_warm_log() {
    if Command::new("strace").arg("-V").output().is_err() {
        eprintln!("note: strace is not installed; the fsyncs of gate exec are not counted");
        return;
    }
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    env.gate(&["exec", "--", "true"]).assert().success();
    assert_eq!(syncs_of_one_exec(&env), (1, 0), "the common path");
    let (mut folds, mut runs) = (0, Vec::new());
    // Enough runs to fold the WAL once or twice (it is folded past 256 KiB).
    for _ in 0..60 {
        let before = wal_len(&env.db());
        let syncs = syncs_of_one_exec(&env);
        if wal_len(&env.db()) < before {
            folds += 1;
            assert!(syncs.0 <= 2 && syncs.1 == 2, "a run that folds the WAL: {syncs:?}");
        } else {
            assert!(syncs.0 <= 2 && syncs.1 == 0, "{syncs:?}");
        }
        runs.push(syncs);
    }
    assert!(folds >= 1, "the WAL was never folded in: {runs:?}");
    let common = runs.iter().filter(|syncs| **syncs == (1, 0)).count();
    assert!(common >= runs.len() - 2 * folds, "{runs:?}");
    env.gate(&["audit", "verify"]).assert().success();
    assert_eq!(wal_len(&env.db()), 0, "verify folds the WAL in first");
}

/// A policy of many rules is compiled once and kept in gate's cache; later runs read it and
/// decide the same. A cache file that is damaged, or stands for another policy, is ignored,
/// and no judged command may write one.
#[test]
fn a_large_policy_is_compiled_once_and_a_bad_cache_is_ignored() {
    let mut rules = String::new();
    for i in 0..1_000 {
        let decision = ["allow", "ask", "deny"][i % 3];
        rules.push_str(&format!(
            "[[rules]]\nid = \"r{i}\"\ndecision = \"{decision}\"\nmatch = [\"tool{} sub{}\"]\n",
            i % 250,
            i % 7
        ));
    }
    let env = TestEnv::new().with_policy(&policy("ask", &rules));
    let cache = env.home().join(".cache/gate");
    let check = |line: &str| {
        let output = env.gate(&["check", "--json", "-c", line]).output().unwrap();
        assert!(output.status.success(), "{output:?}");
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        (json["decision"].clone(), json["rule"].clone())
    };
    let lines = ["tool1 sub1", "tool2 sub2 x", "tool4 sub4", "tool3 sub0", "other"];
    let first: Vec<_> = lines.iter().map(|line| check(line)).collect();
    let files: Vec<_> = std::fs::read_dir(&cache).unwrap().map(|entry| entry.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "one compiled policy: {files:?}");
    assert_eq!(lines.iter().map(|line| check(line)).collect::<Vec<_>>(), first, "read from the cache");
    // A cache of a looser policy moved in its place, a damaged one and half of one change nothing.
    let loose = TestEnv::new().with_policy(&policy("allow", ""));
    loose.gate(&["check", "--", "true"]).assert().success();
    let loose_cache = std::fs::read_dir(loose.home().join(".cache/gate")).unwrap();
    let loose_file = loose_cache.map(|entry| entry.unwrap().path()).next().unwrap();
    let good = std::fs::read(&files[0]).unwrap();
    let mut flipped = good.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x20;
    for bad in [std::fs::read(loose_file).unwrap(), flipped, good[..good.len() / 2].to_vec()] {
        std::fs::write(&files[0], bad).unwrap();
        assert_eq!(lines.iter().map(|line| check(line)).collect::<Vec<_>>(), first);
    }
    let write = format!("echo x > {}", files[0].display());
    let output = env.gate(&["check", "--json", "-c", &write]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["decision"], "deny", "{json}");
}
