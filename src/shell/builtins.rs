//! Shell builtins that run text as code (`eval`, `trap`, `alias`, `mapfile -C`) or run code
//! gate cannot see (`source`, `enable -f`, `hash -p`).

use super::kind::{Kind, Shell, Source};
use super::optscan::{self, OptSpec};
use super::types::Word;
use super::wrappers::split_assignment;

/// Sees `words` as a builtin run, when its program is one of these.
pub(crate) fn classify(name: &str, words: &[Word]) -> Option<Kind> {
    let kind = match name {
        "eval" if words.len() > 1 => Kind::Script {
            label: "eval".into(),
            source: Source::Joined(words[1..].to_vec()),
            shell: Shell::Current,
        },
        "source" | "." => Kind::opaque(format!("{name} runs a script file")),
        "alias" => alias(words),
        "trap" => trap(words),
        "mapfile" | "readarray" => mapfile(name, words),
        "hash" if has_short(words, 'p') => Kind::opaque("hash -p makes a name run another program"),
        "enable" if has_short(words, 'f') => Kind::opaque("enable -f loads code from a shared library"),
        _ => return None,
    };
    Some(kind)
}

fn has_short(words: &[Word], letter: char) -> bool {
    words[1..].iter().any(|w| {
        w.as_literal()
            .is_none_or(|t| t.strip_prefix('-').is_some_and(|c| !c.starts_with('-') && c.contains(letter)))
    })
}

/// `alias NAME=VALUE`: the value runs wherever the name is used later, so it is walked here.
fn alias(words: &[Word]) -> Kind {
    let mut values = Vec::new();
    for word in &words[1..] {
        let Some((_, value)) = split_assignment(word) else {
            if word.is_dynamic() {
                return Kind::opaque(format!("alias {} is only known at run time", word.text));
            }
            continue;
        };
        match value.as_literal() {
            Some(text) => values.push(text),
            None => return Kind::opaque(format!("alias {} is only known at run time", word.text)),
        }
    }
    if values.is_empty() {
        return Kind::Plain;
    }
    Kind::Script {
        label: "alias".into(),
        source: Source::Word(Word::literal(values.join("\n"))),
        shell: Shell::Current,
    }
}

/// `trap ACTION SIGNAL..`: the action runs when the signal comes.
fn trap(words: &[Word]) -> Kind {
    let scan = match optscan::scan(words, 1, &OptSpec { flags: "lpP", ..OptSpec::default() }) {
        Ok(scan) => scan,
        Err(why) => return Kind::Opaque(why),
    };
    let rest = &words[scan.next..];
    if rest.len() < 2 {
        return Kind::Plain;
    }
    match rest[0].as_literal().as_deref() {
        Some("" | "-") => Kind::Plain,
        _ => {
            Kind::Script { label: "trap".into(), source: Source::Word(rest[0].clone()), shell: Shell::Later }
        }
    }
}

/// `mapfile -C CALLBACK`: the callback is evaluated as code.
fn mapfile(name: &str, words: &[Word]) -> Kind {
    let spec = OptSpec { flags: "t", valued: "dnOsuCc", ..OptSpec::default() };
    let scan = match optscan::scan(words, 1, &spec) {
        Ok(scan) => scan,
        Err(why) => return Kind::Opaque(why),
    };
    match scan.value(&["C"]) {
        Some(callback) => Kind::Script {
            label: format!("{name} -C"),
            source: Source::Word(callback.clone()),
            shell: Shell::Current,
        },
        None => Kind::Plain,
    }
}
