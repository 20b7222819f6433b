//! The Slack channel: a Block Kit message with Approve and Deny buttons in the configured
//! channel (and, optionally, a direct message to each eligible approver), updated in every copy
//! as approvals arrive and when the request ends.
//!
//! Posts and updates run one after another on one task per channel, so a message is never
//! updated before it is posted nor an old state written over a newer one, and a Slack outage
//! delays nothing but this channel. Where each copy was posted is kept in the broker's store, so
//! a restart loses no copy. Clicks arrive over HTTP (`POST /v1/slack/interactivity`,
//! [`crate::broker::http`]) or over Socket Mode ([`socket`]); both go through [`interaction`].

pub mod api;
pub mod interaction;
pub mod message;
pub mod socket;
pub mod verify;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Channel, Notice};
use crate::approval::wire::State;
use crate::broker::config::{Person, Slack};
use crate::broker::store::Store;
use api::{Api, Body};
use message::Names;

/// How long a final update is retried after the request ended.
const UPDATE_WINDOW: Duration = Duration::from_secs(120);

/// A person as Slack knows them.
#[derive(Clone, Debug)]
pub struct SlackPerson {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// `(team, user)`; no team matches any workspace.
    pub slack: Option<(Option<String>, String)>,
}

impl SlackPerson {
    pub fn from_config(person: &Person) -> SlackPerson {
        let slack = person.slack.as_deref().map(|text| match text.split_once('/') {
            Some((team, user)) => (Some(team.to_string()), user.to_string()),
            None => (None, text.to_string()),
        });
        SlackPerson { id: person.id.clone(), name: person.name.clone(), email: person.email.clone(), slack }
    }
}

struct People<'a>(&'a [SlackPerson]);

impl Names for People<'_> {
    fn mention(&self, person: &str) -> String {
        match self.0.iter().find(|p| p.id == person) {
            Some(SlackPerson { slack: Some((_, user)), .. }) => format!("<@{user}>"),
            Some(SlackPerson { name: Some(name), .. }) => message::escape(name),
            _ => message::escape(person),
        }
    }
}

/// A posted copy of a request's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posted {
    pub channel: String,
    pub ts: String,
}

enum Job {
    Post(Notice),
    Update(Notice),
}

pub struct SlackChannel {
    pub name: String,
    pub config: Slack,
    pub people: Vec<SlackPerson>,
    pub api: Api,
    jobs: OnceLock<mpsc::UnboundedSender<Job>>,
    /// Where the copies of each message are kept (the broker's store), so they are updated after
    /// a restart too.
    store: Arc<dyn Store>,
    /// Clicks already handled (by user, action time and button), so a replay does nothing.
    seen: Mutex<HashMap<String, i64>>,
}

impl SlackChannel {
    pub fn new(name: &str, config: Slack, people: &[Person], store: Arc<dyn Store>) -> SlackChannel {
        SlackChannel {
            name: name.to_string(),
            api: Api::new(&config.api_url),
            config,
            people: people.iter().map(SlackPerson::from_config).collect(),
            jobs: OnceLock::new(),
            store,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// The channel name recorded with a decision made here.
    pub fn decision_channel(&self) -> String {
        format!("slack:{}", self.name)
    }

    fn names(&self) -> People<'_> {
        People(&self.people)
    }

    /// Notes a click; false when it was seen before (a replay, or Slack retrying).
    pub fn first_time(&self, key: &str, now: i64) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        // A replay older than the signature window is refused anyway: forget those.
        seen.retain(|_, at| now - *at <= 2 * verify::WINDOW);
        seen.insert(key.to_string(), now).is_none()
    }

    fn queue(self: &Arc<Self>, job: Job) {
        let sender = self.jobs.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            tokio::spawn(work(self.clone(), receiver));
            sender
        });
        let _ = sender.send(job);
    }

    /// Where a new request's message goes: the channel, and the eligible approvers' DMs.
    fn targets(&self, notice: &Notice) -> Vec<String> {
        let mut targets: Vec<String> = self.config.channel.iter().cloned().collect();
        if self.config.dm_approvers {
            let eligible =
                |id: &str| notice.eligible.as_ref().is_none_or(|list| list.iter().any(|p| p == id));
            for person in self.people.iter().filter(|p| eligible(&p.id)) {
                if let Some((_, user)) = &person.slack {
                    targets.push(user.clone());
                }
            }
        }
        targets
    }

    async fn post(&self, notice: Notice) {
        let until = Instant::now()
            + Duration::from_secs((notice.deadline - crate::broker::unix_now()).clamp(1, 3600) as u64);
        let body = message::message(&notice, &self.names(), crate::broker::unix_now());
        for target in self.targets(&notice) {
            let mut request = body.clone();
            request["channel"] = json!(target);
            request["unfurl_links"] = json!(false);
            request["unfurl_media"] = json!(false);
            match self.api.call("chat.postMessage", &self.config.bot_token, Body::Json(&request), until).await
            {
                Ok(answer) => {
                    // A DM lands in a channel of its own (D…), which the answer names.
                    let channel = answer["channel"].as_str().unwrap_or(&target);
                    let Some(ts) = answer["ts"].as_str() else {
                        self.log(&notice.id, "chat.postMessage answered without a ts: it cannot be updated");
                        continue;
                    };
                    self.remember(&notice.id, Posted { channel: channel.to_string(), ts: ts.to_string() })
                        .await;
                }
                Err(error) => self.log(&notice.id, &error.to_string()),
            }
        }
    }

    /// Brings every copy of a request's message to `notice`'s state.
    async fn update(&self, notice: Notice) {
        let (store, id, name) = (self.store.clone(), notice.id.clone(), self.name.clone());
        let posted = tokio::task::spawn_blocking(move || store.messages(&id, &name)).await;
        let posted = match posted {
            Ok(Ok(posted)) => posted,
            Ok(Err(error)) => return self.log(&notice.id, &format!("its copies cannot be read: {error}")),
            Err(error) => return self.log(&notice.id, &format!("its copies cannot be read: {error}")),
        };
        for (channel, ts) in posted {
            self.update_one(&notice, &Posted { channel, ts }).await;
        }
    }

    /// Keeps a copy of a request's message (posted, or found in a click), so updates reach it.
    pub async fn remember(&self, id: &str, copy: Posted) {
        let (store, id, name) = (self.store.clone(), id.to_string(), self.name.clone());
        let saved =
            tokio::task::spawn_blocking(move || store.add_message(&id, &name, &copy.channel, &copy.ts)).await;
        if let Ok(Err(error)) = saved {
            eprintln!("gate serve: slack {}: a message's copy cannot be kept: {error}", self.name);
        }
    }

    async fn update_one(&self, notice: &Notice, copy: &Posted) {
        let mut body = message::message(notice, &self.names(), crate::broker::unix_now());
        body["channel"] = json!(copy.channel);
        body["ts"] = json!(copy.ts);
        let until = Instant::now() + UPDATE_WINDOW;
        if let Err(error) =
            self.api.call("chat.update", &self.config.bot_token, Body::Json(&body), until).await
        {
            self.log(&notice.id, &error.to_string());
        }
    }

    /// A message only `user` sees, in `channel`.
    pub async fn ephemeral(&self, channel: &str, user: &str, text: &str) {
        let body = json!({"channel": channel, "user": user, "text": text});
        if let Err(error) = self
            .api
            .call_once("chat.postEphemeral", &self.config.bot_token, Body::Json(&body), api::CALL_TIMEOUT)
            .await
        {
            eprintln!("gate serve: slack {}: {error}", self.name);
        }
    }

    /// Opens a modal for `trigger_id`; false when Slack would not.
    pub async fn open_view(&self, trigger_id: &str, view: Value) -> bool {
        let body = json!({"trigger_id": trigger_id, "view": view});
        match self
            .api
            .call_once("views.open", &self.config.bot_token, Body::Json(&body), api::CLICK_TIMEOUT)
            .await
        {
            Ok(_) => true,
            Err(error) => {
                eprintln!("gate serve: slack {}: {error}", self.name);
                false
            }
        }
    }

    /// The verified email of a Slack user, from `users.info` (needs `users:read.email`).
    pub async fn verified_email(&self, user: &str) -> Option<String> {
        let fields = [("user", user)];
        let answer = self
            .api
            .call_once("users.info", &self.config.bot_token, Body::Form(&fields), api::CALL_TIMEOUT)
            .await;
        let answer = answer.map_err(|error| eprintln!("gate serve: slack {}: {error}", self.name)).ok()?;
        let user = &answer["user"];
        // Slack says whether the address was confirmed; an unconfirmed one proves nothing.
        if user["is_email_confirmed"] == json!(false) {
            return None;
        }
        user["profile"]["email"].as_str().filter(|email| !email.is_empty()).map(str::to_string)
    }

    fn log(&self, id: &str, problem: &str) {
        eprintln!("gate serve: slack {}: request {id}: {problem}", self.name);
    }
}

async fn work(channel: Arc<SlackChannel>, mut jobs: mpsc::UnboundedReceiver<Job>) {
    while let Some(job) = jobs.recv().await {
        match job {
            Job::Post(notice) => channel.post(notice).await,
            Job::Update(notice) => channel.update(notice).await,
        }
    }
}

/// The channel as the broker's core sees it.
pub struct SlackNotifier(pub Arc<SlackChannel>);

impl Channel for SlackNotifier {
    fn name(&self) -> &str {
        &self.0.name
    }

    fn notify_requested(&self, notice: Notice) {
        self.0.queue(Job::Post(notice));
    }

    fn notify_decided(&self, notice: Notice) {
        self.0.queue(Job::Update(notice));
    }

    fn notify_progress(&self, notice: Notice) {
        if notice.state == State::Pending {
            self.0.queue(Job::Update(notice));
        }
    }
}
