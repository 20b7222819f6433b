//! Unit tests of the file check's decoders; whole files are checked in `verify_tests` and the
//! byte-flip integration test.

use super::*;

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
