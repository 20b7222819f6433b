//! `gate exec`: classify, ask if needed, record, run, record.

use super::input::{CommandArgs, Environment, PolicyArgs};
use std::path::PathBuf;

/// Run a command if the policy allows it or a human approves it; record the decision first.
///
/// Exits with the command's own code, 128+N if it died of signal N, 127 if not found, 126 if not
/// executable; 77 when refused (denied, rejected, timed out, nobody to ask, the broker failed or
/// its decision did not verify), 78 for a policy error and 74 for an audit log error, and then
/// the command never starts.
///
/// On ask, gate asks on its terminal and, when one is configured, through the approval broker
/// (`[approval]` in /etc/gate/policy.toml, which pins it; else GATE_BROKER_URL,
/// GATE_BROKER_TOKEN, GATE_BROKER_KEY): the first answer wins.
///
/// Examples:
///   gate exec -- cargo test
///   gate exec -c 'git status && git push'
///   gate exec --policy ./policy.toml --db ./audit.db -- make deploy
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct ExecArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,

    /// The audit database [default: $GATE_DB, else ~/.local/share/gate/audit.db]
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,

    #[command(flatten)]
    pub command: CommandArgs,
}

pub fn run(args: ExecArgs) -> anyhow::Result<i32> {
    let request = args.command.into_request()?;
    let (environment, policy) = Environment::for_command(&args.policy, args.db.as_deref())?;
    let database = crate::paths::database(args.db.as_deref()).ok_or_else(|| {
        anyhow::anyhow!("no place for the audit log: set HOME, XDG_DATA_HOME or GATE_DB, or pass --db")
    })?;
    let code = crate::pipeline::exec(&policy, &environment, &database, request);
    // The process ends now: freeing a large policy rule by rule would only cost time.
    std::mem::forget((policy, environment));
    code
}
