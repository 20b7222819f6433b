//! `gate audit`: verify the hash chain, sign checkpoints of its head, and read the log.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::audit::{Checkpoint, Entry, Filter, Notice, PublicKey, SecretKey, VerifyReport};
use crate::display::escape_controls;
use crate::exit_code;

/// Verify, checkpoint and read the audit log.
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

#[derive(Debug, clap::Args)]
pub struct FilterArgs {
    /// Only entries at or after this time: RFC 3339, a date, or a duration ago (2h, 7days)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only entries before this time (same forms as --since)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only decisions with this policy decision or verdict
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(DECISIONS_AND_VERDICTS))]
    pub decision: Option<String>,
    /// Only decisions made by this rule
    #[arg(long)]
    pub rule: Option<String>,
    /// Only requests by this user
    #[arg(long)]
    pub user: Option<String>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ExportFormat {
    /// One JSON object per line, as `gate audit log --json`
    Jsonl,
    /// RFC 4180 CSV with a header row; argv as its JSON text
    Csv,
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Prove that no entry was edited, removed, inserted or reordered
    ///
    /// Exits 0 when intact (and prints the count and head hash), 1 naming the first damaged
    /// entry, 2 when the log (or the checkpoint) cannot be read or used. With --checkpoint, also
    /// proves that the log still holds the chain the checkpoint signed: not truncated, not rolled
    /// back, not rebuilt. An intact log may come with notices: bytes in the file that no entry
    /// depends on, which a log only gate wrote does not hold (something else wrote to the file).
    ///
    /// Examples:
    ///   gate audit verify
    ///   gate audit verify --db /var/lib/gate/audit.db --json
    ///   gate audit verify --checkpoint /mnt/offsite/gate.checkpoint
    #[command(verbatim_doc_comment)]
    Verify {
        #[command(flatten)]
        database: DatabaseArg,
        /// Print one JSON object
        #[arg(long)]
        json: bool,
        /// A signed checkpoint (from `gate audit checkpoint`) the log must still match
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// The public key that signed the checkpoint (from `gate audit key`)
        /// [default: the public half of this machine's checkpoint key]
        #[arg(long, value_name = "FILE", requires = "checkpoint")]
        key: Option<PathBuf>,
        /// Also check every broker decision's signature with this key (the broker's `/v1/key`
        /// value, or a file holding it): who approved which exact command
        #[arg(long, value_name = "KEY|FILE")]
        broker_key: Option<String>,
    },
    /// Verify the log, then sign a checkpoint of its head (stdout, or --out FILE)
    ///
    /// The key is made on first use: $GATE_AUDIT_KEY, else ~/.config/gate/audit-key (0600).
    /// Keep copies of checkpoints away from the database: they are what reveals a truncated,
    /// rolled-back or rebuilt log.
    ///
    /// Examples:
    ///   gate audit checkpoint --out /mnt/offsite/gate.checkpoint
    #[command(verbatim_doc_comment)]
    Checkpoint {
        #[command(flatten)]
        database: DatabaseArg,
        /// Write the note to this file (replaced atomically) instead of stdout
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Also POST it as JSON to this webhook, so a copy lives where the log's writers cannot reach
        #[arg(long, value_name = "URL")]
        post: Option<String>,
    },
    /// Print the public key that verifies this machine's checkpoints (made on first use)
    Key,
    /// Show entries, newest last: a table, or JSON lines
    ///
    /// Examples:
    ///   gate audit log
    ///   gate audit log -n 100 --json
    ///   gate audit log --since 2h --decision deny
    ///   gate audit log --user ann --rule git-push --since 2026-11-01 --until 2026-12-01
    #[command(verbatim_doc_comment)]
    Log {
        #[command(flatten)]
        database: DatabaseArg,
        /// How many entries, newest last
        #[arg(short = 'n', long, default_value_t = 20)]
        count: usize,
        #[command(flatten)]
        filter: FilterArgs,
        /// One JSON object per line
        #[arg(long)]
        json: bool,
    },
    /// Show one entry with every field
    Show {
        #[command(flatten)]
        database: DatabaseArg,
        /// The entry's seq
        seq: i64,
        /// One JSON object
        #[arg(long)]
        json: bool,
    },
    /// Stream matching entries, oldest first, for a SIEM
    ///
    /// Examples:
    ///   gate audit export --format jsonl > audit.jsonl
    ///   gate audit export --format csv --since 7days > week.csv
    #[command(verbatim_doc_comment)]
    Export {
        #[command(flatten)]
        database: DatabaseArg,
        #[arg(long, value_enum)]
        format: ExportFormat,
        #[command(flatten)]
        filter: FilterArgs,
    },
}

pub fn run(args: AuditArgs) -> anyhow::Result<i32> {
    match args.command {
        AuditCommand::Verify { database, json, checkpoint, key, broker_key } => {
            let broker_key = match broker_key.as_deref().map(read_broker_key).transpose() {
                Ok(key) => key,
                Err(message) => {
                    eprintln!("gate: {}", escape_controls(&message));
                    return Ok(exit_code::UNREADABLE);
                }
            };
            verify(&database.path()?, json, checkpoint.as_deref(), key.as_deref(), broker_key.as_ref())
        }
        AuditCommand::Checkpoint { database, out, post } => {
            checkpoint(&database.path()?, out.as_deref(), post.as_deref())
        }
        AuditCommand::Key => {
            println!("{}", secret_key()?.public().to_text());
            Ok(exit_code::SUCCESS)
        }
        AuditCommand::Log { database, count, filter, json } => match filter.parse() {
            Ok(filter) => log(&database.path()?, count, &filter, json),
            Err(message) => usage(&message),
        },
        AuditCommand::Show { database, seq, json } => show(&database.path()?, seq, json),
        AuditCommand::Export { database, format, filter } => match filter.parse() {
            Ok(filter) => export(&database.path()?, format, &filter),
            Err(message) => usage(&message),
        },
    }
}

/// What `--decision` can name: the policy's decisions and the verdicts recorded with them.
const DECISIONS_AND_VERDICTS: [&str; 10] = [
    "allow",
    "ask",
    "deny",
    "allowed",
    "denied",
    "approved",
    "rejected",
    "timed-out",
    "no-approver",
    "approval-failed",
];

/// A value on the command line that cannot be used: said like clap says it, with its exit code.
fn usage(message: &str) -> anyhow::Result<i32> {
    eprintln!("gate: {}", escape_controls(message));
    Ok(exit_code::USAGE)
}

impl DatabaseArg {
    fn path(&self) -> anyhow::Result<PathBuf> {
        crate::paths::database(self.db.as_deref())
            .context("no audit log location: set HOME, XDG_DATA_HOME or GATE_DB, or pass --db")
    }
}

impl FilterArgs {
    fn parse(self) -> Result<Filter, String> {
        let now = std::time::SystemTime::now();
        let time = |flag: &str, text: Option<String>| -> Result<Option<String>, String> {
            text.map(|t| crate::audit::parse_time(&t, now).map_err(|e| format!("{flag}: {e}"))).transpose()
        };
        Ok(Filter {
            since: time("--since", self.since)?,
            until: time("--until", self.until)?,
            decision: self.decision,
            rule: self.rule,
            user: self.user,
        })
    }
}

fn secret_key() -> anyhow::Result<SecretKey> {
    let path = crate::paths::audit_key()
        .context("no place for the checkpoint key: set HOME, XDG_CONFIG_HOME or GATE_AUDIT_KEY")?;
    Ok(SecretKey::load_or_create(&path)?)
}

/// Reads and checks a checkpoint note, printing why it cannot be used.
fn open_checkpoint(file: &Path, key: Option<&Path>) -> Result<Checkpoint, String> {
    let shown = escape_controls(&file.display().to_string());
    let note =
        std::fs::read_to_string(file).map_err(|e| format!("cannot read the checkpoint {shown}: {e}"))?;
    let public = match key {
        Some(key) => {
            let text = std::fs::read_to_string(key)
                .map_err(|e| format!("cannot read the key {}: {e}", key.display()))?;
            PublicKey::parse(&text).map_err(|e| format!("{} is not a public key ({e})", key.display()))?
        }
        None => secret_key().map_err(|e| format!("{e:#}"))?.public(),
    };
    Checkpoint::open(&note, &public).map_err(|e| format!("the checkpoint {shown} is rejected: {e}"))
}

/// A broker key given as its text, or as a file holding it.
fn read_broker_key(given: &str) -> Result<PublicKey, String> {
    let text = match PublicKey::parse(given) {
        Ok(key) => return Ok(key),
        Err(_) => std::fs::read_to_string(given)
            .map_err(|e| format!("--broker-key: not a key, and not a file holding one ({e})"))?,
    };
    PublicKey::parse(&text).map_err(|e| format!("--broker-key: {given} does not hold a broker key ({e})"))
}

fn verify(
    path: &Path,
    json: bool,
    checkpoint_file: Option<&Path>,
    key: Option<&Path>,
    broker_key: Option<&PublicKey>,
) -> anyhow::Result<i32> {
    let shown = escape_controls(&path.display().to_string());
    let mut approvals = None;
    let checkpoint = match checkpoint_file.map(|file| open_checkpoint(file, key)).transpose() {
        Ok(checkpoint) => checkpoint,
        Err(message) => {
            eprintln!("gate: {message}");
            return Ok(exit_code::UNREADABLE);
        }
    };
    let report = match crate::audit::verify_with(path, checkpoint.as_ref()) {
        Ok(intact @ VerifyReport::Intact { .. }) if let Some(broker_key) = broker_key => {
            match crate::audit::verify_approvals(path, broker_key) {
                Ok(check) => match check.failed {
                    None => {
                        approvals = Some(check.verified);
                        intact
                    }
                    Some((seq, detail)) => VerifyReport::Damaged {
                        seq,
                        kind: crate::audit::DamageKind::ApprovalUnverified,
                        detail,
                    },
                },
                Err(error) => {
                    eprintln!("gate: {}", crate::display::error_line(&error));
                    return Ok(exit_code::UNREADABLE);
                }
            }
        }
        Ok(report) => report,
        // A file SQLite cannot read as a database (cut short, overwritten) is damage found.
        Err(error @ crate::audit::AuditError::Corrupt { .. }) => {
            if json {
                let value = serde_json::json!({
                    "intact": false, "seq": null, "damage": "file", "detail": error.to_string(), "path": path,
                });
                println!("{value}");
            } else {
                println!("damaged: {}", crate::display::error_line(&error));
            }
            return Ok(exit_code::FAILED);
        }
        Err(error) => {
            // Could not read is not the same as damaged: its own exit code.
            eprintln!("gate: {}", crate::display::error_line(&error));
            return Ok(exit_code::UNREADABLE);
        }
    };
    match report {
        VerifyReport::Intact { entries, head_hash, log_id, incomplete, checkpoint, notices } => {
            if json {
                let notices: Vec<_> = notices.iter().map(notice_json).collect();
                let value = serde_json::json!({
                    "intact": true, "entries": entries, "head_hash": head_hash, "log_id": log_id,
                    "incomplete": incomplete, "checkpoint": checkpoint, "notices": notices, "path": path,
                    "approvals": approvals,
                });
                println!("{value}");
            } else {
                println!("intact: {entries} entries in {shown}{}", incomplete_note(&incomplete));
                println!("head:   {head_hash}\nlog id: {log_id}");
                if let Some(size) = checkpoint {
                    println!("checkpoint: matches (entry {size} has the signed hash)");
                }
                if let (Some(count), Some(key)) = (approvals, broker_key) {
                    println!(
                        "approvals: {count} broker decisions verified with {}",
                        escape_controls(&key.id())
                    );
                }
                for notice in &notices {
                    println!("notice: {notice}");
                }
            }
            Ok(exit_code::SUCCESS)
        }
        VerifyReport::Damaged { seq, kind, detail } => {
            if json {
                let value = serde_json::json!({
                    "intact": false, "seq": seq, "damage": kind.as_str(), "detail": detail, "path": path,
                });
                println!("{value}");
            } else {
                println!("damaged: entry {seq}: {kind}: {}", escape_controls(&detail));
            }
            Ok(exit_code::FAILED)
        }
    }
}

/// A notice as `gate audit verify --json` shows it.
fn notice_json(notice: &Notice) -> serde_json::Value {
    serde_json::json!({
        "notice": notice.kind.as_str(), "page": notice.page, "byte": notice.offset,
        "pages": notice.pages, "detail": notice.detail,
    })
}

/// ` (2 incomplete requests: seq 12, 40: …)`, or nothing.
fn incomplete_note(incomplete: &[i64]) -> String {
    if incomplete.is_empty() {
        return String::new();
    }
    let mut seqs: Vec<String> = incomplete.iter().take(10).map(i64::to_string).collect();
    if incomplete.len() > 10 {
        seqs.push("…".to_string());
    }
    let plural = if incomplete.len() == 1 { "request" } else { "requests" };
    format!(
        " ({} incomplete {plural}: seq {}; a decision with no outcome: gate was stopped while the command ran, or it still runs)",
        incomplete.len(),
        seqs.join(", ")
    )
}

fn checkpoint(path: &Path, out: Option<&Path>, post: Option<&str>) -> anyhow::Result<i32> {
    let log = crate::audit::open_read(path)?;
    let head = match crate::audit::verify(path)? {
        VerifyReport::Intact { entries, notices, .. } => {
            // Notices are not damage: the checkpoint is signed, and they are said on the way.
            for notice in &notices {
                eprintln!("gate: notice: {notice}");
            }
            log.get(i64::try_from(entries).unwrap_or(i64::MAX))?
                .context("the log changed while it was verified: retry")?
        }
        VerifyReport::Damaged { seq, kind, detail } => {
            eprintln!(
                "gate: refusing to sign a checkpoint of a damaged log: entry {seq}: {kind}: {}",
                escape_controls(&detail)
            );
            return Ok(exit_code::FAILED);
        }
    };
    let key = crate::paths::audit_key()
        .context("no place for the checkpoint key: set HOME, XDG_CONFIG_HOME or GATE_AUDIT_KEY")?;
    let (checkpoint, note) = crate::audit::sign_checkpoint(&head, &key)?;
    match out {
        Some(out) => crate::audit::write_atomically(out, note.as_bytes())?,
        None => print!("{note}"),
    }
    if let Some(url) = post {
        crate::audit::post_checkpoint(url, &checkpoint, &note)?;
    }
    Ok(exit_code::SUCCESS)
}

fn log(path: &Path, count: usize, filter: &Filter, json: bool) -> anyhow::Result<i32> {
    let entries = crate::audit::open_read(path)?.select(filter, Some(count))?;
    let decisions = entries
        .iter()
        .filter(|entry| entry.record.kind == crate::audit::Kind::Decision)
        .filter_map(|entry| Some((entry.record.request_id.as_deref()?, entry.seq)))
        .collect();
    write_out(|out| {
        for entry in &entries {
            if json {
                writeln!(out, "{}", entry.to_json())?;
            } else {
                writeln!(out, "{}", row(entry, &decisions))?;
            }
        }
        Ok(())
    })
}

fn show(path: &Path, seq: i64, json: bool) -> anyhow::Result<i32> {
    let Some(entry) = crate::audit::open_read(path)?.get(seq)? else {
        eprintln!("gate: the audit log {} has no entry {seq}", escape_controls(&path.display().to_string()));
        return Ok(exit_code::FAILED);
    };
    let value = entry.to_json();
    write_out(|out| {
        if json {
            return writeln!(out, "{value}");
        }
        // What a reader looks for first, then the rest in name order.
        const FIRST: [&str; 5] = ["seq", "time", "kind", "verdict", "decision"];
        let fields = value.as_object().into_iter().flatten();
        let (mut first, rest): (Vec<_>, Vec<_>) =
            fields.partition(|(name, _)| FIRST.contains(&name.as_str()));
        first.sort_by_key(|(name, _)| FIRST.iter().position(|f| f == name));
        for (name, field) in first.into_iter().chain(rest) {
            let text = match field {
                serde_json::Value::Null => continue,
                // Shown decoded below; `--json` has the exact text.
                serde_json::Value::String(_) if name == "approval" => continue,
                serde_json::Value::String(text) if name == "line" || name == "cwd" => {
                    crate::display::stored_text(text)
                }
                serde_json::Value::String(text) => escape_controls(text),
                other => escape_controls(&other.to_string()),
            };
            writeln!(out, "{name:>14}  {text}")?;
        }
        if let Some(text) = &entry.record.approval {
            for line in approval_lines(text) {
                writeln!(out, "{:>14}  {}", "approval", line)?;
            }
        }
        Ok(())
    })
}

/// A broker's signed decision as lines for a person: what was decided, by whom, how and why,
/// and which key signed it (whether it verifies is `gate audit verify --broker-key`'s to say).
fn approval_lines(text: &str) -> Vec<String> {
    use crate::approval::signed::{DecisionDocument, SignedDecision};
    let document = SignedDecision::from_text(text)
        .ok()
        .and_then(|signed| serde_json::from_str::<DecisionDocument>(&signed.document).ok());
    let Some(document) = document else {
        return vec![format!("(not a signed decision) {}", escape_controls(text))];
    };
    let mut lines = vec![format!(
        "{} at {}, signed by {}",
        document.decision.as_str(),
        escape_controls(&document.time),
        escape_controls(&document.key)
    )];
    for signer in &document.approvers {
        let comment =
            signer.comment.as_deref().map(|c| format!(": \"{}\"", escape_controls(c))).unwrap_or_default();
        lines.push(format!(
            "  {} via {} at {}{comment}",
            escape_controls(&signer.person),
            escape_controls(&signer.channel),
            escape_controls(&signer.time)
        ));
    }
    lines
}

fn export(path: &Path, format: ExportFormat, filter: &Filter) -> anyhow::Result<i32> {
    let log = crate::audit::open_read(path)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut failed: Option<std::io::Error> = None;
    let mut csv = format_csv_header(format, &mut out).err();
    if csv.is_none() {
        log.walk(filter, |entry| {
            let written = match format {
                ExportFormat::Jsonl => writeln!(out, "{}", entry.to_json()),
                ExportFormat::Csv => write_csv_row(&mut out, &entry),
            };
            match written {
                Ok(()) => ControlFlow::Continue(()),
                Err(error) => {
                    failed = Some(error);
                    ControlFlow::Break(())
                }
            }
        })?;
    }
    if failed.is_none() {
        failed = out.flush().err();
    }
    csv = csv.or(failed);
    finish_output(csv)
}

fn format_csv_header(format: ExportFormat, out: &mut impl Write) -> std::io::Result<()> {
    match format {
        ExportFormat::Jsonl => Ok(()),
        ExportFormat::Csv => write!(out, "{}\r\n", crate::audit::export_columns().join(",")),
    }
}

/// One CSV record (RFC 4180): fields quoted when they hold a comma, a quote or a line break.
fn write_csv_row(out: &mut impl Write, entry: &Entry) -> std::io::Result<()> {
    let fields = crate::audit::export_fields(entry);
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        if field.contains([',', '"', '\n', '\r']) {
            write!(out, "\"{}\"", field.replace('"', "\"\""))?;
        } else {
            out.write_all(field.as_bytes())?;
        }
    }
    out.write_all(b"\r\n")
}

/// Runs a writer over buffered stdout; a closed pipe (`| head`) ends quietly.
fn write_out(body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> anyhow::Result<i32> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = body(&mut out).and_then(|()| out.flush());
    finish_output(result.err())
}

fn finish_output(error: Option<std::io::Error>) -> anyhow::Result<i32> {
    match error {
        None => Ok(exit_code::SUCCESS),
        Some(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(exit_code::SUCCESS),
        Some(error) => Err(error).context("cannot write to stdout"),
    }
}

/// One readable line: seq, time, what happened, who, and the command.
/// One entry as one line. Each untrusted part is escaped once, where it is put in (an argument
/// vector is escaped as it is quoted). An outcome names the decision it closes: its seq when that
/// decision is among `decisions` (request id → seq), else the request id.
fn row(entry: &Entry, decisions: &std::collections::HashMap<&str, i64>) -> String {
    let record = &entry.record;
    let shown = |text: Option<&str>| escape_controls(text.unwrap_or("?"));
    let what = match record.kind {
        crate::audit::Kind::Genesis => format!("genesis of log {}", escape_controls(&entry.log_id)),
        crate::audit::Kind::Decision => {
            let verdict = shown(record.verdict.as_deref());
            let rule = record
                .rule
                .as_deref()
                .map(|rule| format!(" [{}]", escape_controls(rule)))
                .unwrap_or_default();
            let by = record
                .approver
                .as_deref()
                .map(|who| format!(" by {}", escape_controls(who)))
                .unwrap_or_default();
            let command = match (&record.line, &record.argv) {
                (Some(line), _) => crate::display::stored_text(line),
                (None, Some(argv)) => crate::audit::decode_argv(argv)
                    .map_or_else(|| escape_controls(argv), |argv| crate::display::argv_line(&argv)),
                (None, None) => String::new(),
            };
            format!(
                "{verdict}{by}{rule} {}@{}: {command}",
                shown(record.user.as_deref()),
                shown(record.host.as_deref())
            )
        }
        crate::audit::Kind::Outcome => {
            let ended = match (record.exit_code, record.signal, &record.error) {
                // An agent ran the command itself: gate says what it was told, not what it saw.
                (code, _, Some(note)) if record.channel.is_some() => match code {
                    Some(code) => format!("exited {code}, {}", escape_controls(note)),
                    None => escape_controls(note),
                },
                (_, _, Some(error)) => format!("not started: {}", escape_controls(error)),
                (_, Some(signal), _) => format!("killed by signal {signal}"),
                (Some(code), _, _) => format!("exited {code}"),
                _ => "ended".into(),
            };
            let closes = match record.request_id.as_deref() {
                Some(id) => match decisions.get(id) {
                    Some(seq) => format!(", closes {seq}"),
                    None => format!(", closes request {}", escape_controls(id)),
                },
                None => String::new(),
            };
            let duration = record.duration_ms.map(|ms| format!(" ({ms} ms)")).unwrap_or_default();
            format!("{ended}{duration}{closes}")
        }
    };
    format!("{:>6}  {}  {what}", entry.seq, escape_controls(&record.time))
}
