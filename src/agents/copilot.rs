//! GitHub Copilot CLI: `preToolUse` decides, `postToolUse` and `postToolUseFailure` report how a
//! tool call ended (`.github/hooks/*.json`); each is called for every tool.
//!
//! Input: `sessionId`, `timestamp`, `cwd`, `toolName`, `toolArgs` (a JSON object, or its text);
//! after a tool that succeeded also `toolResult: {resultType, textResultForLlm}`, after one that
//! failed `error` (a string). The payload names no event, so the report is told by those fields;
//! no id pairs the hooks of one call. Answer `{"permissionDecision":"allow|deny|ask",
//! "permissionDecisionReason":…}`; printing nothing lets the tool go on as it would. Tools other
//! than the shell are not gate's business: nothing is printed for them. After a tool gate prints
//! nothing and exits 0 (exit 2 after a failure would hand stderr to the model as guidance).

use super::{Answer, Event, HookCall, HookError, Reply, required, said, shell, text};
use serde_json::{Value, json};

/// The CLI's shell tools.
const SHELL_TOOLS: [&str; 3] = ["bash", "shell", "powershell"];

pub(super) fn parse(value: &Value) -> Result<HookCall, HookError> {
    let result = value.get("toolResult").filter(|result| result.is_object());
    let failure = value.get("error").and_then(Value::as_str);
    let mut call = HookCall {
        event: Event::Unknown,
        tool: text(value, "/toolName").unwrap_or_default(),
        session: text(value, "/sessionId"),
        tool_use_id: None,
        cwd: text(value, "/cwd").map(Into::into),
        permission_mode: None,
    };
    if result.is_some() || failure.is_some() {
        call.event = if call.tool.is_empty() {
            Event::BadReport("the report has no toolName".into())
        } else if !SHELL_TOOLS.contains(&call.tool.as_str()) {
            Event::OtherReport
        } else {
            let detail = match failure {
                Some(error) => format!("failed: {}", said(error)),
                None => match result.and_then(|result| result.get("resultType")).and_then(Value::as_str) {
                    Some("success") => "succeeded".into(),
                    Some("failure") => "failed".into(),
                    Some("error") => "failed (an error in the tool)".into(),
                    Some("denied") => "denied by Copilot (the command did not run)".into(),
                    _ => "ran (Copilot's report gives no result type)".into(),
                },
            };
            let command = arguments(value).ok().and_then(|args| text(&args, "/command"));
            Event::ShellEnded { command, exit_code: None, detail, duration_ms: None }
        };
        return Ok(call);
    }
    call.tool = required(value, "/toolName")?;
    call.event = if SHELL_TOOLS.contains(&call.tool.as_str()) {
        shell(required(&arguments(value)?, "/command")?)?
    } else {
        Event::OtherTool
    };
    Ok(call)
}

/// `toolArgs`, as an object or the JSON text of one.
fn arguments(value: &Value) -> Result<Value, HookError> {
    match value.pointer("/toolArgs") {
        Some(Value::String(text)) => serde_json::from_str(text)
            .map_err(|error| HookError(format!("the hook input's toolArgs is not JSON ({error})"))),
        Some(object @ Value::Object(_)) => Ok(object.clone()),
        _ => Err(HookError("the hook input has no toolArgs object".into())),
    }
}

pub(super) fn answer(answer: &Answer) -> Reply {
    let (decision, reason) = match answer {
        Answer::Allow(reason) => ("allow", reason),
        Answer::Deny(reason) | Answer::Ask(reason) => ("deny", reason),
        Answer::Nothing => return Reply::nothing(),
    };
    Reply::json(json!({"permissionDecision": decision, "permissionDecisionReason": reason}))
}
