//! Reading the log: filters, one entry, streaming export for a SIEM, non-UTF-8 arguments kept
//! byte for byte, and requests cut short by a crash reported as incomplete, not as damage.

use std::os::unix::ffi::OsStrExt;

use gate::audit::{AuditLog, Kind, Record};

use super::support::{TestEnv, policy, stderr, stdout};

const DENY_TOUCH: &str =
    "[[rules]]\nid = \"no-touch\"\ndecision = \"deny\"\nmatch = [\"touch\"]\nreason = \"test\"\n";

fn json_lines(output: &std::process::Output) -> Vec<serde_json::Value> {
    stdout(output).lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

#[test]
fn log_filters_show_and_export() {
    let env = TestEnv::new().with_policy(&policy("allow", DENY_TOUCH));
    env.gate(&["exec", "--", "true", "one"]).assert().success();
    env.gate(&["exec", "--", "touch", "x"]).assert().code(77);
    env.gate(&["exec", "--", "echo", "a,\"b\"\nc"]).assert().success();

    let denied = json_lines(&env.gate(&["audit", "log", "--json", "--decision", "deny"]).output().unwrap());
    assert_eq!(denied.len(), 1);
    assert_eq!((denied[0]["rule"].as_str(), denied[0]["seq"].as_i64()), (Some("no-touch"), Some(4)));
    let by_rule = json_lines(&env.gate(&["audit", "log", "--json", "--rule", "no-touch"]).output().unwrap());
    assert_eq!(by_rule, denied);
    let verdict =
        json_lines(&env.gate(&["audit", "log", "--json", "--decision", "denied"]).output().unwrap());
    assert_eq!(verdict, denied);
    let user = denied[0]["user"].as_str().unwrap().to_string();
    let by_user = json_lines(&env.gate(&["audit", "log", "--json", "--user", &user]).output().unwrap());
    assert_eq!(by_user.len(), 3);
    assert!(
        json_lines(&env.gate(&["audit", "log", "--json", "--user", "nobody"]).output().unwrap()).is_empty()
    );
    let all = json_lines(&env.gate(&["audit", "log", "--json", "--since", "1h"]).output().unwrap());
    assert_eq!(all.len(), 6);
    let last_two = json_lines(&env.gate(&["audit", "log", "--json", "-n", "2"]).output().unwrap());
    assert_eq!(last_two.iter().map(|e| e["seq"].as_i64().unwrap()).collect::<Vec<_>>(), [5, 6]);
    assert!(
        json_lines(&env.gate(&["audit", "log", "--json", "--until", "2000-01-01"]).output().unwrap())
            .is_empty()
    );
    env.gate(&["audit", "log", "--since", "yesterday-ish"]).assert().code(2);

    let table = stdout(&env.gate(&["audit", "log"]).output().unwrap());
    assert!(table.contains("denied [no-touch]") && table.contains("exited 0"), "{table}");

    let show = env.gate(&["audit", "show", "4", "--json"]).output().unwrap();
    let shown: serde_json::Value = serde_json::from_str(&stdout(&show)).unwrap();
    assert_eq!(shown, denied[0]);
    let text = stdout(&env.gate(&["audit", "show", "4"]).output().unwrap());
    assert!(text.contains("no-touch") && text.contains("hash"), "{text}");
    env.gate(&["audit", "show", "99"]).assert().code(1);

    let jsonl = json_lines(&env.gate(&["audit", "export", "--format", "jsonl"]).output().unwrap());
    assert_eq!(jsonl, all);
    let csv =
        stdout(&env.gate(&["audit", "export", "--format", "csv", "--decision", "allow"]).output().unwrap());
    let records: Vec<&str> = csv.split("\r\n").filter(|r| !r.is_empty()).collect();
    assert!(records[0].starts_with("approval,approver,argv,channel,"), "{csv}");
    assert_eq!(records.len(), 3, "{csv}");
    assert!(csv.contains(r#""[""echo"",""a,\""b\""\nc""]""#), "{csv}");
}

#[test]
fn non_utf8_arguments_round_trip_through_json() {
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    let raw = std::ffi::OsStr::from_bytes(b"caf\xe9\xff");
    env.gate(&["exec", "--", "true"]).arg(raw).assert().success();
    let entries = json_lines(&env.gate(&["audit", "export", "--format", "jsonl"]).output().unwrap());
    assert_eq!(entries[1]["argv"], serde_json::json!(["true", {"base64": "Y2Fm6f8="}]));
    let argv = gate::audit::decode_argv(&entries[1]["argv"].to_string()).unwrap();
    assert_eq!(argv[1].as_bytes(), b"caf\xe9\xff");
}

#[test]
fn a_decision_without_its_outcome_is_incomplete_not_damage() {
    let env = TestEnv::new();
    let mut log = AuditLog::open(&env.db()).unwrap();
    let request = |id: &str, verdict: &str| {
        let mut record = Record::new(Kind::Decision);
        record.request_id = Some(id.to_string());
        record.verdict = Some(verdict.to_string());
        record
    };
    let outcome = |id: &str| {
        let mut record = Record::new(Kind::Outcome);
        record.request_id = Some(id.to_string());
        record
    };
    let a = "a".repeat(32);
    let b = "b".repeat(32);
    let c = "c".repeat(32);
    // a: crashed while running (seq 2); b: ran and ended; c: denied, never runs.
    log.append_all(&[request(&a, "allowed"), request(&b, "approved"), outcome(&b), request(&c, "denied")])
        .unwrap();
    drop(log);
    let output = env.gate(&["audit", "verify"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).starts_with("intact: 5 entries in "), "{}", stdout(&output));
    assert!(stdout(&output).contains("(1 incomplete request: seq 2;"), "{}", stdout(&output));
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&env.gate(&["audit", "verify", "--json"]).output().unwrap())).unwrap();
    assert_eq!(json["incomplete"], serde_json::json!([2]));
}

#[test]
fn gate_killed_while_its_command_runs_leaves_an_incomplete_request() {
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    env.gate(&["exec", "--", "true"]).assert().success();
    let mut gate = env.gate_process(&["exec", "--", "sleep", "30"]).spawn().unwrap();
    // Wait for the command to start: gate has a child once the decision is on disk.
    let children = format!("/proc/{0}/task/{0}/children", gate.id());
    let started = std::time::Instant::now();
    let child = loop {
        let text = std::fs::read_to_string(&children).unwrap_or_default();
        if let Some(pid) = text.split_whitespace().next() {
            break pid.parse::<i32>().unwrap();
        }
        assert!(started.elapsed().as_secs() < 10, "the command never started");
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    gate.kill().unwrap();
    gate.wait().unwrap();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child), nix::sys::signal::Signal::SIGKILL).unwrap();

    let output = env.gate(&["audit", "verify", "--json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["entries"], 4);
    assert_eq!(report["incomplete"], serde_json::json!([4]));
}

/// Auditors read logs from backups and read-only mounts: verify, log and export work there, and
/// a time bound with an offset, a far duration and a bad decision name are handled.
#[test]
fn a_log_on_a_read_only_mount_can_be_read() {
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    env.gate(&["exec", "--", "true"]).assert().success();
    let mount = env.root().join("ro");
    std::fs::create_dir(&mount).unwrap();
    let log_dir = env.db().parent().unwrap().to_path_buf();
    let script = r#"mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" || exit 99
db="$2/$3"; shift 3
"$@" audit verify --db "$db" >/dev/null || exit 1
"$@" audit log --db "$db" >/dev/null || exit 2
"$@" audit export --format jsonl --db "$db" >/dev/null || exit 3
touch "$db" 2>/dev/null && exit 4
exit 0"#;
    let output = std::process::Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", script, "sh"])
        .arg(&log_dir)
        .arg(&mount)
        .arg(env.db().file_name().unwrap())
        .arg(super::support::gate_binary())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .expect("unshare (util-linux) runs the test in its own mount namespace");
    assert_eq!(output.status.code(), Some(0), "{}", super::support::stderr(&output));
}

#[test]
fn time_bounds_and_decision_names_are_checked() {
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    env.gate(&["exec", "--", "true"]).assert().success();
    let count = |args: &[&str]| {
        let mut all = vec!["audit", "log", "--json"];
        all.extend_from_slice(args);
        json_lines(&env.gate(&all).assert().success().get_output().clone()).len()
    };
    assert_eq!(count(&["--since", "60years"]), 3);
    assert_eq!(count(&["--since", "2000-01-01T02:00:00+02:00"]), 3);
    assert_eq!(count(&["--until", "2000-01-01T00:00:00-05:00"]), 0);
    let bogus = env.gate(&["audit", "log", "--decision", "bogus"]).assert().code(2);
    assert!(super::support::stderr(bogus.get_output()).contains("possible values"));
}

/// `audit log` escapes each untrusted part once, and an outcome names the decision it closes;
/// `audit show` leads with what a reader looks for.
#[test]
fn log_rows_escape_once_and_pair_outcomes() {
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    env.gate(&["exec", "--", "echo", "back\\slash"]).assert().success();
    env.gate(&["exec", "-c", "echo \"back\\slash\" \x1b[31m"]).assert().success();
    let rows = stdout(&env.gate(&["audit", "log"]).output().unwrap());
    let rows: Vec<&str> = rows.lines().collect();
    assert!(rows[1].ends_with(": echo back\\\\slash"), "{}", rows[1]);
    assert!(rows[2].ends_with(", closes 2"), "{}", rows[2]);
    assert!(rows[3].ends_with(": echo \"back\\\\slash\" \\x1b[31m"), "{}", rows[3]);
    assert!(rows[4].ends_with(", closes 4"), "{}", rows[4]);
    let last = stdout(&env.gate(&["audit", "log", "-n", "1"]).output().unwrap());
    assert!(last.trim_end().contains(", closes request "), "{last}");
    let shown = stdout(&env.gate(&["audit", "show", "4"]).output().unwrap());
    let names: Vec<&str> =
        shown.lines().take(5).map(|line| line.split_whitespace().next().unwrap()).collect();
    assert_eq!(names, ["seq", "time", "kind", "verdict", "decision"]);
}

/// A log file cut short is damage in plain words: `verify` says so (exit 1), and `exec` refuses to
/// run anything on it (74), each in one line without SQLite's jargon.
#[test]
fn a_log_cut_short_is_damage_said_plainly() {
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    let long = "x".repeat(3000);
    for _ in 0..20 {
        env.gate(&["exec", "--", "true", &long]).assert().success();
    }
    env.gate(&["audit", "verify"]).assert().success();
    let size = std::fs::metadata(env.db()).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(env.db()).unwrap().set_len(size / 2).unwrap();
    for suffix in ["-wal", "-shm"] {
        let mut side = env.db().into_os_string();
        side.push(suffix);
        let _ = std::fs::remove_file(side);
    }
    let verified = env.gate(&["audit", "verify"]).output().unwrap();
    assert_eq!(verified.status.code(), Some(1), "{}{}", stdout(&verified), stderr(&verified));
    assert!(stdout(&verified).starts_with("damaged: "), "{}", stdout(&verified));
    let ran = env.gate(&["exec", "--", "true"]).output().unwrap();
    assert_eq!(ran.status.code(), Some(74));
    assert!(stderr(&ran).contains("is damaged"), "{}", stderr(&ran));
    assert!(!stderr(&ran).contains("malformed") && stderr(&ran).lines().count() == 1, "{}", stderr(&ran));
}
