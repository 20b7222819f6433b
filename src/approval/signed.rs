//! A broker's signed decision: what proves, offline and from the audit log alone, who approved
//! (or denied) which exact command.
//!
//! The broker signs a [`DecisionDocument`] with its Ed25519 key (the key format of the audit
//! checkpoints). The document travels and is stored as its exact JSON text, so the signed bytes
//! never depend on a re-encoding: the signature covers `"gate-decision-v1\0" || document text`.
//! The document names the request id and the command's hash ([`command_sha256`]), so a decision
//! cannot be replayed onto another request or another command.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::{PublicKey, SecretKey};

/// Prefixed to every signed document, so its signature cannot be taken for another format's.
pub const DECISION_DOMAIN: &[u8] = b"gate-decision-v1\0";
/// Prefixed to the command's canonical form before hashing.
pub const COMMAND_DOMAIN: &[u8] = b"gate-command-v1\0";

/// What a human answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Answer {
    Approve,
    Deny,
}

impl Answer {
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Approve => "approve",
            Answer::Deny => "deny",
        }
    }
}

/// One person's part in a decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signer {
    /// The person's id in the broker's configuration.
    pub person: String,
    /// How they answered: `cli`, `web` (the approval page, Teams included), `webhook:NAME`, `slack:NAME`.
    pub channel: String,
    pub comment: Option<String>,
    /// RFC 3339, UTC.
    pub time: String,
}

/// What the broker signs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionDocument {
    /// The format's version: 1.
    pub v: u32,
    pub request_id: String,
    /// [`command_sha256`] of the request.
    pub command_sha256: String,
    pub decision: Answer,
    /// Everyone whose answer counted, in order: the approvers of an approval (as many as the
    /// quorum), or the one who denied.
    pub approvers: Vec<Signer>,
    /// The deciding answer's comment.
    pub comment: Option<String>,
    /// When the decision became final, RFC 3339, UTC.
    pub time: String,
    /// The signing key's id, `<name>+<hash>`.
    pub key: String,
}

/// A document and its signature, as sent to `gate exec` and stored in the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedDecision {
    /// The [`DecisionDocument`] as JSON text: exactly the signed bytes after the domain.
    pub document: String,
    /// Standard base64 of the 64-byte Ed25519 signature.
    pub signature: String,
}

/// Why a signed decision was not accepted. Each names what a user should look at.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the decision is not signed by the pinned broker key {expected} (signed by {found})")]
    WrongKey { expected: String, found: String },
    #[error("the decision's signature does not verify with the pinned broker key {key}")]
    BadSignature { key: String },
    #[error("the decision is malformed: {0}")]
    Malformed(String),
    #[error("the decision is for request {found}, not this request {expected}")]
    WrongRequest { expected: String, found: String },
    #[error("the decision is for another command (hash {found}), not this one ({expected})")]
    WrongCommand { expected: String, found: String },
}

impl SignedDecision {
    /// Signs a document with the broker's key.
    pub fn sign(document: &DecisionDocument, key: &SecretKey) -> SignedDecision {
        // Through `Value`, whose maps are sorted: the same document always gives the same text.
        let value = serde_json::to_value(document).expect("a document is plain data");
        let text = value.to_string();
        let signature = key.sign_bytes(&signed_message(&text));
        SignedDecision { document: text, signature: STANDARD.encode(signature) }
    }

    /// The document, if the signature is `key`'s; checks nothing else.
    pub fn open(&self, key: &PublicKey) -> Result<DecisionDocument, SignatureError> {
        let document: DecisionDocument = serde_json::from_str(&self.document)
            .map_err(|error| SignatureError::Malformed(error.to_string()))?;
        if document.key != key.id() {
            return Err(SignatureError::WrongKey { expected: key.id(), found: document.key });
        }
        let signature = STANDARD
            .decode(&self.signature)
            .map_err(|_| SignatureError::Malformed("the signature is not base64".into()))?;
        if !key.verifies(&signed_message(&self.document), &signature) {
            return Err(SignatureError::BadSignature { key: key.id() });
        }
        if document.v != 1 {
            return Err(SignatureError::Malformed(format!("unknown version {}", document.v)));
        }
        Ok(document)
    }

    /// The document, if it is signed by `key` and is about this request and this command.
    pub fn verify(
        &self,
        key: &PublicKey,
        request_id: &str,
        command_sha256: &str,
    ) -> Result<DecisionDocument, SignatureError> {
        let document = self.open(key)?;
        if document.request_id != request_id {
            return Err(SignatureError::WrongRequest {
                expected: request_id.to_string(),
                found: document.request_id,
            });
        }
        if document.command_sha256 != command_sha256 {
            return Err(SignatureError::WrongCommand {
                expected: command_sha256.to_string(),
                found: document.command_sha256,
            });
        }
        Ok(document)
    }

    /// The form kept in the audit log's `approval` column: this object as JSON text.
    pub fn to_text(&self) -> String {
        serde_json::to_value(self).expect("plain data").to_string()
    }

    pub fn from_text(text: &str) -> Result<SignedDecision, SignatureError> {
        serde_json::from_str(text).map_err(|error| SignatureError::Malformed(error.to_string()))
    }
}

fn signed_message(document: &str) -> Vec<u8> {
    let mut message = Vec::with_capacity(DECISION_DOMAIN.len() + document.len());
    message.extend_from_slice(DECISION_DOMAIN);
    message.extend_from_slice(document.as_bytes());
    message
}

/// The hash that ties a decision to one exact command: hex SHA-256 of `"gate-command-v1\0"`
/// followed by the JSON object `{"argv":A,"cwd":C,"line":L}` (keys sorted, no whitespace), where
/// `A` is the audit log's `argv` text (a JSON array, lossless for any bytes) as a JSON string or
/// `null`, `L` the `-c` line or `null`, and `C` the working directory. Every value is the one the
/// decision entry records, so an auditor recomputes it from the log.
pub fn command_sha256(argv: Option<&str>, line: Option<&str>, cwd: &str) -> String {
    let canonical = serde_json::json!({ "argv": argv, "cwd": cwd, "line": line }).to_string();
    let mut hasher = Sha256::new();
    hasher.update(COMMAND_DOMAIN);
    hasher.update(canonical.as_bytes());
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(key: &SecretKey) -> DecisionDocument {
        DecisionDocument {
            v: 1,
            request_id: "a".repeat(32),
            command_sha256: command_sha256(Some(r#"["git","push"]"#), None, "/repo"),
            decision: Answer::Approve,
            approvers: vec![Signer {
                person: "alice".into(),
                channel: "webhook:ops".into(),
                comment: Some("release 1.4".into()),
                time: "2026-12-02T10:00:00.000Z".into(),
            }],
            comment: Some("release 1.4".into()),
            time: "2026-12-02T10:00:00.000Z".into(),
            key: key.public().id(),
        }
    }

    #[test]
    fn a_signed_decision_verifies_for_its_request_and_command_only() {
        let key = SecretKey::from_seed("gate-broker@test", [7; 32]);
        let doc = document(&key);
        let signed = SignedDecision::sign(&doc, &key);
        let stored = SignedDecision::from_text(&signed.to_text()).unwrap();
        assert_eq!(stored.verify(&key.public(), &doc.request_id, &doc.command_sha256), Ok(doc.clone()));

        let other_request = stored.verify(&key.public(), &"b".repeat(32), &doc.command_sha256);
        assert!(matches!(other_request, Err(SignatureError::WrongRequest { .. })), "{other_request:?}");
        let other_command = command_sha256(Some(r#"["git","push","-f"]"#), None, "/repo");
        let replayed = stored.verify(&key.public(), &doc.request_id, &other_command);
        assert!(matches!(replayed, Err(SignatureError::WrongCommand { .. })), "{replayed:?}");

        let other_key = SecretKey::from_seed("gate-broker@test", [8; 32]);
        let foreign = SignedDecision::sign(
            &DecisionDocument { key: other_key.public().id(), ..doc.clone() },
            &other_key,
        );
        assert!(matches!(
            foreign.verify(&key.public(), &doc.request_id, &doc.command_sha256),
            Err(SignatureError::WrongKey { .. })
        ));
        // Claiming the pinned key's id does not help a forger.
        let forged = SignedDecision::sign(&doc, &other_key);
        assert!(matches!(
            forged.verify(&key.public(), &doc.request_id, &doc.command_sha256),
            Err(SignatureError::BadSignature { .. })
        ));
    }

    #[test]
    fn any_edit_of_the_document_breaks_the_signature() {
        let key = SecretKey::from_seed("gate-broker@test", [7; 32]);
        let doc = document(&key);
        let signed = SignedDecision::sign(&doc, &key);
        for (from, to) in
            [("approve", "deny"), ("alice", "mallory"), ("release", "rElease"), ("webhook", "webhooc")]
        {
            let edited = SignedDecision { document: signed.document.replacen(from, to, 1), ..signed.clone() };
            assert!(edited.verify(&key.public(), &doc.request_id, &doc.command_sha256).is_err(), "{from}");
        }
        let truncated = SignedDecision { signature: signed.signature[..20].to_string(), ..signed.clone() };
        assert!(truncated.verify(&key.public(), &doc.request_id, &doc.command_sha256).is_err());
    }

    #[test]
    fn the_command_hash_covers_argv_line_and_cwd() {
        let base = command_sha256(Some(r#"["ls"]"#), None, "/a");
        assert_eq!(base.len(), 64);
        assert_ne!(base, command_sha256(Some(r#"["ls"]"#), None, "/b"));
        assert_ne!(base, command_sha256(None, Some(r#"["ls"]"#), "/a"));
        assert_ne!(base, command_sha256(Some(r#"["ls","-l"]"#), None, "/a"));
        // Recomputable without gate: SHA-256 over the domain and the sorted, compact JSON.
        let expected = {
            let mut hasher = Sha256::new();
            hasher.update(b"gate-command-v1\0");
            hasher.update(br#"{"argv":"[\"ls\"]","cwd":"/a","line":null}"#);
            hasher.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        assert_eq!(base, expected);
    }
}
