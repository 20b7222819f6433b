use super::*;

const LOG_ID: &str = "00112233445566778899aabbccddeeff";

fn record(kind: Kind, n: i64) -> Record {
    let mut record = Record::new(kind);
    record.time = format!("2026-11-22T01:13:{:02}.000Z", n % 60);
    if kind != Kind::Genesis {
        record.line = Some(format!("echo {n}"));
        record.pid = Some(1000 + n);
    }
    record
}

/// Sets the entry's hash to the hash of its fields.
fn reseal(entry: &mut Entry) {
    entry.hash = recompute(entry).expect("prev_hash is hex");
}

/// Relinks and reseals every entry, in order: a chain that a forger rebuilt completely.
fn rebuild(entries: &mut [Entry]) {
    let mut prev = GENESIS_PREV_HASH.to_string();
    for entry in entries {
        entry.prev_hash = prev;
        reseal(entry);
        prev = entry.hash.clone();
    }
}

/// A valid chain: genesis, then `n - 1` decision entries.
fn chain(n: i64) -> Vec<Entry> {
    let mut entries: Vec<Entry> = (1..=n)
        .map(|seq| Entry {
            seq,
            log_id: LOG_ID.to_string(),
            record: record(if seq == 1 { Kind::Genesis } else { Kind::Decision }, seq),
            prev_hash: String::new(),
            hash: String::new(),
        })
        .collect();
    rebuild(&mut entries);
    entries
}

#[test]
fn golden_hash_of_genesis() {
    // Recomputed outside gate:
    // python3 -c 'import hashlib,json; r={k:None for k in "approver argv channel cwd decision
    //   duration_ms error exit_code host line parent pid policy_path policy_sha256 ppid reason
    //   request_id rule signal uid user verdict".split()}; r.update(seq=1, kind="genesis",
    //   log_id="00112233445566778899aabbccddeeff", time="2026-11-22T01:13:01.000Z");
    //   print(hashlib.sha256(b"gate-audit-v1\0"+bytes(32)+json.dumps(r,sort_keys=True,
    //   separators=(",",":"),ensure_ascii=False).encode()).hexdigest())'
    let genesis = &chain(1)[0];
    assert_eq!(genesis.hash, GOLDEN_GENESIS_HASH);
}

const GOLDEN_GENESIS_HASH: &str = "7e0b1f8230111ae8ca950805717dcdbbcb10d444517e6984d3d7f28453b85725";

#[test]
fn hex_round_trip() {
    let cases: &[(&str, bool)] = &[
        (GENESIS_PREV_HASH, true),
        (&"ab".repeat(32), true),
        (&"AB".repeat(32), true),
        (&"ab".repeat(31), false),
        (&"zz".repeat(32), false),
        (&"é".repeat(32), false),
    ];
    for (text, valid) in cases {
        let decoded = decode_hex32(text);
        assert_eq!(decoded.is_some(), *valid, "{text}");
        if let Some(bytes) = decoded {
            assert_eq!(to_hex(&bytes), text.to_lowercase());
        }
    }
}

type Tamper = fn(&mut Vec<Entry>);
type Expected = Option<(i64, DamageKind)>;

#[test]
fn names_the_first_bad_entry() {
    let cases: &[(&str, Tamper, Expected)] = &[
        ("untouched", |_| {}, None),
        ("empty", |e| e.clear(), Some((1, DamageKind::BadGenesis))),
        ("genesis deleted", |e| drop(e.remove(0)), Some((1, DamageKind::BadGenesis))),
        (
            "entry forged before the genesis",
            |e| {
                let mut forged = e[0].clone();
                forged.seq = 0;
                reseal(&mut forged);
                e.insert(0, forged);
            },
            Some((0, DamageKind::BadGenesis)),
        ),
        (
            "genesis of another kind",
            |e| {
                e[0].record.kind = Kind::Decision;
                rebuild(e);
            },
            Some((1, DamageKind::BadGenesis)),
        ),
        (
            "genesis with a non-zero prev_hash",
            |e| {
                e[0].prev_hash = "11".repeat(32);
                reseal(&mut e[0]);
            },
            Some((1, DamageKind::BadGenesis)),
        ),
        (
            "malformed log id everywhere",
            |e| {
                e.iter_mut().for_each(|x| x.log_id = "not-hex".to_string());
                rebuild(e);
            },
            Some((1, DamageKind::BadGenesis)),
        ),
        ("genesis edited", |e| e[0].record.time.push('x'), Some((1, DamageKind::ContentChanged))),
        ("field edited", |e| e[2].record.pid = Some(0), Some((3, DamageKind::ContentChanged))),
        ("hash edited", |e| e[2].hash = "00".repeat(32), Some((3, DamageKind::ContentChanged))),
        ("prev_hash not hex", |e| e[2].prev_hash = "xyz".to_string(), Some((3, DamageKind::ContentChanged))),
        (
            "field edited and resealed",
            |e| {
                e[2].record.user = Some("mallory".to_string());
                reseal(&mut e[2]);
            },
            Some((4, DamageKind::LinkBroken)),
        ),
        (
            "last entry edited and resealed",
            |e| {
                e[4].record.user = Some("mallory".to_string());
                reseal(&mut e[4]);
            },
            None, // undetectable without a checkpoint of the head
        ),
        ("middle entry deleted", |e| drop(e.remove(2)), Some((3, DamageKind::Gap))),
        ("two entries deleted", |e| drop(e.drain(1..3)), Some((2, DamageKind::Gap))),
        ("last entry deleted", |e| drop(e.pop()), None),
        ("entry repeated", |e| e.insert(3, e[2].clone()), Some((3, DamageKind::OutOfOrder))),
        ("entries reordered", |e| e.swap(2, 3), Some((3, DamageKind::Gap))),
        (
            "contents swapped under their seqs",
            |e| {
                let (a, b) = (e[1].seq, e[2].seq);
                e.swap(1, 2);
                (e[1].seq, e[2].seq) = (a, b);
            },
            Some((2, DamageKind::OutOfOrder)),
        ),
        (
            "foreign entry spliced in",
            |e| {
                e[3].log_id = "ff".repeat(16);
                reseal(&mut e[3]);
            },
            Some((4, DamageKind::Foreign)),
        ),
        (
            "forged entry appended",
            |e| {
                let mut forged = e[4].clone();
                forged.seq = 6;
                forged.prev_hash = "ab".repeat(32);
                reseal(&mut forged);
                e.push(forged);
            },
            Some((6, DamageKind::LinkBroken)),
        ),
        (
            "second genesis appended",
            |e| {
                let mut forged = e[0].clone();
                forged.seq = 6;
                forged.prev_hash = e[4].hash.clone();
                reseal(&mut forged);
                e.push(forged);
            },
            Some((6, DamageKind::BadGenesis)),
        ),
    ];
    for (name, tamper, expected) in cases {
        let mut entries = chain(5);
        tamper(&mut entries);
        let outcome = verify_entries(entries.clone());
        match (expected, outcome) {
            (None, Ok(summary)) => {
                let head = entries.last().unwrap();
                assert_eq!(summary.entries, entries.len() as u64, "{name}");
                assert_eq!(summary.head_hash, head.hash, "{name}");
                assert_eq!(summary.log_id, LOG_ID, "{name}");
            }
            (Some((seq, kind)), Err(damage)) => {
                assert_eq!((damage.seq, damage.kind), (*seq, *kind), "{name}: {damage}");
            }
            (expected, outcome) => panic!("{name}: expected {expected:?}, got {outcome:?}"),
        }
    }
}

#[test]
fn a_chain_of_any_length_streams() {
    let entries = chain(2000);
    let head = entries.last().unwrap().hash.clone();
    let summary = verify_entries(entries).unwrap();
    assert_eq!((summary.entries, summary.head_hash), (2000, head));
}
