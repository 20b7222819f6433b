//! The story of one `gate exec`, in order: classify → approve → record the decision → run →
//! record the outcome. A decision is on disk before the command starts; if it cannot be
//! written, the command does not start.

use crate::approval::{ApprovalRequest, Facts, Verdict};
use crate::audit::{AuditLog, Kind, Record};
use crate::commands::input::{Environment, Request};
use crate::context::Requester;
use crate::display::escape_controls;
use crate::exit_code;
use crate::policy::{Classification, Decision, Policy};
use crate::runner::{self, Ending, Outcome, Program};
use std::path::Path;

pub fn exec(
    policy: &Policy,
    environment: &Environment,
    database: &Path,
    request: Request,
) -> anyhow::Result<i32> {
    let classification = policy.classify(&request.analyze(), &environment.context());
    let requester = Requester::capture(&environment.cwd);
    let request_id = crate::context::new_request_id();
    // Open the log before asking anyone: a human's time is not spent on a command that could
    // not be recorded.
    let mut log = AuditLog::open(database)?;
    let mut checkpoints = crate::audit::Checkpoints::from_env(database);
    let verdict = approve(&classification, policy, environment, &request, &requester, &request_id);
    let decision = decision_record(&classification, &verdict, policy, &request, &requester, &request_id);
    checkpoints.after_append(&log.append(&decision)?);
    if !verdict.permits() {
        eprintln!("gate: refused: {}", refusal(&classification, &verdict, &request));
        return Ok(exit_code::REFUSED);
    }
    let outcome = runner::run(&match request {
        Request::Line(line) => Program::Line(line),
        Request::Argv(argv) => Program::Argv(argv),
    });
    if let Ending::NotStarted { reason, .. } = &outcome.ending {
        eprintln!("gate: {}", escape_controls(reason));
    }
    // The decision was made durable before the command started; the outcome needs no fsync of
    // its own (the checkpoint when the log closes syncs it), and a power cut before then leaves
    // an incomplete request, which `gate audit verify` reports as such, not as damage.
    let _ = log.set_durability(crate::audit::Durability::Normal);
    match log.append(&outcome_record(&outcome, &request_id)) {
        Ok(entry) => checkpoints.after_append(&entry),
        // The command has run; its exit code still passes through, but nobody may miss this.
        Err(error) => {
            eprintln!("gate: warning: the outcome was not recorded: {}", crate::display::error_line(&error))
        }
    }
    Ok(outcome.exit_code())
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
                cwd: escape_controls(&requester.cwd.to_string_lossy()),
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
        Request::Line(line) => (None, Some(line.clone())),
        Request::Argv(argv) => (Some(crate::audit::encode_argv(argv)), None),
    };
    Facts {
        argv,
        line,
        cwd: requester.cwd.to_string_lossy().into_owned(),
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
    record.cwd = Some(requester.cwd.to_string_lossy().into_owned());
    match request {
        Request::Line(line) => record.line = Some(line.clone()),
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
