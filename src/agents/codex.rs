//! OpenAI Codex CLI: `PreToolUse` on the Bash tool decides; `PostToolUse` reports that a command
//! gate handed back ran (`~/.codex/hooks.json`, `.codex/hooks.json` or `[[hooks.PreToolUse]]` in
//! `config.toml`).
//!
//! Input: `session_id`, `turn_id`, `transcript_path`, `cwd`, `hook_event_name`, `model`,
//! `permission_mode`, `tool_name`, `tool_input.command`, `tool_use_id` (the same in both hooks of
//! one call), and after the tool `tool_response`: for the shell, the output as one string, with no
//! exit status. Only a deny is honoured (`permissionDecision: "deny"` with a reason, or exit 2 with
//! stderr): `allow` and `ask` are "unsupported" and the command runs. So gate answers nothing to
//! let a command run, and asks the human itself on `ask`. After the tool, gate answers nothing
//! with exit 0: exit 2 there would hand gate's stderr to the model as feedback.

use super::{Answer, Event, HookCall, HookError, Reply, exit_code, required, shell, text};
use serde_json::{Value, json};

pub(super) fn parse(value: &Value) -> Result<HookCall, HookError> {
    let event = required(value, "/hook_event_name")?;
    let mut call = HookCall {
        event: Event::Unknown,
        tool: text(value, "/tool_name").unwrap_or_default(),
        session: text(value, "/session_id"),
        tool_use_id: text(value, "/tool_use_id"),
        cwd: text(value, "/cwd").map(Into::into),
        permission_mode: text(value, "/permission_mode"),
    };
    call.event = match event.as_str() {
        "PreToolUse" => {
            let tool = required(value, "/tool_name")?;
            if tool == "Bash" { shell(required(value, "/tool_input/command")?)? } else { Event::Unknown }
        }
        "PostToolUse" if call.tool.is_empty() => Event::BadReport("the report has no tool_name".into()),
        "PostToolUse" if call.tool != "Bash" => Event::OtherReport,
        "PostToolUse" => {
            // The shell's response is its output as a string; an object with an exit code is read
            // should Codex send one.
            let code = exit_code(value, "/tool_response/exit_code");
            let detail = if code.is_some() { "ran" } else { "ran (Codex reports no exit status)" };
            Event::ShellEnded {
                command: text(value, "/tool_input/command"),
                exit_code: code,
                detail: detail.into(),
                duration_ms: None,
            }
        }
        other => {
            return Err(HookError(format!(
                "hook event {other:?} is not one gate answers (PreToolUse, PostToolUse)"
            )));
        }
    };
    Ok(call)
}

pub(super) fn answer(answer: &Answer) -> Reply {
    match answer {
        // An `allow` without a rewritten command is a failed hook to Codex (which then runs the
        // command anyway): silence is the documented way to let it run.
        Answer::Allow(_) | Answer::Nothing => Reply::nothing(),
        Answer::Deny(reason) | Answer::Ask(reason) => Reply::json(json!({
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": reason,
            }
        })),
    }
}
