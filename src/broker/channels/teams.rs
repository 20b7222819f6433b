//! The Microsoft Teams channel: an Adaptive Card (1.4) posted to a Workflows webhook ("When a
//! Teams webhook request is received"), with the request's fields and an `Action.OpenUrl` to the
//! approval page, where the approver signs in with the organisation's identity provider and
//! decides. A follow-up card is posted when the request is decided, expires or is withdrawn.
//!
//! Untrusted text (the command, reason, directory…) goes in `TextRun`s, which Teams shows as
//! written: no Markdown, so a `[docs](https://evil)` in a command is not a link. Posts run one
//! after another on one task; 429 and 5xx are retried with backoff (a `Retry-After` is
//! honoured) until the request's deadline; a card stays under Teams' 28 KB message limit. The
//! workflow URL is a secret: messages name its scheme and host only.

use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Channel, Notice};
use crate::approval::wire::State;
use crate::webhook::Webhook;

/// Teams refuses messages over about 28 KB; the card is kept under this many bytes.
pub const MESSAGE_LIMIT: usize = 27 * 1024;
const POST_TIMEOUT: Duration = Duration::from_secs(10);
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// How long a follow-up card is retried.
const DECIDED_WINDOW: Duration = Duration::from_secs(120);

pub struct TeamsChannel {
    name: String,
    url: Webhook,
    client: reqwest::Client,
    /// Person id → display name.
    names: Vec<(String, String)>,
    jobs: OnceLock<mpsc::UnboundedSender<(Value, Instant, String)>>,
}

impl TeamsChannel {
    pub fn new(name: &str, url: Webhook, people: &[crate::broker::config::Person]) -> TeamsChannel {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(POST_TIMEOUT)
            .connect_timeout(POST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gate-broker/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a client with rustls and ring builds");
        let names =
            people.iter().map(|p| (p.id.clone(), p.name.clone().unwrap_or_else(|| p.id.clone()))).collect();
        TeamsChannel { name: name.to_string(), url, client, names, jobs: OnceLock::new() }
    }

    fn name_of(&self, person: &str) -> String {
        self.names.iter().find(|(id, _)| id == person).map_or_else(|| person.to_string(), |(_, n)| n.clone())
    }

    fn queue(&self, body: Value, until: Instant, id: String) {
        let sender = self.jobs.get_or_init(|| {
            let (sender, mut receiver) = mpsc::unbounded_channel::<(Value, Instant, String)>();
            let (client, url, name) = (self.client.clone(), self.url.clone(), self.name.clone());
            tokio::spawn(async move {
                while let Some((body, until, id)) = receiver.recv().await {
                    post(&client, &url, &name, &body, until, &id).await;
                }
            });
            sender
        });
        let _ = sender.send((body, until, id));
    }

    /// The status line of a request that someone answered, or that ended.
    fn status(&self, notice: &Notice) -> Option<String> {
        let approvers: Vec<String> =
            notice.approvals.iter().take(notice.approved()).map(|s| self.name_of(&s.person)).collect();
        let count = format!("({} of {})", notice.approved(), notice.quorum);
        Some(match notice.state {
            State::Pending => return None,
            State::Approved => format!("Approved by {} {count}", approvers.join(", ")),
            State::Denied => {
                let denier = notice.approvals.last()?;
                let reason = denier.comment.as_deref().map(|c| format!(": {c}")).unwrap_or_default();
                format!("Denied by {}{reason}", self.name_of(&denier.person))
            }
            State::Expired => "Expired: nobody decided in time".into(),
            State::Withdrawn if notice.note.as_deref() == Some("answered on the terminal") => {
                "Answered on the terminal".into()
            }
            State::Withdrawn => "Withdrawn by its host".into(),
        })
    }
}

/// Untrusted text as Teams shows it: a `TextRun` (no Markdown); `{{` would start a date function.
fn run(text: &str, monospace: bool) -> Value {
    let text = text.replace("{{", "{\u{200b}{");
    let mut run = json!({"type": "TextRun", "text": text});
    if monospace {
        run["fontType"] = json!("Monospace");
    }
    run
}

fn field(label: &str, value: &str, monospace: bool) -> Value {
    json!({"type": "RichTextBlock", "inlines": [
        {"type": "TextRun", "text": format!("{label}: "), "weight": "Bolder"},
        run(value, monospace),
    ]})
}

fn cut(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} more bytes, open the page)", &text[..end], text.len() - end)
}

/// The Workflows message for a request: `{"type": "message", "attachments": [card]}`, with the
/// command cut to `limit` bytes.
pub fn card(notice: &Notice, status: Option<&str>, limit: usize) -> Value {
    let title = match status {
        None => "gate: a command waits for approval".to_string(),
        Some(status) => format!("gate: {status}"),
    };
    let mut body = vec![
        json!({"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": title, "weight": "Bolder", "size": "Medium"}]}),
        json!({"type": "RichTextBlock", "inlines": [run(&cut(&notice.command, limit), true)]}),
    ];
    body.push(field("Rule", notice.rule.as_deref().unwrap_or("(none: the policy's default)"), true));
    body.push(field("Reason", &notice.reason, false));
    body.push(field("Host", &notice.host, false));
    body.push(field("User", &notice.user, false));
    body.push(field("Directory", &notice.cwd, true));
    let progress = format!("Approvals: {} of {}", notice.approved(), notice.quorum);
    body.push(json!({"type": "TextBlock", "text": progress, "isSubtle": true, "wrap": true}));
    let action = if notice.state == State::Pending { "Open to approve or deny" } else { "Open the request" };
    let content = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": action, "url": notice.url}],
    });
    json!({"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive",
        "contentUrl": null,
        "content": content,
    }]})
}

/// The card for `notice`, its command cut until the whole message fits Teams' limit.
pub fn fitted(notice: &Notice, status: Option<&str>) -> Value {
    let mut limit = 4000;
    loop {
        let card = card(notice, status, limit);
        if card.to_string().len() <= MESSAGE_LIMIT || limit == 0 {
            return card;
        }
        limit /= 2;
    }
}

async fn post(client: &reqwest::Client, url: &Webhook, name: &str, body: &Value, until: Instant, id: &str) {
    let body = body.to_string();
    let mut pause = FIRST_BACKOFF;
    loop {
        let result = client
            .post(url.url().clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.clone())
            .send()
            .await;
        let (problem, wait) = match result {
            Ok(response) if response.status().is_success() => return,
            Ok(response) if response.status().as_u16() == 429 || response.status().is_server_error() => {
                let after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
                (format!("answered {}", response.status().as_u16()), after.unwrap_or(pause))
            }
            Ok(response) => {
                eprintln!(
                    "gate serve: teams {name} ({}): request {id}: answered {}; giving up",
                    url.target(),
                    response.status().as_u16()
                );
                return;
            }
            Err(error) => (crate::webhook::reason(error), pause),
        };
        let last = Instant::now() + wait > until;
        eprintln!(
            "gate serve: teams {name} ({}): request {id}: {problem}{}",
            url.target(),
            if last { "; giving up" } else { "; will retry" }
        );
        if last {
            return;
        }
        tokio::time::sleep(wait).await;
        pause = (pause * 2).min(Duration::from_secs(30));
    }
}

impl Channel for TeamsChannel {
    fn name(&self) -> &str {
        &self.name
    }

    fn notify_requested(&self, notice: Notice) {
        let left = (notice.deadline - crate::broker::unix_now()).clamp(1, 3600) as u64;
        self.queue(fitted(&notice, None), Instant::now() + Duration::from_secs(left), notice.id.clone());
    }

    fn notify_decided(&self, notice: Notice) {
        let status = self.status(&notice);
        self.queue(fitted(&notice, status.as_deref()), Instant::now() + DECIDED_WINDOW, notice.id.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(command: &str) -> Notice {
        Notice {
            id: "ab".into(),
            command: command.into(),
            rule: None,
            reason: "see [docs](https://evil.example) {{DATE(2017-02-14T06:08:39Z)}}".into(),
            host: "build-7".into(),
            user: "alice".into(),
            cwd: "/srv".into(),
            deadline: 0,
            quorum: 1,
            state: State::Pending,
            approvals: Vec::new(),
            url: "https://gate.example.com/r/ab".into(),
            decide_url: String::new(),
            eligible: None,
            note: None,
        }
    }

    #[test]
    fn untrusted_text_is_in_text_runs_and_the_button_opens_the_page() {
        let card = fitted(&notice("echo hi"), None);
        let content = &card["attachments"][0]["content"];
        assert_eq!(
            (content["type"].as_str(), content["version"].as_str()),
            (Some("AdaptiveCard"), Some("1.4"))
        );
        let reason =
            content["body"].as_array().unwrap().iter().find(|b| b.to_string().contains("evil")).unwrap();
        assert_eq!(reason["type"], "RichTextBlock");
        assert_eq!(
            reason["inlines"][1]["text"],
            "see [docs](https://evil.example) {\u{200b}{DATE(2017-02-14T06:08:39Z)}}"
        );
        assert_eq!(content["actions"][0]["type"], "Action.OpenUrl");
        assert_eq!(content["actions"][0]["url"], "https://gate.example.com/r/ab");
    }

    #[test]
    fn a_huge_command_is_cut_to_fit_the_message_limit() {
        for size in [10, 5_000, 30_000, 200_000] {
            let card = fitted(&notice(&"é".repeat(size)), Some("Expired: nobody decided in time"));
            assert!(card.to_string().len() <= MESSAGE_LIMIT, "{size}");
            let command =
                card["attachments"][0]["content"]["body"][1]["inlines"][0]["text"].as_str().unwrap();
            assert_eq!(command.ends_with("more bytes, open the page)"), size * 2 > 4000, "{size}");
        }
    }
}
