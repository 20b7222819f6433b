//! Gemini CLI: `BeforeTool` on `run_shell_command` decides; `AfterTool` reports how a command
//! gate handed back ended (settings.json `hooks`, timeout in milliseconds).
//!
//! Input: `session_id`, `transcript_path`, `cwd`, `hook_event_name`, `timestamp`, `tool_name`,
//! `tool_input.command`, and after the tool `tool_response: {llmContent, returnDisplay, error?}`.
//! Answer `{"decision":"allow|deny","reason":…}` with exit 0; exit 2 blocks with stderr as the
//! reason; other exits are warnings and the command runs. There is no `ask`. After the tool gate
//! answers `{}` with exit 0: a `deny` or exit 2 there would hide the tool's result from the model.
//!
//! Gemini CLI gives no id that pairs `BeforeTool` with `AfterTool`, and no exit code as a field:
//! the shell tool's `llmContent` is text, `Output: …` followed by `Error: …`, `Exit Code: N` (only
//! when not 0), `Signal: …`, `Background PIDs: …` and `Process Group PGID: N` lines, and `error`
//! is set only when the command could not be run.

use super::{Answer, Event, HookCall, HookError, Reply, required, said, shell, text};
use serde_json::{Value, json};

pub(super) fn parse(value: &Value) -> Result<HookCall, HookError> {
    let event = required(value, "/hook_event_name")?;
    let mut call = HookCall {
        event: Event::Unknown,
        tool: text(value, "/tool_name").unwrap_or_default(),
        session: text(value, "/session_id"),
        tool_use_id: None,
        cwd: text(value, "/cwd").map(Into::into),
        permission_mode: None,
    };
    call.event = match event.as_str() {
        "BeforeTool" => {
            let tool = required(value, "/tool_name")?;
            if tool == "run_shell_command" {
                shell(required(value, "/tool_input/command")?)?
            } else {
                Event::Unknown
            }
        }
        "AfterTool" if call.tool.is_empty() => Event::BadReport("the report has no tool_name".into()),
        "AfterTool" if call.tool != "run_shell_command" => Event::OtherReport,
        "AfterTool" => {
            let (exit_code, detail) = ended(value.pointer("/tool_response"));
            Event::ShellEnded {
                command: text(value, "/tool_input/command"),
                exit_code,
                detail,
                duration_ms: None,
            }
        }
        other => {
            return Err(HookError(format!(
                "hook event {other:?} is not one gate answers (BeforeTool, AfterTool)"
            )));
        }
    };
    Ok(call)
}

/// How the shell tool's response says the command ended.
fn ended(response: Option<&Value>) -> (Option<i32>, String) {
    let Some(response) = response.filter(|response| response.is_object()) else {
        return (None, "ran (Gemini CLI's report has no tool_response)".into());
    };
    if let Some(error) = response.pointer("/error/message").and_then(Value::as_str) {
        return (None, format!("failed: {}", said(error)));
    }
    let content = response.get("llmContent").and_then(Value::as_str).unwrap_or("");
    for (start, detail) in [
        ("Command was cancelled", "cancelled"),
        ("Command was automatically cancelled", "cancelled (timed out)"),
        ("Command moved to background", "moved to the background; its end is not reported"),
    ] {
        if content.starts_with(start) {
            return (None, detail.into());
        }
    }
    if !content.starts_with("Output: ") {
        return (None, "ran (Gemini CLI's report gives no exit status)".into());
    }
    match trailer(content) {
        (Some(code), _) => (Some(code), "ran".into()),
        (None, Some(signal)) => (None, format!("killed by signal {}", said(signal))),
        // Gemini CLI writes no `Exit Code` line for a zero exit.
        (None, None) => (None, "succeeded".into()),
    }
}

/// The exit code and signal in the lines Gemini CLI writes after the output, read from the end.
/// The command's own output comes before them: only lines after the last line that is not one
/// of Gemini's own are read.
fn trailer(content: &str) -> (Option<i32>, Option<&str>) {
    let (mut code, mut signal) = (None, None);
    for line in content.lines().rev() {
        if let Some(pgid) = line.strip_prefix("Process Group PGID: ") {
            if pgid.parse::<u64>().is_err() {
                break;
            }
        } else if line.starts_with("Background PIDs: ") {
        } else if let Some(found) = line.strip_prefix("Signal: ") {
            signal = Some(found);
        } else if let Some(found) = line.strip_prefix("Exit Code: ") {
            code = found.trim().parse().ok();
            break;
        } else {
            break;
        }
    }
    (code, signal)
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn what_the_shell_tools_response_says() {
        let cases = [
            (
                json!({"llmContent": "Output: a\nProcess Group PGID: 12", "returnDisplay": "a"}),
                None,
                "succeeded",
            ),
            (json!({"llmContent": "Output: (empty)\nExit Code: 2\nProcess Group PGID: 12"}), Some(2), "ran"),
            (
                json!({"llmContent": "Output: x\nExit Code: 1\nSignal: 15\nProcess Group PGID: 9"}),
                Some(1),
                "ran",
            ),
            (
                json!({"llmContent": "Output: (empty)\nSignal: 9\nProcess Group PGID: 9"}),
                None,
                "killed by signal 9",
            ),
            (
                json!({"llmContent": "Output: (empty)\nError: spawn ENOENT", "error": {"message": "spawn ENOENT", "type": "shell_execute_error"}}),
                None,
                "failed: spawn ENOENT",
            ),
            (
                json!({"llmContent": "Command was cancelled by user before it could complete."}),
                None,
                "cancelled",
            ),
            (json!({"llmContent": [{"text": "x"}]}), None, "ran (Gemini CLI's report gives no exit status)"),
            (json!("text"), None, "ran (Gemini CLI's report has no tool_response)"),
            // An `Exit Code` line inside the output, followed by more output, is the command's.
            (json!({"llmContent": "Output: Exit Code: 7\nmore\nProcess Group PGID: 3"}), None, "succeeded"),
        ];
        for (response, code, detail) in cases {
            assert_eq!(super::ended(Some(&response)), (code, detail.to_string()), "{response}");
        }
    }
}
