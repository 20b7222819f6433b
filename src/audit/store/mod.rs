//! The SQLite store, and the only code that speaks SQL. Appends are serialized by SQLite's write
//! lock (`BEGIN IMMEDIATE`): reading the head and inserting its successor happen in one
//! transaction, so concurrent gate processes never lose an entry or fork the chain, and a busy
//! database is waited for (busy timeout, then a few retries) rather than reported.

mod row;
mod schema;

use std::ops::ControlFlow;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};

use super::AuditError;
use super::chain::{GENESIS_PREV_HASH, entry_hash, to_hex};
use super::entry::{Entry, Kind, Record};

pub(crate) use row::BadRow;

/// How long one statement waits for another process's write lock before failing with BUSY.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How many times a transaction is tried in all when SQLite still reports BUSY.
const ATTEMPTS: u32 = 4;

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
        let synchronous = match durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        let version = conn
            .busy_timeout(BUSY_TIMEOUT)
            .and_then(|()| conn.pragma_update(None, "synchronous", synchronous))
            .and_then(|()| retry(|| schema::user_version(&conn)))
            .map_err(|e| classify(path, e, opened))?;
        check_version(path, version)?;
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
            let head = tx
                .prepare_cached("SELECT seq, hash, log_id FROM entries ORDER BY seq DESC LIMIT 1")?
                .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            let Some((head_seq, prev_hash, log_id)) = head else {
                return Ok(Err(AuditError::Emptied { path: path.clone() }));
            };
            let head_seq: i64 = head_seq;
            let log_id: String = log_id;
            let prev_hash: String = prev_hash;
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

    /// The last `n` entries, oldest first.
    pub fn recent(&self, n: usize) -> Result<Vec<Entry>, AuditError> {
        let read = |source| AuditError::Read { path: self.path.clone(), source };
        let limit = i64::try_from(n).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn
            .prepare_cached("SELECT * FROM (SELECT * FROM entries ORDER BY seq DESC LIMIT ?1) ORDER BY seq")
            .map_err(|e| classify(&self.path, e, read))?;
        let mut rows = stmt.query([limit]).map_err(|e| classify(&self.path, e, read))?;
        let mut entries = Vec::with_capacity(n.min(1024));
        while let Some(found) = rows.next().map_err(|e| classify(&self.path, e, read))? {
            let entry = row::entry(found).map_err(|bad| AuditError::Undecodable {
                path: self.path.clone(),
                seq: bad.seq.unwrap_or(0),
                detail: bad.detail,
            })?;
            entries.push(entry);
        }
        Ok(entries)
    }
}

/// Streams every row of the log at `path` in seq order, read-only, without ever creating it.
pub(crate) fn scan(
    path: &Path,
    mut visit: impl FnMut(Result<Entry, BadRow>) -> ControlFlow<()>,
) -> Result<(), AuditError> {
    if !path.try_exists().unwrap_or(true) {
        return Err(AuditError::Missing { path: path.to_path_buf() });
    }
    let read = |source| AuditError::Read { path: path.to_path_buf(), source };
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| classify(path, e, |source| AuditError::Open { path: path.to_path_buf(), source }))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| classify(path, e, read))?;
    let version = schema::user_version(&conn).map_err(|e| classify(path, e, read))?;
    check_version(path, version)?;
    if version == 0 {
        return Err(AuditError::NotALog {
            path: path.to_path_buf(),
            reason: "it has no gate schema".to_string(),
        });
    }
    // One statement reads one snapshot: appends running meanwhile are not seen half-done.
    let mut stmt = conn.prepare("SELECT * FROM entries ORDER BY seq").map_err(|e| classify(path, e, read))?;
    let mut rows = stmt.query([]).map_err(|e| classify(path, e, read))?;
    while let Some(found) = rows.next().map_err(|e| classify(path, e, read))? {
        if visit(row::entry(found)).is_break() {
            break;
        }
    }
    Ok(())
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
    retry(|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let from = schema::migrate(&tx)?;
        // Only a brand-new log gets a genesis: an emptied one stays empty, as evidence.
        if from == 0 {
            row::insert(&tx, &genesis())?;
        }
        tx.commit()
    })
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
/// such as WAL recovery, return at once), with a short randomized pause between attempts.
fn retry<T>(mut op: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let mut attempt = 1;
    loop {
        match op() {
            Err(error) if attempt < ATTEMPTS && is_busy(&error) => {
                let jitter = getrandom::u32().unwrap_or(0) % 20;
                std::thread::sleep(Duration::from_millis(u64::from(10 * attempt + jitter)));
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
    conn.query_row("SELECT * FROM entries WHERE seq = ?1", [seq], |r| Ok(row::entry(r).unwrap())).unwrap()
}

#[cfg(test)]
mod tests;
