//! Judges an analysed line: each simple command by the strictest rule that matches it, opaque
//! parts and parse errors by the settings, and the line by its strictest part.

use super::effects::{Access, OUTSIDE, PathEffect, PathVerdict};
use super::programs::{Env, Form, Kind};
use super::rule::{Context, base_name, literal_text, option_value};
use super::{Decision, Policy};
use crate::shell::{Analysis, Piece, SimpleCommand, Unit, Word};
use serde::Serialize;

/// The policy's answer for a line, with the part that decided and every part found.
#[derive(Clone, Debug, Serialize)]
#[must_use]
pub struct Classification {
    pub decision: Decision,
    /// The rule that decided, or none when a setting did.
    pub rule: Option<String>,
    pub reason: String,
    pub parts: Vec<Part>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartKind {
    Command,
    Wrapper,
    Opaque,
    ParseError,
}

/// One simple command, wrapper, opaque part or parse error, and how it was judged.
#[derive(Clone, Debug, Serialize)]
pub struct Part {
    pub kind: PartKind,
    /// The part as written (not yet escaped for display).
    pub text: String,
    /// The wrappers it was reached through, outermost first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
    /// None for a wrapper that no rule names: it raises no objection.
    pub decision: Option<Decision>,
    pub rule: Option<String>,
    pub reason: String,
}

impl Policy {
    /// Classifies an analysed line. Never fails: whatever cannot be judged by a rule is judged by
    /// the settings, which are never `allow` for what gate cannot see.
    pub fn classify(&self, analysis: &Analysis, context: &Context) -> Classification {
        let mut parts = Vec::with_capacity(analysis.units.len() + 1);
        if let Some(error) = &analysis.parse_error {
            parts.push(Part {
                kind: PartKind::ParseError,
                text: error.clone(),
                via: Vec::new(),
                decision: Some(self.settings.on_parse_error),
                rule: None,
                reason: format!("the line does not parse ({error}); settings.on_parse_error"),
            });
        }
        for unit in &analysis.units {
            match unit {
                Unit::Command(command) => {
                    if command.words.is_empty() && command.redirects.is_empty() {
                        continue; // Assignments alone run nothing.
                    }
                    parts.push(self.judge(command, PartKind::Command, context));
                }
                Unit::Wrapper(command) => parts.push(self.judge(command, PartKind::Wrapper, context)),
                Unit::Opaque { text, why } => parts.push(Part {
                    kind: PartKind::Opaque,
                    text: text.clone(),
                    via: Vec::new(),
                    decision: Some(self.settings.opaque),
                    rule: None,
                    reason: format!("{why}; settings.opaque"),
                }),
            }
        }
        let decisive = parts.iter().filter(|part| part.decision.is_some()).fold(
            None::<&Part>,
            |best, part| match best {
                Some(best) if best.decision >= part.decision => Some(best),
                _ => Some(part),
            },
        );
        match decisive {
            Some(part) => Classification {
                decision: part.decision.expect("filtered"),
                rule: part.rule.clone(),
                reason: part.reason.clone(),
                parts,
            },
            None => Classification {
                decision: self.settings.default,
                rule: None,
                reason: "the line runs no command; settings.default".into(),
                parts,
            },
        }
    }

    /// The strictest matching rule for one command (ties go to the rule written first), then
    /// the strictest verdict on the paths it reads and writes.
    fn judge(&self, command: &SimpleCommand, kind: PartKind, context: &Context) -> Part {
        let program = command.program().map(|word| literal_text(word, context.home));
        let base = match &program {
            Some(Some(text)) => Some(base_name(text).to_string()),
            _ => None,
        };
        let computed_program = matches!(program, Some(None));
        let env = Env { home: context.home, start: context.cwd };
        let form = base.as_deref().and_then(|base| self.programs.known_form(base, command, &env));
        let known = match &form {
            Some(Form::Known(known)) => Some(known),
            _ => None,
        };
        let operands = known.map_or(&[][..], |known| known.operands.as_slice());
        // The known form an allow rule is matched against: global options left out.
        let stripped =
            known.filter(|known| !known.removed.is_empty()).map(|known| without(command, &known.removed));
        let as_known = stripped.as_ref().unwrap_or(command);
        let mut decisive: Option<&super::rule::Rule> = None;
        // Why an allow rule that matches the words does not hold, when one does not.
        let mut not_held: Option<String> = None;
        let candidates: Box<dyn Iterator<Item = &super::rule::Rule>> = if computed_program {
            Box::new(self.rules.iter())
        } else {
            Box::new(self.candidates(base.as_deref()))
        };
        for rule in candidates {
            if decisive.is_some_and(|best| best.decision >= rule.decision) {
                continue;
            }
            let holds = if rule.decision == Decision::Allow {
                self.allow_holds(rule, command, as_known, form.as_ref(), context, &mut not_held)
            } else {
                rule.matches_form(command, context, operands)
            };
            if holds {
                decisive = Some(rule);
                if rule.decision == Decision::Deny {
                    break;
                }
            }
        }
        let text = command_text(command);
        let (decision, rule, reason) = match decisive {
            Some(rule) => (Some(rule.decision), Some(rule.id.clone()), rule.reason.clone()),
            None if kind == PartKind::Wrapper => match impostor(command, context) {
                Some(program) => (
                    Some(self.settings.default),
                    None,
                    format!(
                        "`{program}` may not be the `{}` gate finds on its PATH, so it is not seen through as a wrapper; settings.default",
                        base.as_deref().unwrap_or("?")
                    ),
                ),
                // A wrapper gate knows is judged by its own options.
                None => match wrapper_objection(form.as_ref()) {
                    Some(why) => (Some(self.settings.default), None, format!("{why}; settings.default")),
                    None => (None, None, "a wrapper no rule names".into()),
                },
            },
            None => {
                let program = base.as_deref().unwrap_or("the command");
                let variable = || {
                    self.candidates(base.as_deref()).find_map(|rule| {
                        rule.matches_but_for_variable(as_known, context).map(|name| (rule, name))
                    })
                };
                let reason = match (not_held, variable()) {
                    (Some(why), _) => format!("{why}; settings.default"),
                    (None, Some((rule, name))) => format!(
                        "rule {} allows `{program}` but not with {name} set, which can make it run other code; settings.default",
                        rule.id
                    ),
                    (None, None) => match &form {
                        Some(Form::Unknown { word, why }) => format!("`{word}` {why}; settings.default"),
                        _ => format!("no rule matches `{program}`; settings.default"),
                    },
                };
                (Some(self.settings.default), None, reason)
            }
        };
        let mut part = Part { kind, text, via: command.via.clone(), decision, rule, reason };
        // An allow rule that names where its output goes (`redirects`) vouches for writing there.
        let vouched =
            decisive.is_some_and(|rule| rule.decision == Decision::Allow && rule.redirects.is_some());
        if let Some(verdict) = self.paths_verdict(command, form.as_ref(), context, vouched)
            // On a tie with a setting, the path says more than "no rule matches".
            && part.decision.is_none_or(|decision| {
                verdict.decision > decision || (verdict.decision == decision && part.rule.is_none())
            })
        {
            part.decision = Some(verdict.decision);
            part.rule = Some(verdict.rule().to_string());
            part.reason = verdict.reason;
        }
        part
    }

    /// Whether an allow rule holds: it matches the known form (or, for a program gate has no
    /// knowledge of, the words as written, none of the rest an option), and the form neither
    /// reaches the network nor runs code. When the words match but it does not hold, `why` says
    /// so, naming the word.
    fn allow_holds(
        &self,
        rule: &super::rule::Rule,
        command: &SimpleCommand,
        as_known: &SimpleCommand,
        form: Option<&Form>,
        context: &Context,
        why: &mut Option<String>,
    ) -> bool {
        match form {
            None => {
                let Some(consumed) = rule.matched_words(command, context) else {
                    return false;
                };
                if rule.options_any {
                    return true;
                }
                let option = command
                    .args()
                    .iter()
                    .enumerate()
                    .find(|(at, word)| !consumed.contains(at) && starts_with_dash(word));
                match option {
                    Some((_, word)) => {
                        why.get_or_insert_with(|| {
                            format!(
                                "rule {} allows `{}`, but gate has no knowledge of its options and `{}` is one",
                                rule.id,
                                command.program().map_or("", |word| word.text.as_str()),
                                word.text
                            )
                        });
                        false
                    }
                    None => true,
                }
            }
            Some(Form::Unknown { word, why: what }) => {
                if rule.matches(command, context) || rule.matches(as_known, context) {
                    why.get_or_insert_with(|| format!("`{word}` {what}"));
                }
                false
            }
            Some(Form::Known(known)) => {
                if !rule.matches(as_known, context) {
                    return false;
                }
                match known.findings.first() {
                    Some(finding) => {
                        why.get_or_insert_with(|| format!("`{}` {}", finding.word, finding.what));
                        false
                    }
                    None => true,
                }
            }
        }
    }

    /// The path verdict on one command alone, as `judge` folds it in (for tests of the classes).
    #[cfg(test)]
    pub(crate) fn judge_paths(
        &self,
        command: &SimpleCommand,
        context: &Context,
        vouched_writes: bool,
    ) -> Option<PathVerdict> {
        let base = command.program().and_then(|word| literal_text(word, context.home));
        let env = Env { home: context.home, start: context.cwd };
        let form = base.and_then(|text| self.programs.known_form(base_name(&text), command, &env));
        self.paths_verdict(command, form.as_ref(), context, vouched_writes)
    }

    /// The strictest verdict on the paths the command reads and writes (redirections
    /// included), and on whether it runs gate itself. For a program whose words gate cannot
    /// account for, every word counts as a possible read and write, of which only reading a
    /// secret and a denied write count. No rule loosens this: it is folded in after the rules.
    fn paths_verdict(
        &self,
        command: &SimpleCommand,
        form: Option<&Form>,
        context: &Context,
        vouched_writes: bool,
    ) -> Option<PathVerdict> {
        let values: Vec<Word> = match form {
            Some(Form::Known(_)) => Vec::new(),
            _ => command.args().iter().filter_map(option_value).collect(),
        };
        let mut best = super::effects::judge_self_invocation(command, context.home);
        for (effect, possible) in path_effects(command, form, &values) {
            let Some(classes) = self.paths.get() else {
                return Some(super::effects::PathVerdict::undecodable());
            };
            let Some(verdict) = classes.judge(&effect, context) else {
                continue;
            };
            if vouched_writes && verdict.class == OUTSIDE {
                continue;
            }
            if possible && effect.access == Access::Write && verdict.decision != Decision::Deny {
                continue;
            }
            if verdict.decision > Decision::Allow
                && best.as_ref().is_none_or(|best| verdict.decision > best.decision)
            {
                best = Some(verdict);
            }
        }
        best
    }
}

/// What the paths of one command are: `(effect, possible)`, where `possible` marks a word of a
/// command gate cannot read, which may or may not be a path.
fn path_effects<'c>(
    command: &'c SimpleCommand,
    form: Option<&'c Form>,
    values: &'c [Word],
) -> Vec<(PathEffect<'c>, bool)> {
    use crate::shell::RedirectKind;
    let mut effects: Vec<(PathEffect<'c>, bool)> = command
        .redirects
        .iter()
        .filter_map(|redirect| {
            let access = match redirect.kind {
                // A here-document's body is text, not a path. It ends with a newline, which a
                // redirection's word as written cannot (unquoted, a newline ends the word).
                RedirectKind::Input if redirect.target.text.ends_with('\n') => return None,
                RedirectKind::Input => Access::Read,
                RedirectKind::Output => Access::Write,
            };
            let effect = PathEffect {
                access,
                path: &redirect.target,
                cwd: &command.cwd,
                via: "redirection".into(),
                vars: &command.assignments,
            };
            Some((effect, false))
        })
        .collect();
    // Arguments appended at run time (`… | xargs cat`): paths gate cannot see, of the kind the
    // next operand would have.
    static APPENDED: std::sync::LazyLock<Word> =
        std::sync::LazyLock::new(|| Word::unknown("(arguments xargs appends)"));
    if let (true, Some(Form::Known(known))) = (command.more_args, form) {
        let access = match known.appended {
            Some(Some(Kind::Read | Kind::Script)) | None => Some(Access::Read),
            Some(Some(Kind::Write)) => Some(Access::Write),
            Some(Some(Kind::Delete)) => Some(Access::Delete),
            _ => None,
        };
        if let Some(access) = access {
            effects.push((
                PathEffect {
                    access,
                    path: &APPENDED,
                    cwd: &command.cwd,
                    via: "appended argument".into(),
                    vars: &command.assignments,
                },
                false,
            ));
        }
    }
    match form {
        Some(Form::Known(known)) => effects.extend(known.effects.iter().map(|effect| {
            let cwd = &known.cwds[effect.cwd];
            (
                PathEffect {
                    access: effect.access,
                    path: &effect.path,
                    cwd,
                    via: effect.via.clone(),
                    vars: &command.assignments,
                },
                false,
            )
        })),
        _ => {
            // A parameter bash sets to a number (`kill $$`, `wait $!`) names no file of note.
            for word in command.args().iter().chain(values).filter(|word| !is_number_parameter(&word.text)) {
                for access in [Access::Read, Access::Write] {
                    effects.push((
                        PathEffect {
                            access,
                            path: word,
                            cwd: &command.cwd,
                            via: "argument".into(),
                            vars: &command.assignments,
                        },
                        true,
                    ));
                }
            }
        }
    }
    effects
}

/// `$$`, `$!`, `$?`, `$#` (bare, quoted or braced): bash sets them to a number.
fn is_number_parameter(text: &str) -> bool {
    let text = text.trim_matches('"');
    let name =
        text.strip_prefix("${").and_then(|rest| rest.strip_suffix('}')).or_else(|| text.strip_prefix('$'));
    matches!(name, Some("$" | "!" | "?" | "#"))
}

/// Why a wrapper gate has knowledge of is not fine by its own options, if it is not.
fn wrapper_objection(form: Option<&Form>) -> Option<String> {
    match form? {
        Form::Unknown { word, why } => Some(format!("`{word}` {why}")),
        Form::Known(known) => {
            known.findings.first().map(|finding| format!("`{}` {}", finding.word, finding.what))
        }
    }
}

/// The command with the words at `removed` left out.
fn without(command: &SimpleCommand, removed: &[usize]) -> SimpleCommand {
    let words = command
        .words
        .iter()
        .enumerate()
        .filter(|(at, _)| !removed.contains(at))
        .map(|(_, word)| word.clone())
        .collect();
    SimpleCommand { words, ..command.clone() }
}

fn starts_with_dash(word: &Word) -> bool {
    matches!(word.pieces.first(), Some(Piece::Text(text)) if text.starts_with('-'))
}

/// A wrapper is seen through by its name; when it is given as a path (`./nohup`) or under a
/// `PATH=` of its own, the file that runs may be anything. Returns the program as written when
/// it is not the file the bare name runs on gate's PATH.
fn impostor(command: &SimpleCommand, context: &Context) -> Option<String> {
    let program = literal_text(command.program()?, context.home)?;
    let path_assigned = command.assignments.iter().any(|(name, _)| name == "PATH");
    if !program.contains('/') && !path_assigned {
        return None;
    }
    let real = context.resolver.runs_as(&program, command, base_name(&program), context.home, context.cwd);
    (!real).then(|| program.into_owned())
}

/// The command as written: its words, then its redirections.
fn command_text(command: &SimpleCommand) -> String {
    use crate::shell::RedirectKind;
    let words = command.words.iter().map(|word| word.text.clone());
    let redirects = command.redirects.iter().map(|redirect| match redirect.kind {
        RedirectKind::Output => format!("> {}", redirect.target.text),
        RedirectKind::Input => format!("< {}", redirect.target.text),
    });
    words.chain(redirects).collect::<Vec<_>>().join(" ")
}
