//! The broker's HTTP API: one module per resource, each exposing `router()`, merged here with
//! the shared state. Every route is registered through [`Routes`], so the list that the OpenAPI
//! file is checked against is the list the router serves.

mod approvals;
mod auth;
mod error;
mod meta;
mod requests;
mod slack;
mod state;

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::MethodRouter;

pub(crate) use approvals::{record, view};
pub use error::ApiError;
pub use state::AppState;

/// The largest request body: the kernel's 128 KiB command limit, escaped, plus the other fields.
pub const BODY_LIMIT: usize = 256 * 1024;

/// Routes and the list of (method, path) they serve.
#[derive(Default)]
pub(super) struct Routes {
    paths: BTreeMap<&'static str, MethodRouter<AppState>>,
    list: Vec<(&'static str, &'static str)>,
}

impl Routes {
    pub fn add(mut self, method: &'static str, path: &'static str, route: MethodRouter<AppState>) -> Routes {
        let merged = match self.paths.remove(path) {
            Some(existing) => existing.merge(route),
            None => route,
        };
        self.paths.insert(path, merged);
        self.list.push((method, path));
        self
    }

    pub fn merge(mut self, other: Routes) -> Routes {
        for (path, route) in other.paths {
            let merged = match self.paths.remove(path) {
                Some(existing) => existing.merge(route),
                None => route,
            };
            self.paths.insert(path, merged);
        }
        self.list.extend(other.list);
        self
    }
}

fn routes() -> Routes {
    meta::router().merge(requests::router()).merge(approvals::router()).merge(slack::router())
}

/// Every (method, path) the broker serves, sorted; paths in axum's `{param}` form.
pub fn route_list() -> Vec<(&'static str, &'static str)> {
    let mut list = routes().list;
    list.sort();
    list
}

pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for (path, route) in routes().paths {
        router = router.route(path, route);
    }
    router
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The OpenAPI file documents exactly the routes the router serves.
    #[test]
    fn openapi_lists_exactly_the_routes() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/broker-api.openapi.json");
        let document: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut documented = Vec::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    documented.push((method.to_uppercase(), path.clone()));
                }
            }
        }
        documented.sort();
        let served: Vec<(String, String)> =
            route_list().into_iter().map(|(method, path)| (method.to_string(), path.to_string())).collect();
        assert_eq!(documented, served, "docs/broker-api.openapi.json is out of step with the router");
    }
}
