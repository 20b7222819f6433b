//! The SQLite store, and the only code that speaks SQL. Appends are serialized by SQLite's write
//! lock (`BEGIN IMMEDIATE`): reading the head and inserting its successor happen in one
//! transaction, so concurrent gate processes never lose an entry or fork the chain, and a busy
//! database is waited for (busy timeout, then a few retries) rather than reported.

mod read;
mod row;
mod schema;

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

use super::AuditError;
use super::chain::{GENESIS_PREV_HASH, entry_hash, to_hex};
use super::entry::{Entry, Kind, Record};
use super::filter::Filter;

pub(crate) use read::{ReadLog, open_read};
pub(crate) use row::BadRow;
pub(crate) use schema::{APPLICATION_ID, Expected, SchemaRow, expected};

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: i64 = schema::LATEST;

/// How long one statement waits for another process's write lock before failing with BUSY.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a transaction keeps being retried when SQLite still reports BUSY: long enough for
/// dozens of concurrent writers, short enough that a stuck lock is reported, not waited on forever.
const RETRY_FOR: Duration = Duration::from_secs(30);

/// When a commit reaches the disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// Every commit is fsynced before `append` returns: a decision entry survives a power cut
    /// that happens while its command runs.
    #[default]
    Full,
    /// Commits are fsynced at WAL checkpoints only: a power cut may lose the last entries
    /// (never corrupt the file).
    Normal,
}

impl Durability {
    /// SQLite's `synchronous` setting for it.
    fn synchronous(self) -> &'static str {
        match self {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        }
    }
}

/// An open audit log, ready to append.
#[derive(Debug)]
pub struct AuditLog {
    conn: Connection,
    path: PathBuf,
}

impl AuditLog {
    /// Opens the log at `path`, creating its folder (0700), the file (0600) and the genesis
    /// entry on first use.
    pub fn open(path: &Path) -> Result<AuditLog, AuditError> {
        AuditLog::open_with(path, Durability::Full)
    }

    pub fn open_with(path: &Path, durability: Durability) -> Result<AuditLog, AuditError> {
        create_file(path)?;
        let opened = |source| AuditError::Open { path: path.to_path_buf(), source };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e, opened))?;
        // SQLite silently opens a write-protected file read-only; say so now, not at the first write.
        if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err(AuditError::ReadOnly { path: path.to_path_buf() });
        }
        let version = conn
            .busy_timeout(BUSY_TIMEOUT)
            .and_then(|()| conn.pragma_update(None, "synchronous", durability.synchronous()))
            // Freed space is zeroed, so that verify's file check can require every byte that
            // holds no entry to be zero.
            .and_then(|()| conn.pragma_update(None, "secure_delete", "ON"))
            .and_then(|()| retry(|| identity(&conn)))
            .map_err(|e| classify(path, e, opened))?;
        let version = is_gate_log(path, version)?;
        if version < schema::LATEST {
            initialize(&mut conn).map_err(|e| {
                classify(path, e, |source| AuditError::Write { path: path.to_path_buf(), source })
            })?;
        }
        Ok(AuditLog { conn, path: path.to_path_buf() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Changes when later commits reach the disk.
    pub fn set_durability(&mut self, durability: Durability) -> Result<(), AuditError> {
        self.conn
            .pragma_update(None, "synchronous", durability.synchronous())
            .map_err(|source| AuditError::Write { path: self.path.clone(), source })
    }

    /// Appends a record as the successor of the current head, and returns the stored entry.
    pub fn append(&mut self, record: &Record) -> Result<Entry, AuditError> {
        let path = &self.path;
        if record.kind == Kind::Genesis {
            let reason = "only the log itself writes a genesis entry";
            return Err(AuditError::Invalid { path: path.clone(), reason });
        }
        let conn = &mut self.conn;
        let appended = retry(|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some((head_seq, log_id, prev_hash)) = read::head(&tx)? else {
                return Ok(Err(AuditError::Emptied { path: path.clone() }));
            };
            let seq = head_seq + 1;
            let Some(hash) = entry_hash(seq, &log_id, record, &prev_hash) else {
                return Ok(Err(AuditError::Undecodable {
                    path: path.clone(),
                    seq: head_seq,
                    detail: format!("its hash {prev_hash:?} is not 64 hex digits"),
                }));
            };
            let entry = Entry { seq, log_id, record: record.clone(), prev_hash, hash };
            row::insert(&tx, &entry)?;
            tx.commit()?;
            Ok(Ok(entry))
        });
        appended.map_err(|e| classify(path, e, |source| AuditError::Write { path: path.clone(), source }))?
    }

    /// Appends records in one transaction, in order: all or none. For importing and for
    /// building large logs in benchmarks; gate itself appends one record at a time.
    pub fn append_all<'r>(
        &mut self,
        records: impl IntoIterator<Item = &'r Record>,
    ) -> Result<u64, AuditError> {
        let path = &self.path;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate);
        let write = |e| classify(path, e, |source| AuditError::Write { path: path.clone(), source });
        let tx = tx.map_err(write)?;
        let head = read::head(&tx).map_err(write)?;
        let Some((mut seq, log_id, mut prev_hash)) = head else {
            return Err(AuditError::Emptied { path: path.clone() });
        };
        let mut count = 0;
        for record in records {
            if record.kind == Kind::Genesis {
                let reason = "only the log itself writes a genesis entry";
                return Err(AuditError::Invalid { path: path.clone(), reason });
            }
            seq += 1;
            let hash =
                entry_hash(seq, &log_id, record, &prev_hash).ok_or_else(|| AuditError::Undecodable {
                    path: path.clone(),
                    seq: seq - 1,
                    detail: format!("its hash {prev_hash:?} is not 64 hex digits"),
                })?;
            let entry = Entry { seq, log_id: log_id.clone(), record: record.clone(), prev_hash, hash };
            row::insert(&tx, &entry).map_err(write)?;
            prev_hash = entry.hash;
            count += 1;
        }
        tx.commit().map_err(write)?;
        Ok(count)
    }

    /// The current head: the log id, the number of entries and the last hash.
    pub fn head(&self) -> Result<Head, AuditError> {
        let path = &self.path;
        let head = read::head(&self.conn)
            .map_err(|e| classify(path, e, |source| AuditError::Read { path: path.clone(), source }))?;
        let (seq, log_id, hash) = head.ok_or_else(|| AuditError::Emptied { path: path.clone() })?;
        Ok(Head { log_id, size: seq, hash })
    }

    /// The last `n` entries, oldest first.
    pub fn recent(&self, n: usize) -> Result<Vec<Entry>, AuditError> {
        read::select(&self.conn, &self.path, row::columns(schema::LATEST), &Filter::default(), Some(n))
    }
}

/// The head of a log: what a checkpoint signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    pub log_id: String,
    /// The number of entries, which is the seq of the last one.
    pub size: i64,
    pub hash: String,
}

fn check_version(path: &Path, version: i64) -> Result<(), AuditError> {
    if version > schema::LATEST {
        return Err(AuditError::TooNew { path: path.to_path_buf(), version, known: schema::LATEST });
    }
    if version < 0 {
        return Err(AuditError::NotALog {
            path: path.to_path_buf(),
            reason: format!("schema version {version}"),
        });
    }
    Ok(())
}

/// What a database says it is, read in one statement so that it comes from one snapshot
/// (another process may be creating the log meanwhile).
struct Identity {
    version: i64,
    application_id: i64,
    /// Tables, indexes and triggers.
    objects: i64,
    has_entries: bool,
}

fn identity(conn: &Connection) -> rusqlite::Result<Identity> {
    conn.query_row(
        "SELECT (SELECT user_version FROM pragma_user_version), \
                (SELECT application_id FROM pragma_application_id), \
                (SELECT count(*) FROM sqlite_schema), \
                (SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'entries')",
        [],
        |row| {
            Ok(Identity {
                version: row.get(0)?,
                application_id: row.get(1)?,
                objects: row.get(2)?,
                has_entries: row.get::<_, i64>(3)? == 1,
            })
        },
    )
}

/// A database gate did not make is never written to: an empty one becomes a log, anything else
/// with tables of its own (someone's application data, a wrong `--db`) is refused untouched.
/// Returns the schema version.
/// Logs of schema version 1 were made before gate set its application id: for them, an
/// `entries` table with no other application's id is enough.
fn is_gate_log(path: &Path, found: Identity) -> Result<i64, AuditError> {
    let Identity { version, application_id, objects, has_entries } = found;
    check_version(path, version)?;
    let not_a_log = |reason: String| Err(AuditError::NotALog { path: path.to_path_buf(), reason });
    if version == 0 && objects > 0 {
        return not_a_log("it holds another program's tables".into());
    }
    let gates = application_id == i64::from(schema::APPLICATION_ID) || (application_id == 0 && has_entries);
    if version > 0 && !gates {
        return not_a_log(format!("its application id is {application_id:#x}, not gate's"));
    }
    Ok(version)
}

/// Creates the folder (0700) and an empty file (0600) when missing, so that SQLite never creates
/// the log with the umask's looser mode. SQLite gives the -wal and -shm files the same mode.
fn create_file(path: &Path) -> Result<(), AuditError> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent.filter(|p| !p.is_dir()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|source| AuditError::CreateDir { path: parent.to_path_buf(), source })?;
    }
    if path.exists() {
        return Ok(());
    }
    let created = std::fs::OpenOptions::new().write(true).create(true).truncate(false).mode(0o600).open(path);
    match created {
        Ok(_) => Ok(()),
        Err(source) if source.kind() == std::io::ErrorKind::PermissionDenied => {
            Err(AuditError::ReadOnly { path: path.to_path_buf() })
        }
        Err(source) => Err(AuditError::CreateFile { path: path.to_path_buf(), source }),
    }
}

/// Sets WAL mode, runs the migrations and writes the genesis entry of a new log, in one write
/// transaction: of two processes opening a new log at once, exactly one writes the genesis.
fn initialize(conn: &mut Connection) -> rusqlite::Result<()> {
    // WAL lets readers (verify, log) run while gate appends. It is stored in the file, so it is
    // set once here; it cannot be changed inside a transaction.
    retry(|| conn.pragma_update(None, "journal_mode", "WAL"))?;
    let from = retry(|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let from = schema::migrate(&tx)?;
        // Only a brand-new log gets a genesis: an emptied one stays empty, as evidence.
        if from == 0 {
            row::insert(&tx, &genesis())?;
        }
        tx.commit()?;
        Ok(from)
    })?;
    // The log is rewritten once after migrating: the pages the migrations freed, and in a log
    // made by an older gate the space freed before secure_delete was on, would hold stale bytes
    // that verify's file check rejects. A new log is a few pages: it costs nothing.
    if from < schema::LATEST {
        retry(|| conn.execute_batch("VACUUM"))?;
    }
    Ok(())
}

fn genesis() -> Entry {
    let mut id = [0u8; 16];
    // Without an OS random source, gate cannot make a log id that others cannot predict.
    getrandom::fill(&mut id).expect("the operating system's random source is available");
    let log_id = to_hex(&id);
    let record = Record::new(Kind::Genesis);
    let hash = entry_hash(1, &log_id, &record, GENESIS_PREV_HASH).expect("zeros are hex");
    Entry { seq: 1, log_id, record, prev_hash: GENESIS_PREV_HASH.to_string(), hash }
}

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(error.sqlite_error_code(), Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

/// Runs a transaction again when SQLite reports BUSY despite the busy timeout (some BUSY cases,
/// such as a WAL being recovered or reset by another process, return at once), with a short
/// randomized pause between attempts, until `RETRY_FOR` has passed.
fn retry<T>(mut op: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let started = std::time::Instant::now();
    let mut attempt: u64 = 1;
    loop {
        match op() {
            Err(error) if is_busy(&error) && started.elapsed() < RETRY_FOR => {
                let jitter = u64::from(getrandom::u32().unwrap_or(0) % 20);
                std::thread::sleep(Duration::from_millis((5 * attempt).min(100) + jitter));
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Turns the SQLite errors a user can act on into their own messages.
fn classify(
    path: &Path,
    error: rusqlite::Error,
    otherwise: impl FnOnce(rusqlite::Error) -> AuditError,
) -> AuditError {
    let path = path.to_path_buf();
    match error.sqlite_error_code() {
        Some(ErrorCode::ReadOnly) => AuditError::ReadOnly { path },
        Some(ErrorCode::DiskFull) => AuditError::DiskFull { path },
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => AuditError::Busy { path },
        Some(ErrorCode::DatabaseCorrupt) => AuditError::Corrupt { path },
        Some(ErrorCode::NotADatabase) => {
            AuditError::NotALog { path, reason: "not a SQLite database".to_string() }
        }
        _ => otherwise(error),
    }
}

/// Test access for tampering: write or read one row with a raw connection.
#[cfg(test)]
pub(crate) fn insert_row(conn: &Connection, entry: &Entry) {
    row::insert(conn, entry).unwrap();
}

#[cfg(test)]
pub(crate) fn read_row(conn: &Connection, seq: i64) -> Entry {
    let sql = format!("SELECT {} FROM entries WHERE seq = ?1", *row::COLUMNS);
    conn.query_row(&sql, [seq], |r| Ok(row::entry(r).unwrap())).unwrap()
}

#[cfg(test)]
mod tests;
