//! Shell analysis: turn a command line (or an argument vector) into the simple commands that will
//! run, seeing through quoting, lists, pipelines, substitutions, `sh -c` scripts and wrappers.
//! Whatever cannot be seen before it runs is reported as opaque, never dropped.

mod ansi_c;
mod arith;
mod builtins;
mod cwd;
mod dialect;
mod effects;
mod found;
mod interpreters;
mod kind;
mod network;
mod optscan;
mod parse;
mod runners;
mod state;
mod types;
mod walk;
mod words;
mod wrappers;

#[cfg(test)]
mod cwd_tests;
#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod tests;

pub use types::{Analysis, Cwd, Piece, Redirect, RedirectKind, SimpleCommand, Unit, Word};

/// Analyses one shell line, as `bash -c LINE` would run it.
pub fn analyze_line(line: &str) -> Analysis {
    walk::analyze_line(line)
}

/// Analyses a line given as bytes, as `bash -c LINE` would run it. Bytes that are not UTF-8
/// leave the line's syntax as it is (every shell operator is ASCII) but make the words that
/// hold them partly unknown; a NUL byte, where bash would cut the line, makes it opaque.
pub fn analyze_line_bytes(line: &[u8]) -> Analysis {
    walk::analyze_line_bytes(line)
}

/// Analyses an argument vector that will be executed directly (no shell in between).
pub fn analyze_argv(argv: &[std::ffi::OsString]) -> Analysis {
    walk::analyze_argv(argv)
}
