//! `gate mcp`: gate as an MCP server over stdio, with one tool that runs shell commands through
//! gate.

use super::input::PolicyArgs;
use std::path::PathBuf;

/// Serve MCP on stdio: one tool, run_command, that runs a shell line through gate
///
/// The tool classifies, approves, records, runs and records the line, and returns its exit code,
/// stdout and stderr.
///
/// Speaks MCP 2026-07-28 (server/discover, _meta on each request) and the 2025-11-25 handshake
/// (initialize). On ask, gate asks through its own approvers (the terminal, the broker). Ends
/// when stdin ends.
///
/// Example client configuration (Claude Code's .mcp.json, and most clients):
///   {"mcpServers": {"gate": {"command": "gate", "args": ["mcp"]}}}
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct McpArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,

    /// The audit database [default: $GATE_DB, else ~/.local/share/gate/audit.db]
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,

    /// The most bytes of stdout, and of stderr, returned for one command
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024)]
    pub max_output: usize,
}

pub fn run(args: McpArgs) -> anyhow::Result<i32> {
    let settings =
        crate::mcp::Settings { policy: args.policy.policy, db: args.db, max_output: args.max_output };
    crate::mcp::serve(&settings)?;
    Ok(crate::exit_code::SUCCESS)
}
