//! Signed checkpoints: what they reveal that the chain alone cannot (truncation, rollback to an
//! older copy, a chain recomputed from scratch), and which checkpoints are refused.

use std::path::Path;

use gate::audit::{AuditLog, Kind, Record};
use rusqlite::Connection;

use super::audit_tamper::build_log;
use super::support::{TestEnv, stderr, stdout};

fn verify_with(env: &TestEnv, db: &Path, checkpoint: &Path) -> std::process::Output {
    env.gate(&[
        "audit",
        "verify",
        "--json",
        "--db",
        db.to_str().unwrap(),
        "--checkpoint",
        checkpoint.to_str().unwrap(),
    ])
    .output()
    .unwrap()
}

fn report(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_str(&stdout(output)).unwrap_or_else(|e| panic!("{e}: {output:?}"))
}

#[test]
fn checkpoint_note_format_and_key_file() {
    let env = TestEnv::new();
    build_log(&env.db(), 10);
    let output = env.gate(&["audit", "checkpoint"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let note = stdout(&output);
    let lines: Vec<&str> = note.lines().collect();
    assert_eq!(lines.len(), 6, "{note}");
    assert_eq!(lines[0], "gate-audit-checkpoint v1");
    assert_eq!(lines[1].len(), 32);
    assert_eq!(lines[2], "10");
    assert_eq!(lines[3].len(), 64);
    assert_eq!(lines[4], "");
    assert!(lines[5].starts_with("\u{2014} gate-audit"), "{note}");
    // The key was made on first use, private, under the config directory.
    let key = env.home().join(".config/gate/audit-key");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(std::fs::read_to_string(&key).unwrap().starts_with("PRIVATE+KEY+gate-audit"));
    // The public key verifies it, on another machine too.
    let public = env.gate(&["audit", "key"]).output().unwrap();
    assert!(stdout(&public).starts_with("gate-audit"), "{}", stdout(&public));
}

#[test]
fn a_checkpoint_reveals_truncation_rollback_and_a_rebuilt_chain() {
    let env = TestEnv::new();
    let db = env.db();
    build_log(&db, 40);
    let older = env.root().join("older.db");
    std::fs::copy(&db, &older).unwrap();
    let mut log = AuditLog::open(&db).unwrap();
    let mut record = Record::new(Kind::Decision);
    record.line = Some("echo later".into());
    log.append_all(&vec![record; 20]).unwrap();
    assert!(log.fold().unwrap());
    drop(log);
    let checkpoint = env.root().join("gate.checkpoint");
    env.gate(&["audit", "checkpoint", "--out", checkpoint.to_str().unwrap()]).assert().success();

    // Intact, and matching.
    let output = verify_with(&env, &db, &checkpoint);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(report(&output)["checkpoint"], 60);

    // The log goes on after the checkpoint: still fine.
    let mut log = AuditLog::open(&db).unwrap();
    log.append(&Record::new(Kind::Decision)).unwrap();
    assert!(log.fold().unwrap());
    drop(log);
    assert_eq!(verify_with(&env, &db, &checkpoint).status.code(), Some(0));

    // A careless DELETE leaves the deleted rows' bytes behind. No entry that is left says
    // anything different, so the log is intact, but the file check says that something other
    // than gate wrote to it; the checkpoint shows what.
    let careless = env.root().join("careless.db");
    std::fs::copy(&db, &careless).unwrap();
    Connection::open(&careless).unwrap().execute("DELETE FROM entries WHERE seq > 55", []).unwrap();
    let output =
        env.gate(&["audit", "verify", "--json", "--db", careless.to_str().unwrap()]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let notices = &report(&output)["notices"];
    assert_eq!(notices[0]["notice"], "stale-leaf-space", "{notices}");
    let text = env.gate(&["audit", "verify", "--db", careless.to_str().unwrap()]).output().unwrap();
    assert!(stdout(&text).contains("\nnotice: stale-leaf-space: page "), "{}", stdout(&text));
    // A notice does not stop a checkpoint of what is there; it is said on the way.
    let signed = env.gate(&["audit", "checkpoint", "--db", careless.to_str().unwrap()]).output().unwrap();
    assert_eq!(signed.status.code(), Some(0), "{signed:?}");
    assert!(stderr(&signed).starts_with("gate: notice: stale-leaf-space: page "), "{}", stderr(&signed));
    // A careful one zeroes them and rewrites the file: only a checkpoint can tell.
    let truncated = env.root().join("truncated.db");
    std::fs::copy(&db, &truncated).unwrap();
    Connection::open(&truncated)
        .unwrap()
        .execute_batch("PRAGMA secure_delete = ON; DELETE FROM entries WHERE seq > 55; VACUUM;")
        .unwrap();
    let rebuilt = env.root().join("rebuilt.db");
    std::fs::copy(&db, &rebuilt).unwrap();
    rebuild_from(&rebuilt, 30);

    let cases = [
        ("last entries deleted", &truncated, 56, "ends at entry 55"),
        ("last entries deleted carelessly", &careless, 56, "ends at entry 55"),
        ("rolled back to an older copy", &older, 41, "ends at entry 40"),
        ("chain edited at 30 and recomputed to the end", &rebuilt, 60, "the chain was rebuilt"),
    ];
    for (name, db, seq, says) in cases {
        let plain = env.gate(&["audit", "verify", "--db", db.to_str().unwrap()]).output().unwrap();
        assert_eq!(
            plain.status.code(),
            Some(0),
            "{name}: without a checkpoint the chain looks intact: {plain:?}"
        );
        let output = verify_with(&env, db, &checkpoint);
        assert_eq!(output.status.code(), Some(1), "{name}: {output:?}");
        let report = report(&output);
        assert_eq!(
            (report["seq"].as_i64(), report["damage"].as_str()),
            (Some(seq), Some("checkpoint-mismatch")),
            "{name}: {report}"
        );
        assert!(report["detail"].as_str().unwrap().contains(says), "{name}: {report}");
    }
}

/// Edits entry `from` and recomputes every hash after it, as someone with the file and gate's
/// source could: the chain is valid again, only a checkpoint can tell.
fn rebuild_from(path: &Path, from: i64) {
    let conn = Connection::open(path).unwrap();
    // A careful forger zeroes what the edit frees, as gate's writers do, so the file looks as
    // gate would have written it.
    conn.execute_batch("PRAGMA secure_delete = ON").unwrap();
    conn.execute("UPDATE entries SET line = 'echo nothing to see' WHERE seq = ?1", [from]).unwrap();
    let max: i64 = conn.query_row("SELECT max(seq) FROM entries", [], |r| r.get(0)).unwrap();
    drop(conn);
    for seq in from..=max {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch("PRAGMA secure_delete = ON").unwrap();
        if seq > from {
            conn.execute("UPDATE entries SET prev_hash = 'x' || ?1 WHERE seq = ?1", [seq]).unwrap();
            conn.execute(
                "UPDATE entries SET prev_hash = (SELECT hash FROM entries WHERE seq = ?1 - 1) WHERE seq = ?1",
                [seq],
            )
            .unwrap();
        }
        drop(conn);
        super::audit_tamper::reseal(path, seq);
    }
    // And rewrites the file, so no page keeps a trace of the edit.
    Connection::open(path).unwrap().execute_batch("PRAGMA secure_delete = ON; VACUUM").unwrap();
}

#[test]
fn forged_and_foreign_checkpoints_are_rejected() {
    let env = TestEnv::new();
    build_log(&env.db(), 10);
    let checkpoint = env.root().join("gate.checkpoint");
    env.gate(&["audit", "checkpoint", "--out", checkpoint.to_str().unwrap()]).assert().success();
    let note = std::fs::read_to_string(&checkpoint).unwrap();

    let forged = env.root().join("forged.checkpoint");
    std::fs::write(&forged, note.replacen("\n10\n", "\n9\n", 1)).unwrap();
    let output = verify_with(&env, &env.db(), &forged);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(stderr(&output).contains("signature does not verify"), "{}", stderr(&output));

    let other = TestEnv::new();
    build_log(&other.db(), 10);
    let foreign = env.root().join("foreign.checkpoint");
    // Signed with the same key (same HOME), for another log.
    env.gate(&[
        "audit",
        "checkpoint",
        "--db",
        other.db().to_str().unwrap(),
        "--out",
        foreign.to_str().unwrap(),
    ])
    .assert()
    .success();
    let output = verify_with(&env, &env.db(), &foreign);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(stderr(&output).contains("the checkpoint is for log"), "{}", stderr(&output));

    // A checkpoint signed by another machine's key, unless its public key is given.
    let elsewhere = TestEnv::new();
    std::fs::copy(env.db(), elsewhere.db()).unwrap();
    let output = verify_with(&elsewhere, &elsewhere.db(), &checkpoint);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let public = env.root().join("key.pub");
    std::fs::write(&public, env.gate(&["audit", "key"]).output().unwrap().stdout).unwrap();
    let output = elsewhere
        .gate(&[
            "audit",
            "verify",
            "--checkpoint",
            checkpoint.to_str().unwrap(),
            "--key",
            public.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

#[test]
fn gate_exec_writes_a_checkpoint_every_n_entries() {
    let env = TestEnv::new().with_policy(&super::support::policy("allow", ""));
    let checkpoint = env.root().join("auto.checkpoint");
    for _ in 0..3 {
        env.gate(&["exec", "--", "true"])
            .env("GATE_AUDIT_CHECKPOINT_EVERY", "4")
            .env("GATE_AUDIT_CHECKPOINT_FILE", &checkpoint)
            .assert()
            .success();
    }
    // 7 entries: the checkpoint was written at entry 4.
    let note = std::fs::read_to_string(&checkpoint).unwrap();
    assert_eq!(note.lines().nth(2), Some("4"), "{note}");
    let output = verify_with(&env, &env.db(), &checkpoint);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

/// A key file others can read is the user's to fix: a configuration error (78) with the command
/// that fixes it, not "a bug in gate" (70).
#[test]
fn a_key_file_readable_by_others_is_a_configuration_error() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    env.gate(&["audit", "key"]).assert().success();
    let key = env.home().join(".config/gate/audit-key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = env.gate(&["audit", "key"]).output().unwrap();
    assert_eq!(output.status.code(), Some(78), "{}", stderr(&output));
    assert!(stderr(&output).contains("chmod 600"), "{}", stderr(&output));
}

#[test]
fn a_bad_checkpoint_interval_is_a_warning_not_silence() {
    let env = TestEnv::new().with_policy(&super::support::policy("allow", ""));
    for value in ["abc", "0", "-1", " "] {
        let output = env
            .gate_process(&["exec", "--", "true"])
            .env("GATE_AUDIT_CHECKPOINT_EVERY", value)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{value:?}");
        assert!(
            stderr(&output).contains("warning: GATE_AUDIT_CHECKPOINT_EVERY"),
            "{value:?}: {}",
            stderr(&output)
        );
    }
    let output = env
        .gate_process(&["exec", "--", "true"])
        .env("GATE_AUDIT_CHECKPOINT_EVERY", "1000")
        .output()
        .unwrap();
    assert_eq!(stderr(&output), "");
}
