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

/// Reads a time bound: RFC 3339 (`2026-11-22T01:13:26Z`, `2026-11-22T03:13:26+02:00`,
/// `2026-11-22 01:13:26`), a date (`2026-11-22`, midnight UTC), or a duration before now (`90m`,
/// `2h`, `7days`). A duration reaching before 1970 means 1970.
pub fn parse_time(text: &str, now: SystemTime) -> Result<String, String> {
    let text = text.trim();
    let instant = if let Ok(ago) = humantime::parse_duration(text) {
        now.checked_sub(ago).filter(|instant| *instant >= SystemTime::UNIX_EPOCH)
    } else if let Some(instant) = rfc3339_with_offset(text) {
        Some(instant)
    } else if let Ok(instant) = humantime::parse_rfc3339_weak(text) {
        Some(instant)
    } else if let Ok(instant) = humantime::parse_rfc3339_weak(&format!("{text} 00:00:00")) {
        Some(instant)
    } else {
        return Err(format!(
            "{text:?} is not a time: use RFC 3339 (2026-11-22T01:13:26Z), a date (2026-11-22) or a duration ago (2h, 7days)"
        ));
    };
    Ok(humantime::format_rfc3339_millis(instant.unwrap_or(SystemTime::UNIX_EPOCH)).to_string())
}

/// RFC 3339 with a numeric offset (`…T03:13:26+02:00`, `…-05:30`), which humantime does not read.
fn rfc3339_with_offset(text: &str) -> Option<SystemTime> {
    let (local, sign, offset) = match text.len().checked_sub(6).and_then(|at| text.get(at..).map(|o| (at, o)))
    {
        Some((at, offset)) if offset.starts_with(['+', '-']) && text[..at].contains(['T', 't', ' ']) => {
            (&text[..at], if offset.starts_with('+') { 1 } else { -1 }, &offset[1..])
        }
        _ => return None,
    };
    let (hours, minutes) = offset.split_once(':')?;
    let (hours, minutes): (u64, u64) = (hours.parse().ok()?, minutes.parse().ok()?);
    if hours > 23 || minutes > 59 {
        return None;
    }
    let shift = std::time::Duration::from_secs(hours * 3600 + minutes * 60);
    let local = humantime::parse_rfc3339_weak(local).ok()?;
    // Local time = UTC + offset, so UTC = local - offset.
    if sign > 0 { local.checked_sub(shift) } else { local.checked_add(shift) }
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
            ("2026-11-22T03:13:26+02:00", Some("2026-11-22T01:13:26.000Z")),
            ("2026-11-21T20:13:26.25-05:00", Some("2026-11-22T01:13:26.250Z")),
            ("2026-11-22T01:13:26+24:00", None),
            ("60years", Some("1970-01-01T00:00:00.000Z")),
            ("100000years", Some("1970-01-01T00:00:00.000Z")),
        ];
        for (text, expected) in cases {
            let parsed = parse_time(text, now);
            assert_eq!(parsed.as_deref().ok(), *expected, "{text:?}: {parsed:?}");
        }
    }
}
