//! Entries to rows and back. Rows are read by column name and type-checked, so a tampered row
//! (unknown kind, text in an integer column…) becomes a readable error rather than a crash.

use std::sync::LazyLock;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, Row, ToSql};

use crate::audit::encoding::{FIELD_COUNT, Value, fields};
use crate::audit::entry::{Entry, Kind, Record};

impl ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match *self {
            Value::Text(text) => ValueRef::Text(text.as_bytes()),
            Value::Int(n) => ValueRef::Integer(n),
            Value::Null => ValueRef::Null,
        }))
    }
}

/// The INSERT, built from the encoding's own field list so the two cannot disagree.
static INSERT: LazyLock<String> = LazyLock::new(|| {
    let record = Record::new(Kind::Genesis);
    let mut columns: Vec<&str> = fields(0, "", &record).iter().map(|f| f.0).collect();
    columns.extend(["prev_hash", "hash"]);
    let placeholders = (1..=columns.len()).map(|i| format!("?{i}")).collect::<Vec<_>>();
    format!("INSERT INTO entries ({}) VALUES ({})", columns.join(", "), placeholders.join(", "))
});

pub(super) fn insert(conn: &Connection, entry: &Entry) -> rusqlite::Result<()> {
    let mut values: Vec<Value<'_>> = Vec::with_capacity(FIELD_COUNT + 2);
    values.extend(fields(entry.seq, &entry.log_id, &entry.record).map(|f| f.1));
    values.push(Value::Text(&entry.prev_hash));
    values.push(Value::Text(&entry.hash));
    conn.prepare_cached(&INSERT)?.execute(rusqlite::params_from_iter(values))?;
    Ok(())
}

/// A row that is not an entry: its seq when that much could be read, and what is wrong.
#[derive(Debug)]
pub(crate) struct BadRow {
    pub seq: Option<i64>,
    pub detail: String,
}

pub(super) fn entry(row: &Row<'_>) -> Result<Entry, BadRow> {
    let seq = match int(row, "seq") {
        Ok(Some(seq)) => seq,
        Ok(None) => return Err(bad(None, "seq is null".to_string())),
        Err(detail) => return Err(bad(None, detail)),
    };
    decode(row, seq).map_err(|detail| bad(Some(seq), detail))
}

fn bad(seq: Option<i64>, detail: String) -> BadRow {
    BadRow { seq, detail }
}

fn decode(row: &Row<'_>, seq: i64) -> Result<Entry, String> {
    let kind_text = required(row, "kind")?;
    let kind = Kind::parse(&kind_text).ok_or_else(|| format!("kind {kind_text:?} is not a known kind"))?;
    let record = Record {
        kind,
        time: required(row, "time")?,
        request_id: text(row, "request_id")?,
        user: text(row, "user")?,
        uid: int(row, "uid")?,
        host: text(row, "host")?,
        pid: int(row, "pid")?,
        ppid: int(row, "ppid")?,
        parent: text(row, "parent")?,
        cwd: text(row, "cwd")?,
        argv: text(row, "argv")?,
        line: text(row, "line")?,
        decision: text(row, "decision")?,
        rule: text(row, "rule")?,
        reason: text(row, "reason")?,
        verdict: text(row, "verdict")?,
        approver: text(row, "approver")?,
        channel: text(row, "channel")?,
        policy_path: text(row, "policy_path")?,
        policy_sha256: text(row, "policy_sha256")?,
        exit_code: int(row, "exit_code")?,
        signal: int(row, "signal")?,
        duration_ms: int(row, "duration_ms")?,
        error: text(row, "error")?,
    };
    Ok(Entry {
        seq,
        log_id: required(row, "log_id")?,
        record,
        prev_hash: required(row, "prev_hash")?,
        hash: required(row, "hash")?,
    })
}

fn column<'r>(row: &'r Row<'_>, name: &str) -> Result<ValueRef<'r>, String> {
    row.get_ref(name).map_err(|error| format!("column {name}: {error}"))
}

fn type_name(value: ValueRef<'_>) -> &'static str {
    match value {
        ValueRef::Null => "null",
        ValueRef::Integer(_) => "an integer",
        ValueRef::Real(_) => "a real number",
        ValueRef::Text(_) => "text",
        ValueRef::Blob(_) => "a blob",
    }
}

fn text(row: &Row<'_>, name: &str) -> Result<Option<String>, String> {
    match column(row, name)? {
        ValueRef::Null => Ok(None),
        ValueRef::Text(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => Ok(Some(text.to_string())),
            Err(_) => Err(format!("{name} is not valid UTF-8")),
        },
        other => Err(format!("{name} holds {} instead of text", type_name(other))),
    }
}

fn required(row: &Row<'_>, name: &str) -> Result<String, String> {
    text(row, name)?.ok_or_else(|| format!("{name} is null"))
}

fn int(row: &Row<'_>, name: &str) -> Result<Option<i64>, String> {
    match column(row, name)? {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(n) => Ok(Some(n)),
        other => Err(format!("{name} holds {} instead of an integer", type_name(other))),
    }
}
