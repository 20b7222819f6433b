//! Checking one `[[routes]]` entry: its globs, the people, groups and channels it names, its
//! quorum against the approvers it can have, and its timeout.

use std::collections::{BTreeSet, HashMap};

use toml::Spanned;

use super::raw::{self, Checker};
use super::{DEFAULT_TIMEOUT, Route, list};
use crate::broker::decide::{self, RuleGlob};

pub(super) fn check_route(
    checker: &mut Checker,
    raw: &Spanned<raw::RawRoute>,
    ids: &BTreeSet<String>,
    group_members: &HashMap<&str, &[String]>,
    channel_names: &BTreeSet<String>,
    people: &[String],
) -> Route {
    let route = raw.get_ref();
    let mut rules = Vec::new();
    if route.rules.get_ref().is_empty() {
        checker.error(route.rules.span(), "`rules = []` never matches: list rule ids or globs like \"*\"");
    }
    for rule in route.rules.get_ref() {
        match RuleGlob::new(rule.get_ref()) {
            Ok(glob) => rules.push(glob),
            Err(why) => checker.error(rule.span(), format!("bad glob {:?}: {why}", rule.get_ref())),
        }
    }
    let mut approvers = Vec::new();
    for approver in list(&route.approvers) {
        let name = approver.get_ref();
        match name.strip_prefix("group:") {
            Some(group) if !group_members.contains_key(group) => {
                checker.error(approver.span(), format!("unknown group {group:?}"))
            }
            None if !ids.contains(name) => checker.error(approver.span(), format!("unknown person {name:?}")),
            _ => approvers.push(name.clone()),
        }
    }
    let mut groups = Vec::new();
    for group in list(&route.groups) {
        if group_members.contains_key(group.get_ref().as_str()) {
            groups.push(group.get_ref().clone());
        } else {
            checker.error(group.span(), format!("unknown group {:?}", group.get_ref()));
        }
    }
    let channels = route.channels.as_ref().map(|names| {
        let mut known = Vec::new();
        for name in names.get_ref() {
            if channel_names.contains(name.get_ref()) {
                known.push(name.get_ref().clone());
            } else {
                checker.error(name.span(), format!("unknown channel {:?}", name.get_ref()));
            }
        }
        known
    });
    let timeout = match &route.timeout {
        Some(text) => match humantime::parse_duration(text.get_ref()) {
            Ok(duration) if !duration.is_zero() => duration,
            _ => {
                checker.error(
                    text.span(),
                    format!("`timeout` {:?} is not a duration like \"2m\"", text.get_ref()),
                );
                DEFAULT_TIMEOUT
            }
        },
        None => DEFAULT_TIMEOUT,
    };
    let eligible = decide::eligible(&approvers, &groups, |group| {
        group_members.get(group).map(|members| members.to_vec()).unwrap_or_default()
    });
    let count = eligible.as_ref().map_or(people.len(), Vec::len);
    let quorum = match &route.quorum {
        Some(quorum) if *quorum.get_ref() < 1 => {
            checker.error(quorum.span(), "`quorum` must be at least 1");
            1
        }
        Some(quorum) if *quorum.get_ref() as usize > count => {
            checker.error(
                quorum.span(),
                format!(
                    "`quorum = {}` cannot be met: this route has {count} eligible approvers",
                    quorum.get_ref()
                ),
            );
            1
        }
        Some(quorum) => *quorum.get_ref() as u32,
        None => 1,
    };
    Route {
        rules,
        approvers,
        groups,
        eligible,
        quorum,
        channels,
        timeout,
        self_approval: route.self_approval.as_ref().is_some_and(|flag| *flag.get_ref()),
    }
}
