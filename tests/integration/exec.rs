//! `gate exec`: allowed commands run transparently, refused ones never start, and every decision
//! and outcome lands in the audit log.

use super::support::{TestEnv, policy, stderr, stdout, with_default_signals};
use std::time::{Duration, Instant};

const DENY_TOUCH: &str =
    "[[rules]]\nid = \"no-touch\"\ndecision = \"deny\"\nmatch = [\"touch\"]\nreason = \"test\"\n";

#[test]
fn allowed_command_runs_with_its_output_and_exit_code() {
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    let output = env.gate(&["exec", "--", "sh", "-c", "echo out; echo err >&2; exit 7"]).output().unwrap();
    assert_eq!(output.status.code(), Some(7));
    assert_eq!(stdout(&output), "out\n");
    assert_eq!(stderr(&output), "err\n");
}

#[test]
fn allowed_command_reads_its_stdin() {
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    env.gate(&["exec", "--", "cat"]).write_stdin("through\n").assert().success().stdout("through\n");
}

#[test]
fn line_runs_with_bash_the_grammar_it_was_judged_in() {
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    env.gate(&["exec", "-c", "echo a && echo b | tr b c"]).assert().success().stdout("a\nc\n");
    // Each of these reads differently in a POSIX sh such as dash: ANSI-C quoting, `&>`,
    // `[[` and `((`.
    let line = r#"echo $'x\ty'; echo z &>/dev/null; [[ 2 > 1 ]] && echo test; ((1)) && echo arith"#;
    env.gate(&["exec", "-c", line]).assert().success().stdout("x\ty\ntest\narith\n");
    // A line that starts with a dash is a command, not an option of the shell.
    env.gate(&["exec", "-c", "-x"]).assert().code(127);
}

/// gate starts without std's runtime (`src/start.rs`) and opens /dev/null on a closed stdout or
/// stderr itself: otherwise the audit log, opened first, would take descriptor 1 and the
/// command's output would be written into the log's file.
#[test]
fn closed_standard_descriptors_are_opened_on_dev_null() {
    use std::os::unix::process::CommandExt;
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    let mut gate =
        env.gate_process(&["exec", "--", "sh", "-c", "printf 'from-%s' stdout; printf 'from-%s' stderr >&2"]);
    // SAFETY: between fork and exec only close, which is async-signal-safe.
    unsafe {
        gate.pre_exec(|| {
            nix::libc::close(1);
            nix::libc::close(2);
            Ok(())
        });
    }
    let status = gate.status().unwrap();
    assert_eq!(status.code(), Some(0));
    env.gate(&["audit", "verify"]).assert().success();
    let mut log = std::fs::read(env.db()).unwrap();
    log.extend(std::fs::read(env.db().with_extension("db-wal")).unwrap_or_default());
    // The argv holds `from-%s`, never the text the command printed.
    for printed in [&b"from-stdout"[..], b"from-stderr"] {
        assert!(!log.windows(printed.len()).any(|window| window == printed), "the output reached the log");
    }
}

/// The command starts in the state std's spawn gives it, whatever gate's own: no signal blocked,
/// SIGPIPE (which gate ignores) at its default, and none of gate's signal handlers. (glibc's own
/// signals 32 and 33 are left as the test runner passes them on.)
#[test]
fn the_command_starts_with_default_signal_state() {
    use nix::sys::signal::{SigHandler, SigSet, SigmaskHow, Signal, signal, sigprocmask};
    use std::os::unix::process::CommandExt;
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    let mut gate = with_default_signals(env.gate_process(&["exec", "--", "cat", "/proc/self/status"]));
    // SAFETY: between fork and exec only sigprocmask and signal, which are async-signal-safe.
    unsafe {
        gate.pre_exec(|| {
            sigprocmask(SigmaskHow::SIG_BLOCK, Some(&SigSet::from(Signal::SIGUSR1)), None)?;
            signal(Signal::SIGPIPE, SigHandler::SigIgn)?;
            Ok(())
        });
    }
    let output = gate.output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let status = stdout(&output);
    for field in ["SigBlk:", "SigIgn:", "SigCgt:"] {
        let line = status.lines().find(|line| line.starts_with(field)).unwrap();
        let mask = u64::from_str_radix(line[field.len()..].trim(), 16).unwrap();
        let (standard, blocked) = (0x7fff_ffff, field == "SigBlk:");
        assert_eq!(mask & if blocked { u64::MAX } else { standard }, 0, "{line}");
    }
}

#[test]
fn denied_command_never_starts() {
    let env = TestEnv::new().with_policy(&policy("allow", DENY_TOUCH));
    let marker = env.root().join("created");
    let output = env.gate(&["exec", "--", "touch", marker.to_str().unwrap()]).output().unwrap();
    assert_eq!(output.status.code(), Some(77));
    assert!(!marker.exists());
    let error = stderr(&output);
    assert!(error.contains("denied") && error.contains("no-touch"), "{error}");
}

#[test]
fn ask_without_a_terminal_is_refused_quickly() {
    let env = TestEnv::new().with_policy(&policy("ask", ""));
    let marker = env.root().join("created");
    // setsid: a new session has no controlling terminal, whatever runs the tests.
    let started = Instant::now();
    let output = std::process::Command::new("setsid")
        .arg("--wait")
        .arg(super::support::gate_binary())
        .args(["exec", "--", "touch", marker.to_str().unwrap()])
        .env_clear()
        .env("HOME", env.home())
        .env("PATH", "/usr/bin:/bin")
        .env("GATE_DB", env.db())
        .env("GATE_POLICY", env.root().join("policy.toml"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    assert_eq!(output.status.code(), Some(77), "{}", stderr(&output));
    assert!(!marker.exists());
    assert!(stderr(&output).contains("needs approval"), "{}", stderr(&output));
}

#[test]
fn not_found_and_not_executable_exit_as_a_shell_does() {
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    env.gate(&["exec", "--", "/nonexistent/program"]).assert().code(127);
    let script = env.root().join("not-executable.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    env.gate(&["exec", "--", script.to_str().unwrap()]).assert().code(126);
}

#[test]
fn unwritable_audit_log_means_the_command_does_not_run() {
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    let marker = env.root().join("created");
    let blocker = env.root().join("file");
    std::fs::write(&blocker, "").unwrap();
    let output = env
        .gate(&[
            "exec",
            "--db",
            blocker.join("audit.db").to_str().unwrap(),
            "--",
            "touch",
            marker.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(74), "{}", stderr(&output));
    assert!(!marker.exists());
}

#[test]
fn decisions_and_outcomes_are_recorded_and_verify() {
    let env = TestEnv::new().with_policy(&policy("allow", DENY_TOUCH));
    env.gate(&["exec", "--", "true"]).assert().success();
    env.gate(&["exec", "--", "sh", "-c", "exit 3"]).assert().code(3);
    env.gate(&["exec", "--", "touch", "x"]).assert().code(77);
    let output = env.gate(&["audit", "log", "--json"]).output().unwrap();
    let entries: Vec<serde_json::Value> =
        stdout(&output).lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let kinds: Vec<&str> = entries.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["genesis", "decision", "outcome", "decision", "outcome", "decision"]);
    assert_eq!(entries[4]["exit_code"], 3);
    assert_eq!(entries[5]["verdict"], "denied");
    assert_eq!(entries[5]["rule"], "no-touch");
    assert_eq!(entries[1]["request_id"], entries[2]["request_id"]);
    env.gate(&["audit", "verify"]).assert().success();
}

#[test]
fn non_utf8_argument_survives_into_the_log_byte_for_byte() {
    use std::os::unix::ffi::OsStrExt;
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    let raw = std::ffi::OsStr::from_bytes(b"caf\xe9\xff");
    env.gate(&["exec", "--", "true"]).arg(raw).assert().success();
    let connection = rusqlite::Connection::open(env.db()).unwrap();
    let argv: String = connection
        .query_row("SELECT argv FROM entries WHERE kind = 'decision'", [], |row| row.get(0))
        .unwrap();
    let decoded = gate::audit::decode_argv(&argv).expect("decodes");
    assert_eq!(decoded[1].as_bytes(), b"caf\xe9\xff");
}

/// A `-c` line and a working directory that are not UTF-8 run as given and are recorded byte for
/// byte (in the encoded form of `gate::audit::encode_text`), shown escaped, never lossily.
#[test]
fn non_utf8_line_and_cwd_survive_byte_for_byte() {
    use std::os::unix::ffi::OsStrExt;
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    let dir = env.work().join(std::ffi::OsStr::from_bytes(b"caf\xe9\xff"));
    std::fs::create_dir(&dir).unwrap();
    let line = std::ffi::OsStr::from_bytes(b"printf '%s' \xfe\xff\xc3\xa9 > out; pwd > where");
    env.gate(&["exec", "-c"]).arg(line).current_dir(&dir).assert().success();
    assert_eq!(std::fs::read(dir.join("out")).unwrap(), b"\xfe\xff\xc3\xa9");
    let mut pwd = dir.as_os_str().as_bytes().to_vec();
    pwd.push(b'\n');
    assert_eq!(std::fs::read(dir.join("where")).unwrap(), pwd);

    let connection = rusqlite::Connection::open(env.db()).unwrap();
    let (stored_line, stored_cwd): (String, String) = connection
        .query_row("SELECT line, cwd FROM entries WHERE kind = 'decision'", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();
    assert_eq!(&*gate::audit::decode_text(&stored_line), line.as_bytes());
    assert_eq!(&*gate::audit::decode_text(&stored_cwd), dir.as_os_str().as_bytes());
    assert!(stored_line.starts_with("\0base64:"), "{stored_line:?}");

    let shown = stdout(&env.gate(&["audit", "show", "2"]).output().unwrap());
    assert!(shown.contains(r"line  printf '%s' \xfe\xffé > out; pwd > where"), "{shown}");
    assert!(shown.contains(r"caf\xe9\xff"), "{shown}");
    let listed = stdout(&env.gate(&["audit", "log"]).output().unwrap());
    assert!(listed.contains(r"printf '%s' \xfe\xffé"), "{listed}");
    env.gate(&["audit", "verify"]).assert().success();
}

/// Bytes gate cannot read as text never make a word it can match: the text around them stays
/// known, so a secret's name with a stray byte still asks, and a program name with one is opaque.
#[test]
fn non_utf8_bytes_in_a_line_are_unknown_text_to_the_classifier() {
    use std::os::unix::ffi::OsStrExt;
    let env = TestEnv::new();
    let asks = |line: &[u8]| {
        let output = env
            .gate(&["check", "--exit-code", "-c"])
            .arg(std::ffi::OsStr::from_bytes(line))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(10), "{}: {}", String::from_utf8_lossy(line), stdout(&output));
        stdout(&output)
    };
    assert!(asks(b"cat ~/.ssh/id_\xffrsa").contains("secret"));
    assert!(asks(b"r\xffm -rf build").contains("opaque"));
    let allowed = env
        .gate(&["check", "--exit-code", "-c"])
        .arg(std::ffi::OsStr::from_bytes(b"echo caf\xe9"))
        .output()
        .unwrap();
    assert_eq!(allowed.status.code(), Some(0), "{}", stdout(&allowed));
    assert!(stdout(&allowed).contains(r"command:  echo caf\xe9"), "{}", stdout(&allowed));
}

#[test]
fn verify_names_an_edited_or_deleted_middle_entry() {
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    for _ in 0..4 {
        env.gate(&["exec", "--", "true"]).assert().success();
    }
    let verified = env.gate(&["audit", "verify"]).output().unwrap();
    assert!(verified.status.success());
    assert!(stdout(&verified).contains("9 entries"), "{}", stdout(&verified));

    let edited = env.root().join("edited.db");
    std::fs::copy(env.db(), &edited).unwrap();
    rusqlite::Connection::open(&edited)
        .unwrap()
        .execute("UPDATE entries SET reason = 'nothing' WHERE seq = 4", [])
        .unwrap();
    let output = env.gate(&["audit", "verify", "--db", edited.to_str().unwrap()]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("entry 4") || stderr(&output).contains("entry 4"), "{output:?}");

    let deleted = env.root().join("deleted.db");
    std::fs::copy(env.db(), &deleted).unwrap();
    rusqlite::Connection::open(&deleted).unwrap().execute("DELETE FROM entries WHERE seq = 5", []).unwrap();
    let output = env.gate(&["audit", "verify", "--db", deleted.to_str().unwrap()]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let said = format!("{}{}", stdout(&output), stderr(&output));
    assert!(said.contains("entry 6") || said.contains("entry 5"), "{said}");
}

/// The allowed path pays for nothing it does not use: no network socket, no thread, no runtime
/// (the broker client exists only on `ask`). strace shows every socket and clone.
#[test]
fn the_allowed_path_opens_no_network_socket_and_starts_no_thread() {
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    let trace = env.root().join("trace");
    let output = std::process::Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=socket,connect,clone,clone3", "-o"])
        .arg(&trace)
        .arg(super::support::gate_binary())
        .args(["exec", "--db"])
        .arg(env.db())
        .args(["--", "true"])
        .env("GATE_POLICY", env.root().join("policy.toml"))
        .env("HOME", env.home())
        .env("GATE_BROKER_URL", "http://127.0.0.1:9")
        .output()
        .expect("strace is needed for this test: run .ci/deps (apt-get install strace)");
    assert!(output.status.success(), "{output:?}");
    let trace = std::fs::read_to_string(trace).unwrap();
    for line in trace.lines() {
        assert!(!line.contains("AF_INET"), "a network socket on the allowed path: {line}");
        assert!(!line.contains("CLONE_THREAD"), "a thread on the allowed path: {line}");
    }
    assert!(trace.contains("clone"), "the command itself is started: {trace}");
}

/// A command line that names nothing to run is a usage error, never a request for approval, and
/// nothing is recorded for it.
#[test]
fn an_empty_command_is_a_usage_error() {
    let env = TestEnv::new().with_policy(&policy("ask", ""));
    for args in [
        &["exec", "-c", ""][..],
        &["exec", "-c", "  # nothing\n"],
        &["exec", "--", ""],
        &["exec"],
        &["check", "-c", ""],
    ] {
        let output = env.gate(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        let message = stderr(&output);
        assert!(message.starts_with("gate: ") && message.lines().count() == 1, "{args:?}: {message}");
    }
    assert!(!env.db().exists() || gate::audit::AuditLog::open(&env.db()).unwrap().head().unwrap().size == 1);
}

/// When gate itself is killed with SIGKILL, the command it started dies with it: its outcome
/// could no longer be recorded.
#[test]
fn the_command_dies_when_gate_is_killed() {
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    let pidfile = env.root().join("child.pid");
    let script = format!("echo $$ > {}; exec sleep 600", pidfile.display());
    let mut gate = env
        .gate_process(&["exec", "--", "sh", "-c", &script])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let child: i32 = loop {
        if let Some(pid) = std::fs::read_to_string(&pidfile).ok().and_then(|text| text.trim().parse().ok()) {
            break pid;
        }
        assert!(Instant::now() < deadline, "the command never started");
        std::thread::sleep(Duration::from_millis(20));
    };
    gate.kill().unwrap();
    gate.wait().unwrap();
    let alive = || {
        std::fs::read_to_string(format!("/proc/{child}/stat"))
            .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
    };
    while alive() {
        if Instant::now() > deadline {
            let _ = std::process::Command::new("kill").args(["-9", &child.to_string()]).status();
            panic!("the command {child} still runs after gate was killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
