//! Which entries `gate audit log` and `gate audit export` show: a plain value the store turns
//! into SQL. Time bounds are normalised here to the stored form (UTC RFC 3339 with milliseconds),
//! so comparing them with stored times as text is comparing instants.

use std::time::SystemTime;

/// Entries matching every set condition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// At or after this time (stored form).
    pub since: Option<String>,
    /// Before this time (stored form).
    pub until: Option<String>,
    /// The policy's decision (`allow`, `ask`, `deny`) or the verdict (`approved`, `rejected`…).
    pub decision: Option<String>,
    pub rule: Option<String>,
    pub user: Option<String>,
}

impl Filter {
    /// Whether only decision entries can match (the other kinds have no decision, rule or user).
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }
}

/// Reads a time bound: RFC 3339 (`2026-11-22T01:13:26Z`, `2026-11-22 01:13:26`), a date
/// (`2026-11-22`, midnight UTC), or a duration before now (`90m`, `2h`, `7days`).
pub fn parse_time(text: &str, now: SystemTime) -> Result<String, String> {
    let text = text.trim();
    let instant = if let Ok(ago) = humantime::parse_duration(text) {
        now.checked_sub(ago).unwrap_or(SystemTime::UNIX_EPOCH)
    } else if let Ok(instant) = humantime::parse_rfc3339_weak(text) {
        instant
    } else if let Ok(instant) = humantime::parse_rfc3339_weak(&format!("{text} 00:00:00")) {
        instant
    } else {
        return Err(format!(
            "{text:?} is not a time: use RFC 3339 (2026-11-22T01:13:26Z), a date (2026-11-22) or a duration ago (2h, 7days)"
        ));
    };
    Ok(humantime::format_rfc3339_millis(instant).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let now = humantime::parse_rfc3339("2026-11-22T12:00:00Z").unwrap();
        let cases: &[(&str, Option<&str>)] = &[
            ("2026-11-22T01:13:26Z", Some("2026-11-22T01:13:26.000Z")),
            ("2026-11-22T01:13:26.5Z", Some("2026-11-22T01:13:26.500Z")),
            ("2026-11-22 01:13:26", Some("2026-11-22T01:13:26.000Z")),
            ("2026-11-22", Some("2026-11-22T00:00:00.000Z")),
            ("2h", Some("2026-11-22T10:00:00.000Z")),
            ("1day 30m", Some("2026-11-21T11:30:00.000Z")),
            ("yesterday", None),
            ("", None),
            ("2026-13-01", None),
        ];
        for (text, expected) in cases {
            let parsed = parse_time(text, now);
            assert_eq!(parsed.as_deref().ok(), *expected, "{text:?}: {parsed:?}");
        }
    }
}
