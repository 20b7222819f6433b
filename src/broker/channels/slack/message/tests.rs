use super::*;
use crate::approval::signed::Signer;

struct Ids;

impl Names for Ids {
    fn mention(&self, person: &str) -> String {
        match person {
            "bob" => "<@U0BOB>".into(),
            other => escape(other),
        }
    }
}

fn notice(command: &str) -> Notice {
    Notice {
        id: "0123456789abcdef0123456789abcdef".into(),
        command: command.into(),
        rule: Some("release".into()),
        reason: "releases need <b>a human</b>".into(),
        host: "build-7".into(),
        user: "alice".into(),
        cwd: "/srv/app".into(),
        deadline: 1_000_120,
        quorum: 2,
        state: State::Pending,
        approvals: Vec::new(),
        url: "https://gate.example.com/r/0123456789abcdef0123456789abcdef".into(),
        decide_url: String::new(),
        eligible: None,
        note: None,
    }
}

fn signer(person: &str, comment: Option<&str>) -> Signer {
    Signer {
        person: person.into(),
        channel: "slack:ops".into(),
        comment: comment.map(Into::into),
        time: "t".into(),
    }
}

#[test]
fn markup_in_what_is_shown_is_escaped() {
    let cases = [
        ("<!channel> hi", "&lt;!channel&gt; hi"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<https://evil|docs>", "&lt;https://evil|docs&gt;"),
        ("a && b > c", "a &amp;&amp; b &gt; c"),
        ("plain", "plain"),
    ];
    for (text, expected) in cases {
        assert_eq!(escape(text), expected);
    }
    assert_eq!(command_block("echo ```x```"), "```echo `\u{200b}`\u{200b}`x`\u{200b}`\u{200b}````");
}

#[test]
fn long_commands_are_cut_with_the_rest_counted() {
    let long = "x".repeat(COMMAND_LIMIT + 42);
    let block = command_block(&long);
    assert!(block.ends_with("```\n… (42 more bytes, open the page)"), "{block}");
    // Never inside a character.
    let accents = "é".repeat(COMMAND_LIMIT);
    assert!(command_block(&accents).contains(&format!("({} more bytes", COMMAND_LIMIT)));
}

#[test]
fn a_pending_message_has_the_fields_and_both_buttons() {
    let message = message(&notice("git push <!here>"), &Ids, 1_000_000);
    let text = message.to_string();
    assert!(!text.contains("<!here>") && text.contains("&lt;!here&gt;"), "{text}");
    assert!(text.contains("releases need &lt;b&gt;a human&lt;/b&gt;"), "{text}");
    assert!(text.contains("2 min (until <!date^1000120^{time}|"), "{text}");
    let buttons = &message["blocks"].as_array().unwrap().last().unwrap()["elements"];
    assert_eq!(buttons[0]["text"]["text"], "Approve");
    assert_eq!(buttons[0]["action_id"], APPROVE);
    assert_eq!(buttons[1]["text"]["text"], "Deny");
    assert_eq!(buttons[1]["value"], "0123456789abcdef0123456789abcdef");
    assert!(message["text"].as_str().unwrap().starts_with("gate: approval needed: `git push &lt;!here&gt;`"));
}

#[test]
fn status_lines_say_who_and_how_many() {
    let mut n = notice("true");
    assert_eq!(status_line(&n, &Ids), None);
    n.approvals = vec![signer("bob", None)];
    assert_eq!(
        status_line(&n, &Ids).unwrap(),
        ":hourglass_flowing_sand: Approved by <@U0BOB> (1 of 2): waiting for more"
    );
    n.approvals.push(signer("carol", None));
    n.state = State::Approved;
    assert_eq!(status_line(&n, &Ids).unwrap(), ":white_check_mark: Approved by <@U0BOB>, carol (2 of 2)");
    n.approvals = vec![signer("bob", Some("not <!everyone> today"))];
    n.state = State::Denied;
    assert_eq!(status_line(&n, &Ids).unwrap(), ":no_entry: Denied by <@U0BOB>: not &lt;!everyone&gt; today");
    n.state = State::Expired;
    assert!(status_line(&n, &Ids).unwrap().contains("Expired"));
    n.state = State::Withdrawn;
    n.note = Some("answered on the terminal".into());
    assert_eq!(status_line(&n, &Ids).unwrap(), ":keyboard: Answered on the terminal");
    // A final message has no buttons.
    let blocks = message(&n, &Ids, 0)["blocks"].clone();
    assert!(blocks.as_array().unwrap().iter().all(|block| block["type"] != "actions"), "{blocks}");
}
