//! Judges an analysed line: each simple command by the strictest rule that matches it, opaque
//! parts and parse errors by the settings, and the line by its strictest part.

use super::effects::{Access, OUTSIDE, PathEffect, PathVerdict};
use super::rule::{Context, base_name, literal_text};
use super::{Decision, Policy};
use crate::shell::{Analysis, SimpleCommand, Unit};
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

    /// The strictest matching rule for one command; ties go to the rule written first.
    fn judge(&self, command: &SimpleCommand, kind: PartKind, context: &Context) -> Part {
        let program = command.program().map(|word| literal_text(word, context.home));
        let base = match &program {
            Some(Some(text)) => Some(base_name(text).to_string()),
            _ => None,
        };
        let computed_program = matches!(program, Some(None));
        let mut decisive: Option<&super::rule::Rule> = None;
        let candidates: Box<dyn Iterator<Item = &super::rule::Rule>> = if computed_program {
            Box::new(self.rules.iter())
        } else {
            Box::new(self.candidates(base.as_deref()))
        };
        for rule in candidates {
            if decisive.is_some_and(|best| best.decision >= rule.decision) {
                continue;
            }
            if rule.matches(command, context) {
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
                None => (None, None, "a wrapper no rule names".into()),
            },
            None => {
                let program = base.as_deref().unwrap_or("the command");
                let writer = self
                    .candidates(base.as_deref())
                    .find(|rule| rule.matches_but_for_writes(command, context));
                let variable = || {
                    self.candidates(base.as_deref()).find_map(|rule| {
                        rule.matches_but_for_variable(command, context).map(|name| (rule, name))
                    })
                };
                let reason = match (writer, writer.is_none().then(variable).flatten()) {
                    (Some(rule), _) => format!(
                        "rule {} allows `{program}` but not its output to a file; settings.default",
                        rule.id
                    ),
                    (None, Some((rule, name))) => format!(
                        "rule {} allows `{program}` but not with {name} set, which can make it run other code; settings.default",
                        rule.id
                    ),
                    (None, None) => format!("no rule matches `{program}`; settings.default"),
                };
                (Some(self.settings.default), None, reason)
            }
        };
        // An allow rule that names where its output goes (`redirects`) vouches for writing there.
        let vouched =
            decisive.is_some_and(|rule| rule.decision == Decision::Allow && rule.redirects.is_some());
        let (decision, rule, reason) = match self.judge_paths(command, context, vouched) {
            // On a tie with a setting, the path says more than "no rule matches".
            Some(verdict)
                if decision.is_none_or(|decision| {
                    verdict.decision > decision || (verdict.decision == decision && rule.is_none())
                }) =>
            {
                (Some(verdict.decision), Some(verdict.rule().to_string()), verdict.reason)
            }
            _ => (decision, rule, reason),
        };
        Part { kind, text, via: command.via.clone(), decision, rule, reason }
    }

    /// What the command does to paths, and whether it runs gate itself: the strictest verdict.
    /// The paths are its redirections' targets (the program knowledge adds its options' and
    /// operands'). No rule loosens this: it is folded in after the rules, strictest wins.
    pub(crate) fn judge_paths(
        &self,
        command: &SimpleCommand,
        context: &Context,
        vouched_writes: bool,
    ) -> Option<PathVerdict> {
        use crate::shell::RedirectKind;
        let mut best = super::effects::judge_self_invocation(command, context.home);
        for redirect in &command.redirects {
            let access = match redirect.kind {
                // A here-document's body is text, not a path. It ends with a newline, which a
                // redirection's word as written cannot (unquoted, a newline ends the word).
                RedirectKind::Input if redirect.target.text.ends_with('\n') => continue,
                RedirectKind::Input => Access::Read,
                RedirectKind::Output => Access::Write,
            };
            let effect =
                PathEffect { access, path: &redirect.target, cwd: &command.cwd, via: "redirection".into() };
            let verdict = self.paths.judge(&effect, context);
            let verdict = verdict.filter(|verdict| !(vouched_writes && verdict.class == OUTSIDE));
            if let Some(verdict) = verdict
                && best.as_ref().is_none_or(|best| verdict.decision > best.decision)
            {
                best = Some(verdict);
            }
        }
        best
    }
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
