//! The one tool: run a shell command through gate and say how it went.

use crate::commands::input::{Environment, PolicyArgs, Request};
use crate::pipeline::{self, Asker, Caller};
use crate::runner::{self, Captured, Ending, Program};
use serde_json::{Value, json};
use std::path::PathBuf;

pub(super) const NAME: &str = "run_command";

/// What `gate mcp` was started with.
#[derive(Clone, Debug)]
pub struct Settings {
    pub policy: Option<PathBuf>,
    pub db: Option<PathBuf>,
    /// The most bytes of stdout, and of stderr, returned to the client.
    pub max_output: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { policy: None, db: None, max_output: 64 * 1024 }
    }
}

/// The tool as `tools/list` describes it.
pub(super) fn definition(settings: &Settings) -> Value {
    json!({
        "name": NAME,
        "title": "Run a shell command through gate",
        "description": format!(
            "Runs one bash command line in the server's working directory, if the user's gate policy \
             allows it or a human approves it; every decision and outcome is recorded in gate's audit log. \
             Returns the exit code, stdout and stderr (each cut after {} KiB, and the cut is said). stdin is \
             empty. A refused command is an error result with the reason: do not retry it in another form.",
            settings.max_output / 1024
        ),
        "inputSchema": {
            "type": "object",
            "properties": {"command": {"type": "string", "description": "The shell line, as for bash -c"}},
            "required": ["command"],
            "additionalProperties": false,
        },
        "outputSchema": {
            "type": "object",
            "properties": {
                "ran": {"type": "boolean"},
                "exit_code": {"type": ["integer", "null"]},
                "signal": {"type": ["integer", "null"]},
                "stdout": {"type": "string"},
                "stderr": {"type": "string"},
                "stdout_cut_bytes": {"type": "integer"},
                "stderr_cut_bytes": {"type": "integer"},
                "reason": {"type": ["string", "null"]},
            },
            "required": ["ran", "exit_code", "signal", "stdout", "stderr", "stdout_cut_bytes", "stderr_cut_bytes", "reason"],
        },
        "annotations": {
            "title": "Run a shell command through gate",
            "readOnlyHint": false,
            "destructiveHint": true,
            "idempotentHint": false,
            "openWorldHint": true,
        },
    })
}

/// Runs the tool; every failure is an error result the model can read, never a protocol error.
pub(super) fn call(settings: &Settings, command: &str, client: Option<&str>) -> Value {
    run(settings, command, client)
        .unwrap_or_else(|error| refused(&format!("gate could not judge or record the command: {error:#}")))
}

fn run(settings: &Settings, command: &str, client: Option<&str>) -> anyhow::Result<Value> {
    let (environment, policy) =
        Environment::for_command(&PolicyArgs { policy: settings.policy.clone() }, settings.db.as_deref())?;
    let database = crate::paths::database(settings.db.as_deref()).ok_or_else(|| {
        anyhow::anyhow!("no place for the audit log: set HOME, XDG_DATA_HOME or GATE_DB, or pass --db")
    })?;
    let caller = Caller {
        agent: format!("mcp client {}", client.unwrap_or("(unnamed)")),
        session: None,
        asks: Asker::Gate,
        request_id: None,
    };
    let request = Request::Line(command.into());
    let mut decided = pipeline::decide(&policy, &environment, &database, &request, Some(&caller))?;
    if !decided.verdict.permits() {
        return Ok(refused(&format!("gate refused: {}", decided.refusal(&request))));
    }
    let (outcome, captured) = runner::run_captured(&Program::Line(command.into()), settings.max_output);
    decided.record_outcome(&outcome);
    Ok(ran(&outcome.ending, &captured, settings.max_output))
}

/// A command that ran (or could not start): its ending and output.
fn ran(ending: &Ending, captured: &Captured, limit: usize) -> Value {
    let (exit_code, signal, headline, failed) = match ending {
        Ending::Exited(code) => (Some(*code), None, format!("exit code: {code}"), false),
        Ending::Signaled(signal) => (None, Some(*signal), format!("killed by signal {signal}"), false),
        Ending::NotStarted { code, reason } => {
            (Some(*code), None, format!("could not start (exit code {code}): {reason}"), true)
        }
    };
    let stdout = String::from_utf8_lossy(&captured.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&captured.stderr).into_owned();
    let mut text = headline;
    for (name, body, cut) in
        [("stdout", &stdout, captured.stdout_dropped), ("stderr", &stderr, captured.stderr_dropped)]
    {
        if body.is_empty() && cut == 0 {
            text.push_str(&format!("\n{name}: (empty)"));
            continue;
        }
        text.push_str(&format!("\n{name}:\n{body}"));
        if !body.ends_with('\n') {
            text.push('\n');
        }
        if cut > 0 {
            text.push_str(&format!("[gate: {name} cut after {limit} bytes; {cut} more bytes not shown]\n"));
        }
    }
    json!({
        "content": [{"type": "text", "text": text}],
        "structuredContent": {
            "ran": !failed, "exit_code": exit_code, "signal": signal,
            "stdout": stdout, "stderr": stderr,
            "stdout_cut_bytes": captured.stdout_dropped, "stderr_cut_bytes": captured.stderr_dropped,
            "reason": Value::Null,
        },
        "isError": failed,
    })
}

/// A command that did not run, and why.
fn refused(reason: &str) -> Value {
    json!({
        "content": [{"type": "text", "text": reason}],
        "structuredContent": {
            "ran": false, "exit_code": Value::Null, "signal": Value::Null, "stdout": "", "stderr": "",
            "stdout_cut_bytes": 0, "stderr_cut_bytes": 0, "reason": reason,
        },
        "isError": true,
    })
}
