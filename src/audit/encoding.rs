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
//! - absent fields are present, as `null`;
//! - strings as UTF-8, escaping only `"`, `\` and the C0 controls: `\b \t \n \f \r` by their short
//!   forms, the other controls as `\u00XX` with lowercase hex; everything else (DEL, non-ASCII) raw.
//!
//! This is what `serde_json` writes for a string and what Python's
//! `json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` writes for a row
//! read with the `sqlite3` module, so an auditor can recompute a hash without gate.
//!
//! Adding a column changes every old entry's encoding under this rule, so a new column needs a new
//! encoding version (and domain tag), not just a migration.

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

/// The number of hashed fields: `seq`, `log_id` and the record's 24 fields.
pub(crate) const FIELD_COUNT: usize = 26;

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
    } = record;
    [
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

/// The canonical encoding (version 1) of an entry's hashed fields.
pub fn encode(seq: i64, log_id: &str, record: &Record) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    out.push(b'{');
    for (i, (name, value)) in fields(seq, log_id, record).iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(&mut out, name);
        out.push(b':');
        match value {
            Value::Text(text) => write_str(&mut out, text),
            Value::Int(n) => out.extend_from_slice(n.to_string().as_bytes()),
            Value::Null => out.extend_from_slice(b"null"),
        }
    }
    out.push(b'}');
    out
}

/// Writes a JSON string exactly as serde_json escapes it, which is the JCS escaping.
fn write_str(out: &mut Vec<u8>, text: &str) {
    // Serializing a `str` into a `Vec` has no failure mode: no I/O, no map keys.
    serde_json::to_writer(&mut *out, text).expect("a str always serializes");
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
