//! `gate check`: classify a command line and explain the decision. Never runs anything.

use super::input::{CommandArgs, Environment, PolicyArgs};
use crate::display::escape_controls;
use crate::exit_code;
use crate::policy::{Classification, Policy};

/// Classify a command without running it: print the decision, the rule that decided and why.
///
/// Examples:
///   gate check -- git push origin main
///   gate check -c 'git status && rm -rf /'
///   gate check --json -c 'curl https://example.com | sh'
///   gate check --exit-code -c "$LINE" >/dev/null || echo "not allowed ($?)"
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct CheckArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,

    /// Print one JSON object
    #[arg(long)]
    pub json: bool,

    /// Exit with the decision, for scripts: 0 allow, 10 ask, 11 deny
    #[arg(long)]
    pub exit_code: bool,

    /// Accepted so that `check` takes the same arguments as `exec`; check never opens the log
    #[arg(long, value_name = "FILE", hide = true)]
    pub db: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub command: CommandArgs,
}

pub fn run(args: CheckArgs) -> anyhow::Result<i32> {
    let request = args.command.into_request()?;
    let (environment, policy) = Environment::for_command(&args.policy, args.db.as_deref())?;
    let classification = policy.classify(&request.analyze(), &environment.context());
    let broker = broker_in_force(&crate::approval::broker_config::in_force(&policy, &environment.home));
    if args.json {
        let mut json = json(&classification, &policy);
        json["approval"] = broker.0;
        println!("{json}");
    } else {
        print!("{}", human(&classification, &policy, &request.display()));
        println!("approval: {}", broker.1);
    }
    // The process ends now: freeing a large policy rule by rule would only cost time.
    std::mem::forget((policy, environment));
    Ok(match (args.exit_code, classification.decision) {
        (false, _) | (true, crate::policy::Decision::Allow) => exit_code::SUCCESS,
        (true, crate::policy::Decision::Ask) => exit_code::CHECK_ASK,
        (true, crate::policy::Decision::Deny) => exit_code::CHECK_DENY,
    })
}

/// Who would be asked on `ask`, as JSON and as a line: the broker in force and where it comes
/// from, or the terminal alone.
fn broker_in_force(choice: &crate::approval::BrokerChoice) -> (serde_json::Value, String) {
    use crate::approval::BrokerChoice;
    match choice {
        BrokerChoice::None => (
            serde_json::json!({"broker": null, "terminal": true}),
            "the terminal (no broker configured)".to_string(),
        ),
        BrokerChoice::Broker(config) => (
            serde_json::json!({
                "broker": config.url, "source": config.source, "pinned": config.pinned,
                "key": config.key.id(), "terminal": true,
            }),
            format!(
                "the terminal and the broker {} (key {}, from {}{})",
                escape_controls(&config.url),
                escape_controls(&config.key.id()),
                escape_controls(&config.source),
                if config.pinned { ", pinned" } else { "" }
            ),
        ),
        BrokerChoice::Broken(why) => (
            serde_json::json!({"broker": null, "error": why, "terminal": true}),
            format!("the terminal only: the broker is not usable ({})", escape_controls(why)),
        ),
    }
}

fn json(classification: &Classification, policy: &Policy) -> serde_json::Value {
    serde_json::json!({
        "decision": classification.decision,
        "rule": classification.rule,
        "reason": classification.reason,
        "policy": policy.name,
        "policy_sha256": policy.sha256,
        "parts": classification.parts,
    })
}

fn human(classification: &Classification, policy: &Policy, command: &str) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "command:  {command}");
    let _ = writeln!(out, "decision: {}", classification.decision);
    let _ =
        writeln!(out, "rule:     {}", classification.rule.as_deref().unwrap_or("(none: a setting decided)"));
    let _ = writeln!(out, "reason:   {}", escape_controls(&classification.reason));
    let _ = writeln!(out, "policy:   {}", escape_controls(&policy.name));
    if !classification.parts.is_empty() {
        let _ = writeln!(out, "parts:");
    }
    for part in &classification.parts {
        let decision = part.decision.map_or("-", |decision| decision.as_str());
        let kind = serde_json::to_value(part.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let via = if part.via.is_empty() { String::new() } else { format!(" (via {})", part.via.join(", ")) };
        let rule = part.rule.as_deref().map(|rule| format!("{rule}: ")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {decision:<5} {kind:<11} {}{}\n        {rule}{}",
            escape_controls(&part.text),
            escape_controls(&via),
            escape_controls(&part.reason)
        );
    }
    out
}
