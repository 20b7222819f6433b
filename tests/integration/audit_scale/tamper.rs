//! Every tamper class of issue 4, each on its own copy of a large log, at an entry deep inside
//! it: verify must name the entry and the kind of damage. The tampering is written over the
//! table's own column list, so that it holds whatever columns the schema has.

use std::path::Path;

use gate::audit::{AuditLog, Kind, Record};
use rusqlite::Connection;

use super::super::audit_tamper::reseal;
use super::super::support::TestEnv;
use super::verify;

fn sql(db: &Path, statements: &str) {
    Connection::open(db).unwrap().execute_batch(statements).unwrap_or_else(|e| panic!("{statements}: {e}"));
}

/// Moves the entries after `seq` one place up, and forges entry `seq + 1` from entry `seq`,
/// linked to it, and relinks and reseals the one after: the best a forger without the later
/// hashes can do. The entry after those gives it away: its hash was made for another seq.
fn forge_after(db: &Path, seq: i64) {
    sql(
        db,
        &format!(
            "DROP TRIGGER entries_extend_the_head;
             UPDATE entries SET seq = seq + 1000000000 WHERE seq > {seq};
             UPDATE entries SET seq = seq - 999999999 WHERE seq > 1000000000;
             CREATE TEMP TABLE forged AS SELECT * FROM entries WHERE seq = {seq};
             UPDATE forged SET seq = {seq} + 1, line = 'rm -rf /', prev_hash = hash, hash = '';
             INSERT INTO entries SELECT * FROM forged;"
        ),
    );
    reseal(db, seq + 1);
    sql(
        db,
        &format!(
            "UPDATE entries SET prev_hash = (SELECT hash FROM entries WHERE seq = {seq} + 1) WHERE seq = {seq} + 2"
        ),
    );
    reseal(db, seq + 2);
}

type Tamper = fn(&Path, &Path, i64);

/// Applies each tamper class at entry `seq` (which must have two entries after it) to a copy of
/// the closed log `db`, and checks that verify names it.
pub fn assert_every_tamper_is_caught(env: &TestEnv, db: &Path, seq: i64) {
    let wal = std::fs::metadata(format!("{}-wal", db.display()));
    assert!(wal.map_or(true, |m| m.len() == 0), "the log is closed");
    let other = env.root().join("other.db");
    if !other.exists() {
        let mut log = AuditLog::open(&other).unwrap();
        log.append(&Record::new(Kind::Decision)).unwrap();
    }
    let cases: &[(&str, Tamper, i64, &str)] = &[
        (
            "a field edited",
            |db, _, seq| sql(db, &format!("UPDATE entries SET user = 'mallory' WHERE seq = {seq}")),
            0,
            "content-changed",
        ),
        (
            "a field edited and the hash recomputed",
            |db, _, seq| {
                sql(db, &format!("UPDATE entries SET line = 'echo harmless' WHERE seq = {seq}"));
                reseal(db, seq);
            },
            1,
            "link-broken",
        ),
        (
            "an entry deleted",
            |db, _, seq| sql(db, &format!("DELETE FROM entries WHERE seq = {seq}")),
            0,
            "gap",
        ),
        (
            "two entries swapped",
            |db, _, seq| {
                sql(
                    db,
                    &format!(
                        "UPDATE entries SET seq = -seq WHERE seq IN ({seq}, {seq} + 1);
                         UPDATE entries SET seq = CASE seq WHEN -{seq} THEN {seq} + 1 ELSE {seq} END WHERE seq < 0"
                    ),
                )
            },
            0,
            "out-of-order",
        ),
        ("a forged entry inserted", |db, _, seq| forge_after(db, seq), 3, "out-of-order"),
        (
            "an entry from another log spliced in",
            |db, other, seq| {
                let conn = Connection::open(db).unwrap();
                conn.execute("ATTACH ?1 AS other", [other.to_str().unwrap()]).unwrap();
                conn.execute_batch(&format!(
                    "DROP TRIGGER entries_extend_the_head;
                     CREATE TEMP TABLE spliced AS SELECT * FROM other.entries WHERE seq = 2;
                     UPDATE spliced SET seq = {seq};
                     DELETE FROM entries WHERE seq = {seq};
                     INSERT INTO entries SELECT * FROM spliced;"
                ))
                .unwrap();
            },
            0,
            "foreign-entry",
        ),
    ];
    let copy = env.root().join("tampered.db");
    for (name, tamper, after, damage) in cases {
        std::fs::copy(db, &copy).unwrap();
        tamper(&copy, &other, seq);
        let (code, report) = verify(env, &copy, None);
        assert_eq!(code, Some(1), "{name}: {report}");
        assert_eq!(
            (report["seq"].as_i64(), report["damage"].as_str()),
            (Some(seq + after), Some(*damage)),
            "{name}: {report}"
        );
        std::fs::remove_file(&copy).unwrap();
    }
}
