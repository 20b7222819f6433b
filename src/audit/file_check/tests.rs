//! Unit tests of the file check: its decoders, and small logs changed in each way the check
//! names, as damage or as a notice. Whole logs are verified in `verify_tests`, the byte-flip
//! integration test and the scale tests.

use std::path::Path;

use rusqlite::Connection;

use super::record::{record_values, varint};
use super::*;
use crate::audit::NoticeKind;
use crate::audit::store::SchemaRow;

#[test]
fn varints_decode_as_sqlite_writes_them() {
    type Case<'a> = (&'a [u8], Option<(u64, usize)>);
    let cases: &[Case<'_>] = &[
        (&[0x00], Some((0, 1))),
        (&[0x7f], Some((127, 1))),
        (&[0x81, 0x00], Some((128, 2))),
        (&[0xff; 9], Some((u64::MAX, 9))),
        (&[0x81], None),
        (&[], None),
    ];
    for (bytes, want) in cases {
        assert_eq!(varint(bytes, 0, bytes.len()), *want, "{bytes:?}");
    }
}

#[test]
fn records_decode_only_when_header_and_body_agree() {
    // (text "ab", int 7): header size 3, serial types 17 and 1.
    let good: &[u8] = &[3, 17, 1, b'a', b'b', 7];
    assert_eq!(record_values(good), Some(vec![Raw::Text(b"ab"), Raw::Int(7)]));
    let cases: &[&[u8]] = &[
        &[3, 17, 1, b'a', b'b', 7, 0], // a byte too many
        &[3, 17, 1, b'a', b'b'],       // a byte short
        &[4, 17, 1, b'a', b'b', 7],    // header past its types
        &[3, 10, 1, 0],                // a reserved serial type
    ];
    for record in cases {
        assert_eq!(record_values(record), None, "{record:?}");
    }
    assert_eq!(record_values(&[2, 0]), Some(vec![Raw::Null]));
    assert_eq!(record_values(&[2, 1, 0xff]), Some(vec![Raw::Int(-1)]));
}

fn expect(schema: &[SchemaRow]) -> Expect<'_> {
    Expect {
        user_version: u32::try_from(crate::audit::store::SCHEMA_VERSION).unwrap(),
        application_id: crate::audit::store::APPLICATION_ID,
        sqlite_version: u32::try_from(rusqlite::version_number()).unwrap(),
        schema,
    }
}

/// Checks the file at `path` as it is.
fn check_file(path: &Path) -> Result<Checked, FileDamage> {
    let schema = crate::audit::store::expected().unwrap().rows;
    let file = File::open(path).unwrap();
    let len = file.metadata().unwrap().len();
    check(&file, len, &expect(&schema), &mut |_, _| {}).unwrap()
}

/// A closed log of a genesis and 30 decisions: a root interior page over two leaves.
fn small_log(path: &Path) -> Vec<u8> {
    let mut log = crate::audit::AuditLog::open(path).unwrap();
    let mut record = crate::audit::Record::new(crate::audit::Kind::Decision);
    record.line = Some("x".repeat(300));
    log.append_all(&vec![record; 30]).unwrap();
    assert!(log.fold().unwrap());
    drop(log);
    std::fs::read(path).unwrap()
}

const PAGE: usize = 4096;

/// The offset in the file of byte `at` of page `page`.
fn at(page: usize, at: usize) -> usize {
    (page - 1) * PAGE + at
}

fn be16(bytes: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes([bytes[at], bytes[at + 1]]))
}

fn be32(bytes: &[u8], at: usize) -> usize {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
}

type Edit = fn(&mut Vec<u8>);

/// Zeroes the unallocated space of every leaf page.
fn zero_leaf_space(bytes: &mut [u8]) {
    for page in 1..=bytes.len() / PAGE {
        let header = if page == 1 { 100 } else { 0 };
        if bytes[at(page, header)] == 13 {
            let pointers_end = at(page, header + 8 + 2 * be16(bytes, at(page, header + 3)));
            let content = at(page, be16(bytes, at(page, header + 5)));
            bytes[pointers_end..content].fill(0);
        }
    }
}

/// The offset in the file of the middle of page `page`'s unallocated space (`top`: where its
/// cell pointers start).
fn unallocated(b: &[u8], page: usize, top: usize) -> usize {
    let pointers_end = top + 2 * be16(b, at(page, 3));
    at(page, (pointers_end + be16(b, at(page, 5))) / 2)
}

#[test]
fn a_closed_log_passes_and_each_kind_of_damage_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let bytes = small_log(&path);
    assert_eq!(check_file(&path), Ok(Checked { rows: 31, depth: 2, notices: vec![] }));
    assert_eq!(bytes[at(2, 0)], 5, "page 2 is the interior root of entries");

    let cases: &[(&str, Edit, &str)] = &[
        ("application id", |b| b[71] ^= 1, "application id"),
        ("reserved header bytes", |b| b[80] = 1, "reserved for expansion"),
        ("change counter", |b| b[27] ^= 1, "version-valid-for"),
        ("a page appended", |b| b.extend([0; PAGE]), "database size in pages"),
        ("a byte cut off", |b| b.truncate(b.len() - 1), "whole number"),
        ("a cell pointer", |b| b[at(3, 9)] ^= 0x40, "page 3"),
        (
            "a divider key",
            |b| {
                let cell = at(2, be16(b, at(2, 12)) + 4);
                b[cell] ^= 1;
            },
            "divider key",
        ),
        ("the fragment count", |b| b[at(3, 7)] = 2, "fragmented bytes"),
        ("the first freeblock", |b| b[at(3, 2)] = 0xf0, "freeblock"),
        ("the freelist count", |b| b[39] = 1, "free pages"),
        ("the right child", |b| b[at(2, 11)] ^= 1, "page 2"),
        (
            "a cell's rowid",
            |b| {
                let cell = at(3, be16(b, at(3, 8)) + 2);
                b[cell] ^= 0x3;
            },
            "out of order",
        ),
    ];
    for (name, edit, says) in cases {
        let mut changed = bytes.clone();
        edit(&mut changed);
        std::fs::write(&path, &changed).unwrap();
        let detail = check_file(&path).expect_err(name).to_string();
        assert!(detail.contains(says), "{name}: {detail}");
    }
}

/// Bytes no entry owns: a notice where a log only gate wrote holds zeros, nothing where SQLite
/// leaves stale bytes itself; the rows are there all the same.
#[test]
fn bytes_no_entry_owns_are_notices_or_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let bytes = small_log(&path);
    type Said = Option<(NoticeKind, u32)>;
    let cases: &[(&str, Edit, Said)] = &[
        (
            "a leaf's unallocated space",
            |b| {
                let middle = unallocated(b, 3, 8);
                b[middle] = 7;
            },
            Some((NoticeKind::StaleLeafSpace, 3)),
        ),
        ("the schema page's unallocated space", |b| b[2000] = 1, Some((NoticeKind::StaleLeafSpace, 1))),
        (
            "the interior root's unallocated space",
            |b| {
                let middle = unallocated(b, 2, 12);
                b[middle] = 7;
            },
            None,
        ),
        ("the SQLite version of the last writer", |b| b[99] ^= 1, Some((NoticeKind::OtherSqlite, 1))),
    ];
    for (name, edit, notice) in cases {
        let mut changed = bytes.clone();
        edit(&mut changed);
        std::fs::write(&path, &changed).unwrap();
        let checked = check_file(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(checked.rows, 31, "{name}");
        let found: Vec<_> = checked.notices.iter().map(|n| (n.kind, n.page)).collect();
        assert_eq!(found, notice.iter().copied().collect::<Vec<_>>(), "{name}");
    }
}

/// Freed space, made by deleting rows with `secure_delete` on (as gate never does): zeros pass
/// without a notice, anything else there is a notice, and the accounting of it stays damage.
#[test]
fn freed_space_holds_zeros_or_is_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    small_log(&path);
    let conn = Connection::open(&path).unwrap();
    // A freeblock in the middle of the first leaf (page 3), and the second leaf freed whole.
    conn.execute_batch(
        "PRAGMA secure_delete = ON;
         DELETE FROM entries WHERE seq = 4; DELETE FROM entries WHERE seq > 20",
    )
    .unwrap();
    drop(conn);
    // Deleting leaves the last cell pointer slot behind (`dropCell`), in the leaf's unallocated
    // space: a notice, as it should be. Zeroed here, so that each case below shows alone.
    let checked = check_file(&path).unwrap();
    let kinds: Vec<_> = checked.notices.iter().map(|n| n.kind).collect();
    assert_eq!((checked.rows, kinds), (19, vec![NoticeKind::StaleLeafSpace]));
    let mut bytes = std::fs::read(&path).unwrap();
    zero_leaf_space(&mut bytes);
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(check_file(&path).unwrap().notices, vec![]);
    let free = be16(&bytes, at(3, 1));
    assert!(free > 0, "page 3 has a freeblock");
    assert!(be16(&bytes, at(3, 1) + 2) >= 8 || be16(&bytes, at(3, free + 2)) >= 8);
    assert!(be32(&bytes, 36) >= 1, "the freelist is not empty");

    type Located = fn(&mut Vec<u8>) -> u32;
    let notices: &[(&str, Located, NoticeKind)] = &[
        (
            "a freeblock's body",
            |b| {
                let free = be16(b, at(3, 1));
                b[at(3, free + 5)] = 1;
                3
            },
            NoticeKind::StaleFreeblock,
        ),
        (
            "fragment bytes",
            |b| {
                // The freeblock's last 3 bytes become fragment bytes, one of them not zero.
                let free = be16(b, at(3, 1));
                let size = be16(b, at(3, free + 2));
                b[at(3, free + 2)..at(3, free + 4)].copy_from_slice(&((size - 3) as u16).to_be_bytes());
                b[at(3, 7)] += 3;
                b[at(3, free + size - 1)] = 1;
                3
            },
            NoticeKind::StaleFragment,
        ),
        (
            "a free page",
            |b| {
                let trunk = be32(b, 32);
                let page = if be32(b, at(trunk, 4)) > 0 { be32(b, at(trunk, 8)) } else { trunk };
                assert_ne!(page, trunk, "the freelist has a leaf page");
                b[at(page, 100)] = 1;
                page as u32
            },
            NoticeKind::StaleFreePage,
        ),
    ];
    for (name, edit, kind) in notices {
        let mut changed = bytes.clone();
        let page = edit(&mut changed);
        std::fs::write(&path, &changed).unwrap();
        let checked = check_file(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let found: Vec<_> = checked.notices.iter().map(|n| (n.kind, n.page)).collect();
        assert_eq!(found, [(*kind, page)], "{name}");
    }

    let damage: &[(&str, Edit, &str)] = &[
        (
            "fragment bytes not counted",
            |b| {
                let free = be16(b, at(3, 1));
                let size = be16(b, at(3, free + 2));
                b[at(3, free + 2)..at(3, free + 4)].copy_from_slice(&((size - 3) as u16).to_be_bytes());
            },
            "fragmented bytes",
        ),
        (
            "a freeblock overlapping a cell",
            |b| {
                let free = be16(b, at(3, 1));
                let size = be16(b, at(3, free + 2));
                b[at(3, free + 2)..at(3, free + 4)].copy_from_slice(&((size + 1) as u16).to_be_bytes());
            },
            "overlap",
        ),
    ];
    for (name, edit, says) in damage {
        let mut changed = bytes.clone();
        edit(&mut changed);
        std::fs::write(&path, &changed).unwrap();
        let detail = check_file(&path).expect_err(name).to_string();
        assert!(detail.contains(says), "{name}: {detail}");
    }
}

/// The unused end of a cell's last overflow page is not read: a freelist trunk page that SQLite
/// reuses for overflow keeps its old slots there.
#[test]
fn the_end_of_the_last_overflow_page_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let mut log = crate::audit::AuditLog::open(&path).unwrap();
    // SQLite fills overflow pages whole unless a record's remainder is too big for its leaf: a
    // range of lengths makes sure some chain ends in a page with room to spare.
    for i in 0..45 {
        let mut record = crate::audit::Record::new(crate::audit::Kind::Decision);
        record.line = Some("x".repeat(10_000 + 91 * i));
        log.append(&record).unwrap();
    }
    assert!(log.fold().unwrap());
    drop(log);
    // The last page of each chain (dbstat names them /cell+index); its data ends with the
    // entry's hash, in hex; zeros after it.
    let lasts: Vec<usize> = {
        let conn = Connection::open(&path).unwrap();
        let sql = "SELECT pageno, max(path) FROM dbstat WHERE name = 'entries' AND pagetype = 'overflow'
                   GROUP BY substr(path, 1, instr(path, '+'))";
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let records = |path: &Path| {
        let schema = crate::audit::store::expected().unwrap().rows;
        let file = File::open(path).unwrap();
        let mut records = Vec::new();
        let len = file.metadata().unwrap().len();
        let checked = check(&file, len, &expect(&schema), &mut |_, record| records.push(record.to_vec()));
        (checked.unwrap().unwrap(), records)
    };
    let (_, before) = records(&path);
    let mut bytes = std::fs::read(&path).unwrap();
    let unused = |bytes: &[u8], page: usize| {
        PAGE - 1 - bytes[at(page, 0)..at(page, PAGE)].iter().rposition(|b| *b != 0).unwrap()
    };
    let page = *lasts.iter().find(|page| unused(&bytes, **page) > 4).expect("a chain with room to spare");
    let unused = unused(&bytes, page);
    bytes[at(page, PAGE - unused / 2)] = 0xa5;
    std::fs::write(&path, &bytes).unwrap();
    let (checked, after) = records(&path);
    assert_eq!((checked.rows, checked.notices, &after), (46, vec![], &before));
    // The byte before the unused end is the record's: the chain verifier sees it changed.
    bytes[at(page, PAGE - unused - 1)] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let (_, after) = records(&path);
    assert_eq!(before.iter().zip(&after).filter(|(b, a)| b != a).count(), 1);
}
