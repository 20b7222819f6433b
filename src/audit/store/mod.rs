//! The SQLite store, and the only code that speaks SQL. Appends are serialized by SQLite's write
//! lock (`BEGIN IMMEDIATE`): reading the head and inserting its successor happen in one
//! transaction, so concurrent gate processes never lose an entry or fork the chain, and a busy
//! database is waited for (busy timeout, then a few retries) rather than reported.
//!
//! What reaches the disk when (see also README, "Speed"): the log is in WAL mode; a decision is
//! committed with `synchronous = FULL`, so its WAL frame is fsynced before `append` returns and
//! before the command starts; the outcome is committed with `NORMAL` (no fsync of its own: the
//! next decision's fsync, or the next fold, carries it). The WAL is not folded into the database
//! when a connection closes (that cost two more fsyncs on every command, and deleting and
//! re-creating the `-wal` and `-shm` files a directory fsync): it stays, with its `-shm` index,
//! between runs, and is folded in and emptied (`wal_checkpoint(TRUNCATE)`) after the command once
//! it is over [`FOLD_ABOVE`], so it stays small and so does the index each new process rebuilds
//! from it (a new process is alone with the `-shm`, so SQLite rebuilds it from the WAL; a fold
//! that left the frames in place, `RESTART`, would be forgotten with it and redone every time).
//! SQLite is built without its own directory fsyncs (`SQLITE_DISABLE_DIRSYNC`, see
//! `.cargo/config.toml`); gate fsyncs the directory itself when the log's file or its `-wal`
//! appears, before anything is committed to it. So the common path is one fsync per command.

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
/// The WAL is folded into the database after a command once it is larger than this: a few
/// dozen commands' entries, read again by each new process (it rebuilds the `-shm` index from
/// them) in well under a millisecond.
pub(crate) const FOLD_ABOVE: u64 = 256 << 10;
/// SQLite's own fold after a commit, in pages of 4 KiB: 4 MiB.
const AUTOCHECKPOINT_PAGES: i64 = 1024;
/// How long a fold waits for readers to finish (`TRUNCATE` waits for them): a fold that cannot
/// run now is left to a later command.
const FOLD_WAIT: Duration = Duration::from_millis(100);

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
        let wal_before = wal_identity(path);
        let opened = |source| AuditError::Open { path: path.to_path_buf(), source };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        small_lookaside();
        let mut conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e, opened))?;
        // SQLite silently opens a write-protected file read-only; say so now, not at the first write.
        if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err(AuditError::ReadOnly { path: path.to_path_buf() });
        }
        let version = keep_wal(&conn)
            .and_then(|()| conn.busy_timeout(BUSY_TIMEOUT))
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
        // The connection now holds the WAL open (and SQLite's lock keeps anyone from deleting
        // it). Its directory entry is made durable here, before any entry is committed to it,
        // when it may not be yet: SQLite itself no longer does it.
        if wal_needs_sync(path, wal_before) {
            sync_parent(path)
                .map_err(|source| AuditError::CreateFile { path: path.to_path_buf(), source })?;
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

    /// Folds the WAL into the log's file now and empties it, so that the file alone holds every
    /// entry (what `gate audit verify` does first, and tests do to get a closed log's file).
    /// `false` when readers or another writer kept it from finishing.
    pub fn fold(&self) -> Result<bool, AuditError> {
        fold(&self.conn, "TRUNCATE").map_err(|source| AuditError::Write { path: self.path.clone(), source })
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

impl AuditLog {
    /// Folds the WAL into the database when it has grown past [`FOLD_ABOVE`]; the command has
    /// run by then. A fold that fails or finds readers is left to a later command.
    fn fold_if_due(&self) {
        if wal_len(&self.path).is_some_and(|len| len > FOLD_ABOVE) {
            let _ = fold(&self.conn, "TRUNCATE");
        }
    }

    /// Done with the log in a process about to exit (`gate exec`, `shell`, `prefix`): folds the
    /// WAL when due, as a drop does, and leaves the connection for the kernel to close with the
    /// process. Every entry is committed by then, and SQLite's own close (finalizing statements,
    /// unmapping the `-shm`, releasing its locks one by one) leaves nothing on disk that the
    /// process's end does not: the next process finds the log as after a crash at that point,
    /// which the crash tests cover.
    pub fn close_at_exit(self) {
        std::mem::ManuallyDrop::new(self).fold_if_due();
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        self.fold_if_due();
    }
}

/// Folds the log's WAL into its file and empties the WAL file, so that the file alone holds
/// every entry (verify's file check reads it). Opens the log read-write for it, never creating
/// it; `Ok(false)` when it could not be done now (readers, another writer, a read-only file or
/// mount): the caller then reads the log through SQLite, WAL and all. Call it only for a file
/// already known to be a gate log.
pub(crate) fn fold_wal(path: &Path) -> bool {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let Ok(conn) = Connection::open_with_flags(path, flags) else { return false };
    if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(true) || keep_wal(&conn).is_err() {
        return false;
    }
    fold(&conn, "TRUNCATE").unwrap_or(false)
}

/// `PRAGMA wal_checkpoint(MODE)`, waiting at most [`FOLD_WAIT`]: whether every frame was folded.
fn fold(conn: &Connection, mode: &str) -> rusqlite::Result<bool> {
    conn.busy_timeout(FOLD_WAIT)?;
    let sql = format!("PRAGMA wal_checkpoint({mode})");
    let (busy, frames, folded): (i64, i64, i64) =
        conn.query_row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(busy == 0 && frames == folded)
}

/// A small lookaside for every connection this process opens (16 KB, not SQLite's 120 KB): the
/// default is set up, every slot written, when a connection opens, ~30 page faults for the
/// dozen statements a command's log runs. Only possible before SQLite's first connection;
/// later, SQLite refuses and keeps its default, which only costs time.
#[allow(unsafe_code)]
fn small_lookaside() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: SQLITE_CONFIG_LOOKASIDE takes two ints, as passed; SQLite checks that it is
        // not yet initialised, and otherwise returns SQLITE_MISUSE and changes nothing.
        unsafe { rusqlite::ffi::sqlite3_config(rusqlite::ffi::SQLITE_CONFIG_LOOKASIDE, 128i32, 128i32) };
    });
}

/// Keeps the WAL and its index between runs: no fold when the connection closes (it is done
/// after the command instead, when the WAL is large). SQLite's own fold after a commit stays
/// for a connection that appends thousands of entries (imports, benchmarks), at a size a
/// command's connection never reaches: it folds at [`FOLD_ABOVE`], a sixteenth of it.
fn keep_wal(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
    conn.pragma_update(None, "wal_autocheckpoint", AUTOCHECKPOINT_PAGES)
}

/// The `-wal` file's inode and length, if it exists.
fn wal_identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    wal_metadata(path).map(|meta| (meta.ino(), meta.len()))
}

/// The length of the log's `-wal` file, if there is one.
pub(crate) fn wal_len(path: &Path) -> Option<u64> {
    wal_metadata(path).map(|meta| meta.len())
}

fn wal_metadata(path: &Path) -> Option<std::fs::Metadata> {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).ok()
}

/// Whether the WAL's directory entry may not be durable yet: the WAL was made by this process
/// (it was not there before the log was opened, or another file was), or it was made by one
/// that may have died before syncing the directory: empty, and unchanged since it was made (a
/// WAL emptied by a fold was written, so changed, after it was made). Where the file system
/// does not tell when a file was made, every empty WAL counts.
fn wal_needs_sync(path: &Path, before: Option<(u64, u64)>) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Some(meta) = wal_metadata(path) else { return false };
    if before.map(|(inode, _)| inode) != Some(meta.ino()) {
        return true;
    }
    if meta.len() > 0 {
        return false;
    }
    let changed = u64::try_from(meta.ctime()).ok().map(|secs| {
        std::time::UNIX_EPOCH + Duration::new(secs, u32::try_from(meta.ctime_nsec()).unwrap_or(0))
    });
    match (meta.created(), changed) {
        (Ok(made), Some(changed)) => changed <= made,
        _ => true,
    }
}

/// Makes the directory entry of `path` durable: fsyncs the directory that holds it.
fn sync_parent(path: &Path) -> std::io::Result<()> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::File::open(parent)?.sync_all()
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
/// What it creates is made durable (the directories that gained an entry are fsynced) before
/// anything is written to the log.
fn create_file(path: &Path) -> Result<(), AuditError> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent.filter(|p| !p.is_dir()) {
        // The first folder that exists gains an entry, and so does each one made below it.
        let existing = parent.ancestors().skip(1).find(|dir| dir.is_dir()).map(Path::to_path_buf);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|source| AuditError::CreateDir { path: parent.to_path_buf(), source })?;
        let made = parent.ancestors().take_while(|dir| Some(*dir) != existing.as_deref());
        for dir in made {
            sync_parent(dir).map_err(|source| AuditError::CreateDir { path: dir.to_path_buf(), source })?;
        }
    }
    if path.exists() {
        return Ok(());
    }
    let created = std::fs::OpenOptions::new().write(true).create(true).truncate(false).mode(0o600).open(path);
    match created {
        Ok(_) => {
            sync_parent(path).map_err(|source| AuditError::CreateFile { path: path.to_path_buf(), source })
        }
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
