//! `gate hook AGENT`: each agent's documented payload (plus fields gate does not know) gets its
//! answer in that agent's format; anything wrong is a refusal with the agent's blocking exit
//! code; the decision, the session and the hand-back are in the audit log; each agent's
//! post-tool report closes the decision it belongs to, and is acknowledged neutrally whatever
//! it holds.

use super::support::{TestEnv, gate_binary, policy, stderr, stdout};
use serde_json::{Value, json};

/// Allow by default; `touch` is denied, `mkdir` needs approval.
fn rules() -> String {
    policy(
        "allow",
        "[[rules]]\nid = \"no-touch\"\ndecision = \"deny\"\nmatch = [\"touch\"]\nreason = \"test deny\"\n\
         [[rules]]\nid = \"ask-mkdir\"\ndecision = \"ask\"\nmatch = [\"mkdir\"]\nreason = \"test ask\"\n",
    )
}

fn claude(env: &TestEnv, event: &str, command: &str, tool_use_id: &str) -> Value {
    json!({
        "session_id": "sess-claude-1",
        "transcript_path": env.home().join(".claude/projects/x/t.jsonl"),
        "cwd": env.work(),
        "permission_mode": "default",
        "hook_event_name": event,
        "tool_name": "Bash",
        "tool_input": {"command": command, "description": "a test", "timeout": 120000},
        "tool_use_id": tool_use_id,
        "a_field_from_the_future": {"x": 1},
    })
}

fn codex(env: &TestEnv, command: &str) -> Value {
    json!({
        "session_id": "sess-codex", "turn_id": "turn-1", "transcript_path": null, "cwd": env.work(),
        "hook_event_name": "PreToolUse", "model": "gpt-5-codex", "permission_mode": "default",
        "tool_name": "Bash", "tool_input": {"command": command}, "tool_use_id": "call_1",
        "later": true,
    })
}

fn gemini(env: &TestEnv, command: &str) -> Value {
    json!({
        "session_id": "sess-gemini", "transcript_path": "/tmp/t.json", "cwd": env.work(),
        "hook_event_name": "BeforeTool", "timestamp": "2026-12-03T07:00:00Z",
        "tool_name": "run_shell_command", "tool_input": {"command": command, "description": "x"},
        "mcp_context": null,
    })
}

fn cursor(env: &TestEnv, command: &str) -> Value {
    json!({
        "hook_event_name": "beforeShellExecution", "conversation_id": "conv-1", "generation_id": "gen-1",
        "workspace_roots": [env.work()], "model": "auto", "cursor_version": "3.2", "user_email": null,
        "command": command, "cwd": env.work(),
    })
}

fn copilot(env: &TestEnv, command: &str) -> Value {
    json!({
        "sessionId": "sess-copilot", "timestamp": 1_764_745_200_000_u64, "cwd": env.work(), "toolName": "bash",
        "toolArgs": json!({"command": command, "description": "x"}).to_string(),
    })
}

fn cline(env: &TestEnv, command: &str) -> Value {
    json!({
        "clineVersion": "3.40.0", "hookName": "PreToolUse", "timestamp": "1764745200000",
        "taskId": "task-1", "workspaceRoots": [env.work()], "userId": "u1",
        "preToolUse": {"toolName": "execute_command", "parameters": {"command": command, "requires_approval": "false"}},
    })
}

/// `gate hook AGENT` with a payload, in a session with no controlling terminal.
fn hook(env: &TestEnv, agent: &str, payload: &str) -> std::process::Output {
    let mut command = std::process::Command::new("setsid");
    command
        .arg("--wait")
        .arg(gate_binary())
        .args(["hook", agent])
        .env_clear()
        .env("HOME", env.home())
        .env("PATH", "/usr/bin:/bin")
        .env("GATE_DB", env.db())
        .env("GATE_POLICY", env.root().join("policy.toml"))
        .current_dir(env.work())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(payload.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn answer(output: &std::process::Output) -> Value {
    let text = stdout(output);
    assert_eq!(text.lines().count(), 1, "exactly one line on stdout: {text:?} (stderr {})", stderr(output));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text:?}"))
}

fn log(env: &TestEnv) -> Vec<Value> {
    let output = env.gate(&["audit", "log", "--json"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output).lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

#[test]
fn claude_code_gets_allow_deny_and_ask_in_its_format() {
    let env = TestEnv::new().with_policy(&rules());
    let marker = env.root().join("created");
    let cases = [
        ("ls -la", "allow", "allowed"),
        (&*format!("touch {}", marker.display()), "deny", "no-touch"),
        (&*format!("mkdir {}", marker.display()), "ask", "ask-mkdir"),
    ];
    for (i, (command, decision, reason)) in cases.iter().enumerate() {
        let payload = claude(&env, "PreToolUse", command, &format!("toolu_{i}"));
        let output = hook(&env, "claude-code", &payload.to_string());
        assert_eq!(output.status.code(), Some(0), "{command}: {}", stderr(&output));
        let answer = answer(&output);
        let specific = &answer["hookSpecificOutput"];
        assert_eq!(specific["hookEventName"], "PreToolUse");
        assert_eq!(specific["permissionDecision"], *decision, "{command}: {answer}");
        let text = specific["permissionDecisionReason"].as_str().unwrap();
        assert!(text.contains(reason), "{command}: {text}");
    }
    assert!(!marker.exists(), "a hook never runs the command itself");
    let entries = log(&env);
    let decisions: Vec<&Value> = entries.iter().filter(|e| e["kind"] == "decision").collect();
    let verdicts: Vec<&str> = decisions.iter().map(|e| e["verdict"].as_str().unwrap()).collect();
    assert_eq!(verdicts, ["allowed", "denied", "asked-in-agent"]);
    for decision in &decisions {
        let parent = decision["parent"].as_str().unwrap();
        assert!(parent.starts_with("claude-code session sess-claude-1 via "), "{parent}");
    }
    // The allowed command was handed back to the agent, and the log says so.
    let handed: Vec<&Value> = entries.iter().filter(|e| e["kind"] == "outcome").collect();
    assert_eq!(handed.len(), 1, "{entries:?}");
    assert_eq!(handed[0]["request_id"], decisions[0]["request_id"]);
    assert!(handed[0]["error"].as_str().unwrap().contains("handed back to claude-code"));
}

#[test]
fn claude_codes_post_tool_report_pairs_with_the_decision() {
    let env = TestEnv::new().with_policy(&rules());
    let pre = claude(&env, "PreToolUse", "ls", "toolu_42");
    assert_eq!(hook(&env, "claude-code", &pre.to_string()).status.code(), Some(0));
    let mut post = claude(&env, "PostToolUse", "ls", "toolu_42");
    post["tool_response"] = json!({"stdout": "a\n", "stderr": "", "interrupted": false, "isImage": false, "noOutputExpected": false});
    let output = hook(&env, "claude-code", &post.to_string());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "", "a post-tool hook prints nothing");
    let pre = claude(&env, "PreToolUse", "ls x", "toolu_43");
    assert_eq!(hook(&env, "claude-code", &pre.to_string()).status.code(), Some(0));
    let mut failed = claude(&env, "PostToolUseFailure", "ls x", "toolu_43");
    failed["error"] = json!("Exit code 2\nls: cannot access 'x'");
    failed["is_interrupt"] = json!(false);
    assert_eq!(hook(&env, "claude-code", &failed.to_string()).status.code(), Some(0));
    // A report for a tool call gate never decided, or one already reported, closes nothing.
    for (event, id) in [("PostToolUse", "toolu_99"), ("PostToolUse", "toolu_42")] {
        let output = hook(&env, "claude-code", &claude(&env, event, "ls", id).to_string());
        assert_eq!((output.status.code(), stdout(&output).as_str()), (Some(0), ""));
        assert!(stderr(&output).contains("not recorded"), "{}", stderr(&output));
    }

    let entries = log(&env);
    let decision = entries.iter().find(|e| e["kind"] == "decision").unwrap();
    let reported: Vec<&Value> = entries
        .iter()
        .filter(|e| e["kind"] == "outcome" && e["error"].as_str().unwrap_or("").starts_with("reported"))
        .collect();
    assert_eq!(reported.len(), 2, "{entries:?}");
    assert_eq!(reported[0]["request_id"], decision["request_id"]);
    assert_eq!(reported[0]["exit_code"], 0);
    assert_eq!(reported[1]["exit_code"], 2);
    env.gate(&["audit", "verify"]).assert().success();
}

#[test]
fn anything_wrong_blocks_claude_code_with_exit_2() {
    let env = TestEnv::new().with_policy(&rules());
    let mut read = claude(&env, "PreToolUse", "ls", "t");
    read["tool_name"] = json!("Read");
    let mut no_command = claude(&env, "PreToolUse", "ls", "t");
    no_command["tool_input"] = json!({});
    let cases = [
        ("not json".to_string(), "not JSON"),
        (String::new(), "not JSON"),
        ("[1,2]".to_string(), "not a JSON object"),
        (read.to_string(), "not a shell tool"),
        (no_command.to_string(), "tool_input.command"),
        (claude(&env, "PreToolUse", "  ", "t").to_string(), "empty"),
    ];
    for (payload, why) in cases {
        let output = hook(&env, "claude-code", &payload);
        assert_eq!(output.status.code(), Some(2), "{payload}");
        assert!(stderr(&output).contains(why), "{payload}: {}", stderr(&output));
        assert_eq!(answer(&output)["hookSpecificOutput"]["permissionDecision"], "deny");
    }
    // A broken policy is an error like any other: refused, never let through.
    std::fs::write(env.root().join("policy.toml"), "version = [").unwrap();
    let output = hook(&env, "claude-code", &claude(&env, "PreToolUse", "ls", "t").to_string());
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn an_unwritable_log_refuses() {
    let env = TestEnv::new().with_policy(&rules());
    std::fs::create_dir_all(env.db()).unwrap(); // a folder where the log should be
    let output = hook(&env, "claude-code", &claude(&env, "PreToolUse", "ls", "t").to_string());
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(answer(&output)["hookSpecificOutput"]["permissionDecision"], "deny");
}

#[test]
fn in_bypass_mode_gate_asks_itself_and_with_nobody_to_ask_refuses() {
    let env = TestEnv::new().with_policy(&rules());
    let mut payload = claude(&env, "PreToolUse", "mkdir x", "t");
    payload["permission_mode"] = json!("bypassPermissions");
    let output = hook(&env, "claude-code", &payload.to_string());
    assert_eq!(output.status.code(), Some(0));
    let answer = answer(&output);
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "deny", "{answer}");
    assert!(answer.to_string().contains("needs approval"), "{answer}");
}

/// Agents that cannot ask their user: allow, deny, and an ask with nobody to ask (denied).
#[test]
fn the_other_agents_answer_in_their_own_formats() {
    let env = TestEnv::new().with_policy(&rules());
    type Build = fn(&TestEnv, &str) -> Value;
    let agents: [(&str, Build, Option<Value>, Value); 5] = [
        ("codex", codex, None, json!("deny")),
        ("gemini", gemini, Some(json!({"decision": "allow"})), json!("deny")),
        ("cursor", cursor, Some(json!({"permission": "allow"})), json!("deny")),
        ("copilot", copilot, Some(json!({"permissionDecision": "allow"})), json!("deny")),
        ("cline", cline, Some(json!({"cancel": false})), json!(true)),
    ];
    let marker = env.root().join("created");
    for (agent, build, allowed, refused) in agents {
        // Allowed.
        let output = hook(&env, agent, &build(&env, "ls -la").to_string());
        assert_eq!(output.status.code(), Some(0), "{agent}: {}", stderr(&output));
        match &allowed {
            None => assert_eq!(stdout(&output), "", "{agent}: silence lets the command run"),
            Some(expected) => {
                let answer = answer(&output);
                for (key, value) in expected.as_object().unwrap() {
                    assert_eq!(&answer[key], value, "{agent}: {answer}");
                }
            }
        }
        // Denied by policy, and an ask with no terminal and no broker: both refused.
        for command in [format!("touch {}", marker.display()), format!("mkdir {}", marker.display())] {
            let output = hook(&env, agent, &build(&env, &command).to_string());
            assert_eq!(output.status.code(), Some(0), "{agent} {command}: {}", stderr(&output));
            let text = stdout(&output);
            assert!(text.contains(refused.to_string().trim_matches('"')), "{agent} {command}: {text}");
            assert!(text.contains("refused"), "{agent} {command}: {text}");
        }
        // Garbage: blocked with the agent's blocking exit code.
        let output = hook(&env, agent, "{");
        let blocking = if agent == "copilot" { 0 } else { 2 };
        assert_eq!(output.status.code(), Some(blocking), "{agent}");
        assert!(
            stdout(&output).contains(refused.to_string().trim_matches('"')),
            "{agent}: {}",
            stdout(&output)
        );
    }
    assert!(!marker.exists());
    let entries = log(&env);
    let decisions = entries.iter().filter(|e| e["kind"] == "decision").count();
    assert_eq!(decisions, 15, "three decisions for each of five agents");
    let verdicts: Vec<&str> =
        entries.iter().filter(|e| e["kind"] == "decision").map(|e| e["verdict"].as_str().unwrap()).collect();
    assert_eq!(verdicts.iter().filter(|v| **v == "no-approver").count(), 5, "{verdicts:?}");
}

#[test]
fn agents_that_see_every_tool_let_other_tools_pass() {
    let env = TestEnv::new().with_policy(&rules());
    let copilot_edit =
        json!({"timestamp": 1, "cwd": env.work(), "toolName": "edit", "toolArgs": "{\"path\":\"a\"}"});
    let output = hook(&env, "copilot", &copilot_edit.to_string());
    assert_eq!((output.status.code(), stdout(&output)), (Some(0), String::new()));
    let mut cline_read = cline(&env, "x");
    cline_read["preToolUse"] = json!({"toolName": "read_file", "parameters": {"path": "a"}});
    let output = hook(&env, "cline", &cline_read.to_string());
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(answer(&output), json!({"cancel": false}));
}

/// An agent that cannot ask (Codex, Gemini): gate asks on the hook's controlling terminal, a
/// real pty here, while the payload and the answer go through files as the agent's pipes would.
fn hook_on_pty(env: &TestEnv, agent: &str, payload: &Value) -> (super::pty::Pty, std::path::PathBuf) {
    let input = env.root().join(format!("{agent}-in.json"));
    let answer = env.root().join(format!("{agent}-out.json"));
    std::fs::write(&input, payload.to_string()).unwrap();
    let mut command = portable_pty::CommandBuilder::new("/bin/sh");
    command.env_clear();
    command.env("PATH", "/usr/bin:/bin");
    command.env("HOME", env.home());
    command.env("GATE_DB", env.db());
    command.env("GATE_POLICY", env.root().join("policy.toml"));
    command.cwd(env.work());
    command.args([
        "-c",
        &format!(
            "exec '{}' hook {agent} < '{}' > '{}'",
            gate_binary().display(),
            input.display(),
            answer.display()
        ),
    ]);
    (super::pty::Pty::spawn(command), answer)
}

#[test]
fn where_the_agent_cannot_ask_gate_asks_on_the_terminal() {
    let env = TestEnv::new().with_policy(&rules());
    let marker = env.root().join("dir");
    let line = format!("mkdir {}", marker.display());
    // Approved on the terminal: Codex hears nothing (the command runs), Gemini hears allow.
    let (mut pty, answer) = hook_on_pty(&env, "codex", &codex(&env, &line));
    pty.wait_for("[y/N]");
    pty.send("y\r");
    assert_eq!(pty.wait().0, 0, "{}", pty.output());
    assert_eq!(std::fs::read_to_string(&answer).unwrap(), "");
    let (mut pty, answer) = hook_on_pty(&env, "gemini", &gemini(&env, &line));
    pty.wait_for("[y/N]");
    pty.send("n\r");
    assert_eq!(pty.wait().0, 0, "{}", pty.output());
    let said: Value = serde_json::from_str(&std::fs::read_to_string(&answer).unwrap()).unwrap();
    assert_eq!(said["decision"], "deny", "{said}");
    assert!(said["reason"].as_str().unwrap().contains("was rejected by"), "{said}");
    assert!(!marker.exists(), "the hook never runs the command");
    let decisions: Vec<Value> = log(&env).into_iter().filter(|e| e["kind"] == "decision").collect();
    let verdicts: Vec<(&str, &str)> =
        decisions.iter().map(|e| (e["verdict"].as_str().unwrap(), e["channel"].as_str().unwrap())).collect();
    assert_eq!(verdicts, [("approved", "terminal"), ("rejected", "terminal")]);
}

/// A hook judges a command as gate exec does, gate's own files included: the agent cannot
/// write over the audit log through its shell tool, whatever the policy allows.
#[test]
fn a_hook_protects_gates_own_files() {
    let env = TestEnv::new().with_policy(&rules());
    let line = format!("echo forged > {}", env.db().display());
    let output = hook(&env, "claude-code", &claude(&env, "PreToolUse", &line, "t").to_string());
    let answer = answer(&output);
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "deny", "{answer}");
    assert!(answer.to_string().contains("gate's own file"), "{answer}");
}

// Post-tool reports, as each agent documents them (plus a field gate does not know).

fn codex_post(env: &TestEnv, command: &str) -> Value {
    let mut payload = codex(env, command);
    payload["hook_event_name"] = json!("PostToolUse");
    payload["tool_response"] = json!("a\nb\n");
    payload
}

fn gemini_post(env: &TestEnv, command: &str, llm_content: &str) -> Value {
    let mut payload = gemini(env, command);
    payload["hook_event_name"] = json!("AfterTool");
    payload["tool_response"] = json!({"llmContent": llm_content, "returnDisplay": "x"});
    payload["original_request_name"] = json!("run_shell_command");
    payload
}

fn cursor_post(env: &TestEnv, command: &str) -> Value {
    let mut payload = cursor(env, command);
    payload["hook_event_name"] = json!("afterShellExecution");
    payload["output"] = json!("a\n");
    payload["duration"] = json!(12);
    payload["sandbox"] = json!(false);
    payload
}

fn copilot_post(env: &TestEnv, command: &str) -> Value {
    let mut payload = copilot(env, command);
    payload["toolResult"] = json!({"resultType": "success", "textResultForLlm": "a\n"});
    payload
}

fn cline_post(env: &TestEnv, command: &str, success: bool) -> Value {
    let mut payload = cline(env, command);
    payload["hookName"] = json!("PostToolUse");
    payload["postToolUse"] = json!({
        "toolName": "execute_command", "parameters": {"command": command, "requires_approval": "false"},
        "result": "a\n", "success": success, "executionTimeMs": 12, "later": 1,
    });
    payload.as_object_mut().unwrap().remove("preToolUse");
    payload
}

/// The outcomes in the log that an agent reported.
fn reported(entries: &[Value]) -> Vec<&Value> {
    entries
        .iter()
        .filter(|e| e["kind"] == "outcome" && e["error"].as_str().unwrap_or("").starts_with("reported by"))
        .collect()
}

/// What a post-tool hook prints: nothing, or one neutral JSON answer.
fn neutral(output: &std::process::Output) -> Option<Value> {
    let text = stdout(output);
    (!text.is_empty()).then(|| answer(output))
}

#[test]
fn each_agents_post_tool_report_closes_its_decision() {
    let env = TestEnv::new().with_policy(&rules());
    type Pre = fn(&TestEnv, &str) -> Value;
    type Post = Box<dyn Fn(&TestEnv, &str) -> Value>;
    /// The agent, its pre- and post-tool payloads, its neutral answer, the exit code and note
    /// recorded.
    type Case<'a> = (&'a str, Pre, Post, Option<Value>, Value, &'a str);
    let cases: Vec<Case> = vec![
        (
            "codex",
            codex,
            Box::new(codex_post),
            None,
            Value::Null,
            "reported by codex: ran (Codex reports no exit status)",
        ),
        (
            "gemini",
            gemini,
            Box::new(|env, c| gemini_post(env, c, "Output: a\nExit Code: 3\nProcess Group PGID: 4242")),
            Some(json!({})),
            json!(3),
            "reported by gemini: ran",
        ),
        (
            "cursor",
            cursor,
            Box::new(cursor_post),
            Some(json!({})),
            Value::Null,
            "reported by cursor: ran (Cursor reports no exit status)",
        ),
        ("copilot", copilot, Box::new(copilot_post), None, Value::Null, "reported by copilot: succeeded"),
        (
            "cline",
            cline,
            Box::new(|env, c| cline_post(env, c, false)),
            Some(json!({"cancel": false})),
            Value::Null,
            "reported by cline: failed",
        ),
    ];
    for (agent, pre, post, acknowledged, exit_code, said) in cases {
        let command = format!("ls -la {agent}");
        let output = hook(&env, agent, &pre(&env, &command).to_string());
        assert_eq!(output.status.code(), Some(0), "{agent}: {}", stderr(&output));
        let output = hook(&env, agent, &post(&env, &command).to_string());
        assert_eq!(output.status.code(), Some(0), "{agent}: {}", stderr(&output));
        assert_eq!(neutral(&output), acknowledged, "{agent}: the neutral answer");
        assert_eq!(stderr(&output), "", "{agent}");

        let entries = log(&env);
        let decision = entries
            .iter()
            .rev()
            .find(|e| e["kind"] == "decision" && e["line"] == command.as_str())
            .unwrap_or_else(|| panic!("{agent}: no decision"));
        let outcome = *reported(&entries).last().unwrap_or_else(|| panic!("{agent}: nothing reported"));
        assert_eq!(outcome["request_id"], decision["request_id"], "{agent}: {outcome}");
        assert_eq!(outcome["error"], said, "{agent}");
        assert_eq!(outcome["exit_code"], exit_code, "{agent}");
        assert_eq!(outcome["channel"], agent);
        // Cursor and Cline say how long the command ran (12 ms in their payloads).
        let duration = if ["cursor", "cline"].contains(&agent) { json!(12) } else { Value::Null };
        assert_eq!(outcome["duration_ms"], duration, "{agent}");
        // The readable log says which decision the outcome closes.
        let text = stdout(&env.gate(&["audit", "log"]).output().unwrap());
        let took = if duration.is_null() { String::new() } else { " (12 ms)".into() };
        let closes = format!("{said}{took}, closes {}", decision["seq"]);
        assert!(text.contains(&closes), "{agent}: {closes:?} in\n{text}");
    }
    assert_eq!(reported(&log(&env)).len(), 5);
    env.gate(&["audit", "verify"]).assert().success();
}

/// Without an id shared by the two hooks, a report closes the newest open decision of its
/// session for the same command in the same folder, and nothing else.
#[test]
fn reports_without_an_id_pair_by_session_command_and_folder() {
    let env = TestEnv::new().with_policy(&rules());
    for _ in 0..2 {
        assert_eq!(hook(&env, "cursor", &cursor(&env, "ls").to_string()).status.code(), Some(0));
    }
    let decisions: Vec<Value> = log(&env).into_iter().filter(|e| e["kind"] == "decision").collect();
    assert_ne!(decisions[0]["request_id"], decisions[1]["request_id"], "one request id per command");

    // Another conversation, another command, another folder: nothing to close.
    let mut other_session = cursor_post(&env, "ls");
    other_session["conversation_id"] = json!("conv-2");
    let mut other_folder = cursor_post(&env, "ls");
    other_folder["cwd"] = json!(env.home());
    for payload in [other_session, cursor_post(&env, "ls -l"), other_folder] {
        let output = hook(&env, "cursor", &payload.to_string());
        assert_eq!((output.status.code(), neutral(&output)), (Some(0), Some(json!({}))));
        assert!(stderr(&output).contains("no open decision"), "{}", stderr(&output));
    }
    assert!(reported(&log(&env)).is_empty());

    // The newest open one first, then the older; a third report has nothing left to close.
    for expected in [&decisions[1], &decisions[0]] {
        let output = hook(&env, "cursor", &cursor_post(&env, "ls").to_string());
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let entries = log(&env);
        assert_eq!(reported(&entries).last().unwrap()["request_id"], expected["request_id"]);
    }
    let output = hook(&env, "cursor", &cursor_post(&env, "ls").to_string());
    assert!(stderr(&output).contains("no open decision"), "{}", stderr(&output));
    assert_eq!(reported(&log(&env)).len(), 2);
    env.gate(&["audit", "verify"]).assert().success();
}

/// A report gate cannot read, or about a command gate refused, or about another tool: the
/// agent's neutral answer with exit 0, a warning at most, and nothing recorded.
#[test]
fn unreadable_or_unmatched_reports_are_acknowledged_and_not_recorded() {
    let env = TestEnv::new().with_policy(&rules());
    let marker = env.root().join("created");
    let refused = format!("touch {}", marker.display());
    // Refused by policy: never handed back, so no report can close it.
    for (agent, pre) in [("cursor", cursor(&env, &refused)), ("cline", cline(&env, &refused))] {
        assert!(stdout(&hook(&env, agent, &pre.to_string())).contains("refused"));
    }

    let mut claude_no_id = claude(&env, "PostToolUse", "ls", "x");
    claude_no_id.as_object_mut().unwrap().remove("tool_use_id");
    claude_no_id.as_object_mut().unwrap().remove("tool_input");
    let mut claude_no_tool = claude(&env, "PostToolUseFailure", "ls", "x");
    claude_no_tool.as_object_mut().unwrap().remove("tool_name");
    let mut claude_read = claude(&env, "PostToolUse", "ls", "x");
    claude_read["tool_name"] = json!("Read");
    let mut codex_bad = codex_post(&env, "ls");
    codex_bad["tool_name"] = json!(42);
    let mut codex_unpaired = codex_post(&env, "ls");
    codex_unpaired.as_object_mut().unwrap().remove("tool_use_id");
    codex_unpaired["tool_input"] = json!("ls");
    let mut gemini_bad = gemini_post(&env, "ls", "Output: a");
    gemini_bad["tool_response"] = json!(7);
    gemini_bad.as_object_mut().unwrap().remove("tool_input");
    let mut gemini_other = gemini_post(&env, "ls", "Output: a");
    gemini_other["tool_name"] = json!("read_file");
    let mut cursor_bad = cursor_post(&env, "ls");
    cursor_bad["command"] = json!(5);
    let mut copilot_bad = copilot_post(&env, "ls");
    copilot_bad.as_object_mut().unwrap().remove("toolName");
    let mut copilot_args = copilot_post(&env, "ls");
    copilot_args["toolArgs"] = json!("{not json");
    let mut copilot_edit = copilot_post(&env, "ls");
    copilot_edit["toolName"] = json!("edit");
    let mut cline_bad = cline_post(&env, "ls", true);
    cline_bad["postToolUse"] = json!("x");

    let nothing = None;
    let empty = Some(json!({}));
    let go_on = Some(json!({"cancel": false}));
    let cases = [
        ("claude-code", claude_no_id, nothing.clone(), true),
        ("claude-code", claude_no_tool, nothing.clone(), true),
        ("claude-code", claude_read, nothing.clone(), false),
        ("codex", codex_bad, nothing.clone(), true),
        ("codex", codex_unpaired, nothing.clone(), true),
        ("gemini", gemini_bad, empty.clone(), true),
        ("gemini", gemini_other, empty.clone(), false),
        ("cursor", cursor_bad, empty.clone(), true),
        ("cursor", cursor_post(&env, &refused), empty.clone(), true),
        ("copilot", copilot_bad, nothing.clone(), true),
        ("copilot", copilot_args, nothing.clone(), true),
        ("copilot", copilot_edit, nothing.clone(), false),
        ("cline", cline_bad, go_on.clone(), true),
        ("cline", cline_post(&env, &refused, true), go_on.clone(), true),
    ];
    for (agent, payload, acknowledged, warned) in cases {
        let output = hook(&env, agent, &payload.to_string());
        assert_eq!(output.status.code(), Some(0), "{agent} {payload}: {}", stderr(&output));
        assert_eq!(neutral(&output), acknowledged, "{agent} {payload}");
        assert_eq!(
            stderr(&output).contains("warning: the outcome was not recorded"),
            warned,
            "{agent} {payload}: {}",
            stderr(&output)
        );
    }
    assert!(reported(&log(&env)).is_empty(), "{:?}", reported(&log(&env)));
    assert!(!marker.exists());
    env.gate(&["audit", "verify"]).assert().success();
}
