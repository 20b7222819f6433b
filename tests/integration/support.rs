//! A test environment: a temporary HOME, a cleared environment with `GATE_*` pointing into it,
//! and builders for the real `gate` binary.

use std::path::{Path, PathBuf};
use tempfile::TempDir;

pub struct TestEnv {
    dir: TempDir,
    policy: Option<PathBuf>,
}

impl TestEnv {
    pub fn new() -> TestEnv {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        std::fs::create_dir_all(dir.path().join("work")).unwrap();
        TestEnv { dir, policy: None }
    }

    /// Writes `text` as the policy every command of this environment uses.
    pub fn with_policy(mut self, text: &str) -> TestEnv {
        let path = self.dir.path().join("policy.toml");
        std::fs::write(&path, text).unwrap();
        self.policy = Some(path);
        self
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The working directory commands run in.
    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("audit.db")
    }

    /// `gate ARGS` with a cleared environment: HOME, PATH, and GATE_POLICY / GATE_DB set.
    pub fn gate(&self, args: &[&str]) -> assert_cmd::Command {
        let mut command = assert_cmd::Command::new(gate_binary());
        command.env_clear().envs(self.env()).current_dir(self.work()).args(args);
        command
    }

    /// The same as a plain `std::process::Command`, for tests that manage the process.
    pub fn gate_process(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(gate_binary());
        command.env_clear().envs(self.env()).current_dir(self.work()).args(args);
        command
    }

    fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("HOME".into(), self.home().display().to_string()),
            ("PATH".into(), "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin".into()),
            ("GATE_DB".into(), self.db().display().to_string()),
        ];
        if let Some(policy) = &self.policy {
            env.push(("GATE_POLICY".into(), policy.display().to_string()));
        }
        env
    }
}

/// The command with every signal acting by default, whatever the test runner inherited (a runner
/// started in the background or under nohup ignores some, and so would bash and gate, rightly).
pub fn with_default_signals(mut command: std::process::Command) -> std::process::Command {
    use nix::sys::signal::{SigHandler, Signal, signal};
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec only `signal`, which is async-signal-safe, runs.
    unsafe {
        command.pre_exec(|| {
            for sig in Signal::iterator().filter(|sig| ![Signal::SIGKILL, Signal::SIGSTOP].contains(sig)) {
                signal(sig, SigHandler::SigDfl)?;
            }
            Ok(())
        });
    }
    command
}

pub fn gate_binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("gate")
}

/// stdout of a finished command as text.
pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A policy where everything is decided by `default`, plus extra TOML.
pub fn policy(default: &str, extra: &str) -> String {
    format!("version = 1\n[settings]\ndefault = \"{default}\"\napproval_timeout = 5\n{extra}")
}
