//! Asking the human at gate's controlling terminal, `/dev/tty`.
//!
//! Guarantees: the question is asked on the terminal itself, never on the command's stdin or
//! stdout (the agent controls those); everything shown is free of raw control characters; only
//! `y` or `yes` (any case) followed by Enter approves, and only once; Enter alone, anything else,
//! Ctrl-D or no answer within the timeout denies; with no terminal, the answer is
//! [`Verdict::NoApprover`] at once, without waiting.
//!
//! Why a plain line prompt and not dialoguer: dialoguer reads keys in raw mode and has no timeout,
//! so it needs a thread that cannot be cancelled and a terminal left raw if gate is stopped. A line
//! read in the terminal's own line mode, waited for with `poll`, needs neither, keeps the kernel's
//! line editing, and behaves the same on a real terminal and a pseudo-terminal.
//!
//! A signal while asking (Ctrl-C, `kill`) ends the question with a no that is recorded like any
//! other answer; the command never runs.

use super::interrupt::Interrupts;
use super::tty::{Read, Stop, Tty};
use super::{ApprovalRequest, Approver, Verdict};
use crate::display::escape_controls;
use std::fmt::Write;
use std::path::Path;

use super::Answered;

const CHANNEL: &str = "terminal";
const CONTROLLING_TERMINAL: &str = "/dev/tty";

/// Asks on the controlling terminal. The approver recorded is the owner of the terminal device.
pub struct TerminalApprover;

impl Approver for TerminalApprover {
    fn ask(&self, request: &ApprovalRequest) -> Verdict {
        self.ask_on(Path::new(CONTROLLING_TERMINAL), request)
    }
}

impl TerminalApprover {
    /// Asks on the given terminal device instead of the controlling terminal (a dedicated
    /// approval console, or a pseudo-terminal in tests).
    pub fn ask_on(&self, terminal: &Path, request: &ApprovalRequest) -> Verdict {
        match open(terminal) {
            Ok(tty) => ask_until(tty, request, None, &|| None).unwrap_or_else(lost_answer),
            Err(verdict) => verdict,
        }
    }
}

/// Opens the controlling terminal (or `terminal`) to ask on, or says why nobody can be asked.
pub(super) fn open(terminal: &Path) -> Result<Tty, Verdict> {
    Tty::open(terminal).map_err(|detail| Verdict::NoApprover {
        why: format!(
            "no terminal to ask on ({}): run gate from a terminal, or set up an approval broker \
             (GATE_BROKER_URL, see `gate serve`)",
            escape_controls(&detail)
        ),
    })
}

pub(super) fn controlling_terminal() -> &'static Path {
    Path::new(CONTROLLING_TERMINAL)
}

/// Asks on an open terminal until the human answers, time runs out, or `elsewhere` gives a note
/// saying the answer came from elsewhere: then the prompt is closed with that note and the
/// answer is `None`. `also` is one more line for the question, on where else it was asked.
pub(super) fn ask_until(
    mut tty: Tty,
    request: &ApprovalRequest,
    also: Option<&str>,
    elsewhere: &dyn Fn() -> Option<String>,
) -> Option<Verdict> {
    let approver = tty.owner();
    // Watched before the question is shown: a Ctrl-C as soon as it appears is a recorded no,
    // not a gate killed before it could record anything.
    let interrupts = Interrupts::watch();
    tty.prepare();
    if let Err(error) = tty.write_all(&question(request, also)) {
        return Some(lost(&error));
    }
    let note = std::cell::RefCell::new(None);
    let stop = || {
        if let Some(signal) = interrupts.received() {
            return Some(Stop::Signal(signal));
        }
        let found = elsewhere()?;
        *note.borrow_mut() = Some(found);
        Some(Stop::Elsewhere)
    };
    let (verdict, note) = match tty.read_line(request.timeout, &stop) {
        Ok(Read::Line(answer)) if approves(&answer) => {
            (Some(Verdict::Approved(Answered::on_terminal(approver))), "gate: approved once\n".to_owned())
        }
        Ok(Read::Line(_)) => {
            (Some(Verdict::Rejected(Answered::on_terminal(approver))), "gate: denied\n".to_owned())
        }
        Ok(Read::Eof) => {
            (Some(Verdict::Rejected(Answered::on_terminal(approver))), "\ngate: denied\n".to_owned())
        }
        Ok(Read::TimedOut) => (
            Some(Verdict::TimedOut { channel: CHANNEL.into() }),
            format!("\ngate: no answer within {}, denied\n", humantime::format_duration(request.timeout)),
        ),
        // The human at the terminal pressed Ctrl-C: that is a no.
        Ok(Read::Interrupted(signal)) if signal == nix::libc::SIGINT => (
            Some(Verdict::Rejected(Answered::on_terminal(approver))),
            "\ngate: interrupted, denied\n".to_owned(),
        ),
        Ok(Read::Interrupted(signal)) => (
            Some(Verdict::NoApprover { why: format!("gate was stopped by signal {signal} while asking") }),
            "\ngate: stopped, denied\n".to_owned(),
        ),
        Ok(Read::Elsewhere) => (None, format!("\n{}\n", visible(&note.take().unwrap_or_default()))),
        Err(error) => return Some(lost(&error)),
    };
    // The verdict stands even if this last line cannot be written.
    let _ = tty.write_all(&note);
    verdict
}

/// A prompt closed with no answer from anywhere: cannot happen without `elsewhere`.
fn lost_answer() -> Verdict {
    Verdict::NoApprover { why: "the question was closed without an answer".into() }
}

/// The terminal failed mid-question (hung up): nobody can answer there any more.
fn lost(error: &std::io::Error) -> Verdict {
    Verdict::NoApprover {
        why: format!(
            "the terminal failed while asking ({}): run gate from a terminal, or change the policy",
            escape_controls(&error.to_string())
        ),
    }
}

/// Only an explicit yes approves; the safe answer is the default.
fn approves(answer: &str) -> bool {
    let answer = answer.trim();
    answer.eq_ignore_ascii_case("y") || answer.eq_ignore_ascii_case("yes")
}

/// The question, with every field passed through [`visible`] once more.
fn question(request: &ApprovalRequest, also: Option<&str>) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "\ngate: approval needed (request {})", visible(&request.request_id));
    let _ = writeln!(text, "  command  {}", visible(&request.command));
    match &request.rule {
        Some(rule) => {
            let _ = writeln!(text, "  rule     {}", visible(rule));
        }
        None => {
            let _ = writeln!(text, "  rule     (policy default)");
        }
    }
    let _ = writeln!(text, "  reason   {}", visible(&request.reason));
    let _ = writeln!(text, "  cwd      {}", visible(&request.cwd));
    let _ = writeln!(text, "  by       {}@{}", visible(&request.user), visible(&request.host));
    let _ = writeln!(text, "  parent   {}", visible(&request.parent));
    if let Some(also) = also {
        let _ = writeln!(text, "  broker   {}", visible(also));
    }
    let _ = write!(text, "Run it once? [y/N] (denied in {}): ", humantime::format_duration(request.timeout));
    text
}

/// The request's fields are escaped already; this escapes any control character that slipped
/// through, without escaping the backslashes of the first escaping a second time.
fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\\' {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            out.push_str(&escape_controls(c.encode_utf8(&mut buf)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn only_yes_approves() {
        let cases = [
            ("y", true),
            ("Y", true),
            ("yes", true),
            (" YES ", true),
            ("", false),
            ("n", false),
            ("no", false),
            ("ye", false),
            ("yes please", false),
            ("y\x1b", false),
        ];
        for (answer, expected) in cases {
            assert_eq!(approves(answer), expected, "{answer:?}");
        }
    }

    #[test]
    fn visible_escapes_controls_but_not_escapes() {
        let cases = [
            ("plain text", "plain text"),
            (r"already \x1b[2J escaped", r"already \x1b[2J escaped"),
            ("raw \x1b[2J", r"raw \x1b[2J"),
            ("bidi \u{202e}", r"bidi \u{202e}"),
            ("bell\x07 nl\n", r"bell\x07 nl\n"),
            ("c1 \u{9b}", r"c1 \u{9b}"),
        ];
        for (input, expected) in cases {
            assert_eq!(visible(input), expected, "{input:?}");
        }
    }

    #[test]
    fn question_shows_every_field_without_controls() {
        let request = ApprovalRequest {
            request_id: "r1".into(),
            command: "rm -rf \x1b[2J/tmp/x".into(),
            rule: Some("no-rm".into()),
            reason: "deletes\x07 files".into(),
            cwd: "/home/alice".into(),
            user: "alice".into(),
            host: "laptop".into(),
            parent: "4242 claude".into(),
            timeout: Duration::from_secs(60),
            facts: Default::default(),
        };
        let text = question(&request, Some("also asked at http://broker/r/r1"));
        for expected in [
            "request r1",
            r"rm -rf \x1b[2J/tmp/x",
            "rule     no-rm",
            r"deletes\x07 files",
            "/home/alice",
            "alice@laptop",
            "4242 claude",
            "broker   also asked at http://broker/r/r1",
            "[y/N] (denied in 1m): ",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from {text}");
        }
        assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    }
}
