//! `gate audit`: verify the hash chain and read the log.

use crate::audit::{AuditLog, Entry, VerifyReport};
use crate::display::escape_controls;
use crate::exit_code;
use anyhow::Context as _;
use std::path::PathBuf;

/// Verify and read the audit log.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, clap::Args)]
pub struct DatabaseArg {
    /// The audit database [default: $GATE_DB, else ~/.local/share/gate/audit.db]
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Prove that no entry was edited, removed, inserted or reordered
    ///
    /// Exits 0 when intact (and prints the count and head hash), 1 naming the first damaged
    /// entry, 2 when the log cannot be read.
    ///
    /// Examples:
    ///   gate audit verify
    ///   gate audit verify --db /var/lib/gate/audit.db --json
    #[command(verbatim_doc_comment)]
    Verify {
        #[command(flatten)]
        database: DatabaseArg,
        /// Print one JSON object
        #[arg(long)]
        json: bool,
    },
    /// Show the latest entries
    ///
    /// Examples:
    ///   gate audit log
    ///   gate audit log -n 100 --json
    #[command(verbatim_doc_comment)]
    Log {
        #[command(flatten)]
        database: DatabaseArg,
        /// How many entries, newest last
        #[arg(short = 'n', long, default_value_t = 20)]
        count: usize,
        /// One JSON object per line
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: AuditArgs) -> anyhow::Result<i32> {
    match args.command {
        AuditCommand::Verify { database, json } => verify(database.path()?, json),
        AuditCommand::Log { database, count, json } => log(database.path()?, count, json),
    }
}

impl DatabaseArg {
    fn path(&self) -> anyhow::Result<PathBuf> {
        crate::paths::database(self.db.as_deref())
            .context("no audit log location: set HOME, XDG_DATA_HOME or GATE_DB, or pass --db")
    }
}

fn verify(path: PathBuf, json: bool) -> anyhow::Result<i32> {
    let shown = escape_controls(&path.display().to_string());
    let report = match crate::audit::verify(&path) {
        Ok(report) => report,
        Err(error) => {
            // Could not read is not the same as damaged: its own exit code.
            eprintln!("gate: {}", escape_controls(&format!("{error:#}")));
            return Ok(exit_code::USAGE);
        }
    };
    match report {
        VerifyReport::Intact { entries, head_hash, log_id } => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"intact": true, "entries": entries, "head_hash": head_hash, "log_id": log_id, "path": path})
                );
            } else {
                println!("intact: {entries} entries in {shown}\nhead:   {head_hash}\nlog id: {log_id}");
            }
            Ok(exit_code::SUCCESS)
        }
        VerifyReport::Damaged { seq, kind, detail } => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"intact": false, "seq": seq, "damage": kind.as_str(), "detail": detail, "path": path})
                );
            } else {
                println!("damaged: entry {seq}: {kind}: {}", escape_controls(&detail));
            }
            Ok(exit_code::FAILED)
        }
    }
}

fn log(path: PathBuf, count: usize, json: bool) -> anyhow::Result<i32> {
    if !path.exists() {
        anyhow::bail!("no audit log at {} yet: it is created by the first `gate exec`", path.display());
    }
    let entries = AuditLog::open(&path)?.recent(count)?;
    for entry in &entries {
        if json {
            println!("{}", entry.to_json());
        } else {
            println!("{}", row(entry));
        }
    }
    Ok(exit_code::SUCCESS)
}

/// One readable line: seq, time, what happened, who, and the command.
fn row(entry: &Entry) -> String {
    let record = &entry.record;
    let what = match record.kind {
        crate::audit::Kind::Genesis => format!("genesis of log {}", entry.log_id),
        crate::audit::Kind::Decision => {
            let verdict = record.verdict.as_deref().unwrap_or("?");
            let rule = record.rule.as_deref().map(|rule| format!(" [{rule}]")).unwrap_or_default();
            let by = record.approver.as_deref().map(|who| format!(" by {who}")).unwrap_or_default();
            let command = match (&record.line, &record.argv) {
                (Some(line), _) => line.clone(),
                (None, Some(argv)) => crate::audit::decode_argv(argv)
                    .map_or_else(|| argv.clone(), |argv| crate::display::argv_line(&argv)),
                (None, None) => String::new(),
            };
            format!(
                "{verdict}{by}{rule} {}@{}: {command}",
                record.user.as_deref().unwrap_or("?"),
                record.host.as_deref().unwrap_or("?")
            )
        }
        crate::audit::Kind::Outcome => match (record.exit_code, record.signal, &record.error) {
            (_, _, Some(error)) => format!("not started: {error}"),
            (_, Some(signal), _) => format!("killed by signal {signal}"),
            (Some(code), _, _) => format!("exited {code}"),
            _ => "ended".into(),
        },
    };
    let duration = record.duration_ms.map(|ms| format!(" ({ms} ms)")).unwrap_or_default();
    escape_controls(&format!("{:>6}  {}  {what}{duration}", entry.seq, record.time))
}
