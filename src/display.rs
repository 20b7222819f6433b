//! Safe display of untrusted text: control characters never reach a terminal or a chat raw.

use std::fmt::Write;

/// Escapes control characters (C0, DEL, C1) and Unicode bidi/format controls as `\x1b`, `\u{202e}`…,
/// so that a command line cannot move the cursor, recolour the screen or reorder what is shown.
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_invisible_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// C1 controls and the format characters that can disguise text (bidi overrides, zero-width).
fn is_invisible_control(c: char) -> bool {
    matches!(c as u32,
        0x80..=0x9f | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x2069 | 0xfeff)
}

/// Escapes bytes as [`escape_controls`] does text; bytes that are not UTF-8 are shown as `\xNN`.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(&escape_controls(chunk.valid()));
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

/// A `line` or `cwd` as the audit log and the broker store it (see [`crate::audit::encode_text`]),
/// escaped for display: the bytes it stands for, never the encoded form.
pub fn stored_text(text: &str) -> String {
    escape_bytes(&crate::audit::decode_text(text))
}

/// Shows an argument vector as one shell-like line, quoting words that need it and escaping
/// control characters; non-UTF-8 bytes are shown as `\xNN`.
pub fn argv_line<S: AsRef<std::ffi::OsStr>>(argv: &[S]) -> String {
    argv.iter().map(|arg| quote_word(arg.as_ref())).collect::<Vec<_>>().join(" ")
}

fn quote_word(arg: &std::ffi::OsStr) -> String {
    use std::os::unix::ffi::OsStrExt;
    let text = escape_bytes(arg.as_bytes());
    let plain = !text.is_empty()
        && text.chars().all(|c| c.is_alphanumeric() || "-_./=:,+@%^".contains(c) || c == '\\');
    if plain { text } else { format!("'{}'", text.replace('\'', "'\\''")) }
}

/// An error and its causes as one line, escaped for a terminal. A cause whose words the line
/// already holds is left out (an I/O error wrapped and shown by its wrapper), and so is SQLite's
/// bare numeric code ("Error code 14: …"), which says nothing the message before it does not.
pub fn error_line(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut cause = error.source();
    while let Some(current) = cause {
        let text = current.to_string();
        let numeric = current.downcast_ref::<rusqlite::ffi::Error>().is_some();
        if !numeric && !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = current.source();
    }
    escape_controls(&line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_and_stored_text_show_what_is_not_utf8_as_hex() {
        assert_eq!(escape_bytes(b"caf\xc3\xa9 \xff\x1b[1m\\"), "caf\u{e9} \\xff\\x1b[1m\\\\");
        assert_eq!(stored_text(&crate::audit::encode_text(b"rm \xfe\n")), "rm \\xfe\\n");
        assert_eq!(stored_text("ls -l\n"), "ls -l\\n");
    }

    #[test]
    fn escapes_every_control() {
        let cases = [
            ("plain", "plain"),
            ("a\x1b[31mred", "a\\x1b[31mred"),
            ("bell\x07", "bell\\x07"),
            ("line\nnext", "line\\nnext"),
            ("del\x7f", "del\\x7f"),
            ("c1\u{9b}", "c1\\u{9b}"),
            ("rlo\u{202e}txt", "rlo\\u{202e}txt"),
            ("back\\slash", "back\\\\slash"),
        ];
        for (input, expected) in cases {
            assert_eq!(escape_controls(input), expected, "{input:?}");
        }
    }

    #[test]
    fn quotes_argv() {
        use std::os::unix::ffi::OsStrExt;
        let argv = [
            std::ffi::OsStr::new("echo"),
            std::ffi::OsStr::new("two words"),
            std::ffi::OsStr::from_bytes(b"\xff"),
            std::ffi::OsStr::new("it's"),
        ];
        assert_eq!(argv_line(&argv), r"echo 'two words' \xff 'it'\''s'");
    }
}
