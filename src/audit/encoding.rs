//! Canonical encoding, version 1: the exact bytes an entry's hash covers.
//!
//! The encoding of an entry is one JSON object in RFC 8785 (JCS) form:
//!
//! - its members are `seq`, `log_id` and every `Record` field (`kind`, `time`, `request_id`,
//!   `user`, `uid`, `host`, `pid`, `ppid`, `parent`, `cwd`, `argv`, `line`, `decision`, `rule`,
//!   `reason`, `verdict`, `approver`, `channel`, `policy_path`, `policy_sha256`, `exit_code`,
//!   `signal`, `duration_ms`, `error`): that is, every column of the `entries` table except
//!   `prev_hash` and `hash`, under the column's name;
//! - members are sorted by name (all names are ASCII, so byte order = UTF-16 order = JCS order);
//! - no whitespace anywhere: `{"approver":null,"argv":"[\"ls\"]",...}`;
//! - integers as plain decimal (`-3`, `0`, `42`): there are no floats;
//! - `kind` as its text (`genesis`, `decision`, `outcome`);
//! - absent fields are present, as `null`, except the fields added after the first release of
//!   this encoding (`approval`), which appear only when they hold a value: so every entry written
//!   before they existed keeps its hash;
//! - strings as UTF-8, escaping only `"`, `\` and the C0 controls: `\b \t \n \f \r` by their short
//!   forms, the other controls as `\u00XX` with lowercase hex; everything else (DEL, non-ASCII) raw.
//!
//! This is what `serde_json` writes for a string and what Python's
//! `json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` writes for a row
//! read with the `sqlite3` module, so an auditor can recompute a hash without gate.
//!
//! A new column must be one that is absent from every old entry's encoding: nullable, and listed
//! in `LATER`, so it appears only when it holds a value. Anything else needs a new encoding
//! version (and domain tag).

use super::entry::Record;

/// Prefixed to every hashed message, so a version-1 hash can never collide with another format's.
pub const DOMAIN_V1: &[u8] = b"gate-audit-v1\0";

/// One field's value, as stored in its column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    Text(&'a str),
    Int(i64),
    Null,
}

/// The number of hashed fields: `seq`, `log_id` and the record's 25 fields.
pub(crate) const FIELD_COUNT: usize = 27;

/// The fields added after version 1 first shipped: encoded only when not null (see above).
const LATER: [bool; FIELD_COUNT] = {
    let mut table = [false; FIELD_COUNT];
    table[APPROVAL] = true;
    table
};

fn text(value: &Option<String>) -> Value<'_> {
    value.as_deref().map_or(Value::Null, Value::Text)
}

fn int(value: &Option<i64>) -> Value<'_> {
    value.map_or(Value::Null, Value::Int)
}

/// The hashed fields of an entry under their column names, sorted by name: the order of the
/// encoding. The store binds the same list, so the hash and the table cannot drift apart.
pub(crate) fn fields<'a>(
    seq: i64,
    log_id: &'a str,
    record: &'a Record,
) -> [(&'static str, Value<'a>); FIELD_COUNT] {
    // Destructured without `..`: a new `Record` field stops the build here until it is encoded.
    let Record {
        kind,
        time,
        request_id,
        user,
        uid,
        host,
        pid,
        ppid,
        parent,
        cwd,
        argv,
        line,
        decision,
        rule,
        reason,
        verdict,
        approver,
        channel,
        policy_path,
        policy_sha256,
        exit_code,
        signal,
        duration_ms,
        error,
        approval,
    } = record;
    [
        ("approval", text(approval)),
        ("approver", text(approver)),
        ("argv", text(argv)),
        ("channel", text(channel)),
        ("cwd", text(cwd)),
        ("decision", text(decision)),
        ("duration_ms", int(duration_ms)),
        ("error", text(error)),
        ("exit_code", int(exit_code)),
        ("host", text(host)),
        ("kind", Value::Text(kind.as_str())),
        ("line", text(line)),
        ("log_id", Value::Text(log_id)),
        ("parent", text(parent)),
        ("pid", int(pid)),
        ("policy_path", text(policy_path)),
        ("policy_sha256", text(policy_sha256)),
        ("ppid", int(ppid)),
        ("reason", text(reason)),
        ("request_id", text(request_id)),
        ("rule", text(rule)),
        ("seq", Value::Int(seq)),
        ("signal", int(signal)),
        ("time", Value::Text(time)),
        ("uid", int(uid)),
        ("user", text(user)),
        ("verdict", text(verdict)),
    ]
}

/// The hashed field names, in encoding order (the order of `fields`).
pub(crate) const NAMES: [&str; FIELD_COUNT] = [
    "approval",
    "approver",
    "argv",
    "channel",
    "cwd",
    "decision",
    "duration_ms",
    "error",
    "exit_code",
    "host",
    "kind",
    "line",
    "log_id",
    "parent",
    "pid",
    "policy_path",
    "policy_sha256",
    "ppid",
    "reason",
    "request_id",
    "rule",
    "seq",
    "signal",
    "time",
    "uid",
    "user",
    "verdict",
];

/// Where the fields the verifier looks at sit in `NAMES` (checked by a test).
pub(crate) const APPROVAL: usize = 0;
pub(crate) const KIND: usize = 10;
pub(crate) const LOG_ID: usize = 12;
pub(crate) const REQUEST_ID: usize = 19;
pub(crate) const SEQ: usize = 21;
pub(crate) const TIME: usize = 23;
pub(crate) const VERDICT: usize = 26;

/// Whether a field holds an integer (else text): the type its column must have. A table, not
/// a comparison of names: the verifier asks for every column of every row.
pub(crate) fn is_int(index: usize) -> bool {
    INT_FIELDS[index]
}

const INT_FIELDS: [bool; FIELD_COUNT] = {
    let mut table = [false; FIELD_COUNT];
    // duration_ms, exit_code, pid, ppid, seq, signal, uid (checked by a test against NAMES).
    let ints = [6, 8, 14, 17, 21, 22, 24];
    let mut i = 0;
    while i < ints.len() {
        table[ints[i]] = true;
        i += 1;
    }
    table
};

/// The canonical encoding (version 1) of an entry's hashed fields.
pub fn encode(seq: i64, log_id: &str, record: &Record) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    encode_into(&mut out, &fields(seq, log_id, record).map(|f| f.1));
    out
}

/// Appends the encoding of field values given in `NAMES` order to `out`: the verifier's path,
/// which reuses one buffer for a whole log.
pub(crate) fn encode_into(out: &mut Vec<u8>, values: &[Value<'_>; FIELD_COUNT]) {
    let keys = &*KEYS;
    out.push(b'{');
    let mut first = true;
    for ((key, value), later) in keys.iter().zip(values).zip(LATER) {
        if later && *value == Value::Null {
            continue;
        }
        out.extend_from_slice(if first { &key[1..] } else { key });
        first = false;
        match value {
            Value::Text(text) => write_str(out, text),
            Value::Int(n) => out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
            Value::Null => out.extend_from_slice(b"null"),
        }
    }
    out.push(b'}');
}

/// What precedes each value: `,"approver":`, `,"argv":` and so on, the comma left off for the
/// first (names are plain ASCII identifiers, with nothing to escape).
static KEYS: std::sync::LazyLock<[Vec<u8>; FIELD_COUNT]> =
    std::sync::LazyLock::new(|| std::array::from_fn(|i| format!(",\"{}\":", NAMES[i]).into_bytes()));

/// Writes a JSON string exactly as serde_json escapes it, which is the JCS escaping: `"` and
/// `\\` and the C0 controls are escaped, everything else is copied. Plain text is skipped eight
/// bytes at a time and copied in runs: this is most of the verifier's encoding work.
fn write_str(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(word) = bytes.get(i..i + 8)
            && !needs_escape(u64::from_le_bytes(word.try_into().expect("8 bytes")))
        {
            i += 8;
            continue;
        }
        let byte = bytes[i];
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]);
        } else {
            out.extend_from_slice(escape);
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Whether any of the eight bytes is below 0x20, `"` or `\\` (may say yes for bytes >= 0x80,
/// which the byte-wise path then copies).
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    (below(word, 0x20) | zero(word ^ (ONES * u64::from(b'"'))) | zero(word ^ (ONES * u64::from(b'\\')))) != 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::entry::Kind;

    fn record(kind: Kind) -> Record {
        let mut record = Record::new(kind);
        record.time = "2026-11-22T01:13:26.123Z".to_string();
        record
    }

    #[test]
    fn fields_are_sorted_and_unique() {
        let record = record(Kind::Decision);
        let names: Vec<_> = fields(1, "x", &record).iter().map(|f| f.0).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    #[test]
    fn names_and_indexes_match_fields() {
        let record = record(Kind::Decision);
        let names: Vec<_> = fields(1, "x", &record).iter().map(|f| f.0).collect();
        assert_eq!(names, NAMES);
        let cases = [
            (APPROVAL, "approval"),
            (KIND, "kind"),
            (LOG_ID, "log_id"),
            (REQUEST_ID, "request_id"),
            (SEQ, "seq"),
            (TIME, "time"),
            (VERDICT, "verdict"),
        ];
        for (index, name) in cases {
            assert_eq!(NAMES[index], name);
        }
        for (index, (_, value)) in fields(
            1,
            "x",
            &Record {
                uid: Some(1),
                pid: Some(1),
                ppid: Some(1),
                exit_code: Some(1),
                signal: Some(1),
                duration_ms: Some(1),
                ..record
            },
        )
        .iter()
        .enumerate()
        {
            assert_eq!(is_int(index), matches!(value, Value::Int(_)), "{}", NAMES[index]);
        }
    }

    #[test]
    fn strings_are_escaped_as_jcs() {
        let cases: &[(&str, &str)] = &[
            ("plain", r#""plain""#),
            ("quote \" and \\", r#""quote \" and \\""#),
            ("\u{8}\t\n\u{c}\r", r#""\b\t\n\f\r""#),
            ("\u{0}\u{1f}", r#""\u0000\u001f""#),
            ("\u{1b}[31m", r#""\u001b[31m""#),
            ("del \u{7f} stays raw", "\"del \u{7f} stays raw\""),
            ("é €  𝄞 \u{2028}", "\"é €  𝄞 \u{2028}\""),
            ("/ is not escaped", r#""/ is not escaped""#),
        ];
        for (input, expected) in cases {
            let mut out = Vec::new();
            write_str(&mut out, input);
            assert_eq!(String::from_utf8(out).unwrap(), *expected, "input {input:?}");
        }
    }

    #[test]
    fn every_char_is_escaped_as_serde_json_does() {
        // The escaper is hand-written for speed; serde_json is the reference.
        let all: String =
            (0u32..0x800).chain([0x2028, 0x2029, 0xfeff, 0x1d11e]).filter_map(char::from_u32).collect();
        for text in [all.as_str(), "", "\"", "a\\b", "\u{0}x\u{1f}"] {
            let mut out = Vec::new();
            write_str(&mut out, text);
            assert_eq!(out, serde_json::to_vec(text).unwrap(), "{text:?}");
        }
    }

    #[test]
    fn encodes_every_field_with_nulls() {
        let mut record = record(Kind::Outcome);
        record.uid = Some(-1);
        record.exit_code = Some(0);
        record.user = Some("ann".to_string());
        let expected = concat!(
            r#"{"approver":null,"argv":null,"channel":null,"cwd":null,"decision":null,"#,
            r#""duration_ms":null,"error":null,"exit_code":0,"host":null,"kind":"outcome","#,
            r#""line":null,"log_id":"ab","parent":null,"pid":null,"policy_path":null,"#,
            r#""policy_sha256":null,"ppid":null,"reason":null,"request_id":null,"rule":null,"#,
            r#""seq":7,"signal":null,"time":"2026-11-22T01:13:26.123Z","uid":-1,"user":"ann","#,
            r#""verdict":null}"#
        );
        let encoded = encode(7, "ab", &record);
        assert_eq!(String::from_utf8(encoded).unwrap(), expected);
    }

    #[test]
    fn matches_serde_json_object_with_sorted_keys() {
        // An independent encoder: serde_json's own object, keys sorted by us.
        let mut record = record(Kind::Decision);
        record.line = Some("rm -rf / # \u{202e} \"x\"\n".to_string());
        record.pid = Some(i64::MAX);
        record.signal = Some(i64::MIN);
        let mut pairs: Vec<(String, serde_json::Value)> = fields(3, "id", &record)
            .iter()
            .filter(|(name, value)| !(*name == "approval" && *value == Value::Null))
            .map(|(name, value)| {
                let json = match value {
                    Value::Text(t) => serde_json::Value::from(*t),
                    Value::Int(n) => serde_json::Value::from(*n),
                    Value::Null => serde_json::Value::Null,
                };
                (name.to_string(), json)
            })
            .collect();
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let body: Vec<String> =
            pairs.iter().map(|(k, v)| format!("{}:{}", serde_json::Value::from(k.as_str()), v)).collect();
        let expected = format!("{{{}}}", body.join(","));
        assert_eq!(String::from_utf8(encode(3, "id", &record)).unwrap(), expected);
    }
}
