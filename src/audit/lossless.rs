//! Lossless text for the `line` and `cwd` fields, which hold a command line or a directory as
//! the operating system gave them: any byte string survives the round trip.
//!
//! Bytes that are valid UTF-8 and hold no NUL are stored as they are (every line and directory
//! gate has ever recorded). Any other bytes are stored as a NUL, `base64:` and the standard base64
//! (with padding) of the bytes: `"\u0000base64:/w=="` for the one byte `0xff`. A line or a
//! directory the kernel hands over never holds a NUL, so the two forms cannot be confused; and a
//! text that does hold one (an agent's JSON can carry `\u0000`) is itself stored encoded.
//!
//! The same text travels to the broker and into the command hash a signed decision covers, so
//! an approval names the exact bytes that ran.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::borrow::Cow;

const MARK: &str = "\0base64:";

/// The bytes as text: as they are when that loses nothing, else in the encoded form.
pub fn encode_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.contains('\0') => text.to_owned(),
        _ => format!("{MARK}{}", STANDARD.encode(bytes)),
    }
}

/// The bytes a text written by [`encode_text`] stands for. A text with the mark but no valid
/// base64 after it (never written by gate) is taken as it is.
pub fn decode_text(text: &str) -> Cow<'_, [u8]> {
    text.strip_prefix(MARK)
        .and_then(|encoded| STANDARD.decode(encoded).ok())
        .map_or(Cow::Borrowed(text.as_bytes()), Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_any_bytes() {
        let cases: &[(&[u8], &str)] = &[
            (b"", ""),
            (b"printf '%s\\n' hi", "printf '%s\\n' hi"),
            ("caf\u{e9} \u{202e}".as_bytes(), "caf\u{e9} \u{202e}"),
            (b"\xff", "\0base64:/w=="),
            (b"printf %s \xff\xfe", "\0base64:cHJpbnRmICVzIP/+"),
            (b"a\0b", "\0base64:YQBi"),
            (b"\0base64:/w==", "\0base64:AGJhc2U2NDovdz09"),
        ];
        for (bytes, stored) in cases {
            let text = encode_text(bytes);
            assert_eq!(text, *stored, "{bytes:?}");
            assert_eq!(&*decode_text(&text), *bytes, "{bytes:?} as {text:?}");
        }
    }

    #[test]
    fn a_text_without_valid_base64_after_the_mark_is_itself() {
        assert_eq!(&*decode_text("\0base64:!!"), b"\0base64:!!");
    }
}
