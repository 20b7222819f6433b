//! What anyone may ask: health and the broker's public key (the value for `GATE_BROKER_KEY`).

use axum::Json;
use axum::extract::State;
use axum::routing::get;

use super::{AppState, Routes};
use crate::approval::wire::KeyBody;

pub(super) fn router() -> Routes {
    Routes::default().add("GET", "/healthz", get(|| async { "ok" })).add("GET", "/v1/key", get(key)).add(
        "GET",
        "/.well-known/gate-broker-key",
        get(key),
    )
}

async fn key(State(state): State<AppState>) -> Json<KeyBody> {
    Json(KeyBody { key: state.inner().signer.public().to_text() })
}
