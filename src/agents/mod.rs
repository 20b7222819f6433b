//! The agents gate sits in front of, one file per agent's wire format: what its hook sends on
//! stdin, how it wants the answer, and the settings that wire gate in (`gate init`).
//!
//! Guarantees: a payload is read as the agent documents it, extra fields ignored; anything
//! gate cannot read before a command runs is an [`HookError`], which every agent's
//! [`Agent::answer_error`] turns into a refusal in the form (and with the exit code) that agent
//! treats as blocking. A report after a command ran is never refused: it is acknowledged in the
//! agent's neutral form ([`Agent::acknowledge`]), readable or not.

mod claude_code;
mod cline;
mod codex;
mod copilot;
mod cursor;
mod gemini;
pub mod pairing;
pub mod settings;

use serde_json::Value;
use std::path::PathBuf;

/// An agent gate has an adapter for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Agent {
    /// Claude Code: `PreToolUse`/`PostToolUse` hooks on the Bash tool
    ClaudeCode,
    /// OpenAI Codex CLI: `PreToolUse`/`PostToolUse` hooks on the Bash tool
    Codex,
    /// Gemini CLI: `BeforeTool`/`AfterTool` hooks on run_shell_command
    Gemini,
    /// Cursor: `beforeShellExecution`/`afterShellExecution` hooks
    Cursor,
    /// GitHub Copilot CLI: `preToolUse`/`postToolUse` hooks
    Copilot,
    /// Cline: `PreToolUse`/`PostToolUse` hook scripts
    Cline,
}

impl Agent {
    pub const ALL: [Agent; 6] =
        [Agent::ClaudeCode, Agent::Codex, Agent::Gemini, Agent::Cursor, Agent::Copilot, Agent::Cline];

    /// The name `gate hook` and `gate init` take.
    pub fn name(self) -> &'static str {
        match self {
            Agent::ClaudeCode => "claude-code",
            Agent::Codex => "codex",
            Agent::Gemini => "gemini",
            Agent::Cursor => "cursor",
            Agent::Copilot => "copilot",
            Agent::Cline => "cline",
        }
    }

    /// Reads one hook payload.
    pub fn parse(self, payload: &[u8]) -> Result<HookCall, HookError> {
        let value: Value = serde_json::from_slice(payload)
            .map_err(|error| HookError(format!("the hook input is not JSON ({error})")))?;
        if !value.is_object() {
            return Err(HookError("the hook input is not a JSON object".into()));
        }
        match self {
            Agent::ClaudeCode => claude_code::parse(&value),
            Agent::Codex => codex::parse(&value),
            Agent::Gemini => gemini::parse(&value),
            Agent::Cursor => cursor::parse(&value),
            Agent::Copilot => copilot::parse(&value),
            Agent::Cline => cline::parse(&value),
        }
    }

    /// Whether the agent shows its user a permission prompt when the hook answers `ask`, and runs
    /// the command only if they agree. Where it cannot (or does not reliably), gate asks itself.
    pub fn asks_its_user(self, call: &HookCall) -> bool {
        match self {
            // In bypassPermissions the agent shows no prompt of its own.
            Agent::ClaudeCode => call.permission_mode.as_deref() != Some("bypassPermissions"),
            // Codex and Gemini ignore `ask` (the command runs); Cline has no `ask`; Cursor ignores
            // it in auto-review mode; Copilot's is not documented as binding for its CLI.
            Agent::Codex | Agent::Gemini | Agent::Cursor | Agent::Copilot | Agent::Cline => false,
        }
    }

    /// The answer to print on stdout and the exit code.
    pub fn answer(self, answer: &Answer) -> Reply {
        match self {
            Agent::ClaudeCode => claude_code::answer(answer),
            Agent::Codex => codex::answer(answer),
            Agent::Gemini => gemini::answer(answer),
            Agent::Cursor => cursor::answer(answer),
            Agent::Copilot => copilot::answer(answer),
            Agent::Cline => cline::answer(answer),
        }
    }

    /// The answer to a post-tool report: the agent's neutral form, which neither blocks nor
    /// changes the tool's result, with exit 0 (a non-zero exit from a post-tool hook is, for some
    /// agents, feedback to the model or a cancelled task).
    pub fn acknowledge(self) -> Reply {
        match self {
            Agent::ClaudeCode | Agent::Codex | Agent::Copilot => Reply::nothing(),
            Agent::Gemini | Agent::Cursor => Reply::json(serde_json::json!({})),
            Agent::Cline => Reply::json(serde_json::json!({"cancel": false})),
        }
    }

    /// A refusal for anything that went wrong, in the form and with the exit code the agent
    /// treats as blocking (never another non-zero code, which some agents read as "go ahead").
    pub fn answer_error(self, why: &str) -> Reply {
        let mut reply = self.answer(&Answer::Deny(format!("gate: {why}")));
        reply.stderr = Some(format!("gate: {why}"));
        reply.code = match self {
            // Exit 2 is the blocking error of Claude Code, Codex (with stderr), Gemini; Cursor with
            // failClosed and Cline block on any non-zero exit.
            Agent::ClaudeCode | Agent::Codex | Agent::Gemini | Agent::Cursor | Agent::Cline => 2,
            // Copilot reads its decision from stdout; its exit codes are not documented as
            // blocking, so the deny answer goes out with 0.
            Agent::Copilot => 0,
        };
        reply
    }
}

/// One hook call, as gate needs it.
#[derive(Clone, Debug, Default)]
pub struct HookCall {
    pub event: Event,
    /// The agent's tool name, for messages.
    pub tool: String,
    /// The agent's session (conversation, task) id.
    pub session: Option<String>,
    /// The agent's id for this tool call, shared by its pre- and post-tool hooks.
    pub tool_use_id: Option<String>,
    /// Where the agent runs the command.
    pub cwd: Option<PathBuf>,
    /// Claude Code's and Codex's permission mode.
    pub permission_mode: Option<String>,
}

/// What the hook is about.
#[derive(Clone, Debug, Default)]
pub enum Event {
    /// The agent is about to run this shell command.
    Shell { command: String },
    /// The agent ran a command gate handed back, and reports how it ended: its exit code where
    /// the agent gives one, else what the agent says (`succeeded`, `failed`…), never a guess.
    /// `duration_ms`: how long it ran, where the agent says (Cursor, Cline).
    ShellEnded { command: Option<String>, exit_code: Option<i32>, detail: String, duration_ms: Option<i64> },
    /// A tool that is not a shell, for an agent whose hook sees every tool: not gate's business.
    OtherTool,
    /// A report after a tool that is not the shell: acknowledged, nothing recorded.
    OtherReport,
    /// A report after a tool that gate cannot read: acknowledged (it can change nothing), the
    /// reason warned on stderr, nothing recorded.
    BadReport(String),
    /// A tool gate does not know, where only the shell tool was expected.
    #[default]
    Unknown,
}

/// gate's answer to a pre-tool hook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Allow(String),
    Deny(String),
    /// Let the agent ask its user (only where [`Agent::asks_its_user`]).
    Ask(String),
    /// Nothing to say: the agent goes on as it would without gate.
    Nothing,
}

/// What the hook prints and how it exits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub stdout: Option<String>,
    pub stderr: Option<String>,
    pub code: i32,
}

impl Reply {
    fn json(value: Value) -> Reply {
        Reply { stdout: Some(value.to_string()), stderr: None, code: 0 }
    }

    fn nothing() -> Reply {
        Reply { stdout: None, stderr: None, code: 0 }
    }
}

/// Why a payload could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookError(pub String);

/// A string field, if present and a string.
fn text(value: &Value, pointer: &str) -> Option<String> {
    value.pointer(pointer).and_then(Value::as_str).map(str::to_string)
}

/// A duration in milliseconds, if present as a number of them (a float is rounded; a negative or
/// absurd one is left out rather than recorded).
fn milliseconds(value: &Value, pointer: &str) -> Option<i64> {
    let ms = value.pointer(pointer)?.as_f64()?;
    (0.0..1e15).contains(&ms).then(|| ms.round() as i64)
}

/// A string field that must be there.
fn required(value: &Value, pointer: &str) -> Result<String, HookError> {
    match value.pointer(pointer) {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(_) => Err(HookError(format!("the hook input's {} is not a string", &pointer[1..]))),
        None => Err(HookError(format!("the hook input has no {}", &pointer[1..].replace('/', ".")))),
    }
}

/// An integer field as an exit code, if present and one.
fn exit_code(value: &Value, pointer: &str) -> Option<i32> {
    value.pointer(pointer).and_then(Value::as_i64).and_then(|code| i32::try_from(code).ok())
}

/// What an agent said went wrong, on one line and short: it is a reason, not the output.
fn said(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or("");
    let mut short: String = line.chars().take(200).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}

/// The shell command of a call, refused when empty.
fn shell(command: String) -> Result<Event, HookError> {
    if command.trim().is_empty() {
        return Err(HookError("the hook input's command is empty".into()));
    }
    Ok(Event::Shell { command })
}
