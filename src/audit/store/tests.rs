use std::collections::BTreeSet;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::sync::{Arc, Barrier};

use super::*;
use crate::audit::chain::verify_entries;
use crate::audit::encode_argv;
use crate::audit::encoding::fields;

fn decision(n: i64) -> Record {
    let mut record = Record::new(Kind::Decision);
    record.line = Some(format!("echo {n}"));
    record.pid = Some(n);
    record.decision = Some("allow".to_string());
    record
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn open_creates_folder_file_and_genesis() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/gate/audit.db");
    let log = AuditLog::open(&path).unwrap();
    assert_eq!(log.path(), path);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    assert_eq!(mode(&path), 0o600);
    let entries = log.recent(10).unwrap();
    assert_eq!(entries.len(), 1);
    let genesis = &entries[0];
    assert_eq!((genesis.seq, genesis.record.kind), (1, Kind::Genesis));
    assert_eq!(genesis.prev_hash, GENESIS_PREV_HASH);
    assert_eq!(genesis.log_id.len(), 32);
    // The write-ahead log, created at the first write, is as private as the log itself.
    let mut log = log;
    log.append(&decision(2)).unwrap();
    let wal = path.with_extension("db-wal");
    assert_eq!(mode(&wal), 0o600);
    drop(log);

    // Reopening neither rewrites the genesis nor adds a second one.
    let log = AuditLog::open(&path).unwrap();
    assert_eq!(log.recent(10).unwrap()[..1], entries[..]);
}

#[test]
fn append_chains_entries_and_recent_returns_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let mut log = AuditLog::open(&path).unwrap();
    let appended: Vec<Entry> = (2..=6).map(|n| log.append(&decision(n)).unwrap()).collect();
    let all = log.recent(100).unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(all[1..], appended[..]);
    for pair in all.windows(2) {
        assert_eq!(pair[1].seq, pair[0].seq + 1);
        assert_eq!(pair[1].prev_hash, pair[0].hash);
        assert_eq!(pair[1].log_id, pair[0].log_id);
    }
    let tail = log.recent(2).unwrap();
    assert_eq!(tail.iter().map(|e| e.seq).collect::<Vec<_>>(), [5, 6]);
    assert!(log.recent(0).unwrap().is_empty());
    let summary = verify_entries(all).unwrap();
    assert_eq!(summary.entries, 6);
    assert_eq!(summary.head_hash, appended[4].hash);
}

#[test]
fn append_refuses_a_genesis_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = AuditLog::open(&dir.path().join("audit.db")).unwrap();
    let refused = log.append(&Record::new(Kind::Genesis));
    assert!(matches!(refused, Err(AuditError::Invalid { .. })), "{refused:?}");
}

#[test]
fn an_emptied_log_is_not_restarted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    drop(AuditLog::open(&path).unwrap());
    let raw = Connection::open(&path).unwrap();
    raw.execute("DELETE FROM entries", []).unwrap();
    drop(raw);
    let mut log = AuditLog::open(&path).unwrap();
    let refused = log.append(&decision(2));
    assert!(matches!(refused, Err(AuditError::Emptied { .. })), "{refused:?}");
}

#[test]
fn table_columns_are_the_encoded_fields_and_the_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    drop(AuditLog::open(&path).unwrap());
    let raw = Connection::open(&path).unwrap();
    let mut stmt = raw.prepare("SELECT name FROM pragma_table_info('entries')").unwrap();
    let columns: BTreeSet<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    let record = Record::new(Kind::Decision);
    let mut expected: BTreeSet<String> = fields(1, "", &record).iter().map(|f| f.0.to_string()).collect();
    expected.extend(["prev_hash".to_string(), "hash".to_string()]);
    assert_eq!(columns, expected);
}

#[test]
fn open_rejects_files_it_cannot_use() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![b'x'; 4096]).unwrap();
    let opened = AuditLog::open(&garbage);
    assert!(matches!(opened, Err(AuditError::NotALog { .. })), "{opened:?}");

    let newer = dir.path().join("newer.db");
    Connection::open(&newer).unwrap().pragma_update(None, "user_version", 99).unwrap();
    let opened = AuditLog::open(&newer);
    assert!(matches!(opened, Err(AuditError::TooNew { version: 99, .. })), "{opened:?}");
    let message = opened.unwrap_err().to_string();
    assert!(message.contains("newer.db") && message.contains("upgrade gate"), "{message}");
}

#[test]
fn a_write_protected_log_is_reported_as_read_only() {
    if nix::unistd::geteuid().is_root() {
        eprintln!("note: skipped, root ignores file permissions");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    drop(AuditLog::open(&path).unwrap());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    let opened = AuditLog::open(&path);
    assert!(matches!(opened, Err(AuditError::ReadOnly { .. })), "{opened:?}");
}

#[test]
fn to_json_has_every_field_and_the_decoded_argv() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = AuditLog::open(&dir.path().join("audit.db")).unwrap();
    let mut record = decision(2);
    record.argv = Some(encode_argv(&[OsString::from("ls"), OsString::from_vec(vec![0xff])]));
    let entry = log.append(&record).unwrap();
    let json = entry.to_json();
    let object = json.as_object().unwrap();
    assert_eq!(object.len(), 29);
    assert_eq!(json["argv"], serde_json::json!(["ls", {"base64": "/w=="}]));
    assert_eq!(json["seq"], 2);
    assert_eq!(json["kind"], "decision");
    assert_eq!(json["user"], serde_json::Value::Null);
    assert_eq!(json["hash"], entry.hash.as_str());
}

#[test]
fn concurrent_appends_never_lose_or_fork_entries() {
    const THREADS: usize = 8;
    const APPENDS: i64 = 50;
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("audit.db"));
    // All threads also race to create the log: exactly one genesis must result.
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (path, start) = (Arc::clone(&path), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                let mut log = AuditLog::open(&path).unwrap();
                for n in 0..APPENDS {
                    log.append(&decision(t as i64 * 1000 + n)).unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let log = AuditLog::open(&path).unwrap();
    let entries = log.recent(10_000).unwrap();
    let total = THREADS as i64 * APPENDS + 1;
    assert_eq!(entries.len() as i64, total);
    assert!(entries.iter().map(|e| e.seq).eq(1..=total));
    let pids: BTreeSet<i64> = entries.iter().filter_map(|e| e.record.pid).collect();
    assert_eq!(pids.len() as i64, total - 1, "every append is present once");
    assert_eq!(verify_entries(entries).unwrap().entries as i64, total);
}

#[test]
fn short_lived_writers_never_lose_or_fork_entries() {
    // Like gate processes: open, append a decision and an outcome, close. Each close may
    // checkpoint and delete the WAL while others are opening it.
    const THREADS: usize = 6;
    const ROUNDS: i64 = 15;
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("audit.db"));
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (path, start) = (Arc::clone(&path), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                for n in 0..ROUNDS {
                    let mut log = AuditLog::open_with(&path, Durability::Normal).unwrap();
                    log.append(&decision(t as i64 * 1000 + n)).unwrap();
                    log.append(&Record::new(Kind::Outcome)).unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let entries = AuditLog::open(&path).unwrap().recent(10_000).unwrap();
    let total = THREADS as i64 * ROUNDS * 2 + 1;
    assert!(entries.iter().map(|e| e.seq).eq(1..=total));
    assert_eq!(verify_entries(entries).unwrap().entries as i64, total);
}

/// The README's recipe: an auditor recomputes a hash with nothing but Python's standard library.
const PYTHON_RECOMPUTE: &str = r#"
import hashlib, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for seq in sys.argv[2:]:
    cur = db.execute("SELECT * FROM entries WHERE seq=?", (int(seq),))
    row = dict(zip([c[0] for c in cur.description], cur.fetchone()))
    prev, stored = row.pop("prev_hash"), row.pop("hash")
    if row.get("approval") is None:
        row.pop("approval", None)
    body = json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    computed = hashlib.sha256(b"gate-audit-v1\0" + bytes.fromhex(prev) + body.encode()).hexdigest()
    print(seq, computed, computed == stored)
"#;

#[test]
fn python_recomputes_the_stored_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let mut log = AuditLog::open(&path).unwrap();
    let mut odd = decision(2);
    odd.user = Some("ünïcødé 𝄞 \u{202e}".to_string());
    odd.line = Some("printf '\"%s\"\\n' \u{1b}[31m \u{7f} \u{0} \t\r\u{8}\u{c}/".to_string());
    odd.uid = Some(-1);
    odd.exit_code = Some(i64::MAX);
    odd.signal = Some(i64::MIN);
    odd.argv = Some(encode_argv(&[OsString::from("x"), OsString::from_vec(vec![0xfe, 0])]));
    odd.approval = Some(r#"{"document":"{\"v\":1}","signature":"AA=="}"#.to_string());
    log.append(&odd).unwrap();
    let mut outcome = Record::new(Kind::Outcome);
    outcome.exit_code = Some(0);
    outcome.duration_ms = Some(12);
    log.append(&outcome).unwrap();
    let entries = log.recent(10).unwrap();

    let mut command = Command::new("python3");
    command.arg("-c").arg(PYTHON_RECOMPUTE).arg(&path);
    command.args(entries.iter().map(|e| e.seq.to_string()));
    let output = match command.output() {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("note: skipped, python3 is not installed");
            return;
        }
        Err(error) => panic!("cannot run python3: {error}"),
    };
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "python3 failed: {stderr}");
    let expected: String = entries.iter().map(|e| format!("{} {} True\n", e.seq, e.hash)).collect();
    assert_eq!(stdout, expected);
}

/// Cost of the hot path: `cargo test --release --lib timing -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a check"]
fn timing_of_open_and_append() {
    use std::time::Instant;
    for durability in [Durability::Full, Durability::Normal] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.db");
        drop(AuditLog::open(&path).unwrap());
        const ROUNDS: u32 = 200;
        let mut spent = [Duration::ZERO; 4];
        for n in 0..ROUNDS {
            let t0 = Instant::now();
            let mut log = AuditLog::open_with(&path, durability).unwrap();
            let t1 = Instant::now();
            log.append(&decision(i64::from(n))).unwrap();
            let t2 = Instant::now();
            log.append(&Record::new(Kind::Outcome)).unwrap();
            let t3 = Instant::now();
            drop(log);
            let t4 = Instant::now();
            for (total, step) in spent.iter_mut().zip([t1 - t0, t2 - t1, t3 - t2, t4 - t3]) {
                *total += step;
            }
        }
        let [open, first, second, close] = spent.map(|total| total / ROUNDS);
        eprintln!(
            "{durability:?}: open {open:?}, first append {first:?}, second append {second:?}, \
             close {close:?} (mean of {ROUNDS})"
        );
    }
}

#[test]
fn another_programs_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let raw = Connection::open(&path).unwrap();
    raw.execute_batch("CREATE TABLE customers(name TEXT); INSERT INTO customers VALUES ('ada');").unwrap();
    drop(raw);
    let before = std::fs::read(&path).unwrap();
    let opened = AuditLog::open(&path);
    assert!(
        matches!(&opened, Err(AuditError::NotALog { reason, .. }) if reason.contains("another program")),
        "{opened:?}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file was changed");
    // A database with gate's version number but another program's application id.
    let raw = Connection::open(&path).unwrap();
    raw.pragma_update(None, "user_version", 1).unwrap();
    raw.pragma_update(None, "application_id", 0x1234).unwrap();
    drop(raw);
    let opened = AuditLog::open(&path);
    assert!(
        matches!(&opened, Err(AuditError::NotALog { reason, .. }) if reason.contains("application id")),
        "{opened:?}"
    );
}
