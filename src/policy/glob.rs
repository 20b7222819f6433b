//! Globs of the policy language, matched against known text ("is it") and against words that are
//! only partly known before the command runs ("could it be").
//!
//! `*` matches any run of characters except `/`, `**` any run at all, `?` one character except
//! `/`, `[abc]`, `[a-z]` and `[!x]` one character of a set. A backslash makes the next character
//! literal.

use crate::shell::{Piece, Word};

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Glob {
    form: Form,
    /// The pattern as written, for messages.
    pub text: String,
}

/// Most patterns are plain words (`git`, `push`, `/`): those are compared as strings, and only
/// turned into tokens on the rare path that needs them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Form {
    Literal(String),
    /// The tokens, and the literal text they start and end with: most texts a pattern is
    /// tried against fail on those, without the search.
    Pattern {
        tokens: Vec<Token>,
        prefix: String,
        suffix: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Token {
    Char(char),
    /// `*`: any run without `/`.
    Star,
    /// `**`: any run at all.
    AnyRun,
    /// `?`: one character, not `/`.
    One,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// A step of a word's pattern: what one position of the word may hold.
#[derive(Clone, Copy, Debug)]
enum WordStep {
    Char(char),
    /// Any run at all, possibly empty (an expansion).
    AnyRun,
    /// Any run without `/` (a file-name glob), possibly empty.
    Star,
    /// The first character of a file-name glob at the start of a component: any but `/` and
    /// `.`; always followed by a `Star` (skipped with it when the glob is empty).
    LeadStar,
    /// Any one character but `/`.
    One,
}

impl Glob {
    /// Parses a glob; `home` replaces a leading `~`.
    pub fn new(pattern: &str, home: &str) -> Result<Glob, String> {
        let expanded = match pattern.strip_prefix('~') {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("{home}{rest}"),
            _ => pattern.to_string(),
        };
        if !expanded.contains(['*', '?', '[', '\\']) {
            return Ok(Glob { form: Form::Literal(expanded), text: pattern.to_string() });
        }
        let mut tokens = Vec::new();
        let mut chars = expanded.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(escaped) => tokens.push(Token::Char(escaped)),
                    None => return Err("a trailing backslash escapes nothing".into()),
                },
                '*' if chars.peek() == Some(&'*') => {
                    chars.next();
                    while chars.peek() == Some(&'*') {
                        chars.next();
                    }
                    tokens.push(Token::AnyRun);
                }
                '*' => tokens.push(Token::Star),
                '?' => tokens.push(Token::One),
                // The program named `[` is itself; any other '[' that is never closed is a
                // mistake in a policy (the shell would take it literally): `\[` says so.
                '[' if expanded == "[" => tokens.push(Token::Char('[')),
                '[' if !chars.clone().skip(1).any(|next| next == ']') => {
                    return Err("a '[' is never closed by ']': write \\[ for a literal bracket".into());
                }
                '[' => tokens.push(parse_class(&mut chars)?),
                c => tokens.push(Token::Char(c)),
            }
        }
        let literal = |token: &Token| match token {
            Token::Char(c) => Some(*c),
            _ => None,
        };
        let prefix = tokens.iter().map_while(literal).collect();
        let suffix: String = tokens.iter().rev().map_while(literal).collect();
        let suffix = suffix.chars().rev().collect();
        Ok(Glob { form: Form::Pattern { tokens, prefix, suffix }, text: pattern.to_string() })
    }

    /// The one text the pattern matches, when it has no wildcard.
    pub fn literal(&self) -> Option<&str> {
        match &self.form {
            Form::Literal(text) => Some(text),
            Form::Pattern { .. } => None,
        }
    }

    /// The literal text every match starts with.
    pub fn prefix(&self) -> &str {
        match &self.form {
            Form::Literal(text) => text,
            Form::Pattern { prefix, .. } => prefix,
        }
    }

    /// Whether the glob matches this exact text.
    pub fn matches(&self, text: &str) -> bool {
        match &self.form {
            Form::Literal(literal) => return literal == text,
            Form::Pattern { prefix, suffix, .. } => {
                if !text.starts_with(prefix.as_str()) || !text.ends_with(suffix.as_str()) {
                    return false;
                }
            }
        }
        let steps: Vec<WordStep> = text.chars().map(WordStep::Char).collect();
        self.intersects(&steps)
    }

    /// Whether some value the word may take at run time matches the glob. `home` stands for a
    /// leading `~`.
    pub fn could_match(&self, word: &Word, home: &str) -> bool {
        if let [Piece::Text(text)] = word.pieces.as_slice() {
            return self.matches(text);
        }
        let mut steps = Vec::new();
        for piece in &word.pieces {
            match piece {
                Piece::Text(text) => steps.extend(text.chars().map(WordStep::Char)),
                Piece::Home => steps.extend(home.chars().map(WordStep::Char)),
                Piece::Any => steps.push(WordStep::AnyRun),
                // bash's `*` never matches a leading dot (without dotglob, which makes the line
                // opaque): at the start of a component its first character is not `.`.
                Piece::Star if matches!(steps.last(), None | Some(WordStep::Char('/'))) => {
                    steps.extend([WordStep::LeadStar, WordStep::Star]);
                }
                Piece::Star => steps.push(WordStep::Star),
                Piece::AnyChar => steps.push(WordStep::One),
            }
        }
        self.intersects(&steps)
    }

    /// Is there a string that both the word pattern and the glob accept? A search over pairs of
    /// positions, so its cost is bounded by the product of the two lengths.
    fn intersects(&self, word: &[WordStep]) -> bool {
        let spelled: Vec<Token>;
        let tokens = match &self.form {
            Form::Pattern { tokens, .. } => tokens,
            Form::Literal(text) => {
                spelled = text.chars().map(Token::Char).collect();
                &spelled
            }
        };
        let (n, m) = (word.len(), tokens.len());
        let width = m + 1;
        let mut seen = vec![false; (n + 1) * width];
        let mut stack = vec![(0usize, 0usize)];
        while let Some((i, j)) = stack.pop() {
            let slot = i * width + j;
            if seen[slot] {
                continue;
            }
            seen[slot] = true;
            if i == n && j == m {
                return true;
            }
            let mut push = |a: usize, b: usize| {
                if !seen[a * width + b] {
                    stack.push((a, b));
                }
            };
            // Moves that consume nothing: an expansion or a star may be empty.
            match word.get(i) {
                Some(WordStep::AnyRun | WordStep::Star) => push(i + 1, j),
                // An empty leading star: the star after it is empty too.
                Some(WordStep::LeadStar) => push(i + 2, j),
                _ => {}
            }
            if let Some(Token::Star | Token::AnyRun) = tokens.get(j) {
                push(i, j + 1);
            }
            let (Some(step), Some(token)) = (word.get(i), tokens.get(j)) else {
                continue;
            };
            // Moves that consume one character that both sides accept. A run on one side stays
            // put while the other side advances.
            match (step, token) {
                // A leading star's first character: anything but `/` and `.`; the star after it
                // takes the rest.
                (WordStep::LeadStar, Token::Star | Token::AnyRun) => push(i + 1, j),
                (WordStep::LeadStar, token) if token.accepts_some_but_slash_or_dot() => push(i + 1, j + 1),
                (WordStep::LeadStar, _) => {}
                (WordStep::Char(c), Token::Star) if *c != '/' => push(i + 1, j),
                (WordStep::Char(_), Token::AnyRun) => push(i + 1, j),
                (WordStep::Char(c), token) if token.accepts(*c) => push(i + 1, j + 1),
                (WordStep::One, Token::Star | Token::AnyRun) => push(i + 1, j),
                (WordStep::One, token) if token.accepts_some_but_slash() => push(i + 1, j + 1),
                (WordStep::AnyRun | WordStep::Star, Token::Star | Token::AnyRun) => {}
                (WordStep::AnyRun, _) => push(i, j + 1),
                (WordStep::Star, token) if token.accepts_some_but_slash() => push(i, j + 1),
                _ => {}
            }
        }
        false
    }
}

impl Token {
    /// Whether a single-character token accepts some character other than `/` and `.`.
    fn accepts_some_but_slash_or_dot(&self) -> bool {
        match self {
            Token::Char(c) => *c != '/' && *c != '.',
            _ => self.accepts_some_but_slash(),
        }
    }

    /// Whether a single-character token accepts some character other than `/`.
    fn accepts_some_but_slash(&self) -> bool {
        match self {
            Token::Char(c) => *c != '/',
            Token::One => true,
            // Over-approximate: a set almost always holds something besides `/`.
            Token::Class { .. } => true,
            Token::Star | Token::AnyRun => false,
        }
    }

    /// Whether a single-character token accepts `c`.
    fn accepts(&self, c: char) -> bool {
        match self {
            Token::Char(expected) => *expected == c,
            Token::One => c != '/',
            Token::Class { negated, ranges } => {
                ranges.iter().any(|(low, high)| (*low..=*high).contains(&c)) != *negated
            }
            Token::Star | Token::AnyRun => false,
        }
    }
}

fn parse_class(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<Token, String> {
    let negated = matches!(chars.peek(), Some('!' | '^'));
    if negated {
        chars.next();
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let Some(c) = chars.next() else {
            return Err("a '[' is never closed by ']'".into());
        };
        if c == ']' && !first {
            break;
        }
        first = false;
        let low = if c == '\\' { chars.next().ok_or("a '[' is never closed by ']'")? } else { c };
        let mut lookahead = chars.clone();
        if lookahead.next() == Some('-') && lookahead.peek().is_some_and(|&next| next != ']') {
            chars.next();
            let high = chars.next().expect("peeked");
            if high < low {
                return Err(format!("the range {low}-{high} is empty"));
            }
            ranges.push((low, high));
        } else {
            ranges.push((low, low));
        }
    }
    Ok(Token::Class { negated, ranges })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(pieces: Vec<Piece>) -> Word {
        Word { pieces, text: String::new() }
    }

    #[test]
    fn matches_text() {
        let cases = [
            ("/", "/", true),
            ("/", "/etc", false),
            ("/*", "/etc", true),
            ("/*", "/etc/passwd", false),
            ("/**", "/etc/passwd", true),
            ("mkfs.*", "mkfs.ext4", true),
            ("mkfs.*", "mkfs", false),
            ("/dev/sd?", "/dev/sda", true),
            ("/dev/sd[a-c]", "/dev/sdb", true),
            ("/dev/sd[!a-c]", "/dev/sdb", false),
            ("/dev/sd[!a-c]", "/dev/sdd", true),
            ("a\\*", "a*", true),
            ("a\\*", "ab", false),
            ("~/.bashrc", "/home/u/.bashrc", true),
            ("*", "", true),
            ("[]]", "]", true),
            ("[", "[", true),
            ("\\[abc", "[abc", true),
            // the literal prefix and suffix are checked first; they may overlap
            ("a*a", "a", false),
            ("a*a", "aa", true),
            ("**/.env.*", "/p/.env.local", true),
            ("**/.env.*", "/p/.env", false),
        ];
        for (pattern, text, expected) in cases {
            let glob = Glob::new(pattern, "/home/u").unwrap();
            assert_eq!(glob.matches(text), expected, "{pattern} vs {text}");
        }
    }

    #[test]
    fn could_match_partly_known_words() {
        let any = Piece::Any;
        let text = |t: &str| Piece::Text(t.into());
        let cases = [
            ("/", vec![any.clone()], true),
            ("/", vec![text("/home/"), any.clone()], false),
            ("/*", vec![any.clone(), text("/out")], true),
            ("/", vec![any.clone(), text("/out")], false),
            ("/home/u/.bashrc", vec![Piece::Home, text("/.bashrc")], true),
            ("/home/u/.bashrc", vec![any.clone(), text("/.bashrc")], true),
            ("/home/u/.bashrc", vec![any.clone(), text("/.zshrc")], false),
            ("-r", vec![text("-"), Piece::AnyChar], true),
            ("*.tmp", vec![text("x"), Piece::AnyChar, text(".tmp")], true),
            ("push", vec![text("pu"), any.clone()], true),
            ("push", vec![text("pull")], false),
            ("/*", vec![Piece::Star], false),
            ("/*", vec![text("/"), Piece::Star], true),
            ("/home/u/project/*", vec![text("/home/u/project/"), Piece::Star], true),
            ("/", vec![text("/home/u/project/"), Piece::Star], false),
            ("*.o", vec![Piece::Star, text(".o")], true),
            ("/etc", vec![text("/e"), Piece::Star], true),
            ("/etc/passwd", vec![text("/e"), Piece::Star, text("/passwd")], true),
            ("/etc/passwd", vec![text("/e"), Piece::Star], false),
            // bash's `*` does not match a leading dot
            ("/home/u/.bashrc", vec![text("/home/u/"), Piece::Star], false),
            ("/home/u/.bashrc", vec![text("/home/u/"), Piece::Star, text("rc")], false),
            ("/home/u/.bashrc", vec![text("/home/u/."), Piece::Star], true),
            ("**/.git", vec![Piece::Star], false),
            ("**/.git/config", vec![text("src/"), Piece::Star, text("/config")], false),
            ("*.txt", vec![Piece::Star], true),
            ("/w/x.txt", vec![text("/w/"), Piece::Star], true),
            ("/home/u/a.bashrc", vec![text("/home/u/"), Piece::Star, text("rc")], true),
            ("a/b", vec![text("a"), Piece::AnyChar, text("b")], false),
        ];
        for (pattern, pieces, expected) in cases {
            let glob = Glob::new(pattern, "/home/u").unwrap();
            assert_eq!(
                glob.could_match(&word(pieces.clone()), "/home/u"),
                expected,
                "{pattern} vs {pieces:?}"
            );
        }
    }

    #[test]
    fn rejects_bad_globs() {
        for pattern in ["a\\", "[z-a]", "[a-", "x[y"] {
            assert!(Glob::new(pattern, "/").is_err(), "{pattern}");
        }
    }

    #[test]
    fn literal_only_without_wildcards() {
        assert_eq!(Glob::new("git", "/").unwrap().literal(), Some("git"));
        assert_eq!(Glob::new("g*", "/").unwrap().literal(), None);
    }
}
