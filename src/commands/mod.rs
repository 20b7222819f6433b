//! One module per subcommand, each owning its arguments and a `run` function.

pub mod audit;
pub mod check;
pub mod completions;
pub mod decide;
pub mod doctor;
pub mod exec;
pub mod hook;
pub mod init;
pub mod input;
pub mod mcp;
pub use input::UsageError;
pub mod policy;
pub mod prefix;
pub mod requests;
pub mod serve;
pub mod shell;

use crate::cli::{Cli, Command};

/// Runs the chosen subcommand and returns gate's exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    if matches!(
        cli.command,
        Command::Check(_)
            | Command::Policy(_)
            | Command::Audit(_)
            | Command::Completions(_)
            | Command::Requests(_)
    ) {
        crate::runner::quit_on_broken_pipe();
    }
    match cli.command {
        Command::Exec(args) => exec::run(args),
        Command::Check(args) => check::run(args),
        Command::Policy(args) => policy::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Requests(args) => requests::run(args),
        Command::Approve(args) => decide::approve(args),
        Command::Deny(args) => decide::deny(args),
        Command::Hook(args) => hook::run(args),
        Command::Init(args) => init::run(args),
        Command::Shell(args) => shell::run(args),
        Command::Mcp(args) => mcp::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Prefix(args) => prefix::run(args),
    }
}
