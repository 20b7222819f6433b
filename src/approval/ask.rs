//! Asking every channel gate has at once: the terminal and the broker. The first answer wins;
//! the other is withdrawn (the broker marks the request answered elsewhere, the prompt is
//! closed with a note saying who answered where).
//!
//! A broker that fails (unreachable, refusing, a decision that does not verify) never permits
//! anything and never stops a human at the terminal from answering; with no terminal, its
//! failure is the verdict.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::SystemTime;

use super::broker::BrokerClient;
use super::broker_config::BrokerChoice;
use super::terminal::{self, TerminalApprover};
use super::{ApprovalRequest, Approver, Verdict};

/// Asks whoever can be asked, and waits at most `request.timeout` (or the broker's shorter
/// deadline).
pub fn ask(request: &ApprovalRequest, broker: &BrokerChoice) -> Verdict {
    let deadline = SystemTime::now() + request.timeout;
    let client = match broker {
        BrokerChoice::None => return TerminalApprover.ask(request),
        BrokerChoice::Broken(why) => return with_terminal_only(request, why),
        BrokerChoice::Broker(config) => match BrokerClient::new((**config).clone()) {
            Ok(client) => client,
            Err(why) => return with_terminal_only(request, &why),
        },
    };
    let tty = terminal::open(terminal::controlling_terminal()).ok();
    let created = match client.create(request, deadline) {
        Ok(created) => created,
        Err(failed) => {
            return match tty {
                Some(tty) => {
                    let why = failed.error().unwrap_or("the broker failed").to_string();
                    terminal::ask_until(
                        tty,
                        request,
                        Some(&format!("(not asked in the broker: {why})")),
                        &|| None,
                    )
                    .unwrap_or(failed)
                }
                None => failed,
            };
        }
    };
    let deadline =
        deadline.min(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(created.deadline.max(0) as u64));
    // Whole seconds, as the question shows them.
    let left = deadline.duration_since(SystemTime::now()).unwrap_or_default().as_secs();
    let request = &ApprovalRequest { timeout: std::time::Duration::from_secs(left), ..request.clone() };
    let client = Arc::new(client);
    let (answers, stop) = wait_in_background(&client, request, deadline);
    let verdict = match tty {
        Some(tty) => race(tty, request, &answers, &created.url),
        None => wait_alone(request, &answers, &created.url),
    };
    stop.store(true, Ordering::SeqCst);
    if verdict.answered().is_none_or(|answered| answered.signed.is_none()) {
        // Answered on the terminal, given up or stopped: nobody may decide it at the broker now.
        let reason = if verdict.answered().is_some() {
            "answered on the terminal"
        } else {
            "gate exec stopped waiting"
        };
        client.withdraw(&request.request_id, reason);
    }
    verdict
}

/// Long-polls the broker on a thread of its own, so that the terminal, signals and the
/// deadline are watched meanwhile; the thread is left to finish on its own once the answer is
/// known elsewhere (its long-poll ends when the request is withdrawn).
fn wait_in_background(
    client: &Arc<BrokerClient>,
    request: &ApprovalRequest,
    deadline: SystemTime,
) -> (mpsc::Receiver<Verdict>, Arc<AtomicBool>) {
    let (sender, receiver) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let (client, request, stopped) = (Arc::clone(client), request.clone(), Arc::clone(&stop));
    std::thread::spawn(move || {
        if let Some(verdict) = client.wait(&request, deadline, &|| stopped.load(Ordering::SeqCst)) {
            let _ = sender.send(verdict);
        }
    });
    (receiver, stop)
}

/// No terminal: the broker's answer, unless a signal or the deadline comes first.
fn wait_alone(request: &ApprovalRequest, answers: &mpsc::Receiver<Verdict>, url: &str) -> Verdict {
    // Watched before anything is said: a Ctrl-C that answers what is printed is a recorded no.
    let interrupts = super::interrupt::Interrupts::watch();
    eprintln!(
        "gate: waiting for approval at {} (request {}, {} left)",
        crate::display::escape_controls(url),
        &request.request_id[..8.min(request.request_id.len())],
        humantime::format_duration(std::time::Duration::from_secs(request.timeout.as_secs())),
    );
    let give_up = std::time::Instant::now() + request.timeout + std::time::Duration::from_secs(2);
    loop {
        if let Some(signal) = interrupts.received() {
            return Verdict::NoApprover {
                why: format!("gate was stopped by signal {signal} while waiting for approval"),
            };
        }
        match answers.recv_timeout(std::time::Duration::from_millis(50)) {
            Ok(verdict) => return verdict,
            Err(mpsc::RecvTimeoutError::Timeout) if std::time::Instant::now() < give_up => continue,
            Err(_) => return Verdict::TimedOut { channel: "broker".into() },
        }
    }
}

/// The terminal and the broker at once: the first answer wins.
fn race(
    tty: super::tty::Tty,
    request: &ApprovalRequest,
    answers: &mpsc::Receiver<Verdict>,
    url: &str,
) -> Verdict {
    let from_broker = std::cell::RefCell::new(None::<Verdict>);
    let elsewhere = || {
        let verdict = answers.try_recv().ok()?;
        let note = match &verdict {
            Verdict::Approved(answered) => {
                format!("gate: approved in the broker by {} ({})", answered.approver, answered.channel)
            }
            Verdict::Rejected(answered) => {
                format!("gate: denied in the broker by {} ({})", answered.approver, answered.channel)
            }
            Verdict::TimedOut { .. } => "gate: no answer in time, denied".to_string(),
            // A broker that failed leaves the terminal to answer.
            other => {
                eprintln!(
                    "gate: the broker failed ({}); answer on the terminal",
                    crate::display::escape_controls(other.error().unwrap_or("no answer"))
                );
                return None;
            }
        };
        *from_broker.borrow_mut() = Some(verdict);
        Some(note)
    };
    let also = format!("also asked at {url}");
    match terminal::ask_until(tty, request, Some(&also), &elsewhere) {
        Some(verdict) => verdict,
        None => from_broker.take().expect("the prompt closes early only for a broker's answer"),
    }
}

/// The broker cannot be used: a human at the terminal may still answer; without one, the
/// broker's failure is the answer.
fn with_terminal_only(request: &ApprovalRequest, why: &str) -> Verdict {
    match terminal::open(terminal::controlling_terminal()) {
        Ok(tty) => terminal::ask_until(tty, request, Some(&format!("not usable: {why}")), &|| None)
            .unwrap_or_else(|| Verdict::Failed { why: why.to_string() }),
        Err(_) => Verdict::Failed { why: why.to_string() },
    }
}
