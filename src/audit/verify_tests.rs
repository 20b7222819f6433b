use std::path::PathBuf;

use rusqlite::Connection;

use super::*;
use crate::audit::chain::recompute;
use crate::audit::store::{insert_row, read_row};
use crate::audit::{AuditLog, Entry, Kind, NoticeKind, Record};

/// A log of a genesis and five decisions (seq 1 to 6), closed so the file alone holds it all.
fn make_log(path: &Path) -> Vec<Entry> {
    let mut log = AuditLog::open(path).unwrap();
    let mut entries = log.recent(1).unwrap();
    for n in 2..=6 {
        let mut record = Record::new(Kind::Decision);
        record.line = Some(format!("echo {n}"));
        record.user = Some("ann".to_string());
        record.uid = Some(1000);
        entries.push(log.append(&record).unwrap());
    }
    entries
}

fn reseal(entry: &mut Entry) {
    entry.hash = recompute(entry).unwrap();
}

/// Replaces the row with the same seq.
fn replace_row(conn: &Connection, entry: &Entry) {
    conn.execute("DELETE FROM entries WHERE seq = ?1", [entry.seq]).unwrap();
    insert_row(conn, entry);
}

type Tamper = fn(&Connection, &Path);
/// What verify must say: damage at an entry, or intact, with a notice or none.
#[derive(Debug)]
enum Want {
    Damaged(i64, DamageKind),
    Intact(Option<NoticeKind>),
}
use Want::{Damaged, Intact};

#[test]
fn names_the_first_tampered_row() {
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("original.db");
    let entries = make_log(&original);
    let other = dir.path().join("other.db");
    make_log(&other);

    let cases: &[(&str, Tamper, Want)] = &[
        (
            "field of a middle row updated",
            |c, _| exec(c, "UPDATE entries SET user = 'mallory' WHERE seq = 3"),
            Damaged(3, DamageKind::ContentChanged),
        ),
        (
            "field updated and its hash recomputed",
            |c, _| {
                let mut entry = read_row(c, 3);
                entry.record.user = Some("mallory".to_string());
                reseal(&mut entry);
                replace_row(c, &entry);
            },
            Damaged(4, DamageKind::LinkBroken),
        ),
        (
            "middle row deleted",
            |c, _| exec(c, "DELETE FROM entries WHERE seq = 3"),
            Damaged(3, DamageKind::Gap),
        ),
        (
            "two rows' contents swapped",
            |c, _| {
                exec(c, "CREATE TEMP TABLE moved AS SELECT * FROM entries WHERE seq IN (3, 4)");
                exec(c, "DELETE FROM entries WHERE seq IN (3, 4)");
                exec(c, "UPDATE moved SET seq = 7 - seq");
                exec(c, "INSERT INTO entries SELECT * FROM moved");
            },
            Damaged(3, DamageKind::OutOfOrder),
        ),
        (
            "forged row appended with a wrong prev_hash",
            |c, _| {
                let mut forged = read_row(c, 6);
                forged.seq = 7;
                forged.prev_hash = "ab".repeat(32);
                reseal(&mut forged);
                insert_row(c, &forged);
            },
            Damaged(7, DamageKind::LinkBroken),
        ),
        (
            "row from another log spliced in",
            |c, dir| {
                let other = Connection::open(dir.join("other.db")).unwrap();
                replace_row(c, &read_row(&other, 4));
            },
            Damaged(4, DamageKind::Foreign),
        ),
        (
            "unknown kind",
            |c, _| exec(c, "UPDATE entries SET kind = 'bogus' WHERE seq = 5"),
            Damaged(5, DamageKind::Undecodable),
        ),
        (
            "text in an integer column",
            |c, _| exec(c, "UPDATE entries SET uid = 'root' WHERE seq = 2"),
            Damaged(2, DamageKind::Undecodable),
        ),
        (
            "blob in a text column",
            |c, _| exec(c, "UPDATE entries SET line = x'ff00' WHERE seq = 4"),
            Damaged(4, DamageKind::Undecodable),
        ),
        (
            "genesis deleted",
            |c, _| exec(c, "DELETE FROM entries WHERE seq = 1"),
            Damaged(1, DamageKind::BadGenesis),
        ),
        ("every row deleted", |c, _| exec(c, "DELETE FROM entries"), Damaged(1, DamageKind::BadGenesis)),
        // Entries deleted from the end are not detectable without a checkpoint of the head kept
        // elsewhere (see `checkpoint`). A careless delete leaves the row's bytes in its leaf,
        // where gate's appends leave zeros: no entry says anything different, but verify says so.
        (
            "last row deleted, its bytes left behind",
            |c, _| exec(c, "DELETE FROM entries WHERE seq = 6"),
            Intact(Some(NoticeKind::StaleLeafSpace)),
        ),
        (
            "last row deleted and the file rewritten",
            |c, _| exec(c, "DELETE FROM entries WHERE seq = 6; VACUUM"),
            Intact(None),
        ),
    ];

    assert_eq!(
        verify(&original).unwrap(),
        VerifyReport::Intact {
            entries: 6,
            head_hash: entries[5].hash.clone(),
            log_id: entries[0].log_id.clone(),
            incomplete: vec![],
            checkpoint: None,
            notices: vec![],
        }
    );
    for (name, tamper, expected) in cases {
        let copy = dir.path().join("copy.db");
        std::fs::copy(&original, &copy).unwrap();
        let conn = Connection::open(&copy).unwrap();
        // Someone who can write the file can drop the trigger that refuses inserts off the head
        // (doing so shows in the file's schema, which verify reports after the chain's damage).
        if matches!(expected, Damaged(..)) {
            exec(&conn, "DROP TRIGGER entries_extend_the_head");
        }
        tamper(&conn, dir.path());
        drop(conn);
        let report = verify(&copy).unwrap();
        match (expected, &report) {
            (Intact(notice), VerifyReport::Intact { notices, .. }) => {
                let kinds: Vec<NoticeKind> = notices.iter().map(|n| n.kind).collect();
                assert_eq!(kinds, notice.iter().copied().collect::<Vec<_>>(), "{name}: {report:?}");
            }
            (Damaged(seq, kind), VerifyReport::Damaged { seq: s, kind: k, .. }) => {
                assert_eq!((s, k), (seq, kind), "{name}: {report:?}");
            }
            _ => panic!("{name}: expected {expected:?}, got {report:?}"),
        }
        std::fs::remove_file(&copy).unwrap();
    }
}

fn exec(conn: &Connection, sql: &str) {
    conn.execute_batch(sql).unwrap();
}

#[test]
fn a_missing_file_is_an_error_and_is_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("absent/audit.db");
    let result = verify(&path);
    assert!(matches!(result, Err(AuditError::Missing { .. })), "{result:?}");
    assert!(result.unwrap_err().to_string().contains("absent/audit.db"));
    assert!(!path.exists() && !path.parent().unwrap().exists());
}

#[test]
fn a_file_that_is_not_a_log_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[u8])] = &[("empty.db", b""), ("text.db", &[b'x'; 4096])];
    for (name, content) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let result = verify(&path);
        assert!(matches!(result, Err(AuditError::NotALog { .. })), "{name}: {result:?}");
        assert_eq!(std::fs::read(&path).unwrap(), *content, "{name} was modified");
    }
}

#[test]
fn verify_reads_while_others_append() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let mut log = AuditLog::open(&path).unwrap();
    log.append(&Record::new(Kind::Decision)).unwrap();
    // The writer keeps its connection (and the WAL) open: verify must see the committed entries.
    let report = verify(&path).unwrap();
    assert!(matches!(report, VerifyReport::Intact { entries: 2, .. }), "{report:?}");
    log.append(&Record::new(Kind::Outcome)).unwrap();
}
