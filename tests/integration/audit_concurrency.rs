//! Many agents at once: 16 processes each run 50 `gate exec` in a row against one log. Every
//! entry must be there, seq contiguous, the chain intact, and no process may fail or print
//! "database is locked".

use std::time::Instant;

use super::support::{TestEnv, policy, stderr, stdout};

const WRITERS: usize = 16;
const COMMANDS: usize = 50;

#[test]
fn sixteen_writers_times_fifty_commands_lose_nothing() {
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    let started = Instant::now();
    std::thread::scope(|scope| {
        for writer in 0..WRITERS {
            let env = &env;
            scope.spawn(move || {
                for n in 0..COMMANDS {
                    let tag = format!("w{writer}-n{n}");
                    let output = env.gate_process(&["exec", "--", "true", &tag]).output().unwrap();
                    let said = stderr(&output);
                    assert!(output.status.success() && said.is_empty(), "{tag}: {:?}: {said}", output.status);
                }
            });
        }
    });
    let elapsed = started.elapsed();
    eprintln!("{} gate exec in {elapsed:?}", WRITERS * COMMANDS);

    let total = WRITERS * COMMANDS * 2 + 1;
    let output = env.gate(&["audit", "verify", "--json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["entries"], total);
    assert_eq!(report["incomplete"], serde_json::json!([]));

    let exported = env.gate(&["audit", "export", "--format", "jsonl"]).output().unwrap();
    let entries: Vec<serde_json::Value> =
        stdout(&exported).lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert!(entries.iter().map(|e| e["seq"].as_u64().unwrap()).eq(1..=total as u64), "seq is contiguous");
    let mut tags: Vec<String> = entries
        .iter()
        .filter(|e| e["kind"] == "decision")
        .map(|e| e["argv"][1].as_str().unwrap().to_string())
        .collect();
    tags.sort();
    tags.dedup();
    assert_eq!(tags.len(), WRITERS * COMMANDS, "every command's decision is there once");
}
