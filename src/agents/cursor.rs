//! Cursor: `beforeShellExecution` decides (`.cursor/hooks.json`, `failClosed: true`);
//! `afterShellExecution` reports that a command gate handed back ran.
//!
//! Input: `hook_event_name`, `conversation_id`, `generation_id`, `workspace_roots`, `command`,
//! `cwd`…, and after the command `output` and `duration` (milliseconds): no exit status, and no
//! id of the command (`generation_id` names a whole response of the agent, which can run several
//! commands). Answer `{"permission":"allow|deny|ask","user_message":…,"agent_message":…}`. Cursor
//! ignores `ask` in its auto-review run mode (the command runs), so gate asks the human itself
//! and answers allow or deny. After the command Cursor reads nothing: gate answers `{}`.

use super::{Answer, Event, HookCall, HookError, Reply, milliseconds, required, shell, text};
use serde_json::{Value, json};

pub(super) fn parse(value: &Value) -> Result<HookCall, HookError> {
    let event = required(value, "/hook_event_name")?;
    let cwd = text(value, "/cwd")
        .filter(|cwd| !cwd.is_empty())
        .or_else(|| text(value, "/workspace_roots/0"))
        .map(Into::into);
    let event = match event.as_str() {
        "beforeShellExecution" => shell(required(value, "/command")?)?,
        "afterShellExecution" => match text(value, "/command") {
            Some(command) => Event::ShellEnded {
                command: Some(command),
                exit_code: None,
                detail: "ran (Cursor reports no exit status)".into(),
                duration_ms: milliseconds(value, "/duration"),
            },
            None => Event::BadReport("the report has no command".into()),
        },
        other => {
            return Err(HookError(format!(
                "hook event {other:?} is not one gate answers (beforeShellExecution, afterShellExecution)"
            )));
        }
    };
    Ok(HookCall {
        event,
        tool: "shell".into(),
        session: text(value, "/conversation_id"),
        // No id pairs the two hooks of one command: the report is paired by session, command and
        // working directory (see `pairing`).
        tool_use_id: None,
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
