//! Claude Code: `PreToolUse` on the Bash tool decides; `PostToolUse` and `PostToolUseFailure`
//! report how a command gate handed back ended.
//!
//! Input: `session_id`, `transcript_path`, `cwd`, `permission_mode`, `hook_event_name`,
//! `tool_name`, `tool_input.command`, `tool_use_id` (and, after the tool, `tool_response` or
//! `error`). Answer: `{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":
//! "allow|deny|ask","permissionDecisionReason":…}}` with exit 0; exit 2 blocks with stderr as
//! the reason, and any other non-zero exit lets the command run. After the tool gate prints
//! nothing and exits 0 (exit 2 there would hand gate's stderr to Claude as feedback).

use super::{Answer, Event, HookCall, HookError, Reply, exit_code, required, shell, text};
use serde_json::{Value, json};

pub(super) fn parse(value: &Value) -> Result<HookCall, HookError> {
    let event = required(value, "/hook_event_name")?;
    let post = matches!(event.as_str(), "PostToolUse" | "PostToolUseFailure");
    let tool =
        if post { text(value, "/tool_name").unwrap_or_default() } else { required(value, "/tool_name")? };
    let mut call = HookCall {
        tool: tool.clone(),
        session: text(value, "/session_id"),
        tool_use_id: text(value, "/tool_use_id"),
        cwd: text(value, "/cwd").map(Into::into),
        permission_mode: text(value, "/permission_mode"),
        event: Event::Unknown,
    };
    if post && tool != "Bash" {
        call.event = if tool.is_empty() {
            Event::BadReport("the report has no tool_name".into())
        } else {
            Event::OtherReport
        };
        return Ok(call);
    }
    if tool != "Bash" {
        return Ok(call);
    }
    let command = text(value, "/tool_input/command");
    call.event = match event.as_str() {
        "PreToolUse" => shell(required(value, "/tool_input/command")?)?,
        // PostToolUse fires only when the tool succeeded; Bash's response carries no exit code.
        "PostToolUse" => {
            let interrupted = value.pointer("/tool_response/interrupted").and_then(Value::as_bool);
            let code = ["/tool_response/exit_code", "/tool_response/returnCode"]
                .iter()
                .find_map(|pointer| exit_code(value, pointer));
            let (exit_code, detail) = match (interrupted, code) {
                (Some(true), _) => (code, "interrupted"),
                (_, Some(code)) => (Some(code), "ran"),
                _ => (Some(0), "succeeded"),
            };
            Event::ShellEnded { command, exit_code, detail: detail.into(), duration_ms: None }
        }
        "PostToolUseFailure" => {
            let error = text(value, "/error").unwrap_or_default();
            let interrupted = value.pointer("/is_interrupt").and_then(Value::as_bool) == Some(true);
            let detail = if interrupted { "interrupted" } else { "failed" };
            Event::ShellEnded {
                command,
                exit_code: exit_code_in(&error),
                detail: detail.into(),
                duration_ms: None,
            }
        }
        other => {
            return Err(HookError(format!(
                "hook event {other:?} is not one gate answers (PreToolUse, PostToolUse, PostToolUseFailure)"
            )));
        }
    };
    Ok(call)
}

/// Claude Code's Bash failures begin "Exit code N".
fn exit_code_in(error: &str) -> Option<i32> {
    let rest = error.trim_start().strip_prefix("Exit code ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

pub(super) fn answer(answer: &Answer) -> Reply {
    let (decision, reason) = match answer {
        Answer::Allow(reason) => ("allow", reason),
        Answer::Deny(reason) => ("deny", reason),
        Answer::Ask(reason) => ("ask", reason),
        Answer::Nothing => return Reply::nothing(),
    };
    Reply::json(json!({
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": decision,
            "permissionDecisionReason": reason,
        }
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn exit_codes_in_failures() {
        let cases = [
            ("Exit code 1\nls: cannot access", Some(1)),
            ("Exit code 127", Some(127)),
            ("Command timed out", None),
            ("", None),
        ];
        for (error, expected) in cases {
            assert_eq!(super::exit_code_in(error), expected, "{error:?}");
        }
    }
}
