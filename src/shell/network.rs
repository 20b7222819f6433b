//! bash's network redirections. Before it opens a redirection's file, bash matches the expanded
//! name against the patterns `/dev/tcp/*/*` and `/dev/udp/*/*` (a `*` there matches `/` too)
//! and, on a match, connects to HOST/PORT instead: `cat </dev/tcp/h/80`, `echo x >&/dev/tcp/h/80`,
//! `exec 3<>/dev/udp/h/53`. No other spelling is special (`/dev//tcp/…`, `/dev/./tcp/…`,
//! `/proc/self/root/dev/tcp/…` are plain files, and do not exist). The walk reports every
//! redirection target that could be such a name as opaque, with [`WHY`].
//!
//! A target that starts with a run-time part (`> "$f"`) could name anything; the paths side
//! judges it as such, so it is not reported here. One with known leading text that could still
//! turn into one of the patterns (`/dev/$x/h/80`, `/dev/tcp/$host/$port`, `/$x`) is.

use super::types::{Piece, Word};

/// The reason given for a redirection that may reach the network.
pub(crate) const WHY: &str = "opens a network connection through bash's /dev/tcp or /dev/udp";

/// True when `target`, a redirection's target after every variable gate knows was put in, could
/// be a name bash connects to.
pub(crate) fn could_connect(target: &Word) -> bool {
    if !matches!(target.pieces.first(), Some(Piece::Text(text)) if !text.is_empty()) {
        return false;
    }
    ["/dev/tcp/", "/dev/udp/"].iter().any(|prefix| could_match(&target.pieces, prefix.as_bytes()))
}

/// Whether some string the pieces stand for is `prefix`, then anything, a `/`, then anything.
/// States 0..prefix.len() are how much of the prefix is matched; `need` waits for the `/`;
/// `done` accepts anything.
fn could_match(pieces: &[Piece], prefix: &[u8]) -> bool {
    let need = prefix.len();
    let done = need + 1;
    let mut states = vec![false; done + 1];
    states[0] = true;
    for piece in pieces {
        let mut next = vec![false; done + 1];
        match piece {
            // A run of any characters (a `*` glob is taken as one too: it can only find more).
            Piece::Any | Piece::Star | Piece::Home => {
                if let Some(first) = states.iter().position(|&s| s) {
                    next[first..].iter_mut().for_each(|s| *s = true);
                }
            }
            Piece::AnyChar => {
                for (s, _) in states.iter().enumerate().filter(|(_, on)| **on) {
                    if s < need {
                        next[s + 1] = true;
                    } else {
                        next[need] |= s == need;
                        next[done] = true;
                    }
                }
            }
            Piece::Text(text) => {
                next = states.clone();
                for b in text.bytes() {
                    let mut after = vec![false; done + 1];
                    for (s, _) in next.iter().enumerate().filter(|(_, on)| **on) {
                        if s < need {
                            if prefix[s] == b {
                                after[s + 1] = true;
                            }
                        } else if s == need && b != b'/' {
                            after[need] = true;
                        } else {
                            after[done] = true;
                        }
                    }
                    next = after;
                    if !next.iter().any(|&s| s) {
                        return false;
                    }
                }
            }
        }
        states = next;
    }
    states[done]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(parts: &[&str]) -> Word {
        let pieces = parts
            .iter()
            .map(|p| match *p {
                "*" => Piece::Any,
                "?" => Piece::AnyChar,
                "~" => Piece::Home,
                text => Piece::Text(text.to_owned()),
            })
            .collect();
        Word { pieces, text: parts.concat() }
    }

    #[test]
    fn names_bash_connects_to() {
        let cases: &[(&[&str], bool)] = &[
            (&["/dev/tcp/h/80"], true),
            (&["/dev/udp/h/53"], true),
            (&["/dev/tcp/h/80/x"], true),
            (&["/dev/tcp//"], true),
            (&["/dev/tcp/h"], false),
            (&["/dev/tcp/"], false),
            (&["/dev//tcp/h/80"], false),
            (&["//dev/tcp/h/80"], false),
            (&["/dev/./tcp/h/80"], false),
            (&["/dev/TCP/h/80"], false),
            (&["/proc/self/root/dev/tcp/h/80"], false),
            (&["/dev/null"], false),
            (&["out.txt"], false),
            (&["/dev/tcp/", "*"], true),
            (&["/dev/tcp/h/", "*"], true),
            (&["/dev/", "*", "/h/80"], true),
            (&["/dev/", "*"], true),
            (&["/", "*"], true),
            (&["/d", "?", "v/tcp/h/80"], true),
            (&["/dev/tcp/h", "?", "80"], true),
            (&["/dev/tcp/h", "?"], true),
            (&["/tmp/", "*"], false),
            (&["/dev/null", "*"], false),
            (&["*", "/dev/tcp/h/80"], false),
            (&["~", "/x"], false),
            (&[""], false),
        ];
        for (parts, want) in cases {
            assert_eq!(could_connect(&word(parts)), *want, "{parts:?}");
        }
    }
}
