//! The hash chain as pure functions: hash one entry, and verify a stream of entries in one pass.
//!
//! `hash = hex(SHA-256(b"gate-audit-v1\0" || 32 raw bytes of prev_hash || encoding))`, where the
//! encoding is `encoding::encode` and the genesis entry's `prev_hash` is 64 zeros. Verification
//! keeps only the previous entry's seq and hash (and the requests still waiting for their
//! outcome), so a log of any size streams in near-constant memory, and it names the first entry
//! that is wrong. What a chain alone cannot see: entries deleted from the end (the shorter log is
//! a valid log) and a chain recomputed from scratch; signed checkpoints (`checkpoint`) cover both.

use std::collections::{HashMap, HashSet};
use std::fmt;

use sha2::{Digest, Sha256};

use super::encoding::{self, DOMAIN_V1, FIELD_COUNT, Value, encode, encode_into};
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
    /// The seqs of decisions that let a command run but have no outcome entry: gate stopped (a
    /// crash, a kill, a power cut) between the two, or the command is still running. Not damage.
    pub incomplete: Vec<i64>,
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
    /// A sequence number repeats or goes backwards, or an entry sits under another entry's seq.
    OutOfOrder,
    /// The entry's `log_id` is not the genesis entry's: it was spliced in from another log.
    Foreign,
    /// The genesis entry is missing or malformed, or a second one appears.
    BadGenesis,
    /// The row cannot be read as an entry (unknown kind, wrong column type…).
    Undecodable,
    /// The log does not match a signed checkpoint: truncated, rolled back or rebuilt.
    CheckpointMismatch,
    /// The database file itself was altered outside SQLite (see `file_check`).
    FileDamaged,
    /// A broker's signed decision does not verify with the broker's key, is for another
    /// request or command, or disagrees with the entry; or a remote approval has none.
    ApprovalUnverified,
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
            DamageKind::CheckpointMismatch => "checkpoint-mismatch",
            DamageKind::FileDamaged => "file-damaged",
            DamageKind::ApprovalUnverified => "approval-unverified",
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

pub(crate) fn damage(seq: i64, kind: DamageKind, detail: String) -> Damage {
    Damage { seq, kind, detail }
}

/// An entry as the verifier reads it: the hashed fields in encoding order, borrowed, and the two
/// hashes. The store turns a row into a view without copying; `seq` must be an integer and
/// `kind` and `log_id` text (the store checks column types before making a view).
#[derive(Clone, Copy, Debug)]
pub(crate) struct EntryView<'a> {
    /// Borrowed, not owned: a view is passed around for every row of a log, and moving 26
    /// values each time was a measurable share of verifying.
    pub values: &'a [Value<'a>; FIELD_COUNT],
    pub prev_hash: &'a str,
    pub hash: &'a str,
}

impl<'a> EntryView<'a> {
    /// The values of an entry, to make a view of it with `of`.
    pub fn values_of(entry: &'a Entry) -> [Value<'a>; FIELD_COUNT] {
        encoding::fields(entry.seq, &entry.log_id, &entry.record).map(|f| f.1)
    }

    pub fn of(entry: &'a Entry, values: &'a [Value<'a>; FIELD_COUNT]) -> EntryView<'a> {
        EntryView { values, prev_hash: &entry.prev_hash, hash: &entry.hash }
    }

    pub fn seq(&self) -> i64 {
        match self.values[encoding::SEQ] {
            Value::Int(seq) => seq,
            _ => 0,
        }
    }

    pub fn text(&self, index: usize) -> Option<&'a str> {
        match self.values[index] {
            Value::Text(text) => Some(text),
            _ => None,
        }
    }

    fn kind(&self) -> Option<Kind> {
        self.text(encoding::KIND).and_then(Kind::parse)
    }

    fn log_id(&self) -> &'a str {
        self.text(encoding::LOG_ID).unwrap_or("")
    }
}

/// Checks what every reader of a row requires before it makes a view of it: a known kind, and a
/// log id and time. (Column types are the reader's to check.)
pub(crate) fn check_required(values: &[Value<'_>; FIELD_COUNT]) -> Result<(), String> {
    let kind = match values[encoding::KIND] {
        Value::Text(text) => text,
        _ => return Err("kind is null".to_string()),
    };
    if Kind::parse(kind).is_none() {
        return Err(format!("kind {kind:?} is not a known kind"));
    }
    for required in [encoding::LOG_ID, encoding::TIME] {
        if values[required] == Value::Null {
            return Err(format!("{} is null", encoding::NAMES[required]));
        }
    }
    Ok(())
}

/// Checks entries one at a time, in the order they are stored.
#[derive(Debug, Default)]
pub struct Verifier {
    entries: u64,
    /// The previous entry's seq and hash (as lowercase hex).
    last: Option<(i64, [u8; 64])>,
    log_id: String,
    /// Reused for every entry's encoding: no allocation per entry on the common path.
    buffer: Vec<u8>,
    /// The latest decision that let a command run, until its outcome or the next such decision:
    /// most outcomes follow their decision closely, and then the map below is never touched.
    latest: Option<(u128, i64)>,
    /// Older decisions that let a command run, by request id, until their outcome shows up.
    waiting: HashMap<u128, i64, RequestIdHasher>,
    /// For a verifier resumed mid-log: outcomes whose decision came before it started.
    resumed: bool,
    orphans: HashSet<u128, RequestIdHasher>,
}

impl Verifier {
    pub fn new() -> Verifier {
        Verifier::default()
    }

    /// A verifier for the rest of a log, starting after an entry that another verifier checks:
    /// it trusts that entry's seq and hash and the log id, so two halves can run at once.
    pub(crate) fn resume(seq: i64, hash: &str, log_id: &str) -> Verifier {
        let mut last = [b'?'; 64];
        if hash.len() == 64 {
            last.copy_from_slice(hash.as_bytes());
        }
        Verifier { last: Some((seq, last)), log_id: log_id.to_string(), resumed: true, ..Verifier::default() }
    }

    /// Joins the verifier of the rest of the log (see `resume`) to this one.
    pub(crate) fn absorb(mut self, later: Verifier) -> Verifier {
        self.entries += later.entries;
        if later.entries > 0 {
            self.last = later.last;
        }
        self.waiting.extend(self.latest.take());
        self.waiting.retain(|id, _| !later.orphans.contains(id));
        self.waiting.extend(later.waiting);
        self.waiting.extend(later.latest);
        self
    }

    /// The seq the next entry should have.
    pub fn expected_seq(&self) -> i64 {
        self.last.as_ref().map_or(1, |(seq, _)| seq + 1)
    }

    /// The last entry checked: its seq and hash.
    pub fn head(&self) -> Option<(i64, &str)> {
        self.last.as_ref().map(|(seq, hex)| (*seq, std::str::from_utf8(hex).unwrap_or("")))
    }

    /// Checks the next entry against the ones before it.
    pub fn push(&mut self, entry: &Entry) -> Result<(), Damage> {
        let values = EntryView::values_of(entry);
        self.push_view(&EntryView::of(entry, &values))
    }

    pub(crate) fn push_view(&mut self, entry: &EntryView<'_>) -> Result<(), Damage> {
        let seq = entry.seq();
        let kind = entry.kind();
        match &self.last {
            None => {
                check_genesis(entry, kind)?;
                self.check_content(entry)?;
                check_genesis_links(entry)?;
                self.log_id = entry.log_id().to_string();
            }
            Some((last_seq, last_hash)) => {
                let last_seq = *last_seq;
                if seq <= last_seq {
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
                if entry.log_id() != self.log_id {
                    let detail = format!("log id {} is not this log's id {}", entry.log_id(), self.log_id);
                    return Err(damage(seq, DamageKind::Foreign, detail));
                }
                let last_hash = *last_hash;
                self.check_content(entry)?;
                if entry.prev_hash.as_bytes() != last_hash {
                    let last_hash = String::from_utf8_lossy(&last_hash);
                    let detail = format!(
                        "prev_hash {} is not the hash {last_hash} of entry {last_seq}",
                        entry.prev_hash
                    );
                    return Err(damage(seq, DamageKind::LinkBroken, detail));
                }
                if kind == Some(Kind::Genesis) {
                    let detail = "a second genesis entry".to_string();
                    return Err(damage(seq, DamageKind::BadGenesis, detail));
                }
            }
        }
        self.track_request(entry, kind, seq);
        self.entries += 1;
        let mut hex = [0u8; 64];
        hex.copy_from_slice(entry.hash.as_bytes());
        self.last = Some((seq, hex));
        Ok(())
    }

    /// Recomputes the entry's hash into the reused buffer and compares it with the stored one.
    fn check_content(&mut self, entry: &EntryView<'_>) -> Result<(), Damage> {
        let seq = entry.seq();
        let changed = |detail: String| Err(damage(seq, DamageKind::ContentChanged, detail));
        let Some(prev) = decode_hex32(entry.prev_hash) else {
            return changed(format!("prev_hash {:?} is not 64 hex digits", entry.prev_hash));
        };
        let computed = hash_values(&mut self.buffer, &prev, entry.values);
        if entry.hash.as_bytes() == computed {
            return Ok(());
        }
        let computed = String::from_utf8_lossy(&computed).into_owned();
        // An entry moved under another seq still carries the hash it was written with.
        for moved in [seq - 1, seq + 1] {
            let mut values = *entry.values;
            values[encoding::SEQ] = Value::Int(moved);
            if entry.hash.as_bytes() == hash_values(&mut self.buffer, &prev, &values) {
                let detail =
                    format!("entry {seq} holds the entry written as seq {moved}: entries were reordered");
                return Err(damage(seq, DamageKind::OutOfOrder, detail));
            }
        }
        changed(format!("stored hash {} is not the hash {computed} of its fields", entry.hash))
    }

    fn track_request(&mut self, entry: &EntryView<'_>, kind: Option<Kind>, seq: i64) {
        let Some(request_id) = entry.text(encoding::REQUEST_ID) else { return };
        match kind {
            Some(Kind::Decision) if matches!(entry.text(encoding::VERDICT), Some("allowed" | "approved")) => {
                if let Some((key, seq)) = self.latest.replace((request_key(request_id), seq)) {
                    self.waiting.insert(key, seq);
                }
            }
            Some(Kind::Outcome) => {
                let key = request_key(request_id);
                if self.latest.is_some_and(|(latest, _)| latest == key) {
                    self.latest = None;
                } else if self.waiting.remove(&key).is_none() && self.resumed {
                    self.orphans.insert(key);
                }
            }
            _ => {}
        }
    }

    /// Ends the stream: the summary of an intact chain, or damage when it was empty.
    pub fn finish(self) -> Result<Summary, Damage> {
        match self.last {
            None => Err(damage(
                1,
                DamageKind::BadGenesis,
                "the log is empty: the genesis entry is missing".to_string(),
            )),
            Some((_, head_hash)) => {
                let mut incomplete: Vec<i64> =
                    self.waiting.into_values().chain(self.latest.map(|l| l.1)).collect();
                incomplete.sort_unstable();
                Ok(Summary {
                    entries: self.entries,
                    head_hash: String::from_utf8_lossy(&head_hash).into_owned(),
                    log_id: self.log_id,
                    incomplete,
                })
            }
        }
    }
}

/// A request id as a number: gate's are 32 hex digits; anything else is hashed (a collision
/// could only hide an incomplete request, never damage).
fn request_key(request_id: &str) -> u128 {
    if let Some(key) =
        Some(request_id).filter(|id| id.len() == 32).and_then(|id| u128::from_str_radix(id, 16).ok())
    {
        return key;
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(request_id, &mut hasher);
    u128::from(std::hash::Hasher::finish(&hasher)) | (1 << 127)
}

/// Request ids are random: their low bits are a good hash already, and SipHash would cost more
/// than the rest of the bookkeeping.
#[derive(Clone, Copy, Debug, Default)]
struct RequestIdHasher;

impl std::hash::BuildHasher for RequestIdHasher {
    type Hasher = FoldHasher;
    fn build_hasher(&self) -> FoldHasher {
        FoldHasher(0)
    }
}

#[derive(Debug)]
struct FoldHasher(u64);

impl std::hash::Hasher for FoldHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u128(&mut self, n: u128) {
        self.0 ^= (n as u64) ^ ((n >> 64) as u64);
    }
}

/// The lowercase hex hash of fields in encoding order, using `buffer` for the encoding.
fn hash_values(buffer: &mut Vec<u8>, prev: &[u8; 32], values: &[Value<'_>; FIELD_COUNT]) -> [u8; 64] {
    buffer.clear();
    encode_into(buffer, values);
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN_V1);
    hasher.update(prev);
    hasher.update(&buffer);
    hex64(&hasher.finalize().into())
}

fn hex64(bytes: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (i, byte) in bytes.iter().enumerate() {
        out[2 * i] = DIGITS[usize::from(byte >> 4)];
        out[2 * i + 1] = DIGITS[usize::from(byte & 0xf)];
    }
    out
}

fn check_genesis(entry: &EntryView<'_>, kind: Option<Kind>) -> Result<(), Damage> {
    let seq = entry.seq();
    let bad = |detail: String| Err(damage(1, DamageKind::BadGenesis, detail));
    if seq < 1 {
        let detail = format!("entry {seq} comes before seq 1, where a log starts");
        return Err(damage(seq, DamageKind::BadGenesis, detail));
    }
    if seq != 1 {
        return bad(format!("the log starts at seq {seq}: the genesis entry is missing"));
    }
    if kind != Some(Kind::Genesis) {
        let kind = entry.text(encoding::KIND).unwrap_or("?");
        return bad(format!("the first entry is a {kind} entry, not genesis"));
    }
    Ok(())
}

/// The genesis rules checked once its content is known to be what was hashed.
fn check_genesis_links(entry: &EntryView<'_>) -> Result<(), Damage> {
    let bad = |detail: String| Err(damage(1, DamageKind::BadGenesis, detail));
    if entry.prev_hash != GENESIS_PREV_HASH {
        return bad(format!("prev_hash {} is not 64 zeros", entry.prev_hash));
    }
    if !is_log_id(entry.log_id()) {
        return bad(format!("log id {:?} is not 32 lowercase hex digits", entry.log_id()));
    }
    Ok(())
}

fn is_log_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
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
