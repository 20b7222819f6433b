//! Posting JSON to a webhook: the one place gate speaks HTTP. The client (reqwest over rustls,
//! with ring as its cryptography) is built per post, so a command that posts nothing never
//! starts one. A webhook's URL is often its secret (Slack's and Teams' are), so messages name
//! only its scheme and host.

use std::time::Duration;

/// How long one post may take, connecting included.
pub const TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("{url:?} is not an http:// or https:// URL")]
    BadUrl { url: String },
    #[error("posting to {target} failed: {reason}")]
    Failed { target: String, reason: String },
    #[error("{target} answered {status}")]
    Refused { target: String, status: u16 },
}

/// A webhook's URL, checked: http or https, with a host.
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    url: reqwest::Url,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook").field("target", &self.target()).finish()
    }
}

impl Webhook {
    pub fn parse(url: &str) -> Result<Webhook, WebhookError> {
        let bad = || WebhookError::BadUrl { url: redact(url) };
        let parsed = reqwest::Url::parse(url).map_err(|_| bad())?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(bad());
        }
        Ok(Webhook { url: parsed })
    }

    /// The whole URL, for the broker's own client; never for messages.
    pub fn url(&self) -> &reqwest::Url {
        &self.url
    }

    /// The scheme and host (and port), for messages: never the path, which may hold a token.
    pub fn target(&self) -> String {
        let port = self.url.port().map(|p| format!(":{p}")).unwrap_or_default();
        format!("{}://{}{port}/…", self.url.scheme(), self.url.host_str().unwrap_or(""))
    }

    /// POSTs `body` as JSON; success is a 2xx answer within `timeout`. Redirects are not
    /// followed: a webhook that moved is an error to fix, not a place to send a note unseen.
    pub fn post_json(&self, body: &serde_json::Value, timeout: Duration) -> Result<(), WebhookError> {
        let failed =
            |error: reqwest::Error| WebhookError::Failed { target: self.target(), reason: reason(error) };
        // Installing fails only when a provider is installed already, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(failed)?;
        let response = client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .map_err(failed)?;
        let status = response.status();
        if !status.is_success() {
            return Err(WebhookError::Refused { target: self.target(), status: status.as_u16() });
        }
        Ok(())
    }
}

/// An error and its causes on one line ("error sending request" alone says nothing), without
/// the URL.
pub(crate) fn reason(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut reason = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        let text = inner.to_string();
        if !reason.contains(&text) {
            reason = format!("{reason}: {text}");
        }
        cause = inner.source();
    }
    reason
}

/// What of a URL that did not parse is safe to show: up to its host.
fn redact(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => format!("{}/…", &url[..after_scheme + slash]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_with_a_host_are_webhooks() {
        for good in ["http://127.0.0.1:8080/hook", "https://hooks.example.com/services/T0/B0/xyz"] {
            assert!(Webhook::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "hooks.example.com/x",
            "ftp://example.com/x",
            "file:///etc/passwd",
            "http://",
            "mailto:a@example.com",
        ] {
            assert!(matches!(Webhook::parse(bad), Err(WebhookError::BadUrl { .. })), "{bad}");
        }
    }

    #[test]
    fn messages_never_show_the_path_of_a_url() {
        let hook = Webhook::parse("https://hooks.example.com:8443/services/SECRET").unwrap();
        assert_eq!(hook.target(), "https://hooks.example.com:8443/…");
        assert!(!format!("{hook:?}").contains("SECRET"));
        let error = Webhook::parse("htps://hooks.example.com/services/SECRET").unwrap_err();
        assert!(!error.to_string().contains("SECRET"), "{error}");
    }
}
