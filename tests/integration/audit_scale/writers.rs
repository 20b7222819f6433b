//! Real `gate exec -- true` processes writing one log at once, as agents do: four writers;
//! four writers that also sign a checkpoint every N entries; and four writers whose processes are
//! killed with SIGKILL at random moments, mid-append among them.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::super::support::{TestEnv, policy, stderr};
use super::tamper::assert_every_tamper_is_caught;
use super::{Rng, assert_intact, grow, stale_interior_pages, verify};

/// How four writers run their commands.
#[derive(Clone, Copy)]
struct Writers<'a> {
    commands: usize,
    /// Extra environment for each `gate exec`.
    env: &'a [(&'a str, &'a str)],
    /// Kill each process after a random delay below this many microseconds.
    kill_within: Option<u64>,
}

/// Runs four writers, each running its commands one after another on `db`; returns how many
/// processes were killed before they ended.
fn run(env: &TestEnv, db: &Path, writers: Writers<'_>) -> usize {
    let policy_file = env.root().join("allow.toml");
    std::fs::write(&policy_file, policy("allow", "")).unwrap();
    let started = Instant::now();
    let killed: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4u64)
            .map(|writer| {
                let (policy_file, db) = (&policy_file, db);
                scope.spawn(move || {
                    let mut rng = Rng(0x5eed + writer);
                    let mut killed = 0;
                    for n in 0..writers.commands {
                        let args = [
                            "exec",
                            "--policy",
                            policy_file.to_str().unwrap(),
                            "--db",
                            db.to_str().unwrap(),
                            "--",
                            "true",
                        ];
                        let mut command = env.gate_process(&args);
                        command.envs(writers.env.iter().copied());
                        let Some(within) = writers.kill_within else {
                            let output = command.output().unwrap();
                            let said = stderr(&output);
                            assert!(output.status.success() && said.is_empty(), "{n}: {output:?}");
                            continue;
                        };
                        let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
                        std::thread::sleep(Duration::from_micros(rng.next() % within));
                        let _ = child.kill();
                        let output = child.wait_with_output().unwrap();
                        let status = output.status;
                        assert!(status.success() || status.signal() == Some(9), "{n}: {output:?}");
                        killed += usize::from(status.signal() == Some(9));
                    }
                    killed
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    eprintln!("{} gate exec by 4 writers in {:?}, {killed} killed", 4 * writers.commands, started.elapsed());
    killed
}

fn four_writers(prefill: u64, commands: usize) {
    let env = TestEnv::new();
    let db = env.root().join("e.db");
    if prefill > 0 {
        grow(&db, prefill, 10_000);
    }
    run(&env, &db, Writers { commands, env: &[], kill_within: None });
    let entries = assert_intact(&env, &db, None);
    assert_eq!(entries, prefill.max(1) + 8 * commands as u64);
    assert!(stale_interior_pages(&db).0 > 0, "the log holds what the check before issue 8 cried wolf at");
    assert_every_tamper_is_caught(&env, &db, (prefill.max(1) + entries) as i64 / 2);
}

#[test]
fn four_writers_of_gate_exec_on_a_log_of_20_000_entries() {
    four_writers(20_000, 250);
}

#[test]
#[ignore = "full size (about 2 minutes in release): tests/scale/run.sh"]
fn four_writers_of_gate_exec_write_25_000_entries() {
    four_writers(0, 3_125);
}

fn checkpoints_every(prefill: u64, commands: usize, every: u64) {
    let env = TestEnv::new();
    let db = env.root().join("e.db");
    if prefill > 0 {
        grow(&db, prefill, 10_000);
    }
    let every_text = every.to_string();
    run(
        &env,
        &db,
        Writers { commands, env: &[("GATE_AUDIT_CHECKPOINT_EVERY", &every_text)], kill_within: None },
    );
    let checkpoint = env.root().join("e.db.checkpoint");
    let entries = assert_intact(&env, &db, Some(&checkpoint));
    let (_, report) = verify(&env, &db, Some(&checkpoint));
    let signed = report["checkpoint"].as_i64().unwrap();
    assert!(signed > prefill as i64 && signed % every as i64 == 0, "{report}");
    // Entries deleted from the end, carefully (zeroed, the file rewritten): only the checkpoint
    // tells.
    let truncated = env.root().join("truncated.db");
    std::fs::copy(&db, &truncated).unwrap();
    let conn = rusqlite::Connection::open(&truncated).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA secure_delete = ON; DELETE FROM entries WHERE seq > {}; VACUUM",
        signed - 5
    ))
    .unwrap();
    drop(conn);
    assert_intact(&env, &truncated, None);
    let (code, report) = verify(&env, &truncated, Some(&checkpoint));
    assert_eq!((code, report["damage"].as_str()), (Some(1), Some("checkpoint-mismatch")), "{report}");
    assert_every_tamper_is_caught(&env, &db, (prefill as i64 + entries as i64) / 2);
}

#[test]
fn four_writers_signing_a_checkpoint_every_37_entries() {
    checkpoints_every(20_000, 100, 37);
}

#[test]
#[ignore = "full size (about 2 minutes in release): tests/scale/run.sh"]
fn four_writers_signing_a_checkpoint_every_1000_entries_write_25_000() {
    checkpoints_every(0, 3_125, 1_000);
}

fn killed_mid_append(prefill: u64, commands: usize) {
    let env = TestEnv::new();
    let db = env.root().join("e.db");
    if prefill > 0 {
        grow(&db, prefill, 10_000);
    }
    // A `gate exec -- true` takes about 10 ms (debug build, four at once on two cores): kills
    // land anywhere in it, before the log is opened, during an append, between the two. Its
    // caches are made first: the first run of a build compiles every program's knowledge
    // (~70 ms in a debug build), where every kill would land otherwise.
    env.gate(&["check", "--", "true"]).assert().success();
    let killed = run(&env, &db, Writers { commands, env: &[], kill_within: Some(30_000) });
    assert!(killed > 0, "some writers were killed before they ended");
    // The WAL the killed writers left is read through SQLite; a decision whose outcome never
    // came is incomplete, not damage.
    let (code, report) = verify(&env, &db, None);
    assert_eq!((code, &report["intact"]), (Some(0), &serde_json::json!(true)), "{report}");
    let incomplete = report["incomplete"].as_array().unwrap().len();
    eprintln!("{killed} killed, {incomplete} of them between their decision and its outcome");
    // The next writer folds the WAL in when it closes; then the file itself is checked.
    run(&env, &db, Writers { commands: 1, env: &[], kill_within: None });
    let entries = assert_intact(&env, &db, None);
    assert!(entries > prefill + 8, "{entries}");
    assert_every_tamper_is_caught(&env, &db, (prefill as i64 + entries as i64) / 2);
}

#[test]
fn gate_exec_killed_mid_append_on_a_log_of_20_000_entries() {
    killed_mid_append(20_000, 100);
}

#[test]
#[ignore = "full size (a few minutes in release): tests/scale/run.sh"]
fn gate_exec_killed_mid_append_4_000_times() {
    killed_mid_append(0, 1_000);
}
