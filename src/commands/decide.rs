//! `gate approve ID` and `gate deny ID`: decide a request as a person (or, with an
//! integration's token, on behalf of one). The request is shown, every field escaped, and the
//! answer confirmed on the terminal; `--yes` skips that only where it cannot be an agent
//! approving itself: stdin a terminal, or an integration's token.

use std::io::{BufRead, IsTerminal, Write};

use crate::approval::signed::Answer;
use crate::approval::wire::{DecisionBody, RequestView, State};
use crate::broker::client::{ApproverClient, ClientError};
use crate::exit_code;

/// Where the broker is and who is asking.
#[derive(Debug, clap::Args)]
pub struct Connection {
    /// The broker's URL [default: $GATE_BROKER_URL]
    #[arg(long, value_name = "URL")]
    pub broker: Option<String>,
}

/// Approve a pending request on the broker (ID: any unique prefix)
///
/// Examples:
///   gate approve 3f9c --comment "release 1.4"
///   gate approve 3f9c --yes --as bob        # with an integration's token
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct DecideArgs {
    /// The request id, or any unique prefix of it
    pub id: String,

    /// Why: kept in the signed decision and the audit log
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,

    /// Do not ask for confirmation (refused when stdin is not a terminal, unless the token is an
    /// integration's)
    #[arg(long)]
    pub yes: bool,

    /// The person decided for (integration tokens only)
    #[arg(long = "as", value_name = "PERSON")]
    pub approver: Option<String>,

    #[command(flatten)]
    pub connection: Connection,
}

/// The client for GATE_BROKER_URL (or --broker) and GATE_APPROVER_TOKEN; `Err(exit code)` after
/// saying what is missing.
pub(super) fn client(connection: &Connection) -> Result<ApproverClient, i32> {
    let url = connection.broker.clone().or_else(|| std::env::var("GATE_BROKER_URL").ok());
    let Some(url) = url.filter(|url| !url.is_empty()) else {
        eprintln!("gate: no broker: set GATE_BROKER_URL or pass --broker URL");
        return Err(exit_code::USAGE);
    };
    let Some(token) = std::env::var("GATE_APPROVER_TOKEN").ok().filter(|token| !token.is_empty()) else {
        eprintln!("gate: no approver token: set GATE_APPROVER_TOKEN to your personal token");
        return Err(exit_code::USAGE);
    };
    ApproverClient::new(&url, &token).map_err(|error| {
        eprintln!("gate: {error}");
        exit_code::USAGE
    })
}

/// Escapes control characters only: the broker escaped the text already, and escaping its
/// backslashes again would garble it; a broker that did not is still kept off the terminal.
pub(super) fn controls(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { crate::display::escape_controls(&c.to_string()) } else { c.to_string() })
        .collect()
}

pub fn approve(args: DecideArgs) -> anyhow::Result<i32> {
    run(args, Answer::Approve)
}

pub fn deny(args: DecideArgs) -> anyhow::Result<i32> {
    run(args, Answer::Deny)
}

fn run(args: DecideArgs, answer: Answer) -> anyhow::Result<i32> {
    let client = match client(&args.connection) {
        Ok(client) => client,
        Err(code) => return Ok(code),
    };
    match decide(&client, &args, answer) {
        Err(ClientError::Refused { message, .. }) => {
            eprintln!("gate: {}", controls(&message));
            Ok(exit_code::FAILED)
        }
        other => Ok(other?),
    }
}

fn decide(client: &ApproverClient, args: &DecideArgs, answer: Answer) -> Result<i32, ClientError> {
    let who = client.whoami()?;
    if args.yes && !std::io::stdin().is_terminal() && who.integration.is_none() {
        eprintln!(
            "gate: --yes needs a terminal on stdin with a personal token: an agent must not approve its own \
             commands (integrations use their channel's token)"
        );
        return Ok(exit_code::USAGE);
    }
    let request = client.show(&args.id, who.person.is_some())?;
    print!("{}", describe(&request));
    let verb = answer.as_str();
    if !args.yes {
        match confirm(&format!("{verb} request {}? [y/N] ", &request.id[..8.min(request.id.len())])) {
            Ok(true) => {}
            Ok(false) => {
                eprintln!("gate: not {}", if answer == Answer::Approve { "approved" } else { "denied" });
                return Ok(exit_code::FAILED);
            }
            Err(why) => {
                eprintln!(
                    "gate: cannot ask for confirmation on the terminal ({why}): pass --yes from a terminal"
                );
                return Ok(exit_code::USAGE);
            }
        }
    }
    let body =
        DecisionBody { decision: answer, approver: args.approver.clone(), comment: args.comment.clone() };
    let decided = client.decide(&request.id, &body)?;
    match (answer, decided.state) {
        (Answer::Deny, _) => println!("denied"),
        (Answer::Approve, State::Approved | State::Pending) => {
            println!("approved ({} of {})", decided.approvals, decided.quorum)
        }
        (Answer::Approve, state) => println!("{state:?}"),
    }
    Ok(exit_code::SUCCESS)
}

fn describe(request: &RequestView) -> String {
    let approvals: Vec<String> = request
        .approvals
        .iter()
        .map(|s| format!("{} ({})", controls(&s.person), controls(&s.channel)))
        .collect();
    let left = (request.deadline - crate::broker::unix_now()).max(0);
    let rows = [
        ("request", controls(&request.id)),
        ("command", controls(&request.command)),
        ("cwd", controls(&request.cwd)),
        ("user", format!("{}@{}", controls(&request.user), controls(&request.host))),
        ("rule", request.rule.as_deref().map(controls).unwrap_or_else(|| "(default)".into())),
        ("reason", controls(&request.reason)),
        ("parent", request.parent.as_deref().map(controls).unwrap_or_default()),
        ("hash", controls(&request.command_sha256)),
        ("created", controls(&request.created)),
        ("page", controls(&request.url)),
        (
            "state",
            format!(
                "{}, {} of {} approvals{}",
                request.state.as_str(),
                request.approvals.len(),
                request.quorum,
                if approvals.is_empty() { String::new() } else { format!(": {}", approvals.join(", ")) }
            ),
        ),
        ("expires", format!("in {left}s")),
    ];
    rows.iter().map(|(name, value)| format!("{name:<8} {value}\n")).collect()
}

/// Asks on the controlling terminal, never on stdin (which an agent may feed).
fn confirm(prompt: &str) -> Result<bool, String> {
    let tty =
        std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty").map_err(|e| e.to_string())?;
    let mut writer = &tty;
    writer.write_all(prompt.as_bytes()).map_err(|e| e.to_string())?;
    let mut line = String::new();
    std::io::BufReader::new(&tty).read_line(&mut line).map_err(|e| e.to_string())?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}
