//! Cross-site request forgery defences for the page's forms: a hidden token that is an HMAC of
//! the session and the form's target (so a token leaks nothing and fits one form only), and an
//! `Origin` header, when the browser sends one, that must be the broker's own.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::session::{Secret, Session, same};

/// The token for a form that acts on `target` (a request id, or `logout`) in this session.
pub fn token(secret: &Secret, session: &Session, target: &str) -> String {
    URL_SAFE_NO_PAD.encode(secret.mac(&[b"csrf", session.id.as_bytes(), target.as_bytes()]))
}

pub fn check(secret: &Secret, session: &Session, target: &str, sent: Option<&str>) -> bool {
    sent.is_some_and(|sent| same(sent.as_bytes(), token(secret, session, target).as_bytes()))
}

/// `scheme://host[:port]` of a URL, as browsers write it in `Origin`.
pub fn origin_of(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(url) => url.origin().ascii_serialization(),
        Err(_) => url.to_string(),
    }
}

/// An absent `Origin` is allowed (older browsers, non-browser clients: the token still holds);
/// a present one must be ours (`null` is not).
pub fn origin_allowed(sent: Option<&str>, ours: &str) -> bool {
    sent.is_none_or(|sent| sent == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_fits_one_session_and_one_target() {
        let secret = Secret::from_bytes([3; 32]);
        let session = Session { id: "s1".into(), person: "alice".into(), login: "a".into(), expires: 9 };
        let other = Session { id: "s2".into(), ..session.clone() };
        let good = token(&secret, &session, "r1");
        assert!(check(&secret, &session, "r1", Some(&good)));
        assert!(!check(&secret, &session, "r2", Some(&good)));
        assert!(!check(&secret, &other, "r1", Some(&good)));
        assert!(!check(&secret, &session, "r1", None));
        assert!(!check(&secret, &session, "r1", Some("")));
    }

    #[test]
    fn origins() {
        assert_eq!(origin_of("http://127.0.0.1:7380"), "http://127.0.0.1:7380");
        assert_eq!(origin_of("https://gate.example.com/base"), "https://gate.example.com");
        let ours = origin_of("https://gate.example.com:443");
        let cases = [
            (None, true),
            (Some("https://gate.example.com"), true),
            (Some("https://evil.example.com"), false),
            (Some("http://gate.example.com"), false),
            (Some("null"), false),
        ];
        for (sent, allowed) in cases {
            assert_eq!(origin_allowed(sent, &ours), allowed, "{sent:?}");
        }
    }
}
