//! The working directory as the line moves it: `cd`, `pushd`, `popd` in the shell walked, kept
//! per subshell, and merged where the line can go two ways (a branch, a loop, a `cd` that may
//! fail before `;`): two different places make it [`Cwd::Unknown`]. Words of a [`Cwd::Known`]
//! are absolute, `~`-led or relative to the start directory, joined with `/` and never
//! normalised (`cd src && cd ../lib` is `src/../lib`): resolving is the policy's job.

use super::types::{Cwd, Piece, Word};

/// Where the shell walked stands: its directory, `OLDPWD` (`cd -`) and the `pushd` stack
/// (`None` when the line lost track of it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    pub(crate) cwd: Cwd,
    old: Cwd,
    stack: Option<Vec<Cwd>>,
}

impl Default for Place {
    fn default() -> Place {
        // A new `bash -c` has an empty stack; OLDPWD comes from gate's caller.
        Place { cwd: Cwd::Start, old: Cwd::Unknown, stack: Some(Vec::new()) }
    }
}

/// How one pipeline can end, for `&&`, `||` and `if`: the place after it succeeded and after it
/// failed; `None` where that end cannot be reached (`exit`).
#[derive(Clone, Debug)]
pub(crate) struct Ends {
    pub(crate) ok: Option<Place>,
    pub(crate) fail: Option<Place>,
}

impl Ends {
    pub(crate) fn both(place: &Place) -> Ends {
        Ends { ok: Some(place.clone()), fail: Some(place.clone()) }
    }

    /// Where the line stands after this, whichever way it went.
    pub(crate) fn either(&self) -> Option<Place> {
        merge_opt(self.ok.clone(), self.fail.clone())
    }
}

/// One of two places, whichever the line reached: what differs is lost.
pub(crate) fn merge(a: &Place, b: &Place) -> Place {
    let one = |x: &Cwd, y: &Cwd| if x == y { x.clone() } else { Cwd::Unknown };
    Place {
        cwd: one(&a.cwd, &b.cwd),
        old: one(&a.old, &b.old),
        stack: if a.stack == b.stack { a.stack.clone() } else { None },
    }
}

pub(crate) fn merge_opt(a: Option<Place>, b: Option<Place>) -> Option<Place> {
    match (a, b) {
        (Some(a), Some(b)) => Some(merge(&a, &b)),
        (a, b) => a.or(b),
    }
}

/// `dir` taken from `base`: itself when absolute or `~`-led, else joined.
pub(crate) fn join(base: &Cwd, dir: &Word) -> Cwd {
    if matches!(dir.pieces.first(), Some(Piece::Any)) || dir.pieces.is_empty() {
        return Cwd::Unknown;
    }
    let absolute = match dir.pieces.first() {
        Some(Piece::Text(text)) => text.starts_with('/'),
        Some(Piece::Home) => true,
        _ => false,
    };
    if absolute {
        return Cwd::Known(dir.clone());
    }
    match base {
        Cwd::Start => Cwd::Known(dir.clone()),
        Cwd::Unknown => Cwd::Unknown,
        Cwd::Known(base) => {
            let mut pieces = base.pieces.clone();
            let slash = matches!(pieces.last(), Some(Piece::Text(t)) if t.ends_with('/'));
            if !slash {
                pieces.push(Piece::Text("/".into()));
            }
            for piece in &dir.pieces {
                match (pieces.last_mut(), piece) {
                    (Some(Piece::Text(last)), Piece::Text(text)) => last.push_str(text),
                    _ => pieces.push(piece.clone()),
                }
            }
            let text = format!("{}{}{}", base.text, if slash { "" } else { "/" }, dir.text);
            Cwd::Known(Word { pieces, text })
        }
    }
}

/// What the shell knows that decides where a `cd` goes: HOME (`cd`), CDPATH (a relative `cd`
/// may go elsewhere), both as the line set them (`None`: as in gate's environment).
pub(crate) struct Settings<'s> {
    pub(crate) home: Option<&'s Word>,
    pub(crate) cdpath: Option<&'s Word>,
}

/// The place after `cd`, `pushd` or `popd` (`words[0]`) succeeded. `words` have the values of
/// the variables the line set put in.
pub(crate) fn moved(place: &Place, words: &[Word], settings: &Settings) -> Place {
    let name = words.first().and_then(Word::as_literal).unwrap_or_default();
    let mut args = &words[1.min(words.len())..];
    let mut no_move = false;
    // Options: `cd -P -L -e -@`, `pushd -n`, `popd -n`; `--` ends them.
    while let Some(first) = args.first() {
        let Some(text) = first.as_literal() else { break };
        if text == "--" {
            args = &args[1..];
            break;
        }
        if text.len() > 1 && text.starts_with('-') && text[1..].chars().all(|c| "PLe@n".contains(c)) {
            no_move |= text.contains('n') && name != "cd";
            args = &args[1..];
            continue;
        }
        break;
    }
    let mut next = place.clone();
    let lost = |mut next: Place| {
        next.cwd = Cwd::Unknown;
        next.stack = None;
        next
    };
    match name.as_str() {
        "cd" => {
            let target = match args {
                [] => match settings.home {
                    None => Cwd::Known(Word { pieces: vec![Piece::Home], text: "~".into() }),
                    Some(home) if home.is_dynamic() => Cwd::Unknown,
                    Some(home) => join(&Cwd::Start, home),
                },
                [dir] if dir.as_literal().as_deref() == Some("-") => place.old.clone(),
                [dir] if settings.cdpath.is_some() && searched(dir) => Cwd::Unknown,
                [dir] => join(&place.cwd, dir),
                _ => Cwd::Unknown,
            };
            next.old = place.cwd.clone();
            next.cwd = target;
        }
        "pushd" => match args {
            // Swap the top two.
            [] => match &mut next.stack {
                Some(stack) if !stack.is_empty() => {
                    let top = stack.remove(0);
                    stack.insert(0, place.cwd.clone());
                    next.old = place.cwd.clone();
                    next.cwd = top;
                }
                Some(_) => {}
                None => next = lost(next),
            },
            [dir] if dir.as_literal().is_some_and(|t| t.starts_with(['+', '-']) && t.len() > 1) => {
                next = lost(next)
            }
            [dir] => {
                let target = if settings.cdpath.is_some() && searched(dir) {
                    Cwd::Unknown
                } else {
                    join(&place.cwd, dir)
                };
                if let Some(stack) = &mut next.stack {
                    if no_move {
                        stack.insert(0, target.clone());
                    } else {
                        stack.insert(0, place.cwd.clone());
                    }
                }
                if !no_move {
                    next.old = place.cwd.clone();
                    next.cwd = target;
                }
            }
            _ => next = lost(next),
        },
        "popd" => match (args, &mut next.stack) {
            ([], Some(stack)) if !stack.is_empty() => {
                let top = stack.remove(0);
                if !no_move {
                    next.old = place.cwd.clone();
                    next.cwd = top;
                }
            }
            // An empty stack: popd fails and nothing moves.
            ([], Some(_)) => {}
            _ => next = lost(next),
        },
        _ => {}
    }
    next
}

/// Whether bash looks a `cd` operand up in CDPATH: it is relative and does not start with
/// `.` or `..`.
fn searched(dir: &Word) -> bool {
    match dir.pieces.first() {
        Some(Piece::Text(text)) => {
            !(text.starts_with('/')
                || text == "."
                || text == ".."
                || text.starts_with("./")
                || text.starts_with("../"))
        }
        Some(Piece::Home) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(cwd: &Cwd) -> String {
        match cwd {
            Cwd::Start => ".".into(),
            Cwd::Unknown => "?".into(),
            Cwd::Known(word) => word
                .pieces
                .iter()
                .map(|p| match p {
                    Piece::Text(t) => t.clone(),
                    Piece::Home => "~".into(),
                    _ => "*".into(),
                })
                .collect(),
        }
    }

    fn word(text: &str) -> Word {
        match text.strip_prefix('~') {
            Some(rest) => Word { pieces: vec![Piece::Home, Piece::Text(rest.into())], text: text.into() },
            None if text == "$X" => Word::unknown(text),
            None => Word::literal(text),
        }
    }

    /// Runs `cd`-like commands (`;`-separated, all succeeding) and shows the directory.
    fn after(commands: &str, home: Option<&str>, cdpath: bool) -> String {
        let home = home.map(Word::literal);
        let cdpath_word = Word::literal("/x");
        let settings = Settings { home: home.as_ref(), cdpath: cdpath.then_some(&cdpath_word) };
        let mut place = Place::default();
        for command in commands.split("; ") {
            let words: Vec<Word> = command.split(' ').map(word).collect();
            place = moved(&place, &words, &settings);
        }
        show(&place.cwd)
    }

    #[test]
    fn where_cd_pushd_popd_go() {
        let cases: &[(&str, &str)] = &[
            ("cd src", "src"),
            ("cd src; cd ../lib", "src/../lib"),
            ("cd /tmp; cd x", "/tmp/x"),
            ("cd /tmp/; cd x", "/tmp/x"),
            ("cd", "~"),
            ("cd ~/.ssh", "~/.ssh"),
            ("cd ~; cd .ssh", "~/.ssh"),
            ("cd /a; cd /b; cd -", "/a"),
            ("cd -", "?"),
            ("cd $X", "?"),
            ("cd $X; cd /ok", "/ok"),
            ("cd -P /a", "/a"),
            ("cd -L -- /a", "/a"),
            ("cd a b", "?"),
            ("pushd /a; pushd /b; popd", "/a"),
            ("pushd /a; popd", "."),
            ("popd", "."),
            ("pushd /a; pushd /b; pushd", "/a"),
            ("pushd +1", "?"),
            ("pushd -n /a", "."),
            ("pushd -n /a; popd", "/a"),
            ("cd /a; pushd /b; popd; cd -", "/b"),
        ];
        for (commands, want) in cases {
            assert_eq!(after(commands, None, false), *want, "{commands}");
        }
        assert_eq!(after("cd", Some("/srv"), false), "/srv");
        assert_eq!(after("cd src", None, true), "?");
        assert_eq!(after("cd ./src", None, true), "./src");
        assert_eq!(after("cd /src", None, true), "/src");
    }

    #[test]
    fn two_ways_merge() {
        let a = Place { cwd: Cwd::Known(Word::literal("/a")), ..Place::default() };
        let b = Place::default();
        assert_eq!(merge(&a, &a), a);
        assert_eq!(merge(&a, &b).cwd, Cwd::Unknown);
        assert_eq!(merge_opt(None, Some(b.clone())), Some(b));
    }
}
