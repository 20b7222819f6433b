//! `gate hook AGENT`: answers an agent's pre-tool hook (and records its post-tool report).
//!
//! Guarantees: whatever happens before a command runs (bad input, an unknown tool, a broken
//! policy, an unwritable log, a panic) the answer is a refusal in the agent's own form, with the
//! exit code that agent treats as blocking; nothing but the answer is printed on stdout; the
//! decision is in the audit log before the agent hears it. A report after the command ran is
//! always acknowledged in the agent's neutral form with exit 0, whatever goes wrong recording it
//! (that is a warning on stderr): it can change nothing, and must not fail the agent's tool.

use super::input::{Environment, PolicyArgs, Request};
use crate::agents::{Agent, Answer, Event, HookCall, Reply, pairing};
use crate::approval::Verdict;
use crate::audit::{AuditLog, Entry};
use crate::display::escape_controls;
use crate::pipeline::{self, Asker, Caller};
use anyhow::Context as _;
use std::io::{Read, Write};
use std::path::PathBuf;

/// The most gate reads of a hook's input: far more than any command line.
const MAX_INPUT: u64 = 4 << 20;

/// Answer an agent's hook: judge its shell command, record, answer in its format
///
/// Judges the shell command the agent is about to run, records the decision, and prints the
/// answer in the agent's format. Reads the hook's JSON on stdin. Where the agent can ask its user (Claude Code), `ask` is
/// handed to its prompt; elsewhere gate asks through its own approvers (the terminal, the
/// broker), as `gate exec` does. Any error refuses the command.
///
/// Called by the agent's post-tool hook, records how a command gate handed back ended (its exit
/// code where the agent gives one) as the outcome of its decision, and answers so that the
/// agent goes on as it would; nothing there fails the agent's tool.
///
/// Wire it in with `gate init AGENT`; see "Use gate with your agent" in the README.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct HookArgs {
    /// The agent whose hook calls gate
    #[arg(value_enum)]
    pub agent: Agent,

    #[command(flatten)]
    pub policy: PolicyArgs,

    /// The audit database [default: $GATE_DB, else ~/.local/share/gate/audit.db]
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
}

pub fn run(args: HookArgs) -> anyhow::Result<i32> {
    let agent = args.agent;
    let reply = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| answer(&args))) {
        Ok(Ok(reply)) => reply,
        Ok(Err(error)) => agent.answer_error(&crate::display::error_line(error.as_ref())),
        Err(_) => agent.answer_error("gate failed inside (a bug in gate); the command is refused"),
    };
    // Every reason is one line, escaped where it is made.
    if let Some(text) = &reply.stderr {
        eprintln!("{text}");
    }
    if let Some(text) = &reply.stdout {
        let mut out = std::io::stdout().lock();
        // A closed stdout leaves the agent with no answer, which it reads as a failed hook.
        let _ = writeln!(out, "{text}").and_then(|()| out.flush());
    }
    Ok(reply.code)
}

fn answer(args: &HookArgs) -> anyhow::Result<Reply> {
    let agent = args.agent;
    let mut payload = Vec::new();
    std::io::stdin().take(MAX_INPUT + 1).read_to_end(&mut payload).context("cannot read the hook input")?;
    if payload.len() as u64 > MAX_INPUT {
        anyhow::bail!("the hook input is larger than {} MiB", MAX_INPUT >> 20);
    }
    let call = agent.parse(&payload).map_err(|error| anyhow::anyhow!(error.0))?;
    match &call.event {
        Event::Shell { command } => judge(args, &call, command.clone()),
        Event::ShellEnded { command, exit_code, detail, duration_ms } => {
            let recorded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                report(args, &call, command.as_deref(), (*exit_code, *duration_ms), detail)
            }));
            if recorded.is_err() {
                eprintln!("gate: warning: the outcome was not recorded (a bug in gate)");
            }
            Ok(agent.acknowledge())
        }
        Event::OtherReport => Ok(agent.acknowledge()),
        Event::BadReport(why) => {
            eprintln!("gate: warning: the outcome was not recorded: {}", escape_controls(why));
            Ok(agent.acknowledge())
        }
        Event::OtherTool => Ok(agent.answer(&Answer::Nothing)),
        Event::Unknown => Ok(agent.answer_error(&format!(
            "tool \"{}\" is not a shell tool gate knows; gate's hook is for the shell tool only (see `gate init {}`)",
            escape_controls(&call.tool),
            agent.name()
        ))),
    }
}

/// A command the agent is about to run: classify, approve, record, answer.
fn judge(args: &HookArgs, call: &HookCall, command: String) -> anyhow::Result<Reply> {
    let agent = args.agent;
    // The command runs where the agent says; the project's policy layer is found from there.
    let (environment, policy) =
        Environment::for_command_in(&args.policy, args.db.as_deref(), agent_cwd(call))?;
    let database = database(args)?;
    let caller = Caller {
        agent: agent.name().to_string(),
        session: call.session.clone(),
        asks: if agent.asks_its_user(call) { Asker::Agent } else { Asker::Gate },
        request_id: call.tool_use_id.as_deref().map(|id| request_id(agent, call.session.as_deref(), id)),
    };
    let request = Request::Line(command.into());
    let mut decided = pipeline::decide(&policy, &environment, &database, &request, Some(&caller))?;
    let because = match &decided.classification.rule {
        Some(rule) => format!("rule {rule}: {}", decided.classification.reason),
        None => decided.classification.reason.clone(),
    };
    let answer = match &decided.verdict {
        Verdict::Allowed => Answer::Allow(format!("gate: allowed ({because})")),
        Verdict::Approved(answered) => {
            Answer::Allow(format!("gate: approved by {} ({because})", answered.approver))
        }
        Verdict::HandedToAgent { .. } => Answer::Ask(format!("gate: needs approval ({because})")),
        _ => Answer::Deny(format!("gate: refused: {}", decided.refusal(&request))),
    };
    if decided.verdict.permits() {
        decided.record_handed_back(agent.name());
    }
    Ok(agent.answer(&answer))
}

/// A post-tool report: the outcome of a command gate handed back, paired with its decision by
/// the agent's id for the tool call where it gives one (Claude Code, Codex), else by session,
/// command and working directory ([`pairing`]). It cannot change anything, so a failure to
/// record is a warning, never a blocking answer.
fn report(
    args: &HookArgs,
    call: &HookCall,
    command: Option<&str>,
    (exit_code, duration_ms): (Option<i32>, Option<i64>),
    detail: &str,
) {
    let agent = args.agent;
    let recorded = database(args).and_then(|database| {
        // One connection pairs and records. Without a log there is no decision to pair with,
        // and none is made for a report.
        let log = if database.exists() { Some(AuditLog::open(&database)?) } else { None };
        let recent = log.as_ref().map(|log| log.recent(pairing::WINDOW)).transpose()?.unwrap_or_default();
        let id = paired(agent, call, command, &recent)?;
        let log = log.context("no audit log")?;
        pipeline::record_reported(log, &id, agent.name(), (exit_code, duration_ms), detail)
    });
    if let Err(error) = recorded {
        eprintln!(
            "gate: warning: the outcome was not recorded: {}",
            crate::display::error_line(error.as_ref())
        );
    }
}

/// The request id of the open decision a report closes, among the log's `recent` entries (oldest
/// first): by the agent's id for the tool call where it gives one (Claude Code, Codex), else by
/// session, command and working directory.
fn paired(agent: Agent, call: &HookCall, command: Option<&str>, recent: &[Entry]) -> anyhow::Result<String> {
    match (call.tool_use_id.as_deref(), command) {
        (Some(tool_use_id), _) => {
            let id = request_id(agent, call.session.as_deref(), tool_use_id);
            anyhow::ensure!(
                pairing::open_by_id(recent, &id),
                "no open decision of this {} session for this tool call",
                agent.name()
            );
            Ok(id)
        }
        (None, Some(command)) => {
            use std::os::unix::ffi::OsStrExt;
            let cwd = decision_cwd(call)?;
            let key = pairing::Key {
                agent: agent.name(),
                session: call.session.as_deref(),
                command: &crate::audit::encode_text(command.as_bytes()),
                cwd: &crate::audit::encode_text(cwd.as_os_str().as_bytes()),
            };
            pairing::open_decision(recent, &key).ok_or_else(|| {
                anyhow::anyhow!("no open decision of this {} session for this command here", agent.name())
            })
        }
        (None, None) => anyhow::bail!("the report has neither a tool call id nor a command to pair it with"),
    }
}

/// The working directory gate recorded with the decision: the agent's, when it is a folder.
fn decision_cwd(call: &HookCall) -> anyhow::Result<PathBuf> {
    match agent_cwd(call) {
        Some(cwd) => Ok(cwd.to_path_buf()),
        None => std::env::current_dir().context("cannot read the current directory"),
    }
}

/// Where the agent says its command runs, when that is an absolute path to a folder.
fn agent_cwd(call: &HookCall) -> Option<&std::path::Path> {
    call.cwd.as_deref().filter(|cwd| cwd.is_absolute() && cwd.is_dir())
}

fn database(args: &HookArgs) -> anyhow::Result<PathBuf> {
    crate::paths::database(args.db.as_deref()).ok_or_else(|| {
        anyhow::anyhow!("no place for the audit log: set HOME, XDG_DATA_HOME or GATE_DB, or pass --db")
    })
}

/// The request id of a tool call: the same for the agent's pre- and post-tool hooks, so the
/// outcome an agent reports pairs with gate's decision.
fn request_id(agent: Agent, session: Option<&str>, tool_use_id: &str) -> String {
    use sha2::Digest;
    let mut hash = sha2::Sha256::new();
    for part in ["gate hook", agent.name(), session.unwrap_or(""), tool_use_id] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hash.finalize().iter().take(16).map(|byte| format!("{byte:02x}")).collect()
}
