//! `gate mcp` with the official MCP Python SDK as the client (tests/mcp/client.py), in both
//! protocol modes: the 2026-07-28 envelope (`server/discover`) and the 2025-11-25 handshake.
//! The SDK is installed by `.ci/deps` into tests/mcp/.venv.

use super::support::{TestEnv, gate_binary, policy, stderr, stdout};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn python() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/.venv/bin/python");
    assert!(venv.exists(), "the MCP Python SDK is missing: run .ci/deps (it installs tests/mcp/.venv)");
    venv
}

fn rules() -> String {
    policy(
        "allow",
        "[[rules]]\nid = \"no-touch\"\ndecision = \"deny\"\nmatch = [\"touch\"]\nreason = \"test deny\"\n\
         [[rules]]\nid = \"ask-mkdir\"\ndecision = \"ask\"\nmatch = [\"mkdir\"]\nreason = \"test ask\"\n",
    )
}

/// Runs the SDK client in a session with no controlling terminal: an ask has nobody to ask.
fn client(env: &TestEnv, mode: &str, markers: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/client.py");
    let output = Command::new("setsid")
        .arg("--wait")
        .arg(python())
        .arg(script)
        .args([
            mode,
            gate_binary().to_str().unwrap(),
            env.work().to_str().unwrap(),
            markers.to_str().unwrap(),
        ])
        .env_clear()
        .env("HOME", env.home())
        .env("PATH", "/usr/bin:/bin")
        .env("GATE_DB", env.db())
        .env("GATE_POLICY", env.root().join("policy.toml"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(output.status.success(), "{mode}: {}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&output)))
}

#[test]
fn the_python_sdk_lists_runs_and_is_refused_in_both_modes() {
    for (mode, version) in [("auto", "2026-07-28"), ("legacy", "2025-11-25")] {
        let env = TestEnv::new().with_policy(&rules());
        let markers = env.root().join("markers");
        std::fs::create_dir(&markers).unwrap();
        let seen = client(&env, mode, &markers);
        assert_eq!(seen["protocol_version"], version, "{mode}: {seen}");
        let tools = seen["tools"].as_array().unwrap();
        assert_eq!(tools.len(), 1, "{mode}");
        assert_eq!(tools[0]["destructive"], true, "{mode}");
        assert_eq!(tools[0]["read_only"], false, "{mode}");

        let allowed = &seen["allowed"];
        assert_eq!(allowed["is_error"], false, "{mode}: {allowed}");
        assert_eq!(allowed["structured"]["exit_code"], 3);
        assert_eq!(allowed["structured"]["stdout"], "out\n");
        assert_eq!(allowed["structured"]["stderr"], "err\n");
        assert!(allowed["text"].as_str().unwrap().starts_with("exit code: 3\n"), "{allowed}");

        let long = &seen["long"];
        assert_eq!(long["structured"]["stdout"].as_str().unwrap().len(), 64 * 1024);
        assert_eq!(long["structured"]["stdout_cut_bytes"], 100_000 - 64 * 1024);
        assert!(
            long["text"]
                .as_str()
                .unwrap()
                .contains("stdout cut after 65536 bytes; 34464 more bytes not shown")
        );

        for (key, why) in
            [("denied", "denied by policy (rule no-touch"), ("ask", "needs approval (rule ask-mkdir")]
        {
            let refused = &seen[key];
            assert_eq!(refused["is_error"], true, "{mode} {key}: {refused}");
            assert!(refused["text"].as_str().unwrap().contains(why), "{mode} {key}: {refused}");
            assert_eq!(refused["structured"]["ran"], false);
        }
        assert_eq!(std::fs::read_dir(&markers).unwrap().count(), 0, "{mode}: a refused command never ran");

        // Four decisions, two outcomes; the client is named in the record.
        let log = env.gate(&["audit", "log", "--json"]).output().unwrap();
        let entries: Vec<Value> = stdout(&log).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let decisions: Vec<&Value> = entries.iter().filter(|e| e["kind"] == "decision").collect();
        assert_eq!(decisions.len(), 4, "{mode}");
        assert!(decisions[0]["parent"].as_str().unwrap().starts_with("mcp client "), "{}", decisions[0]);
        assert_eq!(entries.iter().filter(|e| e["kind"] == "outcome").count(), 2, "{mode}");
        env.gate(&["audit", "verify"]).assert().success();
    }
}

/// Raw JSON-RPC: only protocol messages on stdout, a parse error answered, the end of input
/// ends the server.
#[test]
fn stdout_carries_only_protocol_messages() {
    let env = TestEnv::new().with_policy(&rules());
    let mut child = env
        .gate_process(&["mcp"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let lines = [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        "this is not json",
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"run_command","arguments":{"command":"echo hello; echo oops >&2"}}}"#,
    ];
    for line in lines {
        writeln!(input, "{line}").unwrap();
    }
    drop(input);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let replies: Vec<Value> = stdout(&output).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(replies.len(), 3, "{}", stdout(&output));
    assert_eq!(replies[0]["result"]["serverInfo"]["name"], "gate");
    assert_eq!(replies[1]["error"]["code"], -32700);
    assert_eq!(replies[2]["result"]["structuredContent"]["stdout"], "hello\n");
    assert_eq!(replies[2]["result"]["structuredContent"]["stderr"], "oops\n");
}
