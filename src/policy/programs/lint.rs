//! `gate policy lint` on the knowledge: errors in the embedded files, and allow rules that name
//! a program (or subcommand) gate has no knowledge of, with what to add.

use super::{Kind, embedded_knowledge};
use crate::policy::{Decision, Diagnostic, Policy};

impl Policy {
    /// Errors in the built-in knowledge, and warnings about allow rules that name programs gate
    /// has no knowledge of (with what to add).
    pub fn lint_knowledge(&self) -> (Vec<Diagnostic>, Vec<String>) {
        lint_knowledge(self)
    }
}

/// Warnings and errors about the knowledge a policy uses.
pub(crate) fn lint_knowledge(policy: &Policy) -> (Vec<Diagnostic>, Vec<String>) {
    let errors = embedded_knowledge().1.clone();
    let mut warnings = Vec::new();
    for rule in policy.rules.iter().filter(|rule| rule.decision == Decision::Allow && !rule.options_any) {
        for pattern in rule.patterns.iter().flatten() {
            let Some(program) = pattern.index_name() else {
                continue;
            };
            let words: Vec<&str> = pattern.words.iter().filter_map(|glob| glob.literal()).collect();
            if let Some(missing) = missing(policy, &program, &words) {
                warnings.push(format!(
                    "warning: rule {} allows `{}`, which gate has no knowledge of: the rule holds only when no word after it starts with '-'. Add a [[programs]] table (name = \"{missing}\", flags = [...], options = {{ \"-o\" = \"write\" }}, operands = \"read\") or write options = \"any\" on the rule",
                    rule.id,
                    std::iter::once(program.as_str()).chain(words.iter().copied()).collect::<Vec<_>>().join(" "),
                ));
            }
        }
    }
    (errors, warnings)
}

/// The name of the entry gate lacks for `program words…`, if it lacks one: the program itself,
/// or the subcommand its operands name.
fn missing(policy: &Policy, program: &str, words: &[&str]) -> Option<String> {
    let mut name = program.to_string();
    let Some(mut spec) = policy.programs.get(&name) else {
        return Some(name);
    };
    for word in words {
        if spec.operands.list.first() != Some(&Kind::Subcommand) || word.starts_with('-') {
            return None;
        }
        name = format!("{name} {word}");
        spec = match policy.programs.get(&name) {
            Some(spec) => spec,
            None => return Some(name),
        };
    }
    None
}
