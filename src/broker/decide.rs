//! Who may decide a request: route choice, eligibility, no self-approval, quorum, and the
//! judgement of one answer. Pure functions over the configuration and the stored request, so the
//! store can call [`judge`] inside its transaction and every rule is table-tested here.

use serde::{Deserialize, Serialize};

use super::config::{DEFAULT_TIMEOUT, Person, Route};
use crate::approval::signed::Answer;
use crate::approval::wire::State;

/// A request made without a rule (the policy's default decided) is routed as this rule id.
pub const DEFAULT_RULE: &str = "default";

/// A glob over rule ids: `*` any run, `?` one character, `[abc]`, `[a-z]`, `[!x]` one of a set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleGlob {
    pub text: String,
    tokens: Vec<Token>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Char(char),
    Star,
    One,
    Class { negated: bool, ranges: Vec<(char, char)> },
}

impl RuleGlob {
    pub fn new(text: &str) -> Result<RuleGlob, String> {
        if text.is_empty() {
            return Err("an empty pattern matches nothing".into());
        }
        let mut tokens = Vec::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            tokens.push(match c {
                '*' => Token::Star,
                '?' => Token::One,
                '[' => {
                    let negated = chars.next_if(|&c| c == '!' || c == '^').is_some();
                    let mut ranges = Vec::new();
                    loop {
                        match chars.next() {
                            None => return Err("`[` is not closed by `]`".into()),
                            Some(']') if !ranges.is_empty() => break,
                            Some(low) => {
                                if chars.peek() == Some(&'-') {
                                    chars.next();
                                    match chars.next() {
                                        Some(']') | None => return Err("a range `a-` has no end".into()),
                                        Some(high) if high < low => {
                                            return Err(format!("the range {low}-{high} is backwards"));
                                        }
                                        Some(high) => ranges.push((low, high)),
                                    }
                                } else {
                                    ranges.push((low, low));
                                }
                            }
                        }
                    }
                    Token::Class { negated, ranges }
                }
                ']' => return Err("`]` without `[`".into()),
                c => Token::Char(c),
            });
        }
        Ok(RuleGlob { text: text.to_string(), tokens })
    }

    pub fn matches(&self, rule: &str) -> bool {
        let chars: Vec<char> = rule.chars().collect();
        matches_from(&self.tokens, &chars)
    }
}

fn matches_from(tokens: &[Token], text: &[char]) -> bool {
    match tokens.split_first() {
        None => text.is_empty(),
        Some((Token::Star, rest)) => (0..=text.len()).any(|skip| matches_from(rest, &text[skip..])),
        Some((token, rest)) => match text.split_first() {
            None => false,
            Some((&c, tail)) => {
                let ok = match token {
                    Token::Char(expected) => c == *expected,
                    Token::One => true,
                    Token::Class { negated, ranges } => {
                        ranges.iter().any(|&(low, high)| (low..=high).contains(&c)) != *negated
                    }
                    Token::Star => unreachable!(),
                };
                ok && matches_from(rest, tail)
            }
        },
    }
}

/// Who may decide under a route: its approvers (people, and the members of `group:NAME`) and
/// the members of its groups, in order, each once; `None` (everyone) when it names neither.
pub fn eligible(
    approvers: &[String],
    groups: &[String],
    members: impl Fn(&str) -> Vec<String>,
) -> Option<Vec<String>> {
    if approvers.is_empty() && groups.is_empty() {
        return None;
    }
    let mut people = Vec::new();
    let names = approvers.iter().flat_map(|name| match name.strip_prefix("group:") {
        Some(group) => members(group),
        None => vec![name.clone()],
    });
    for person in names.chain(groups.iter().flat_map(|group| members(group))) {
        if !people.contains(&person) {
            people.push(person);
        }
    }
    Some(people)
}

/// What the broker decided about a request when it arrived; stored with it, so later answers are
/// judged by the rules in force when it was made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The route's index in the file; `None` for the default route.
    pub route: Option<usize>,
    /// Who may decide; `None` for everyone.
    pub eligible: Option<Vec<String>>,
    /// The people whose own Unix account made the request.
    pub owners: Vec<String>,
    pub quorum: u32,
    pub self_approval: bool,
    /// The channels told; `None` for every channel.
    pub channels: Option<Vec<String>>,
    pub timeout_secs: u64,
}

/// The route for a request: among those whose globs match its rule id, the strictest (greatest
/// quorum, then fewest eligible approvers, then the first in the file); else the default route.
pub fn plan(routes: &[Route], people: &[Person], rule: Option<&str>, user: &str, host: &str) -> Plan {
    let rule = rule.unwrap_or(DEFAULT_RULE);
    let count = |route: &Route| route.eligible.as_ref().map_or(people.len(), Vec::len);
    let chosen = routes
        .iter()
        .enumerate()
        .filter(|(_, route)| route.rules.iter().any(|glob| glob.matches(rule)))
        .min_by_key(|(index, route)| (std::cmp::Reverse(route.quorum), count(route), *index));
    let owners = people
        .iter()
        .filter(|person| person.unix.iter().any(|(u, h)| u == user && h == host))
        .map(|person| person.id.clone())
        .collect();
    match chosen {
        Some((index, route)) => Plan {
            route: Some(index),
            eligible: route.eligible.clone(),
            owners,
            quorum: route.quorum,
            self_approval: route.self_approval,
            channels: route.channels.clone(),
            timeout_secs: route.timeout.as_secs().max(1),
        },
        None => Plan {
            route: None,
            eligible: None,
            owners,
            quorum: 1,
            self_approval: false,
            channels: None,
            timeout_secs: DEFAULT_TIMEOUT.as_secs(),
        },
    }
}

/// Why an answer did not count. Each message is one line for the person who answered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("already decided by {}: {}", .by.join(", "), .state.as_str())]
    Decided { state: State, by: Vec<String> },
    #[error("the request was withdrawn by its host")]
    Withdrawn,
    #[error("the request expired")]
    Expired,
    #[error(
        "{person} may not decide a request made from their own account (set self_approval = true on the route to allow it)"
    )]
    SelfApproval { person: String },
    #[error("{person} is not an approver of this request's route")]
    NotEligible { person: String },
    #[error("already approved by you")]
    AlreadyApproved,
    #[error("unknown person {person:?}")]
    UnknownPerson { person: String },
    #[error("a personal token decides as its own person ({me}), not as {named}")]
    NotYou { me: String, named: String },
    #[error("an integration must name the person it decides for in `approver`")]
    NoApprover,
}

/// A request's standing, as the store holds it when an answer arrives.
pub struct Standing<'a> {
    pub state: State,
    pub deadline: i64,
    pub plan: &'a Plan,
    /// The people whose answers counted so far, in order.
    pub counted: &'a [String],
}

/// Judges one answer: the state it makes final (`Some`), still pending (`None`), or why it does
/// not count.
pub fn judge(standing: &Standing, person: &str, answer: Answer, now: i64) -> Result<Option<State>, Refusal> {
    match standing.state {
        State::Pending => {}
        State::Expired => return Err(Refusal::Expired),
        State::Withdrawn => return Err(Refusal::Withdrawn),
        state => return Err(Refusal::Decided { state, by: standing.counted.to_vec() }),
    }
    if now > standing.deadline {
        return Err(Refusal::Expired);
    }
    let plan = standing.plan;
    if plan.eligible.as_ref().is_some_and(|eligible| !eligible.iter().any(|p| p == person)) {
        return Err(Refusal::NotEligible { person: person.to_string() });
    }
    if !plan.self_approval && plan.owners.iter().any(|owner| owner == person) {
        return Err(Refusal::SelfApproval { person: person.to_string() });
    }
    match answer {
        Answer::Deny => Ok(Some(State::Denied)),
        Answer::Approve if standing.counted.iter().any(|p| p == person) => Err(Refusal::AlreadyApproved),
        Answer::Approve if standing.counted.len() as u32 + 1 >= plan.quorum => Ok(Some(State::Approved)),
        Answer::Approve => Ok(None),
    }
}

#[cfg(test)]
mod tests;
