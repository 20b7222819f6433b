//! What gate knows about a program, for `gate policy programs NAME`: as text for people and as
//! JSON for tools.

use super::{Knowledge, Program};
use serde_json::{Value as Json, json};

impl crate::policy::Policy {
    /// What gate knows about a program, for `gate policy programs`; `None` when nothing.
    pub fn describe_program(&self, name: Option<&str>, as_json: bool) -> Option<String> {
        describe(&self.programs, name, as_json)
    }
}

/// The entries for `name` and its subcommands (`git` shows `git log`, `git status`…), or every
/// program's name when `name` is `None`.
pub(crate) fn describe(knowledge: &Knowledge, name: Option<&str>, as_json: bool) -> Option<String> {
    let names = knowledge.names();
    let Some(name) = name else {
        return Some(if as_json { json!(names).to_string() } else { names.join("\n") });
    };
    let chosen: Vec<&Program> = names
        .iter()
        .filter(|known| *known == name || known.starts_with(&format!("{name} ")))
        .filter_map(|known| knowledge.get(known))
        .collect();
    if chosen.is_empty() {
        return None;
    }
    if as_json {
        return Some(Json::Array(chosen.iter().map(|program| to_json(program)).collect()).to_string());
    }
    Some(chosen.iter().map(|program| text(program)).collect::<Vec<_>>().join("\n"))
}

fn sorted_options(program: &Program) -> Vec<(&String, &super::Value)> {
    let mut options: Vec<_> = program.options.iter().collect();
    options.sort_by(|a, b| a.0.cmp(b.0));
    options
}

fn text(program: &Program) -> String {
    let mut out = format!("{}  ({})\n", program.name, program.source);
    if !program.flags.is_empty() {
        out.push_str(&format!("  flags: {}\n", program.flags.join(" ")));
    }
    for (name, value) in sorted_options(program) {
        let mut line = format!("  {name} takes {}", value.kind.name());
        if let Some(operands) = &value.operands {
            line.push_str(&format!("; then operands are: {}", operands.describe()));
        }
        if let Some(values) = &value.values {
            let values: Vec<&str> = values.iter().map(|glob| glob.text.as_str()).collect();
            line.push_str(&format!("; only {}", values.join(", ")));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&format!("  operands: {}\n", program.operands.describe()));
    if program.numbers {
        out.push_str("  -NUMBER is a number\n");
    }
    if program.network {
        out.push_str("  reaches the network\n");
    }
    out
}

fn to_json(program: &Program) -> Json {
    let options: serde_json::Map<String, Json> = sorted_options(program)
        .into_iter()
        .map(|(name, value)| {
            let mut entry = json!({ "kind": value.kind.name() });
            if let Some(operands) = &value.operands {
                entry["operands"] = json!(operands.describe());
            }
            if let Some(values) = &value.values {
                entry["values"] = json!(values.iter().map(|glob| glob.text.clone()).collect::<Vec<_>>());
            }
            (name.clone(), entry)
        })
        .collect();
    json!({
        "name": program.name,
        "source": program.source,
        "flags": program.flags,
        "options": options,
        "operands": program.operands.describe(),
        "numbers": program.numbers,
        "network": program.network,
    })
}
