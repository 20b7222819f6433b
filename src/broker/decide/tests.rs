use super::*;
use crate::broker::config::Person;
use std::time::Duration;

#[test]
fn rule_globs() {
    let cases = [
        ("*", "git-push", true),
        ("*", "", true),
        ("git-*", "git-push", true),
        ("git-*", "kubectl-apply", false),
        ("git-pus?", "git-push", true),
        ("git-pus?", "git-pushed", false),
        ("deploy-[a-c]", "deploy-b", true),
        ("deploy-[!a-c]", "deploy-b", false),
        ("deploy-[!a-c]", "deploy-z", true),
        ("default", "default", true),
        ("*-prod*", "terraform-prod-apply", true),
        ("*-prod*", "terraform-staging", false),
    ];
    for (glob, rule, expected) in cases {
        assert_eq!(RuleGlob::new(glob).unwrap().matches(rule), expected, "{glob} ~ {rule}");
    }
    for bad in ["", "[abc", "a]", "[z-a]", "[a-]"] {
        assert!(RuleGlob::new(bad).is_err(), "{bad}");
    }
}

fn route(rules: &[&str], eligible: Option<&[&str]>, quorum: u32) -> Route {
    Route {
        rules: rules.iter().map(|r| RuleGlob::new(r).unwrap()).collect(),
        approvers: Vec::new(),
        groups: Vec::new(),
        eligible: eligible.map(|people| people.iter().map(|p| p.to_string()).collect()),
        quorum,
        channels: None,
        timeout: Duration::from_secs(60),
        self_approval: false,
    }
}

fn person(id: &str, unix: &[(&str, &str)]) -> Person {
    Person {
        id: id.into(),
        name: None,
        email: None,
        unix: unix.iter().map(|(u, h)| (u.to_string(), h.to_string())).collect(),
        token: None,
        slack: None,
        oidc_sub: None,
    }
}

#[test]
fn the_strictest_matching_route_applies() {
    let people = [person("alice", &[("alice", "build-7")]), person("bob", &[]), person("carol", &[])];
    let routes = [
        route(&["*"], None, 1),
        route(&["git-*"], Some(&["alice", "bob", "carol"]), 2),
        route(&["git-push"], Some(&["alice", "bob"]), 2),
        route(&["deploy"], Some(&["bob"]), 1),
    ];
    let cases = [
        (Some("git-push"), 2),   // quorum 2 twice: fewer eligible wins
        (Some("git-commit"), 1), // greatest quorum
        (Some("deploy"), 3),     // quorum 1 twice: "*" has 3 eligible, "deploy" 1
        (None, 0),               // "default" matches "*"
        (Some("ls"), 0),
    ];
    for (rule, expected) in cases {
        assert_eq!(plan(&routes, &people, rule, "x", "h").route, Some(expected), "{rule:?}");
    }
    let none = plan(&[route(&["git-*"], None, 1)], &people, Some("ls"), "alice", "build-7");
    assert_eq!(none.route, None);
    assert_eq!((none.quorum, none.eligible, none.self_approval, none.timeout_secs), (1, None, false, 120));
    assert_eq!(none.owners, vec!["alice".to_string()]);
    let elsewhere = plan(&[], &people, None, "alice", "build-8");
    assert!(elsewhere.owners.is_empty());
}

#[test]
fn eligible_people_come_from_approvers_and_groups() {
    let members = |group: &str| match group {
        "sre" => vec!["carol".to_string(), "dave".to_string()],
        "leads" => vec!["alice".to_string()],
        _ => vec![],
    };
    let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(eligible(&[], &[], members), None);
    assert_eq!(eligible(&list(&["alice", "bob"]), &[], members), Some(list(&["alice", "bob"])));
    assert_eq!(eligible(&list(&["group:sre", "carol"]), &[], members), Some(list(&["carol", "dave"])));
    assert_eq!(
        eligible(&list(&["bob"]), &list(&["sre", "leads"]), members),
        Some(list(&["bob", "carol", "dave", "alice"]))
    );
}

fn plan_for(eligible: Option<&[&str]>, owners: &[&str], quorum: u32, self_approval: bool) -> Plan {
    Plan {
        route: Some(0),
        eligible: eligible.map(|e| e.iter().map(|s| s.to_string()).collect()),
        owners: owners.iter().map(|s| s.to_string()).collect(),
        quorum,
        self_approval,
        channels: None,
        timeout_secs: 60,
    }
}

#[test]
fn judging_answers() {
    use Answer::{Approve, Deny};
    let open = plan_for(None, &["alice"], 1, false);
    let solo = plan_for(None, &["alice"], 1, true);
    let two = plan_for(Some(&["alice", "bob", "carol"]), &[], 2, false);
    let sre = plan_for(Some(&["carol"]), &[], 1, false);
    let none: &[String] = &[];
    let bob = ["bob".to_string()];
    type Case<'a> = (&'a Plan, State, &'a [String], &'a str, Answer, i64, Result<Option<State>, Refusal>);
    let cases: Vec<Case> = vec![
        (&open, State::Pending, none, "bob", Approve, 10, Ok(Some(State::Approved))),
        (&open, State::Pending, none, "bob", Deny, 10, Ok(Some(State::Denied))),
        (
            &open,
            State::Pending,
            none,
            "alice",
            Approve,
            10,
            Err(Refusal::SelfApproval { person: "alice".into() }),
        ),
        (
            &open,
            State::Pending,
            none,
            "alice",
            Deny,
            10,
            Err(Refusal::SelfApproval { person: "alice".into() }),
        ),
        (&solo, State::Pending, none, "alice", Approve, 10, Ok(Some(State::Approved))),
        (&two, State::Pending, none, "bob", Approve, 10, Ok(None)),
        (&two, State::Pending, &bob, "bob", Approve, 10, Err(Refusal::AlreadyApproved)),
        (&two, State::Pending, &bob, "carol", Approve, 10, Ok(Some(State::Approved))),
        (&two, State::Pending, &bob, "carol", Deny, 10, Ok(Some(State::Denied))),
        (
            &two,
            State::Pending,
            none,
            "dave",
            Approve,
            10,
            Err(Refusal::NotEligible { person: "dave".into() }),
        ),
        (&sre, State::Pending, none, "bob", Deny, 10, Err(Refusal::NotEligible { person: "bob".into() })),
        (&open, State::Pending, none, "bob", Approve, 101, Err(Refusal::Expired)),
        (&open, State::Expired, none, "bob", Approve, 10, Err(Refusal::Expired)),
        (&open, State::Withdrawn, none, "bob", Approve, 10, Err(Refusal::Withdrawn)),
        (
            &open,
            State::Denied,
            &bob,
            "carol",
            Approve,
            10,
            Err(Refusal::Decided { state: State::Denied, by: vec!["bob".into()] }),
        ),
    ];
    for (plan, state, counted, person, answer, now, expected) in cases {
        let standing = Standing { state, deadline: 100, plan, counted };
        assert_eq!(judge(&standing, person, answer, now), expected, "{person} {answer:?} {state:?}");
    }
    let message = Refusal::Decided { state: State::Denied, by: vec!["bob".into()] }.to_string();
    assert_eq!(message, "already decided by bob: denied");
}
