//! Evidence at scale (issue 8): logs that only gate wrote, grown each way a log grows (real
//! `gate exec` processes at once, signed checkpoints every N entries, writers killed mid-append,
//! the library's appends one by one and in batches, entries of very different sizes, a file
//! past the 1 GiB lock-byte page) verify intact through the real binary, without a notice, at
//! every size on the way; and a tampered copy of each is caught, every tamper class of issue 4.
//!
//! The normal suite runs each class at a size that keeps CI quick but crosses the sizes where
//! the old file check cried wolf (20,000 entries and up). Each `#[ignore]`d twin runs the full
//! size; `tests/scale/run.sh` runs them, in release.

mod appends;
mod tamper;
mod writers;

use std::path::Path;

use gate::audit::{AuditLog, Durability, Kind, Record};

use super::support::{TestEnv, stdout};

/// `gate audit verify --json` (and `--checkpoint FILE`) on `db`, and its exit code.
fn verify(env: &TestEnv, db: &Path, checkpoint: Option<&Path>) -> (Option<i32>, serde_json::Value) {
    let mut args = vec!["audit", "verify", "--json", "--db", db.to_str().unwrap()];
    if let Some(checkpoint) = checkpoint {
        args.extend(["--checkpoint", checkpoint.to_str().unwrap()]);
    }
    let output = env.gate(&args).output().unwrap();
    let report = serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("{e}: {output:?}"));
    (output.status.code(), report)
}

/// Asserts that `db` verifies intact, without a notice; returns its number of entries.
fn assert_intact(env: &TestEnv, db: &Path, checkpoint: Option<&Path>) -> u64 {
    let (stale, rightmost) = stale_interior_pages(db);
    let (code, report) = verify(env, db, checkpoint);
    eprintln!(
        "{}: {} entries, intact; {stale} interior pages hold stale bytes, {rightmost} of them on the rightmost path",
        db.file_name().unwrap().to_string_lossy(),
        report["entries"]
    );
    assert_eq!(code, Some(0), "{}: {report}", db.display());
    assert_eq!(report["intact"], true, "{report}");
    assert_eq!(report["notices"], serde_json::json!([]), "{report}");
    if checkpoint.is_some() {
        assert!(report["checkpoint"].is_u64(), "{report}");
    }
    report["entries"].as_u64().unwrap()
}

/// A decision as an agent's `gate exec` makes one; `n` varies its fields.
fn decision(n: u64) -> Record {
    let mut record = Record::new(Kind::Decision);
    record.request_id = Some(format!("{:032x}", u128::from(n) * 0x9e37_79b9_7f4a_7c15));
    record.user = Some("agent".to_string());
    record.uid = Some(1000);
    record.host = Some("build-7.example.internal".to_string());
    record.pid = Some(40_000 + (n % 20_000) as i64);
    record.cwd = Some("/home/agent/src/project".to_string());
    record.argv = Some(format!("[\"cargo\",\"test\",\"--test-threads\",\"{}\"]", n % 8));
    record.decision = Some("allow".to_string());
    record.rule = Some("cargo".to_string());
    record.verdict = Some("allowed".to_string());
    record.channel = Some("policy".to_string());
    record
}

/// The outcome of decision `n`.
fn outcome(n: u64) -> Record {
    let mut record = Record::new(Kind::Outcome);
    record.request_id = Some(format!("{:032x}", u128::from(n) * 0x9e37_79b9_7f4a_7c15));
    record.exit_code = Some((n % 3) as i64);
    record.duration_ms = Some((n % 5_000) as i64);
    record
}

/// Grows the log at `db` to `entries` entries in batches of `batch` (one transaction each), with
/// decision and outcome pairs; returns it closed.
fn grow(db: &Path, entries: u64, batch: usize) {
    let mut log = AuditLog::open_with(db, Durability::Normal).unwrap();
    let mut size = log.head().unwrap().size as u64;
    while size < entries {
        let records: Vec<Record> = (size..entries.min(size + batch as u64))
            .map(|n| if n % 2 == 0 { decision(n) } else { outcome(n - 1) })
            .collect();
        size += log.append_all(&records).unwrap();
    }
}

/// A deterministic pseudo-random sequence (xorshift64*), so that a failing case can be rerun.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `low..=high`, spread evenly over its orders of magnitude.
    fn log_uniform(&mut self, low: u64, high: u64) -> u64 {
        let (low, high) = ((low as f64).ln(), (high as f64).ln());
        let unit = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        (low + unit * (high - low)).exp().round() as u64
    }
}

/// How many interior pages of the `entries` b-tree hold bytes in their unallocated space (what
/// SQLite's balancing leaves there, which the check before issue 8 called damage on the tree's
/// rightmost path), and how many of those are on that path; read from the file directly.
fn stale_interior_pages(db: &Path) -> (usize, usize) {
    let bytes = std::fs::read(db).unwrap();
    let be16 = |at: usize| usize::from(u16::from_be_bytes([bytes[at], bytes[at + 1]]));
    let be32 = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let page_size = be16(16);
    let conn = rusqlite::Connection::open(db).unwrap();
    let root: usize = conn
        .query_row("SELECT rootpage FROM sqlite_schema WHERE name = 'entries'", [], |r| r.get(0))
        .unwrap();
    drop(conn);
    let (mut stale, mut rightmost) = (0, 0);
    let mut pages = vec![(root, true)];
    while let Some((page, on_right)) = pages.pop() {
        let start = (page - 1) * page_size;
        if bytes[start] != 5 {
            continue;
        }
        let cells = be16(start + 3);
        let gap = start + 12 + 2 * cells..start + be16(start + 5);
        if bytes[gap].iter().any(|b| *b != 0) {
            stale += 1;
            rightmost += usize::from(on_right);
        }
        pages.extend((0..cells).map(|i| (be32(start + be16(start + 12 + 2 * i)), false)));
        pages.push((be32(start + 8), on_right));
    }
    (stale, rightmost)
}
