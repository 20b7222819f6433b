//! The broker's signature on a final decision: the document names the request, the exact
//! command's hash, every approver with the channel each used, the comment and the time, and the
//! key that signs it, so `gate exec` and an auditor can check it offline.

use crate::approval::signed::{Answer, DecisionDocument, SignedDecision, Signer};
use crate::audit::{PublicKey, SecretKey};

/// The broker's signing key.
pub struct DecisionSigner {
    key: SecretKey,
}

/// What makes a request final, as the store knows it inside its transaction.
pub struct Final<'a> {
    pub request_id: &'a str,
    pub command_sha256: &'a str,
    pub decision: Answer,
    /// Every approver whose answer counted, or the one who denied.
    pub approvers: Vec<Signer>,
    /// The deciding answer's comment.
    pub comment: Option<String>,
    /// RFC 3339, UTC.
    pub time: String,
}

impl DecisionSigner {
    pub fn new(key: SecretKey) -> DecisionSigner {
        DecisionSigner { key }
    }

    pub fn public(&self) -> PublicKey {
        self.key.public()
    }

    pub fn sign(&self, decision: Final) -> SignedDecision {
        let document = DecisionDocument {
            v: 1,
            request_id: decision.request_id.to_string(),
            command_sha256: decision.command_sha256.to_string(),
            decision: decision.decision,
            approvers: decision.approvers,
            comment: decision.comment,
            time: decision.time,
            key: self.key.public().id(),
        };
        SignedDecision::sign(&document, &self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_decisions_verify_with_the_public_key() {
        let signer = DecisionSigner::new(SecretKey::from_seed("gate-broker@test", [1; 32]));
        let bob = Signer { person: "bob".into(), channel: "cli".into(), comment: None, time: "t".into() };
        let signed = signer.sign(Final {
            request_id: "r",
            command_sha256: "h",
            decision: Answer::Deny,
            approvers: vec![bob.clone()],
            comment: Some("no".into()),
            time: "t".into(),
        });
        let document = signed.verify(&signer.public(), "r", "h").unwrap();
        assert_eq!((document.decision, document.approvers), (Answer::Deny, vec![bob]));
    }
}
