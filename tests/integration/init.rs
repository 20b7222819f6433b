//! `gate init AGENT`: writes exactly the README's snippet, merges into existing settings without
//! losing anything, keeps a backup, changes nothing the second time, and the hook it writes
//! answers the agent's payload.

use super::support::{TestEnv, gate_binary, stderr, stdout};
use serde_json::{Value, json};
use std::path::Path;

const AGENTS: [(&str, &str); 6] = [
    ("claude-code", ".claude/settings.json"),
    ("codex", ".codex/hooks.json"),
    ("gemini", ".gemini/settings.json"),
    ("cursor", ".cursor/hooks.json"),
    ("copilot", ".github/hooks/gate.json"),
    ("cline", ".clinerules/hooks/PreToolUse"),
];

/// The fenced block after `<!-- gate init AGENT -->` in the README.
fn readme_snippet(agent: &str) -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let marker = format!("<!-- gate init {agent} -->\n");
    let after =
        &readme[readme.find(&marker).unwrap_or_else(|| panic!("no snippet for {agent}")) + marker.len()..];
    let body = &after[after.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_string()
}

#[test]
fn each_agent_gets_exactly_the_readme_snippet() {
    let env = TestEnv::new();
    for (agent, file) in AGENTS {
        let output = env.gate(&["init", agent, "--project"]).output().unwrap();
        assert!(output.status.success(), "{agent}: {}", stderr(&output));
        let written = std::fs::read_to_string(env.work().join(file)).unwrap();
        assert_eq!(written, readme_snippet(agent), "{agent}: README and `gate init` disagree");
    }
    let post = std::fs::read_to_string(env.work().join(".clinerules/hooks/PostToolUse")).unwrap();
    assert_eq!(post, readme_snippet("cline PostToolUse"), "cline: README and `gate init` disagree");
    use std::os::unix::fs::PermissionsExt;
    for name in ["PreToolUse", "PostToolUse"] {
        let script = std::fs::metadata(env.work().join(".clinerules/hooks").join(name)).unwrap();
        assert_eq!(script.permissions().mode() & 0o111, 0o111, "Cline's {name} hook is executable");
    }
}

/// A setup from before gate wrote post-tool hooks gets them next to its pre-tool hook, once.
#[test]
fn the_post_tool_hook_is_added_next_to_an_existing_pre_tool_hook() {
    let env = TestEnv::new();
    let older = [
        (
            "codex",
            ".codex/hooks.json",
            json!({"hooks": {"PreToolUse": [
                {"matcher": "^Bash$", "hooks": [{"type": "command", "command": "gate hook codex", "timeout": 600}]}
            ]}}),
            "hooks.PostToolUse",
        ),
        (
            "gemini",
            ".gemini/settings.json",
            json!({"hooks": {"BeforeTool": [
                {"matcher": "run_shell_command", "hooks": [{"type": "command", "command": "gate hook gemini", "name": "gate", "timeout": 600000}]}
            ]}}),
            "hooks.AfterTool",
        ),
        (
            "cursor",
            ".cursor/hooks.json",
            json!({"version": 1, "hooks": {"beforeShellExecution": [
                {"command": "gate hook cursor", "timeout": 600, "failClosed": true}
            ]}}),
            "hooks.afterShellExecution",
        ),
        (
            "copilot",
            ".github/hooks/gate.json",
            json!({"version": 1, "hooks": {"preToolUse": [
                {"type": "command", "bash": "gate hook copilot", "timeoutSec": 600}
            ]}}),
            "hooks.postToolUseFailure",
        ),
    ];
    for (agent, file, settings, added) in older {
        let path = env.work().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, settings.to_string()).unwrap();
        let output = env.gate(&["init", agent, "--project"]).output().unwrap();
        assert!(output.status.success(), "{agent}: {}", stderr(&output));
        let said = stdout(&output);
        assert!(said.contains(&format!("added gate's hook to {added}")), "{agent}: {said}");
        assert!(!said.contains("updated"), "{agent}: the pre-tool hook was right: {said}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), readme_snippet(agent), "{agent}");
        let output = env.gate(&["init", agent, "--project"]).output().unwrap();
        assert!(stdout(&output).contains("nothing to change"), "{agent}: {}", stdout(&output));
    }

    // Cline: the old PreToolUse script stays; PostToolUse is written beside it.
    let hooks = env.work().join(".clinerules/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::write(hooks.join("PreToolUse"), "#!/bin/sh\nexec /usr/local/bin/gate hook cline\n").unwrap();
    let output = env.gate(&["init", "cline", "--project"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let said = stdout(&output);
    assert!(said.contains("PreToolUse: gate's hook is already there"), "{said}");
    assert_eq!(
        std::fs::read_to_string(hooks.join("PostToolUse")).unwrap(),
        readme_snippet("cline PostToolUse")
    );
    assert_eq!(
        std::fs::read_to_string(hooks.join("PreToolUse")).unwrap(),
        "#!/bin/sh\nexec /usr/local/bin/gate hook cline\n"
    );
}

/// Someone else's PostToolUse script: nothing is written, not even the PreToolUse one.
#[test]
fn clines_scripts_are_written_together_or_not_at_all() {
    let env = TestEnv::new();
    let hooks = env.work().join(".clinerules/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::write(hooks.join("PostToolUse"), "#!/bin/sh\necho '{\"cancel\":false}'\n").unwrap();
    let output = env.gate(&["init", "cline", "--project"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("PostToolUse: the hook script exists and does not run gate"),
        "{}",
        stderr(&output)
    );
    assert!(!hooks.join("PreToolUse").exists());
}

#[test]
fn merging_keeps_what_was_there_backs_it_up_and_is_idempotent() {
    let env = TestEnv::new();
    let path = env.home().join(".claude/settings.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let before = json!({
        "model": "opus",
        "env": {"FOO": "bar"},
        "hooks": {
            "PreToolUse": [{"matcher": "Edit|Write", "hooks": [{"type": "command", "command": "prettier --check"}]}],
            "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}],
        },
    });
    std::fs::write(&path, before.to_string()).unwrap();
    let output = env.gate(&["init", "claude-code"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let said = stdout(&output);
    assert!(said.contains("added gate's hook to hooks.PreToolUse"), "{said}");
    assert!(said.contains("gate-backup-"), "{said}");
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(after["model"], before["model"]);
    assert_eq!(after["env"], before["env"]);
    assert_eq!(after["hooks"]["Stop"], before["hooks"]["Stop"]);
    assert_eq!(after["hooks"]["PreToolUse"][0], before["hooks"]["PreToolUse"][0]);
    assert_eq!(after["hooks"]["PreToolUse"][1]["hooks"][0]["command"], "gate hook claude-code");
    let backups: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("gate-backup-"))
        .collect();
    assert_eq!(backups.len(), 1);
    let kept: Value = serde_json::from_str(&std::fs::read_to_string(backups[0].path()).unwrap()).unwrap();
    assert_eq!(kept, before);
    // Again: nothing changes, nothing is backed up.
    let written = std::fs::read(&path).unwrap();
    let output = env.gate(&["init", "claude-code"]).output().unwrap();
    assert!(stdout(&output).contains("nothing to change"), "{}", stdout(&output));
    assert_eq!(std::fs::read(&path).unwrap(), written);
}

#[test]
fn dry_run_and_unreadable_files_change_nothing() {
    let env = TestEnv::new();
    let output = env.gate(&["init", "gemini", "--dry-run"]).output().unwrap();
    assert!(output.status.success());
    assert!(stdout(&output).contains("+       {"), "{}", stdout(&output));
    assert!(!env.home().join(".gemini").exists());

    let path = env.home().join(".cursor/hooks.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "{ not json").unwrap();
    let output = env.gate(&["init", "cursor"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("not valid JSON"), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ not json");

    let script = env.work().join(".clinerules/hooks/PreToolUse");
    std::fs::create_dir_all(script.parent().unwrap()).unwrap();
    std::fs::write(&script, "#!/bin/sh\necho '{\"cancel\":false}'\n").unwrap();
    let output = env.gate(&["init", "cline", "--project"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "someone else's hook script is not overwritten");
}

/// The hook written into the settings, run as the agent runs it, answers the agent's payload.
#[test]
fn the_written_hook_answers() {
    let env = TestEnv::new().with_policy(&super::support::policy("allow", ""));
    env.gate(&["init", "claude-code"]).assert().success();
    let settings: Value =
        serde_json::from_str(&std::fs::read_to_string(env.home().join(".claude/settings.json")).unwrap())
            .unwrap();
    let command = settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"].as_str().unwrap();
    let gate = gate_binary();
    let command = command.replacen("gate", gate.to_str().unwrap(), 1);
    let payload = json!({
        "session_id": "s", "transcript_path": "/t", "cwd": env.work(), "permission_mode": "default",
        "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": "ls"},
        "tool_use_id": "toolu_1",
    });
    let output = assert_cmd::Command::new("sh")
        .args(["-c", &command])
        .env_clear()
        .env("HOME", env.home())
        .env("PATH", "/usr/bin:/bin")
        .env("GATE_DB", env.db())
        .env("GATE_POLICY", env.root().join("policy.toml"))
        .write_stdin(payload.to_string())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "allow");
}

/// Codex with gate's hook inline in config.toml already: nothing to add to hooks.json.
#[test]
fn codex_hooked_in_config_toml_is_left_alone() {
    let env = TestEnv::new();
    let config = env.home().join(".codex/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    let text = "model = \"gpt-5\"\n[[hooks.PreToolUse]]\nmatcher = \"^Bash$\"\n[[hooks.PreToolUse.hooks]]\ntype = \"command\"\ncommand = \"gate hook codex\"\n";
    std::fs::write(&config, text).unwrap();
    let output = env.gate(&["init", "codex"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("nothing to change"), "{}", stdout(&output));
    assert!(!env.home().join(".codex/hooks.json").exists());
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
}
