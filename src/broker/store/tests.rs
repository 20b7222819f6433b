use super::*;
use crate::approval::signed::command_sha256;
use crate::audit::SecretKey;
use crate::broker::decide::Plan;

fn request(id: &str, quorum: u32, deadline: i64) -> StoredRequest {
    let argv = serde_json::json!(["git", "push"]);
    StoredRequest {
        id: id.to_string(),
        host: "build-7".into(),
        body: NewRequest {
            id: id.to_string(),
            command_sha256: command_sha256(Some(&argv.to_string()), None, "/repo"),
            argv: Some(argv),
            line: None,
            cwd: "/repo".into(),
            user: "alice".into(),
            host: "build-7".into(),
            uid: None,
            pid: None,
            parent: None,
            rule: Some("git-push".into()),
            reason: "pushes".into(),
            deadline,
        },
        plan: Plan {
            route: None,
            eligible: None,
            owners: vec!["alice".into()],
            quorum,
            self_approval: false,
            channels: None,
            timeout_secs: 60,
        },
        created: "2026-12-02T10:00:00.000Z".into(),
        deadline,
        state: State::Pending,
        approvals: Vec::new(),
        signed: None,
        note: None,
    }
}

fn attempt(id: &str, person: &str, answer: Answer, now: i64) -> Attempt {
    Attempt {
        request_id: id.into(),
        person: person.into(),
        channel: "cli".into(),
        answer,
        comment: Some(format!("{person} says {}", answer.as_str())),
        now,
        time: format!("t{now}"),
        refused: None,
    }
}

fn signer() -> DecisionSigner {
    DecisionSigner::new(SecretKey::from_seed("gate-broker@test", [5; 32]))
}

const A: &str = "aaaa0000000000000000000000000000";
const B: &str = "aaab0000000000000000000000000000";

#[test]
fn requests_are_found_by_unique_prefix() {
    let store = SqliteStore::in_memory().unwrap();
    store.create_request(&request(A, 1, 100)).unwrap();
    store.create_request(&request(B, 1, 100)).unwrap();
    assert!(matches!(store.create_request(&request(A, 1, 100)), Err(StoreError::Duplicate(_))));
    assert_eq!(store.find_by_prefix("aaaa").unwrap().id, A);
    assert_eq!(store.find_by_prefix("AAAB").unwrap().id, B);
    assert!(matches!(store.find_by_prefix("aaa"), Err(StoreError::Ambiguous { count: 2, .. })));
    assert!(matches!(store.find_by_prefix("b"), Err(StoreError::NotFound(_))));
    assert!(matches!(store.find_by_prefix("a%"), Err(StoreError::NotFound(_))));
    assert_eq!(store.get(A).unwrap().unwrap(), request(A, 1, 100));
    assert_eq!(store.list(Some(State::Pending)).unwrap().len(), 2);
}

#[test]
fn quorum_then_late_answers_change_nothing() {
    let store = SqliteStore::in_memory().unwrap();
    let signer = signer();
    store.create_request(&request(A, 2, 100)).unwrap();
    let first = store.record_attempt(&attempt(A, "bob", Answer::Approve, 10), &signer).unwrap();
    assert!(matches!(first, Attempted::Counted { became_final: false, .. }));
    let again = store.record_attempt(&attempt(A, "bob", Answer::Approve, 11), &signer).unwrap();
    assert!(matches!(again, Attempted::Refused(Refusal::AlreadyApproved)));
    let own = store.record_attempt(&attempt(A, "alice", Answer::Approve, 11), &signer).unwrap();
    assert!(matches!(own, Attempted::Refused(Refusal::SelfApproval { .. })));
    let Attempted::Counted { request, became_final: true } =
        store.record_attempt(&attempt(A, "carol", Answer::Approve, 12), &signer).unwrap()
    else {
        panic!("carol's approval should decide")
    };
    assert_eq!((request.state, request.approved_count()), (State::Approved, 2));
    let document = request.signed.unwrap().verify(&signer.public(), A, &request.body.command_sha256).unwrap();
    let people: Vec<_> = document.approvers.iter().map(|s| s.person.as_str()).collect();
    assert_eq!(people, ["bob", "carol"]);
    assert_eq!(document.comment.as_deref(), Some("carol says approve"));

    let late = store.record_attempt(&attempt(A, "dave", Answer::Deny, 13), &signer).unwrap();
    let Attempted::Refused(refusal) = late else { panic!("a late deny counted") };
    assert_eq!(refusal.to_string(), "already decided by bob, carol: approved");
    assert_eq!(store.get(A).unwrap().unwrap().state, State::Approved);

    let log = store.attempts(A).unwrap();
    let summary: Vec<_> = log.iter().map(|a| (a.person.as_str(), a.accepted, a.reason.as_str())).collect();
    assert_eq!(
        summary,
        [
            ("bob", true, "counted"),
            ("bob", false, "already approved by you"),
            ("alice", false, summary[2].2),
            ("carol", true, "approved"),
            ("dave", false, "already decided by bob, carol: approved"),
        ]
    );
}

#[test]
fn deny_is_final_withdraw_and_expiry() {
    let store = SqliteStore::in_memory().unwrap();
    let signer = signer();
    for id in [A, B] {
        store.create_request(&request(id, 2, 100)).unwrap();
    }
    store.record_attempt(&attempt(A, "bob", Answer::Approve, 10), &signer).unwrap();
    let denied = store.record_attempt(&attempt(A, "carol", Answer::Deny, 10), &signer).unwrap();
    let Attempted::Counted { request, became_final: true } = denied else { panic!("deny not final") };
    let document = request.signed.unwrap().open(&signer.public()).unwrap();
    assert_eq!((document.decision, document.approvers.len()), (Answer::Deny, 1));
    let after = store.record_attempt(&attempt(A, "dave", Answer::Approve, 10), &signer).unwrap();
    assert!(
        matches!(after, Attempted::Refused(Refusal::Decided { ref by, .. }) if by == &["carol".to_string()])
    );
    // Withdrawing a final request changes nothing.
    assert_eq!(store.withdraw(A, "answered on the terminal", "t").unwrap().state, State::Denied);

    assert!(store.expire_due(100, "t").unwrap().is_empty());
    let expired = store.expire_due(101, "t").unwrap();
    assert_eq!(expired.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [B]);
    let decided_late = store.record_attempt(&attempt(B, "bob", Answer::Approve, 50), &signer).unwrap();
    assert!(matches!(decided_late, Attempted::Refused(Refusal::Expired)));
}

#[test]
fn state_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new/folder/broker.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        store.create_request(&request(A, 2, 100)).unwrap();
        store.record_attempt(&attempt(A, "bob", Answer::Approve, 10), &signer()).unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let request = store.get(A).unwrap().unwrap();
    assert_eq!((request.state, request.approved_count()), (State::Pending, 1));
    assert_eq!(store.attempts(A).unwrap().len(), 1);
}

#[test]
fn chat_copies_are_kept_once_each_per_channel() {
    let store = SqliteStore::in_memory().unwrap();
    store.add_message("r1", "slack-ops", "C1", "1.1").unwrap();
    store.add_message("r1", "slack-ops", "D2", "1.2").unwrap();
    store.add_message("r1", "slack-ops", "C1", "1.1").unwrap();
    store.add_message("r1", "other", "C9", "9.9").unwrap();
    store.add_message("r2", "slack-ops", "C1", "2.1").unwrap();
    assert_eq!(
        store.messages("r1", "slack-ops").unwrap(),
        [("C1".to_string(), "1.1".to_string()), ("D2".to_string(), "1.2".to_string())]
    );
    assert!(store.messages("r3", "slack-ops").unwrap().is_empty());
}
