//! The terminal approver on real pseudo-terminals: directly on a pty's slave, on a child's real
//! controlling terminal (`/dev/tty`), with no terminal at all, and through `gate exec` with the
//! command's stdin and stdout redirected away from the terminal.

mod support;

use gate::approval::{Answered, ApprovalRequest, Approver, TerminalApprover, Verdict};
use portable_pty::CommandBuilder;
use std::path::Path;
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};
use support::pty::Pty;

fn request(command: &str, timeout: Duration) -> ApprovalRequest {
    ApprovalRequest {
        request_id: "req-1".into(),
        command: command.into(),
        rule: Some("ask-rm".into()),
        reason: "deleting files needs a human".into(),
        cwd: "/tmp/project".into(),
        user: "agent".into(),
        host: "box".into(),
        parent: "4242 agent-cli".into(),
        timeout,
        facts: Default::default(),
    }
}

/// The approver is whoever owns the terminal: for a pty this test opened, the test's own user.
fn me() -> String {
    nix::unistd::User::from_uid(nix::unistd::getuid()).unwrap().unwrap().name
}

/// Asks on a bare pty in a thread; `human` plays the person at the keyboard.
fn ask_on_pty(request: ApprovalRequest, human: impl FnOnce(&mut Pty)) -> (Verdict, Duration, Pty) {
    let mut pty = Pty::bare();
    let path = pty.slave_path();
    let asking = thread::spawn(move || {
        let started = Instant::now();
        let verdict = TerminalApprover.ask_on(&path, &request);
        (verdict, started.elapsed())
    });
    human(&mut pty);
    let (verdict, took) = asking.join().unwrap();
    (verdict, took, pty)
}

#[test]
fn answers_on_the_terminal_decide() {
    let approved = Verdict::Approved(Answered::on_terminal(me()));
    let rejected = Verdict::Rejected(Answered::on_terminal(me()));
    let cases = [
        ("y\r", approved.clone()),
        ("yes\r", approved.clone()),
        ("Y\n", approved),
        ("n\r", rejected.clone()),
        ("\r", rejected.clone()),
        ("yess\r", rejected.clone()),
        ("\x04", rejected), // Ctrl-D
    ];
    for (keys, expected) in cases {
        let (verdict, _, pty) = ask_on_pty(request("rm -rf build", Duration::from_secs(20)), |pty| {
            pty.wait_for("[y/N]");
            pty.send(keys);
        });
        assert_eq!(verdict, expected, "keys {keys:?}; terminal showed:\n{}", pty.output());
    }
}

#[test]
fn the_question_shows_the_request() {
    let (_, _, pty) = ask_on_pty(request("rm -rf build", Duration::from_secs(20)), |pty| {
        pty.wait_for("[y/N]");
        pty.send("n\r");
        pty.wait_for("gate: denied");
    });
    let shown = pty.output();
    for expected in [
        "rm -rf build",
        "ask-rm",
        "deleting files needs a human",
        "/tmp/project",
        "agent@box",
        "4242 agent-cli",
    ] {
        assert!(shown.contains(expected), "{expected:?} not shown:\n{shown}");
    }
}

#[test]
fn no_answer_in_time_is_a_timeout() {
    let (verdict, took, pty) = ask_on_pty(request("rm x", Duration::from_secs(1)), |pty| {
        pty.wait_for("[y/N]");
        pty.send("y"); // typed but never confirmed with Enter
        pty.wait_for("no answer within 1s, denied");
    });
    assert_eq!(verdict, Verdict::TimedOut { channel: "terminal".into() });
    assert!(took >= Duration::from_millis(950), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    drop(pty);
}

#[test]
fn typed_ahead_input_does_not_answer() {
    let mut pty = Pty::bare();
    // Typed before the question: must be discarded, not taken as a yes.
    pty.send("y\r");
    thread::sleep(Duration::from_millis(200));
    let verdict = TerminalApprover.ask_on(&pty.slave_path(), &request("rm x", Duration::from_secs(1)));
    assert_eq!(verdict, Verdict::TimedOut { channel: "terminal".into() }, "{}", pty.output());
}

#[test]
fn control_characters_are_shown_escaped() {
    // A field that escaped nobody's attention upstream must still not reach the terminal raw.
    let (_, _, pty) = ask_on_pty(request("rm \x1b[2J\x1b]0;owned\x07 x", Duration::from_secs(20)), |pty| {
        pty.wait_for("[y/N]");
        pty.send("\r");
        pty.wait_for("gate: denied");
    });
    assert!(pty.output().contains(r"rm \x1b[2J\x1b]0;owned\x07 x"), "{}", pty.output());
    assert!(!pty.raw_output().contains(&0x1b), "raw escape on the terminal: {:?}", pty.output());
}

#[test]
fn no_such_terminal_means_no_approver() {
    let verdict =
        TerminalApprover.ask_on(Path::new("/nonexistent/tty"), &request("x", Duration::from_secs(60)));
    let Verdict::NoApprover { why } = verdict else {
        panic!("{verdict:?}");
    };
    assert!(why.contains("run gate from a terminal"), "{why}");
}

// ---- Through the real /dev/tty of a child process -------------------------------------------

/// Not a test on its own: the body of a child process that other tests start on a pty or with no
/// terminal. It asks on /dev/tty and writes the verdict and the time it took to $GATE_TEST_OUT.
#[test]
#[ignore = "helper process, started by other tests"]
fn helper_ask_on_dev_tty() {
    let Ok(out) = std::env::var("GATE_TEST_OUT") else {
        return;
    };
    let started = Instant::now();
    let verdict = TerminalApprover.ask(&request("rm -rf build", Duration::from_secs(20)));
    let took = started.elapsed().as_millis();
    std::fs::write(out, format!("{verdict:?}\n{took}\n")).unwrap();
}

const HELPER_ARGS: [&str; 4] = ["--exact", "helper_ask_on_dev_tty", "--include-ignored", "--quiet"];

#[test]
fn asks_on_the_controlling_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("verdict");
    let mut command = CommandBuilder::new(std::env::current_exe().unwrap());
    command.args(HELPER_ARGS);
    command.env("GATE_TEST_OUT", &out);
    let mut pty = Pty::spawn(command);
    pty.wait_for("[y/N]");
    pty.send("y\r");
    pty.wait();
    let verdict = std::fs::read_to_string(&out).unwrap();
    assert!(
        verdict.starts_with(&format!("{:?}", Verdict::Approved(Answered::on_terminal(me())))),
        "{verdict}\n{}",
        pty.output()
    );
}

#[test]
fn no_controlling_terminal_means_no_approver_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("verdict");
    // setsid: a new session has no controlling terminal, so /dev/tty cannot be opened.
    let status = std::process::Command::new("setsid")
        .arg("--wait")
        .arg(std::env::current_exe().unwrap())
        .args(HELPER_ARGS)
        .env("GATE_TEST_OUT", &out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run setsid (util-linux)");
    assert!(status.success());
    let report = std::fs::read_to_string(&out).unwrap();
    let (verdict, took) = report.trim().split_once('\n').unwrap();
    assert!(verdict.starts_with("NoApprover"), "{verdict}");
    assert!(verdict.contains("run gate from a terminal"), "{verdict}");
    assert!(took.parse::<u64>().unwrap() < 500, "took {took} ms");
}

// ---- Through `gate exec` ---------------------------------------------------------------------

/// A temp dir with an `ask` policy and a database path, and a way to run `gate exec` on a pty with
/// the command's stdin a pipe that says "y" (which must NOT count as an answer) and its output in a
/// file, so everything on the terminal comes from the prompt.
struct Exec {
    dir: tempfile::TempDir,
}

impl Exec {
    fn new(timeout_secs: u64) -> Exec {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("policy.toml"),
            format!("version = 1\n[settings]\ndefault = \"ask\"\napproval_timeout = {timeout_secs}\n"),
        )
        .unwrap();
        Exec { dir }
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    fn spawn(&self, argv: &[&str]) -> Pty {
        let mut command = CommandBuilder::new("/bin/sh");
        command.env_clear();
        command.env("PATH", std::env::var_os("PATH").unwrap());
        command.env("HOME", self.dir.path());
        command.cwd(self.dir.path());
        command.arg("-c");
        command.arg(r#"printf 'y\n' | "$@" >"$0" 2>&1"#);
        command.arg(self.path("stdio"));
        command.arg(assert_cmd::cargo::cargo_bin("gate"));
        command.args(["exec", "--policy"]);
        command.arg(self.path("policy.toml"));
        command.arg("--db");
        command.arg(self.path("audit.db"));
        command.arg("--");
        command.args(argv);
        Pty::spawn(command)
    }
}

#[test]
fn gate_exec_runs_only_after_yes() {
    for (keys, runs, code) in [("y\r", true, 0), ("n\r", false, 77), ("\r", false, 77)] {
        let exec = Exec::new(20);
        let ran = exec.path("ran");
        let mut pty = exec.spawn(&["touch", ran.to_str().unwrap()]);
        pty.wait_for("[y/N]");
        pty.send(keys);
        let (exit, _) = pty.wait();
        assert_eq!(ran.exists(), runs, "keys {keys:?}\n{}", pty.output());
        assert_eq!(exit, code, "keys {keys:?}\n{}", pty.output());
    }
}

#[test]
fn gate_exec_denies_when_nobody_answers() {
    let exec = Exec::new(1);
    let ran = exec.path("ran");
    let started = Instant::now();
    let mut pty = exec.spawn(&["touch", ran.to_str().unwrap()]);
    pty.wait_for("[y/N]");
    let (exit, _) = pty.wait();
    let took = started.elapsed();
    assert_eq!(exit, 77, "{}", pty.output());
    assert!(!ran.exists());
    assert!(pty.output().contains("no answer within 1s"), "{}", pty.output());
    assert!(took >= Duration::from_secs(1) && took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn gate_exec_prompt_escapes_control_characters() {
    let exec = Exec::new(20);
    let mut pty = exec.spawn(&["touch", "x\x1b[2J"]);
    pty.wait_for("[y/N]");
    pty.send("n\r");
    let (exit, _) = pty.wait();
    assert_eq!(exit, 77);
    assert!(pty.output().contains(r"\x1b[2J"), "{}", pty.output());
    assert!(!pty.raw_output().contains(&0x1b), "{:?}", pty.output());
}

#[test]
fn gate_exec_without_terminal_refuses_at_once() {
    let exec = Exec::new(20);
    let ran = exec.path("ran");
    let started = Instant::now();
    let output = std::process::Command::new("setsid")
        .arg("--wait")
        .arg(assert_cmd::cargo::cargo_bin("gate"))
        .args(["exec", "--policy"])
        .arg(exec.path("policy.toml"))
        .arg("--db")
        .arg(exec.path("audit.db"))
        .arg("--")
        .arg("touch")
        .arg(&ran)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("HOME", exec.dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(77), "{output:?}");
    assert!(!ran.exists());
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("terminal"), "{stderr}");
}

#[test]
fn gate_exec_records_ctrl_c_at_the_prompt_as_a_refusal() {
    let exec = Exec::new(20);
    let ran = exec.path("ran");
    let mut pty = exec.spawn(&["touch", ran.to_str().unwrap()]);
    pty.wait_for("[y/N]");
    pty.send("\x03");
    let _ = pty.wait();
    // The shell around gate may die of the same Ctrl-C first; wait for gate's own record.
    let deadline = Instant::now() + Duration::from_secs(10);
    let verdict = loop {
        let found = rusqlite::Connection::open(exec.path("audit.db")).ok().and_then(|db| {
            db.query_row("SELECT verdict FROM entries WHERE kind = 'decision'", [], |row| {
                row.get::<_, String>(0)
            })
            .ok()
        });
        match found {
            Some(verdict) => break verdict,
            None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            None => panic!("no decision recorded after Ctrl-C\n{}", pty.output()),
        }
    };
    assert_eq!(verdict, "rejected");
    assert!(!ran.exists());
}
