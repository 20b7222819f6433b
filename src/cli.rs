//! The command-line interface: clap types only. Each subcommand's arguments live with its command.

use crate::commands::{audit::AuditArgs, check::CheckArgs, completions::CompletionsArgs, exec::ExecArgs};
use clap::{Parser, Subcommand};

/// An auditable pause between an automated agent's decision and the execution of a shell command.
#[derive(Debug, Parser)]
#[command(name = "gate", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Exec(ExecArgs),
    Check(CheckArgs),
    Policy(crate::commands::policy::PolicyCommandArgs),
    Audit(AuditArgs),
    Completions(CompletionsArgs),
    Serve(crate::commands::serve::ServeArgs),
    Requests(crate::commands::requests::RequestsArgs),
    Approve(crate::commands::decide::DecideArgs),
    /// Deny a pending request on the broker (ID: any unique prefix)
    Deny(crate::commands::decide::DecideArgs),
    Hook(crate::commands::hook::HookArgs),
    Init(crate::commands::init::InitArgs),
    Shell(crate::commands::shell::ShellArgs),
    Mcp(crate::commands::mcp::McpArgs),
    Doctor(crate::commands::doctor::DoctorArgs),
    Prefix(crate::commands::prefix::PrefixArgs),
}

/// The commands an agent runs for every command it wants to run, parsed without building the
/// other subcommands' arguments (a fifth of a millisecond, on every command). Only a parse that
/// succeeds is taken; anything else (help, a usage error) is parsed again by [`Cli`], so what
/// the user sees is the same.
pub fn parse_hot(args: &[std::ffi::OsString]) -> Option<Cli> {
    use clap::{Args, FromArgMatches};
    if let Some(command) = parse_plain(args) {
        return Some(Cli { command });
    }
    let subcommand = match args.get(1)?.to_str()? {
        "exec" => ExecArgs::augment_args(clap::Command::new("exec")),
        "check" => CheckArgs::augment_args(clap::Command::new("check")),
        "hook" => crate::commands::hook::HookArgs::augment_args(clap::Command::new("hook")),
        "shell" => crate::commands::shell::ShellArgs::augment_args(clap::Command::new("shell")),
        "prefix" => crate::commands::prefix::PrefixArgs::augment_args(clap::Command::new("prefix")),
        _ => return None,
    };
    let matches = clap::Command::new("gate")
        .max_term_width(100)
        .subcommand(subcommand)
        .subcommand_required(true)
        .try_get_matches_from(args)
        .ok()?;
    Command::from_arg_matches(&matches).ok().map(|command| Cli { command })
}

/// `gate exec -- ARGV…` and `gate check -- ARGV…`, an agent's most common lines, without clap
/// (~20 µs): no option, and `--` before a command that is not empty. Every other line goes to
/// clap.
fn parse_plain(args: &[std::ffi::OsString]) -> Option<Command> {
    use crate::commands::input::{CommandArgs, PolicyArgs};
    let [_, subcommand, separator, argv @ ..] = args else { return None };
    if separator != "--" || argv.is_empty() {
        return None;
    }
    let policy = PolicyArgs { policy: None };
    let command = CommandArgs { line: None, argv: argv.to_vec() };
    match subcommand.to_str()? {
        "exec" => Some(Command::Exec(ExecArgs { policy, db: None, command })),
        "check" => {
            Some(Command::Check(CheckArgs { policy, json: false, exit_code: false, db: None, command }))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<std::ffi::OsString> {
        words.iter().map(Into::into).collect()
    }

    /// The hot parse and the whole one agree on every command line the hot one takes, and the
    /// hot one takes none that the whole one would answer with help or an error.
    #[test]
    fn the_hot_parse_is_the_whole_parse() {
        let taken = [
            &["gate", "exec", "--", "true"][..],
            &["gate", "exec", "--", "ls", "--", "-c", "x", "--help"],
            &["gate", "exec", "--", "--version"],
            &["gate", "check", "--", "git", "status"],
            &["gate", "check", "--", "-c", "ls"],
            &["gate", "exec", "--"],
            &["gate", "exec", "-c", "git status && git push"],
            &["gate", "exec", "--policy", "p.toml", "--db", "a.db", "--", "ls", "-la", "--help"],
            &["gate", "exec", "ls", "-la"],
            &["gate", "exec", "--db=a.db", "-c", "echo --version"],
            &["gate", "check", "--json", "--", "git", "status"],
            &["gate", "check", "--exit-code", "--policy", "p.toml", "-c", "rm -rf /"],
            &["gate", "hook", "claude-code"],
            &["gate", "hook", "--policy", "p.toml", "--db", "a.db", "codex"],
            &["gate", "shell", "-c", "ls"],
            &["gate", "shell", "-lc", "ls | wc -l"],
            &["gate", "shell", "-o", "pipefail", "-ec", "false"],
            &["gate", "prefix", "bash", "-c", "ls"],
        ];
        for words in taken {
            let hot = parse_hot(&argv(words)).unwrap_or_else(|| panic!("not taken: {words:?}"));
            let whole = Cli::try_parse_from(argv(words)).unwrap();
            assert_eq!(format!("{hot:?}"), format!("{whole:?}"), "{words:?}");
        }
        let left = [
            &["gate"][..],
            &["gate", "--version"],
            &["gate", "exec", "--help"],
            &["gate", "exec", "-h"],
            &["gate", "check", "--policy"],
            &["gate", "exec", "--db", "a.db", "-c", "ls", "--", "ls"],
            &["gate", "exec", "-c"],
            &["gate", "hook"],
            &["gate", "prefix"],
        ];
        for words in left {
            assert!(Cli::try_parse_from(argv(words)).is_err(), "not help or an error: {words:?}");
            assert!(parse_hot(&argv(words)).is_none(), "taken: {words:?}");
        }
        for other in ["audit", "serve", "policy", "doctor", "mcp"] {
            assert!(parse_hot(&argv(&["gate", other])).is_none(), "{other}");
        }
    }
}
