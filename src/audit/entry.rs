//! One audit log entry: what its hash covers, and the chain links around it.

/// What an entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The first entry of a log: carries the log's random id, nothing else.
    Genesis,
    /// The decision about one request, written before the command starts.
    Decision,
    /// How the command ended, written after it exits.
    Outcome,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Genesis => "genesis",
            Kind::Decision => "decision",
            Kind::Outcome => "outcome",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "genesis" => Some(Kind::Genesis),
            "decision" => Some(Kind::Decision),
            "outcome" => Some(Kind::Outcome),
            _ => None,
        }
    }
}

/// The fields an entry's hash covers, besides its sequence number, log id and the previous hash.
/// Every field is text or an integer; absent fields are NULL (and `null` in the encoding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub kind: Kind,
    /// UTC, RFC 3339 with milliseconds: `2026-11-22T01:13:26.123Z`.
    pub time: String,
    /// Ties a decision to its outcome: 32 hex digits.
    pub request_id: Option<String>,
    pub user: Option<String>,
    pub uid: Option<i64>,
    pub host: Option<String>,
    pub pid: Option<i64>,
    pub ppid: Option<i64>,
    /// The parent process that asked: its command line, escaped.
    pub parent: Option<String>,
    pub cwd: Option<String>,
    /// The argument vector as JSON text (see `argv`): lossless for non-UTF-8 arguments.
    pub argv: Option<String>,
    /// The `-c` line, when the request was one.
    pub line: Option<String>,
    /// The policy's decision: `allow`, `ask` or `deny`.
    pub decision: Option<String>,
    /// The rule that decided, when one did.
    pub rule: Option<String>,
    pub reason: Option<String>,
    /// The final word: `allowed`, `approved`, `denied`, `rejected`, `timed-out`, `no-approver`.
    pub verdict: Option<String>,
    /// Who approved or rejected, when a human did.
    pub approver: Option<String>,
    /// How the verdict was reached: `policy`, `terminal`…
    pub channel: Option<String>,
    pub policy_path: Option<String>,
    pub policy_sha256: Option<String>,
    /// Outcome: the exit code when the command exited.
    pub exit_code: Option<i64>,
    /// Outcome: the signal number when the command was killed by one.
    pub signal: Option<i64>,
    pub duration_ms: Option<i64>,
    /// Outcome: why the command could not start (not found, not executable…). Decision: why
    /// no approval could be had (the broker unreachable, a decision that did not verify…).
    pub error: Option<String>,
    /// Decision: the broker's signed decision (`SignedDecision::to_text`), which proves offline
    /// who approved or denied this exact command.
    pub approval: Option<String>,
}

impl Record {
    /// An empty record of a kind, stamped with the current time.
    pub fn new(kind: Kind) -> Record {
        Record {
            kind,
            time: humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
            request_id: None,
            user: None,
            uid: None,
            host: None,
            pid: None,
            ppid: None,
            parent: None,
            cwd: None,
            argv: None,
            line: None,
            decision: None,
            rule: None,
            reason: None,
            verdict: None,
            approver: None,
            channel: None,
            policy_path: None,
            policy_sha256: None,
            exit_code: None,
            signal: None,
            duration_ms: None,
            error: None,
            approval: None,
        }
    }
}

/// An entry as stored: its place in the chain and its record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// 1 for the genesis entry, then contiguous.
    pub seq: i64,
    /// The random id of the log this entry belongs to (32 hex digits).
    pub log_id: String,
    pub record: Record,
    /// Hex SHA-256 of the previous entry; 64 zeros for the genesis entry.
    pub prev_hash: String,
    /// Hex SHA-256 of this entry (see `chain`).
    pub hash: String,
}

impl Entry {
    /// Every field as one JSON object (for `gate audit log --json`), `argv` decoded into its JSON
    /// array when it is one.
    pub fn to_json(&self) -> serde_json::Value {
        use super::encoding::{Value, fields};
        let mut object = serde_json::Map::new();
        for (name, value) in fields(self.seq, &self.log_id, &self.record) {
            let json = match value {
                Value::Text(text) if name == "argv" => {
                    super::argv::argv_json(text).unwrap_or_else(|| text.into())
                }
                Value::Text(text) => text.into(),
                Value::Int(n) => n.into(),
                Value::Null => serde_json::Value::Null,
            };
            object.insert(name.to_string(), json);
        }
        object.insert("prev_hash".to_string(), self.prev_hash.clone().into());
        object.insert("hash".to_string(), self.hash.clone().into());
        serde_json::Value::Object(object)
    }
}

/// The columns of `gate audit export --format csv`, in order: the hashed fields (as in the
/// encoding), then `prev_hash` and `hash`.
pub fn export_columns() -> Vec<&'static str> {
    let mut columns = super::encoding::NAMES.to_vec();
    columns.extend(["prev_hash", "hash"]);
    columns
}

/// An entry's values in `export_columns` order: text as stored (argv as its JSON text, so
/// non-UTF-8 arguments survive), integers in decimal, absent values empty.
pub fn export_fields(entry: &Entry) -> Vec<String> {
    use super::encoding::{Value, fields};
    let mut out: Vec<String> = fields(entry.seq, &entry.log_id, &entry.record)
        .iter()
        .map(|(_, value)| match value {
            Value::Text(text) => (*text).to_string(),
            Value::Int(n) => n.to_string(),
            Value::Null => String::new(),
        })
        .collect();
    out.push(entry.prev_hash.clone());
    out.push(entry.hash.clone());
    out
}
