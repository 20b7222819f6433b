//! gate: an auditable pause between an automated agent's decision and the execution of a shell
//! command. Classify a command line against a policy, ask a human when the policy says so, run it
//! transparently, and record every decision and outcome in a hash-chained audit log.
#![forbid(unsafe_code)]

pub mod agents;
pub mod approval;
pub mod audit;
pub mod broker;
mod cli;
mod commands;
pub mod context;
pub mod display;
pub mod exit_code;
pub mod paths;
mod pipeline;
pub mod policy;
pub mod runner;
pub mod shell;
pub mod webhook;

pub use cli::Cli;

/// Runs gate with the process's arguments and returns the exit code.
pub fn main() -> i32 {
    use clap::Parser;
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("gate: {}", display::error_line(&error));
            exit_code::for_error(&error)
        }
    }
}
