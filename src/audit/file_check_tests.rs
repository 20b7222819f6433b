//! Unit tests of the file check's decoders; whole files are checked in `verify_tests` and the
//! byte-flip integration test.

use super::*;
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

type Edit = fn(&mut Vec<u8>);

#[test]
fn a_closed_log_passes_and_each_kind_of_change_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let mut log = crate::audit::AuditLog::open(&path).unwrap();
    let records = vec![crate::audit::Record::new(crate::audit::Kind::Decision); 30];
    log.append_all(&records).unwrap();
    drop(log);
    let schema = crate::audit::store::expected().unwrap().rows;
    let bytes = std::fs::read(&path).unwrap();
    let checked =
        check(&File::open(&path).unwrap(), bytes.len() as u64, &expect(&schema), &mut |_, _| {}).unwrap();
    assert_eq!(checked, Ok(Checked { rows: 31 }));

    let cases: &[(&str, Edit, &str)] = &[
        ("application id", |b| b[71] ^= 1, "application id"),
        ("reserved header bytes", |b| b[80] = 1, "reserved for expansion"),
        ("change counter", |b| b[27] ^= 1, "version-valid-for"),
        ("a page appended", |b| b.extend([0; 4096]), "database size in pages"),
        ("a byte cut off", |b| b.truncate(b.len() - 1), "whole number"),
        ("unallocated space of the schema page", |b| b[2000] = 1, "page 1 byte 2000"),
        ("a cell pointer", |b| b[4096 + 9] ^= 0x40, "page 2"),
    ];
    for (name, edit, says) in cases {
        let mut changed = bytes.clone();
        edit(&mut changed);
        std::fs::write(&path, &changed).unwrap();
        let found =
            check(&File::open(&path).unwrap(), changed.len() as u64, &expect(&schema), &mut |_, _| {})
                .unwrap();
        let detail = found.expect_err(name).to_string();
        assert!(detail.contains(says), "{name}: {detail}");
    }
}
