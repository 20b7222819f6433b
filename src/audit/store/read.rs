//! Reading a log without ever creating or changing it: the verifier's stream of borrowed rows,
//! filtered selections for `gate audit log`, one entry by seq, and a streaming walk for export.
//! Every walk is one statement, so it reads one snapshot: appends running meanwhile are not seen
//! half-done, and nothing is loaded into memory beyond the current row.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::row::{self, BadRow};
use super::{BUSY_TIMEOUT, check_version, classify, schema};
use crate::audit::AuditError;
use crate::audit::chain::EntryView;
use crate::audit::encoding::{FIELD_COUNT, Value};
use crate::audit::entry::Entry;
use crate::audit::filter::Filter;

/// A log opened read-only.
#[derive(Debug)]
pub(crate) struct ReadLog {
    conn: Connection,
    path: PathBuf,
    version: i64,
}

/// Opens the log at `path` read-only; a missing file is an error, never created.
pub(crate) fn open_read(path: &Path) -> Result<ReadLog, AuditError> {
    if !path.try_exists().unwrap_or(true) {
        return Err(AuditError::Missing { path: path.to_path_buf() });
    }
    let read = |source| AuditError::Read { path: path.to_path_buf(), source };
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let opened = |e| classify(path, e, |source| AuditError::Open { path: path.to_path_buf(), source });
    let conn = Connection::open_with_flags(path, flags).map_err(opened)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| classify(path, e, read))?;
    let (conn, version) = match schema::user_version(&conn) {
        Ok(version) => (conn, version),
        Err(error)
            if error.sqlite_error_code() == Some(rusqlite::ErrorCode::CannotOpen)
                && super::wal_len(path).is_none_or(|len| len == 0) =>
        {
            // A log in WAL mode on a read-only mount without its -shm index, which SQLite
            // cannot create there (with the -wal and -shm gate keeps beside the log, SQLite
            // reads both read-only). With no -wal frames left (verify folded them in), the
            // file alone holds every entry and cannot change under this mount: read it as
            // immutable.
            let conn = Connection::open_with_flags(immutable_uri(path), flags | OpenFlags::SQLITE_OPEN_URI)
                .map_err(opened)?;
            let version = schema::user_version(&conn).map_err(|e| classify(path, e, read))?;
            (conn, version)
        }
        Err(error) => return Err(classify(path, error, read)),
    };
    check_version(path, version)?;
    if version == 0 {
        return Err(AuditError::NotALog {
            path: path.to_path_buf(),
            reason: "it has no gate schema".to_string(),
        });
    }
    Ok(ReadLog { conn, path: path.to_path_buf(), version })
}

/// `file:PATH?immutable=1`, with the characters a URI gives meaning to escaped.
fn immutable_uri(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut uri = String::from("file:");
    for &byte in path.as_os_str().as_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                uri.push(byte as char)
            }
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

impl ReadLog {
    /// The log's schema version (`PRAGMA user_version`): older logs are read as they are.
    pub fn version(&self) -> i64 {
        self.version
    }

    fn columns(&self) -> &'static str {
        row::columns(self.version)
    }

    fn read_error(&self, error: rusqlite::Error) -> AuditError {
        classify(&self.path, error, |source| AuditError::Read { path: self.path.clone(), source })
    }

    /// Streams the rows with `first <= seq <= last` in seq order as borrowed views, for the
    /// verifier.
    pub fn scan(
        &self,
        (first, last): (i64, i64),
        mut visit: impl FnMut(Result<EntryView<'_>, BadRow>) -> ControlFlow<()>,
    ) -> Result<(), AuditError> {
        // Reading pages through a memory map saves copying the whole file once more. SQLite caps
        // it at its own limit (2 GB by default). Export does not: its memory would look as big
        // as the file.
        self.conn.pragma_update(None, "mmap_size", 1i64 << 40).map_err(|e| self.read_error(e))?;
        let sql =
            format!("SELECT {} FROM entries WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq", self.columns());
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.read_error(e))?;
        let mut rows = stmt.query([first, last]).map_err(|e| self.read_error(e))?;
        while let Some(found) = rows.next().map_err(|e| self.read_error(e))? {
            let mut values = [Value::Null; FIELD_COUNT];
            if visit(row::view(found, &mut values)).is_break() {
                break;
            }
        }
        Ok(())
    }

    /// The highest seq, and the log id of the first row: where to split a log for two verifiers.
    pub fn bounds(&self) -> Result<Option<(i64, String)>, AuditError> {
        let sql = "SELECT (SELECT max(seq) FROM entries), (SELECT log_id FROM entries ORDER BY seq LIMIT 1)";
        // Read leniently: a damaged row is for the verifier to name, not for this to fail on.
        let lenient = |value: ValueRef<'_>| match value {
            ValueRef::Text(text) => Some(String::from_utf8_lossy(text).into_owned()),
            _ => None,
        };
        let found: (Option<i64>, Option<String>) = self
            .conn
            .query_row(sql, [], |r| Ok((r.get(0)?, lenient(r.get_ref(1)?))))
            .map_err(|e| self.read_error(e))?;
        Ok(match found {
            (Some(max), Some(log_id)) => Some((max, log_id)),
            _ => None,
        })
    }

    /// The seq and stored hash of the last row before `seq`.
    pub fn before(&self, seq: i64) -> Result<Option<(i64, String)>, AuditError> {
        let sql = "SELECT seq, hash FROM entries WHERE seq < ?1 ORDER BY seq DESC LIMIT 1";
        let lenient = |value: ValueRef<'_>| match value {
            ValueRef::Text(text) => String::from_utf8_lossy(text).into_owned(),
            _ => String::new(),
        };
        self.conn
            .query_row(sql, [seq], |r| Ok((r.get(0)?, lenient(r.get_ref(1)?))))
            .optional()
            .map_err(|e| self.read_error(e))
    }

    /// Streams the entries matching `filter` in seq order.
    pub fn walk(
        &self,
        filter: &Filter,
        mut visit: impl FnMut(Entry) -> ControlFlow<()>,
    ) -> Result<(), AuditError> {
        let (condition, params) = conditions(filter);
        let sql = format!("SELECT {} FROM entries{condition} ORDER BY seq", self.columns());
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.read_error(e))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params)).map_err(|e| self.read_error(e))?;
        while let Some(found) = rows.next().map_err(|e| self.read_error(e))? {
            if visit(self.decode(found)?).is_break() {
                break;
            }
        }
        Ok(())
    }

    /// The last `limit` entries matching `filter` (all when `None`), oldest first.
    pub fn select(&self, filter: &Filter, limit: Option<usize>) -> Result<Vec<Entry>, AuditError> {
        select(&self.conn, &self.path, self.columns(), filter, limit)
    }

    /// The entry with this seq, if there is one.
    pub fn get(&self, seq: i64) -> Result<Option<Entry>, AuditError> {
        let sql = format!("SELECT {} FROM entries WHERE seq = ?1", self.columns());
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.read_error(e))?;
        let mut rows = stmt.query([seq]).map_err(|e| self.read_error(e))?;
        match rows.next().map_err(|e| self.read_error(e))? {
            Some(found) => Ok(Some(self.decode(found)?)),
            None => Ok(None),
        }
    }

    fn decode(&self, found: &rusqlite::Row<'_>) -> Result<Entry, AuditError> {
        undecodable(&self.path, row::entry(found))
    }
}

fn undecodable(path: &Path, entry: Result<Entry, BadRow>) -> Result<Entry, AuditError> {
    entry.map_err(|bad| AuditError::Undecodable {
        path: path.to_path_buf(),
        seq: bad.seq.unwrap_or(0),
        detail: bad.detail,
    })
}

/// The last `limit` matching entries, oldest first.
pub(super) fn select(
    conn: &Connection,
    path: &Path,
    columns: &str,
    filter: &Filter,
    limit: Option<usize>,
) -> Result<Vec<Entry>, AuditError> {
    let read = |e| classify(path, e, |source| AuditError::Read { path: path.to_path_buf(), source });
    let (condition, mut params) = conditions(filter);
    let limit = limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
    params.push(SqlValue::Integer(limit));
    let sql = format!(
        "SELECT * FROM (SELECT {columns} FROM entries{condition} ORDER BY seq DESC LIMIT ?{n}) ORDER BY seq",
        n = params.len()
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(read)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(params)).map_err(read)?;
    let mut entries = Vec::new();
    while let Some(found) = rows.next().map_err(read)? {
        entries.push(undecodable(path, row::entry(found))?);
    }
    Ok(entries)
}

/// The WHERE clause for a filter and its parameters. Every value is bound, never spliced.
fn conditions(filter: &Filter) -> (String, Vec<SqlValue>) {
    let mut clauses = Vec::new();
    let mut params = Vec::new();
    let mut add = |clause: &str, value: &Option<String>| {
        if let Some(value) = value {
            params.push(SqlValue::Text(value.clone()));
            clauses.push(clause.replace('?', &format!("?{}", params.len())));
        }
    };
    add("time >= ?", &filter.since);
    add("time < ?", &filter.until);
    add("(decision = ? OR verdict = ?)", &filter.decision);
    add("rule = ?", &filter.rule);
    add("user = ?", &filter.user);
    if clauses.is_empty() {
        return (String::new(), params);
    }
    let joined = clauses.join(" AND ");
    (format!(" WHERE {joined}"), params)
}

/// The head row: seq, log id and hash of the last entry.
pub(super) fn head(conn: &Connection) -> rusqlite::Result<Option<(i64, String, String)>> {
    conn.prepare_cached("SELECT seq, log_id, hash FROM entries ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()
}
