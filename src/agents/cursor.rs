//! Cursor: `beforeShellExecution` (`.cursor/hooks.json`, `failClosed: true`).
//!
//! Input: `hook_event_name`, `conversation_id`, `generation_id`, `workspace_roots`, `command`,
//! `cwd`… Answer `{"permission":"allow|deny|ask","user_message":…,"agent_message":…}`. Cursor
//! ignores `ask` in its auto-review run mode (the command runs), so gate asks the human itself
//! and answers allow or deny.

use super::{Answer, HookCall, HookError, Reply, required, shell, text};
use serde_json::{Value, json};

pub(super) fn parse(value: &Value) -> Result<HookCall, HookError> {
    let event = required(value, "/hook_event_name")?;
    if event != "beforeShellExecution" {
        return Err(HookError(format!(
            "hook event {event:?} is not one gate answers (beforeShellExecution)"
        )));
    }
    let cwd = text(value, "/cwd")
        .filter(|cwd| !cwd.is_empty())
        .or_else(|| text(value, "/workspace_roots/0"))
        .map(Into::into);
    Ok(HookCall {
        event: shell(required(value, "/command")?)?,
        tool: "shell".into(),
        session: text(value, "/conversation_id"),
        tool_use_id: text(value, "/generation_id"),
        cwd,
        permission_mode: None,
    })
}

pub(super) fn answer(answer: &Answer) -> Reply {
    let (permission, reason) = match answer {
        Answer::Allow(reason) => ("allow", reason),
        Answer::Deny(reason) | Answer::Ask(reason) => ("deny", reason),
        Answer::Nothing => return Reply::json(json!({"permission": "allow"})),
    };
    Reply::json(json!({"permission": permission, "user_message": reason, "agent_message": reason}))
}
