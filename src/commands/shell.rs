//! `gate shell`: a stand-in for `sh -c` in tools that let you choose the shell their commands
//! run with (`SHELL=`, `--shell`). Each line goes the `gate exec -c` way: classified, approved,
//! recorded, run with bash, recorded.
//!
//! Guarantees: an allowed line behaves as `bash -c` would: the same stdin, stdout, stderr and
//! exit code, and when a signal kills the command gate dies of the same signal (after recording
//! it). A refused line exits 77. Options that change what runs (`-i`, `-s`, a script file, `$0`
//! and arguments after the line) are refused, not ignored: gate judges the line alone.

use super::input::{Environment, PolicyArgs, Request};
use crate::exit_code;
use crate::runner::Program;
use std::ffi::OsString;

/// A shell for tools that run `$SHELL -c LINE`: judge the line, then run it with bash
///
/// Takes what such tools pass: -c LINE with -l, -e, -u, -x, -v, -o pipefail (errexit, nounset,
/// xtrace, verbose), --login, --noprofile, --norc. Login shells read no profile: the line runs
/// with the environment gate was given. Anything else is refused (exit 2).
///
/// As $SHELL, link gate under the name gate-shell (ln -s "$(command -v gate)" ~/.local/bin/gate-shell):
/// called as gate-shell, gate is `gate shell`.
///
/// Examples:
///   gate shell -c 'cargo test'
///   gate shell -lc 'git status'
///   gate shell -e -o pipefail -c 'make | tee build.log'
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct ShellArgs {
    /// Shell options and -c LINE, as for sh
    #[arg(value_name = "ARGS", trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<OsString>,
}

pub fn run(args: ShellArgs) -> anyhow::Result<i32> {
    let (line, options) = match parse(&args.args) {
        Ok(parsed) => parsed,
        Err(why) => {
            eprintln!("gate: shell: {why}");
            return Ok(exit_code::USAGE);
        }
    };
    let analysis = crate::shell::analyze_line_bytes(line.as_encoded_bytes());
    if analysis.units.is_empty() && analysis.parse_error.is_none() {
        // `sh -c ''` or a comment does nothing, successfully: nothing to judge or record.
        return Ok(exit_code::SUCCESS);
    }
    let (environment, policy) = Environment::for_command(&PolicyArgs { policy: None }, None)?;
    let database = crate::paths::database(None)
        .ok_or_else(|| anyhow::anyhow!("no place for the audit log: set HOME, XDG_DATA_HOME or GATE_DB"))?;
    let program = Program::Shell { line: line.clone(), options };
    let finished = crate::pipeline::exec_as(&policy, &environment, &database, Request::Line(line), program)?;
    if let Some(signal) = finished.signal {
        // Die of the same signal, as `sh -c` would have: the caller may look at how it ended.
        let _ = signal_hook::low_level::emulate_default_handler(signal);
    }
    Ok(finished.code)
}

/// The line and the options for bash, from sh-style arguments.
fn parse(args: &[OsString]) -> Result<(OsString, Vec<String>), String> {
    let mut options = Vec::new();
    let mut command_mode = false;
    let mut operands: Vec<OsString> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        // The line is carried as bytes, UTF-8 or not; an option must be one gate knows.
        let is_option = matches!(arg.as_encoded_bytes(), [b'-' | b'+', _, ..]);
        if !operands.is_empty() || !is_option {
            operands.push(arg.clone());
            continue;
        }
        let Some(text) = arg.to_str() else {
            return Err(format!("option {} is not supported", crate::display::argv_line(&[arg])));
        };
        match text {
            "--" => {
                operands.extend(args.by_ref().cloned());
                break;
            }
            "--login" | "--noprofile" | "--norc" => continue,
            _ if text.starts_with("--") => return Err(format!("option {text} is not supported")),
            _ => {}
        }
        let (sign, flags) = text.split_at(1);
        for flag in flags.chars() {
            match flag {
                'c' if sign == "-" => command_mode = true,
                'l' => {}
                'e' | 'u' | 'x' | 'v' => options.push(format!("{sign}{flag}")),
                'o' => {
                    let name = args.next().and_then(|name| name.to_str()).unwrap_or("");
                    if !["pipefail", "errexit", "nounset", "xtrace", "verbose"].contains(&name) {
                        return Err(format!("option {sign}o {name:?} is not supported"));
                    }
                    options.extend([format!("{sign}o"), name.to_string()]);
                }
                other => return Err(format!("option {sign}{other} is not supported")),
            }
        }
    }
    if !command_mode {
        return Err("gate shell runs -c LINE only (no scripts, no interactive shell)".into());
    }
    match operands.as_slice() {
        [line] => Ok((line.clone(), options)),
        [] => Err("-c needs a LINE".into()),
        [_, ..] => {
            Err("arguments after the -c LINE ($0, $1…) are not supported: put them in the line".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn sh_style_arguments() {
        let ok: [(&[&str], &str, &[&str]); 8] = [
            (&["-c", "ls"], "ls", &[]),
            (&["-lc", "ls"], "ls", &[]),
            (&["-ec", "ls"], "ls", &["-e"]),
            (&["-e", "-c", "ls"], "ls", &["-e"]),
            (&["-o", "pipefail", "-c", "a | b"], "a | b", &["-o", "pipefail"]),
            (&["-c", "-e", "ls"], "ls", &["-e"]),
            (&["--login", "-c", "ls"], "ls", &[]),
            (&["-c", "--", "-x"], "-x", &[]),
        ];
        for (args, line, options) in ok {
            let args: Vec<_> = args.iter().map(Into::into).collect();
            assert_eq!(parse(&args), Ok((line.into(), options.iter().map(|o| o.to_string()).collect())));
        }
        let refused: [&[&str]; 7] = [
            &[],
            &["script.sh"],
            &["-i", "-c", "ls"],
            &["-c"],
            &["-c", "ls", "name", "arg"],
            &["-o", "posix", "-c", "ls"],
            &["--rcfile", "x", "-c", "ls"],
        ];
        for args in refused {
            let args: Vec<_> = args.iter().map(Into::into).collect();
            assert!(parse(&args).is_err(), "{args:?}");
        }
    }
}
