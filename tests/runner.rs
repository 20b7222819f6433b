//! The runner as a process sees it: signals sent to the runner's process reach the command,
//! terminal signals reach it once, and exit codes pass through. Signals are sent to a separate
//! process (this test binary re-run as a helper, or `gate exec`), never to the test process.

mod support;

use portable_pty::CommandBuilder;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};
use support::pty::{PATIENCE, Pty};

/// A shell script that records its parent (the runner's process), records one line per SIGTERM or
/// SIGINT it gets, says it is ready, and loops until `stop` exists. `pause` is the loop's body:
/// `sleep 0.05` to idle, `:` to spin, so that the shell runs a trap at once and a second signal
/// arriving a little later is not merged with the first.
fn trapping_script(dir: &Path, pause: &str) -> String {
    let dir = dir.display();
    format!(
        "echo $PPID > {dir}/ppid; \
         trap 'echo term >> {dir}/signals; exit 0' TERM; \
         trap 'echo int >> {dir}/signals' INT; \
         trap 'echo quit >> {dir}/signals; exit 3' QUIT; \
         touch {dir}/ready; \
         while [ ! -e {dir}/stop ]; do {pause}; done"
    )
}

fn wait_for_file(path: &Path) {
    let deadline = Instant::now() + PATIENCE;
    while !path.exists() {
        assert!(Instant::now() < deadline, "{} never appeared", path.display());
        thread::sleep(Duration::from_millis(10));
    }
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_default()
}

fn kill(pid: u32, signal: nix::sys::signal::Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), signal).unwrap();
}

// ---- The runner in a helper process ------------------------------------------------------------

/// Not a test on its own: the body of a child process that other tests start. It runs
/// $GATE_TEST_LINE through the runner and exits with the runner's exit code.
#[test]
#[ignore = "helper process, started by other tests"]
fn helper_run_line() {
    use nix::sys::signal::Signal;
    let Ok(line) = std::env::var("GATE_TEST_LINE") else {
        return;
    };
    // Default actions, whatever the test runner inherited: a runner started in the background or
    // under nohup ignores some signals, and gate rightly leaves a signal ignored at start alone.
    for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP, Signal::SIGQUIT] {
        // SAFETY: no handler is installed, only the default action restored, before any thread.
        unsafe { nix::sys::signal::signal(signal, nix::sys::signal::SigHandler::SigDfl) }.unwrap();
    }
    let outcome = gate::runner::run(&gate::runner::Program::Line(line.into()));
    std::process::exit(outcome.exit_code());
}

const HELPER_ARGS: [&str; 4] = ["--exact", "helper_run_line", "--include-ignored", "--quiet"];

fn helper(line: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args(HELPER_ARGS).env("GATE_TEST_LINE", line).stdin(Stdio::null()).stdout(Stdio::null());
    command
}

#[test]
fn a_kill_sent_to_the_runner_reaches_the_command() {
    use nix::sys::signal::Signal;
    // (signal, what the script records, exit code of the runner)
    let cases = [
        (Signal::SIGTERM, "term\n", 0), // trapped: the script exits 0
        (Signal::SIGHUP, "", 128 + 1),  // not trapped: the script dies of it
        // Trapped too: bash (which runs lines) does not die of QUIT on its own.
        (Signal::SIGQUIT, "quit\n", 3),
    ];
    for (signal, recorded, code) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut runner = helper(&trapping_script(dir.path(), "sleep 0.05")).spawn().unwrap();
        wait_for_file(&dir.path().join("ready"));
        assert_eq!(read(dir.path().join("ppid")).trim(), runner.id().to_string());
        kill(runner.id(), signal);
        let status = runner.wait().unwrap();
        assert_eq!(status.code(), Some(code), "{signal} {status:?}");
        assert_eq!(read(dir.path().join("signals")), recorded, "{signal}");
    }
}

#[test]
fn exit_codes_pass_through_the_runner() {
    let cases =
        [("exit 7", 7), ("kill -KILL $$", 137), ("kill -TERM $$", 143), ("gate-test-no-such-command", 127)];
    for (line, code) in cases {
        let status = helper(line).stderr(Stdio::null()).status().unwrap();
        assert_eq!(status.code(), Some(code), "{line}");
    }
}

#[test]
fn ctrl_c_reaches_the_command_once_and_spares_the_runner() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = CommandBuilder::new(std::env::current_exe().unwrap());
    command.args(HELPER_ARGS);
    command.env("GATE_TEST_LINE", trapping_script(dir.path(), ":"));
    let mut pty = Pty::spawn(command);
    wait_for_file(&dir.path().join("ready"));
    // A second, forwarded SIGINT is only seen when the shell has not merged it with the first,
    // so give it three chances to show.
    for _ in 0..3 {
        pty.send("\x03");
        wait_for_file(&dir.path().join("signals"));
        thread::sleep(Duration::from_millis(200));
    }
    std::fs::write(dir.path().join("stop"), "").unwrap();
    let (code, signal) = pty.wait();
    assert_eq!((code, signal), (0, None), "{}", pty.output());
    assert_eq!(read(dir.path().join("signals")), "int\nint\nint\n");
}

// ---- Through `gate exec` -----------------------------------------------------------------------

fn gate_exec(dir: &Path, argv: &[&str]) -> Command {
    std::fs::write(
        dir.join("policy.toml"),
        "version = 1\n[settings]\ndefault = \"allow\"\napproval_timeout = 5\n",
    )
    .unwrap();
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("gate"));
    command
        .args(["exec", "--policy"])
        .arg(dir.join("policy.toml"))
        .arg("--db")
        .arg(dir.join("audit.db"))
        .arg("--")
        .args(argv)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("HOME", dir)
        .current_dir(dir)
        .stdin(Stdio::null());
    command
}

#[test]
fn gate_exec_passes_exit_codes_through() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a program\n").unwrap();
    let text = text.to_str().unwrap();
    let sub = dir.path().to_str().unwrap();
    let cases: [(&[&str], i32); 6] = [
        (&["sh", "-c", "exit 7"], 7),
        (&["true"], 0),
        (&["sh", "-c", "kill -TERM $$"], 143),
        (&["gate-test-no-such-command"], 127),
        (&[text], 126),
        (&[sub], 126),
    ];
    for (argv, code) in cases {
        let output = gate_exec(dir.path(), argv).output().unwrap();
        assert_eq!(output.status.code(), Some(code), "{argv:?}: {output:?}");
    }
}

#[test]
fn gate_exec_forwards_sigterm_to_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let script = trapping_script(dir.path(), "sleep 0.05");
    let mut gate = gate_exec(dir.path(), &["sh", "-c", &script]).stdout(Stdio::null()).spawn().unwrap();
    wait_for_file(&dir.path().join("ready"));
    // Found the way an operator would: the command's parent is gate.
    let parent: u32 = read(dir.path().join("ppid")).trim().parse().unwrap();
    assert_eq!(parent, gate.id());
    kill(parent, nix::sys::signal::Signal::SIGTERM);
    let status = gate.wait().unwrap();
    assert_eq!(read(dir.path().join("signals")), "term\n");
    assert_eq!(status.code(), Some(0));
}
