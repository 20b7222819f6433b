//! Gemini CLI: `BeforeTool` on `run_shell_command` (settings.json `hooks`, timeout in
//! milliseconds).
//!
//! Input: `session_id`, `transcript_path`, `cwd`, `hook_event_name`, `timestamp`, `tool_name`,
//! `tool_input.command`. Answer `{"decision":"allow|deny","reason":…}` with exit 0; exit 2 blocks
//! with stderr as the reason; other exits are warnings and the command runs. There is no `ask`.

use super::{Answer, Event, HookCall, HookError, Reply, required, shell, text};
use serde_json::{Value, json};

pub(super) fn parse(value: &Value) -> Result<HookCall, HookError> {
    let event = required(value, "/hook_event_name")?;
    if event != "BeforeTool" {
        return Err(HookError(format!("hook event {event:?} is not one gate answers (BeforeTool)")));
    }
    let tool = required(value, "/tool_name")?;
    let event = if tool == "run_shell_command" {
        shell(required(value, "/tool_input/command")?)?
    } else {
        Event::Unknown
    };
    Ok(HookCall {
        event,
        tool,
        session: text(value, "/session_id"),
        tool_use_id: None,
        cwd: text(value, "/cwd").map(Into::into),
        permission_mode: None,
    })
}

pub(super) fn answer(answer: &Answer) -> Reply {
    match answer {
        Answer::Allow(reason) => Reply::json(json!({"decision": "allow", "reason": reason})),
        Answer::Deny(reason) | Answer::Ask(reason) => {
            Reply::json(json!({"decision": "deny", "reason": reason}))
        }
        Answer::Nothing => Reply::json(json!({})),
    }
}
