//! Flips every byte of a small closed log in turn (a few dozen entries: the `entries` b-tree has
//! an interior root over leaves, beside the schema page). The test reads the pages itself to
//! say which bytes no entry owns; a flip anywhere else must never verify intact. In process, for
//! speed; every 61st flip also through the real binary.

use std::path::PathBuf;

use gate::audit::{NoticeKind, VerifyReport};

use super::audit_tamper::build_log;
use super::support::TestEnv;

/// What a flip of a byte must give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Region {
    /// A byte an entry or the b-tree's reading of the entries depends on: damage.
    Owned,
    /// The unallocated space of a leaf page: intact, with a notice naming the page.
    LeafSpace(u32),
    /// The unallocated space of an interior page, where SQLite's balancing leaves stale bytes
    /// itself: intact, and nothing said.
    InteriorSpace,
    /// The SQLite version of the last writer, in the database header: intact, with a notice.
    WriterVersion,
}

/// The region of every byte of the file, from the file's own pages.
fn regions(bytes: &[u8]) -> Vec<Region> {
    let be16 = |at: usize| usize::from(u16::from_be_bytes([bytes[at], bytes[at + 1]]));
    let page_size = be16(16);
    let mut regions = vec![Region::Owned; bytes.len()];
    regions[96..100].fill(Region::WriterVersion);
    for (index, page) in bytes.chunks(page_size).enumerate() {
        let start = index * page_size;
        let header = if index == 0 { 100 } else { 0 };
        let (leaf, top) = match page[header] {
            13 => (true, 8),
            5 => (false, 12),
            kind => panic!("page {} has type {kind}: a small log has only b-tree pages", index + 1),
        };
        let pointers_end = start + header + top + 2 * be16(start + header + 3);
        let content = start + be16(start + header + 5);
        let region = if leaf { Region::LeafSpace(index as u32 + 1) } else { Region::InteriorSpace };
        regions[pointers_end..content].fill(region);
    }
    regions
}

/// Whether `report` is what a flip in `region` must give.
fn as_expected(region: Region, report: &Result<VerifyReport, gate::audit::AuditError>) -> bool {
    let Ok(VerifyReport::Intact { notices, .. }) = report else { return region == Region::Owned };
    let notices: Vec<(NoticeKind, u32)> = notices.iter().map(|n| (n.kind, n.page)).collect();
    match region {
        Region::Owned => false,
        Region::LeafSpace(page) => notices == [(NoticeKind::StaleLeafSpace, page)],
        Region::InteriorSpace => notices.is_empty(),
        Region::WriterVersion => notices == [(NoticeKind::OtherSqlite, 1)],
    }
}

#[test]
fn flipping_a_byte_an_entry_depends_on_never_verifies_intact() {
    let env = TestEnv::new();
    let original = env.root().join("small.db");
    build_log(&original, 40);
    let bytes = std::fs::read(&original).unwrap();
    let wal = PathBuf::from(format!("{}-wal", original.display()));
    assert!(std::fs::metadata(wal).map_or(true, |meta| meta.len() == 0), "the WAL is folded in");
    let report = gate::audit::verify(&original).unwrap();
    assert!(matches!(&report, VerifyReport::Intact { notices, .. } if notices.is_empty()), "{report:?}");
    let regions = regions(&bytes);
    let interior = regions.iter().filter(|r| **r == Region::InteriorSpace).count();
    assert!(interior > 0, "the log has an interior page");

    let workers = 2;
    let results: Vec<(Vec<(usize, String)>, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let (bytes, env, regions) = (&bytes, &env, &regions);
                scope.spawn(move || {
                    let copy = env.root().join(format!("flipped-{worker}.db"));
                    let (mut wrong, mut through_binary) = (Vec::new(), 0);
                    for at in (worker..bytes.len()).step_by(workers) {
                        let mut flipped = bytes.clone();
                        flipped[at] ^= 0xff;
                        std::fs::write(&copy, &flipped).unwrap();
                        let report = gate::audit::verify(&copy);
                        if !as_expected(regions[at], &report) {
                            wrong.push((at, format!("{:?}: {report:?}", regions[at])));
                        }
                        if at % 61 == 0 {
                            let args = ["audit", "verify", "--db", copy.to_str().unwrap()];
                            let code = env.gate(&args).output().unwrap().status.code();
                            let want = if regions[at] == Region::Owned { [1, 2] } else { [0, 0] };
                            assert!(code.is_some_and(|c| want.contains(&c)), "byte {at}: exit {code:?}");
                            through_binary += 1;
                        }
                        for suffix in ["-wal", "-shm"] {
                            let _ = std::fs::remove_file(format!("{}{suffix}", copy.display()));
                        }
                    }
                    (wrong, through_binary)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let wrong: Vec<&(usize, String)> = results.iter().flat_map(|r| &r.0).collect();
    let through_binary: usize = results.iter().map(|r| r.1).sum();
    let owned = regions.iter().filter(|r| **r == Region::Owned).count();
    eprintln!(
        "{} bytes flipped: {owned} owned (damage), {} in leaves' unallocated space (a notice), {interior} in the interior page's (nothing), 4 of the writer's version (a notice); {through_binary} through the binary",
        bytes.len(),
        regions.iter().filter(|r| matches!(r, Region::LeafSpace(_))).count(),
    );
    assert!(
        wrong.is_empty(),
        "{} flips gave the wrong verdict, first: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
}
