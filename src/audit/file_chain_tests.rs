use rusqlite::Connection;

use super::*;
use crate::audit::store::{Expected, read_row};
use crate::audit::{AuditLog, Entry, Kind, Record};

/// Records whose values take every form SQLite stores differently: integers of each width
/// (0 and 1 have serial types of their own), nulls, empty text, non-ASCII, controls, and text
/// long enough to spill to one overflow page or to many.
fn varied_records() -> Vec<Record> {
    let ints = [0, 1, -1, 127, -128, 32_767, 8_388_607, 2_147_483_648, 1 << 47, i64::MAX, i64::MIN];
    let texts = [
        String::new(),
        "é 日本 🚀".to_string(),
        "tab\tnewline\n\u{1b}[31m nul \u{0}".to_string(),
        "x".repeat(4_000),
        "y".repeat(100_000),
    ];
    let mut records = Vec::new();
    for (i, n) in ints.iter().enumerate() {
        let mut record = Record::new(Kind::Outcome);
        record.exit_code = Some(*n);
        record.pid = (i % 2 == 0).then_some(*n);
        record.uid = Some(*n / -2);
        record.line = Some(texts[i % texts.len()].clone());
        record.argv = Some(texts[(i + 1) % texts.len()].clone());
        record.request_id = (i % 3 != 0).then(|| format!("{i:032x}"));
        records.push(record);
    }
    records
}

fn make_log(path: &Path, records: &[Record]) {
    let mut log = AuditLog::open(path).unwrap();
    log.append_all(records).unwrap();
}

/// Every entry as the file walk reads it, with its seq.
fn walked(path: &Path) -> Vec<(i64, Vec<Value<'static>>, String, String)> {
    let layout = layout().expect("gate's own columns have a layout");
    let mut found = Vec::new();
    let mut sink = |seq: i64, record: &[u8]| {
        let mut values = [Value::Null; FIELD_COUNT];
        let view = layout.view(seq, record, &mut values).unwrap();
        let owned = view.values.iter().map(|v| match *v {
            Value::Text(text) => Value::Text(Box::leak(text.to_string().into_boxed_str())),
            Value::Int(n) => Value::Int(n),
            Value::Null => Value::Null,
        });
        found.push((seq, owned.collect(), view.prev_hash.to_string(), view.hash.to_string()));
    };
    check_closed(path, &mut sink).unwrap().expect("closed").expect("intact");
    found
}

#[test]
fn the_walk_reads_every_entry_as_sqlite_does() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let records = varied_records();
    make_log(&path, &records);
    let walked = walked(&path);
    assert_eq!(walked.len(), records.len() + 1);
    let conn = Connection::open(&path).unwrap();
    for (seq, values, prev_hash, hash) in walked {
        let entry: Entry = read_row(&conn, seq);
        assert_eq!(values, EntryView::values_of(&entry).to_vec(), "entry {seq}");
        assert_eq!((prev_hash, hash), (entry.prev_hash.clone(), entry.hash.clone()), "entry {seq}");
    }
}

#[test]
fn a_closed_intact_log_is_proved_on_the_fast_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    make_log(&path, &varied_records());
    let Fast::Intact { summary, at_size, notices } = verify(&path, Some(3)).unwrap() else {
        panic!("not intact")
    };
    assert_eq!((summary.entries, notices), (12, vec![]));
    let conn = Connection::open(&path).unwrap();
    assert_eq!(at_size, Some(read_row(&conn, 3).hash));
    assert_eq!(summary.head_hash, read_row(&conn, 12).hash);
}

#[test]
fn an_open_log_is_left_to_the_thorough_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    make_log(&path, &varied_records());
    let mut open = AuditLog::open(&path).unwrap();
    open.append(&Record::new(Kind::Decision)).unwrap();
    assert!(matches!(verify(&path, None).unwrap(), Fast::Unsure));
}

#[test]
fn tampering_is_found_on_the_fast_path_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    make_log(&path, &varied_records());
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA secure_delete = ON; UPDATE entries SET user = 'mallory' WHERE seq = 5")
        .unwrap();
    drop(conn);
    match verify(&path, None).unwrap() {
        Fast::Damaged(found) => assert_eq!((found.seq, found.kind), (5, DamageKind::ContentChanged)),
        _ => panic!("the edit was not found"),
    }
    // A row deleted without secure_delete: a gap, and stale bytes in the page.
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA secure_delete = OFF; DELETE FROM entries WHERE seq = 7").unwrap();
    drop(conn);
    assert!(matches!(verify(&path, None).unwrap(), Fast::Damaged(_)));
}

/// A column of a record: its serial type and body.
type Column<'a> = (u64, &'a [u8]);

/// A record built by hand: serial types and bodies (SQLite's varints, none over 2 bytes here).
fn record(values: &[(u64, &[u8])]) -> Vec<u8> {
    let varint = |n: u64| -> Vec<u8> {
        assert!(n < 1 << 14);
        if n < 0x80 { vec![n as u8] } else { vec![0x80 | (n >> 7) as u8, (n & 0x7f) as u8] }
    };
    let types: Vec<u8> = values.iter().flat_map(|(serial, _)| varint(*serial)).collect();
    let mut header_len = 1 + types.len();
    if header_len >= 0x80 {
        header_len += 1;
    }
    let mut out = varint(header_len as u64);
    out.extend(types);
    for (_, body) in values {
        out.extend_from_slice(body);
    }
    out
}

#[test]
fn records_sqlite_would_read_differently_are_undecodable() {
    let layout = layout().unwrap();
    let text = |t: &'static str| (13 + 2 * t.len() as u64, t.as_bytes());
    let hash = "a".repeat(64).leak();
    // A well-formed genesis-like record in table order, then variations of it.
    let column_value = |column: &str| -> (u64, &'static [u8]) {
        match column {
            "seq" => (0, b""),
            "log_id" => text("0123456789abcdef0123456789abcdef"),
            "kind" => text("genesis"),
            "time" => text("2026-01-01T00:00:00.000Z"),
            "prev_hash" | "hash" => text(hash),
            _ => (0, b""),
        }
    };
    let columns = &expected().unwrap().columns;
    let good: Vec<_> = columns.iter().map(|c| column_value(c)).collect();
    let mut values = [Value::Null; FIELD_COUNT];
    if let Err(bad) = layout.view(1, &record(&good), &mut values) {
        panic!("{}", bad.detail);
    }

    // A row written before `approval` was added has no value for it: SQLite reads NULL.
    assert_eq!(columns.last().map(String::as_str), Some("approval"));
    let mut values = [Value::Null; FIELD_COUNT];
    if let Err(bad) = layout.view(1, &record(&good[..good.len() - 1]), &mut values) {
        panic!("a row from before `approval`: {}", bad.detail);
    }

    let at = |name: &str| columns.iter().position(|c| c == name).unwrap();
    let cases: Vec<(&str, Vec<Column<'_>>, &str)> = vec![
        ("the hash and approval missing (read as NULL)", good[..good.len() - 2].to_vec(), "hash is null"),
        ("a value stored for seq", with(&good, at("seq"), (1, &[5])), "seq"),
        ("a real number", with(&good, at("pid"), (7, &[0; 8])), "pid"),
        ("a blob", with(&good, at("user"), (14, b"a")), "user"),
        ("text in an integer column", with(&good, at("uid"), text("7")), "uid"),
        ("an integer in a text column", with(&good, at("user"), (1, &[7])), "user"),
        ("invalid UTF-8", with(&good, at("user"), (15, &[0xff])), "UTF-8"),
        ("an unknown kind", with(&good, at("kind"), text("note")), "kind"),
        ("a null hash", with(&good, at("hash"), (0, b"")), "hash"),
        ("a null time", with(&good, at("time"), (0, b"")), "time"),
    ];
    for (name, values_of_record, says) in cases {
        let mut values = [Value::Null; FIELD_COUNT];
        let found = layout.view(1, &record(&values_of_record), &mut values).map(|_| ()).expect_err(name);
        assert!(found.detail.contains(says), "{name}: {}", found.detail);
    }
}

fn with<'a>(values: &[(u64, &'a [u8])], at: usize, value: (u64, &'a [u8])) -> Vec<(u64, &'a [u8])> {
    let mut values = values.to_vec();
    values[at] = value;
    values
}

#[test]
fn a_layout_needs_every_column_once() {
    let Expected { columns, defaults, .. } = expected().unwrap();
    assert!(layout_of(columns, defaults).is_some());
    let mut twice = columns.clone();
    twice[1] = twice[2].clone();
    assert_eq!(layout_of(&twice, defaults), None);
    let mut unknown = columns.clone();
    unknown[1] = "colour".to_string();
    assert_eq!(layout_of(&unknown, defaults), None);
    assert_eq!(layout_of(&columns[1..], &defaults[1..]), None);
}

/// A row written before `ALTER TABLE ... ADD COLUMN` ends before the new column: SQLite reads
/// it as NULL when the column has no DEFAULT, and so does this reader; with a DEFAULT, which
/// this reader does not know, the row is undecodable. Shown with `error` as the last column.
#[test]
fn a_record_that_ends_before_its_last_columns_reads_them_as_sqlite_does() {
    let Expected { mut columns, defaults, .. } = expected().unwrap().clone();
    let error = columns.iter().position(|c| c == "error").unwrap();
    let moved = columns.remove(error);
    columns.push(moved);
    let text = |t: &'static str| (13 + 2 * t.len() as u64, t.as_bytes());
    let hash = "b".repeat(64).leak();
    let value = |column: &str| -> (u64, &'static [u8]) {
        match column {
            "log_id" => text("0123456789abcdef0123456789abcdef"),
            "kind" => text("genesis"),
            "time" => text("2026-01-01T00:00:00.000Z"),
            "prev_hash" | "hash" => text(hash),
            _ => (0, b""),
        }
    };
    let full: Vec<_> = columns.iter().map(|c| value(c)).collect();
    let short = record(&full[..full.len() - 1]);
    let read = |layout: &Layout, bytes: &[u8]| {
        let mut values = [Value::Null; FIELD_COUNT];
        layout.view(1, bytes, &mut values).map(|v| format!("{:?} {}", v.values, v.hash))
    };
    let layout = layout_of(&columns, &defaults).unwrap();
    let expected = read(&layout, &record(&full)).unwrap();
    assert_eq!(read(&layout, &short).unwrap(), expected);
    let mut with_default = defaults.clone();
    *with_default.last_mut().unwrap() = true;
    let layout = layout_of(&columns, &with_default).unwrap();
    assert_eq!(read(&layout, &record(&full)).unwrap(), expected);
    assert!(read(&layout, &short).unwrap_err().detail.contains("holds"));
}

/// Decisions whose outcomes come a few entries later, so requests straddle batch boundaries,
/// and two that never get one.
fn straddling_records(count: usize) -> Vec<Record> {
    let mut records = Vec::new();
    for i in 0..count {
        let mut decision = Record::new(Kind::Decision);
        decision.request_id = Some(format!("{i:032x}"));
        decision.verdict = Some("allowed".to_string());
        records.push(decision);
        if i >= 3 && i != 300 && i != 517 {
            let mut outcome = Record::new(Kind::Outcome);
            outcome.request_id = Some(format!("{:032x}", i - 3));
            records.push(outcome);
        }
    }
    records
}

#[test]
fn batches_join_into_the_same_summary_as_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let records = straddling_records(700);
    make_log(&path, &records);
    let conn = Connection::open(&path).unwrap();
    let count = i64::try_from(records.len()).unwrap() + 1;
    assert!(count > 5 * BATCH_ROWS as i64, "several batches");
    let entries: Vec<Entry> = (1..=count).map(|seq| read_row(&conn, seq)).collect();
    let one_pass = crate::audit::verify_entries(entries.clone()).unwrap();
    assert!(!one_pass.incomplete.is_empty());
    let batch = BATCH_ROWS as i64;
    for watched in [1, batch - 1, batch, batch + 1, 2 * batch - 1, 3 * batch, count] {
        let Fast::Intact { summary, at_size, notices } = verify(&path, Some(watched)).unwrap() else {
            panic!("not intact")
        };
        assert_eq!(summary, one_pass, "watching {watched}");
        assert_eq!(notices, vec![], "watching {watched}");
        assert_eq!(
            at_size.as_deref(),
            Some(entries[watched as usize - 1].hash.as_str()),
            "watching {watched}"
        );
    }
}

#[test]
fn damage_at_a_batch_boundary_is_found() {
    let batch = BATCH_ROWS as i64;
    for seq in [batch - 1, batch, batch + 1, 2 * batch] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.db");
        make_log(&path, &straddling_records(400));
        let conn = Connection::open(&path).unwrap();
        let sql =
            format!("PRAGMA secure_delete = ON; UPDATE entries SET host = 'elsewhere' WHERE seq = {seq}");
        conn.execute_batch(&sql).unwrap();
        drop(conn);
        match verify(&path, None).unwrap() {
            Fast::Damaged(found) => assert_eq!((found.seq, found.kind), (seq, DamageKind::ContentChanged)),
            _ => panic!("the edit of entry {seq} was not found"),
        }
    }
}
