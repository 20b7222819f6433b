//! Lossless argv encoding for `Record.argv`: any byte string survives the round trip.
//!
//! The text is a JSON array with one element per argument: the argument as a JSON string when it
//! is valid UTF-8, else `{"base64": "<standard base64, with padding, of the raw bytes>"}`.
//! Example: `["printf","%s\n",{"base64":"/w=="}]` for `printf '%s\n' $'\xff'`.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

/// Encodes an argument vector as JSON text, keeping non-UTF-8 arguments byte for byte.
pub fn encode_argv(argv: &[OsString]) -> String {
    let items: Vec<Value> = argv.iter().map(|arg| to_json(arg.as_bytes())).collect();
    Value::Array(items).to_string()
}

fn to_json(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(text) => Value::from(text),
        Err(_) => {
            let mut object = serde_json::Map::new();
            object.insert("base64".to_string(), Value::from(STANDARD.encode(bytes)));
            Value::Object(object)
        }
    }
}

/// Decodes the text written by `encode_argv`; `None` when it is not in that form.
pub fn decode_argv(text: &str) -> Option<Vec<OsString>> {
    let Value::Array(items) = serde_json::from_str::<Value>(text).ok()? else {
        return None;
    };
    items.iter().map(from_json).collect()
}

fn from_json(item: &Value) -> Option<OsString> {
    match item {
        Value::String(text) => Some(OsString::from(text)),
        Value::Object(object) if object.len() == 1 => {
            let encoded = object.get("base64")?.as_str()?;
            STANDARD.decode(encoded).ok().map(OsString::from_vec)
        }
        _ => None,
    }
}

/// The argv text as a JSON value, for display; `None` when it is not valid JSON.
pub(crate) fn argv_json(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(bytes: &[u8]) -> OsString {
        OsString::from_vec(bytes.to_vec())
    }

    #[test]
    fn encodes_and_round_trips() {
        let cases: &[(&[&[u8]], &str)] = &[
            (&[], "[]"),
            (&[b"ls", b"-l"], r#"["ls","-l"]"#),
            (&[b""], r#"[""]"#),
            (&[b"a\"b\\c\n"], r#"["a\"b\\c\n"]"#),
            (&[b"\xff"], r#"[{"base64":"/w=="}]"#),
            (&[b"caf\xc3\xa9", b"caf\xe9"], r#"["café",{"base64":"Y2Fm6Q=="}]"#),
            (&[b"\xc0\x80", b"\xed\xa0\x80"], r#"[{"base64":"wIA="},{"base64":"7aCA"}]"#),
            (&[b"nul\0inside"], r#"["nul\u0000inside"]"#),
        ];
        for (args, expected) in cases {
            let argv: Vec<OsString> = args.iter().map(|a| os(a)).collect();
            let text = encode_argv(&argv);
            assert_eq!(text, *expected, "argv {args:?}");
            assert_eq!(decode_argv(&text), Some(argv), "argv {args:?}");
        }
    }

    #[test]
    fn rejects_other_shapes() {
        let cases = [
            "",
            "{}",
            r#""ls""#,
            "[1]",
            "[null]",
            r#"[{"base64":"!!"}]"#,
            r#"[{"base64":"/w==","extra":1}]"#,
            r#"[{"hex":"ff"}]"#,
            r#"[["ls"]]"#,
        ];
        for text in cases {
            assert_eq!(decode_argv(text), None, "text {text:?}");
        }
    }
}
