//! Placeholder walk: treats the argument vector as one command. Replaced by the brush-parser walk.

use super::{Analysis, SimpleCommand, Unit, Word};
use std::ffi::OsString;

pub(crate) fn analyze_line(_line: &str) -> Analysis {
    Analysis { units: vec![], parse_error: Some("shell parsing not implemented yet".into()) }
}

pub(crate) fn analyze_argv(argv: &[OsString]) -> Analysis {
    let words = argv
        .iter()
        .map(|arg| match arg.to_str() {
            Some(text) => Word::literal(text),
            None => Word::unknown(arg.to_string_lossy()),
        })
        .collect();
    Analysis { units: vec![Unit::Command(SimpleCommand { words, ..Default::default() })], parse_error: None }
}
