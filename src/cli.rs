//! The command-line interface: clap types only. Each subcommand's arguments live with its command.

use crate::commands::{audit::AuditArgs, check::CheckArgs, completions::CompletionsArgs, exec::ExecArgs};
use clap::{Parser, Subcommand};

/// An auditable pause between an automated agent's decision and the execution of a shell command.
#[derive(Debug, Parser)]
#[command(name = "gate", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Exec(ExecArgs),
    Check(CheckArgs),
    Policy(crate::commands::policy::PolicyCommandArgs),
    Audit(AuditArgs),
    Completions(CompletionsArgs),
    Serve(crate::commands::serve::ServeArgs),
    Requests(crate::commands::requests::RequestsArgs),
    Approve(crate::commands::decide::DecideArgs),
    /// Deny a pending request on the broker (ID: any unique prefix)
    Deny(crate::commands::decide::DecideArgs),
    Hook(crate::commands::hook::HookArgs),
    Init(crate::commands::init::InitArgs),
    Shell(crate::commands::shell::ShellArgs),
    Mcp(crate::commands::mcp::McpArgs),
    Doctor(crate::commands::doctor::DoctorArgs),
    Prefix(crate::commands::prefix::PrefixArgs),
}
