//! For the Teams tests: a Workflows webhook stand-in on 127.0.0.1 that records each card and
//! answers from a script of statuses, and Microsoft's `adaptivecards` package (through
//! `tests/web/card.mjs`) to say what it makes of a card.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

/// A Teams Workflows stand-in: records each POSTed body; answers from a script of statuses
/// (then 202 Accepted, as Workflows does).
#[derive(Clone)]
pub struct TeamsStandIn {
    /// The workflow URL, with its secret signature in the query.
    pub url: String,
    pub secret: String,
    shared: Arc<(Mutex<Posts>, Condvar)>,
}

/// The posts received, and the statuses still to answer (last first).
type Posts = (Vec<Value>, Vec<u16>);

impl TeamsStandIn {
    pub fn start(script: &[u16]) -> TeamsStandIn {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let secret = "sig-0123456789secret".to_string();
        let url = format!(
            "http://{}/workflows/f00d/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={secret}",
            listener.local_addr().unwrap()
        );
        let stand_in = TeamsStandIn {
            url,
            secret,
            shared: Arc::new((
                Mutex::new((Vec::new(), script.iter().rev().copied().collect())),
                Condvar::new(),
            )),
        };
        let server = stand_in.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let server = server.clone();
                std::thread::spawn(move || server.serve(stream));
            }
        });
        stand_in
    }

    fn serve(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let status = {
            let mut shared = self.shared.0.lock().unwrap();
            let status = shared.1.pop().unwrap_or(202);
            let mut value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            value["__status"] = json!(status);
            value["__bytes"] = json!(length);
            value["__secret_in_path"] = json!(line.contains(&self.secret));
            shared.0.push(value);
            self.shared.1.notify_all();
            status
        };
        let extra = if status == 429 { "Retry-After: 1\r\n" } else { "" };
        let _ = writer.write_all(
            format!("HTTP/1.1 {status} Status\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
    }

    pub fn posts(&self) -> Vec<Value> {
        self.shared.0.lock().unwrap().0.clone()
    }

    /// Waits for the `count`th post; all posts so far (each with `__status` and `__bytes`).
    pub fn wait_for(&self, count: usize) -> Vec<Value> {
        let deadline = Instant::now() + WAIT;
        let mut shared = self.shared.0.lock().unwrap();
        while shared.0.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "{} posts to the workflow, not {count}", shared.0.len());
            shared = self.shared.1.wait_timeout(shared, left).unwrap().0;
        }
        shared.0.clone()
    }
}

/// What Microsoft's `adaptivecards` package makes of a posted message (`tests/web/card.mjs`).
pub fn check_card(message: &Value) -> Value {
    crate::web_support::require_tools();
    let mut message = message.clone();
    for key in ["__status", "__bytes", "__secret_in_path"] {
        message.as_object_mut().unwrap().remove(key);
    }
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), message.to_string()).unwrap();
    let card_js = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/web/card.mjs");
    let output = Command::new("node").arg(card_js).arg(file.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "card.mjs: {stdout}{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap()
}
