//! Socket Mode: clicks over a WebSocket the broker opens itself, so a broker behind a firewall,
//! with no public URL, still receives them. `apps.connections.open` (with the app-level token,
//! `xapp-…`) gives a `wss://` URL; each envelope is acknowledged at once with its
//! `envelope_id` and its interaction handled after; on `disconnect`, a closed socket or an error
//! the broker connects again, with backoff (1 s, doubling to 30 s; back to 1 s after `hello`).

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use super::SlackChannel;
use super::api::Body;
use crate::broker::http::AppState;

const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long a silent socket is kept (Slack pings every few seconds).
const SILENCE: Duration = Duration::from_secs(60);

/// Runs until the broker stops.
pub async fn run(state: AppState, slack: Arc<SlackChannel>, mut stopped: watch::Receiver<bool>) {
    let Some(token) = slack.config.app_token.clone() else { return };
    let mut backoff = FIRST_BACKOFF;
    loop {
        let opened = slack
            .api
            .call_once("apps.connections.open", &token, Body::Form(&[]), super::api::CALL_TIMEOUT)
            .await
            .map_err(|error| error.to_string())
            .and_then(|answer| {
                answer["url"].as_str().map(str::to_string).ok_or_else(|| "no url".to_string())
            });
        match opened {
            Ok(url) => match connect(&url).await {
                Ok(socket) => {
                    if session(&state, &slack, socket, &mut stopped, &mut backoff).await {
                        return;
                    }
                }
                Err(error) => {
                    eprintln!("gate serve: slack {}: socket mode: cannot connect: {error}", slack.name)
                }
            },
            Err(error) => eprintln!("gate serve: slack {}: socket mode: {error}", slack.name),
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = stopping(&mut stopped) => return,
        }
        backoff = (backoff * 2).clamp(FIRST_BACKOFF, MAX_BACKOFF);
    }
}

/// Resolves when the broker is stopping.
async fn stopping(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(url: &str) -> Result<Socket, String> {
    use rustls_platform_verifier::ConfigVerifierExt;
    // Installing fails only when a provider is installed already, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tls = rustls::ClientConfig::with_platform_verifier().map_err(|error| error.to_string())?;
    let connector = tokio_tungstenite::Connector::Rustls(Arc::new(tls));
    let connecting = tokio_tungstenite::connect_async_tls_with_config(url, None, true, Some(connector));
    match tokio::time::timeout(Duration::from_secs(10), connecting).await {
        Ok(Ok((socket, _))) => Ok(socket),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err("timed out".into()),
    }
}

/// Reads one connection until it ends; true when the broker is stopping.
async fn session(
    state: &AppState,
    slack: &Arc<SlackChannel>,
    mut socket: Socket,
    stopped: &mut watch::Receiver<bool>,
    backoff: &mut Duration,
) -> bool {
    loop {
        let frame = tokio::select! {
            frame = tokio::time::timeout(SILENCE, socket.next()) => frame,
            () = stopping(stopped) => {
                let _ = socket.close(None).await;
                return true;
            }
        };
        let text = match frame {
            Ok(Some(Ok(Message::Text(text)))) => text,
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) => return false,
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(error))) => {
                eprintln!("gate serve: slack {}: socket mode: {error}; connecting again", slack.name);
                return false;
            }
            Err(_) => {
                eprintln!(
                    "gate serve: slack {}: socket mode: silent for a minute; connecting again",
                    slack.name
                );
                return false;
            }
        };
        let Ok(envelope) = serde_json::from_str::<Value>(text.as_str()) else { continue };
        match envelope["type"].as_str() {
            Some("hello") => *backoff = FIRST_BACKOFF,
            Some("disconnect") => {
                let _ = socket.close(None).await;
                // Slack asks for a new connection (a refresh, or this one's end): at once.
                *backoff = Duration::ZERO;
                return false;
            }
            _ => {}
        }
        if let Some(id) = envelope["envelope_id"].as_str() {
            let ack = json!({"envelope_id": id}).to_string();
            if socket.send(Message::text(ack)).await.is_err() {
                return false;
            }
            if envelope["type"] == "interactive" {
                let payload = envelope["payload"].clone();
                tokio::spawn(super::interaction::handle(state.clone(), slack.clone(), payload));
            }
        }
    }
}
