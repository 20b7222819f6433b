//! The verdict on one path effect, strictest first: gate's own files (deny, under any policy),
//! persistence written (deny), secrets read (ask), a write outside the project and the temp
//! directories (`elsewhere`, ask by default). A word known only partly is judged by what it could
//! be: a file-name glob (`~/.ssh/*`) as fully as a known path, a part that could hold any text
//! (`$OUT`, `/tmp/$X/..`) asks at most.

use super::classes::{PathClasses, PathPattern};
use super::resolve::{Form, Seen, resolve};
use super::{Access, PathEffect, PathVerdict};
use crate::policy::glob::Glob;
use crate::policy::{Context, Decision};
use crate::shell::{Piece, Word};
use std::path::Path;

/// Files a command may write without anyone minding.
const HARMLESS_DEVICES: &[&str] = &["/dev/null", "/dev/tty", "/dev/zero", "/dev/full"];

impl PathClasses {
    /// The verdict on one effect; `None` is no objection (an ordinary read, a write inside the
    /// project or the temp directory).
    pub fn judge(&self, effect: &PathEffect, context: &Context) -> Option<PathVerdict> {
        let mut forms = resolve(effect, context);
        // What the word certainly names speaks first; what an unknown part could make it, after.
        forms.sort_by_key(Form::has_unknown);
        let mut best: Option<PathVerdict> = None;
        for form in &forms {
            let shape = Shape::of(form);
            let found = own(effect, form, &shape, context)
                .or_else(|| self.persistence(effect, form, &shape, context))
                .or_else(|| self.secret(effect, form, &shape, context));
            if let Some(verdict) = found
                && best.as_ref().is_none_or(|best| verdict.decision > best.decision)
            {
                best = Some(verdict);
            }
        }
        if best.is_some() || effect.access == Access::Read || self.elsewhere == Decision::Allow {
            return best;
        }
        let outside = forms.iter().find(|form| !self.inside(form, context))?;
        let shown = shown(effect, outside, context.home);
        let verb = if effect.access == Access::Delete { "deletes" } else { "writes" };
        Some(PathVerdict {
            decision: self.elsewhere,
            class: super::OUTSIDE,
            reason: format!("{verb} {shown}: outside the project"),
            path: shown,
        })
    }

    fn persistence(
        &self,
        effect: &PathEffect,
        form: &Form,
        shape: &Shape,
        context: &Context,
    ) -> Option<PathVerdict> {
        if effect.access != Access::Write {
            return None;
        }
        for pattern in &self.persistence {
            if let Some(hit) = shape.hits(pattern, Access::Write, context.home) {
                let found =
                    Found { class: "persistence", what: &pattern.glob.text, decision: Decision::Deny, hit };
                return Some(verdict(effect, form, shape, found, context.home));
            }
        }
        // Every directory on PATH: a file written there runs in place of a command.
        let path = (context.env)("PATH")?;
        for dir in path.split(':').filter(|dir| dir.starts_with('/')) {
            let dir = crate::policy::paths::normalize(dir);
            if dir == "/" {
                continue;
            }
            if let Some(hit) = shape.hits_path(&dir, true, Access::Write, context.home) {
                let what = format!("{} (on PATH)", super::tilde(&dir, context.home));
                let found = Found { class: "persistence", what: &what, decision: Decision::Deny, hit };
                return Some(verdict(effect, form, shape, found, context.home));
            }
        }
        None
    }

    fn secret(
        &self,
        effect: &PathEffect,
        form: &Form,
        shape: &Shape,
        context: &Context,
    ) -> Option<PathVerdict> {
        if effect.access != Access::Read {
            return None;
        }
        self.secrets.iter().find_map(|pattern| {
            let hit = shape.hits(pattern, Access::Read, context.home)?;
            let found = Found { class: "secret", what: &pattern.glob.text, decision: Decision::Ask, hit };
            Some(verdict(effect, form, shape, found, context.home))
        })
    }

    /// Whether everything the form could be is inside the project or a temp directory.
    fn inside(&self, form: &Form, context: &Context) -> bool {
        if form.has_unknown() {
            return false; // An expansion could hold `..`.
        }
        let (directory, exact) = match form.literal() {
            Some(text) if HARMLESS_DEVICES.contains(&text) => return true,
            Some(text) => (text.to_string(), true),
            None => {
                let known = known_prefix(&form.pieces);
                (known.rsplit_once('/').map_or("", |(dir, _)| dir).to_string(), false)
            }
        };
        let directory = directory.as_str();
        let tmpdir = (context.env)("TMPDIR").filter(|dir| dir.starts_with('/'));
        let roots = [context.project, Some(context.cwd)]
            .into_iter()
            .flatten()
            .filter(|root| *root != Path::new("/") && *root != Path::new(context.home))
            .map(|root| root.to_string_lossy().into_owned())
            .chain(tmpdir.map(|dir| crate::policy::paths::normalize(&dir)))
            .chain(self.temp.iter().chain(&self.project).filter_map(|pattern| pattern.dir.clone()));
        let mut roots = roots;
        // A literal path is inside when strictly under a root; a globbed one when its known
        // directory is the root or under it.
        if roots.any(|root| if exact { strictly_under(directory, &root) } else { under(directory, &root) }) {
            return true;
        }
        exact && self.temp.iter().chain(&self.project).any(|pattern| pattern.glob.matches(directory))
    }
}

/// gate's own files: writing one (or a directory that holds one) is denied, and reading a
/// private key too. No policy changes this.
fn own(effect: &PathEffect, form: &Form, shape: &Shape, context: &Context) -> Option<PathVerdict> {
    let write = effect.access != Access::Read;
    // Private keys are files; the protected list holds directories too.
    let private = context.own.private().iter().map(|file| (file, false));
    let protected = context.own.protected().iter().filter(|_| write).map(|file| (file, true));
    for (file, tree) in private.chain(protected) {
        let file = file.to_string_lossy();
        if let Some(hit) = shape.hits_path(&file, tree, effect.access, context.home) {
            let what = super::tilde(&file, context.home);
            let found = Found { class: "gate's own file", what: &what, decision: Decision::Deny, hit };
            return Some(verdict(effect, form, shape, found, context.home));
        }
    }
    None
}

/// A literal path, and with `tree` everything under it.
fn own_pattern(path: &str, tree: bool) -> Option<PathPattern> {
    let escaped: String =
        path.chars().flat_map(|c| if "*?[\\".contains(c) { vec!['\\', c] } else { vec![c] }).collect();
    let glob = Glob::new(&if tree { format!("{escaped}/**") } else { escaped }, "").ok()?;
    Some(PathPattern { glob, anchored: true, dir: Some(path.to_string()), named: None })
}

/// How a form hits a pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hit {
    /// It is (or could be) the pattern's path.
    Itself,
    /// It is (or could be) a directory above it: writing it reaches what is under it.
    Holds,
}

/// A form prepared for matching: as a word, and as the directory it may be (a write to a
/// directory reaches what is under it).
struct Shape {
    literal: Option<String>,
    word: Word,
    /// The form's known leading text: patterns that start elsewhere cannot match.
    prefix: String,
    /// The last component, when known: a name pattern is matched against it alone.
    name: Option<String>,
}

impl Shape {
    fn of(form: &Form) -> Shape {
        let literal = form.literal().map(str::to_string);
        let name = match form.pieces.last() {
            Some(Piece::Text(text)) => text.rsplit('/').next().map(str::to_string),
            _ => None,
        };
        Shape {
            prefix: known_prefix(&form.pieces),
            word: Word { pieces: form.pieces.clone(), text: String::new() },
            literal,
            name,
        }
    }

    /// FORM/ followed by `tail`: what is under it.
    fn below(&self, tail: Piece) -> Word {
        let mut pieces = self.word.pieces.clone();
        crate::policy::paths::push_text(&mut pieces, "/");
        pieces.push(tail);
        Word { pieces, text: String::new() }
    }

    /// `hits` for one literal path (with `tree`, and everything under it), without a glob
    /// when the form is known.
    fn hits_path(&self, path: &str, tree: bool, access: Access, home: &str) -> Option<Hit> {
        match &self.literal {
            Some(text) if text == path || (tree && strictly_under(text, path)) => Some(Hit::Itself),
            Some(text) if access == Access::Write && strictly_under(path, text) => Some(Hit::Holds),
            Some(_) => None,
            None => self.hits(&own_pattern(path, tree)?, access, home),
        }
    }

    /// Whether the form could be the pattern's path, or, for a write, a directory above one
    /// (removing, moving or copying into a directory reaches what is under it; patterns that
    /// match in any directory, like `**/.git/config`, count one level down). A read of a
    /// directory is not taken as a read of all it holds: `ls ~` reads no key.
    fn hits(&self, pattern: &PathPattern, access: Access, home: &str) -> Option<Hit> {
        let glob = &pattern.glob;
        if pattern.dir.is_some() && self.literal.as_deref() == pattern.dir.as_deref() {
            return Some(Hit::Itself);
        }
        let start = glob.prefix();
        if !(start.starts_with(&self.prefix) || self.prefix.starts_with(start)) {
            return None;
        }
        let itself = match (&self.literal, &pattern.named, &self.name) {
            (Some(_), Some(named), Some(name)) => named.matches(name),
            (Some(text), _, _) => glob.matches(text),
            (None, _, _) => glob.could_match(&self.word, home),
        };
        if itself {
            return Some(Hit::Itself);
        }
        if access == Access::Read {
            return None;
        }
        let above = if pattern.anchored {
            let directory = self.prefix.trim_end_matches('/');
            start.len() > directory.len()
                && start.starts_with(directory)
                && start[directory.len()..].starts_with('/')
                && glob.could_match(&self.below(Piece::Any), home)
        } else {
            // One level down, for patterns with a directory in them (`**/.git/config`): the
            // directory's own name must be in the pattern.
            pattern.named.is_none()
                && self.name.as_ref().is_none_or(|name| glob.text.contains(name.as_str()))
                && glob.could_match(&self.below(Piece::Star), home)
        };
        above.then_some(Hit::Holds)
    }
}

/// The text before the first part known only at run time.
fn known_prefix(pieces: &[Piece]) -> String {
    match pieces.first() {
        Some(Piece::Text(text)) => text.clone(),
        _ => String::new(),
    }
}

fn under(path: &str, root: &str) -> bool {
    path == root || strictly_under(path, root)
}

fn strictly_under(path: &str, root: &str) -> bool {
    let root = root.trim_end_matches('/');
    path.strip_prefix(root).is_some_and(|rest| rest.starts_with('/') && rest.len() > 1)
}

/// The path as the verdict shows it: resolved, with the home directory as `~`; a word known
/// only partly, as written.
fn shown(effect: &PathEffect, form: &Form, home: &str) -> String {
    match (form.seen, form.literal()) {
        (Seen::Real, Some(real)) => {
            format!("{}, which is {}", written(effect, home), super::tilde(real, home))
        }
        (_, Some(text)) => super::tilde(text, home),
        (_, None) => effect.path.text.clone(),
    }
}

/// The effect's word as written, resolved when it is known.
fn written(effect: &PathEffect, home: &str) -> String {
    match effect.path.as_literal() {
        Some(text) => super::tilde(&text, home),
        None => effect.path.text.clone(),
    }
}

struct Found<'a> {
    class: &'static str,
    /// The pattern or file that matched, as the policy writes it.
    what: &'a str,
    decision: Decision,
    hit: Hit,
}

fn verdict(effect: &PathEffect, form: &Form, shape: &Shape, found: Found, home: &str) -> PathVerdict {
    let verb = match effect.access {
        Access::Read => "reads",
        Access::Write => "writes",
        Access::Delete => "deletes",
    };
    let path = shown(effect, form, home);
    let what = found.what;
    // What a part known only at run time could make it is worth a human's look, not more:
    // `> "$OUT"` could be anything. What the word's known text names is judged in full.
    // So is writing into a directory that holds a startup file (`cp x ~`): it could reach it.
    // gate's own files are denied either way.
    let could = form.has_unknown() || (found.hit == Hit::Holds && found.class != "gate's own file");
    let decision = if could { found.decision.min(Decision::Ask) } else { found.decision };
    let detail = match (form.seen, found.hit, shape.literal.is_some()) {
        (Seen::Escaped, _, _) => format!(", which could climb to {what}"),
        (_, Hit::Holds, _) => format!(", which holds {what}"),
        (_, Hit::Itself, false) => format!(", which could be {what}"),
        (_, Hit::Itself, true) if what.ends_with("(on PATH)") => format!(", in {what}"),
        (_, Hit::Itself, true) => String::new(),
    };
    PathVerdict {
        decision,
        class: found.class,
        reason: format!("{verb} {path}{detail}: {}", found.class),
        path,
    }
}
