//! The numbered migrations, compiled in; `PRAGMA user_version` records how many have run.
//!
//! Migrations only ever get appended. A column added to `entries` changes what the canonical
//! encoding covers (it covers every column but the two hashes), so it needs a new encoding version.

use rusqlite::Transaction;

/// Migration `n` (1-based) is `MIGRATIONS[n - 1]`.
const MIGRATIONS: &[&str] = &[
    // 1: the entries table. `prev_hash` is UNIQUE so that two entries can never claim the same
    // predecessor: a fork of the chain cannot be stored (migration 2 puts a trigger in its
    // place). No STRICT, so that the file stays readable
    // by older SQLite builds (Python's sqlite3 module included).
    "CREATE TABLE entries (
        seq INTEGER PRIMARY KEY,
        log_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        time TEXT NOT NULL,
        request_id TEXT,
        user TEXT,
        uid INTEGER,
        host TEXT,
        pid INTEGER,
        ppid INTEGER,
        parent TEXT,
        cwd TEXT,
        argv TEXT,
        line TEXT,
        decision TEXT,
        rule TEXT,
        reason TEXT,
        verdict TEXT,
        approver TEXT,
        channel TEXT,
        policy_path TEXT,
        policy_sha256 TEXT,
        exit_code INTEGER,
        signal INTEGER,
        duration_ms INTEGER,
        error TEXT,
        prev_hash TEXT NOT NULL UNIQUE,
        hash TEXT NOT NULL
    );
    CREATE INDEX entries_time ON entries (time);
    CREATE INDEX entries_decision ON entries (decision);
    CREATE INDEX entries_rule ON entries (rule);
    CREATE INDEX entries_user ON entries (user);
    CREATE INDEX entries_request_id ON entries (request_id);",
    // 2: no indexes, and a trigger in place of `UNIQUE`. Secondary indexes meant more pages for
    // each append to write, and filters scan instead. SQLite's b-tree splits leave stale bytes in
    // the pages of an index whose keys arrive in random order (as prev_hash does), and verify's
    // file check requires the bytes that hold nothing to be zero; the table, keyed by seq and only
    // appended to, has no such pages. The trigger still refuses a fork, and more: any insert that
    // does not extend the head of the chain.
    "CREATE TABLE entries_v2 (
        seq INTEGER PRIMARY KEY,
        log_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        time TEXT NOT NULL,
        request_id TEXT,
        user TEXT,
        uid INTEGER,
        host TEXT,
        pid INTEGER,
        ppid INTEGER,
        parent TEXT,
        cwd TEXT,
        argv TEXT,
        line TEXT,
        decision TEXT,
        rule TEXT,
        reason TEXT,
        verdict TEXT,
        approver TEXT,
        channel TEXT,
        policy_path TEXT,
        policy_sha256 TEXT,
        exit_code INTEGER,
        signal INTEGER,
        duration_ms INTEGER,
        error TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    INSERT INTO entries_v2 SELECT * FROM entries;
    DROP TABLE entries;
    ALTER TABLE entries_v2 RENAME TO entries;
    CREATE TRIGGER entries_extend_the_head BEFORE INSERT ON entries
    WHEN EXISTS (SELECT 1 FROM entries)
        AND NEW.prev_hash IS NOT (SELECT hash FROM entries ORDER BY seq DESC LIMIT 1)
    BEGIN
        SELECT RAISE(ABORT, 'an entry must extend the head of the chain');
    END;",
    // 3: the broker's signed decision. Added in place, so old rows keep their records (SQLite
    // reads the missing trailing column as NULL) and a large log is not rewritten; the
    // encoding leaves a null `approval` out, so old entries keep their hashes.
    "ALTER TABLE entries ADD COLUMN approval TEXT;",
];

/// `PRAGMA application_id` of a gate log: "gate" in ASCII.
pub(crate) const APPLICATION_ID: u32 = 0x6761_7465;

/// The schema version this build writes and understands.
pub(super) const LATEST: i64 = MIGRATIONS.len() as i64;

pub(super) fn user_version(conn: &rusqlite::Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Runs the migrations the database lacks, inside the caller's write transaction (so two
/// processes never both run one). Returns the version it started from.
pub(super) fn migrate(tx: &Transaction<'_>) -> rusqlite::Result<i64> {
    let from = user_version(tx)?;
    // A newer file is left alone: the caller reports it.
    for migration in MIGRATIONS.iter().skip(usize::try_from(from).unwrap_or(usize::MAX)) {
        tx.execute_batch(migration)?;
    }
    if from < LATEST {
        tx.pragma_update(None, "user_version", LATEST)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    }
    Ok(from)
}

/// What an up-to-date log's file holds, for the file check and the verifier reading it.
#[derive(Clone, Debug)]
pub(crate) struct Expected {
    /// The rows of `sqlite_schema`.
    pub rows: Vec<SchemaRow>,
    /// The columns of `entries`, in the order its records hold them.
    pub columns: Vec<String>,
    /// Whether each column has a DEFAULT: what SQLite reads for a column past a record's end (a
    /// row written before `ALTER TABLE ... ADD COLUMN`), else NULL.
    pub defaults: Vec<bool>,
}

/// Made by running the migrations on an empty database in memory, then VACUUM as `initialize`
/// does (it renumbers the schema rows), so that it is exactly what SQLite stores.
pub(crate) fn expected() -> rusqlite::Result<Expected> {
    let mut conn = rusqlite::Connection::open_in_memory()?;
    let tx = conn.transaction()?;
    migrate(&tx)?;
    tx.commit()?;
    conn.execute_batch("VACUUM")?;
    let mut stmt =
        conn.prepare("SELECT rowid, type, name, tbl_name, sql FROM sqlite_schema ORDER BY rowid")?;
    let rows: Vec<SchemaRow> = stmt
        .query_map([], |r| {
            Ok(SchemaRow {
                rowid: r.get(0)?,
                kind: r.get(1)?,
                name: r.get(2)?,
                table: r.get(3)?,
                sql: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt =
        conn.prepare("SELECT name, dflt_value IS NOT NULL FROM pragma_table_info('entries') ORDER BY cid")?;
    let (columns, defaults) = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .unzip();
    Ok(Expected { rows, columns, defaults })
}

/// One row of `sqlite_schema`, without its root page (which differs from file to file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SchemaRow {
    pub rowid: i64,
    pub kind: String,
    pub name: String,
    pub table: String,
    pub sql: Option<String>,
}
