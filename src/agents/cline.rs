//! Cline: an executable named `PreToolUse` in `.clinerules/hooks/` (or the global hooks folder),
//! called for every tool.
//!
//! Input: `clineVersion`, `hookName`, `timestamp`, `taskId`, `workspaceRoots`, `userId`,
//! `preToolUse: {toolName, parameters}`; the shell tool is `execute_command` with
//! `parameters.command`. Answer `{"cancel":bool,"errorMessage":…}`; a non-zero exit, bad JSON or
//! a timeout blocks. There is no `ask`: gate asks the human itself.

use super::{Answer, Event, HookCall, HookError, Reply, required, shell, text};
use serde_json::{Value, json};

pub(super) fn parse(value: &Value) -> Result<HookCall, HookError> {
    let hook = required(value, "/hookName")?;
    if hook != "PreToolUse" {
        return Err(HookError(format!("hook {hook:?} is not one gate answers (PreToolUse)")));
    }
    let tool = required(value, "/preToolUse/toolName")?;
    let event = if tool == "execute_command" {
        shell(required(value, "/preToolUse/parameters/command")?)?
    } else {
        Event::OtherTool
    };
    Ok(HookCall {
        event,
        tool,
        session: text(value, "/taskId"),
        tool_use_id: None,
        cwd: text(value, "/workspaceRoots/0").map(Into::into),
        permission_mode: None,
    })
}

pub(super) fn answer(answer: &Answer) -> Reply {
    match answer {
        Answer::Allow(_) | Answer::Nothing => Reply::json(json!({"cancel": false})),
        Answer::Deny(reason) | Answer::Ask(reason) => {
            Reply::json(json!({"cancel": true, "errorMessage": reason}))
        }
    }
}
