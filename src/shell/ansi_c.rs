//! Decoding of ANSI-C quoted text (`$'..'`), exactly as bash does it, so that `$'\x72\x6d'`
//! is seen as `rm`. Text that bash would cut short or that is not UTF-8 is reported as unknown.

/// Decodes the inside of `$'..'`. `None` when the result cannot be known as text: a NUL byte
/// (bash cuts the word there) or bytes that are not UTF-8.
pub(crate) fn decode(text: &str) -> Option<String> {
    if !text.contains('\\') {
        return Some(text.to_owned());
    }
    let mut out: Vec<u8> = Vec::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            push_char(&mut out, c);
            continue;
        }
        let Some(e) = chars.next() else {
            out.push(b'\\');
            break;
        };
        match e {
            'a' => out.push(0x07),
            'b' => out.push(0x08),
            'e' | 'E' => out.push(0x1b),
            'f' => out.push(0x0c),
            'n' => out.push(b'\n'),
            'r' => out.push(b'\r'),
            't' => out.push(b'\t'),
            'v' => out.push(0x0b),
            '\\' | '\'' | '"' | '?' => push_char(&mut out, e),
            '0'..='7' => {
                let mut value = e.to_digit(8)?;
                for _ in 0..2 {
                    match chars.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            value = value * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push((value & 0xff) as u8);
            }
            'x' => match hex(&mut chars, 2) {
                Some(value) => out.push(value as u8),
                None => out.extend_from_slice(b"\\x"),
            },
            'u' | 'U' => {
                let max = if e == 'u' { 4 } else { 8 };
                match hex(&mut chars, max) {
                    Some(value) => push_char(&mut out, char::from_u32(value)?),
                    None => {
                        out.push(b'\\');
                        push_char(&mut out, e);
                    }
                }
            }
            'c' => match chars.next() {
                // Control characters: `\cA` is 0x01; `\c?` is DEL.
                Some('?') => out.push(0x7f),
                Some(x) if x.is_ascii() => out.push((x as u8) & 0x1f),
                _ => return None,
            },
            other => {
                out.push(b'\\');
                push_char(&mut out, other);
            }
        }
    }
    if out.contains(&0) {
        return None;
    }
    String::from_utf8(out).ok()
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// Reads up to `max` hex digits; `None` when there is none.
fn hex(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, max: usize) -> Option<u32> {
    let mut value = 0u32;
    let mut count = 0;
    while count < max {
        match chars.peek().and_then(|d| d.to_digit(16)) {
            Some(d) => {
                value = value * 16 + d;
                chars.next();
                count += 1;
            }
            None => break,
        }
    }
    (count > 0).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes_like_bash() {
        let cases: &[(&str, Option<&str>)] = &[
            ("rm", Some("rm")),
            (r"\x72\x6d", Some("rm")),
            (r"\162\155", Some("rm")),
            (r"\u0072\U0000006d", Some("rm")),
            (r"a\tb\nc", Some("a\tb\nc")),
            (r"\e[0m", Some("\u{1b}[0m")),
            (r"\'", Some("'")),
            (r"\q", Some("\\q")),
            (r"\xc3\xa9", Some("é")),
            (r"\xff", None),
            (r"a\0b", None),
            (r"\cA", Some("\u{1}")),
            (r"\x", Some("\\x")),
        ];
        for (text, want) in cases {
            assert_eq!(decode(text).as_deref(), *want, "{text:?}");
        }
    }
}
