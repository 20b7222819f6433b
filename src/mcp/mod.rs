//! gate as a Model Context Protocol server over stdio: one tool that runs a shell command
//! through gate (classify, approve, record, run, record) and returns its exit code and output.
//!
//! Both eras of the protocol are spoken on one connection: the 2025-11-25 handshake
//! (`initialize`, then requests) and the 2026-07-28 per-request envelope (`server/discover`,
//! `_meta` on each request carrying the protocol version, no `initialize`). A request that
//! carries the envelope is answered in the modern form; anything else in the handshake form.
//!
//! Guarantees: stdout carries only JSON-RPC messages, one per line (the command's output is
//! captured, gate's own messages go to stderr); the server ends at end of input; a refusal is
//! a tool result with `isError: true` and the reason, never a protocol error.

mod protocol;
mod tool;

pub use tool::Settings;

use serde_json::{Value, json};
use std::io::{BufRead, Write};

/// Serves MCP on stdin and stdout until stdin ends.
pub fn serve(settings: &Settings) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let mut server = protocol::Server::new(settings);
    let mut line = Vec::new();
    let mut input = stdin.lock();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        if text.trim().is_empty() {
            continue;
        }
        let reply = match serde_json::from_str::<Value>(&text) {
            Ok(message) => server.handle(&message),
            Err(error) => {
                Some(protocol::error(Value::Null, protocol::PARSE_ERROR, &format!("not JSON: {error}"), None))
            }
        };
        if let Some(reply) = reply {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{reply}")?;
            out.flush()?;
        }
    }
}

/// A JSON-RPC success response.
fn result(id: Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}
