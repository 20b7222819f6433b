//! gate: an auditable pause between an automated agent's decision and the execution of a shell
//! command. Classify a command line against a policy, ask a human when the policy says so, run it
//! transparently, and record every decision and outcome in a hash-chained audit log.
// One file needs `unsafe` (the child's death signal, set between fork and exec) and allows it
// for its one block; everywhere else it is an error.
#![deny(unsafe_code)]

mod agents;
pub mod approval;
pub mod audit;
pub mod broker;
mod cli;
mod commands;
pub mod context;
pub mod display;
pub mod exit_code;
mod files;
mod mcp;
pub mod paths;
mod pipeline;
pub mod policy;
pub mod runner;
pub mod shell;
pub mod start;
pub mod webhook;

pub use cli::Cli;

/// Runs gate with the process's arguments and returns the exit code.
pub fn main() -> i32 {
    use clap::Parser;
    // Called as gate-shell or gate-prefix (links to gate, for tools that take a program's
    // path): `gate shell`, `gate prefix`.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let name =
        args.first().and_then(|arg0| std::path::Path::new(arg0).file_name()).map(|name| name.to_owned());
    let command = name.and_then(|name| match name.to_str() {
        Some("gate-shell") => Some("shell"),
        Some("gate-prefix") => Some("prefix"),
        _ => None,
    });
    if let Some(command) = command {
        args.insert(1, command.into());
    }
    let parsed = cli::parse_hot(&args).map(Ok).unwrap_or_else(|| Cli::try_parse_from(args));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("gate: {}", display::error_line(error.as_ref()));
            exit_code::for_error(&error)
        }
    }
}

/// Prints clap's error (or help, or version) and returns its exit code. An error's first line
/// begins `gate: `, like every other error of gate's; its usage lines follow as clap writes them.
fn usage_error(error: &clap::Error) -> i32 {
    use clap::error::ErrorKind;
    if matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        || error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    {
        let _ = error.print();
        return if error.use_stderr() { exit_code::USAGE } else { exit_code::SUCCESS };
    }
    let text = error.render().to_string();
    eprint!("gate: {}", text.strip_prefix("error: ").unwrap_or(&text));
    exit_code::USAGE
}
