//! Cline: an executable named `PreToolUse` in `.clinerules/hooks/` (or the global hooks folder)
//! decides, one named `PostToolUse` reports how a tool call ended; each is called for every tool.
//!
//! Input: `clineVersion`, `hookName`, `timestamp`, `taskId`, `workspaceRoots`, `userId`, and
//! `preToolUse: {toolName, parameters}` or `postToolUse: {toolName, parameters, result, success,
//! executionTimeMs}`; the shell tool is `execute_command` with `parameters.command`. No id pairs
//! the two hooks of one call, and no exit code is given: only `success`. Answer
//! `{"cancel":bool,"errorMessage":…}`; a non-zero exit, bad JSON or a timeout blocks. There is no
//! `ask`: gate asks the human itself. After the tool gate answers `{"cancel": false}`.

use super::{Answer, Event, HookCall, HookError, Reply, milliseconds, required, shell, text};
use serde_json::{Value, json};

pub(super) fn parse(value: &Value) -> Result<HookCall, HookError> {
    let hook = required(value, "/hookName")?;
    let mut call = HookCall {
        event: Event::Unknown,
        tool: String::new(),
        session: text(value, "/taskId"),
        tool_use_id: None,
        cwd: text(value, "/workspaceRoots/0").map(Into::into),
        permission_mode: None,
    };
    call.event = match hook.as_str() {
        "PreToolUse" => {
            call.tool = required(value, "/preToolUse/toolName")?;
            if call.tool == "execute_command" {
                shell(required(value, "/preToolUse/parameters/command")?)?
            } else {
                Event::OtherTool
            }
        }
        "PostToolUse" => {
            call.tool = text(value, "/postToolUse/toolName").unwrap_or_default();
            match call.tool.as_str() {
                "" => Event::BadReport("the report has no postToolUse.toolName".into()),
                "execute_command" => {
                    let detail = match value.pointer("/postToolUse/success").and_then(Value::as_bool) {
                        Some(true) => "succeeded",
                        Some(false) => "failed",
                        None => "ran (Cline's report does not say whether it succeeded)",
                    };
                    Event::ShellEnded {
                        command: text(value, "/postToolUse/parameters/command"),
                        exit_code: None,
                        detail: detail.into(),
                        duration_ms: milliseconds(value, "/postToolUse/executionTimeMs"),
                    }
                }
                _ => Event::OtherReport,
            }
        }
        other => {
            return Err(HookError(format!(
                "hook {other:?} is not one gate answers (PreToolUse, PostToolUse)"
            )));
        }
    };
    Ok(call)
}

pub(super) fn answer(answer: &Answer) -> Reply {
    match answer {
        Answer::Allow(_) | Answer::Nothing => Reply::json(json!({"cancel": false})),
        Answer::Deny(reason) | Answer::Ask(reason) => {
            Reply::json(json!({"cancel": true, "errorMessage": reason}))
        }
    }
}
