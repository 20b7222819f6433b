//! Entries to rows and back. Rows are read by column index in the encoding's own field order, and
//! type-checked, so a tampered row (unknown kind, text in an integer column…) becomes a readable
//! error rather than a crash, and the verifier reads a row without copying it.

use std::sync::LazyLock;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, Row, ToSql};

use crate::audit::chain::{self, EntryView};
use crate::audit::encoding::{self, FIELD_COUNT, NAMES, Value, fields};
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

/// Every column, in the order `view` reads them: the hashed fields, then the two hashes.
pub(super) static COLUMNS: LazyLock<String> = LazyLock::new(|| {
    let mut columns: Vec<&str> = NAMES.to_vec();
    columns.extend(["prev_hash", "hash"]);
    columns.join(", ")
});

/// The same list for a log of schema version 2, read as it is (read-only): it has no
/// `approval` column yet, which reads as NULL as it would once migrated.
static COLUMNS_V2: LazyLock<String> = LazyLock::new(|| COLUMNS.replacen("approval,", "NULL AS approval,", 1));

/// The select list for a log of this schema version.
pub(super) fn columns(version: i64) -> &'static str {
    if version >= 3 { &COLUMNS } else { &COLUMNS_V2 }
}

/// The INSERT, built from the encoding's own field list so the two cannot disagree.
static INSERT: LazyLock<String> = LazyLock::new(|| {
    let placeholders = (1..=FIELD_COUNT + 2).map(|i| format!("?{i}")).collect::<Vec<_>>();
    format!("INSERT INTO entries ({}) VALUES ({})", *COLUMNS, placeholders.join(", "))
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

/// Reads a row selected as `COLUMNS` into a borrowed view, checking every column's type.
pub(super) fn view<'r>(
    row: &'r Row<'_>,
    values: &'r mut [Value<'r>; FIELD_COUNT],
) -> Result<EntryView<'r>, BadRow> {
    let seq = match row.get_ref(encoding::SEQ) {
        Ok(ValueRef::Integer(seq)) => seq,
        Ok(other) => return Err(bad(None, format!("seq holds {} instead of an integer", type_name(other)))),
        Err(error) => return Err(bad(None, format!("column seq: {error}"))),
    };
    for (index, value) in values.iter_mut().enumerate() {
        *value = field(row, index).map_err(|detail| bad(Some(seq), detail))?;
    }
    chain::check_required(values).map_err(|detail| bad(Some(seq), detail))?;
    let hash = |index: usize, name: &str| match field_text(row, index, name) {
        Ok(Some(text)) => Ok(text),
        Ok(None) => Err(bad(Some(seq), format!("{name} is null"))),
        Err(detail) => Err(bad(Some(seq), detail)),
    };
    let (prev_hash, hash) = (hash(FIELD_COUNT, "prev_hash")?, hash(FIELD_COUNT + 1, "hash")?);
    Ok(EntryView { values, prev_hash, hash })
}

/// Reads a row selected as `COLUMNS` into an owned entry.
pub(super) fn entry(row: &Row<'_>) -> Result<Entry, BadRow> {
    let mut values = [Value::Null; FIELD_COUNT];
    let view = view(row, &mut values)?;
    Ok(to_entry(&view))
}

fn to_entry(view: &EntryView<'_>) -> Entry {
    let at = |name: &str| view.values[NAMES.iter().position(|n| *n == name).expect("a field name")];
    let text = |name: &str| match at(name) {
        Value::Text(text) => Some(text.to_string()),
        _ => None,
    };
    let int = |name: &str| match at(name) {
        Value::Int(n) => Some(n),
        _ => None,
    };
    let record = Record {
        kind: text("kind").and_then(|k| Kind::parse(&k)).expect("checked by view"),
        time: text("time").unwrap_or_default(),
        request_id: text("request_id"),
        user: text("user"),
        uid: int("uid"),
        host: text("host"),
        pid: int("pid"),
        ppid: int("ppid"),
        parent: text("parent"),
        cwd: text("cwd"),
        argv: text("argv"),
        line: text("line"),
        decision: text("decision"),
        rule: text("rule"),
        reason: text("reason"),
        verdict: text("verdict"),
        approver: text("approver"),
        channel: text("channel"),
        policy_path: text("policy_path"),
        policy_sha256: text("policy_sha256"),
        exit_code: int("exit_code"),
        signal: int("signal"),
        duration_ms: int("duration_ms"),
        error: text("error"),
        approval: text("approval"),
    };
    Entry {
        seq: view.seq(),
        log_id: text("log_id").unwrap_or_default(),
        record,
        prev_hash: view.prev_hash.to_string(),
        hash: view.hash.to_string(),
    }
}

fn bad(seq: Option<i64>, detail: String) -> BadRow {
    BadRow { seq, detail }
}

fn field<'r>(row: &'r Row<'_>, index: usize) -> Result<Value<'r>, String> {
    let name = NAMES[index];
    if encoding::is_int(index) {
        match row.get_ref(index).map_err(|error| format!("column {name}: {error}"))? {
            ValueRef::Null => Ok(Value::Null),
            ValueRef::Integer(n) => Ok(Value::Int(n)),
            other => Err(format!("{name} holds {} instead of an integer", type_name(other))),
        }
    } else {
        Ok(field_text(row, index, name)?.map_or(Value::Null, Value::Text))
    }
}

fn field_text<'r>(row: &'r Row<'_>, index: usize, name: &str) -> Result<Option<&'r str>, String> {
    match row.get_ref(index).map_err(|error| format!("column {name}: {error}"))? {
        ValueRef::Null => Ok(None),
        ValueRef::Text(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => Ok(Some(text)),
            Err(_) => Err(format!("{name} is not valid UTF-8")),
        },
        other => Err(format!("{name} holds {} instead of text", type_name(other))),
    }
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
