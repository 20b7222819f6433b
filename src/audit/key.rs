//! The Ed25519 key that signs checkpoints: made on first use, kept in one private file.
//!
//! The key files use the text forms of Go's `golang.org/x/mod/sumdb/note`, so the public key
//! can be handed to any note verifier:
//!
//! - secret key file (mode 0600): `PRIVATE+KEY+<name>+<key hash, 8 hex>+<base64(0x01 || seed)>`
//! - public key (`gate audit key`): `<name>+<key hash, 8 hex>+<base64(0x01 || public key)>`
//!
//! A new key is written to a temporary file and linked into place, so of two processes making
//! the key at once, both end up using the one that won, and a half-written key is never read.

use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::checkpoint::Checkpoint;

/// The algorithm byte of an Ed25519 key in Go's notes.
const ED25519: u8 = 0x01;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the signing key {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot create the signing key {path}: {source}")]
    Create { path: PathBuf, source: std::io::Error },
    #[error(
        "the signing key {path} is not a key ({reason}): restore it from a backup, or move it aside to make a new one"
    )]
    Malformed { path: PathBuf, reason: String },
    #[error("the signing key {path} can be read by other users: run `chmod 600 {path}`")]
    Exposed { path: PathBuf },
}

/// The public half: what verifies a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    pub name: String,
    pub hash: u32,
    pub key: VerifyingKey,
}

/// The signing key and its name.
#[derive(Clone, Debug)]
pub struct SecretKey {
    name: String,
    key: SigningKey,
}

/// The key hash of Go's notes: the first 4 bytes of SHA-256(name, "\n", 0x01, public key).
pub(crate) fn key_hash(name: &str, key: &VerifyingKey) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\n");
    hasher.update([ED25519]);
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

impl SecretKey {
    pub fn from_seed(name: &str, seed: [u8; 32]) -> SecretKey {
        SecretKey { name: name.to_string(), key: SigningKey::from_bytes(&seed) }
    }

    pub fn public(&self) -> PublicKey {
        let key = self.key.verifying_key();
        PublicKey { name: self.name.clone(), hash: key_hash(&self.name, &key), key }
    }

    /// An Ed25519 signature of `message`.
    pub fn sign_bytes(&self, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer as _;
        self.key.sign(message).to_bytes()
    }

    /// The signed note of a checkpoint.
    pub fn sign(&self, checkpoint: &Checkpoint) -> String {
        checkpoint.sign(&self.name, &self.key)
    }

    /// Signs any note body (for tests against other implementations).
    #[cfg(test)]
    pub(crate) fn sign_text(&self, body: &str) -> String {
        super::checkpoint::sign_note(body, &self.name, &self.key)
    }

    #[cfg(test)]
    pub(crate) fn parse_text(text: &str) -> Result<SecretKey, String> {
        SecretKey::parse(text)
    }

    fn to_text(&self) -> String {
        let mut blob = vec![ED25519];
        blob.extend_from_slice(self.key.as_bytes());
        format!("PRIVATE+KEY+{}+{:08x}+{}\n", self.name, self.public().hash, STANDARD.encode(blob))
    }

    fn parse(text: &str) -> Result<SecretKey, String> {
        let rest =
            text.trim_end().strip_prefix("PRIVATE+KEY+").ok_or("it does not start with PRIVATE+KEY+")?;
        // The base64 may itself hold '+': split off the name and hash only.
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(hash), Some(blob)) = (parts.next(), parts.next(), parts.next()) else {
            return Err("it is not PRIVATE+KEY+name+hash+key".to_string());
        };
        let blob = STANDARD.decode(blob).map_err(|_| "its key is not base64".to_string())?;
        let seed: [u8; 32] = match blob.split_first() {
            Some((&ED25519, seed)) => seed.try_into().map_err(|_| "its key is not 32 bytes".to_string())?,
            _ => return Err("it is not an Ed25519 key".to_string()),
        };
        let key = SecretKey::from_seed(name, seed);
        if u32::from_str_radix(hash, 16).ok() != Some(key.public().hash) {
            return Err("its key hash does not match its key".to_string());
        }
        Ok(key)
    }

    /// Loads the key at `path`.
    pub fn load(path: &Path) -> Result<SecretKey, KeyError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| KeyError::Read { path: path.to_path_buf(), source })?;
        let mode = std::fs::metadata(path).map(|m| m.permissions().mode()).unwrap_or(0);
        if mode & 0o077 != 0 {
            return Err(KeyError::Exposed { path: path.to_path_buf() });
        }
        SecretKey::parse(&text).map_err(|reason| KeyError::Malformed { path: path.to_path_buf(), reason })
    }

    /// Loads the key at `path`, making it (and its folder, 0700) first when there is none.
    pub fn load_or_create(path: &Path) -> Result<SecretKey, KeyError> {
        SecretKey::load_or_create_named(path, &default_name("gate-audit"))
    }

    /// As [`SecretKey::load_or_create`], naming a new key `name` (the broker's key is
    /// `gate-broker@HOST`).
    pub fn load_or_create_named(path: &Path, name: &str) -> Result<SecretKey, KeyError> {
        if path.exists() {
            return SecretKey::load(path);
        }
        let created = |source| KeyError::Create { path: path.to_path_buf(), source };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty() && !p.is_dir()) {
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(parent).map_err(created)?;
        }
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| created(std::io::Error::other(e.to_string())))?;
        let key = SecretKey::from_seed(name, seed);
        let temporary = path.with_extension(format!("tmp{}", std::process::id()));
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)
            .and_then(|mut file| file.write_all(key.to_text().as_bytes()).and_then(|()| file.sync_all()));
        let linked = written.and_then(|()| std::fs::hard_link(&temporary, path));
        let _ = std::fs::remove_file(&temporary);
        match linked {
            Ok(()) => Ok(key),
            // Another process made it first: use theirs.
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => SecretKey::load(path),
            Err(error) => Err(created(error)),
        }
    }
}

impl PublicKey {
    /// The key's id in messages and signed documents: `<name>+<hash, 8 hex>`.
    pub fn id(&self) -> String {
        format!("{}+{:08x}", self.name, self.hash)
    }

    /// Whether `signature` is this key's strict Ed25519 signature of `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        self.key.verify_strict(message, &signature).is_ok()
    }

    /// The one-line public key.
    pub fn to_text(&self) -> String {
        let mut blob = vec![ED25519];
        blob.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.hash, STANDARD.encode(blob))
    }

    pub fn parse(text: &str) -> Result<PublicKey, String> {
        let mut parts = text.trim().splitn(3, '+');
        let (Some(name), Some(hash), Some(blob)) = (parts.next(), parts.next(), parts.next()) else {
            return Err("it is not name+hash+key".to_string());
        };
        let blob = STANDARD.decode(blob).map_err(|_| "its key is not base64".to_string())?;
        let key = match blob.split_first() {
            Some((&ED25519, key)) => {
                <[u8; 32]>::try_from(key).map_err(|_| "its key is not 32 bytes".to_string())?
            }
            _ => return Err("it is not an Ed25519 key".to_string()),
        };
        let key =
            VerifyingKey::from_bytes(&key).map_err(|_| "it is not a valid Ed25519 point".to_string())?;
        let computed = key_hash(name, &key);
        if u32::from_str_radix(hash, 16).ok() != Some(computed) {
            return Err("its key hash does not match its key".to_string());
        }
        Ok(PublicKey { name: name.to_string(), hash: computed, key })
    }
}

/// `PREFIX@HOST`, with anything a note key name may not hold replaced by `-`.
pub fn default_name(prefix: &str) -> String {
    let host = nix::unistd::gethostname().ok().and_then(|h| h.into_string().ok()).unwrap_or_default();
    let host: String = host
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '-' })
        .collect();
    if host.is_empty() { prefix.to_string() } else { format!("{prefix}@{host}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_round_trip_and_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config/gate/audit-key");
        let made = SecretKey::load_or_create(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        let loaded = SecretKey::load_or_create(&path).unwrap();
        assert_eq!(loaded.public(), made.public());
        assert_eq!(PublicKey::parse(&made.public().to_text()), Ok(made.public()));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(SecretKey::load(&path), Err(KeyError::Exposed { .. })));
    }

    #[test]
    fn rejects_malformed_keys() {
        let cases = [
            "",
            "PRIVATE+KEY+x",
            "PRIVATE+KEY+x+00000000+AQ==",
            "PRIVATE+KEY+x+00000000+AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIC",
        ];
        for text in cases {
            assert!(SecretKey::parse(text).is_err(), "{text:?}");
        }
        let good = SecretKey::from_seed("x", [3; 32]).to_text();
        assert!(SecretKey::parse(&good).is_ok());
        let wrong_hash = good.replacen("+x+", "+y+", 1);
        assert!(SecretKey::parse(&wrong_hash).is_err());
    }
}
