//! The story of one request, in order: classify → approve → record the decision → run →
//! record the outcome. A decision is on disk before the command starts; if it cannot be
//! written, the command does not start.
//!
//! `gate exec` tells the whole story ([`exec`]). An agent's hook stops after the decision
//! ([`decide`]): the agent runs the command itself, and the log records that it was handed back
//! (and, where the agent reports it, how it ended). gate's MCP tool tells the whole story too,
//! with the command's output captured for the agent.

use crate::approval::{ApprovalRequest, Facts, Verdict};
use crate::audit::{AuditLog, Checkpoints, Kind, Record, encode_text};
use crate::commands::input::{Environment, Request};
use crate::context::Requester;
use crate::display::escape_controls;
use crate::exit_code;
use crate::policy::{Classification, Decision, Policy};
use crate::runner::{self, Ending, Outcome, Program};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Who handed gate the request when it was not a person at a shell: an agent, through its hook
/// or gate's MCP tool. Recorded with the decision (in `parent`) and shown to the approver.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The agent's name as `gate hook` takes it: `claude-code`, `codex`, `mcp`…
    pub agent: String,
    /// The agent's own id for its session (conversation, task), when it sends one.
    pub session: Option<String>,
    /// Who asks the human on `ask`: gate itself, or the agent's own prompt.
    pub asks: Asker,
    /// The request id to use, when the agent gives gate a way to pair a later report with it.
    pub request_id: Option<String>,
}

/// Who asks the human when the policy says `ask`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asker {
    /// gate, through its approvers (the terminal, the broker), as `gate exec` does.
    Gate,
    /// The agent's own permission prompt: gate answers `ask` and records that it handed the
    /// question over.
    Agent,
}

/// `gate exec`: the whole story, with the command's stdio and exit code passed through.
pub fn exec(
    policy: &Policy,
    environment: &Environment,
    database: &Path,
    request: Request,
) -> anyhow::Result<i32> {
    let program = program(&request);
    Ok(exec_as(policy, environment, database, request, program)?.code)
}

/// How a command run by [`exec_as`] ended, for the caller to pass on.
pub struct Finished {
    /// gate's exit code: the command's own, 128+N for signal N, 77 when refused.
    pub code: i32,
    /// The signal that killed the command, if one did.
    pub signal: Option<i32>,
}

/// `gate exec` running the request as `program` (the line with the shell options `gate shell`
/// was given). The process exits after it: the log is left as [`Decided::close_at_exit`]
/// leaves it.
pub fn exec_as(
    policy: &Policy,
    environment: &Environment,
    database: &Path,
    request: Request,
    program: Program,
) -> anyhow::Result<Finished> {
    let mut decided = decide(policy, environment, database, &request, None)?;
    if !decided.verdict.permits() {
        eprintln!("gate: refused: {}", decided.refusal(&request));
        return Ok(Finished { code: exit_code::REFUSED, signal: None });
    }
    let outcome = runner::run(&program);
    if let Ending::NotStarted { reason, .. } = &outcome.ending {
        eprintln!("gate: {}", escape_controls(reason));
    }
    decided.record_outcome(&outcome);
    decided.close_at_exit();
    let signal = match outcome.ending {
        Ending::Signaled(signal) => Some(signal),
        _ => None,
    };
    Ok(Finished { code: outcome.exit_code(), signal })
}

/// What the runner runs for a request.
pub fn program(request: &Request) -> Program {
    match request {
        Request::Line(line) => Program::Line(line.clone()),
        Request::Argv(argv) => Program::Argv(argv.clone()),
    }
}

/// A request judged, approved or not, and recorded; the log stays open for its outcome.
pub struct Decided {
    pub classification: Classification,
    pub verdict: Verdict,
    pub request_id: String,
    log: AuditLog,
    checkpoints: Checkpoints,
}

/// Classifies the request, asks whoever must be asked, and records the decision. An error means
/// nothing was recorded, and the command must not run.
pub fn decide(
    policy: &Policy,
    environment: &Environment,
    database: &Path,
    request: &Request,
    caller: Option<&Caller>,
) -> anyhow::Result<Decided> {
    let classification = policy.classify(&request.analyze(), &environment.context());
    let mut requester = Requester::capture(&environment.cwd);
    if let Some(caller) = caller {
        requester.parent = describe(caller, &requester.parent);
    }
    let request_id =
        caller.and_then(|caller| caller.request_id.clone()).unwrap_or_else(crate::context::new_request_id);
    // Open the log before asking anyone: a human's time is not spent on a command that could
    // not be recorded.
    let mut log = AuditLog::open(database)?;
    let mut checkpoints = Checkpoints::from_env(database);
    let verdict = match caller.map(|caller| caller.asks) {
        Some(Asker::Agent) if classification.decision == Decision::Ask => {
            Verdict::HandedToAgent { agent: caller.map(|c| c.agent.clone()).unwrap_or_default() }
        }
        _ => approve(&classification, policy, environment, request, &requester, &request_id),
    };
    let decision = decision_record(&classification, &verdict, policy, request, &requester, &request_id);
    checkpoints.after_append(&log.append(&decision)?);
    Ok(Decided { classification, verdict, request_id, log, checkpoints })
}

/// The parent as recorded for an agent's request: the agent and its session first.
fn describe(caller: &Caller, parent: &str) -> String {
    match &caller.session {
        Some(session) => format!("{} session {} via {parent}", caller.agent, escape_controls(session)),
        None => format!("{} via {parent}", caller.agent),
    }
}

impl Decided {
    /// One line for the user on why the command did not run.
    pub fn refusal(&self, request: &Request) -> String {
        refusal(&self.classification, &self.verdict, request)
    }

    /// Records how the command ended. The command has run: a failure to record is a warning on
    /// stderr that nobody may miss, never a reason to change its exit code.
    pub fn record_outcome(&mut self, outcome: &Outcome) {
        // The decision was made durable before the command started; the outcome needs no fsync
        // of its own (the checkpoint when the log closes syncs it), and a power cut before then
        // leaves an incomplete request, which `gate audit verify` reports as such, not as damage.
        let _ = self.log.set_durability(crate::audit::Durability::Normal);
        self.append(outcome_record(outcome, &self.request_id));
    }

    /// Records that the agent runs the command itself: gate will not see it end (unless the
    /// agent reports it later, see [`record_reported`]).
    pub fn record_handed_back(&mut self, agent: &str) {
        let _ = self.log.set_durability(crate::audit::Durability::Normal);
        let mut record = Record::new(Kind::Outcome);
        record.request_id = Some(self.request_id.clone());
        record.channel = Some(agent.to_string());
        record.error = Some(format!("handed back to {agent}, which runs the command itself"));
        self.append(record);
    }

    /// Done, in a process about to exit: see [`AuditLog::close_at_exit`]. Checkpoints being
    /// posted are still waited for.
    pub fn close_at_exit(self) {
        self.log.close_at_exit();
    }

    fn append(&mut self, record: Record) {
        match self.log.append(&record) {
            Ok(entry) => self.checkpoints.after_append(&entry),
            Err(error) => eprintln!(
                "gate: warning: the outcome was not recorded: {}",
                crate::display::error_line(&error)
            ),
        }
    }
}

/// Records an outcome an agent reported after running a command gate handed back (Claude Code's
/// `PostToolUse`): paired with the decision by the request id.
pub fn record_reported(
    mut log: AuditLog,
    request_id: &str,
    agent: &str,
    (exit_code, duration_ms): (Option<i32>, Option<i64>),
    detail: &str,
) -> anyhow::Result<()> {
    let mut checkpoints = Checkpoints::from_env(log.path());
    let _ = log.set_durability(crate::audit::Durability::Normal);
    let mut record = Record::new(Kind::Outcome);
    record.request_id = Some(request_id.to_string());
    record.exit_code = exit_code.map(i64::from);
    record.duration_ms = duration_ms;
    record.channel = Some(agent.to_string());
    record.error = Some(format!("reported by {agent}: {detail}"));
    checkpoints.after_append(&log.append(&record)?);
    Ok(())
}

fn approve(
    classification: &Classification,
    policy: &Policy,
    environment: &Environment,
    request: &Request,
    requester: &Requester,
    request_id: &str,
) -> Verdict {
    match classification.decision {
        Decision::Allow => Verdict::Allowed,
        Decision::Deny => Verdict::Denied,
        Decision::Ask => crate::approval::ask(
            &ApprovalRequest {
                request_id: request_id.to_string(),
                command: request.display(),
                rule: classification.rule.as_deref().map(escape_controls),
                reason: escape_controls(&classification.reason),
                cwd: crate::display::escape_bytes(requester.cwd.as_os_str().as_bytes()),
                user: escape_controls(&requester.user),
                host: escape_controls(&requester.host),
                parent: format!("{} ({})", requester.ppid, requester.parent),
                timeout: policy.settings.approval_timeout,
                facts: facts(classification, request, requester),
            },
            &crate::approval::broker_config::in_force(policy, &environment.home),
        ),
    }
}

/// The request as the decision entry records it: what the broker is sent and its signed
/// decision's command hash covers.
fn facts(classification: &Classification, request: &Request, requester: &Requester) -> Facts {
    let (argv, line) = match request {
        Request::Line(line) => (None, Some(encode_text(line.as_bytes()))),
        Request::Argv(argv) => (Some(crate::audit::encode_argv(argv)), None),
    };
    Facts {
        argv,
        line,
        cwd: encode_text(requester.cwd.as_os_str().as_bytes()),
        user: requester.user.clone(),
        uid: requester.uid,
        host: requester.host.clone(),
        pid: requester.pid,
        parent: requester.parent.clone(),
        rule: classification.rule.clone(),
        reason: classification.reason.clone(),
    }
}

/// One line for the user on why the command did not run.
fn refusal(classification: &Classification, verdict: &Verdict, request: &Request) -> String {
    let because = match &classification.rule {
        Some(rule) => format!("rule {}: {}", escape_controls(rule), escape_controls(&classification.reason)),
        None => escape_controls(&classification.reason),
    };
    let command = request.display();
    match verdict {
        Verdict::Denied => format!("`{command}` is denied by policy ({because})"),
        Verdict::Rejected(answered) => {
            format!("`{command}` was rejected by {} ({because})", escape_controls(&answered.approver))
        }
        Verdict::TimedOut { .. } => {
            format!("`{command}` needs approval ({because}) and nobody answered in time")
        }
        Verdict::NoApprover { why } => {
            format!("`{command}` needs approval ({because}), but {}", escape_controls(why))
        }
        Verdict::Failed { why } => {
            format!("`{command}` needs approval ({because}), but asking failed: {}", escape_controls(why))
        }
        Verdict::HandedToAgent { agent } => {
            format!("`{command}` needs approval ({because}), asked in {}", escape_controls(agent))
        }
        Verdict::Allowed | Verdict::Approved(_) => format!("`{command}` was not run"),
    }
}

fn decision_record(
    classification: &Classification,
    verdict: &Verdict,
    policy: &Policy,
    request: &Request,
    requester: &Requester,
    request_id: &str,
) -> Record {
    let mut record = Record::new(Kind::Decision);
    record.request_id = Some(request_id.to_string());
    record.user = Some(requester.user.clone());
    record.uid = Some(i64::from(requester.uid));
    record.host = Some(requester.host.clone());
    record.pid = Some(i64::from(requester.pid));
    record.ppid = Some(i64::from(requester.ppid));
    record.parent = Some(requester.parent.clone());
    record.cwd = Some(encode_text(requester.cwd.as_os_str().as_bytes()));
    match request {
        Request::Line(line) => record.line = Some(encode_text(line.as_bytes())),
        Request::Argv(argv) => record.argv = Some(crate::audit::encode_argv(argv)),
    }
    record.decision = Some(classification.decision.as_str().to_string());
    record.rule = classification.rule.clone();
    record.reason = Some(classification.reason.clone());
    record.verdict = Some(verdict.as_str().to_string());
    record.approver = verdict.approver().map(str::to_string);
    record.channel = Some(verdict.channel().to_string());
    record.error = verdict.error().map(str::to_string);
    record.approval = verdict.answered().and_then(|answered| answered.signed.as_ref()).map(|s| s.to_text());
    record.policy_path = Some(policy.name.clone());
    record.policy_sha256 = Some(policy.sha256.clone());
    record
}

fn outcome_record(outcome: &Outcome, request_id: &str) -> Record {
    let mut record = Record::new(Kind::Outcome);
    record.request_id = Some(request_id.to_string());
    match &outcome.ending {
        Ending::Exited(code) => record.exit_code = Some(i64::from(*code)),
        Ending::Signaled(signal) => record.signal = Some(i64::from(*signal)),
        Ending::NotStarted { code, reason } => {
            record.exit_code = Some(i64::from(*code));
            record.error = Some(reason.clone());
        }
    }
    record.duration_ms = Some(outcome.duration.as_millis().try_into().unwrap_or(i64::MAX));
    record
}
