//! A line that runs gate itself with other settings is an attempt to change the rules: `gate
//! exec` with `--policy`, `--db`, `--broker…` or a `GATE_*` variable is denied, a gate command
//! that changes state asks, and setting a `GATE_*` variable for any command asks. Reading
//! commands (`gate check`, `gate audit verify|log|show`, `gate --version`) raise nothing.

use super::PathVerdict;
use crate::policy::Decision;
use crate::shell::{Piece, SimpleCommand, Word};
use std::sync::OnceLock;

/// Options that choose gate's policy, log or broker.
const SETTINGS: &[&str] = &["--policy", "--db", "--broker", "--config"];

/// Subcommands that only read or print.
const READING: &[&str] =
    &["check", "policy", "completions", "help", "requests", "--version", "-V", "--help", "-h"];

/// `gate audit` subcommands that only read or print.
const AUDIT_READING: &[&str] = &["verify", "log", "show", "key", "export", "help", "--help", "-h"];

/// Builtins that set or unset variables for the rest of the line.
const SETTERS: &[&str] = &["export", "declare", "typeset", "readonly", "local", "unset"];

/// The verdict on a command that runs gate or changes its settings; `None` for any other.
pub fn judge(command: &SimpleCommand, home: &str) -> Option<PathVerdict> {
    let variable =
        command.assignments.iter().map(|(name, _)| name.as_str()).find(|name| name.starts_with("GATE_"));
    let program = command.program().and_then(Word::as_literal);
    let gate = program.as_deref().is_some_and(|program| is_gate(program, home));
    if !gate {
        if let Some(name) = variable {
            return Some(verdict(Decision::Ask, format!("sets {name}, which changes gate's settings")));
        }
        let setter = program.as_deref().is_some_and(|program| SETTERS.contains(&program));
        let named = command.args().iter().find(|word| starts_with_gate_variable(word));
        return named.filter(|_| setter).map(|word| {
            verdict(Decision::Ask, format!("sets {}, which changes gate's settings", word.text))
        });
    }
    let words = command.args();
    let setting = words.iter().find_map(|word| {
        let text = word.as_literal()?;
        let name = text.split('=').next().unwrap_or(&text).to_string();
        SETTINGS.iter().any(|setting| name.starts_with(setting)).then_some(name)
    });
    let subcommand = words.iter().find(|word| {
        !word
            .as_literal()
            .is_some_and(|text| text.starts_with("--") && text != "--version" && text != "--help")
    });
    let subcommand = subcommand.map(|word| word.as_literal());
    let changes = setting.clone().or_else(|| variable.map(str::to_string));
    match subcommand {
        Some(Some(sub)) if sub == "exec" => changes.map(|what| {
            verdict(
                Decision::Deny,
                format!("runs gate with other settings ({what}): an attempt to change the rules"),
            )
        }),
        Some(Some(sub)) if READING.contains(&sub.as_str()) && variable.is_none() => None,
        None if variable.is_none() => None,
        Some(Some(sub)) if sub == "audit" && variable.is_none() => {
            let next = words.iter().skip_while(|word| word.as_literal().as_deref() != Some("audit")).nth(1);
            match next.map(Word::as_literal) {
                Some(Some(action)) if AUDIT_READING.contains(&action.as_str()) => None,
                _ => Some(verdict(Decision::Ask, "runs `gate audit` to change the audit log's state".into())),
            }
        }
        Some(Some(sub)) => Some(verdict(
            Decision::Ask,
            match variable {
                Some(name) => format!("runs `gate {sub}` with {name} set: other settings for gate"),
                None => format!("runs `gate {sub}`, which changes gate's state"),
            },
        )),
        _ => Some(verdict(Decision::Ask, "runs gate with words known only at run time".into())),
    }
}

fn verdict(decision: Decision, reason: String) -> PathVerdict {
    PathVerdict { decision, class: "gate itself", path: String::new(), reason }
}

/// `gate` by name, or the binary that is running now by its path.
fn is_gate(program: &str, home: &str) -> bool {
    static RUNNING: OnceLock<Option<String>> = OnceLock::new();
    let running =
        RUNNING.get_or_init(|| std::env::current_exe().ok().map(|path| path.to_string_lossy().into_owned()));
    let program = match program.strip_prefix('~') {
        Some(rest) if rest.starts_with('/') => format!("{home}{rest}"),
        _ => program.to_string(),
    };
    crate::policy::rule::base_name(&program) == "gate" || running.as_deref() == Some(program.as_str())
}

fn starts_with_gate_variable(word: &Word) -> bool {
    match word.pieces.first() {
        Some(Piece::Text(text)) => text.starts_with("GATE_"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::{Analysis, Unit, analyze_line};

    fn decide(line: &str) -> Option<Decision> {
        let Analysis { units, .. } = analyze_line(line);
        units
            .iter()
            .filter_map(|unit| match unit {
                Unit::Command(command) | Unit::Wrapper(command) => judge(command, "/home/u"),
                Unit::Opaque { .. } => None,
            })
            .map(|verdict| verdict.decision)
            .max()
    }

    #[test]
    fn gate_with_other_settings_is_never_allowed() {
        use Decision::*;
        let cases: &[(&str, Option<Decision>)] = &[
            ("GATE_POLICY=/tmp/p gate exec -- ls", Some(Deny)),
            ("gate exec --policy /tmp/p -- ls", Some(Deny)),
            ("gate exec --policy=/tmp/p -c ls", Some(Deny)),
            ("gate exec --db /tmp/x.db -- ls", Some(Deny)),
            ("GATE_BROKER_URL=http://x gate exec -- ls", Some(Deny)),
            ("env GATE_DB=/tmp/x gate exec -- ls", Some(Deny)),
            ("/usr/local/bin/gate exec --policy p -- ls", Some(Deny)),
            ("gate exec -- ls", None),
            ("gate check -c 'rm -rf /'", None),
            ("gate check --policy p -c ls", None),
            ("gate --version", None),
            ("gate audit verify", None),
            ("gate audit log -n 5", None),
            ("gate audit show 3", None),
            ("gate audit checkpoint --out x", Some(Ask)),
            ("gate serve --config b.toml", Some(Ask)),
            ("gate approve 1234", Some(Ask)),
            ("gate \"$X\" -- ls", Some(Ask)),
            ("GATE_DB=/tmp/x ls", Some(Ask)),
            ("export GATE_POLICY=/tmp/p", Some(Ask)),
            ("unset GATE_DB", Some(Ask)),
            ("export PATH=/x", None),
            ("ls", None),
            ("gated --policy x", None),
        ];
        for (line, expected) in cases {
            assert_eq!(decide(line), *expected, "{line}");
        }
    }
}
