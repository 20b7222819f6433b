//! The hash chain as pure functions: hash one entry, and verify a stream of entries in one pass.
//!
//! `hash = hex(SHA-256(b"gate-audit-v1\0" || 32 raw bytes of prev_hash || encoding))`, where the
//! encoding is `encoding::encode` and the genesis entry's `prev_hash` is 64 zeros. Verification
//! keeps only the previous entry's seq and hash, so a log of any size streams in constant memory,
//! and it names the first entry that is wrong. What it cannot see: entries deleted from the end
//! (the shorter log is a valid log) until checkpoints of the head are kept elsewhere.

use std::fmt;

use sha2::{Digest, Sha256};

use super::encoding::{DOMAIN_V1, encode};
use super::entry::{Entry, Kind, Record};

/// The `prev_hash` of the genesis entry.
pub const GENESIS_PREV_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of an entry with these fields; `None` when `prev_hash` is not 64 hex digits.
pub fn entry_hash(seq: i64, log_id: &str, record: &Record, prev_hash: &str) -> Option<String> {
    let prev = decode_hex32(prev_hash)?;
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN_V1);
    hasher.update(prev);
    hasher.update(encode(seq, log_id, record));
    Some(to_hex(&hasher.finalize()))
}

/// The hash an entry should carry, recomputed from its other fields.
pub fn recompute(entry: &Entry) -> Option<String> {
    entry_hash(entry.seq, &entry.log_id, &entry.record, &entry.prev_hash)
}

fn decode_hex32(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let high = (pair[0] as char).to_digit(16)?;
        let low = (pair[1] as char).to_digit(16)?;
        out[i] = (high * 16 + low) as u8;
    }
    Some(out)
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0xf)] as char);
    }
    out
}

/// An intact chain: how long it is, where it ends, whose it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub entries: u64,
    pub head_hash: String,
    pub log_id: String,
}

/// What is wrong with the first bad entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DamageKind {
    /// The stored hash is not the hash of the entry's fields: a field was edited.
    ContentChanged,
    /// The entry's `prev_hash` is not the previous entry's hash: the entry before it was edited
    /// and rehashed, or this one was forged or inserted.
    LinkBroken,
    /// Sequence numbers skip: entries were deleted. The damage names the first missing seq.
    Gap,
    /// A sequence number repeats or goes backwards.
    OutOfOrder,
    /// The entry's `log_id` is not the genesis entry's: it was spliced in from another log.
    Foreign,
    /// The genesis entry is missing or malformed, or a second one appears.
    BadGenesis,
    /// The row cannot be read as an entry (unknown kind, wrong column type…).
    Undecodable,
}

impl DamageKind {
    /// A stable name for machine-readable output.
    pub fn as_str(self) -> &'static str {
        match self {
            DamageKind::ContentChanged => "content-changed",
            DamageKind::LinkBroken => "link-broken",
            DamageKind::Gap => "gap",
            DamageKind::OutOfOrder => "out-of-order",
            DamageKind::Foreign => "foreign-entry",
            DamageKind::BadGenesis => "bad-genesis",
            DamageKind::Undecodable => "undecodable",
        }
    }
}

impl fmt::Display for DamageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first bad entry of a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    pub seq: i64,
    pub kind: DamageKind,
    pub detail: String,
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "entry {}: {}: {}", self.seq, self.kind, self.detail)
    }
}

fn damage(seq: i64, kind: DamageKind, detail: String) -> Damage {
    Damage { seq, kind, detail }
}

/// Checks entries one at a time, in the order they are stored.
#[derive(Debug, Default)]
pub struct Verifier {
    entries: u64,
    /// The previous entry's seq and hash.
    last: Option<(i64, String)>,
    log_id: String,
}

impl Verifier {
    pub fn new() -> Verifier {
        Verifier::default()
    }

    /// The seq the next entry should have.
    pub fn expected_seq(&self) -> i64 {
        self.last.as_ref().map_or(1, |(seq, _)| seq + 1)
    }

    /// Checks the next entry against the ones before it.
    pub fn push(&mut self, entry: &Entry) -> Result<(), Damage> {
        let seq = entry.seq;
        match &self.last {
            None => check_genesis(entry)?,
            Some((last_seq, last_hash)) => {
                if seq <= *last_seq {
                    let detail = format!("seq {seq} comes after seq {last_seq}");
                    return Err(damage(seq, DamageKind::OutOfOrder, detail));
                }
                if seq > last_seq + 1 {
                    let first = last_seq + 1;
                    let detail = if seq == first + 1 {
                        format!("entry {first} is missing")
                    } else {
                        format!("entries {first} to {} are missing", seq - 1)
                    };
                    return Err(damage(first, DamageKind::Gap, detail));
                }
                if entry.log_id != self.log_id {
                    let detail = format!("log id {} is not this log's id {}", entry.log_id, self.log_id);
                    return Err(damage(seq, DamageKind::Foreign, detail));
                }
                check_content(entry)?;
                if entry.prev_hash != *last_hash {
                    let detail = format!(
                        "prev_hash {} is not the hash {last_hash} of entry {last_seq}",
                        entry.prev_hash
                    );
                    return Err(damage(seq, DamageKind::LinkBroken, detail));
                }
                if entry.record.kind == Kind::Genesis {
                    let detail = "a second genesis entry".to_string();
                    return Err(damage(seq, DamageKind::BadGenesis, detail));
                }
            }
        }
        if self.last.is_none() {
            self.log_id.clone_from(&entry.log_id);
        }
        self.entries += 1;
        self.last = Some((seq, entry.hash.clone()));
        Ok(())
    }

    /// Ends the stream: the summary of an intact chain, or damage when it was empty.
    pub fn finish(self) -> Result<Summary, Damage> {
        match self.last {
            None => Err(damage(
                1,
                DamageKind::BadGenesis,
                "the log is empty: the genesis entry is missing".to_string(),
            )),
            Some((_, head_hash)) => Ok(Summary { entries: self.entries, head_hash, log_id: self.log_id }),
        }
    }
}

fn check_genesis(entry: &Entry) -> Result<(), Damage> {
    let bad = |detail: String| Err(damage(1, DamageKind::BadGenesis, detail));
    if entry.seq < 1 {
        let detail = format!("entry {} comes before seq 1, where a log starts", entry.seq);
        return Err(damage(entry.seq, DamageKind::BadGenesis, detail));
    }
    if entry.seq != 1 {
        return bad(format!("the log starts at seq {}: the genesis entry is missing", entry.seq));
    }
    if entry.record.kind != Kind::Genesis {
        return bad(format!("the first entry is a {} entry, not genesis", entry.record.kind.as_str()));
    }
    check_content(entry)?;
    if entry.prev_hash != GENESIS_PREV_HASH {
        return bad(format!("prev_hash {} is not 64 zeros", entry.prev_hash));
    }
    if !is_log_id(&entry.log_id) {
        return bad(format!("log id {:?} is not 32 lowercase hex digits", entry.log_id));
    }
    Ok(())
}

fn is_log_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn check_content(entry: &Entry) -> Result<(), Damage> {
    let changed = |detail: String| Err(damage(entry.seq, DamageKind::ContentChanged, detail));
    match recompute(entry) {
        None => changed(format!("prev_hash {:?} is not 64 hex digits", entry.prev_hash)),
        Some(hash) if hash != entry.hash => {
            changed(format!("stored hash {} is not the hash {hash} of its fields", entry.hash))
        }
        Some(_) => Ok(()),
    }
}

/// Verifies a whole chain, streaming: the summary, or the first bad entry.
pub fn verify_entries<I: IntoIterator<Item = Entry>>(entries: I) -> Result<Summary, Damage> {
    let mut verifier = Verifier::new();
    for entry in entries {
        verifier.push(&entry)?;
    }
    verifier.finish()
}

#[cfg(test)]
#[path = "chain_tests.rs"]
mod tests;
