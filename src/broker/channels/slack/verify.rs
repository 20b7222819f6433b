//! Slack's request signatures: `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret,
//! "v0:" + X-Slack-Request-Timestamp + ":" + raw body)>`, compared in constant time, and a
//! timestamp more than five minutes from now refused, so an old capture cannot be replayed.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a request's timestamp may be from the broker's clock, in seconds.
pub const WINDOW: i64 = 5 * 60;

/// Why a request is not taken as Slack's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unsigned {
    #[error("missing X-Slack-Signature or X-Slack-Request-Timestamp")]
    Missing,
    #[error("X-Slack-Request-Timestamp is more than 5 minutes from the broker's clock")]
    Stale,
    #[error("X-Slack-Signature does not verify")]
    Forged,
}

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    mac
}

/// The `X-Slack-Signature` value Slack sends for `body` at `timestamp`.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("v0={hex}")
}

/// Checks a request's signature headers against `secret` at Unix time `now`.
pub fn verify(
    secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), Unsigned> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else { return Err(Unsigned::Missing) };
    let seconds: i64 = timestamp.trim().parse().map_err(|_| Unsigned::Stale)?;
    if (now - seconds).abs() > WINDOW {
        return Err(Unsigned::Stale);
    }
    let hex = signature.trim().strip_prefix("v0=").ok_or(Unsigned::Forged)?;
    let expected = decode_hex(hex).ok_or(Unsigned::Forged)?;
    mac(secret, timestamp.trim(), body).verify_slice(&expected).map_err(|_| Unsigned::Forged)
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slack's own example from "Verifying requests from Slack" (docs.slack.dev), also the test
    /// vector of Slack's Python SDK.
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TIMESTAMP: &str = "1531420618";
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    #[test]
    fn slacks_published_example_verifies() {
        assert_eq!(sign(SECRET, TIMESTAMP, BODY.as_bytes()), SIGNATURE);
        let now = 1_531_420_618;
        assert_eq!(verify(SECRET, Some(TIMESTAMP), Some(SIGNATURE), BODY.as_bytes(), now), Ok(()));
    }

    #[test]
    fn forged_stale_and_missing_are_refused() {
        let now = 1_531_420_618;
        let body = BODY.as_bytes();
        let cases = [
            (SECRET, Some(TIMESTAMP), Some(SIGNATURE), &b"token=changed"[..], now, Err(Unsigned::Forged)),
            ("another secret", Some(TIMESTAMP), Some(SIGNATURE), body, now, Err(Unsigned::Forged)),
            (SECRET, Some(TIMESTAMP), Some("v0=a2114d57"), body, now, Err(Unsigned::Forged)),
            (SECRET, Some(TIMESTAMP), Some(&SIGNATURE[3..]), body, now, Err(Unsigned::Forged)),
            (SECRET, Some(TIMESTAMP), Some(SIGNATURE), body, now + 301, Err(Unsigned::Stale)),
            (SECRET, Some(TIMESTAMP), Some(SIGNATURE), body, now - 301, Err(Unsigned::Stale)),
            (SECRET, Some(TIMESTAMP), Some(SIGNATURE), body, now + 300, Ok(())),
            (SECRET, Some("soon"), Some(SIGNATURE), body, now, Err(Unsigned::Stale)),
            (SECRET, None, Some(SIGNATURE), body, now, Err(Unsigned::Missing)),
            (SECRET, Some(TIMESTAMP), None, body, now, Err(Unsigned::Missing)),
        ];
        for (secret, timestamp, signature, body, now, expected) in cases {
            assert_eq!(
                verify(secret, timestamp, signature, body, now),
                expected,
                "{timestamp:?} {signature:?}"
            );
        }
    }
}
