//! OpenAI Codex CLI: `PreToolUse` on the Bash tool (`~/.codex/hooks.json`, `.codex/hooks.json`
//! or `[[hooks.PreToolUse]]` in `config.toml`).
//!
//! Input: `session_id`, `turn_id`, `transcript_path`, `cwd`, `hook_event_name`, `model`,
//! `permission_mode`, `tool_name`, `tool_input.command`, `tool_use_id`. Only a deny is honoured
//! (`permissionDecision: "deny"` with a reason, or exit 2 with stderr): `allow` and `ask` are
//! "unsupported" and the command runs. So gate answers nothing to let a command run, and asks
//! the human itself on `ask`.

use super::{Answer, Event, HookCall, HookError, Reply, required, shell, text};
use serde_json::{Value, json};

pub(super) fn parse(value: &Value) -> Result<HookCall, HookError> {
    let event = required(value, "/hook_event_name")?;
    if event != "PreToolUse" {
        return Err(HookError(format!("hook event {event:?} is not one gate answers (PreToolUse)")));
    }
    let tool = required(value, "/tool_name")?;
    let event = if tool == "Bash" { shell(required(value, "/tool_input/command")?)? } else { Event::Unknown };
    Ok(HookCall {
        event,
        tool,
        session: text(value, "/session_id"),
        tool_use_id: text(value, "/tool_use_id"),
        cwd: text(value, "/cwd").map(Into::into),
        permission_mode: text(value, "/permission_mode"),
    })
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
