//! The numbered migrations, compiled in; `PRAGMA user_version` records how many have run.
//!
//! Migrations only ever get appended. A column added to `entries` changes what the canonical
//! encoding covers (it covers every column but the two hashes), so it needs a new encoding version.

use rusqlite::Transaction;

/// Migration `n` (1-based) is `MIGRATIONS[n - 1]`.
const MIGRATIONS: &[&str] = &[
    // 1: the entries table. `prev_hash` is UNIQUE so that two entries can never claim the same
    // predecessor: a fork of the chain cannot be stored. No STRICT, so that the file stays readable
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
];

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
    }
    Ok(from)
}
