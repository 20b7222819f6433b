//! The broker's web approval page (`public_url/r/<id>`) and its OpenID Connect sign-in.
//!
//! A bare link proves nothing: until the viewer has signed in, the page shows the request with
//! its secrets masked and no buttons. A signed-in approver sees the exact command behind a
//! "show" control and decides through a CSRF-protected form; the decision goes through the
//! broker's own decision logic (the [`Requests`] it is given), with the channel `web`.
//!
//! The page knows the broker only through [`Requests`], so its routes can be tested on their own
//! and the broker's store stays the only place that changes a request.

pub mod broker;
pub mod csrf;
pub mod jwt;
pub mod oidc;
pub mod page;
mod routes;
pub mod session;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

pub use oidc::{Claim, SignIn};
pub use routes::router;

use crate::approval::signed::Answer;
use crate::approval::wire::{Decided, RequestView};
use jwt::Claims;
use oidc::Oidc;
use session::{Revoked, Secret};

/// The channel name recorded for decisions made on the page.
pub const CHANNEL: &str = "web";

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A decision the broker did not count, with the HTTP status that says why (403 not allowed,
/// 409 already decided, 410 expired, 404 unknown) and a message fit for the person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    pub message: String,
}

/// A request as one viewer may see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    /// As approvers see it: the command masked; `parent` masked too for a viewer not signed in.
    pub view: RequestView,
    /// The exact command (escaped), only for a signed-in viewer.
    pub full_command: Option<String>,
    /// Why the signed-in viewer may not decide it now (decided, expired, not an approver of its
    /// route, their own request); `None` when they may.
    pub cannot_decide: Option<String>,
}

/// What the page needs of the broker.
pub trait Requests: Send + Sync + 'static {
    /// The request with this exact id, as `person` (or a viewer not signed in) may see it.
    /// `Err` is an internal error, already logged.
    fn show<'a>(&'a self, id: &'a str, person: Option<&'a str>) -> BoxFuture<'a, Result<Option<Shown>, ()>>;
    /// Decides as `person` through the channel [`CHANNEL`]: the API's own logic and log.
    fn decide<'a>(
        &'a self,
        id: &'a str,
        person: &'a str,
        answer: Answer,
        comment: Option<String>,
    ) -> BoxFuture<'a, Result<Decided, Refused>>;
}

/// A person as sign-in matches them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub oidc_sub: Option<String>,
}

pub struct WebConfig {
    /// Without a trailing slash.
    pub public_url: String,
    /// `None` when the configuration has no `[sign_in]`: the page is then read-only.
    pub sign_in: Option<SignIn>,
    pub people: Vec<Person>,
    /// The server secret's file (made on first use, 0600), beside the broker's key.
    pub secret_file: PathBuf,
}

/// The page's shared state.
pub struct Web {
    public_url: String,
    origin: String,
    secure: bool,
    oidc: Option<Oidc>,
    claim: Claim,
    people: Vec<Person>,
    secret: Secret,
    revoked: Revoked,
    requests: Arc<dyn Requests>,
}

impl Web {
    pub fn new(config: WebConfig, requests: Arc<dyn Requests>) -> Result<Web, String> {
        let secret = Secret::load_or_create(&config.secret_file).map_err(|error| {
            format!("cannot read or make the session secret {}: {error}", config.secret_file.display())
        })?;
        let claim = config.sign_in.as_ref().map(|s| s.claim).unwrap_or_default();
        let oidc = config.sign_in.map(|sign_in| Oidc::new(sign_in, &config.public_url)).transpose()?;
        Ok(Web {
            origin: csrf::origin_of(&config.public_url),
            secure: config.public_url.starts_with("https://"),
            public_url: config.public_url,
            oidc,
            claim,
            people: config.people,
            secret,
            revoked: Revoked::default(),
            requests,
        })
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }
}

/// The session secret's file for a broker key file: beside it, `<key file>.web-secret`.
pub fn secret_file_for(key: &std::path::Path) -> PathBuf {
    let mut name = key.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "broker.key".into());
    name.push(".web-secret");
    key.with_file_name(name)
}

/// Why a verified sign-in does not make an approver: the login to show, and the reason.
#[derive(Debug, PartialEq, Eq)]
pub struct Unmatched {
    pub login: String,
    pub why: String,
}

/// The configured person a verified ID token names.
pub fn match_person<'a>(
    people: &'a [Person],
    claim: Claim,
    claims: &Claims,
) -> Result<&'a Person, Unmatched> {
    match claim {
        Claim::Email => {
            let Some(email) = claims.text("email").filter(|e| !e.is_empty()) else {
                return Err(Unmatched {
                    login: claims.sub().to_string(),
                    why: "the provider gave no email address (is the `email` scope allowed?)".into(),
                });
            };
            let login = email.to_string();
            if claims.email_verified() == Some(false) {
                return Err(Unmatched {
                    why: format!("the provider has not verified the email address {email}"),
                    login,
                });
            }
            let found =
                people.iter().find(|p| p.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email)));
            found.ok_or(Unmatched { why: "no [[people]] entry has this email".into(), login })
        }
        Claim::Sub => {
            let sub = claims.sub();
            let found = people.iter().find(|p| p.oidc_sub.as_deref() == Some(sub));
            found.ok_or(Unmatched {
                login: sub.to_string(),
                why: "no [[people]] entry has this oidc_sub".into(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: serde_json::Value) -> Claims {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn people_are_matched_by_verified_email_or_by_sub() {
        let people = vec![
            Person {
                id: "alice".into(),
                name: None,
                email: Some("Alice@Example.com".into()),
                oidc_sub: None,
            },
            Person { id: "bob".into(), name: None, email: None, oidc_sub: Some("u-bob".into()) },
        ];
        let id = |r: Result<&Person, Unmatched>| r.map(|p| p.id.clone()).map_err(|u| u.login);
        let cases = [
            (
                Claim::Email,
                json!({"sub": "1", "email": "alice@example.com", "email_verified": true}),
                Ok("alice".into()),
            ),
            (Claim::Email, json!({"sub": "1", "email": "alice@example.com"}), Ok("alice".into())),
            (
                Claim::Email,
                json!({"sub": "1", "email": "alice@example.com", "email_verified": false}),
                Err("alice@example.com".into()),
            ),
            (
                Claim::Email,
                json!({"sub": "1", "email": "carol@example.com", "email_verified": true}),
                Err("carol@example.com".into()),
            ),
            (Claim::Email, json!({"sub": "u-bob"}), Err("u-bob".into())),
            (Claim::Sub, json!({"sub": "u-bob", "email": "alice@example.com"}), Ok("bob".into())),
            (Claim::Sub, json!({"sub": "u-alice"}), Err("u-alice".into())),
        ];
        for (claim, token, expected) in cases {
            assert_eq!(id(match_person(&people, claim, &claims(token.clone()))), expected, "{token}");
        }
    }

    #[test]
    fn the_secret_lives_beside_the_key() {
        assert_eq!(
            secret_file_for(std::path::Path::new("/etc/gate/broker.key")),
            PathBuf::from("/etc/gate/broker.key.web-secret")
        );
    }
}
