//! The Slack message of a request, in Block Kit: the command in a code block, the rule, reason,
//! host, user, directory and time left, a link to the approval page and, while it is pending,
//! Approve and Deny buttons whose values carry the request id.
//!
//! Everything shown comes from a [`Notice`]: secrets already masked and control characters
//! already escaped. Here `&`, `<` and `>` are escaped as Slack asks, so an injected `<!channel>`,
//! `<@U…>` or `<https://evil|docs>` is shown as text and never obeyed; a long command is cut.

use serde_json::{Value, json};

use crate::approval::wire::State;
use crate::broker::channels::Notice;

pub const APPROVE: &str = "gate_approve";
pub const DENY: &str = "gate_deny";
/// The deny modal's `callback_id`, and its reason input's block and action ids.
pub const DENY_VIEW: &str = "gate_deny_reason";
pub const REASON: &str = "reason";

/// The most of a command's bytes a message shows (a section's text may hold 3,000 characters,
/// and each `<` becomes `&lt;`).
pub const COMMAND_LIMIT: usize = 700;
/// The most of any other field (a field may hold 2,000).
const FIELD_LIMIT: usize = 400;

/// Escapes what Slack's mrkdwn reads as markup: `&`, `<`, `>`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` cut to at most `limit` bytes at a character boundary, and how many bytes were left out.
fn cut(text: &str, limit: usize) -> (&str, usize) {
    if text.len() <= limit {
        return (text, 0);
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], text.len() - end)
}

/// The command as a code block, cut to [`COMMAND_LIMIT`] bytes with a note of the rest.
pub fn command_block(command: &str) -> String {
    let (shown, rest) = cut(command, COMMAND_LIMIT);
    // A "```" inside the command would close the block early: a zero-width space keeps it open.
    let shown = escape(shown).replace("```", "`\u{200b}`\u{200b}`");
    let more = if rest > 0 { format!("\n… ({rest} more bytes, open the page)") } else { String::new() };
    format!("```{shown}```{more}")
}

fn field(name: &str, value: &str) -> Value {
    let (shown, rest) = cut(value, FIELD_LIMIT);
    let more = if rest > 0 { "…" } else { "" };
    json!({"type": "mrkdwn", "text": format!("*{name}*\n{}{more}", escape(shown))})
}

/// "2 min 5 s", for the time left.
pub fn duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    match (seconds / 60, seconds % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

/// How a person is named in a message: a mention when their Slack id is known.
pub trait Names {
    fn mention(&self, person: &str) -> String;
}

/// The line that says where a request stands, once someone answered or it ended.
pub fn status_line(notice: &Notice, names: &dyn Names) -> Option<String> {
    let approved = notice.approvals.iter().take(notice.approved());
    let by = approved.map(|signer| names.mention(&signer.person)).collect::<Vec<_>>().join(", ");
    let count = format!("({} of {})", notice.approved(), notice.quorum);
    Some(match notice.state {
        State::Pending if notice.approvals.is_empty() => return None,
        State::Pending => format!(":hourglass_flowing_sand: Approved by {by} {count}: waiting for more"),
        State::Approved => format!(":white_check_mark: Approved by {by} {count}"),
        State::Denied => {
            let denier = notice.approvals.last().expect("a denied request has its deny");
            let reason = denier.comment.as_deref().map(|c| format!(": {}", escape(cut(c, FIELD_LIMIT).0)));
            format!(":no_entry: Denied by {}{}", names.mention(&denier.person), reason.unwrap_or_default())
        }
        State::Expired => ":hourglass: Expired: nobody decided in time".to_string(),
        State::Withdrawn if notice.note.as_deref() == Some("answered on the terminal") => {
            ":keyboard: Answered on the terminal".to_string()
        }
        State::Withdrawn => format!(
            ":leftwards_arrow_with_hook: Withdrawn by its host{}",
            notice.note.as_deref().map(|n| format!(": {}", escape(n))).unwrap_or_default()
        ),
    })
}

/// The message for a request as it stands: `{"text", "blocks"}`, ready for `chat.postMessage`
/// or `chat.update`. `now` is Unix seconds.
pub fn message(notice: &Notice, names: &dyn Names, now: i64) -> Value {
    let mut fields = vec![
        field("Rule", notice.rule.as_deref().unwrap_or("(none: the policy's default)")),
        field("Reason", &notice.reason),
        field("Host", &notice.host),
        field("User", &notice.user),
        field("Directory", &notice.cwd),
    ];
    if notice.state == State::Pending {
        fields.push(json!({"type": "mrkdwn", "text": format!(
            "*Time left*\n{} (until <!date^{}^{{time}}|{}>)",
            duration(notice.deadline - now),
            notice.deadline,
            humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(notice.deadline.max(0) as u64)
            ),
        )}));
    }
    let title = match notice.state {
        State::Pending => "gate: a command waits for approval",
        _ => "gate: a command's approval",
    };
    let mut blocks = vec![
        json!({"type": "section", "block_id": "title", "text": {"type": "mrkdwn", "text": format!("*{title}*")}}),
        json!({"type": "section", "block_id": "command", "text": {"type": "mrkdwn", "text": command_block(&notice.command)}}),
        json!({"type": "section", "block_id": "details", "fields": fields}),
    ];
    let status = status_line(notice, names);
    if let Some(status) = &status {
        blocks.push(
            json!({"type": "section", "block_id": "status", "text": {"type": "mrkdwn", "text": status}}),
        );
    }
    let progress = format!("Approvals: {} of {}", notice.approved(), notice.quorum);
    blocks.push(json!({"type": "context", "block_id": "link", "elements": [{"type": "mrkdwn", "text":
        format!("{progress} · <{}|Open the approval page>", escape(&notice.url))}]}));
    if notice.state == State::Pending {
        blocks.push(json!({"type": "actions", "block_id": "gate", "elements": [
            {"type": "button", "action_id": APPROVE, "style": "primary", "value": notice.id,
             "text": {"type": "plain_text", "text": "Approve"}},
            {"type": "button", "action_id": DENY, "style": "danger", "value": notice.id,
             "text": {"type": "plain_text", "text": "Deny"}},
        ]}));
    }
    let (short, rest) = cut(&notice.command, 150);
    let ellipsis = if rest > 0 { "…" } else { "" };
    let head = match &status {
        Some(status) => status.clone(),
        None => "gate: approval needed".to_string(),
    };
    let text = format!("{head}: `{}{ellipsis}` on {}", escape(short), escape(&notice.host));
    json!({"text": text, "blocks": blocks})
}

/// The modal that asks a denier for an optional reason; `metadata` comes back with the answer.
pub fn deny_view(metadata: &str) -> Value {
    json!({
        "type": "modal",
        "callback_id": DENY_VIEW,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "Deny the command"},
        "submit": {"type": "plain_text", "text": "Deny"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [{
            "type": "input", "block_id": REASON, "optional": true,
            "label": {"type": "plain_text", "text": "Reason (optional)"},
            "element": {"type": "plain_text_input", "action_id": REASON, "multiline": true, "max_length": 1000},
        }],
    })
}

#[cfg(test)]
mod tests;
