//! GitHub Copilot CLI: `preToolUse` (`.github/hooks/*.json`), called for every tool.
//!
//! Input: `timestamp`, `cwd`, `toolName`, `toolArgs` (a JSON object, or its text). Answer
//! `{"permissionDecision":"allow|deny|ask","permissionDecisionReason":…}`; printing nothing lets
//! the tool go on as it would. Tools other than the shell are not gate's business: nothing is
//! printed for them.

use super::{Answer, Event, HookCall, HookError, Reply, required, shell, text};
use serde_json::{Value, json};

/// The CLI's shell tools.
const SHELL_TOOLS: [&str; 3] = ["bash", "shell", "powershell"];

pub(super) fn parse(value: &Value) -> Result<HookCall, HookError> {
    let tool = required(value, "/toolName")?;
    let event = if SHELL_TOOLS.contains(&tool.as_str()) {
        let args = match value.pointer("/toolArgs") {
            Some(Value::String(text)) => serde_json::from_str(text)
                .map_err(|error| HookError(format!("the hook input's toolArgs is not JSON ({error})")))?,
            Some(object @ Value::Object(_)) => object.clone(),
            _ => return Err(HookError("the hook input has no toolArgs object".into())),
        };
        shell(required(&args, "/command")?)?
    } else {
        Event::OtherTool
    };
    Ok(HookCall {
        event,
        tool,
        session: text(value, "/sessionId"),
        tool_use_id: text(value, "/toolCallId"),
        cwd: text(value, "/cwd").map(Into::into),
        permission_mode: None,
    })
}

pub(super) fn answer(answer: &Answer) -> Reply {
    let (decision, reason) = match answer {
        Answer::Allow(reason) => ("allow", reason),
        Answer::Deny(reason) | Answer::Ask(reason) => ("deny", reason),
        Answer::Nothing => return Reply::nothing(),
    };
    Reply::json(json!({"permissionDecision": decision, "permissionDecisionReason": reason}))
}
