//! A property of verify on logs only gate wrote: whatever sizes the entries come in, one by one
//! or in batches, the log verifies intact without a notice at every size on the way, while its
//! `entries` b-tree grows through several interior levels; and an edited entry is still found.
//! Driven by a seeded pseudo-random generator, so that a failure can be replayed from its seed.
//!
//! Gate leaves the page size at SQLite's default (4096 bytes); a log made with 512-byte pages
//! reaches three interior levels with some thousands of entries instead of some millions.

use std::path::Path;

use rusqlite::Connection;

use super::chain::DamageKind;
use super::file_chain;
use super::{AuditLog, Durability, Kind, Record, VerifyReport, verify};

/// xorshift64*: small, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A line length: mostly short, some spilling to one overflow page, a few to many.
    fn line_len(&mut self) -> usize {
        let limit = match self.below(100) {
            0..=69 => 300,
            70..=89 => 4_000,
            90..=97 => 40_000,
            _ => 200_000,
        };
        self.below(limit) as usize
    }
}

fn record(rng: &mut Rng, n: u64) -> Record {
    let mut record = Record::new(if n.is_multiple_of(2) { Kind::Decision } else { Kind::Outcome });
    record.request_id = Some(format!("{:032x}", n / 2));
    record.line = Some("é".repeat(rng.line_len() / 2) + &n.to_string());
    record.pid = (rng.below(3) > 0).then(|| rng.next() as i64 >> rng.below(64));
    record
}

/// The levels of the log's `entries` b-tree, its leaves included, from the file check.
fn depth(path: &Path) -> usize {
    match file_chain::check_closed(path, &mut |_, _| {}).unwrap() {
        Some(Ok(checked)) => checked.depth,
        other => panic!("the file check of a closed log: {other:?}"),
    }
}

/// Grows a log at random until its `entries` b-tree has `levels` levels (leaves included),
/// verifying it after each round of appends; returns the number of entries.
fn grow_until(seed: u64, page_size: u32, levels: usize) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    if page_size != 4096 {
        let sql = format!("PRAGMA page_size = {page_size}; PRAGMA journal_mode = WAL;");
        Connection::open(&path).unwrap().execute_batch(&sql).unwrap();
    }
    let mut rng = Rng(seed);
    let (mut entries, mut seen) = (1, vec![]);
    while seen.last() < Some(&levels) {
        let mut log = AuditLog::open_with(&path, Durability::Normal).unwrap();
        // Rounds grow with the log, so that a large one is not verified after every few entries.
        for _ in 0..1 + rng.below(60.max(entries / 40)) {
            if rng.below(3) == 0 {
                let records: Vec<Record> =
                    (0..1 + rng.below(60)).map(|i| record(&mut rng, entries + i)).collect();
                entries += log.append_all(&records).unwrap();
            } else {
                log.append(&record(&mut rng, entries)).unwrap();
                entries += 1;
            }
        }
        drop(log);
        match verify(&path).unwrap() {
            VerifyReport::Intact { entries: found, notices, .. } if notices.is_empty() => {
                assert_eq!(found, entries, "seed {seed:#x}");
            }
            other => panic!("seed {seed:#x}, {entries} entries: {other:?}"),
        }
        let depth = depth(&path);
        if seen.last() != Some(&depth) {
            seen.push(depth);
        }
    }
    assert!(seen.windows(2).all(|w| w[1] == w[0] + 1), "seed {seed:#x}: depths {seen:?}");
    let seq = 1 + rng.below(entries - 1) as i64;
    let conn = Connection::open(&path).unwrap();
    conn.execute("UPDATE entries SET host = 'elsewhere' WHERE seq = ?1", [seq]).unwrap();
    drop(conn);
    match verify(&path).unwrap() {
        VerifyReport::Damaged { seq: s, kind: DamageKind::ContentChanged, .. } if s == seq => {}
        other => panic!("seed {seed:#x}: entry {seq} edited: {other:?}"),
    }
    entries
}

#[test]
fn random_appends_verify_intact_through_two_interior_levels() {
    for seed in [0x9a7e, 0x1_0000_0001] {
        let entries = grow_until(seed, 4096, 3);
        eprintln!("seed {seed:#x}: 3 levels at {entries} entries");
    }
}

#[test]
fn random_appends_verify_intact_through_three_interior_levels() {
    let entries = grow_until(0xdee9, 512, 4);
    eprintln!("512-byte pages: 4 levels at {entries} entries");
}

#[test]
#[ignore = "full size (some minutes in release): tests/scale/run.sh"]
fn random_appends_verify_intact_through_four_interior_levels() {
    let entries = grow_until(0x5ca1e, 512, 5);
    eprintln!("512-byte pages: 5 levels at {entries} entries");
}
