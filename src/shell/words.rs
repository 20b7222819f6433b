//! Word conversion: from a word as written to the `Word` the policy matches. Quotes and escapes
//! are removed; every part known only at run time (expansions, globs, brace expansions) becomes a
//! wildcard; every command substitution inside is handed back so the walk can see it.

use super::ansi_c;
use super::arith::Braced;
use super::state::arithmetic_assigns;
use super::types::{Piece, Word};
use brush_parser::ParserOptions;
use brush_parser::word::{self, TildeExpr, WordPiece, WordPieceWithSource};

/// Code found inside a word that runs before the command does.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Sub {
    /// A command substitution (`$(..)`, backticks) or similar script text, to parse and walk.
    Script(String),
    /// Text that may hold code but that the word parser could not take apart.
    Unparsed(String),
    /// Code run in a way gate does not follow (`${x@P}` expands a value as a prompt).
    Hidden(String, &'static str),
    /// Variables the word sets as it expands (`${x:=1}`).
    Assigns(Vec<String>),
    /// Variables arithmetic in the word sets, to numbers (`$((x = 1))`, `$((i++))`).
    Numbers(Vec<String>),
    /// Text bash evaluates as arithmetic (`$((..))`, a subscript, `${s:OFF:LEN}`), as written.
    Arith(String),
    /// An array element's subscript, as written (`a[$i]=1`, `${a[i]}`): arithmetic, unless the
    /// array is associative.
    Element(String, String),
    /// A variable whose value bash uses as a variable name (`${!x}`).
    Indirect(String),
    /// A word bash takes as a variable name, maybe with a subscript (`[[ -v a[$i] ]]`).
    Name(String),
}

/// Where a word stands, which decides whether pathname and brace expansion apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ctx {
    /// A command word or redirection target: globs and braces expand.
    Command,
    /// An assignment value, here-string, `[[ ]]` or `case` word: no globbing, no braces.
    Plain,
}

/// Bytes that can make a word differ from its text; a word without any is taken as written.
fn is_special(b: u8) -> bool {
    matches!(b, b'\'' | b'"' | b'\\' | b'$' | b'`' | b'*' | b'?' | b'[' | b'{' | b'~' | b'(' | b'\n')
}

pub(crate) fn options() -> &'static ParserOptions {
    static OPTIONS: std::sync::OnceLock<ParserOptions> = std::sync::OnceLock::new();
    OPTIONS.get_or_init(ParserOptions::default)
}

/// Converts one word as written; command substitutions found in it are appended to `subs`.
pub(crate) fn convert(raw: &str, ctx: Ctx, subs: &mut Vec<Sub>) -> Word {
    unseen_bytes(raw, convert_written(raw, ctx, subs))
}

/// Bytes of a line that were not UTF-8 reach the walk as U+FFFD (see `analyze_line_bytes`): what
/// they spell is not known exactly, so each becomes a run-time part, which no rule or path class
/// takes for a literal; the text around them stays known.
fn unseen_bytes(raw: &str, mut word: Word) -> Word {
    const UNSEEN: char = char::REPLACEMENT_CHARACTER;
    if !raw.contains(UNSEEN) {
        return word;
    }
    word.pieces = word
        .pieces
        .into_iter()
        .flat_map(|piece| match piece {
            Piece::Text(text) if text.contains(UNSEEN) => {
                let mut split = Vec::new();
                for (i, part) in text.split(UNSEEN).enumerate() {
                    if i > 0 && split.last() != Some(&Piece::Any) {
                        split.push(Piece::Any);
                    }
                    if !part.is_empty() {
                        split.push(Piece::Text(part.to_owned()));
                    }
                }
                split
            }
            other => vec![other],
        })
        .collect();
    word
}

fn convert_written(raw: &str, ctx: Ctx, subs: &mut Vec<Sub>) -> Word {
    if !raw.bytes().any(is_special) {
        return Word::literal(raw);
    }
    let pieces = match word::parse(raw, options()) {
        Ok(pieces) => pieces,
        Err(_) => return unparsed(raw, subs),
    };
    let mut atoms = Vec::with_capacity(raw.len());
    let mut flat = Flattener { raw, subs, atoms: &mut atoms, broken: false, known: None };
    flat.pieces(&pieces, false);
    if flat.broken {
        return unparsed(raw, subs);
    }
    Word { pieces: assemble(&atoms, ctx), text: raw.to_owned() }
}

/// The value of a variable the line set, when gate knows it.
pub(crate) type Lookup<'l> = &'l dyn Fn(&str) -> Option<Word>;

/// Converts a word as `convert` does, but with the value of each plain `$NAME` or `${NAME}` that
/// `known` gives put in (as quoted text: no globbing of its value). What it runs is not reported.
pub(crate) fn convert_known(raw: &str, ctx: Ctx, known: Lookup) -> Word {
    let mut subs = Vec::new();
    if !raw.contains('$') {
        return convert(raw, ctx, &mut subs);
    }
    let Ok(pieces) = word::parse(raw, options()) else {
        return Word::unknown(raw);
    };
    let mut atoms = Vec::with_capacity(raw.len());
    let mut flat = Flattener { raw, subs: &mut subs, atoms: &mut atoms, broken: false, known: Some(known) };
    flat.pieces(&pieces, false);
    if flat.broken {
        return Word::unknown(raw);
    }
    unseen_bytes(raw, Word { pieces: assemble(&atoms, ctx), text: raw.to_owned() })
}

/// The name in a plain `$NAME` or `${NAME}`.
pub(crate) fn plain_name(source: &str) -> Option<&str> {
    let inner = source.strip_prefix('$')?;
    let name = inner.strip_prefix('{').and_then(|i| i.strip_suffix('}')).unwrap_or(inner);
    let is_name = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    is_name.then_some(name)
}

/// Converts a here-document body that undergoes expansion (unquoted delimiter).
pub(crate) fn convert_heredoc(body: &str, subs: &mut Vec<Sub>) -> Word {
    if !body.bytes().any(|b| matches!(b, b'$' | b'`' | b'\\')) {
        return Word::literal(body);
    }
    let pieces = match word::parse_heredoc(body, options()) {
        Ok(pieces) => pieces,
        Err(_) => return unparsed(body, subs),
    };
    let mut atoms = Vec::with_capacity(body.len());
    let mut flat = Flattener { raw: body, subs, atoms: &mut atoms, broken: false, known: None };
    // A heredoc body behaves like the inside of double quotes.
    flat.pieces(&pieces, true);
    if flat.broken {
        return unparsed(body, subs);
    }
    Word { pieces: assemble(&atoms, Ctx::Plain), text: body.to_owned() }
}

/// True when the word, as written, may turn into several words or none at run time (unquoted
/// expansion, glob or brace expansion): then what follows it cannot be placed.
pub(crate) fn may_split(raw: &str) -> bool {
    if !raw.bytes().any(is_special) {
        return false;
    }
    let Ok(pieces) = word::parse(raw, options()) else {
        return true;
    };
    pieces.iter().any(|p| match &p.piece {
        WordPiece::Text(text) => text.contains(['*', '?', '[', '{']),
        WordPiece::ParameterExpansion(_)
        | WordPiece::CommandSubstitution(_)
        | WordPiece::BackquotedCommandSubstitution(_)
        | WordPiece::ArithmeticExpression(_) => true,
        _ => false,
    })
}

/// A word whose code could not be seen: unknown, and reported as such when it may hold code.
fn unparsed(raw: &str, subs: &mut Vec<Sub>) -> Word {
    if raw.contains(['$', '`']) {
        subs.push(Sub::Unparsed(raw.to_owned()));
    }
    Word::unknown(raw)
}

/// One character of a word after quote removal, or a run-time part.
#[derive(Clone, Copy, Debug)]
enum Atom {
    Char { c: char, quoted: bool },
    Any,
    Home,
}

struct Flattener<'a> {
    raw: &'a str,
    subs: &'a mut Vec<Sub>,
    atoms: &'a mut Vec<Atom>,
    broken: bool,
    /// Values to put in for plain variables, where the caller knows them.
    known: Option<Lookup<'a>>,
}

impl<'a> Flattener<'a> {
    fn chars(&mut self, text: &str, quoted: bool) {
        self.atoms.extend(text.chars().map(|c| Atom::Char { c, quoted }));
    }

    fn pieces(&mut self, pieces: &[WordPieceWithSource], in_quotes: bool) {
        for (i, p) in pieces.iter().enumerate() {
            // `$` then `{..}` as two texts also means the parser gave up on an expansion.
            if let (WordPiece::Text(text), Some(next)) = (&p.piece, pieces.get(i + 1))
                && text.ends_with('$')
                && matches!(&next.piece, WordPiece::Text(t) if t.starts_with(['{', '(', '[']))
            {
                self.broken = true;
            }
            self.piece(p, in_quotes);
        }
    }

    fn piece(&mut self, p: &WordPieceWithSource, in_quotes: bool) {
        match &p.piece {
            WordPiece::Text(text) => {
                // A `$` left as text before `{` or `(` means the parser gave up on an expansion.
                if text.contains("${") || text.contains("$(") || text.contains("$[") {
                    self.broken = true;
                }
                if in_quotes {
                    // Inside double quotes a backslash-newline is a line continuation.
                    self.chars(&text.replace("\\\n", ""), true);
                } else {
                    self.chars(text, false);
                }
            }
            WordPiece::SingleQuotedText(text) => self.chars(text, true),
            WordPiece::AnsiCQuotedText(text) => match ansi_c::decode(text) {
                Some(decoded) => self.chars(&decoded, true),
                None => self.atoms.push(Atom::Any),
            },
            WordPiece::DoubleQuotedSequence(inner) | WordPiece::GettextDoubleQuotedSequence(inner) => {
                self.pieces(inner, true)
            }
            WordPiece::TildeExpansion(TildeExpr::Home) => self.atoms.push(Atom::Home),
            WordPiece::TildeExpansion(_) => self.atoms.push(Atom::Any),
            WordPiece::EscapeSequence(seq) => {
                let escaped = seq.strip_prefix('\\').unwrap_or(seq);
                if escaped != "\n" {
                    self.chars(escaped, true);
                }
            }
            WordPiece::ParameterExpansion(_) => {
                if let Some(value) = self.known.and_then(|known| plain_name(self.source(p)).and_then(known)) {
                    for piece in value.pieces {
                        match piece {
                            Piece::Text(text) => self.chars(&text, true),
                            Piece::Home => self.atoms.push(Atom::Home),
                            _ => self.atoms.push(Atom::Any),
                        }
                    }
                    return;
                }
                self.atoms.push(Atom::Any);
                // `${X:-$(cmd)}` and friends run code; look inside the braces.
                let source = self.source(p);
                let inner = source.strip_prefix('$').unwrap_or(source);
                if inner.contains(['$', '`']) {
                    collect(inner, self.subs);
                }
                self.expansion_effects(inner);
            }
            WordPiece::CommandSubstitution(script) => {
                self.atoms.push(Atom::Any);
                self.subs.push(Sub::Script(script.clone()));
            }
            WordPiece::BackquotedCommandSubstitution(script) => {
                self.atoms.push(Atom::Any);
                let source = self.source(p);
                let body = source
                    .strip_prefix('`')
                    .and_then(|s| s.strip_suffix('`'))
                    .map(|s| unescape_backquoted(s, in_quotes))
                    .unwrap_or_else(|| script.clone());
                self.subs.push(Sub::Script(body));
            }
            WordPiece::ArithmeticExpression(expr) => {
                self.atoms.push(Atom::Any);
                let names: Vec<String> = arithmetic_assigns(&expr.value).map(str::to_owned).collect();
                if !names.is_empty() {
                    self.subs.push(Sub::Numbers(names));
                }
                self.subs.push(Sub::Arith(expr.value.clone()));
                if expr.value.contains(['$', '`']) {
                    collect(&expr.value, self.subs);
                }
            }
        }
    }

    /// What a `${..}` (given without its `$`) does besides giving a value: `${x@P}` expands the
    /// value as a prompt, running the command substitutions it holds; `${x:=v}` sets `x`.
    fn expansion_effects(&mut self, braced: &str) {
        let Some(inner) = braced.strip_prefix('{').and_then(|b| b.strip_suffix('}')) else {
            return;
        };
        let parts = Braced::split(inner);
        if let Some(element) = parts.element() {
            self.subs.push(Sub::Element(parts.name.to_owned(), element.to_owned()));
        }
        for text in parts.arithmetic() {
            self.subs.push(Sub::Arith(text.to_owned()));
        }
        if parts.is_indirection() {
            self.subs.push(Sub::Indirect(parts.name.to_owned()));
        }
        if inner.ends_with("@P") {
            self.subs
                .push(Sub::Hidden(braced.to_owned(), "prompt expansion (@P) runs the code a value holds"));
        }
        let name_end = inner.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(inner.len());
        let rest = &inner[name_end..];
        if name_end > 0 && (rest.starts_with(":=") || rest.starts_with('=')) {
            self.subs.push(Sub::Assigns(vec![inner[..name_end].to_owned()]));
        }
    }

    fn source(&self, p: &WordPieceWithSource) -> &'a str {
        let raw: &'a str = self.raw;
        raw.get(p.start_index..p.end_index).unwrap_or("")
    }
}

/// Finds the command substitutions in text that is not a word of its own (inside `${..}` or
/// `$((..))`). Quotes are taken as plain characters, which can only find more, never less.
pub(crate) fn collect(text: &str, subs: &mut Vec<Sub>) {
    let Ok(pieces) = word::parse_heredoc(text, options()) else {
        subs.push(Sub::Unparsed(text.to_owned()));
        return;
    };
    let mut ignored = Vec::new();
    let mut flat = Flattener { raw: text, subs, atoms: &mut ignored, broken: false, known: None };
    flat.pieces(&pieces, true);
    if flat.broken {
        subs.push(Sub::Unparsed(text.to_owned()));
    }
}

/// Inside backticks a backslash keeps its meaning only before `$`, `` ` `` and `\` (and `"`
/// within double quotes); the parser leaves `\$` in place, which would hide a `$(..)`.
fn unescape_backquoted(body: &str, in_quotes: bool) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some(&next) if matches!(next, '$' | '`' | '\\') || (in_quotes && next == '"') => {
                    out.push(next);
                    chars.next();
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

/// Turns atoms into pieces: unquoted glob and brace syntax becomes wildcards (in command
/// context), and neighbouring text is merged.
fn assemble(atoms: &[Atom], ctx: Ctx) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < atoms.len() {
        match atoms[i] {
            Atom::Any => push(&mut pieces, Piece::Any),
            Atom::Home => push(&mut pieces, Piece::Home),
            Atom::Char { c, quoted: true } => push_char(&mut pieces, c),
            Atom::Char { c, quoted: false } => {
                if ctx == Ctx::Plain {
                    push_char(&mut pieces, c);
                    i += 1;
                    continue;
                }
                let open_paren = is_unquoted(atoms.get(i + 1), '(');
                match c {
                    '*' | '?' | '+' | '@' | '!' if open_paren => {
                        // An extended glob `?(..)`, `*(..)`, `+(..)`, `@(..)`, `!(..)`.
                        i = closing(atoms, i + 1, '(', ')').unwrap_or(atoms.len() - 1);
                        push(&mut pieces, Piece::Any);
                    }
                    '*' => push(&mut pieces, Piece::Star),
                    '?' => push(&mut pieces, Piece::AnyChar),
                    '[' => match bracket_end(atoms, i) {
                        Some(end) => {
                            push(&mut pieces, Piece::AnyChar);
                            i = end;
                        }
                        None => push_char(&mut pieces, c),
                    },
                    '{' => match brace_end(atoms, i) {
                        Some(end) => {
                            push(&mut pieces, Piece::Any);
                            i = end;
                        }
                        None => push_char(&mut pieces, c),
                    },
                    _ => push_char(&mut pieces, c),
                }
            }
        }
        i += 1;
    }
    pieces
}

fn is_unquoted(atom: Option<&Atom>, want: char) -> bool {
    matches!(atom, Some(Atom::Char { c, quoted: false }) if *c == want)
}

fn push_char(pieces: &mut Vec<Piece>, c: char) {
    if let Some(Piece::Text(text)) = pieces.last_mut() {
        text.push(c);
    } else {
        pieces.push(Piece::Text(c.to_string()));
    }
}

fn push(pieces: &mut Vec<Piece>, piece: Piece) {
    // Two wildcards in a row say no more than one.
    if piece == Piece::Any && pieces.last() == Some(&Piece::Any) {
        return;
    }
    pieces.push(piece);
}

/// The index of the unquoted `close` matching the unquoted `open` at `start`.
fn closing(atoms: &[Atom], start: usize, open: char, close: char) -> Option<usize> {
    let mut depth = 0usize;
    for (j, atom) in atoms.iter().enumerate().skip(start) {
        if is_unquoted(Some(atom), open) {
            depth += 1;
        } else if is_unquoted(Some(atom), close) {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return Some(j);
            }
        }
    }
    None
}

/// The end of a bracket expression `[..]` opening at `start`, if it is one.
fn bracket_end(atoms: &[Atom], start: usize) -> Option<usize> {
    let mut j = start + 1;
    if matches!(atoms.get(j), Some(Atom::Char { c: '!' | '^', .. })) {
        j += 1;
    }
    // A `]` right after the opening bracket is a member, not the end.
    if matches!(atoms.get(j), Some(Atom::Char { c: ']', .. })) {
        j += 1;
    }
    while j < atoms.len() {
        match atoms[j] {
            Atom::Char { c: ']', .. } => return Some(j),
            Atom::Char { c: '[', .. } => {
                // A class like `[:alpha:]` inside the brackets.
                if let Some(Atom::Char { c: ':' | '=' | '.', .. }) = atoms.get(j + 1) {
                    let mut k = j + 2;
                    while k + 1 < atoms.len() {
                        if matches!(atoms[k + 1], Atom::Char { c: ']', .. })
                            && matches!(atoms[k], Atom::Char { c: ':' | '=' | '.', .. })
                        {
                            break;
                        }
                        k += 1;
                    }
                    j = k + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    None
}

/// The end of a brace expansion `{a,b}` or `{1..3}` opening at `start`, if it is one.
fn brace_end(atoms: &[Atom], start: usize) -> Option<usize> {
    let end = closing(atoms, start, '{', '}')?;
    let inner = &atoms[start + 1..end];
    let mut depth = 0usize;
    for atom in inner {
        match atom {
            Atom::Char { c: '{', quoted: false } => depth += 1,
            Atom::Char { c: '}', quoted: false } => depth = depth.saturating_sub(1),
            Atom::Char { c: ',', quoted: false } if depth == 0 => return Some(end),
            _ => {}
        }
    }
    let text: Option<String> = inner
        .iter()
        .map(|a| match a {
            Atom::Char { c, .. } => Some(*c),
            _ => None,
        })
        .collect();
    let text = text?;
    let parts: Vec<&str> = text.split("..").collect();
    let is_sequence = matches!(parts.len(), 2 | 3)
        && parts.iter().all(|p| {
            let p = p.strip_prefix(['-', '+']).unwrap_or(p);
            !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric())
        });
    is_sequence.then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Piece {
        Piece::Text(s.into())
    }

    #[test]
    fn converts_words() {
        use Piece::{Any, AnyChar, Home, Star};
        let cases: &[(&str, &[Piece])] = &[
            ("rm", &[t("rm")]),
            ("'rm'", &[t("rm")]),
            ("r\"m\"", &[t("rm")]),
            ("\\rm", &[t("rm")]),
            ("r''m", &[t("rm")]),
            ("$'\\x72\\x6d'", &[t("rm")]),
            ("$'\\162\\155'", &[t("rm")]),
            ("$'\\u0072m'", &[t("rm")]),
            ("$\"rm\"", &[t("rm")]),
            ("\"r\\\nm\"", &[t("rm")]),
            ("~", &[Home]),
            ("~/.bashrc", &[Home, t("/.bashrc")]),
            ("~root/x", &[Any, t("/x")]),
            ("\"~\"/x", &[t("~/x")]),
            ("a~", &[t("a~")]),
            ("$X", &[Any]),
            ("${X}y", &[Any, t("y")]),
            ("\"$X\"", &[Any]),
            ("$(echo rm)", &[Any]),
            ("`echo`", &[Any]),
            ("$((1+2))", &[Any]),
            ("*.rs", &[Star, t(".rs")]),
            ("'*'.rs", &[t("*.rs")]),
            ("\\*", &[t("*")]),
            ("a?c", &[t("a"), AnyChar, t("c")]),
            ("[ab]c", &[AnyChar, t("c")]),
            ("[[:alpha:]]x", &[AnyChar, t("x")]),
            ("[", &[t("[")]),
            ("a{b,c}", &[t("a"), Any]),
            ("{1..3}", &[Any]),
            ("{rm,-rf,/}", &[Any]),
            ("{}", &[t("{}")]),
            ("{a}", &[t("{a}")]),
            ("'{a,b}'", &[t("{a,b}")]),
            ("{\"a\",b}", &[Any]),
            ("@(a|b)", &[Any]),
            ("x=$'\\n'", &[t("x=\n")]),
            ("$'a\\0b'", &[Any]),
            ("${!x[@]:1}", &[Any]),
        ];
        for (raw, want) in cases {
            let mut subs = Vec::new();
            let got = convert(raw, Ctx::Command, &mut subs);
            assert_eq!(got.pieces, *want, "{raw:?}");
            assert_eq!(got.text, *raw);
        }
    }

    #[test]
    fn plain_context_keeps_globs() {
        let mut subs = Vec::new();
        let got = convert("*{a,b}?", Ctx::Plain, &mut subs);
        assert_eq!(got.pieces, [t("*{a,b}?")]);
    }

    #[test]
    fn finds_substitutions() {
        let cases: &[(&str, &[&str])] = &[
            ("$(git push)", &["git push"]),
            ("\"$(git push)\"", &["git push"]),
            ("`git push`", &["git push"]),
            ("`echo \\$(rm)`", &["echo $(rm)"]),
            ("${X:-$(rm -rf /)}", &["rm -rf /"]),
            ("\"${X:-`rm`}\"", &["rm"]),
            ("$((1+$(rm)))", &["rm"]),
            ("a$(b)c$(d)", &["b", "d"]),
            ("'$(rm)'", &[]),
            ("\\$(rm)", &[]),
        ];
        for (raw, want) in cases {
            let mut subs = Vec::new();
            convert(raw, Ctx::Command, &mut subs);
            let got: Vec<&str> = subs
                .iter()
                .filter_map(|s| match s {
                    Sub::Script(s) | Sub::Unparsed(s) | Sub::Hidden(s, _) => Some(s.as_str()),
                    Sub::Assigns(_) => Some("="),
                    Sub::Numbers(_) | Sub::Arith(_) | Sub::Element(..) | Sub::Indirect(_) | Sub::Name(_) => {
                        None
                    }
                })
                .collect();
            assert_eq!(got, *want, "{raw:?}");
        }
    }

    #[test]
    fn heredoc_bodies() {
        let mut subs = Vec::new();
        let got = convert_heredoc("rm -rf /\n", &mut subs);
        assert_eq!(got.as_literal().as_deref(), Some("rm -rf /\n"));
        let got = convert_heredoc("echo \\$HOME 'x'\n", &mut subs);
        assert_eq!(got.as_literal().as_deref(), Some("echo $HOME 'x'\n"));
        let got = convert_heredoc("a $(rm) b\n", &mut subs);
        assert!(got.is_dynamic());
        assert_eq!(subs, [Sub::Script("rm".into())]);
    }

    #[test]
    fn splitting() {
        let cases = [
            ("abc", false),
            ("\"$X\"", false),
            ("$X", true),
            ("a*", true),
            ("'a*'", false),
            ("{5,sh}", true),
            ("\"$(x)\"", false),
            ("$(x)", true),
        ];
        for (raw, want) in cases {
            assert_eq!(may_split(raw), want, "{raw:?}");
        }
    }
}
