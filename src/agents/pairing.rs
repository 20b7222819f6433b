//! Which decision an agent's post-tool report closes, for agents that give no id shared by the
//! hooks before and after one tool call (Gemini CLI, Cursor, Copilot CLI, Cline).
//!
//! Such a report is paired with the most recent open decision of the same agent session for the
//! same command line in the same working directory: a decision gate handed back to that agent
//! (`handed back to AGENT`) that no report has closed yet. Two identical commands running at once
//! in one session can have their reports swapped; a report that matches no open decision (a
//! command gate refused, a log rotated away, a session id that differs) is recorded nowhere, so
//! nothing is ever closed that the report is not about.
//!
//! Guarantees: the caller searches only the last [`WINDOW`] entries, so the search costs the same
//! however long the log grows; nothing here writes.

use crate::audit::{Entry, Kind};
use crate::display::escape_controls;
use std::collections::HashSet;

/// How many of the newest entries are searched for the decision a report closes.
pub const WINDOW: usize = 5000;

/// What a report is paired by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key<'a> {
    /// The agent's name as `gate hook` takes it.
    pub agent: &'a str,
    /// The agent's session id, as it sent it.
    pub session: Option<&'a str>,
    /// The command line as gate recorded it with the decision (`encode_text` of what the agent sent).
    pub command: &'a str,
    /// The working directory as gate recorded it with the decision.
    pub cwd: &'a str,
}

/// Whether `entries` (oldest first) hold the decision `request_id` and no report closing it.
pub fn open_by_id(entries: &[Entry], request_id: &str) -> bool {
    let mine = |entry: &&Entry| entry.record.request_id.as_deref() == Some(request_id);
    let mut decided = false;
    for entry in entries.iter().filter(mine) {
        match entry.record.kind {
            Kind::Decision => decided = true,
            Kind::Outcome if entry.record.error.as_deref().is_some_and(|e| e.starts_with("reported by ")) => {
                return false;
            }
            _ => {}
        }
    }
    decided
}

/// The request id of the newest decision in `entries` (oldest first) that the key matches and
/// that is still open.
pub fn open_decision(entries: &[Entry], key: &Key<'_>) -> Option<String> {
    // The entries' `parent` as `pipeline` writes it for an agent's request.
    let parent = match key.session {
        Some(session) => format!("{} session {} via ", key.agent, escape_controls(session)),
        None => format!("{} via ", key.agent),
    };
    let handed_back = format!("handed back to {}", key.agent);
    let (mut handed, mut closed) = (HashSet::new(), HashSet::new());
    // Newest first: a decision's outcomes come after it, so they are seen before it is.
    for entry in entries.iter().rev() {
        let record = &entry.record;
        let Some(id) = record.request_id.as_deref() else { continue };
        match record.kind {
            Kind::Outcome => {
                let error = record.error.as_deref().unwrap_or("");
                if error.starts_with("reported by ") {
                    closed.insert(id);
                } else if error.starts_with(&handed_back) && record.channel.as_deref() == Some(key.agent) {
                    handed.insert(id);
                }
            }
            Kind::Decision
                if handed.contains(id)
                    && !closed.contains(id)
                    && record.line.as_deref() == Some(key.command)
                    && record.cwd.as_deref() == Some(key.cwd)
                    && record.parent.as_deref().is_some_and(|p| p.starts_with(&parent)) =>
            {
                return Some(id.to_string());
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Record;

    fn decision(id: &str, parent: &str, line: &str, cwd: &str) -> Record {
        let mut record = Record::new(Kind::Decision);
        record.request_id = Some(id.into());
        record.parent = Some(parent.into());
        record.line = Some(line.into());
        record.cwd = Some(cwd.into());
        record
    }

    fn outcome(id: &str, agent: &str, error: &str) -> Record {
        let mut record = Record::new(Kind::Outcome);
        record.request_id = Some(id.into());
        record.channel = Some(agent.into());
        record.error = Some(error.into());
        record
    }

    fn entries(records: Vec<Record>) -> Vec<Entry> {
        records
            .into_iter()
            .enumerate()
            .map(|(i, record)| Entry {
                seq: i as i64 + 1,
                log_id: String::new(),
                record,
                prev_hash: String::new(),
                hash: String::new(),
            })
            .collect()
    }

    const HANDED: &str = "handed back to cursor, which runs the command itself";

    #[test]
    fn a_report_closes_the_newest_open_decision_it_matches() {
        let key = Key { agent: "cursor", session: Some("c1"), command: "ls", cwd: "/w" };
        let cases: Vec<(&str, Vec<Record>, Option<&str>)> = vec![
            (
                "the newer of two open decisions",
                vec![
                    decision("a", "cursor session c1 via sh", "ls", "/w"),
                    outcome("a", "cursor", HANDED),
                    decision("b", "cursor session c1 via sh", "ls", "/w"),
                    outcome("b", "cursor", HANDED),
                ],
                Some("b"),
            ),
            (
                "one already closed: the older",
                vec![
                    decision("a", "cursor session c1 via sh", "ls", "/w"),
                    outcome("a", "cursor", HANDED),
                    decision("b", "cursor session c1 via sh", "ls", "/w"),
                    outcome("b", "cursor", HANDED),
                    outcome("b", "cursor", "reported by cursor: ran"),
                ],
                Some("a"),
            ),
            ("refused: never handed back", vec![decision("a", "cursor session c1 via sh", "ls", "/w")], None),
            (
                "another session",
                vec![decision("a", "cursor session c2 via sh", "ls", "/w"), outcome("a", "cursor", HANDED)],
                None,
            ),
            (
                "another agent",
                vec![
                    decision("a", "cline session c1 via sh", "ls", "/w"),
                    outcome("a", "cline", "handed back to cline, which runs the command itself"),
                ],
                None,
            ),
            (
                "another command",
                vec![
                    decision("a", "cursor session c1 via sh", "ls -l", "/w"),
                    outcome("a", "cursor", HANDED),
                ],
                None,
            ),
            (
                "another folder",
                vec![decision("a", "cursor session c1 via sh", "ls", "/x"), outcome("a", "cursor", HANDED)],
                None,
            ),
            (
                "a session whose id begins like this one's",
                vec![decision("a", "cursor session c10 via sh", "ls", "/w"), outcome("a", "cursor", HANDED)],
                None,
            ),
        ];
        for (name, records, expected) in cases {
            assert_eq!(open_decision(&entries(records), &key).as_deref(), expected, "{name}");
        }
    }

    #[test]
    fn without_a_session_only_sessionless_decisions_match() {
        let key = Key { agent: "cursor", session: None, command: "ls", cwd: "/w" };
        let records = vec![
            decision("a", "cursor via sh", "ls", "/w"),
            outcome("a", "cursor", HANDED),
            decision("b", "cursor session c1 via sh", "ls", "/w"),
            outcome("b", "cursor", HANDED),
        ];
        assert_eq!(open_decision(&entries(records), &key).as_deref(), Some("a"));
    }

    #[test]
    fn a_report_by_id_closes_a_decision_gate_made_once() {
        let log = entries(vec![
            decision("a", "claude-code session s via bash", "ls", "/p"),
            decision("b", "claude-code session s via bash", "ls", "/p"),
            outcome("b", "claude-code", "reported by claude-code: succeeded"),
        ]);
        assert!(open_by_id(&log, "a"));
        assert!(!open_by_id(&log, "b"), "already closed");
        assert!(!open_by_id(&log, "c"), "no such decision");
    }
}
