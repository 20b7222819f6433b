//! The generic webhook channel: POSTs a JSON event for each new request and each final state,
//! signed `X-Gate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`.
//! Retries with exponential backoff up to the request's deadline; redirects are not followed;
//! messages name the webhook by scheme://host:port only, since its path may be a secret.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{Channel, Notice};
use crate::broker::config::Secret;
use crate::webhook::Webhook;

/// How long one post may take, connecting included.
const POST_TIMEOUT: Duration = Duration::from_secs(5);
/// The first pause between tries; it doubles each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_TRIES: u32 = 6;
/// How long a final-state event is retried (its request's deadline may have passed already).
const DECIDED_WINDOW: Duration = Duration::from_secs(60);

pub const REQUESTED: &str = "gate.approval.requested";
pub const DECIDED: &str = "gate.approval.decided";

pub struct WebhookChannel {
    name: String,
    url: Webhook,
    secret: Secret,
    client: reqwest::Client,
}

impl WebhookChannel {
    pub fn new(name: &str, url: Webhook, secret: Secret) -> WebhookChannel {
        // Installing fails only when a provider is installed already, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(POST_TIMEOUT)
            .connect_timeout(POST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gate-broker/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a client with rustls and ring builds");
        WebhookChannel { name: name.to_string(), url, secret, client }
    }

    fn send(&self, kind: &'static str, notice: Notice, until: SystemTime) {
        let body = serde_json::json!({
            "type": kind,
            "request": notice,
            "url": notice.url,
            "decide_url": notice.decide_url,
        })
        .to_string();
        let (client, secret, url) = (self.client.clone(), self.secret.clone(), self.url.clone());
        let name = self.name.clone();
        tokio::spawn(async move {
            let mut pause = FIRST_BACKOFF;
            for attempt in 1..=MAX_TRIES {
                let t = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
                let result = client
                    .post(url.url().clone())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header("X-Gate-Signature", signature(secret.expose(), t, &body))
                    .body(body.clone())
                    .send()
                    .await;
                let problem = match result {
                    Ok(response) if response.status().is_success() => return,
                    Ok(response) => format!("answered {}", response.status().as_u16()),
                    Err(error) => crate::webhook::reason(error),
                };
                let last = attempt == MAX_TRIES || SystemTime::now() + pause >= until;
                eprintln!(
                    "gate serve: webhook {name} ({}): {kind} for {}: {problem}{}",
                    url.target(),
                    notice.id,
                    if last { "; giving up" } else { "; will retry" }
                );
                if last {
                    return;
                }
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
        });
    }
}

/// The `X-Gate-Signature` header's value for `body` sent at `t`.
pub fn signature(secret: &str, t: u64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("t={t},v1={hex}")
}

impl Channel for WebhookChannel {
    fn name(&self) -> &str {
        &self.name
    }

    fn notify_requested(&self, notice: Notice) {
        let until = UNIX_EPOCH + Duration::from_secs(notice.deadline.max(0) as u64);
        self.send(REQUESTED, notice, until);
    }

    fn notify_decided(&self, notice: Notice) {
        self.send(DECIDED, notice, SystemTime::now() + DECIDED_WINDOW);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_t_dot_body() {
        // Computed with Python: hmac.new(b"s3cret", b"1700000000.{}", hashlib.sha256).hexdigest()
        assert_eq!(
            signature("s3cret", 1_700_000_000, "{}"),
            "t=1700000000,v1=97926816e98fbb41ccb1673225ff29a2f35369099990e1b1561651e7bd097ebf"
        );
    }
}
