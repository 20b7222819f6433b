//! The walk from a bash syntax tree to the units that will run. Every place a command can hide
//! (lists, pipelines, compound commands, function bodies, substitutions in any word, here-documents
//! fed to shells, wrappers, `sh -c` scripts) is visited; what cannot be seen becomes opaque.
//! Along the way it keeps what the shell walked will know when each command runs: its variables
//! (`state`), its working directory (`cwd`), and which redirections may reach the network
//! (`network`) or which text bash evaluates (`arith`). The work is bounded (`MAX_LINE`,
//! `MAX_WORK`): past the bound the rest of the line is opaque, whatever the input.

use super::cwd::{self, Ends, Place};
use super::effects::{self, Effect};
use super::found::{Found, Stdin, extended_test};
use super::kind::{self, Kind, Shell, Source};
use super::parse;
use super::state::{Vars, arithmetic_assigns, holds_code};
use super::types::{Analysis, Cwd, Piece, SimpleCommand, Unit, Word};
use super::words::{self, Ctx, Sub};
use super::{arith, dialect, interpreters, network, wrappers};
use brush_parser::ast;
use std::ffi::OsString;

/// Scripts within scripts and wrappers within wrappers deeper than this are opaque: real
/// commands never nest this far, and the limit bounds the work an input can cause.
pub(crate) const MAX_DEPTH: usize = 16;

/// Function bodies walked again at their calls, and loop bodies walked twice, per line: enough
/// for real lines, and a bound on the work of functions or loops nested many times.
const MAX_CALLS: usize = 64;

/// The longest line gate takes apart: the kernel's limit for one argument (`bash -c LINE`).
pub(crate) const MAX_LINE: usize = 128 * 1024;

/// Work one line may cause, counted in bytes: script text parsed, words and the variables every
/// command carries, and a fixed amount per command. A 128 KiB line of ordinary commands spends
/// well under a MiB; past this the rest of the line is opaque. This bounds time and memory on any
/// input (the variables carried make the work of a line quadratic in its length otherwise).
const MAX_WORK: usize = 12 << 20;

/// Cost of one command beyond its bytes.
const COMMAND_COST: usize = 128;

/// Variables one line may set; past this the line is opaque (each set looks through them all).
const MAX_VARS: usize = 2_000;

/// Units one line may give: no real line runs this many commands.
const MAX_UNITS: usize = 4_096;

const TOO_BIG: &str = "the line is too big to follow within gate's bounds";

const STORES_CODE: &str = "stores shell code in a variable; bash may run it later";

/// Variables that make a new shell run code before its script: startup files, the trace prompt,
/// options (`SHELLOPTS=xtrace`), and functions imported from the environment (`BASH_FUNC_*`).
fn runs_startup_code(name: &str) -> bool {
    matches!(name, "BASH_ENV" | "ENV" | "PS4" | "PROMPT_COMMAND" | "SHELLOPTS" | "BASHOPTS")
        || name.starts_with("BASH_FUNC_")
}

pub(crate) fn analyze_line(line: &str) -> Analysis {
    let mut walker = Walker::default();
    if line.len() > MAX_LINE {
        let why =
            format!("the line is longer than {} KiB, more than bash takes as one argument", MAX_LINE / 1024);
        let mut end = 80;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        walker.opaque(format!("{}…", &line[..end]), why.clone());
        walker.parse_error = Some(why);
        return walker.finish();
    }
    walker.script(line);
    walker.finish()
}

pub(crate) fn analyze_line_bytes(line: &[u8]) -> Analysis {
    if line.contains(&0) {
        let mut walker = Walker::default();
        let shown: String = String::from_utf8_lossy(line).chars().take(80).collect();
        walker.opaque(shown, "the line holds a NUL byte, where bash would cut it short");
        return walker.finish();
    }
    // Each byte run that is not UTF-8 becomes U+FFFD, which `words` takes as unknown text (a
    // line that is UTF-8 is borrowed as it is).
    analyze_line(&String::from_utf8_lossy(line))
}

pub(crate) fn analyze_argv(argv: &[OsString]) -> Analysis {
    let mut walker = Walker::default();
    let Some(program) = argv.first() else {
        return walker.finish();
    };
    if program.to_str().is_none() {
        walker.units.push(Unit::Opaque {
            text: program.to_string_lossy().into_owned(),
            why: "program name is not valid UTF-8".into(),
        });
        return walker.finish();
    }
    let words = argv
        .iter()
        .map(|arg| match arg.to_str() {
            Some(text) => Word::literal(text),
            None => Word::unknown(arg.to_string_lossy()),
        })
        .collect();
    walker.run(SimpleCommand { words, ..Default::default() }, &Stdin::Inherited);
    walker.finish()
}

#[derive(Default)]
struct Walker {
    units: Vec<Unit>,
    parse_error: Option<String>,
    /// Wrappers around the code being walked, outermost first.
    via: Vec<String>,
    depth: usize,
    budget: parse::Budget,
    /// Variables the shell being walked has set so far; every later command carries them.
    vars: Vars,
    /// Counts changes to `vars` (never goes back), so code set aside to run later can tell
    /// whether the shell changed since.
    changes: usize,
    /// Functions defined so far: name, body, `changes` when defined, and where the body leaves
    /// the shell when it runs then.
    functions: Vec<(String, ast::FunctionBody, usize, Ends)>,
    /// Functions being walked at a call (recursion stops there), and how many calls were walked.
    calling: Vec<String>,
    calls: usize,
    /// Loop bodies walked a second time.
    repeats: usize,
    /// Trap actions set so far: script, via, and `changes` when set.
    traps: Vec<(String, Vec<String>, usize)>,
    /// Effects of the command being walked, applied after its substitutions.
    pending: Vec<Effect>,
    /// Variables declared integer (`declare -i`): what is assigned to them is arithmetic.
    integers: Vec<String>,
    /// Arrays declared associative (`declare -A`): their keys are any text.
    associative: Vec<String>,
    /// Function bodies being walked (at their definition or a call).
    in_function: usize,
    /// Where the shell walked stands now.
    place: Place,
    /// Where the `cd` being walked moves it, once its own substitutions ran.
    pending_place: Option<Place>,
    /// The pipeline being walked is a `cd` (it fails without moving) or `exit` (it never ends).
    cd_ran: bool,
    exited: bool,
    /// How the function called by the command being walked ended.
    call_ends: Option<Ends>,
    /// Work spent on the line so far (see `MAX_WORK`), and whether it ran out.
    work: usize,
    exhausted: bool,
}

impl Walker {
    fn finish(mut self) -> Analysis {
        self.settle_traps(0);
        Analysis { units: self.units, parse_error: self.parse_error }
    }

    /// Records a variable set in the shell being walked.
    fn assign(&mut self, name: &str, value: Word) {
        let base = name.split('[').next().unwrap_or(name);
        // Entries of these arrays are the shell's command hash table and its aliases.
        if matches!(base, "BASH_CMDS" | "BASH_ALIASES") {
            self.opaque(name, "changes what a command name runs");
        }
        // A set GLOBIGNORE turns on dotglob: later globs may reach hidden files.
        if base == "GLOBIGNORE" {
            self.opaque(name, "changes which file names a glob matches: later globs may reach hidden files");
        }
        // A value given to a `declare -i` variable is evaluated as arithmetic.
        if self.integers.iter().any(|integer| integer == base) && !arith::is_number(&value) {
            if value.text == format!("${base}") {
                self.opaque(name, format!("{base} is an integer variable given text known only at run time, which bash evaluates as arithmetic: it can run code"));
            } else {
                self.arith_text(&value.text);
            }
        }
        if self.vars.set(name, value, self.changes + 1) {
            self.changes += 1;
        }
    }

    /// Takes note of a builtin's effect; it holds once the command's own substitutions ran.
    fn note(&mut self, mut effect: Effect, words: &[Word]) {
        if let Some(why) = effect.opaque.take() {
            self.opaque(joined(words), why);
        }
        self.pending.push(effect);
    }

    fn apply_pending(&mut self) {
        for effect in std::mem::take(&mut self.pending) {
            self.apply(effect);
        }
        if let Some(place) = self.pending_place.take() {
            self.place = place;
            self.cd_ran = true;
        }
    }

    /// True when a command reached through `via` runs in the shell walked itself (not through
    /// a wrapper that starts a program, only `command` or `builtin`).
    fn in_this_shell(&self, via: &[String]) -> bool {
        via.len() >= self.via.len()
            && via[self.via.len()..].iter().all(|label| label == "command" || label == "builtin")
    }

    /// Notes where a `cd`, `pushd` or `popd` moves the shell, and an `exit`.
    fn moves(&mut self, name: &str, cmd: &SimpleCommand) {
        if !self.in_this_shell(&cmd.via) {
            return;
        }
        match name {
            "cd" | "pushd" | "popd" => {
                let known = |name: &str| self.vars.get(name).cloned();
                let words: Vec<Word> = cmd
                    .words
                    .iter()
                    .map(|word| words::convert_known(&word.text, Ctx::Command, &known))
                    .collect();
                let settings = cwd::Settings { home: self.vars.get("HOME"), cdpath: self.vars.get("CDPATH") };
                self.pending_place = Some(cwd::moved(&self.place, &words, &settings));
            }
            "exit" => self.exited = true,
            "exec" if cmd.words.len() > 1 => self.exited = true,
            _ => {}
        }
    }

    fn apply(&mut self, effect: Effect) {
        for (name, value) in effect.set {
            self.assign(&name, value);
        }
        for name in &effect.exports {
            self.vars.export(name);
        }
        if effect.exports_all {
            self.vars.export_all();
        }
        if effect.moves_cwd {
            self.changes += 1;
            self.vars.move_cwd();
        }
    }

    /// Walks again, under every value set since, the trap actions set from `from` on: a trap
    /// runs later, when the shell may have changed.
    fn settle_traps(&mut self, from: usize) {
        let traps = self.traps.split_off(from.min(self.traps.len()));
        for (script, via, at) in &traps {
            if *at < self.changes {
                let unsettled = self.vars.unsettled_since(*at);
                let saved = std::mem::replace(&mut self.vars, unsettled);
                self.script_via(via, "trap", script);
                self.vars = saved;
            }
        }
    }

    /// Walks a function's body again at a call, when the shell changed since it was defined (it
    /// runs under the variables of the call, not of its definition).
    fn call(&mut self, name: &str, via: &[String]) {
        if self.calling.iter().any(|calling| calling == name) {
            return;
        }
        let Some((_, body, at, end)) = self.functions.iter().rev().find(|(defined, ..)| defined == name)
        else {
            return;
        };
        if *at == self.changes {
            // Nothing changed since the definition was walked: the body ends as it did then.
            self.place = end.either().unwrap_or_else(|| self.place.clone());
            self.call_ends = Some(end.clone());
            return;
        }
        if self.calls >= MAX_CALLS {
            self.opaque(name, "too many function calls to follow");
            return;
        }
        self.calls += 1;
        let body = body.clone();
        let saved = std::mem::replace(&mut self.via, via.to_vec());
        self.via.push(format!("{name}()"));
        self.calling.push(name.to_owned());
        self.in_function += 1;
        let ends = self.compound(&body.0);
        self.redirect_list(body.1.as_ref());
        self.in_function -= 1;
        self.calling.pop();
        self.call_ends = Some(ends);
        self.via = saved;
    }

    /// Counts work; false (and, the first time, an opaque unit) once the line spent too much.
    fn spend(&mut self, cost: usize) -> bool {
        if self.exhausted {
            return false;
        }
        self.work = self.work.saturating_add(cost);
        if self.work > MAX_WORK || self.vars.len() > MAX_VARS || self.units.len() > MAX_UNITS {
            self.exhausted = true;
            self.opaque("", TOO_BIG);
            return false;
        }
        true
    }

    fn opaque(&mut self, text: impl Into<String>, why: impl Into<String>) {
        self.units.push(Unit::Opaque { text: text.into(), why: why.into() });
    }

    /// Parses and walks script text (a line, a `$(..)` body, an `sh -c` script).
    fn script(&mut self, text: &str) {
        if !self.spend(text.len()) {
            return;
        }
        if self.depth >= MAX_DEPTH {
            self.opaque(text, "code is nested too deeply to follow");
            return;
        }
        match parse::parse(text, &mut self.budget) {
            Ok(program) => {
                self.depth += 1;
                for list in &program.complete_commands {
                    self.compound_list(list);
                }
                self.depth -= 1;
            }
            Err(err) => {
                if self.depth > 0 {
                    // Inner code that does not parse is code gate cannot see.
                    self.opaque(text, format!("script does not parse: {err}"));
                }
                if self.parse_error.is_none() {
                    self.parse_error = Some(match self.via.last() {
                        Some(label) if self.depth > 0 => format!("{err} (in the {label} script)"),
                        _ => err,
                    });
                }
            }
        }
    }

    /// Walks a script run in `shell` with variables `vars`. What the current shell's scripts set
    /// stays; a new shell's does not.
    fn script_in(&mut self, vars: Vars, shell: Shell, via: &[String], label: &str, script: &str) {
        let saved = std::mem::replace(&mut self.vars, vars);
        let place = self.place.clone();
        let traps = self.traps.len();
        if shell == Shell::Later {
            self.traps.push((script.to_owned(), via.to_vec(), self.changes));
        }
        self.script_via(via, label, script);
        if shell == Shell::New {
            self.settle_traps(traps);
            self.vars = saved;
        }
        if shell != Shell::Current {
            self.place = place;
        }
    }

    /// Walks a script run through a wrapper, with `label` added to `via`.
    fn script_via(&mut self, via: &[String], label: &str, text: &str) {
        let saved = std::mem::replace(&mut self.via, via.to_vec());
        self.via.push(label.to_owned());
        self.script(text);
        self.via = saved;
    }

    fn subs(&mut self, subs: Vec<Sub>) {
        for sub in subs {
            match sub {
                Sub::Script(text) => self.subshell(|walker| walker.script(&text)),
                Sub::Unparsed(text) => self.opaque(text, "a word gate cannot take apart may run code"),
                Sub::Hidden(text, why) => self.opaque(text, why),
                Sub::Assigns(names) => names.iter().for_each(|name| self.taint(name)),
                Sub::Numbers(names) => names.iter().for_each(|name| self.assign(name, arith::number(name))),
                Sub::Arith(text) => self.arith_text(&text),
                Sub::Element(array, text) => {
                    if !self.is_associative(&array) {
                        self.arith_text(&text);
                    }
                }
                Sub::Name(text) => self.name_operand(&text),
                Sub::Indirect(name) => {
                    if let Some(what) = self.scope(|scope| scope.indirect(&name)) {
                        self.opaque(format!("${{!{name}}}"), format!("bash uses {what}, known only at run time, as a variable name, which can run code"));
                    }
                }
            }
        }
    }

    /// Walks code run in a subshell: where it moves the directory stays there.
    fn subshell(&mut self, walk: impl FnOnce(&mut Walker)) {
        let place = self.place.clone();
        let pending = self.pending_place.take();
        walk(self);
        self.place = place;
        self.pending_place = pending;
    }

    /// Walks a list; the ends of its last and-or list are returned (for `if` and loops).
    fn compound_list(&mut self, list: &ast::CompoundList) -> Ends {
        let mut ends = Ends::both(&self.place);
        for ast::CompoundListItem(and_or, separator) in &list.0 {
            if self.exhausted {
                break;
            }
            let before = self.place.clone();
            let mut out = self.pipeline(&and_or.first);
            for next in &and_or.additional {
                let (p, on_ok) = match next {
                    ast::AndOr::And(p) => (p, true),
                    ast::AndOr::Or(p) => (p, false),
                };
                // `&&` runs the next pipeline where the last succeeded, `||` where it failed.
                let from = if on_ok { out.ok.clone() } else { out.fail.clone() };
                let reachable = from.is_some();
                if let Some(from) = from {
                    self.place = from;
                }
                let mut step = self.pipeline(p);
                if !reachable {
                    step = Ends { ok: None, fail: None };
                }
                out = if on_ok {
                    Ends { ok: step.ok, fail: cwd::merge_opt(out.fail, step.fail) }
                } else {
                    Ends { ok: cwd::merge_opt(out.ok, step.ok), fail: step.fail }
                };
            }
            if matches!(separator, ast::SeparatorOperator::Async) {
                // In the background: a subshell.
                self.place = before.clone();
                out = Ends::both(&before);
            } else {
                self.place = out.either().unwrap_or(before);
            }
            ends = out;
        }
        ends
    }

    fn pipeline(&mut self, pipeline: &ast::Pipeline) -> Ends {
        let timed = pipeline.timed.as_ref().map(|timed| {
            let mut words = vec![Word::literal("time")];
            if matches!(timed, ast::PipelineTimed::TimedWithPosixOutput(_)) {
                words.push(Word::literal("-p"));
            }
            self.units.push(Unit::Wrapper(SimpleCommand {
                words,
                via: self.via.clone(),
                cwd: self.place.cwd.clone(),
                ..Default::default()
            }));
            self.via.push("time".into());
        });
        let saved = (self.cd_ran, self.exited, self.call_ends.take());
        (self.cd_ran, self.exited) = (false, false);
        let before = self.place.clone();
        let mut ends = if pipeline.seq.len() > 1 {
            // Each command of a pipeline runs in a subshell of its own.
            for command in &pipeline.seq {
                self.subshell(|walker| {
                    walker.command(command);
                });
            }
            Ends::both(&before)
        } else {
            let mut ends = None;
            for command in &pipeline.seq {
                ends = self.command(command);
            }
            let after = self.place.clone();
            match ends {
                Some(ends) => ends,
                None if self.exited => Ends { ok: None, fail: None },
                // A `cd` that fails does not move.
                None if self.cd_ran => Ends { ok: Some(after), fail: Some(before) },
                None => self.call_ends.take().unwrap_or_else(|| Ends::both(&after)),
            }
        };
        if pipeline.bang {
            ends = Ends { ok: ends.fail, fail: ends.ok };
        }
        (self.cd_ran, self.exited, self.call_ends) = saved;
        if timed.is_some() {
            self.via.pop();
        }
        ends
    }

    /// Walks one command of a pipeline; for a compound command, how it can end.
    fn command(&mut self, command: &ast::Command) -> Option<Ends> {
        match command {
            ast::Command::Simple(simple) => {
                self.simple(simple);
                None
            }
            ast::Command::Compound(compound, redirects) => {
                let ends = self.compound(compound);
                self.redirect_list(redirects.as_ref());
                Some(ends)
            }
            ast::Command::Function(function) => {
                // The body is walked where it is defined: whatever calls it runs this code. It is
                // kept to be walked again at a call, if the variables changed in between, with
                // where it leaves the shell when it runs right away.
                let place = self.place.clone();
                let at = self.changes;
                self.in_function += 1;
                let ends = self.compound(&function.body.0);
                self.redirect_list(function.body.1.as_ref());
                self.in_function -= 1;
                self.place = place;
                self.functions.push((function.fname.value.clone(), function.body.clone(), at, ends));
                None
            }
            ast::Command::ExtendedTest(test, redirects) => {
                let mut subs = Vec::new();
                extended_test(&test.expr, &mut subs);
                self.subs(subs);
                self.redirect_list(redirects.as_ref());
                None
            }
        }
    }

    /// Walks a compound command; how it can end (where it succeeded, where it failed).
    fn compound(&mut self, compound: &ast::CompoundCommand) -> Ends {
        use ast::CompoundCommand as C;
        match compound {
            C::Arithmetic(arith) => self.arithmetic(Some(&arith.expr)),
            C::ArithmeticForClause(f) => {
                self.arithmetic(f.initializer.as_ref());
                self.looped(|walker| {
                    walker.arithmetic(f.condition.as_ref());
                    walker.arithmetic(f.updater.as_ref());
                    walker.compound_list(&f.body.list);
                });
            }
            C::BraceGroup(group) => return self.compound_list(&group.list),
            C::Subshell(sub) => self.subshell(|walker| {
                walker.compound_list(&sub.list);
            }),
            C::ForClause(f) => {
                let mut subs = Vec::new();
                let mut values = Vec::new();
                for word in f.values.iter().flatten() {
                    let value = words::convert(&word.value, Ctx::Command, &mut subs);
                    if holds_code(&value) {
                        self.opaque(&word.value, STORES_CODE);
                    }
                    values.push(value);
                }
                self.subs(subs);
                let associative = |name: &str| self.associative.iter().any(|a| a == name);
                if arith::numbers_only(&values, &associative) {
                    self.assign(&f.variable_name, arith::number(&f.variable_name));
                } else if let [only] = values.as_slice()
                    && !only.pieces.iter().any(|piece| matches!(piece, Piece::Any))
                {
                    // `for f in src/*.rs`: each value is a name the glob matches (or the glob
                    // itself when nothing does), which the glob's own pieces describe.
                    self.assign(&f.variable_name, only.clone());
                } else {
                    self.taint(&f.variable_name);
                }
                self.looped(|walker| {
                    walker.compound_list(&f.body.list);
                });
            }
            C::CaseClause(case) => {
                let mut subs = Vec::new();
                words::convert(&case.value.value, Ctx::Plain, &mut subs);
                self.subs(subs);
                // No pattern may match: the place before is one of the ends.
                let start = self.place.clone();
                let mut end = start.clone();
                for item in &case.cases {
                    self.place = start.clone();
                    let mut subs = Vec::new();
                    for pattern in &item.patterns {
                        words::convert(&pattern.value, Ctx::Plain, &mut subs);
                    }
                    self.subs(subs);
                    if let Some(body) = &item.cmd {
                        self.compound_list(body);
                    }
                    end = cwd::merge(&end, &self.place);
                }
                self.place = end;
            }
            C::IfClause(clause) => return self.if_clause(clause),
            C::WhileClause(clause) | C::UntilClause(clause) => self.looped(|walker| {
                walker.compound_list(&clause.0);
                walker.compound_list(&clause.1.list);
            }),
            C::Coprocess(coproc) => self.subshell(|walker| {
                walker.command(&coproc.body);
            }),
        }
        Ends::both(&self.place)
    }

    /// Each body runs where its condition succeeded, the next branch where it failed; the `if`
    /// ends as the body it ran did, or succeeds where no branch ran.
    fn if_clause(&mut self, clause: &ast::IfClauseCommand) -> Ends {
        let start = self.place.clone();
        let condition = self.compound_list(&clause.condition);
        self.place = condition.ok.unwrap_or_else(|| start.clone());
        let then = self.compound_list(&clause.then);
        let (mut ok, mut fail) = (then.ok, then.fail);
        let mut failed = condition.fail;
        for branch in clause.elses.iter().flatten() {
            let reachable = failed.is_some();
            self.place = failed.clone().unwrap_or_else(|| start.clone());
            match &branch.condition {
                Some(condition) => {
                    let condition = self.compound_list(condition);
                    self.place = condition.ok.unwrap_or_else(|| start.clone());
                    failed = condition.fail.filter(|_| reachable);
                }
                None => failed = None,
            }
            let body = self.compound_list(&branch.body);
            if reachable {
                ok = cwd::merge_opt(ok, body.ok);
                fail = cwd::merge_opt(fail, body.fail);
            }
        }
        let ends = Ends { ok: cwd::merge_opt(ok, failed), fail };
        self.place = ends.either().unwrap_or(start);
        ends
    }

    /// Walks a loop's body, and again when it changed the variables: from the second time
    /// round, its commands run under what the first left behind. (Later rounds set the same
    /// names; a value that differs from round to round is not literal.)
    fn looped(&mut self, walk: impl Fn(&mut Walker)) {
        let start = self.place.clone();
        self.looped_twice(walk);
        // The body may run no time or many: it may end where it started.
        self.place = cwd::merge(&start, &self.place);
    }

    fn looped_twice(&mut self, walk: impl Fn(&mut Walker)) {
        let before = self.changes;
        walk(self);
        if self.changes == before {
            return;
        }
        if self.repeats >= MAX_CALLS {
            self.opaque("", "too many loops that change variables to follow");
            return;
        }
        self.repeats += 1;
        walk(self);
    }

    /// Reports the redirection targets (as written) that could make bash connect to the network,
    /// with the values of the variables the line set put in.
    fn network(&mut self, targets: &[&str]) {
        for raw in targets {
            let known = |name: &str| self.vars.get(name).cloned();
            let mut target = words::convert_known(raw, Ctx::Command, &known);
            // `~` is HOME, which the line may have set.
            if target.pieces.first() == Some(&Piece::Home)
                && let Some(home) = self.vars.get("HOME")
            {
                let mut pieces = home.pieces.clone();
                pieces.extend(target.pieces.drain(1..));
                target.pieces = pieces;
            }
            if network::could_connect(&target) {
                self.opaque(*raw, network::WHY);
            }
        }
    }

    /// What gate knows of a variable's value, for the arithmetic check.
    fn value_of(&self, name: &str) -> arith::Value {
        match self.vars.get(name) {
            None => arith::Value::Outside,
            Some(word) => match word.as_literal() {
                Some(text) => arith::Value::Known(text),
                None if arith::is_number(word) => arith::Value::Number,
                None => arith::Value::RunTime,
            },
        }
    }

    /// Runs a check with the variables as the walk knows them now.
    fn scope<T>(&self, check: impl FnOnce(&arith::Scope) -> T) -> T {
        let lookup = |name: &str| self.value_of(name);
        // At the top of the line `$1`… are empty; in a function or inner script they are given.
        let positional = self.depth > 1 || self.in_function > 0;
        check(&arith::Scope { lookup: &lookup, positional, steps: Default::default() })
    }

    /// True for an array the line declared associative (`declare -A`), and bash's own.
    fn is_associative(&self, array: &str) -> bool {
        matches!(array, "BASH_CMDS" | "BASH_ALIASES") || self.associative.iter().any(|a| a == array)
    }

    /// Text bash evaluates as arithmetic: opaque when a part of it is only known at run time.
    fn arith_text(&mut self, text: &str) {
        if let Some(what) = self.scope(|scope| scope.run_time_in(text)) {
            self.opaque(
                text,
                format!("bash evaluates {what}, known only at run time, as arithmetic, which can run code"),
            );
        }
    }

    /// Arithmetic hidden in a builtin's arguments: `let` evaluates them, `declare`, `unset` and
    /// `test -v` the subscripts of the names they take, `declare -i` its values.
    fn builtin_arithmetic(&mut self, name: &str, args: &[Word]) {
        match name {
            "let" => args.iter().for_each(|arg| self.arith_text(&arg.text)),
            "declare" | "typeset" | "local" | "readonly" | "export" | "unset" => {
                let flag = |letter: char| {
                    args.iter().any(|arg| {
                        arg.as_literal()
                            .is_some_and(|t| t.starts_with('-') && !t.contains('=') && t.contains(letter))
                    })
                };
                let (integer, associative) = (flag('i'), flag('A'));
                for arg in args {
                    // Quotes removed where the word is known (`unset 'a[i]'`).
                    let literal = arg.as_literal();
                    let text = literal.as_deref().unwrap_or(&arg.text);
                    let (head, value) = text.split_once('=').unwrap_or((text, ""));
                    // The subscript of the name set, and the keys of an array `(..)` value.
                    let named = if value.starts_with('(') { text } else { head };
                    // These builtins expand the subscript of the word they were given once more:
                    // for an associative array, what an expansion in it gives runs as code.
                    let array = head.split('[').next().unwrap_or(head);
                    let keyed = associative || self.is_associative(array);
                    for sub in arith::subscripts(named) {
                        if !keyed || sub.contains(['$', '`']) {
                            self.arith_text(sub);
                        }
                    }
                    if associative && !text.starts_with(['-', '+']) {
                        self.associative.push(head.to_owned());
                    }
                    if integer && !text.starts_with(['-', '+']) {
                        self.integers.push(head.split('[').next().unwrap_or(head).to_owned());
                        if !value.is_empty() {
                            self.arith_text(value);
                        }
                    }
                }
            }
            "test" | "[" => {
                for pair in args.windows(2) {
                    if matches!(pair[0].as_literal().as_deref(), Some("-v" | "-R")) {
                        self.name_operand(&pair[1].text);
                    }
                }
            }
            _ => {}
        }
    }

    /// A word naming a variable, maybe an array element (`-v a[$i]`): bash evaluates its
    /// subscript, and a name known only at run time could hold any subscript.
    fn name_operand(&mut self, text: &str) {
        if text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            for sub in arith::subscripts(text) {
                self.arith_text(sub);
            }
        } else {
            self.arith_text(text);
        }
    }

    fn taint(&mut self, name: &str) {
        self.assign(name, Word::unknown(format!("${name}")));
    }

    fn arithmetic(&mut self, expr: Option<&ast::UnexpandedArithmeticExpr>) {
        let Some(expr) = expr else { return };
        if expr.value.contains(['$', '`']) {
            let mut subs = Vec::new();
            words::collect(&expr.value, &mut subs);
            self.subs(subs);
        }
        self.arith_text(&expr.value);
        for name in arithmetic_assigns(&expr.value) {
            self.assign(name, arith::number(name));
        }
    }

    /// Redirections on a compound command: their targets are written or read whatever runs
    /// inside, so they become a command of their own with no words.
    fn redirect_list(&mut self, list: Option<&ast::RedirectList>) {
        let Some(list) = list else { return };
        let mut found = Found::default();
        for redirect in &list.0 {
            found.redirect(redirect);
        }
        self.network(&found.files);
        if !found.cmd.redirects.is_empty() {
            found.cmd.via = self.via.clone();
            found.cmd.cwd = self.place.cwd.clone();
            self.units.push(Unit::Command(found.cmd));
        }
        self.subs(found.subs);
        for list in found.processes {
            self.subshell(|walker| {
                walker.compound_list(list);
            });
        }
    }

    fn simple(&mut self, simple: &ast::SimpleCommand) {
        let mut found = Found::default();
        for item in simple.prefix.iter().flat_map(|p| &p.0) {
            found.item(item, true);
        }
        if let Some(word) = &simple.word_or_name {
            found.word(&word.value);
        }
        for item in simple.suffix.iter().flat_map(|s| &s.0) {
            found.item(item, false);
        }
        if let Some(text) = found.stores_code.take() {
            self.opaque(text, STORES_CODE);
        }
        self.network(&found.files);
        // `$((x = 1))` and `${x:=1}` set `x` as the words expand, before the command is found.
        found.subs.retain(|sub| match sub {
            Sub::Assigns(names) => {
                names.iter().for_each(|name| self.taint(name));
                false
            }
            Sub::Numbers(names) => {
                names.iter().for_each(|name| self.assign(name, arith::number(name)));
                false
            }
            _ => true,
        });
        // Assignments alone stay in the shell; before a command they are only that command's.
        let own = std::mem::take(&mut found.cmd.assignments);
        let stays = if found.cmd.words.is_empty() { own.clone() } else { Vec::new() };
        (found.cmd.assignments, found.cmd.shell_only) = self.vars.carried(own);
        if !self.spend(size(&found.cmd)) {
            return;
        }
        found.cmd.via = self.via.clone();
        found.cmd.cwd = self.place.cwd.clone();
        self.run(found.cmd, &found.stdin);
        self.subs(found.subs);
        for list in found.processes {
            self.subshell(|walker| {
                walker.compound_list(list);
            });
        }
        for (name, value) in stays {
            self.assign(&name, value);
        }
        self.apply_pending();
    }

    /// Emits the units for one simple command, seeing through wrappers and shells.
    fn run(&mut self, cmd: SimpleCommand, stdin: &Stdin) {
        let Some(program) = cmd.words.first() else {
            self.units.push(Unit::Command(cmd));
            return;
        };
        if program.is_dynamic() {
            self.opaque(joined(&cmd.words), "program name is computed at run time");
            return;
        }
        let name = kind::base_name(program);
        if !self.functions.is_empty() && matches!(program.pieces.as_slice(), [Piece::Text(t)] if t == name) {
            self.call(name, &cmd.via);
        }
        self.builtin_arithmetic(name, cmd.args());
        self.moves(name, &cmd);
        if let Some(effect) = effects::effect(name, &cmd.words, stdin.doc()) {
            self.note(effect, &cmd.words);
        }
        match kind::classify(name, &cmd.words) {
            Kind::Plain => self.units.push(Unit::Command(cmd)),
            Kind::Opaque(why) => self.opaque(joined(&cmd.words), why),
            Kind::Wrap { split, label, inner, assignments, more_args } => {
                if self.depth + cmd.via.len() >= MAX_DEPTH {
                    self.opaque(joined(&cmd.words), "wrappers are nested too deeply to follow");
                    return;
                }
                let mut via = cmd.via.clone();
                via.push(label.clone());
                let mut inner_assignments = cmd.assignments.clone();
                inner_assignments.extend(assignments);
                let chdir = wrappers::chdir(&label, &cmd.words[..split]);
                let cwd = match &chdir {
                    None => cmd.cwd.clone(),
                    Some(Some(dir)) => cwd::join(&cmd.cwd, dir),
                    Some(None) => Cwd::Unknown,
                };
                // The shell opens the redirections where it stands, before the wrapper moves: they
                // stay with the wrapper's unit, judged there, not in the inner command's place.
                let redirects = if chdir.is_some() { Vec::new() } else { cmd.redirects.clone() };
                let inner = SimpleCommand {
                    assignments: inner_assignments,
                    words: inner,
                    more_args: cmd.more_args || more_args,
                    redirects,
                    via,
                    shell_only: cmd.shell_only,
                    cwd,
                };
                let mut wrapper = cmd;
                wrapper.words.truncate(split);
                self.units.push(Unit::Wrapper(wrapper));
                // xargs reads its own standard input; other wrappers pass theirs on.
                let stdin = if label == "xargs" { &Stdin::Inherited } else { stdin };
                self.run(inner, stdin);
            }
            Kind::Script { label, source, shell } => {
                let via = cmd.via.clone();
                let text = joined(&cmd.words);
                if shell == Shell::New
                    && let Some((name, _)) = cmd.assignments.iter().find(|(name, _)| runs_startup_code(name))
                {
                    self.opaque(text.clone(), format!("{name} makes the shell run code before its script"));
                }
                // The script runs with the command's variables: the shell's own, or a new shell's
                // environment.
                let vars = Vars::from_assignments(&cmd.assignments, &self.vars, self.changes);
                self.units.push(Unit::Wrapper(cmd));
                let misread = |script: &str| {
                    (shell == Shell::New).then(|| dialect::misread(interpreters::shell_of(&label), script))?
                };
                match script_text(&source, stdin) {
                    Ok(script) => match misread(&script) {
                        Some(why) => self.opaque(text, why),
                        None => self.script_in(vars, shell, &via, &label, &script),
                    },
                    Err(why) => self.opaque(text, why),
                }
            }
            Kind::Find { own, execs, deletes } => {
                let text = joined(&cmd.words);
                let via = cmd.via.clone();
                // The commands find runs inherit its environment.
                let assignments = cmd.assignments.clone();
                let find_cwd = cmd.cwd.clone();
                let mut find = cmd;
                find.words = own;
                self.units.push(Unit::Command(find));
                if deletes {
                    self.opaque(text, "find -delete deletes what it finds at run time");
                }
                for exec in execs.into_iter().filter(|e| !e.words.is_empty()) {
                    // `-execdir` and `-okdir` run in the directory of each file found.
                    let cwd = if exec.label.ends_with("dir") { Cwd::Unknown } else { find_cwd.clone() };
                    let mut inner_via = via.clone();
                    inner_via.push(exec.label);
                    self.run(
                        SimpleCommand {
                            assignments: assignments.clone(),
                            words: exec.words,
                            more_args: exec.more_args,
                            via: inner_via,
                            cwd,
                            ..Default::default()
                        },
                        &Stdin::Inherited,
                    );
                }
            }
        }
    }
}

/// The script a shell-running wrapper will run, or why it cannot be known.
fn script_text(source: &Source, stdin: &Stdin) -> Result<String, String> {
    match source {
        Source::Word(word) => word.as_literal().ok_or_else(|| "script is only known at run time".to_owned()),
        Source::Joined(list) => list
            .iter()
            .map(Word::as_literal)
            .collect::<Option<Vec<_>>>()
            .map(|parts| parts.join(" "))
            .ok_or_else(|| "script is only known at run time".to_owned()),
        Source::Stdin => match stdin {
            Stdin::Doc(doc) => {
                doc.as_literal().ok_or_else(|| "here-document script is only known at run time".to_owned())
            }
            Stdin::Inherited => Err("shell reads commands from standard input".to_owned()),
            Stdin::Elsewhere => Err("shell reads commands from a file or another descriptor".to_owned()),
        },
    }
}

/// The bytes a command holds, for the work count.
/// Counted near what they take in memory (a word's text is held twice, in `text` and its
/// pieces; strings and vectors have headers), so the work bound is also a memory bound.
fn size(cmd: &SimpleCommand) -> usize {
    let word = |word: &Word| 48 + 2 * word.text.len() + 32 * word.pieces.len();
    let assignments: usize = cmd.assignments.iter().map(|(name, value)| 32 + name.len() + word(value)).sum();
    let words: usize = cmd.words.iter().chain(cmd.redirects.iter().map(|r| &r.target)).map(word).sum();
    COMMAND_COST + assignments + words
}

fn joined(words: &[Word]) -> String {
    let mut out = String::new();
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&word.text);
    }
    out
}
