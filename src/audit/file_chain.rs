//! Verifying a closed log straight from its file: the file check walks every page anyway, so
//! it hands each entry's record to the chain verifier as it goes, and SQLite is not asked to
//! read the entries again. This is the fast path of `verify`; it can only prove a log intact.
//! When it finds damage, or cannot be sure (the log is open, or changed during the walk),
//! `verify` runs the thorough check through SQLite, which names the damage.
//!
//! Reading records here and through SQLite gives the same values because the file check holds
//! the file to exactly what gate writes: gate's schema, UTF-8, no WAL, and every byte that an
//! entry or SQLite's reading of the entries depends on.
//! Where this reader is stricter than SQLite (a record that ends before a column with a DEFAULT,
//! a value stored for the rowid), it calls the row undecodable; a record that ends before
//! columns without one (a row older than `ALTER TABLE ... ADD COLUMN`) reads them as NULL, as
//! SQLite does.

use std::collections::BTreeMap;
use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, mpsc};

use super::AuditError;
use super::chain::{self, Damage, DamageKind, EntryView, Summary, Verifier, damage};
use super::encoding::{self, FIELD_COUNT, NAMES, Value};
use super::file_check::{self, Checked, FileDamage, Raw, RowSink};
use super::notice::Notice;
use super::store::{self, BadRow, Expected};
use super::verify::ChainCheck;

/// What the fast path found.
pub(super) enum Fast {
    Intact {
        summary: Summary,
        at_size: Option<String>,
        notices: Vec<Notice>,
    },
    Damaged(Damage),
    /// The log is open or changed meanwhile, or this build cannot read its records.
    Unsure,
}

/// Verifies the closed log at `path` from its file; `watched` is the seq whose hash to report.
pub(super) fn verify(path: &Path, watched: Option<i64>) -> Result<Fast, AuditError> {
    let Some(layout) = layout() else { return Ok(Fast::Unsure) };
    // The walk (reading pages, checking their bytes) runs on a thread of its own and hands out
    // records in batches; hashing them, most of the work, runs on a thread per core. Each batch
    // after the first starts with the last entry of the one before, to resume the chain from.
    let workers = super::verify::threads().min(8);
    let (jobs, queue) = mpsc::sync_channel::<Batch>(2 * workers);
    let queue = Mutex::new(queue);
    let (done, results) = mpsc::channel::<(Batch, ChainCheck)>();
    let (spare, spares) = mpsc::channel::<Batch>();
    let (walked, check) = std::thread::scope(|scope| {
        let walker = scope.spawn(move || walk_in_batches(path, &jobs, &spares));
        for _ in 0..workers {
            let done = done.clone();
            let queue = &queue;
            scope.spawn(move || {
                loop {
                    // The lock is held while waiting for a batch, not while checking it.
                    let Ok(batch) = queue.lock().expect("no worker panics").recv() else { break };
                    let check = check_batch(layout, &batch, watched);
                    if done.send((batch, check)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done);
        // The batches' checks come back in any order and are joined in the chain's.
        let mut waiting = BTreeMap::new();
        let mut joined: Option<ChainCheck> = None;
        let mut next = 0;
        for (mut batch, check) in results {
            waiting.insert(batch.index, check);
            batch.clear();
            let _ = spare.send(batch);
            while let Some(check) = waiting.remove(&next) {
                joined = Some(match joined {
                    None => check,
                    Some(earlier) => earlier.then(check),
                });
                next += 1;
            }
        }
        (walker.join().expect("the file walk does not panic"), joined)
    });
    let checked = match walked? {
        None => return Ok(Fast::Unsure),
        Some(Err(found)) => {
            let found = check.and_then(|c| c.found).unwrap_or_else(|| file_damage(found.to_string()));
            return Ok(Fast::Damaged(found));
        }
        Some(Ok(checked)) => checked,
    };
    let Some(check) = check else { return Ok(Fast::Unsure) };
    if let Some(found) = check.found {
        return Ok(Fast::Damaged(found));
    }
    Ok(match check.verifier.finish() {
        Err(found) => Fast::Damaged(found),
        Ok(summary) if summary.entries != checked.rows => Fast::Unsure,
        Ok(summary) => Fast::Intact { summary, at_size: check.at_size, notices: checked.notices },
    })
}

/// The file check, its rows sent out in batches of `BATCH_ROWS` or `BATCH_BYTES` (and a lead-in).
fn walk_in_batches(
    path: &Path,
    jobs: &mpsc::SyncSender<Batch>,
    spares: &mpsc::Receiver<Batch>,
) -> Result<Option<Result<Checked, FileDamage>>, AuditError> {
    let mut batch = Batch::default();
    let walked = check_closed(path, &mut |key, record| {
        batch.push(key, record);
        if batch.rows.len() == BATCH_ROWS || batch.bytes.len() >= BATCH_BYTES {
            let mut next = spares.try_recv().unwrap_or_default();
            next.index = batch.index + 1;
            let (key, range) = batch.rows.last().cloned().expect("a full batch");
            next.push(key, &batch.bytes[range]);
            // A closed channel means the verifier stopped listening.
            let _ = jobs.send(std::mem::replace(&mut batch, next));
        }
    });
    if batch.rows.len() > usize::from(batch.index > 0) {
        let _ = jobs.send(batch);
    }
    walked
}

/// Checks one batch: the first from the log's start, the others resumed from their lead-in,
/// which the batch before checks.
fn check_batch(layout: &Layout, batch: &Batch, watched: Option<i64>) -> ChainCheck {
    let mut rows = batch.rows.iter();
    let mut values = [Value::Null; FIELD_COUNT];
    let verifier = match rows.next() {
        Some((key, range)) if batch.index > 0 => {
            match layout.view(*key, &batch.bytes[range.clone()], &mut values) {
                Ok(lead) => {
                    Verifier::resume(lead.seq(), lead.hash, lead.text(encoding::LOG_ID).unwrap_or(""))
                }
                Err(bad) => {
                    let mut check = ChainCheck::new(Verifier::new(), watched);
                    let _ = check.push(Err(bad));
                    return check;
                }
            }
        }
        _ => {
            rows = batch.rows.iter();
            Verifier::new()
        }
    };
    let mut check = ChainCheck::new(verifier, watched);
    for (key, range) in rows {
        let mut values = [Value::Null; FIELD_COUNT];
        if check.push(layout.view(*key, &batch.bytes[range.clone()], &mut values)).is_break() {
            break;
        }
    }
    check
}

pub(super) fn file_damage(detail: String) -> Damage {
    damage(0, DamageKind::FileDamaged, detail)
}

/// The strict check of the file's bytes (see `file_check`), handing each entry's record to
/// `rows`, when the log is closed: with a non-empty `-wal` file, pages there supersede the
/// main file's, so the main file alone is not the log (gate's writers keep the WAL between
/// commands; `verify` folds it in and empties it first where it can). A log that changes while it is checked is not called
/// damaged for it. `None` in both cases; else what the file holds, or what is wrong.
pub(super) fn check_closed(
    path: &Path,
    rows: &mut RowSink<'_>,
) -> Result<Option<Result<Checked, FileDamage>>, AuditError> {
    let read = |source| AuditError::ReadFile { path: path.to_path_buf(), source };
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    let closed = || std::fs::metadata(&wal).map_or(true, |m| m.len() == 0);
    let stamp = |file: &File| file.metadata().map(|m| (m.len(), m.modified().ok()));
    if !closed() {
        return Ok(None);
    }
    let file = File::open(path).map_err(read)?;
    let before = stamp(&file).map_err(read)?;
    let expected = expected().map_err(|source| AuditError::Read { path: path.to_path_buf(), source })?;
    let expect = file_check::Expect {
        user_version: u32::try_from(store::SCHEMA_VERSION).unwrap_or(0),
        application_id: store::APPLICATION_ID,
        sqlite_version: u32::try_from(rusqlite::version_number()).unwrap_or(0),
        schema: &expected.rows,
    };
    let found = file_check::check(&file, before.0, &expect, rows).map_err(read)?;
    let unchanged = closed() && stamp(&file).map_err(read)? == before;
    Ok(unchanged.then_some(found))
}

/// What gate's schema looks like in a file, worked out once per process.
fn expected() -> rusqlite::Result<&'static Expected> {
    static EXPECTED: OnceLock<Expected> = OnceLock::new();
    if let Some(expected) = EXPECTED.get() {
        return Ok(expected);
    }
    let expected = store::expected()?;
    Ok(EXPECTED.get_or_init(|| expected))
}

/// Records handed over by the walk, in one buffer.
#[derive(Default)]
struct Batch {
    /// Where it comes in the log: the first batch is 0.
    index: usize,
    bytes: Vec<u8>,
    rows: Vec<(i64, Range<usize>)>,
}

impl Batch {
    fn push(&mut self, key: i64, record: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(record);
        self.rows.push((key, start..self.bytes.len()));
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.rows.clear();
    }
}

const BATCH_ROWS: usize = 256;
/// Large entries make short batches: what the batches queued and in flight hold stays a few
/// megabytes, whatever the entries' sizes (256 lines of 200 KB would be 50 MB a batch).
const BATCH_BYTES: usize = 256 << 10;

/// The columns of `entries`: the hashed fields, then the two hashes.
const COLUMNS: usize = FIELD_COUNT + 2;
const PREV_HASH: usize = FIELD_COUNT;
const HASH: usize = FIELD_COUNT + 1;

/// Where each column of a record goes: its index in `NAMES`, or `PREV_HASH` or `HASH`.
#[derive(Debug, PartialEq, Eq)]
struct Layout {
    slots: [usize; COLUMNS],
    /// The fewest values a record may hold. A record written before a column was added ends
    /// before it, and SQLite reads such a column as its DEFAULT, or NULL when it has none; this
    /// reader knows no defaults, so only columns without one (and after the last with one) may
    /// be missing, and read as NULL.
    least: usize,
}

/// The layout of gate's `entries` table; `None` if its columns are not the hashed fields and
/// the two hashes, each once (a test makes sure they are).
fn layout() -> Option<&'static Layout> {
    static LAYOUT: OnceLock<Option<Layout>> = OnceLock::new();
    LAYOUT
        .get_or_init(|| {
            let expected = expected().ok()?;
            layout_of(&expected.columns, &expected.defaults)
        })
        .as_ref()
}

fn layout_of(columns: &[String], defaults: &[bool]) -> Option<Layout> {
    let slot = |column: &str| match column {
        "prev_hash" => Some(PREV_HASH),
        "hash" => Some(HASH),
        name => NAMES.iter().position(|n| *n == name),
    };
    let slots: Vec<usize> = columns.iter().map(|c| slot(c)).collect::<Option<_>>()?;
    let mut sorted = slots.clone();
    sorted.sort_unstable();
    sorted.dedup();
    let slots: [usize; COLUMNS] = slots.try_into().ok()?;
    let least = defaults.iter().rposition(|d| *d).map_or(0, |last| last + 1);
    (sorted.len() == COLUMNS && defaults.len() == COLUMNS).then_some(Layout { slots, least })
}

impl Layout {
    /// Reads a record as a view, checking every value's type as the store's reader does.
    fn view<'r>(
        &self,
        seq: i64,
        record: &'r [u8],
        values: &'r mut [Value<'r>; FIELD_COUNT],
    ) -> Result<EntryView<'r>, BadRow> {
        let bad = |detail: String| BadRow { seq: Some(seq), detail };
        let mut raw = [Raw::Null; COLUMNS];
        let count = file_check::decode_record(record, &mut raw)
            .ok_or_else(|| bad(format!("its record does not hold {COLUMNS} values")))?;
        // The columns past the record's end stay `Raw::Null`, as SQLite reads them.
        if count < self.least {
            return Err(bad(format!("its record holds {count} values, not {COLUMNS}")));
        }
        let mut hashes = [""; 2];
        for (&slot, value) in self.slots.iter().zip(raw) {
            let name =
                if slot < FIELD_COUNT { NAMES[slot] } else { ["prev_hash", "hash"][slot - FIELD_COUNT] };
            let int = slot < FIELD_COUNT && encoding::is_int(slot);
            let value = match value {
                // seq is the rowid; SQLite stores no value for it in the record.
                Raw::Null if slot == encoding::SEQ => Value::Int(seq),
                _ if slot == encoding::SEQ => {
                    return Err(bad("the record stores a value for seq".to_string()));
                }
                Raw::Null => Value::Null,
                Raw::Int(n) if int => Value::Int(n),
                Raw::Text(text) if !int => match std::str::from_utf8(text) {
                    Ok(text) => Value::Text(text),
                    Err(_) => return Err(bad(format!("{name} is not valid UTF-8"))),
                },
                _ => return Err(bad(format!("{name} holds a value of the wrong type"))),
            };
            match (slot, value) {
                (PREV_HASH | HASH, Value::Text(text)) => hashes[slot - PREV_HASH] = text,
                (PREV_HASH | HASH, _) => return Err(bad(format!("{name} is null"))),
                _ => values[slot] = value,
            }
        }
        chain::check_required(values).map_err(bad)?;
        let [prev_hash, hash] = hashes;
        Ok(EntryView { values, prev_hash, hash })
    }
}

#[cfg(test)]
#[path = "file_chain_tests.rs"]
mod tests;
