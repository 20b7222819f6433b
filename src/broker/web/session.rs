//! Sessions of the approval page: signed cookies under a server secret kept in a 0600 file
//! beside the broker's key (made on first use), so sessions survive a restart.
//!
//! A cookie's value is `base64url(JSON payload) "." base64url(HMAC-SHA256(secret, purpose, payload))`;
//! the purpose (`session`, `login`) keeps one kind of cookie from being taken for another.
//! A session names the person and expires; signing out revokes its random id in memory (a
//! restart forgets revocations, but not expiry).

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "gate_session";
/// The pre-login cookie that binds `state`, `nonce` and the PKCE verifier to this browser.
pub const LOGIN_COOKIE: &str = "gate_login";
/// How long a sign-in lasts.
pub const SESSION_FOR: Duration = Duration::from_secs(12 * 3600);
/// How long a browser may spend at the provider between `/auth/login` and `/auth/callback`.
pub const LOGIN_FOR: Duration = Duration::from_secs(600);

/// Constant-time equality (length leaks, content does not).
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 32 random bytes, base64url: state, nonce, PKCE verifier, session ids.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The server secret that signs cookies and CSRF tokens.
#[derive(Clone)]
pub struct Secret([u8; 32]);

impl Secret {
    /// Reads the secret at `path`, or makes it (0600) when there is none.
    pub fn load_or_create(path: &Path) -> std::io::Result<Secret> {
        let read = |path: &Path| -> std::io::Result<Secret> {
            let text = std::fs::read_to_string(path)?;
            let bytes = URL_SAFE_NO_PAD.decode(text.trim()).ok().filter(|b| b.len() == 32);
            let bytes = bytes.ok_or_else(|| {
                std::io::Error::other(format!(
                    "{} is not a session secret (delete it to make a new one)",
                    path.display()
                ))
            })?;
            Ok(Secret(bytes.try_into().expect("32 bytes")))
        };
        if path.exists() {
            return read(path);
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
        let made = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path);
        match made {
            Ok(mut file) => {
                file.write_all(format!("{}\n", URL_SAFE_NO_PAD.encode(bytes)).as_bytes())?;
                file.sync_all()?;
                Ok(Secret(bytes))
            }
            // Another broker made it first: use theirs.
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => read(path),
            Err(error) => Err(error),
        }
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Secret {
        Secret(bytes)
    }

    /// HMAC-SHA256 over the parts, each length-prefixed so no two lists give the same input.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("any key length");
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// A cookie value carrying `payload`, signed for `purpose`.
    pub fn seal<T: Serialize>(&self, purpose: &str, payload: &T) -> String {
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(payload).expect("plain data"));
        let tag = self.mac(&[purpose.as_bytes(), body.as_bytes()]);
        format!("{body}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// The payload of a cookie value sealed for `purpose`, if its signature holds.
    pub fn open<T: DeserializeOwned>(&self, purpose: &str, value: &str) -> Option<T> {
        let (body, tag) = value.split_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        if !same(&tag, &self.mac(&[purpose.as_bytes(), body.as_bytes()])) {
            return None;
        }
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()
    }
}

/// A signed-in person, as the session cookie carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Random; what CSRF tokens are bound to and what signing out revokes.
    pub id: String,
    /// The person's id in the broker's configuration.
    pub person: String,
    /// Who the provider said this is (email or sub), for the page.
    pub login: String,
    /// Unix seconds.
    pub expires: i64,
}

/// What `/auth/login` remembers for `/auth/callback`, in the pre-login cookie.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    /// A local path to go back to.
    pub next: String,
    pub expires: i64,
}

/// Sessions signed out before their expiry, until then.
#[derive(Default)]
pub struct Revoked(Mutex<HashMap<String, i64>>);

impl Revoked {
    pub fn revoke(&self, session: &Session, now: i64) {
        let mut revoked = self.0.lock().unwrap_or_else(|p| p.into_inner());
        revoked.retain(|_, expires| *expires > now);
        revoked.insert(session.id.clone(), session.expires);
    }

    pub fn contains(&self, id: &str) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).contains_key(id)
    }
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, `Secure` on https; `max_age` 0 deletes.
pub fn set_cookie(name: &str, value: &str, path: &str, max_age: Duration, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path={path}; Max-Age={}; HttpOnly; SameSite=Lax{secure}", max_age.as_secs())
}

/// The value of cookie `name` in a `Cookie` request header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_attributes() {
        let cases = [
            (true, "gate_session=v; Path=/; Max-Age=43200; HttpOnly; SameSite=Lax; Secure"),
            (false, "gate_session=v; Path=/; Max-Age=43200; HttpOnly; SameSite=Lax"),
        ];
        for (secure, expected) in cases {
            assert_eq!(set_cookie(SESSION_COOKIE, "v", "/", SESSION_FOR, secure), expected);
        }
        assert_eq!(cookie("a=1; gate_session=x.y; b=2", SESSION_COOKIE), Some("x.y"));
        assert_eq!(cookie("gate_sessionx=1", SESSION_COOKIE), None);
    }

    #[test]
    fn sealed_values_open_only_unchanged_and_for_their_purpose() {
        let secret = Secret::from_bytes([1; 32]);
        let session = Session { id: "i".into(), person: "alice".into(), login: "a@x".into(), expires: 5 };
        let sealed = secret.seal("session", &session);
        assert_eq!(secret.open::<Session>("session", &sealed), Some(session.clone()));
        assert_eq!(secret.open::<Session>("login", &sealed), None);
        assert_eq!(Secret::from_bytes([2; 32]).open::<Session>("session", &sealed), None);
        let (body, tag) = sealed.split_once('.').unwrap();
        let forged = secret.seal("session", &Session { person: "bob".into(), ..session });
        let forged_body = forged.split_once('.').unwrap().0;
        assert_eq!(secret.open::<Session>("session", &format!("{forged_body}.{tag}")), None);
        assert_eq!(secret.open::<Session>("session", body), None);
    }

    #[test]
    fn the_secret_file_is_made_once_0600_and_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broker.key.web-secret");
        let first = Secret::load_or_create(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let again = Secret::load_or_create(&path).unwrap();
        assert_eq!(first.mac(&[b"x"]), again.mac(&[b"x"]));
        std::fs::write(&path, "short").unwrap();
        assert!(Secret::load_or_create(&path).is_err());
    }

    #[test]
    fn revoked_sessions_stay_revoked_until_they_expire() {
        let revoked = Revoked::default();
        let session = Session { id: "s1".into(), person: "alice".into(), login: "a".into(), expires: 100 };
        revoked.revoke(&session, 10);
        assert!(revoked.contains("s1"));
        revoked.revoke(&Session { id: "s2".into(), ..session }, 200);
        assert!(!revoked.contains("s1"));
    }
}
