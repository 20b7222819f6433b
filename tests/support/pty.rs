//! A real pseudo-terminal for tests: either a child process that leads its own session with the
//! pty as its controlling terminal, or a bare pty whose slave path a test hands to the approver.
//! The test plays the human on the master side: wait for text, type an answer.
#![allow(dead_code)] // each test binary uses a different part

use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long a test waits for a prompt or an exit before it fails.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub struct Pty {
    master: Box<dyn MasterPty + Send>,
    /// Held so the slave stays open when no child holds it (bare mode).
    _slave: Box<dyn portable_pty::SlavePty + Send>,
    writer: Box<dyn Write + Send>,
    output: Arc<Mutex<Vec<u8>>>,
    child: Option<Box<dyn portable_pty::Child + Send + Sync>>,
}

impl Pty {
    /// A pty with nothing running on it.
    pub fn bare() -> Pty {
        let pair = native_pty_system()
            .openpty(PtySize { rows: 24, cols: 120, pixel_width: 0, pixel_height: 0 })
            .expect("open a pty");
        let writer = pair.master.take_writer().expect("pty writer");
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let output = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&output);
        // Reads until the slave side is gone; in bare mode it outlives the test, harmlessly.
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Pty { master: pair.master, _slave: pair.slave, writer, output, child: None }
    }

    /// Runs `command` as a session leader whose controlling terminal is a new pty.
    pub fn spawn(command: CommandBuilder) -> Pty {
        let mut pty = Pty::bare();
        let child = pty._slave.spawn_command(command).expect("spawn on the pty");
        pty.child = Some(child);
        pty
    }

    /// The slave device's path, for [`gate::approval::TerminalApprover::ask_on`].
    pub fn slave_path(&self) -> PathBuf {
        self.master.tty_name().expect("pty slave name")
    }

    /// Everything written to the terminal so far.
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    pub fn raw_output(&self) -> Vec<u8> {
        self.output.lock().unwrap().clone()
    }

    /// Waits until the terminal has shown `needle`; panics with what it did show otherwise.
    pub fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + PATIENCE;
        while !self.output().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "the terminal never showed {needle:?}; it showed:\n{}",
                self.output()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Types on the keyboard.
    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Waits for the child to end and returns its exit code (1 with a signal, as portable-pty
    /// reports it) and the signal's description if it was killed.
    pub fn wait(&mut self) -> (u32, Option<String>) {
        let child = self.child.as_mut().expect("a child on the pty");
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return (status.exit_code(), status.signal().map(str::to_owned));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("the child did not end; the terminal showed:\n{}", self.output());
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn child_pid(&self) -> u32 {
        self.child.as_ref().and_then(|c| c.process_id()).unwrap()
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut()
            && let Ok(None) = child.try_wait()
        {
            let _ = child.kill();
        }
    }
}
