//! The state every handler shares: the configuration, the store, the signing key, the token
//! table, the channels, and the in-process notifier that wakes long polls when a request
//! becomes final (the store stays the source of truth, so polls survive a restart).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use tokio::sync::watch;

use super::ApiError;
use crate::broker::channels::slack::{SlackChannel, SlackNotifier};
use crate::broker::channels::teams::TeamsChannel;
use crate::broker::channels::webhook::WebhookChannel;
use crate::broker::channels::{Channel, Notice};
use crate::broker::config::{ChannelKind, Config};
use crate::broker::signing::DecisionSigner;
use crate::broker::store::{Store, StoredRequest};

/// Who a bearer token proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    Host(String),
    Person(String),
    /// A channel's receiver, which may decide on behalf of a person.
    Integration(String),
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub signer: DecisionSigner,
    /// SHA-256 of each token: a lookup compares digests, never the tokens themselves.
    tokens: HashMap<[u8; 32], Identity>,
    channels: Vec<Box<dyn Channel>>,
    /// The Slack channels again, for the clicks that come back.
    slack: Vec<Arc<SlackChannel>>,
    waiters: Mutex<HashMap<String, watch::Sender<()>>>,
    pub stopped: watch::Receiver<bool>,
}

pub fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl AppState {
    pub fn new(
        config: Config,
        store: Arc<dyn Store>,
        signer: DecisionSigner,
        stopped: watch::Receiver<bool>,
    ) -> AppState {
        let mut tokens = HashMap::new();
        for host in &config.hosts {
            tokens.insert(digest(host.token.expose()), Identity::Host(host.name.clone()));
        }
        for person in &config.people {
            if let Some(token) = &person.token {
                tokens.insert(digest(token.expose()), Identity::Person(person.id.clone()));
            }
        }
        let mut channels: Vec<Box<dyn Channel>> = Vec::new();
        let mut slack = Vec::new();
        for channel in &config.channels {
            if let Some(token) = &channel.token {
                tokens.insert(digest(token.expose()), Identity::Integration(channel.name.clone()));
            }
            match &channel.kind {
                ChannelKind::Webhook { url, secret } => {
                    channels.push(Box::new(WebhookChannel::new(&channel.name, url.clone(), secret.clone())))
                }
                ChannelKind::Slack(settings) => {
                    let channel = Arc::new(SlackChannel::new(
                        &channel.name,
                        settings.clone(),
                        &config.people,
                        store.clone(),
                    ));
                    channels.push(Box::new(SlackNotifier(channel.clone())));
                    slack.push(channel);
                }
                ChannelKind::Teams { url } => {
                    channels.push(Box::new(TeamsChannel::new(&channel.name, url.clone(), &config.people)))
                }
            }
        }
        AppState(Arc::new(Inner {
            config,
            store,
            signer,
            tokens,
            channels,
            slack,
            waiters: Mutex::new(HashMap::new()),
            stopped,
        }))
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }

    pub fn inner(&self) -> &Inner {
        &self.0
    }

    pub fn identify(&self, token: &str) -> Option<Identity> {
        self.0.tokens.get(&digest(token)).cloned()
    }

    /// Runs blocking store work off the runtime's thread.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let inner = self.0.clone();
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(|error| ApiError::Internal(format!("a store task failed: {error}")))
    }

    /// A receiver that changes when `id` becomes final.
    pub fn watch(&self, id: &str) -> watch::Receiver<()> {
        let mut waiters = self.0.waiters.lock().unwrap_or_else(|p| p.into_inner());
        waiters.entry(id.to_string()).or_insert_with(|| watch::channel(()).0).subscribe()
    }

    /// Wakes the long polls of a request that became final and tells its channels.
    pub fn finished(&self, request: &StoredRequest) {
        let waiter = self.0.waiters.lock().unwrap_or_else(|p| p.into_inner()).remove(&request.id);
        if let Some(sender) = waiter {
            sender.send_replace(());
        }
        for channel in self.channels_for(request) {
            channel.notify_decided(Notice::new(request, &self.0.config.public_url));
        }
    }

    /// Tells the channels that an approval counted and the request still waits for more.
    pub fn progressed(&self, request: &StoredRequest) {
        for channel in self.channels_for(request) {
            channel.notify_progress(Notice::new(request, &self.0.config.public_url));
        }
    }

    /// The configured Slack channels.
    pub fn slack(&self) -> &[Arc<SlackChannel>] {
        &self.0.slack
    }

    /// Tells a new request's channels.
    pub fn requested(&self, request: &StoredRequest) {
        for channel in self.channels_for(request) {
            channel.notify_requested(Notice::new(request, &self.0.config.public_url));
        }
    }

    fn channels_for<'a>(&'a self, request: &'a StoredRequest) -> impl Iterator<Item = &'a dyn Channel> {
        self.0.channels.iter().map(|channel| channel.as_ref()).filter(move |channel| {
            request.plan.channels.as_ref().is_none_or(|names| names.iter().any(|name| name == channel.name()))
        })
    }

    /// Expires what is due, waking its polls.
    pub async fn expire_due(&self) {
        let now = crate::broker::unix_now();
        match self.run(move |inner| inner.store.expire_due(now, &crate::broker::rfc3339_now())).await {
            Ok(Ok(expired)) => expired.iter().for_each(|request| self.finished(request)),
            Ok(Err(error)) => eprintln!("gate serve: expiring requests failed: {error}"),
            Err(error) => eprintln!("gate serve: expiring requests failed: {error:?}"),
        }
    }
}
