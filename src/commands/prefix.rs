//! `gate prefix` (or gate linked as `gate-prefix`): the program Claude Code's
//! `CLAUDE_CODE_SHELL_PREFIX` names. Claude Code runs every shell command it spawns as
//! `PREFIX COMMAND`: its Bash tool's commands and its hook commands as one string, a stdio MCP
//! server's start-up as its argument vector.
//!
//! Guarantees: gate's own entry points (`gate hook AGENT`, `gate mcp`), which judge and record
//! by themselves, are run as they are (this binary, never the path the string names), so gate
//! never gates its own hook; everything else goes the `gate exec` way.

use super::input::{CommandArgs, Environment, PolicyArgs};
use std::ffi::OsString;

/// Claude Code's CLAUDE_CODE_SHELL_PREFIX: run COMMAND through gate
///
/// One argument is a shell line (gate exec -c); several are an argument vector (gate exec --).
/// gate's own `gate hook AGENT` and `gate mcp` run as they are.
///
/// CLAUDE_CODE_SHELL_PREFIX names a program: link gate under the name gate-prefix
/// (ln -s "$(command -v gate)" ~/.local/bin/gate-prefix) and set it to that path.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct PrefixArgs {
    /// The command Claude Code spawns
    #[arg(value_name = "COMMAND", required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<OsString>,
}

pub fn run(args: PrefixArgs) -> anyhow::Result<i32> {
    let words: Vec<String> = match args.command.as_slice() {
        [line] => line.to_string_lossy().split_whitespace().map(str::to_string).collect(),
        argv => argv.iter().map(|arg| arg.to_string_lossy().into_owned()).collect(),
    };
    if let Some(own) = own_entry_point(&words) {
        return run_own(own);
    }
    let command = match args.command.as_slice() {
        [line] => CommandArgs { line: Some(line.clone()), argv: Vec::new() },
        argv => CommandArgs { line: None, argv: argv.to_vec() },
    };
    // Nothing to run (an empty line, a comment) is a usage error, as for gate exec.
    let request = command.into_request()?;
    let (environment, policy) = Environment::for_command(&PolicyArgs { policy: None }, None)?;
    let database = crate::paths::database(None)
        .ok_or_else(|| anyhow::anyhow!("no place for the audit log: set HOME, XDG_DATA_HOME or GATE_DB"))?;
    crate::pipeline::exec(&policy, &environment, &database, request)
}

/// gate's own arguments when the command is `gate hook AGENT` or `gate mcp [OPTIONS]`, gate
/// named by any path.
fn own_entry_point(words: &[String]) -> Option<Vec<String>> {
    let (program, rest) = words.split_first()?;
    if program != "gate" && !program.ends_with("/gate") {
        return None;
    }
    let is_agent = |name: &str| crate::agents::Agent::ALL.iter().any(|agent| agent.name() == name);
    match rest {
        [hook, agent] if hook == "hook" && is_agent(agent) => Some(rest.to_vec()),
        [mcp, ..] if mcp == "mcp" => Some(rest.to_vec()),
        _ => None,
    }
}

/// Runs gate's own entry point in place of this process: this binary, whatever path was named.
fn run_own(args: Vec<String>) -> anyhow::Result<i32> {
    use anyhow::Context as _;
    use std::os::unix::process::CommandExt;
    let me = std::env::current_exe().context("cannot find gate's own binary")?;
    let error = std::process::Command::new(me).args(args).exec();
    Err(error).context("cannot run gate's own hook")
}

#[cfg(test)]
mod tests {
    #[test]
    fn gates_own_entry_points() {
        let cases: [(&str, bool); 8] = [
            ("gate hook claude-code", true),
            ("/usr/local/bin/gate hook codex", true),
            ("gate mcp --max-output 100", true),
            ("gate hook claude-code; rm -rf x", false),
            ("gate hook nobody", false),
            ("gate exec -- ls", false),
            ("notgate hook claude-code", false),
            ("ls", false),
        ];
        for (line, own) in cases {
            let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
            assert_eq!(super::own_entry_point(&words).is_some(), own, "{line}");
        }
    }
}
