//! The approval broker, `gate serve`: holds pending requests, knows who may decide them, signs
//! the final decision and hands it back to the waiting `gate exec`. The server (`http/`), its
//! store (`store/`, the only SQL) and its channels (`channels/`) live here; the tokio runtime is
//! built in [`serve`] and nowhere else on the server side.

pub mod channels;
pub mod client;
pub mod config;
pub mod decide;
mod http;
pub mod mask;
pub mod signing;
pub mod store;
pub mod web;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use config::Config;
use signing::DecisionSigner;
use store::{SqliteStore, Store, StoreError};

pub use http::route_list;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Key(#[from] crate::audit::KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {address}: {source}")]
    Listen { address: String, source: std::io::Error },
    #[error("cannot start the broker's runtime: {0}")]
    Runtime(std::io::Error),
    #[error("{0}")]
    Web(String),
}

/// How often pending requests are checked against their deadline.
const EXPIRY_TICK: Duration = Duration::from_secs(1);

/// Runs the broker until SIGTERM or SIGINT.
pub fn serve(config: Config) -> Result<(), ServeError> {
    let key = crate::audit::SecretKey::load_or_create_named(
        &config.key,
        &crate::audit::key::default_name("gate-broker"),
    )?;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&config.database)?);
    // Requests whose deadline passed while the broker was down are expired before anyone asks.
    store.expire_due(unix_now(), &rfc3339_now())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(8)
        .build()
        .map_err(ServeError::Runtime)?;
    runtime.block_on(run(config, store, DecisionSigner::new(key)))
}

async fn run(config: Config, store: Arc<dyn Store>, signer: DecisionSigner) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Listen { address: config.listen.to_string(), source })?;
    let address = listener
        .local_addr()
        .map_err(|source| ServeError::Listen { address: config.listen.to_string(), source })?;
    let mut config = config;
    if config.listen.port() == 0 && config.public_url == format!("http://{}", config.listen) {
        config.public_url = format!("http://{address}");
    }
    let key_id = signer.public().id();
    eprintln!(
        "gate serve: listening on http://{address} (public URL {}, key {key_id})",
        crate::display::escape_controls(&config.public_url)
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let state = http::AppState::new(config, store, signer, stopped.clone());
    tokio::spawn(expire_loop(state.clone()));
    for slack in state.slack().iter().filter(|slack| slack.config.app_token.is_some()) {
        tokio::spawn(channels::slack::socket::run(state.clone(), slack.clone(), stopped.clone()));
    }
    let web = web::broker::for_state(&state).map_err(ServeError::Web)?;
    let app = http::router(state).merge(web::router(std::sync::Arc::new(web)));
    let mut stopping = stopped.clone();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = stopping.wait_for(|stop| *stop).await;
    });
    tokio::select! {
        result = server => result.map_err(|source| ServeError::Listen { address: address.to_string(), source })?,
        () = async {
            shutdown_signal().await;
            let _ = stop.send(true);
            // Long polls answer at once on stop; give open connections a moment, no more.
            tokio::time::sleep(Duration::from_secs(3)).await;
        } => {}
    }
    eprintln!("gate serve: stopped");
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut interrupt = signal(SignalKind::interrupt()).expect("SIGINT handler");
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
}

async fn expire_loop(state: http::AppState) {
    let mut tick = tokio::time::interval(EXPIRY_TICK);
    loop {
        tick.tick().await;
        state.expire_due().await;
    }
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

pub(crate) fn rfc3339_now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}
