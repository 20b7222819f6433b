//! Signed checkpoints of a log's head, as plain-text notes.
//!
//! A checkpoint says "log L had S entries and its entry S had hash H", signed with the Ed25519
//! key of the machine (see `key`). Kept outside the database, it lets `verify` see what a chain
//! alone cannot: entries deleted from the end, a rollback to an older copy, and a chain
//! recomputed from scratch by someone who can write the file.
//!
//! The format is the "signed note" of Go's `golang.org/x/mod/sumdb/note`, so Go's verifier reads
//! it too:
//!
//! ```text
//! gate-audit-checkpoint v1
//! 7f1c0e2d9a4b5c6d7e8f90a1b2c3d4e5
//! 1200
//! 3b8d…(64 hex digits)
//!
//! — gate-audit@build-host AbCdEf…
//! ```
//!
//! The body is the four lines above, each ending in `\n`: a version line, the log id, the size
//! (the seq of the last entry) in decimal, and that entry's hash. The signed message is exactly
//! the body's bytes. After a blank line comes one signature line: an em dash (U+2014), a space,
//! the key name, a space, and base64 (standard, padded) of 4 bytes of key hash followed by the
//! 64-byte Ed25519 signature. The key hash is the first 4 bytes of
//! `SHA-256(name || "\n" || 0x01 || public key)`, as in Go's notes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::key::{PublicKey, key_hash};

/// The first line of a version-1 checkpoint.
pub const HEADER: &str = "gate-audit-checkpoint v1";

/// What a checkpoint states about a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub log_id: String,
    pub size: i64,
    pub head_hash: String,
}

/// Why a note is not a checkpoint this key signed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CheckpointError {
    #[error("it is not a gate audit checkpoint note ({0})")]
    Malformed(String),
    #[error("it is signed by key {found:?}, not by {expected:?}: pass that key's public key with --key")]
    UnknownKey { found: String, expected: String },
    #[error("its signature does not verify with key {0:?}: the checkpoint was altered or forged")]
    BadSignature(String),
}

impl Checkpoint {
    /// The signed message: the note's body.
    pub fn body(&self) -> String {
        format!("{HEADER}\n{}\n{}\n{}\n", self.log_id, self.size, self.head_hash)
    }

    /// The whole note, signed by `key` under `name`.
    pub fn sign(&self, name: &str, key: &SigningKey) -> String {
        sign_note(&self.body(), name, key)
    }

    /// Reads a note and checks its signature with `key`.
    pub fn open(note: &str, key: &PublicKey) -> Result<Checkpoint, CheckpointError> {
        parse_body(&open_note(note, key)?)
    }
}

/// Signs a note body (lines ending in `\n`) as Go's `note.Sign` does.
pub(crate) fn sign_note(body: &str, name: &str, key: &SigningKey) -> String {
    let signature = key.sign(body.as_bytes());
    let mut blob = key_hash(name, &key.verifying_key()).to_be_bytes().to_vec();
    blob.extend_from_slice(&signature.to_bytes());
    format!("{body}\n\u{2014} {name} {}\n", STANDARD.encode(blob))
}

/// The body of a note that `key` signed; signatures by other keys are skipped, as in Go's
/// `note.Open`, but at least one must be by `key`.
pub(crate) fn open_note(note: &str, key: &PublicKey) -> Result<String, CheckpointError> {
    let malformed = |what: &str| CheckpointError::Malformed(what.to_string());
    let split = note.rfind("\n\n").ok_or_else(|| malformed("no blank line before the signature"))?;
    let (body, signatures) = (&note[..=split], &note[split + 2..]);
    if !signatures.ends_with('\n') {
        return Err(malformed("the signature line does not end with a newline"));
    }
    let mut signed = false;
    let mut names = Vec::new();
    for line in signatures.lines() {
        let rest = line
            .strip_prefix("\u{2014} ")
            .ok_or_else(|| malformed("a signature line does not start with an em dash"))?;
        let (name, blob) =
            rest.split_once(' ').ok_or_else(|| malformed("a signature line has no signature"))?;
        let blob = STANDARD.decode(blob).map_err(|_| malformed("a signature is not base64"))?;
        if blob.len() < 4 {
            return Err(malformed("a signature is too short"));
        }
        if name != key.name || blob[..4] != key.hash.to_be_bytes() {
            names.push(name.to_string());
            continue;
        }
        let Ok(signature) = <[u8; 64]>::try_from(&blob[4..]) else {
            return Err(CheckpointError::BadSignature(key.name.clone()));
        };
        if verify(&key.key, body.as_bytes(), &Signature::from_bytes(&signature)).is_err() {
            return Err(CheckpointError::BadSignature(key.name.clone()));
        }
        signed = true;
    }
    if !signed {
        let found = names.join(", ");
        return Err(CheckpointError::UnknownKey { found, expected: key.name.clone() });
    }
    Ok(body.to_string())
}

fn verify(
    key: &VerifyingKey,
    message: &[u8],
    signature: &Signature,
) -> Result<(), ed25519_dalek::SignatureError> {
    key.verify_strict(message, signature)
}

fn parse_body(body: &str) -> Result<Checkpoint, CheckpointError> {
    let malformed = |what: String| Err(CheckpointError::Malformed(what));
    let lines: Vec<&str> = body.lines().collect();
    let [header, log_id, size, head_hash] = lines[..] else {
        return malformed(format!("{} lines in its body, not 4", lines.len()));
    };
    if header != HEADER {
        return malformed(format!("its first line is {header:?}, not {HEADER:?}"));
    }
    let is_hex = |text: &str, len: usize| {
        text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    if !is_hex(log_id, 32) {
        return malformed(format!("log id {log_id:?} is not 32 lowercase hex digits"));
    }
    let Some(size) = size.parse::<i64>().ok().filter(|n| *n >= 1 && !size.starts_with(['+', '0'])) else {
        return malformed(format!("size {size:?} is not a positive decimal number"));
    };
    if !is_hex(head_hash, 64) {
        return malformed(format!("head hash {head_hash:?} is not 64 lowercase hex digits"));
    }
    Ok(Checkpoint { log_id: log_id.to_string(), size, head_hash: head_hash.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::key::{PublicKey, SecretKey};

    fn key(seed: u8, name: &str) -> SecretKey {
        SecretKey::from_seed(name, [seed; 32])
    }

    fn checkpoint() -> Checkpoint {
        Checkpoint { log_id: "0123456789abcdef0123456789abcdef".into(), size: 57, head_hash: "ab".repeat(32) }
    }

    #[test]
    fn signs_and_opens() {
        let key = key(7, "gate-audit@host");
        let note = key.sign(&checkpoint());
        assert!(
            note.starts_with("gate-audit-checkpoint v1\n0123456789abcdef0123456789abcdef\n57\nabab"),
            "{note}"
        );
        assert!(note.contains("\n\n\u{2014} gate-audit@host "), "{note}");
        assert_eq!(Checkpoint::open(&note, &key.public()), Ok(checkpoint()));
    }

    /// The known-answer vector of Go's `golang.org/x/mod/sumdb/note` documentation: the same key
    /// and text must give Go's exact note, and Go's note must open.
    #[test]
    fn matches_go_signed_note() {
        let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
        let note = format!(
            "{text}\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
        );
        let secret = SecretKey::parse_text(
            "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        )
        .unwrap();
        let public =
            PublicKey::parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").unwrap();
        assert_eq!(secret.public(), public);
        assert_eq!(secret.sign_text(text), note);
        assert_eq!(open_note(&note, &public).as_deref(), Ok(text));
        let altered = note.replace("cryptography", "cryptographY");
        assert!(matches!(open_note(&altered, &public), Err(CheckpointError::BadSignature(_))));
    }

    #[test]
    fn golden_note_is_deterministic() {
        // Ed25519 signatures are deterministic: the same key and body give the same note.
        let key = key(1, "k");
        assert_eq!(key.sign(&checkpoint()), key.sign(&checkpoint()));
    }

    #[test]
    fn rejects_tampered_and_foreign_notes() {
        let key = key(7, "gate-audit@host");
        let note = key.sign(&checkpoint());
        let other = self::key(8, "gate-audit@host");
        type Expected = fn(&CheckpointError) -> bool;
        let cases: &[(&str, String, Expected)] = &[
            ("size changed", note.replacen("\n57\n", "\n58\n", 1), |e| {
                matches!(e, CheckpointError::BadSignature(_))
            }),
            ("hash changed", note.replacen("abab", "abac", 1), |e| {
                matches!(e, CheckpointError::BadSignature(_))
            }),
            ("other key", other.sign(&checkpoint()), |e| matches!(e, CheckpointError::UnknownKey { .. })),
            ("other name", self::key(7, "x").sign(&checkpoint()), |e| {
                matches!(e, CheckpointError::UnknownKey { .. })
            }),
            ("no signature", checkpoint().body(), |e| matches!(e, CheckpointError::Malformed(_))),
            ("signature cut", note[..note.len() - 10].to_string() + "\n", |e| {
                matches!(e, CheckpointError::Malformed(_))
            }),
            ("empty", String::new(), |e| matches!(e, CheckpointError::Malformed(_))),
        ];
        for (name, text, expected) in cases {
            let opened = Checkpoint::open(text, &key.public());
            assert!(opened.as_ref().is_err_and(expected), "{name}: {opened:?}");
        }
    }

    #[test]
    fn body_rules() {
        let cases: &[(&str, bool)] = &[
            ("gate-audit-checkpoint v1\n0123456789abcdef0123456789abcdef\n1\n{h}\n", true),
            ("gate-audit-checkpoint v2\n0123456789abcdef0123456789abcdef\n1\n{h}\n", false),
            ("gate-audit-checkpoint v1\n0123456789ABCDEF0123456789abcdef\n1\n{h}\n", false),
            ("gate-audit-checkpoint v1\n0123456789abcdef0123456789abcdef\n0\n{h}\n", false),
            ("gate-audit-checkpoint v1\n0123456789abcdef0123456789abcdef\n01\n{h}\n", false),
            ("gate-audit-checkpoint v1\n0123456789abcdef0123456789abcdef\n-1\n{h}\n", false),
            ("gate-audit-checkpoint v1\n0123456789abcdef0123456789abcdef\n1\n{h}\nextra\n", false),
        ];
        let h = "cd".repeat(32);
        for (body, valid) in cases {
            let body = body.replace("{h}", &h);
            assert_eq!(parse_body(&body).is_ok(), *valid, "{body:?}");
        }
    }
}
