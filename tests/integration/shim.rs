//! `gate shell`: a conformance table against real bash. For each case, `gate shell ARGS` and
//! `/bin/bash ARGS` (the shell gate runs lines with) give the same exit status (code or signal),
//! stdout and stderr, on the same stdin.

use super::support::{TestEnv, policy, stderr, with_default_signals};
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output, Stdio};

fn run(command: Command, stdin: &[u8]) -> Output {
    run_signaled(command, stdin, None)
}

/// Runs the command; with a signal, sends it to the process once the command is under way (to
/// bash itself, or to gate, which passes it on).
fn run_signaled(mut command: Command, stdin: &[u8], signal: Option<nix::sys::signal::Signal>) -> Output {
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    if let Some(signal) = signal {
        std::thread::sleep(std::time::Duration::from_millis(700));
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), signal).unwrap();
    }
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

#[test]
fn gate_shell_behaves_as_bash_c() {
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    let big: Vec<u8> = (0..200_000u32).flat_map(|i| format!("{i}\n").into_bytes()).collect();
    let cases: Vec<(&[&str], &[u8])> = vec![
        (&["-c", "echo out; echo err >&2; exit 7"], b""),
        (&["-c", "exit 255"], b""),
        (&["-c", "cat; echo done"], b"line one\nline two"),
        (&["-c", "wc -l"], &big),
        (&["-c", "read a; echo \"got $a\"; cat >&2"], b"first\nrest\n"),
        (&["-lc", "echo login"], b""),
        (&["-ec", "false; echo not reached"], b""),
        (&["-c", "false; echo reached"], b""),
        (&["-e", "-o", "pipefail", "-c", "false | true; echo not reached"], b""),
        (&["-o", "pipefail", "-c", "false | true"], b""),
        (&["-c", "false | true"], b""),
        (&["-xc", "echo traced"], b""),
        (&["-uc", "echo $UNSET_IN_TEST"], b""),
        (&["-c", "gate-test-no-such-command"], b""),
        (&["-c", "echo $-"], b""),
        (&["-ec", "echo $-"], b""),
        (&["-c", ""], b""),
        (&["-c", "# only a comment"], b""),
    ];
    for (args, stdin) in cases {
        let mut bash = Command::new("/bin/bash");
        // An empty home: a login bash reads no profile there, and gate reads none anywhere.
        bash.args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", env.home())
            .current_dir(env.work());
        let expected = run(bash, stdin);
        let mut gate = env.gate_process(&["shell"]);
        gate.args(args);
        let got = run(gate, stdin);
        assert_eq!(
            (got.status.code(), got.status.signal()),
            (expected.status.code(), expected.status.signal()),
            "{args:?}: exit status (stderr {})",
            stderr(&got)
        );
        assert_eq!(got.stdout, expected.stdout, "{args:?}: stdout");
        assert_eq!(stderr(&got), stderr(&expected), "{args:?}: stderr");
    }
    // Signals: sent to bash, and to gate, which passes them on to the command and then dies of
    // the same signal (SIGKILL cannot be passed on: the command dies with gate).
    use nix::sys::signal::Signal;
    for signal in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP, Signal::SIGKILL] {
        let args = ["-c", "sleep 5"];
        let mut bash = Command::new("/bin/bash");
        bash.args(args).env_clear().env("PATH", "/usr/bin:/bin").env("HOME", env.home());
        let expected = run_signaled(with_default_signals(bash), b"", Some(signal));
        let mut gate = env.gate_process(&["shell"]);
        gate.args(args);
        let got = run_signaled(with_default_signals(gate), b"", Some(signal));
        assert_eq!(
            (got.status.code(), got.status.signal()),
            (expected.status.code(), expected.status.signal()),
            "{signal}: exit status (stderr {})",
            stderr(&got)
        );
        assert_eq!(expected.status.signal(), Some(signal as i32), "{signal}");
    }
}

/// A signal ignored when gate starts (`nohup`) stays ignored, as bash leaves it: a hangup sent
/// to gate neither kills it nor reaches the command, which runs to its end.
#[test]
fn a_signal_ignored_at_start_stays_ignored_as_bash_leaves_it() {
    use nix::sys::signal::Signal;
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    let args = ["-c", "sleep 1; echo survived"];
    let mut bash = Command::new("nohup");
    bash.arg("/bin/bash").args(args).env_clear().env("PATH", "/usr/bin:/bin").current_dir(env.work());
    let expected = run_signaled(bash, b"", Some(Signal::SIGHUP));
    let mut gate = env.gate_process(&["shell"]);
    gate.args(args);
    let mut nohup = Command::new("nohup");
    nohup.arg(gate.get_program()).args(gate.get_args()).env_clear().current_dir(env.work());
    nohup.envs(gate.get_envs().filter_map(|(key, value)| Some((key, value?))));
    let got = run_signaled(nohup, b"", Some(Signal::SIGHUP));
    assert_eq!(got.status.code(), Some(0), "{}", stderr(&got));
    assert_eq!(got.stdout, b"survived\n");
    assert_eq!((got.status.code(), got.stdout), (expected.status.code(), expected.stdout));
}

/// A line that is not UTF-8 runs as bash runs it, byte for byte.
#[test]
fn gate_shell_carries_a_non_utf8_line_as_bash_does() {
    use std::os::unix::ffi::OsStrExt;
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    let line = std::ffi::OsStr::from_bytes(b"printf '%s|' \xff caf\xe9; echo \xfe >&2; exit 3");
    let mut bash = Command::new("/bin/bash");
    bash.arg("-c").arg(line).env_clear().env("PATH", "/usr/bin:/bin").current_dir(env.work());
    let expected = run(bash, b"");
    let mut gate = env.gate_process(&["shell", "-c"]);
    gate.arg(line);
    let got = run(gate, b"");
    assert_eq!(got.status.code(), Some(3), "{}", stderr(&got));
    assert_eq!(got.stdout, b"\xff|caf\xe9|");
    assert_eq!((got.stdout, got.stderr), (expected.stdout, expected.stderr));
}

#[test]
fn what_sh_c_is_not_asked_for_is_refused_and_refusals_exit_77() {
    let env = TestEnv::new().with_policy(&policy(
        "allow",
        "[[rules]]\nid = \"no-touch\"\ndecision = \"deny\"\nmatch = [\"touch\"]\nreason = \"test\"\n",
    ));
    for args in [&["-i"][..], &["script.sh"], &["-c", "ls", "zero", "one"], &["-o", "posix", "-c", "ls"]] {
        let output = env.gate(&[&["shell"][..], args].concat()).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).starts_with("gate: shell: "), "{args:?}: {}", stderr(&output));
    }
    let marker = env.root().join("created");
    let line = format!("touch {}", marker.display());
    let output = env.gate(&["shell", "-c", &line]).output().unwrap();
    assert_eq!(output.status.code(), Some(77));
    assert!(!marker.exists());
    // Called as gate-shell, gate is `gate shell`.
    let link = env.root().join("gate-shell");
    std::os::unix::fs::symlink(super::support::gate_binary(), &link).unwrap();
    let output = Command::new(&link)
        .args(["-c", "echo linked"])
        .env_clear()
        .env("HOME", env.home())
        .env("PATH", "/usr/bin:/bin")
        .env("GATE_DB", env.db())
        .env("GATE_POLICY", env.root().join("policy.toml"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "linked\n", "{}", stderr(&output));
}

/// `gate-prefix`, as CLAUDE_CODE_SHELL_PREFIX: a line or an argument vector goes the gate exec
/// way, but gate's own hook runs as it is (gate does not gate its own hook).
#[test]
fn as_claude_codes_shell_prefix_gate_lets_its_own_hook_through() {
    let env = TestEnv::new().with_policy(&policy(
        "allow",
        "[[rules]]\nid = \"no-touch\"\ndecision = \"deny\"\nmatch = [\"touch\"]\nreason = \"test\"\n",
    ));
    let link = env.root().join("gate-prefix");
    std::os::unix::fs::symlink(super::support::gate_binary(), &link).unwrap();
    let prefix = |args: &[&str], stdin: &[u8]| {
        let mut command = Command::new(&link);
        command
            .args(args)
            .env_clear()
            .env("HOME", env.home())
            .env("PATH", "/usr/bin:/bin")
            .env("GATE_DB", env.db())
            .env("GATE_POLICY", env.root().join("policy.toml"))
            .current_dir(env.work());
        run(command, stdin)
    };
    let output = prefix(&["echo from a line"], b"");
    assert_eq!(
        (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned()),
        (Some(0), "from a line\n".into())
    );
    assert_eq!(prefix(&["  # nothing"], b"").status.code(), Some(2), "nothing to run is a usage error");
    let output = prefix(&["/bin/echo", "an", "argv"], b"");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "an argv\n");
    let marker = env.root().join("touched");
    let output = prefix(&[&format!("touch {}", marker.display())], b"");
    assert_eq!(output.status.code(), Some(77));
    assert!(!marker.exists());
    // The hook command Claude Code wraps too: answered, not judged as a command.
    let payload = serde_json::json!({
        "session_id": "s", "transcript_path": "/t", "cwd": env.work(), "permission_mode": "default",
        "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": "ls"}, "tool_use_id": "t1",
    });
    let output = prefix(&["gate hook claude-code"], payload.to_string().as_bytes());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "allow");
    let log = env.gate(&["audit", "log", "--json"]).output().unwrap();
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&log.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let judged: Vec<&str> = lines.iter().filter_map(|e| e["line"].as_str()).collect();
    assert_eq!(judged, ["echo from a line", &format!("touch {}", marker.display()), "ls"], "{lines:?}");
}
