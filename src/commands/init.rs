//! `gate init AGENT`: writes gate's hook into the agent's settings, keeping everything else.
//!
//! Guarantees: nothing in the file that is not gate's changes; the old file is kept as a
//! backup beside it before anything is written; the write is atomic (a crash leaves the old
//! file or the new one); running it again changes nothing; a file gate cannot read as JSON is
//! left untouched and named.

use crate::agents::Agent;
use crate::agents::settings::{self, Scope};
use crate::exit_code;
use anyhow::Context as _;
use std::path::{Path, PathBuf};

/// Wire gate into an agent: merge gate's hook into its settings file
///
/// Prints what changed, and keeps the old file as FILE.gate-backup-TIME. Running it again
/// changes nothing. The user's settings by default (every project); --project for this
/// project's (to check in).
///
/// Examples:
///   gate init claude-code
///   gate init codex --project --dry-run
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct InitArgs {
    /// The agent to wire gate into
    #[arg(value_enum)]
    pub agent: Agent,

    /// This project's settings (in the current directory)
    #[arg(long, conflicts_with = "user")]
    pub project: bool,

    /// The user's settings, for every project (the default)
    #[arg(long)]
    pub user: bool,

    /// Show what would change, change nothing
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: InitArgs) -> anyhow::Result<i32> {
    let scope = if args.project { Scope::Project } else { Scope::User };
    let home = crate::paths::home().context("cannot find the home folder: set HOME")?;
    let project = std::env::current_dir().context("cannot read the current directory")?;
    let path = match settings::path(args.agent, scope, &home, &project) {
        Ok(path) => path,
        Err(why) => {
            eprintln!("gate: {why}");
            return Ok(exit_code::USAGE);
        }
    };
    if args.agent == Agent::Codex {
        match settings::codex_inline_hooks(&path) {
            (true, _) => {
                println!(
                    "{}: gate's hook is already there; nothing to change",
                    path.with_file_name("config.toml").display()
                );
                return Ok(exit_code::SUCCESS);
            }
            (false, true) => eprintln!(
                "gate: note: {} has inline [hooks] too; Codex merges both files of a layer and warns: consider moving them into one",
                path.with_file_name("config.toml").display()
            ),
            (false, false) => {}
        }
    }
    // Cline's hooks are two scripts side by side; every other agent's, one settings file.
    let scripts = settings::scripts(args.agent);
    let targets: Vec<(PathBuf, Option<&str>)> = if scripts.is_empty() {
        vec![(path, None)]
    } else {
        scripts.iter().map(|(name, text)| (path.with_file_name(name), Some(text.as_str()))).collect()
    };
    // Every file is planned before any is written: one that cannot be merged into leaves all
    // of them as they are.
    let mut plans = Vec::new();
    for (path, script) in targets {
        let old = match std::fs::read(&path) {
            Ok(bytes) => Some(bytes),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => return Err(error).with_context(|| format!("cannot read {}", path.display())),
        };
        match planned(args.agent, script, old.as_deref()) {
            Ok((new, changes)) => plans.push((path, old, new, changes)),
            Err(why) => {
                eprintln!("gate: {}: {why}", path.display());
                return Ok(exit_code::FAILED);
            }
        }
    }
    let mut wrote = false;
    for (path, old, new, changes) in plans {
        let shown = crate::display::escape_controls(&path.display().to_string());
        if changes.is_empty() {
            println!("{shown}: gate's hook is already there; nothing to change");
            continue;
        }
        if args.dry_run {
            println!("{shown} (dry run, nothing written):");
            print!("{}", diff(&String::from_utf8_lossy(old.as_deref().unwrap_or_default()), &new));
            continue;
        }
        let backup = write(&path, old.as_deref(), new.as_bytes(), args.agent == Agent::Cline)?;
        wrote = true;
        println!("{shown}:");
        for change in &changes {
            println!("  {change}");
        }
        if let Some(backup) = backup {
            println!(
                "  the old file is kept as {}",
                crate::display::escape_controls(&backup.display().to_string())
            );
        }
    }
    if !wrote {
        return Ok(exit_code::SUCCESS);
    }
    if let Some(note) = note(args.agent) {
        println!("{note}");
    }
    if which::which("gate").is_err() {
        eprintln!(
            "gate: warning: `gate` is not on PATH here, and the hook runs `gate`: install it (cargo install --path .) or put it on PATH"
        );
    }
    Ok(exit_code::SUCCESS)
}

/// The new contents and what changed, or why the file cannot be merged into: `script` for a
/// hook that is a script of its own (Cline's), else gate's entries merged into JSON settings.
fn planned(agent: Agent, script: Option<&str>, old: Option<&[u8]>) -> Result<(String, Vec<String>), String> {
    if let Some(script) = script {
        return match old {
            None => Ok((
                script.to_string(),
                vec![format!("wrote a hook script that runs `{}`", settings::hook_command(agent))],
            )),
            Some(text) if settings::script_runs_gate(agent, &String::from_utf8_lossy(text)) => {
                Ok((String::from_utf8_lossy(text).into_owned(), Vec::new()))
            }
            Some(_) => Err(format!(
                "the hook script exists and does not run gate: make it run `{}` (and refuse when it does, before a tool)",
                settings::hook_command(agent)
            )),
        };
    }
    let current = match old {
        None => serde_json::json!({}),
        Some(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => serde_json::json!({}),
        Some(bytes) => serde_json::from_slice(bytes).map_err(|error| {
            format!("is not valid JSON ({error}); fix it or move it aside, then run gate init again")
        })?,
    };
    let (merged, changes) = settings::merge(agent, current)?;
    Ok((settings::to_text(&merged), changes))
}

/// Writes the file atomically, keeping the old one as a backup; returns the backup's path.
fn write(path: &Path, old: Option<&[u8]>, new: &[u8], executable: bool) -> anyhow::Result<Option<PathBuf>> {
    use std::os::unix::fs::PermissionsExt;
    let folder = path.parent().context("the settings file has no folder")?;
    std::fs::create_dir_all(folder).with_context(|| format!("cannot create {}", folder.display()))?;
    let mode = std::fs::metadata(path)
        .map(|metadata| metadata.permissions().mode() & 0o7777)
        .unwrap_or(if executable { 0o755 } else { 0o644 });
    let backup = match old {
        Some(bytes) => {
            let seconds = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs();
            let mut name = path.as_os_str().to_owned();
            name.push(format!(".gate-backup-{seconds}"));
            let backup = PathBuf::from(name);
            std::fs::write(&backup, bytes)
                .with_context(|| format!("cannot write the backup {}", backup.display()))?;
            Some(backup)
        }
        None => None,
    };
    crate::files::replace(path, &[new], crate::files::Mode::Exactly(mode), true)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(backup)
}

/// What the user still has to do, where the agent asks for it.
fn note(agent: Agent) -> Option<&'static str> {
    match agent {
        Agent::Codex => Some(
            "Codex runs a new hook only once you trust it: open /hooks in Codex and trust `gate hook codex`.",
        ),
        Agent::ClaudeCode => Some("Claude Code reads it at the next start (or through /hooks)."),
        _ => None,
    }
}

/// A line diff (`-` old, `+` new, two spaces unchanged), by the longest common subsequence;
/// settings files are small.
fn diff(old: &str, new: &str) -> String {
    use crate::display::escape_controls;
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let mut common = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            common[i][j] =
                if a[i] == b[j] { common[i + 1][j + 1] + 1 } else { common[i + 1][j].max(common[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!("  {}\n", escape_controls(a[i])));
            (i, j) = (i + 1, j + 1);
        } else if j < b.len() && (i == a.len() || common[i][j + 1] >= common[i + 1][j]) {
            out.push_str(&format!("+ {}\n", escape_controls(b[j])));
            j += 1;
        } else {
            out.push_str(&format!("- {}\n", escape_controls(a[i])));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn diff_marks_added_and_removed_lines() {
        let cases = [
            ("a\nb\n", "a\nb\n", "  a\n  b\n"),
            ("a\nc\n", "a\nb\nc\n", "  a\n+ b\n  c\n"),
            ("a\nb\n", "a\n", "  a\n- b\n"),
            ("", "x\n", "+ x\n"),
        ];
        for (old, new, expected) in cases {
            assert_eq!(super::diff(old, new), expected, "{old:?} -> {new:?}");
        }
    }
}
