//! For the Slack tests: a stand-in for Slack (its Web API's wire format on 127.0.0.1, recording
//! every call; a Socket Mode WebSocket server speaking the envelope protocol), clicks signed
//! exactly as Slack signs them, and the real broker (`gate serve`) configured with chat channels
//! (the Teams tests use it too). Slack itself cannot be reached from here.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

pub const HOST: &str = "build-7";
pub const HOST_TOKEN: &str = "host-token-slack-tests";
pub const SIGNING_SECRET: &str = "slack-signing-secret-for-tests";
pub const BOT_TOKEN: &str = "xoxb-test-bot-token";
pub const APP_TOKEN: &str = "xapp-1-test-app-token";
pub const TEAM: &str = "T0TEAM";
pub const CHANNEL: &str = "C0123OPS";
const WAIT: Duration = Duration::from_secs(20);

pub fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// One call the stand-in received: the method and its arguments (JSON, or a form as an object).
#[derive(Clone, Debug)]
pub struct Call {
    pub method: String,
    pub body: Value,
    pub authorization: String,
    /// What the stand-in answered.
    pub answer: Value,
}

impl Call {
    /// The (channel, ts) of a posted message.
    pub fn posted(&self) -> (String, String) {
        (
            self.answer["channel"].as_str().unwrap().to_string(),
            self.answer["ts"].as_str().unwrap().to_string(),
        )
    }
}

#[derive(Default)]
struct Shared {
    calls: Vec<Call>,
    /// Methods to answer 429 (with `Retry-After: 1`) this many more times.
    rate_limited: Vec<(String, usize)>,
    /// Methods that answer `{"ok": false}`.
    failing: Vec<String>,
    /// Methods that answer only after a while.
    slow: Vec<(String, Duration)>,
    /// Slack user id → (email, confirmed).
    emails: Vec<(String, String, bool)>,
    /// Frames for the Socket Mode client, and what it sent back.
    outbox: Vec<String>,
    acks: Vec<Value>,
    connections: usize,
    next_ts: u64,
}

/// The Slack stand-in: `http://127.0.0.1:PORT/api/<method>`, and `ws://127.0.0.1:PORT2/link`.
#[derive(Clone)]
pub struct SlackStandIn {
    pub api_url: String,
    pub ws_url: String,
    shared: Arc<(Mutex<Shared>, Condvar)>,
}

impl SlackStandIn {
    pub fn start() -> SlackStandIn {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let sockets = TcpListener::bind("127.0.0.1:0").unwrap();
        let stand_in = SlackStandIn {
            api_url: format!("http://{}/api", listener.local_addr().unwrap()),
            ws_url: format!("ws://{}/link", sockets.local_addr().unwrap()),
            shared: Arc::new((Mutex::new(Shared { next_ts: 1, ..Shared::default() }), Condvar::new())),
        };
        let api = stand_in.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let api = api.clone();
                std::thread::spawn(move || api.serve(stream));
            }
        });
        let ws = stand_in.clone();
        std::thread::spawn(move || {
            for stream in sockets.incoming().map_while(Result::ok) {
                let ws = ws.clone();
                std::thread::spawn(move || ws.socket(stream));
            }
        });
        stand_in
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.0.lock().unwrap()
    }

    pub fn rate_limit(&self, method: &str, times: usize) {
        self.lock().rate_limited.push((method.to_string(), times));
    }

    pub fn fail(&self, method: &str) {
        self.lock().failing.push(method.to_string());
    }

    pub fn delay(&self, method: &str, by: Duration) {
        self.lock().slow.push((method.to_string(), by));
    }

    pub fn email(&self, user: &str, email: &str, confirmed: bool) {
        self.lock().emails.push((user.to_string(), email.to_string(), confirmed));
    }

    pub fn calls(&self, method: &str) -> Vec<Call> {
        self.lock().calls.iter().filter(|call| call.method == method).cloned().collect()
    }

    /// Waits until `method` was called `count` times; those calls.
    pub fn wait_for(&self, method: &str, count: usize) -> Vec<Call> {
        let deadline = Instant::now() + WAIT;
        let mut shared = self.lock();
        loop {
            let calls: Vec<Call> = shared.calls.iter().filter(|c| c.method == method).cloned().collect();
            if calls.len() >= count {
                return calls;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "{method} was called {} times, not {count}", calls.len());
            shared = self.shared.1.wait_timeout(shared, left).unwrap().0;
        }
    }

    /// Waits for a `chat.update` of the message whose text contains `part`.
    pub fn wait_for_update(&self, part: &str) -> Call {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(call) =
                self.calls("chat.update").into_iter().find(|c| c.body.to_string().contains(part))
            {
                return call;
            }
            assert!(
                Instant::now() < deadline,
                "no chat.update says {part:?}: {:#?}",
                self.calls("chat.update")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn serve(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        loop {
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                return;
            }
            let path = request_line.split(' ').nth(1).unwrap_or("").to_string();
            let (mut length, mut authorization, mut content_type) = (0, String::new(), String::new());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                let (name, value) = line.split_once(':').unwrap_or((line, ""));
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap(),
                    "authorization" => authorization = value.trim().to_string(),
                    "content-type" => content_type = value.trim().to_string(),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let body: Value = if content_type.starts_with("application/json") {
                serde_json::from_slice(&body).unwrap_or(Value::Null)
            } else {
                let fields: serde_json::Map<String, Value> = form_urlencoded::parse(&body)
                    .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                    .collect();
                Value::Object(fields)
            };
            let method = path.trim_start_matches("/api/").to_string();
            let slow = self.lock().slow.iter().find(|(m, _)| *m == method).map(|(_, by)| *by);
            if let Some(by) = slow {
                std::thread::sleep(by);
            }
            let (status, extra, answer) = self.answer(&method, &body, authorization);
            let text = answer.to_string();
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}\r\n{text}",
                text.len()
            );
            if writer.write_all(response.as_bytes()).is_err() {
                return;
            }
        }
    }

    fn answer(&self, method: &str, body: &Value, authorization: String) -> (&'static str, String, Value) {
        let mut shared = self.lock();
        if let Some(entry) = shared.rate_limited.iter_mut().find(|(m, n)| m == method && *n > 0) {
            entry.1 -= 1;
            let answer = json!({"ok": false, "error": "ratelimited"});
            let call = Call {
                method: format!("{method}:429"),
                body: body.clone(),
                authorization,
                answer: answer.clone(),
            };
            shared.calls.push(call);
            self.shared.1.notify_all();
            return ("429 Too Many Requests", "Retry-After: 1\r\n".into(), answer);
        }
        let answer = if shared.failing.iter().any(|m| m == method) {
            json!({"ok": false, "error": "internal_error"})
        } else {
            Self::reply(&mut shared, method, body, &self.ws_url)
        };
        shared.calls.push(Call {
            method: method.to_string(),
            body: body.clone(),
            authorization,
            answer: answer.clone(),
        });
        self.shared.1.notify_all();
        ("200 OK", String::new(), answer)
    }

    fn reply(shared: &mut Shared, method: &str, body: &Value, ws_url: &str) -> Value {
        match method {
            "chat.postMessage" => {
                let channel = body["channel"].as_str().unwrap_or("C0");
                // A message to a user id lands in the bot's direct-message channel with them.
                let channel = match channel.strip_prefix('U') {
                    Some(rest) => format!("D{rest}"),
                    None => channel.to_string(),
                };
                shared.next_ts += 1;
                json!({"ok": true, "channel": channel, "ts": format!("1700000000.{:06}", shared.next_ts)})
            }
            "chat.update" => json!({"ok": true, "channel": body["channel"], "ts": body["ts"]}),
            "chat.postEphemeral" => json!({"ok": true, "message_ts": "1700000001.000001"}),
            "views.open" => json!({"ok": true, "view": {"id": "V0DENY"}}),
            "users.info" => {
                let user = body["user"].as_str().unwrap_or_default();
                match shared.emails.iter().find(|(u, _, _)| u == user) {
                    Some((_, email, confirmed)) => {
                        json!({"ok": true, "user": {"id": user, "is_email_confirmed": confirmed, "profile": {"email": email}}})
                    }
                    None => json!({"ok": false, "error": "user_not_found"}),
                }
            }
            "apps.connections.open" => json!({"ok": true, "url": ws_url}),
            _ => json!({"ok": false, "error": "unknown_method"}),
        }
    }

    /// One Socket Mode connection: `hello`, then the queued frames out and the acks in.
    fn socket(&self, stream: TcpStream) {
        stream.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let Ok(mut socket) = tungstenite::accept(stream) else { return };
        let hello = json!({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0GATE"}});
        if socket.send(tungstenite::Message::text(hello.to_string())).is_err() {
            return;
        }
        let number = {
            let mut shared = self.lock();
            shared.connections += 1;
            self.shared.1.notify_all();
            shared.connections
        };
        loop {
            let frames: Vec<String> = {
                let mut shared = self.lock();
                // Frames go to the newest connection only.
                if shared.connections == number { std::mem::take(&mut shared.outbox) } else { Vec::new() }
            };
            for frame in frames {
                let disconnect = frame.contains("\"disconnect\"");
                if socket.send(tungstenite::Message::text(frame)).is_err() {
                    return;
                }
                if disconnect {
                    // As Slack does: the client should go; this side closes soon after.
                    std::thread::sleep(Duration::from_millis(200));
                    let _ = socket.close(None);
                    let _ = socket.flush();
                    return;
                }
            }
            match socket.read() {
                Ok(tungstenite::Message::Text(text)) => {
                    let mut shared = self.lock();
                    shared.acks.push(serde_json::from_str(text.as_str()).unwrap_or(Value::Null));
                    self.shared.1.notify_all();
                }
                Ok(tungstenite::Message::Close(_)) => return,
                Ok(_) => {}
                Err(tungstenite::Error::Io(error))
                    if matches!(
                        error.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => return,
            }
        }
    }

    /// Sends a frame to the connected Socket Mode client.
    pub fn send_frame(&self, frame: Value) {
        self.lock().outbox.push(frame.to_string());
    }

    /// Waits for the `count`th Socket Mode connection.
    pub fn wait_for_connection(&self, count: usize) {
        let deadline = Instant::now() + WAIT;
        let mut shared = self.lock();
        while shared.connections < count {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "{} socket mode connections, not {count}", shared.connections);
            shared = self.shared.1.wait_timeout(shared, left).unwrap().0;
        }
    }

    /// Waits for the ack of `envelope_id`.
    pub fn wait_for_ack(&self, envelope_id: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        let mut shared = self.lock();
        loop {
            if let Some(ack) = shared.acks.iter().find(|ack| ack["envelope_id"] == envelope_id) {
                return ack.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no ack of {envelope_id}: {:?}", shared.acks);
            shared = self.shared.1.wait_timeout(shared, left).unwrap().0;
        }
    }
}

/// The `X-Slack-Signature` Slack sends: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`.
pub fn slack_signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("v0={hex}")
}

/// The form body Slack posts: `payload=<JSON>`.
pub fn form(payload: &Value) -> String {
    form_urlencoded::Serializer::new(String::new()).append_pair("payload", &payload.to_string()).finish()
}

/// A `block_actions` payload: `user` clicked the button whose text is `button` on `posted`
/// (a recorded `chat.postMessage`, whose answer gave `channel` and `ts`).
pub fn click(posted: &Call, channel: &str, ts: &str, user: &str, button: &str) -> Value {
    let elements = posted.body["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|block| block["type"] == "actions")
        .flat_map(|block| block["elements"].as_array().unwrap().clone())
        .collect::<Vec<_>>();
    let action = elements
        .iter()
        .find(|element| element["type"] == "button" && element["text"]["text"] == button)
        .unwrap_or_else(|| panic!("no {button} button in {}", posted.body));
    let mut action_ts = [0u8; 4];
    getrandom::fill(&mut action_ts).unwrap();
    json!({
        "type": "block_actions",
        "user": {"id": user, "username": user.to_lowercase(), "name": user.to_lowercase(), "team_id": TEAM},
        "api_app_id": "A0GATE",
        "token": "deprecated-verification-token",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": false},
        "trigger_id": format!("1.2.{}", u32::from_be_bytes(action_ts)),
        "team": {"id": TEAM, "domain": "gate-tests"},
        "channel": {"id": channel, "name": "ops"},
        "message": {"type": "message", "ts": ts, "text": posted.body["text"], "blocks": posted.body["blocks"]},
        "response_url": "http://127.0.0.1:9/response",
        "actions": [{
            "type": "button", "block_id": "gate", "action_id": action["action_id"], "value": action["value"],
            "text": action["text"], "action_ts": format!("{}.{:06}", unix_now(), u32::from_be_bytes(action_ts) % 1_000_000),
        }],
        "state": {"values": {}},
    })
}

/// The `view_submission` of the deny modal opened by `views_open` (a recorded call), by `user`.
pub fn deny_reason(views_open: &Call, user: &str, reason: &str) -> Value {
    let view = &views_open.body["view"];
    json!({
        "type": "view_submission",
        "user": {"id": user, "team_id": TEAM},
        "team": {"id": TEAM},
        "api_app_id": "A0GATE",
        "view": {
            "id": "V0DENY", "type": "modal", "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "state": {"values": {"reason": {"reason": {"type": "plain_text_input", "value": reason}}}},
        },
    })
}
