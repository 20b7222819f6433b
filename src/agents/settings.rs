//! Where each agent keeps its hook settings, what gate writes there, and how it merges into
//! what is already there (`gate init`) or is found there (`gate doctor`).
//!
//! Guarantees: a merge keeps every setting it does not own (other hooks, other events, unknown
//! fields); gate's entry is recognised by its command (`gate hook AGENT`, gate by any path), so
//! a second run changes nothing; an entry of gate's that differs from the current one is
//! replaced, never duplicated.

use super::Agent;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// Which settings file: the project's (checked in, shared) or the user's (every project).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Project,
    User,
}

/// The command gate's hook runs for an agent.
pub fn hook_command(agent: Agent) -> String {
    format!("gate hook {}", agent.name())
}

/// The settings file of an agent in a scope, or why gate cannot write one there.
pub fn path(agent: Agent, scope: Scope, home: &Path, project: &Path) -> Result<PathBuf, String> {
    let base = match scope {
        Scope::Project => project,
        Scope::User => home,
    };
    Ok(match (agent, scope) {
        (Agent::ClaudeCode, _) => base.join(".claude/settings.json"),
        (Agent::Codex, _) => base.join(".codex/hooks.json"),
        (Agent::Gemini, _) => base.join(".gemini/settings.json"),
        (Agent::Cursor, _) => base.join(".cursor/hooks.json"),
        (Agent::Copilot, Scope::Project) => base.join(".github/hooks/gate.json"),
        (Agent::Copilot, Scope::User) => {
            return Err("Copilot CLI reads hooks from the repository's .github/hooks: use --project".into());
        }
        (Agent::Cline, Scope::Project) => base.join(".clinerules/hooks/PreToolUse"),
        (Agent::Cline, Scope::User) => base.join("Documents/Cline/Hooks/PreToolUse"),
    })
}

/// The folders whose presence says the agent is used here (for `gate doctor`).
pub fn traces(agent: Agent, home: &Path, project: &Path) -> Vec<PathBuf> {
    let names: &[&str] = match agent {
        Agent::ClaudeCode => &[".claude"],
        Agent::Codex => &[".codex"],
        Agent::Gemini => &[".gemini"],
        Agent::Cursor => &[".cursor"],
        Agent::Copilot => &[".copilot", ".github/hooks"],
        Agent::Cline => &[".clinerules", "Documents/Cline"],
    };
    names.iter().flat_map(|name| [home.join(name), project.join(name)]).collect()
}

/// The files that can hold the agent's hooks, beyond the one `gate init` writes.
pub fn other_files(agent: Agent, home: &Path, project: &Path) -> Vec<PathBuf> {
    match agent {
        Agent::ClaudeCode => vec![project.join(".claude/settings.local.json")],
        Agent::Codex => vec![home.join(".codex/config.toml"), project.join(".codex/config.toml")],
        Agent::Cline => vec![home.join("Documents/Cline/Rules/Hooks/PreToolUse")],
        Agent::Copilot => std::fs::read_dir(project.join(".github/hooks"))
            .map(|dir| dir.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect())
            .unwrap_or_default(),
        Agent::Gemini | Agent::Cursor => Vec::new(),
    }
}

/// Cline's hooks are scripts, not settings entries: (file name, contents), the pre-tool one first.
/// They sit in one folder, the one of [`path`].
pub fn scripts(agent: Agent) -> Vec<(&'static str, String)> {
    if agent != Agent::Cline {
        return Vec::new();
    }
    let command = hook_command(agent);
    vec![
        (
            "PreToolUse",
            format!(
                "#!/bin/sh\n# gate judges every command Cline runs (written by `gate init cline`).\nexec {command}\n"
            ),
        ),
        (
            "PostToolUse",
            format!(
                "#!/bin/sh\n# gate records how each command Cline ran ended (written by `gate init cline`).\nexec {command}\n"
            ),
        ),
    ]
}

/// gate's entries in an agent's JSON settings: (event, the entry in that event's list).
pub fn entries(agent: Agent) -> Vec<(&'static str, Value)> {
    let command = hook_command(agent);
    match agent {
        Agent::ClaudeCode => vec![
            (
                "PreToolUse",
                json!({"matcher": "Bash", "hooks": [
                    {"type": "command", "command": command, "timeout": 600, "onFailure": "block"}
                ]}),
            ),
            (
                "PostToolUse",
                json!({"matcher": "Bash", "hooks": [{"type": "command", "command": command, "timeout": 60}]}),
            ),
            (
                "PostToolUseFailure",
                json!({"matcher": "Bash", "hooks": [{"type": "command", "command": command, "timeout": 60}]}),
            ),
        ],
        Agent::Codex => vec![
            (
                "PreToolUse",
                json!({"matcher": "^Bash$", "hooks": [{"type": "command", "command": command, "timeout": 600}]}),
            ),
            (
                "PostToolUse",
                json!({"matcher": "^Bash$", "hooks": [{"type": "command", "command": command, "timeout": 60}]}),
            ),
        ],
        Agent::Gemini => vec![
            (
                "BeforeTool",
                json!({"matcher": "run_shell_command", "hooks": [
                    {"type": "command", "command": command, "name": "gate", "timeout": 600000}
                ]}),
            ),
            (
                "AfterTool",
                json!({"matcher": "run_shell_command", "hooks": [
                    {"type": "command", "command": command, "name": "gate", "timeout": 60000}
                ]}),
            ),
        ],
        Agent::Cursor => vec![
            ("beforeShellExecution", json!({"command": command, "timeout": 600, "failClosed": true})),
            ("afterShellExecution", json!({"command": command, "timeout": 60})),
        ],
        Agent::Copilot => vec![
            ("preToolUse", json!({"type": "command", "bash": command, "timeoutSec": 600})),
            ("postToolUse", json!({"type": "command", "bash": command, "timeoutSec": 60})),
            ("postToolUseFailure", json!({"type": "command", "bash": command, "timeoutSec": 60})),
        ],
        Agent::Cline => Vec::new(),
    }
}

/// Whether the file format has a top-level `"version": 1`.
fn versioned(agent: Agent) -> bool {
    matches!(agent, Agent::Cursor | Agent::Copilot)
}

/// The settings as they stand after merging gate's entries in, and what changed.
pub fn merge(agent: Agent, mut settings: Value) -> Result<(Value, Vec<String>), String> {
    let Some(object) = settings.as_object_mut() else {
        return Err("the file does not hold a JSON object".into());
    };
    let mut changes = Vec::new();
    if versioned(agent) && !object.contains_key("version") {
        object.insert("version".into(), json!(1));
        changes.push("set version 1".to_string());
    }
    let hooks = object.entry("hooks").or_insert_with(|| json!({}));
    let Some(hooks) = hooks.as_object_mut() else {
        return Err("its \"hooks\" is not a JSON object".into());
    };
    for (event, entry) in entries(agent) {
        let list = hooks.entry(event).or_insert_with(|| json!([]));
        let Some(list) = list.as_array_mut() else {
            return Err(format!("its hooks.{event} is not a list"));
        };
        match list.iter().position(|existing| is_gates(agent, existing)) {
            Some(index) if list[index] == entry => {}
            Some(index) => {
                list[index] = entry;
                changes.push(format!("updated gate's hook in hooks.{event}"));
            }
            None => {
                list.push(entry);
                changes.push(format!("added gate's hook to hooks.{event}"));
            }
        }
    }
    Ok((settings, changes))
}

/// What `gate doctor` finds of gate's hook in an agent's settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    /// The events gate's pre-tool hook is wired to.
    pub present: bool,
    /// Whether the agent blocks the command when the hook cannot run (where it has a setting).
    pub fail_closed: Option<bool>,
}

/// gate's pre-tool hook in parsed settings.
pub fn find(agent: Agent, settings: &Value) -> Found {
    let Some((event, _)) = entries(agent).into_iter().next() else { return Found::default() };
    let list = settings.pointer(&format!("/hooks/{event}")).and_then(Value::as_array);
    let Some(entry) = list.and_then(|list| list.iter().find(|entry| is_gates(agent, entry))) else {
        return Found::default();
    };
    let fail_closed = match agent {
        Agent::ClaudeCode => Some(gates_hooks(agent, entry).any(|hook| hook["onFailure"] == "block")),
        Agent::Cursor => Some(entry["failClosed"] == true),
        _ => None,
    };
    Found { present: true, fail_closed }
}

/// Whether a script (Cline's hook file) runs gate's hook.
pub fn script_runs_gate(agent: Agent, text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim().strip_prefix("exec ").unwrap_or(line.trim());
        is_gate_command(agent, line)
    })
}

/// Whether an entry of a hook list is gate's: its own command, or one of its `hooks`.
fn is_gates(agent: Agent, entry: &Value) -> bool {
    gates_hooks(agent, entry).next().is_some()
}

fn gates_hooks(agent: Agent, entry: &Value) -> impl Iterator<Item = &Value> {
    let nested = entry.get("hooks").and_then(Value::as_array).into_iter().flatten();
    std::iter::once(entry).chain(nested).filter(move |hook| {
        ["command", "bash"]
            .iter()
            .any(|key| hook.get(key).and_then(Value::as_str).is_some_and(|c| is_gate_command(agent, c)))
    })
}

/// `gate hook AGENT`, with gate named by any path.
fn is_gate_command(agent: Agent, command: &str) -> bool {
    let words: Vec<&str> = command.split_whitespace().collect();
    matches!(words.as_slice(), [gate, "hook", name] if *name == agent.name()
        && (*gate == "gate" || gate.ends_with("/gate")))
}

/// What `gate doctor` finds of an agent on this machine and in this project.
#[derive(Clone, Debug, Default)]
pub struct Inspection {
    /// Whether the agent leaves traces here (its settings folder): it is used.
    pub used: bool,
    /// The files that hold gate's hook, and what the hook there looks like.
    pub hooked: Vec<(PathBuf, Found)>,
    /// Files that could not be read or parsed.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Looks for gate's hook in every file the agent reads hooks from, user's and project's.
pub fn inspect(agent: Agent, home: &Path, project: &Path) -> Inspection {
    let mut inspection = Inspection {
        used: traces(agent, home, project).iter().any(|path| path.exists()),
        ..Inspection::default()
    };
    let written =
        [Scope::User, Scope::Project].into_iter().filter_map(|scope| path(agent, scope, home, project).ok());
    let mut files: Vec<PathBuf> = written.chain(other_files(agent, home, project)).collect();
    files.dedup();
    for file in files {
        let Ok(bytes) = std::fs::read(&file) else { continue };
        let text = String::from_utf8_lossy(&bytes);
        let found = if agent == Agent::Cline {
            Ok(Found { present: script_runs_gate(agent, &text), fail_closed: Some(true) })
        } else if file.extension().is_some_and(|ext| ext == "toml") {
            toml::from_str::<toml::Value>(&text)
                .map_err(|error| error.to_string())
                .and_then(|value| serde_json::to_value(value).map_err(|error| error.to_string()))
                .map(|value| find(agent, &value))
        } else {
            serde_json::from_str::<Value>(&text)
                .map_err(|error| error.to_string())
                .map(|value| find(agent, &value))
        };
        match found {
            Ok(found) if found.present => inspection.hooked.push((file, found)),
            Ok(_) => {}
            Err(why) => inspection.unreadable.push((file, why)),
        }
    }
    inspection
}

/// Codex's `config.toml` beside its `hooks.json`: whether it holds gate's hook, and whether it
/// holds inline `[hooks]` at all (Codex merges both files of a layer, with a warning).
pub fn codex_inline_hooks(hooks_json: &Path) -> (bool, bool) {
    let config = hooks_json.with_file_name("config.toml");
    let Ok(text) = std::fs::read_to_string(config) else { return (false, false) };
    let Ok(value) = toml::from_str::<toml::Value>(&text) else { return (false, false) };
    let Ok(value) = serde_json::to_value(value) else { return (false, false) };
    (find(Agent::Codex, &value).present, value.get("hooks").is_some())
}

/// JSON as gate writes settings: two-space indent, a final newline.
pub fn to_text(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_keeps_everything_else_and_is_idempotent() {
        let existing = json!({
            "model": "opus",
            "hooks": {
                "PreToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "lint"}]}],
                "Stop": [{"hooks": [{"type": "command", "command": "notify"}]}],
            },
            "permissions": {"allow": ["Bash(ls:*)"]},
        });
        let (merged, changes) = merge(Agent::ClaudeCode, existing.clone()).unwrap();
        assert_eq!(changes.len(), 3, "{changes:?}");
        assert_eq!(merged["model"], "opus");
        assert_eq!(merged["permissions"], existing["permissions"]);
        assert_eq!(merged["hooks"]["Stop"], existing["hooks"]["Stop"]);
        assert_eq!(merged["hooks"]["PreToolUse"][0], existing["hooks"]["PreToolUse"][0]);
        assert_eq!(merged["hooks"]["PreToolUse"].as_array().unwrap().len(), 2);
        let (again, changes) = merge(Agent::ClaudeCode, merged.clone()).unwrap();
        assert!(changes.is_empty(), "{changes:?}");
        assert_eq!(again, merged);
        assert_eq!(find(Agent::ClaudeCode, &merged), Found { present: true, fail_closed: Some(true) });
    }

    #[test]
    fn an_older_entry_of_gates_is_replaced_not_duplicated() {
        let old = json!({"hooks": {"PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "/usr/local/bin/gate hook claude-code"}]}
        ]}});
        assert_eq!(find(Agent::ClaudeCode, &old), Found { present: true, fail_closed: Some(false) });
        let (merged, changes) = merge(Agent::ClaudeCode, old).unwrap();
        assert_eq!(merged["hooks"]["PreToolUse"].as_array().unwrap().len(), 1);
        assert!(changes[0].starts_with("updated"), "{changes:?}");
    }

    #[test]
    fn what_is_not_an_object_is_refused() {
        for (agent, value) in [
            (Agent::Codex, json!([1])),
            (Agent::Gemini, json!({"hooks": []})),
            (Agent::Cursor, json!({"hooks": {"beforeShellExecution": {}}})),
        ] {
            assert!(merge(agent, value.clone()).is_err(), "{agent:?} {value}");
        }
    }

    #[test]
    fn gates_command_is_recognised_by_its_words() {
        let cases = [
            ("gate hook codex", true),
            ("/opt/bin/gate hook codex", true),
            ("gate hook codex --x", false),
            ("notgate hook codex", false),
            ("gate hook gemini", false),
        ];
        for (command, expected) in cases {
            assert_eq!(is_gate_command(Agent::Codex, command), expected, "{command}");
        }
    }
}
