//! Builds a large audit log for measuring `gate audit verify` and `gate audit export`, without a
//! million processes: realistic decision and outcome pairs, appended in batches (of 10,000, or
//! of 10 MB when the lines are long). A log that exists already is grown to the size asked.
//!
//!     cargo run --release --example audit_bench -- /tmp/big.db 1000000
//!     time target/$(rustc --print host-tuple)/release/gate audit verify --db /tmp/big.db
//!     cargo run --release --example audit_bench -- /tmp/huge.db 5500 200000   # 200 KB lines: past 1 GiB

use std::path::PathBuf;
use std::time::Instant;

use gate::audit::{AuditLog, Durability, Kind, Record};

fn main() {
    let mut args = std::env::args_os().skip(1);
    let path = PathBuf::from(args.next().expect("usage: audit_bench FILE [ENTRIES [LINE_BYTES]]"));
    let mut number = |default: u64| {
        args.next().map_or(default, |n| n.to_str().and_then(|n| n.parse().ok()).expect("a number"))
    };
    let entries = number(1_000_000);
    // The decisions' `-c` line: realistic by default, or this many bytes long.
    let line_bytes = number(0) as usize;
    let per_batch = (10_000_000 / line_bytes.max(1_000)).min(10_000);
    let started = Instant::now();
    let mut log = AuditLog::open_with(&path, Durability::Normal).expect("open the log");
    let mut written = log.head().expect("head").size as u64;
    let mut batch = Vec::with_capacity(10_000);
    let mut n = 0u64;
    while written < entries {
        batch.clear();
        while batch.len() < per_batch && written + (batch.len() as u64) < entries {
            let id = format!("{:032x}", u128::from(n / 2) * 0x9e37_79b9_7f4a_7c15);
            batch.push(if n.is_multiple_of(2) { decision(n, &id, line_bytes) } else { outcome(&id) });
            n += 1;
        }
        written += log.append_all(&batch).expect("append");
    }
    eprintln!("{written} entries in {} in {:?}", path.display(), started.elapsed());
}

fn decision(n: u64, id: &str, line_bytes: usize) -> Record {
    let mut record = Record::new(Kind::Decision);
    record.request_id = Some(id.to_string());
    record.user = Some("agent".to_string());
    record.uid = Some(1000);
    record.host = Some("build-7.example.internal".to_string());
    record.pid = Some(40_000 + (n % 20_000) as i64);
    record.ppid = Some(39_999);
    record.parent = Some("node /usr/lib/agent/cli.js --session 42".to_string());
    record.cwd = Some("/home/agent/src/project".to_string());
    record.line = Some(format!("cargo test --package core -- --test-threads {}", n % 8));
    if line_bytes > 0 {
        let line = format!("echo {n} ");
        record.line = Some(line.repeat(line_bytes.div_ceil(line.len()))[..line_bytes].to_string());
    }
    record.decision = Some(if n.is_multiple_of(10) { "ask" } else { "allow" }.to_string());
    record.rule = Some("cargo".to_string());
    record.reason = Some("builds and tests are allowed".to_string());
    record.verdict = Some(if n.is_multiple_of(10) { "approved" } else { "allowed" }.to_string());
    record.approver = n.is_multiple_of(10).then(|| "ann".to_string());
    record.channel = Some(if n.is_multiple_of(10) { "terminal" } else { "policy" }.to_string());
    record.policy_path = Some("/home/agent/.config/gate/policy.toml".to_string());
    record.policy_sha256 =
        Some("5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8".to_string());
    record
}

fn outcome(id: &str) -> Record {
    let mut record = Record::new(Kind::Outcome);
    record.request_id = Some(id.to_string());
    record.exit_code = Some(0);
    record.duration_ms = Some(1234);
    record
}
