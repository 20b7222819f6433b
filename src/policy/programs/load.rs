//! Compiles `[[programs]]` tables into [`Program`]s, collecting every error with its position,
//! and loads the knowledge embedded in the binary once per process.

use super::schema::{OneOrMany, RawProgram, RawValue};
use super::{Kind, Operands, Program, Value, embedded};
use crate::policy::compile::Checker;
use crate::policy::diagnostic::Diagnostic;
use crate::policy::glob::Glob;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use toml::Spanned;
use toml::de::DeTable;

type Table = HashMap<String, Arc<Program>>;

/// The embedded knowledge, and the errors found in it (an entry with errors is left out, which
/// only makes gate stricter; `gate policy lint` shows them).
pub(crate) fn embedded_knowledge() -> &'static (Table, Vec<Diagnostic>) {
    static KNOWLEDGE: OnceLock<(Table, Vec<Diagnostic>)> = OnceLock::new();
    KNOWLEDGE.get_or_init(|| {
        let mut table = Table::new();
        let mut errors = Vec::new();
        for (name, text) in embedded::FILES {
            let file = format!("policies/programs/{name}");
            let mut checker =
                Checker { file: &file, source: text, home: "", project: false, errors: Vec::new() };
            for program in read_file(&mut checker) {
                table.insert(program.name.clone(), Arc::new(program));
            }
            errors.extend(checker.errors);
        }
        (table, errors)
    })
}

/// A knowledge file: `[[programs]]` tables only.
pub(super) fn read_file(checker: &mut Checker) -> Vec<Program> {
    let (document, syntax_errors) = DeTable::parse_recoverable(checker.source);
    if !syntax_errors.is_empty() {
        for error in syntax_errors {
            checker.error(error.span().unwrap_or(0..0), error.message().trim().to_string());
        }
        return Vec::new();
    }
    let mut raw = Vec::new();
    for (key, value) in document.into_inner() {
        match key.get_ref().as_ref() {
            "programs" => raw = crate::policy::raw::each(checker, value, "programs"),
            other => checker.error(
                key.span(),
                format!("unknown key `{other}`: a knowledge file holds [[programs]] only"),
            ),
        }
    }
    compile_layer(raw, checker)
}

/// Compiles a layer's `[[programs]]`. A project layer may not add any: knowledge makes allow
/// rules hold for more forms, and the repository is written by the agent it constrains.
pub(crate) fn compile_layer(raw: Vec<Spanned<RawProgram>>, checker: &mut Checker) -> Vec<Program> {
    let mut out = Vec::new();
    for entry in raw {
        let span = entry.span();
        if checker.project {
            checker.error(
                span,
                "a project policy may not add program knowledge: it would let allow rules hold for more; add it to ~/.config/gate/policy.toml",
            );
            continue;
        }
        let before = checker.errors.len();
        let line = checker.source[..span.start.min(checker.source.len())].matches('\n').count() + 1;
        let programs = program(entry.into_inner(), checker, &format!("{}:{line}", checker.file));
        if checker.errors.len() == before {
            out.extend(programs);
        }
    }
    out
}

fn program(raw: RawProgram, checker: &mut Checker, source: &str) -> Vec<Program> {
    let names: Vec<String> = raw
        .name
        .get_ref()
        .items()
        .into_iter()
        .map(|name| name.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    if names.is_empty() || names.iter().any(String::is_empty) {
        checker.error(
            raw.name.span(),
            "a program needs a name: `name = \"cat\"` or `name = [\"cat\", \"tac\"]`",
        );
    }
    let mut flags = Vec::new();
    for flag in raw.flags.iter().flat_map(|list| list.get_ref()) {
        let text = flag.get_ref();
        if !is_option_name(text) {
            checker.error(flag.span(), format!("flag {text:?} must start with '-' and hold no blanks"));
        } else if flags.contains(text) {
            checker.error(flag.span(), format!("flag {text:?} is listed twice"));
        } else {
            flags.push(text.clone());
        }
    }
    let mut options = HashMap::new();
    for (key, value) in raw.options.iter().flat_map(|table| table.get_ref()) {
        let text = key.get_ref();
        if !is_option_name(text.trim_end_matches('=')) {
            checker.error(key.span(), format!("option {text:?} must start with '-' and hold no blanks"));
            continue;
        }
        if flags.contains(text) || flags.contains(&text.trim_end_matches('=').to_string()) {
            checker.error(key.span(), format!("{text:?} is listed both as a flag and as an option"));
            continue;
        }
        if let Some(value) = option_value(value, checker) {
            options.insert(text.clone(), value);
        }
    }
    let operands = match &raw.operands {
        Some(operands) => operand_list(operands.get_ref(), operands.span(), checker, true),
        None => Some(Operands::default()),
    };
    let numbers = raw.numbers.map(Spanned::into_inner).unwrap_or(false);
    let network = raw.network.map(Spanned::into_inner).unwrap_or(false);
    let Some(operands) = operands else {
        return Vec::new();
    };
    names
        .into_iter()
        .map(|name| Program {
            name,
            flags: flags.clone(),
            options: options.clone(),
            operands: operands.clone(),
            numbers,
            network,
            source: source.to_string(),
        })
        .collect()
}

fn is_option_name(text: &str) -> bool {
    text == "+"
        || text.len() > 1 && text.starts_with('-') && text != "--" && !text.contains(char::is_whitespace)
}

fn option_value(value: &Spanned<RawValue>, checker: &mut Checker) -> Option<Value> {
    let span = value.span();
    let (kind, operands, values) = match value.get_ref() {
        RawValue::Kind(kind) => (kind, None, None),
        RawValue::Table(table) => (&table.kind, table.operands.as_ref(), table.values.as_ref()),
    };
    let kind = value_kind(kind, span.clone(), checker)?;
    let operands = match operands {
        Some(list) => Some(operand_list(list, span.clone(), checker, true)?),
        None => None,
    };
    let values = match values {
        Some(list) => Some(
            list.iter()
                .map(|pattern| {
                    Glob::new(pattern, "")
                        .map_err(|why| checker.error(span.clone(), format!("bad glob {pattern:?}: {why}")))
                })
                .collect::<Result<Vec<_>, _>>()
                .ok()?,
        ),
        None => None,
    };
    Some(Value { kind, operands, values })
}

fn value_kind(name: &str, span: std::ops::Range<usize>, checker: &mut Checker) -> Option<Kind> {
    match Kind::parse(name) {
        Some(Kind::Subcommand | Kind::Command) => {
            checker.error(span, format!("`{name}` can only be an operand kind, not an option's value"));
            None
        }
        Some(kind) => Some(kind),
        None => {
            checker.error(span, format!("unknown kind {name:?}, expected one of {}", kind_names()));
            None
        }
    }
}

fn kind_names() -> String {
    Kind::NAMES.iter().map(|(name, _)| format!("`{name}`")).collect::<Vec<_>>().join(", ")
}

/// `"read"` or `["text", "read..."]`.
fn operand_list(
    raw: &OneOrMany,
    span: std::ops::Range<usize>,
    checker: &mut Checker,
    _top: bool,
) -> Option<Operands> {
    let mut operands = Operands::default();
    let items = raw.items();
    let single = matches!(raw, OneOrMany::One(_));
    for (at, item) in items.iter().enumerate() {
        let (name, dots) = match item.strip_suffix("...") {
            Some(name) => (name, true),
            None => (*item, false),
        };
        let kind = match Kind::parse(name) {
            Some(kind) => kind,
            None => {
                checker.error(
                    span.clone(),
                    format!("unknown operand kind {name:?}, expected one of {}", kind_names()),
                );
                return None;
            }
        };
        if kind.takes_rest() && at + 1 != items.len() {
            checker.error(span.clone(), format!("`{name}` takes every remaining word: it must come last"));
            return None;
        }
        // A single kind ("read") is every operand.
        if (dots || single) && !kind.takes_rest() {
            if operands.repeat.is_some() {
                checker.error(span.clone(), "only one operand entry may repeat (end with `...`)");
                return None;
            }
            operands.repeat = Some(at);
        }
        operands.list.push(kind);
    }
    Some(operands)
}
