//! `gate audit verify` on real database files tampered with the way someone who can write the
//! file would: each case names the first damaged entry and the kind of damage, exit 1.

use std::path::Path;

use gate::audit::{AuditLog, Kind, Record};
use rusqlite::Connection;

use super::support::{TestEnv, stdout};

/// A log of 80 entries: genesis, then decision/outcome pairs, closed (the WAL folded in).
pub fn build_log(path: &Path, entries: i64) {
    let mut log = AuditLog::open(path).unwrap();
    let mut records = Vec::new();
    for n in 0..(entries - 1) / 2 + 1 {
        let id = format!("{n:032x}");
        let mut decision = Record::new(Kind::Decision);
        decision.request_id = Some(id.clone());
        decision.user = Some("ann".into());
        decision.line = Some(format!("echo {n}"));
        decision.decision = Some("allow".into());
        decision.verdict = Some("allowed".into());
        let mut outcome = Record::new(Kind::Outcome);
        outcome.request_id = Some(id);
        outcome.exit_code = Some(0);
        records.extend([decision, outcome]);
    }
    records.truncate(usize::try_from(entries - 1).unwrap());
    log.append_all(&records).unwrap();
    // gate keeps its WAL between commands: fold it in, so that the file alone is the log.
    assert!(log.fold().unwrap());
}

fn sql(path: &Path, statements: &str) {
    Connection::open(path).unwrap().execute_batch(statements).unwrap();
}

/// An old log with an entry edited is still caught by its chain.
fn reseal_edited(db: &Path) {
    let copy = db.with_extension("edited.db");
    std::fs::copy(db, &copy).unwrap();
    sql(&copy, "UPDATE entries SET line = 'rm -rf /' WHERE seq = 7");
    let env = TestEnv::new();
    let output = env.gate(&["audit", "verify", "--json", "--db", copy.to_str().unwrap()]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!((report["seq"].as_i64(), report["damage"].as_str()), (Some(7), Some("content-changed")));
}

/// Recomputes the hash of entry `seq` as a forger would (through gate's own library).
pub fn reseal(path: &Path, seq: i64) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch("PRAGMA secure_delete = ON").unwrap();
    let columns: Vec<String> = {
        let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('entries')").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let mut stmt = conn.prepare("SELECT * FROM entries WHERE seq = ?1").unwrap();
    let row: serde_json::Map<String, serde_json::Value> = stmt
        .query_row([seq], |r| {
            Ok(columns
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    let value = match r.get_ref(i).unwrap() {
                        rusqlite::types::ValueRef::Integer(n) => serde_json::Value::from(n),
                        rusqlite::types::ValueRef::Text(t) => {
                            serde_json::Value::from(std::str::from_utf8(t).unwrap())
                        }
                        _ => serde_json::Value::Null,
                    };
                    (name.clone(), value)
                })
                .collect())
        })
        .unwrap();
    let mut body = row.clone();
    let prev = body.remove("prev_hash").unwrap();
    body.remove("hash");
    // Added after version 1 of the encoding: present only when it holds a value.
    if body.get("approval").is_some_and(serde_json::Value::is_null) {
        body.remove("approval");
    }
    // serde_json's Map is sorted by key: the canonical order.
    let encoding = serde_json::to_string(&body).unwrap();
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    hasher.update(b"gate-audit-v1\0");
    hasher.update(hex(prev.as_str().unwrap()));
    hasher.update(encoding.as_bytes());
    let hash: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    conn.execute("UPDATE entries SET hash = ?1 WHERE seq = ?2", rusqlite::params![hash, seq]).unwrap();
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

type Tamper = fn(&Path, &Path);

#[test]
fn verify_names_the_first_damaged_entry_and_the_kind_of_damage() {
    let env = TestEnv::new();
    let original = env.root().join("original.db");
    build_log(&original, 80);
    let other = env.root().join("other.db");
    build_log(&other, 80);

    let cases: &[(&str, Tamper, i64, &str)] = &[
        (
            "a field of entry 57 edited",
            |db, _| sql(db, "UPDATE entries SET exit_code = 1 WHERE seq = 57"),
            57,
            "content-changed",
        ),
        (
            "entry 57 edited and its hash recomputed",
            |db, _| {
                sql(db, "UPDATE entries SET line = 'echo harmless' WHERE seq = 57");
                reseal(db, 57);
            },
            58,
            "link-broken",
        ),
        ("entry 57 deleted", |db, _| sql(db, "DELETE FROM entries WHERE seq = 57"), 57, "gap"),
        (
            "entries 57 and 58 swapped",
            |db, _| {
                sql(
                    db,
                    "UPDATE entries SET seq = -seq WHERE seq IN (57, 58); UPDATE entries SET seq = CASE seq WHEN -57 THEN 58 ELSE 57 END WHERE seq < 0",
                )
            },
            57,
            "out-of-order",
        ),
        (
            "a forged entry inserted after 57",
            |db, _| {
                // The best a forger can do: make room, forge entry 58 linked to 57, relink the
                // old 58 (now 59) to it and reseal both. The entry after them gives it away:
                // it still carries the hash it was written with, as seq 59.
                sql(
                    db,
                    "DROP TRIGGER entries_extend_the_head; UPDATE entries SET seq = seq + 1000 WHERE seq > 57; UPDATE entries SET seq = seq - 999 WHERE seq > 1000;",
                );
                sql(db, "UPDATE entries SET prev_hash = 'moved' WHERE seq = 59");
                sql(
                    db,
                    "INSERT INTO entries SELECT 58, log_id, kind, time, request_id, user, uid, host, pid, ppid, parent, cwd, argv, 'rm -rf /', decision, rule, reason, verdict, approver, channel, policy_path, policy_sha256, exit_code, signal, duration_ms, error, hash, '', approval FROM entries WHERE seq = 57",
                );
                reseal(db, 58);
                sql(
                    db,
                    "UPDATE entries SET prev_hash = (SELECT hash FROM entries WHERE seq = 58) WHERE seq = 59",
                );
                reseal(db, 59);
            },
            60,
            "out-of-order",
        ),
        (
            "an entry from another log spliced in at 57",
            |db, other| {
                let conn = Connection::open(db).unwrap();
                conn.execute("ATTACH ?1 AS other", [other.to_str().unwrap()]).unwrap();
                conn.execute_batch("DROP TRIGGER entries_extend_the_head; DELETE FROM entries WHERE seq = 57; INSERT INTO entries SELECT * FROM other.entries WHERE seq = 57;").unwrap();
            },
            57,
            "foreign-entry",
        ),
    ];
    for (name, tamper, seq, damage) in cases {
        let copy = env.root().join("copy.db");
        std::fs::copy(&original, &copy).unwrap();
        tamper(&copy, &other);
        let output =
            env.gate(&["audit", "verify", "--json", "--db", copy.to_str().unwrap()]).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{name}: {output:?}");
        let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        assert_eq!(
            (report["seq"].as_i64(), report["damage"].as_str()),
            (Some(*seq), Some(*damage)),
            "{name}: {report}"
        );
        let text = env.gate(&["audit", "verify", "--db", copy.to_str().unwrap()]).output().unwrap();
        assert!(
            stdout(&text).starts_with(&format!("damaged: entry {seq}: {damage}: ")),
            "{name}: {}",
            stdout(&text)
        );
        std::fs::remove_file(&copy).unwrap();
    }
    let intact = env.gate(&["audit", "verify", "--db", original.to_str().unwrap()]).output().unwrap();
    assert_eq!(intact.status.code(), Some(0));
    assert!(stdout(&intact).starts_with("intact: 80 entries in "), "{}", stdout(&intact));
}

#[test]
fn an_unreadable_log_exits_2() {
    let env = TestEnv::new();
    let garbage = env.root().join("garbage.db");
    std::fs::write(&garbage, [b'x'; 4096]).unwrap();
    let missing = env.root().join("missing.db");
    for path in [garbage, missing] {
        let output = env.gate(&["audit", "verify", "--db", path.to_str().unwrap()]).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{output:?}");
        assert!(!path.ends_with("missing.db") || !path.exists());
    }
}

/// A log made by gate before schema version 2 (`UNIQUE(prev_hash)` and five indexes, no
/// application id, space freed without zeroing) is migrated and rewritten on its next open, and
/// then verifies intact, file check included, and refuses an insert off the head.
#[test]
fn a_version_1_log_is_upgraded_and_verifies_intact() {
    let env = TestEnv::new();
    let db = env.root().join("v1.db");
    build_log(&db, 120);
    let columns = "seq INTEGER PRIMARY KEY, log_id TEXT NOT NULL, kind TEXT NOT NULL, time TEXT NOT NULL, request_id TEXT, user TEXT, uid INTEGER, host TEXT, pid INTEGER, ppid INTEGER, parent TEXT, cwd TEXT, argv TEXT, line TEXT, decision TEXT, rule TEXT, reason TEXT, verdict TEXT, approver TEXT, channel TEXT, policy_path TEXT, policy_sha256 TEXT, exit_code INTEGER, signal INTEGER, duration_ms INTEGER, error TEXT, prev_hash TEXT NOT NULL UNIQUE, hash TEXT NOT NULL";
    let names: Vec<&str> = columns.split(", ").map(|c| c.split(' ').next().unwrap()).collect();
    let names = names.join(", ");
    sql(
        &db,
        &format!(
            "PRAGMA secure_delete = OFF; DROP TRIGGER entries_extend_the_head;
             CREATE TABLE v1 ({columns}); INSERT INTO v1 SELECT {names} FROM entries; DROP TABLE entries;
             ALTER TABLE v1 RENAME TO entries;
             CREATE INDEX entries_time ON entries (time);
             CREATE INDEX entries_decision ON entries (decision);
             CREATE INDEX entries_rule ON entries (rule);
             CREATE INDEX entries_user ON entries (user);
             CREATE INDEX entries_request_id ON entries (request_id);
             PRAGMA user_version = 1; PRAGMA application_id = 0;"
        ),
    );
    // Read as it is (verify never migrates), an old log is proved by its chain.
    let old = env.gate(&["audit", "verify", "--json", "--db", db.to_str().unwrap()]).output().unwrap();
    assert_eq!(old.status.code(), Some(0), "{old:?}");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&stdout(&old)).unwrap()["entries"], 120);
    reseal_edited(&db);

    let mut log = AuditLog::open(&db).unwrap();
    log.append(&Record::new(Kind::Decision)).unwrap();
    drop(log);
    let output = env.gate(&["audit", "verify", "--db", db.to_str().unwrap()]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(stdout(&output).starts_with("intact: 121 entries in "), "{}", stdout(&output));
    let conn = Connection::open(&db).unwrap();
    let forged = conn.execute_batch(
        "INSERT INTO entries SELECT 122, log_id, kind, time, request_id, user, uid, host, pid, ppid, parent, cwd, argv, line, decision, rule, reason, verdict, approver, channel, policy_path, policy_sha256, exit_code, signal, duration_ms, error, prev_hash, hash, approval FROM entries WHERE seq = 5",
    );
    assert!(forged.unwrap_err().to_string().contains("extend the head"));
}
