//! The protocol side: eras and versions, the handshake, discovery, and request routing.

use super::tool::{self, Settings};
use serde_json::{Map, Value, json};

pub(super) const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
pub(super) const INVALID_PARAMS: i64 = -32602;
/// 2026-07-28: the request's protocol version is not one this server speaks.
const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// The per-request envelope's revisions.
const MODERN: [&str; 1] = ["2026-07-28"];
/// The handshake revisions gate answers `initialize` for; the newest is offered otherwise.
const HANDSHAKE: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

const VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
const CLIENT_INFO_KEY: &str = "io.modelcontextprotocol/clientInfo";
const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";

const INSTRUCTIONS: &str = "Every shell command you run through this server's tool is checked \
against the user's gate policy first: allowed commands run at once, some wait for a human's \
approval, and some are refused. A refusal is final for that command: do not retry it reworded.";

pub(super) struct Server<'a> {
    settings: &'a Settings,
    /// The client's name, from the handshake or the envelope: recorded with each decision.
    client: Option<String>,
}

impl<'a> Server<'a> {
    pub(super) fn new(settings: &'a Settings) -> Server<'a> {
        Server { settings, client: None }
    }

    /// Answers one message; notifications get no answer.
    pub(super) fn handle(&mut self, message: &Value) -> Option<Value> {
        let Some(object) = message.as_object() else {
            return Some(error(Value::Null, INVALID_REQUEST, "a message must be one JSON object", None));
        };
        let id = object.get("id").cloned();
        let Some(method) = object.get("method").and_then(Value::as_str) else {
            // A response to a request gate never sent, or garbage: nothing to answer.
            return id.map(|id| error(id, INVALID_REQUEST, "no method", None));
        };
        let id = id?; // a notification (notifications/initialized, cancelled…): nothing to say
        let params = object.get("params").cloned().unwrap_or(Value::Null);
        let meta = params.get("_meta").and_then(Value::as_object);
        let modern = match meta.and_then(|meta| meta.get(VERSION_KEY)) {
            None => None,
            Some(Value::String(version)) if MODERN.contains(&version.as_str()) => Some(version.clone()),
            Some(requested) => {
                let data = json!({"supported": MODERN, "requested": requested});
                return Some(error(
                    id,
                    UNSUPPORTED_PROTOCOL_VERSION,
                    "unsupported protocol version",
                    Some(data),
                ));
            }
        };
        if let Some(name) = meta.and_then(|meta| meta.get(CLIENT_INFO_KEY)).and_then(|info| info.get("name"))
        {
            self.client = name.as_str().map(str::to_string);
        }
        let answer = match (method, &modern) {
            ("initialize", _) => Ok(self.initialize(&params)),
            ("ping", None) => Ok(json!({})),
            ("server/discover", _) => Ok(discover()),
            ("tools/list", _) => Ok(json!({"tools": [tool::definition(self.settings)]})),
            ("tools/call", _) => self.call(&params),
            _ => Err((METHOD_NOT_FOUND, format!("method {method:?} is not supported"))),
        };
        Some(match answer {
            Ok(result) => super::result(id, stamp(result, modern.is_some())),
            Err((code, message)) => error(id, code, &message, None),
        })
    }

    fn initialize(&mut self, params: &Value) -> Value {
        self.client = params.pointer("/clientInfo/name").and_then(Value::as_str).map(str::to_string);
        let asked = params.get("protocolVersion").and_then(Value::as_str).unwrap_or_default();
        let version = HANDSHAKE.iter().find(|version| **version == asked).unwrap_or(&HANDSHAKE[0]);
        json!({
            "protocolVersion": version,
            "capabilities": {"tools": {"listChanged": false}},
            "serverInfo": server_info(),
            "instructions": INSTRUCTIONS,
        })
    }

    fn call(&mut self, params: &Value) -> Result<Value, (i64, String)> {
        let name = params.get("name").and_then(Value::as_str).unwrap_or_default();
        if name != tool::NAME {
            return Err((
                INVALID_PARAMS,
                format!("unknown tool {name:?}; this server has one: {}", tool::NAME),
            ));
        }
        let command = params.pointer("/arguments/command").and_then(Value::as_str);
        let Some(command) = command.filter(|command| !command.trim().is_empty()) else {
            return Err((INVALID_PARAMS, "arguments.command must be a non-empty string".into()));
        };
        Ok(tool::call(self.settings, command, self.client.as_deref()))
    }
}

/// `server/discover`'s result.
fn discover() -> Value {
    json!({
        "supportedVersions": MODERN,
        "capabilities": {"tools": {"listChanged": false}},
        "instructions": INSTRUCTIONS,
    })
}

/// A result in the envelope's form: its type, caching hints, and who answered.
fn stamp(mut result: Value, modern: bool) -> Value {
    if !modern {
        return result;
    }
    if let Some(object) = result.as_object_mut() {
        object.insert("resultType".into(), json!("complete"));
        object.entry("_meta").or_insert_with(|| Value::Object(Map::new()));
        if let Some(meta) = object.get_mut("_meta").and_then(Value::as_object_mut) {
            meta.insert(SERVER_INFO_KEY.into(), server_info());
        }
        if object.contains_key("tools") || object.contains_key("supportedVersions") {
            // The tool list never changes while the server runs; it depends on nobody's identity.
            object.insert("ttlMs".into(), json!(0));
            object.insert("cacheScope".into(), json!("public"));
        }
    }
    result
}

fn server_info() -> Value {
    json!({"name": "gate", "version": env!("CARGO_PKG_VERSION")})
}

pub(super) fn error(id: Value, code: i64, message: &str, data: Option<Value>) -> Value {
    let mut error = json!({"code": code, "message": message});
    if let Some(data) = data {
        error["data"] = data;
    }
    json!({"jsonrpc": "2.0", "id": id, "error": error})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(server: &mut Server<'_>, message: Value) -> Value {
        server.handle(&message).expect("an answer")
    }

    #[test]
    fn both_eras_and_their_errors() {
        let settings = Settings::default();
        let mut server = Server::new(&settings);
        let modern = json!({"_meta": {VERSION_KEY: "2026-07-28", CLIENT_INFO_KEY: {"name": "t", "version": "1"},
            "io.modelcontextprotocol/clientCapabilities": {}}});
        let cases = [
            (
                json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18"}}),
                "/result/protocolVersion",
                json!("2025-06-18"),
            ),
            (
                json!({"jsonrpc": "2.0", "id": 2, "method": "initialize", "params": {"protocolVersion": "1999-01-01"}}),
                "/result/protocolVersion",
                json!("2025-11-25"),
            ),
            (
                json!({"jsonrpc": "2.0", "id": 3, "method": "server/discover", "params": modern}),
                "/result/supportedVersions",
                json!(["2026-07-28"]),
            ),
            (
                json!({"jsonrpc": "2.0", "id": 4, "method": "tools/list", "params": modern}),
                "/result/resultType",
                json!("complete"),
            ),
            (json!({"jsonrpc": "2.0", "id": 5, "method": "tools/list"}), "/result/resultType", Value::Null),
            (
                json!({"jsonrpc": "2.0", "id": 6, "method": "tools/list", "params": {"_meta": {VERSION_KEY: "2099-01-01"}}}),
                "/error/code",
                json!(-32022),
            ),
            (
                json!({"jsonrpc": "2.0", "id": 7, "method": "ping", "params": modern}),
                "/error/code",
                json!(-32601),
            ),
            (json!({"jsonrpc": "2.0", "id": 8, "method": "ping"}), "/result", json!({})),
            (
                json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "nope"}}),
                "/error/code",
                json!(-32602),
            ),
            (
                json!({"jsonrpc": "2.0", "id": 10, "method": "tools/call", "params": {"name": tool::NAME, "arguments": {}}}),
                "/error/code",
                json!(-32602),
            ),
            (json!([1]), "/error/code", json!(-32600)),
        ];
        for (message, pointer, expected) in cases {
            let answer = ask(&mut server, message.clone());
            assert_eq!(
                answer.pointer(pointer).cloned().unwrap_or(Value::Null),
                expected,
                "{message} -> {answer}"
            );
        }
        assert!(server.handle(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).is_none());
    }
}
