//! The OpenID Connect relying party: discovery, the authorization request (code flow with PKCE
//! S256, `state` and `nonce`), the code exchange at the token endpoint, and the ID token's
//! verification against the provider's key set (cached; fetched again, at most every few
//! seconds, when a token names a key the cache does not hold).
//!
//! Guarantees: nothing but an ID token that [`super::jwt`] verified for this client, this issuer
//! and this sign-in's nonce comes out of [`Oidc::finish`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::jwt::{Claims, Expect, JwkSet, TokenError, Unverified};
use super::session::{LOGIN_FOR, Login, random_token};

/// Which verified claim names the person: `email` (matched to `[[people]] email`) or `sub`
/// (matched to `[[people]] oidc_sub`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Claim {
    #[default]
    Email,
    Sub,
}

/// `[sign_in]`, its secret read.
#[derive(Clone, Debug)]
pub struct SignIn {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Asked of the provider; `openid` is always added.
    pub scopes: Vec<String>,
    pub claim: Claim,
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the sign-in provider's discovery at {url} failed: {why}")]
    Discovery { url: String, why: String },
    #[error("the sign-in provider refused the code: {0}")]
    Token(String),
    #[error(transparent)]
    IdToken(#[from] TokenError),
}

/// How the client authenticates at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AuthMethod {
    Basic,
    Post,
}

#[derive(Debug)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    auth_method: AuthMethod,
}

struct Keys {
    set: JwkSet,
    fetched: Option<Instant>,
}

/// Not more often than this is the key set fetched again for an unknown key id.
const REFETCH_AFTER: Duration = Duration::from_secs(5);

pub struct Oidc {
    config: SignIn,
    redirect_uri: String,
    http: reqwest::Client,
    discovery: tokio::sync::Mutex<Option<Arc<Discovery>>>,
    keys: tokio::sync::Mutex<Keys>,
}

/// The PKCE S256 challenge of a verifier (RFC 7636 §4.2).
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `application/x-www-form-urlencoded` of the pairs.
fn form(pairs: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse("http://form.invalid/").expect("a valid URL");
    url.query_pairs_mut().extend_pairs(pairs);
    url.query().unwrap_or_default().to_string()
}

fn form_encode(text: &str) -> String {
    let mut url = reqwest::Url::parse("http://form.invalid/").expect("a valid URL");
    url.query_pairs_mut().append_key_only(text);
    url.query().unwrap_or_default().to_string()
}

impl Oidc {
    pub fn new(config: SignIn, public_url: &str) -> Result<Oidc, String> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| format!("cannot start an HTTP client: {error}"))?;
        Ok(Oidc {
            config,
            redirect_uri: format!("{}/auth/callback", public_url.trim_end_matches('/')),
            http,
            discovery: tokio::sync::Mutex::new(None),
            keys: tokio::sync::Mutex::new(Keys { set: JwkSet::default(), fetched: None }),
        })
    }

    pub fn config(&self) -> &SignIn {
        &self.config
    }

    async fn get_json(&self, url: &str) -> Result<Value, String> {
        let response = self.http.get(url).send().await.map_err(|e| e.without_url().to_string())?;
        if !response.status().is_success() {
            return Err(format!("answered {}", response.status()));
        }
        response.json().await.map_err(|e| e.without_url().to_string())
    }

    /// The provider's metadata, read once (a failure is tried again next time).
    async fn discovery(&self) -> Result<Arc<Discovery>, OidcError> {
        let mut cached = self.discovery.lock().await;
        if let Some(discovery) = cached.as_ref() {
            return Ok(discovery.clone());
        }
        let url = format!("{}/.well-known/openid-configuration", self.config.issuer.trim_end_matches('/'));
        let failed = |why: String| OidcError::Discovery { url: url.clone(), why };
        let meta = self.get_json(&url).await.map_err(failed)?;
        let text = |name: &str| meta.get(name).and_then(Value::as_str).map(str::to_string);
        let issuer = text("issuer").unwrap_or_default();
        // The configuration's issuer may have lost a trailing slash; the ID token's `iss` must
        // then equal the provider's own spelling, exactly.
        if issuer.trim_end_matches('/') != self.config.issuer.trim_end_matches('/') {
            return Err(failed(format!(
                "it names the issuer {issuer:?}, not the configured {:?}",
                self.config.issuer
            )));
        }
        let list = |name: &str| -> Option<Vec<String>> {
            meta.get(name)?
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        };
        let auth_method = match list("token_endpoint_auth_methods_supported") {
            None => AuthMethod::Basic,
            Some(methods) if methods.iter().any(|m| m == "client_secret_basic") => AuthMethod::Basic,
            Some(methods) if methods.iter().any(|m| m == "client_secret_post") => AuthMethod::Post,
            Some(_) => {
                return Err(failed("it supports neither client_secret_basic nor client_secret_post".into()));
            }
        };
        if list("code_challenge_methods_supported").is_some_and(|m| !m.iter().any(|m| m == "S256")) {
            return Err(failed("it does not support PKCE with S256".into()));
        }
        let endpoint = |name: &str| text(name).ok_or_else(|| failed(format!("it has no {name}")));
        let discovery = Arc::new(Discovery {
            issuer,
            authorization_endpoint: endpoint("authorization_endpoint")?,
            token_endpoint: endpoint("token_endpoint")?,
            jwks_uri: endpoint("jwks_uri")?,
            auth_method,
        });
        *cached = Some(discovery.clone());
        Ok(discovery)
    }

    /// Starts a sign-in: what to remember in the pre-login cookie, and where to send the browser.
    pub async fn start(&self, next: &str, now: i64) -> Result<(Login, String), OidcError> {
        let discovery = self.discovery().await?;
        let login = Login {
            state: random_token(),
            nonce: random_token(),
            verifier: random_token(),
            next: next.to_string(),
            expires: now + LOGIN_FOR.as_secs() as i64,
        };
        let mut scopes = vec!["openid".to_string()];
        scopes.extend(self.config.scopes.iter().filter(|s| *s != "openid").cloned());
        if self.config.scopes.is_empty() && self.config.claim == Claim::Email {
            scopes.push("email".into());
        }
        let mut url =
            reqwest::Url::parse(&discovery.authorization_endpoint).map_err(|_| OidcError::Discovery {
                url: self.config.issuer.clone(),
                why: "its authorization_endpoint is not a URL".into(),
            })?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", &scopes.join(" "))
            .append_pair("state", &login.state)
            .append_pair("nonce", &login.nonce)
            .append_pair("code_challenge", &challenge(&login.verifier))
            .append_pair("code_challenge_method", "S256");
        Ok((login, url.to_string()))
    }

    /// Exchanges the code and verifies the ID token that comes back.
    pub async fn finish(&self, login: &Login, code: &str, now: i64) -> Result<Claims, OidcError> {
        let discovery = self.discovery().await?;
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("code_verifier", login.verifier.as_str()),
        ];
        let mut request = self.http.post(&discovery.token_endpoint);
        match discovery.auth_method {
            AuthMethod::Basic => {
                let user = format!(
                    "{}:{}",
                    form_encode(&self.config.client_id),
                    form_encode(&self.config.client_secret)
                );
                request = request.header("authorization", format!("Basic {}", STANDARD.encode(user)));
            }
            AuthMethod::Post => {
                pairs.push(("client_id", &self.config.client_id));
                pairs.push(("client_secret", &self.config.client_secret));
            }
        }
        let response = request
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(form(&pairs))
            .send()
            .await
            .map_err(|e| OidcError::Token(e.without_url().to_string()))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            let error = body.get("error").and_then(Value::as_str).unwrap_or("no error code");
            return Err(OidcError::Token(format!("{status}: {error}")));
        }
        let token =
            body.get("id_token").and_then(Value::as_str).ok_or(OidcError::Token("no id_token".into()))?;
        let unverified = Unverified::decode(token)?;
        let keys = self.keys_for(&discovery, &unverified).await;
        let expect =
            Expect { issuer: &discovery.issuer, client_id: &self.config.client_id, nonce: &login.nonce, now };
        Ok(unverified.verify(&keys, &expect)?)
    }

    /// The cached key set, fetched first when it does not hold the token's key.
    async fn keys_for(&self, discovery: &Discovery, token: &Unverified) -> JwkSet {
        let mut keys = self.keys.lock().await;
        let stale = keys.fetched.is_none_or(|at| at.elapsed() >= REFETCH_AFTER);
        if !token.key_known(&keys.set) && stale {
            match self.get_json(&discovery.jwks_uri).await {
                Ok(document) => keys.set = JwkSet::parse(&document),
                Err(why) => eprintln!("gate serve: fetching the sign-in provider's keys failed: {why}"),
            }
            keys.fetched = Some(Instant::now());
        }
        keys.set.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(challenge(verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn form_encoding() {
        assert_eq!(
            form(&[("a", "b c"), ("r", "http://x/y?z=1&w")]),
            "a=b+c&r=http%3A%2F%2Fx%2Fy%3Fz%3D1%26w"
        );
        assert_eq!(form_encode("gate:id é"), "gate%3Aid+%C3%A9");
    }
}
