//! Checkpoints posted to a webhook: a real HTTP server on 127.0.0.1 receives them, and what it
//! receives verifies the log; a webhook that fails never stops a command, and never shows its
//! URL's path (which is often its secret) in a message.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use super::audit_tamper::build_log;
use super::support::{TestEnv, stderr};

/// One request as the server read it.
#[derive(Debug)]
struct Received {
    request_line: String,
    content_type: Option<String>,
    body: serde_json::Value,
}

/// A webhook on 127.0.0.1 answering every request with `status`: its URL (with a secret path)
/// and what it receives.
fn webhook(status: u16) -> (String, mpsc::Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook/SECRET-TOKEN", listener.local_addr().unwrap());
    let (sender, received) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            // What is not an HTTP request with a JSON body (a TLS handshake, say) gets no answer.
            if let Some(request) = stream.ok().and_then(|stream| answer(stream, status)) {
                let _ = sender.send(request);
            }
        }
    });
    (url, received)
}

fn answer(mut stream: std::net::TcpStream, status: u16) -> Option<Received> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let (mut length, mut content_type) = (0, None);
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "content-type" => content_type = Some(value.trim().to_string()),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let reply = format!("HTTP/1.1 {status} Whatever\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    stream.write_all(reply.as_bytes()).ok()?;
    let body = serde_json::from_slice(&body).ok()?;
    Some(Received { request_line: request_line.trim_end().to_string(), content_type, body })
}

fn next(received: &mpsc::Receiver<Received>) -> Received {
    received.recv_timeout(Duration::from_secs(10)).expect("a post reached the webhook")
}

#[test]
fn gate_exec_posts_each_checkpoint_and_the_post_verifies_the_log() {
    let env = TestEnv::new().with_policy(&super::support::policy("allow", ""));
    let (url, received) = webhook(200);
    for _ in 0..2 {
        let output = env
            .gate(&["exec", "--", "true"])
            .env("GATE_AUDIT_CHECKPOINT_EVERY", "2")
            .env("GATE_AUDIT_CHECKPOINT_URL", &url)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert_eq!(stderr(&output), "");
    }
    // Entries 2 and 4 (the two decisions) were due.
    for size in [2, 4] {
        let post = next(&received);
        assert_eq!(post.request_line, "POST /hook/SECRET-TOKEN HTTP/1.1");
        assert_eq!(post.content_type.as_deref(), Some("application/json"));
        assert_eq!(post.body["type"], "gate.audit.checkpoint");
        assert_eq!(post.body["size"], size);
        let note = post.body["note"].as_str().unwrap();
        assert_eq!(note.lines().nth(2), Some(size.to_string().as_str()), "{note}");
        assert!(post.body["text"].as_str().unwrap().contains(post.body["head_hash"].as_str().unwrap()));
        // The posted note is a checkpoint `gate audit verify` accepts for this log.
        let file = env.root().join(format!("posted-{size}.checkpoint"));
        std::fs::write(&file, note).unwrap();
        let output = env.gate(&["audit", "verify", "--checkpoint", file.to_str().unwrap()]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{output:?}");
    }
    assert!(received.try_recv().is_err(), "no other post");
}

#[test]
fn a_webhook_that_fails_is_a_warning_and_the_command_still_runs() {
    let env = TestEnv::new().with_policy(&super::support::policy("allow", ""));
    let (refusing, received) = webhook(500);
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook/SECRET-TOKEN", listener.local_addr().unwrap())
    };
    let cases = [
        (refusing.as_str(), "answered 500"),
        (closed.as_str(), "posting to http://127.0.0.1"),
        ("ftp://example.com/SECRET-TOKEN", "not an http:// or https:// URL"),
    ];
    for (run, (url, says)) in cases.into_iter().enumerate() {
        let marker = env.work().join(format!("ran-{run}"));
        let output = env
            .gate(&["exec", "--", "sh", "-c", &format!("touch ran-{run}; exit 3")])
            .env("GATE_AUDIT_CHECKPOINT_EVERY", "1")
            .env("GATE_AUDIT_CHECKPOINT_URL", url)
            .output()
            .unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(3), "{url}: {err}");
        assert!(marker.exists(), "{url}: the command ran");
        assert!(err.contains("was not posted") && err.contains(says), "{url}: {err}");
        assert!(!err.contains("SECRET-TOKEN"), "{url}: {err}");
        // The file copy is written all the same.
        assert!(env.root().join("audit.db.checkpoint").exists());
    }
    assert!(next(&received).body["size"].is_i64());
}

#[test]
fn gate_audit_checkpoint_posts_on_request() {
    let env = TestEnv::new();
    build_log(&env.db(), 5);
    let (url, received) = webhook(204);
    let output = env.gate(&["audit", "checkpoint", "--post", &url]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let printed = String::from_utf8(output.stdout).unwrap();
    assert_eq!(next(&received).body["note"], printed.as_str());

    let (refusing, _received) = webhook(403);
    // https to a server that speaks plain HTTP: the TLS handshake fails.
    let (plain, _received) = webhook(200);
    let plain = plain.replace("http://", "https://");
    for (url, says) in [(refusing.as_str(), "answered 403"), (plain.as_str(), "posting to https://127.0.0.1")]
    {
        let output = env.gate(&["audit", "checkpoint", "--post", url]).output().unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(69), "{err}");
        assert!(err.contains(says) && !err.contains("SECRET-TOKEN"), "{err}");
    }
}
