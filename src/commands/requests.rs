//! `gate requests`: what is waiting for an approver, from the broker.

use super::decide::{Connection, client, controls};
use crate::display::escape_controls;
use crate::exit_code;

/// List the broker's pending requests (with GATE_BROKER_URL and GATE_APPROVER_TOKEN)
///
/// Examples:
///   gate requests
///   gate requests --all --json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct RequestsArgs {
    /// Every request, not only the pending ones
    #[arg(long)]
    pub all: bool,

    /// Print the broker's JSON
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub connection: Connection,
}

pub fn run(args: RequestsArgs) -> anyhow::Result<i32> {
    let client = match client(&args.connection) {
        Ok(client) => client,
        Err(code) => return Ok(code),
    };
    let list = match client.list(args.all) {
        Err(crate::broker::client::ClientError::Refused { message, .. }) => {
            eprintln!("gate: {}", escape_controls(&message));
            return Ok(exit_code::FAILED);
        }
        other => other?,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(exit_code::SUCCESS);
    }
    if list.requests.is_empty() {
        println!("no {}requests", if args.all { "" } else { "pending " });
    }
    let now = crate::broker::unix_now();
    for request in &list.requests {
        let left = if request.state.is_final() {
            request.state.as_str().to_string()
        } else {
            format!("{}s left", (request.deadline - now).max(0))
        };
        println!(
            "{}  {}@{}  {}  ({}; {} of {} approvals)\n    {}",
            &request.id[..request.id.len().min(8)],
            escape_controls(&request.user),
            escape_controls(&request.host),
            request.rule.as_deref().map(escape_controls).unwrap_or_else(|| "default".into()),
            left,
            request.approvals.len(),
            request.quorum,
            controls(&request.command),
        );
    }
    Ok(exit_code::SUCCESS)
}
