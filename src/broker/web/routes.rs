//! The page's routes: `GET /r/{id}`, `POST /r/{id}/decide`, and sign-in under `/auth`.
//! Every answer is HTML with a strict Content-Security-Policy, no framing, no referrer and no
//! caching; every state-changing form checks the `Origin` and a CSRF token bound to the session.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::page::{self, Decide, Viewer};
use super::session::{self, LOGIN_COOKIE, Login, SESSION_COOKIE, SESSION_FOR, Session};
use super::{Refused, Web, csrf, match_person};
use crate::approval::signed::Answer;
use crate::approval::wire::{Decided, State as RequestState};

/// The page's routes, with their state; merge into the broker's router.
pub fn router(web: Arc<Web>) -> Router {
    Router::new()
        .route("/r/{id}", get(show))
        .route("/r/{id}/decide", post(decide))
        .route("/auth/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/auth/logout", post(logout))
        .layer(axum::middleware::map_response(harden))
        .with_state(web)
}

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async fn harden(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Not `no-referrer`: under it browsers send `Origin: null` with the page's own form
        // posts, and the Origin check could not tell them from a foreign page's. `same-origin`
        // still sends nothing to any other site.
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn html(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn message(status: StatusCode, title: &str, text: &str, link: Option<(&str, &str)>) -> Response {
    html(status, page::message(title, text, link))
}

fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location.to_string())]).into_response()
}

fn with_cookie(mut response: Response, cookie: String) -> Response {
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// A request id as the page accepts it: hex, at most 64 digits.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Where a sign-in may go back to: a request's page on this broker, nothing else.
fn local_next(next: Option<&str>) -> Option<String> {
    let id = next?.strip_prefix("/r/")?;
    valid_id(id).then(|| format!("/r/{id}"))
}

impl Web {
    fn cookie(&self, headers: &HeaderMap, name: &str) -> Option<String> {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(|value| session::cookie(value, name).map(str::to_string))
    }

    /// The signed-in person's session, if the cookie holds a live one for a configured person.
    fn session(&self, headers: &HeaderMap) -> Option<Session> {
        let session: Session = self.secret.open("session", &self.cookie(headers, SESSION_COOKIE)?)?;
        let live = session.expires > now() && !self.revoked.contains(&session.id);
        (live && self.people.iter().any(|p| p.id == session.person)).then_some(session)
    }

    fn origin_ok(&self, headers: &HeaderMap) -> bool {
        let sent = headers.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("invalid"));
        csrf::origin_allowed(sent, &self.origin)
    }

    fn display_name(&self, person: &str) -> String {
        let found = self.people.iter().find(|p| p.id == person);
        found.and_then(|p| p.name.clone()).unwrap_or_else(|| person.to_string())
    }

    /// The request's page for this viewer, with the result of a decision just posted.
    async fn render(
        &self,
        id: &str,
        headers: &HeaderMap,
        notice: Option<(bool, &str)>,
        status: StatusCode,
    ) -> Response {
        let session = self.session(headers);
        let shown = match self.requests.show(id, session.as_ref().map(|s| s.person.as_str())).await {
            Ok(Some(shown)) => shown,
            Ok(None) => {
                return message(
                    StatusCode::NOT_FOUND,
                    "No such request",
                    "This broker has no request with this id.",
                    None,
                );
            }
            Err(()) => return internal(),
        };
        let view = &shown.view;
        let sign_in = format!("/auth/login?next=/r/{}", view.id);
        let (name, logout_csrf, csrf_token);
        let (viewer, decide) = match &session {
            None => (Viewer::Anonymous { sign_in: &sign_in }, None),
            Some(session) => {
                name = self.display_name(&session.person);
                logout_csrf = csrf::token(&self.secret, session, "logout");
                csrf_token = csrf::token(&self.secret, session, &view.id);
                let decide = match &shown.cannot_decide {
                    Some(why) => Decide::Not(why),
                    None => Decide::Form { csrf: &csrf_token },
                };
                (
                    Viewer::SignedIn { person: &name, login: &session.login, logout_csrf: &logout_csrf },
                    Some(decide),
                )
            }
        };
        let body = page::request(&page::Request {
            view,
            full_command: shown.full_command.as_deref(),
            viewer,
            decide,
            notice,
            now: now(),
        });
        html(status, body)
    }
}

fn internal() -> Response {
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal error",
        "The broker could not answer; its log says why.",
        None,
    )
}

async fn show(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !valid_id(&id) {
        return message(StatusCode::NOT_FOUND, "No such request", "A request id is hexadecimal.", None);
    }
    web.render(&id, &headers, None, StatusCode::OK).await
}

#[derive(Deserialize)]
struct DecideForm {
    csrf: Option<String>,
    decision: Option<String>,
    comment: Option<String>,
}

/// What the person reads after deciding.
fn decided_text(decided: &Decided) -> String {
    match decided.state {
        RequestState::Approved => format!("approved ({} of {})", decided.approvals, decided.quorum),
        RequestState::Pending => format!(
            "approved ({} of {}): waiting for {} more",
            decided.approvals,
            decided.quorum,
            decided.quorum.saturating_sub(decided.approvals)
        ),
        state => state.as_str().to_string(),
    }
}

async fn decide(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<DecideForm>,
) -> Response {
    if !web.origin_ok(&headers) {
        return message(StatusCode::FORBIDDEN, "Refused", "This form was posted from another site.", None);
    }
    if !valid_id(&id) {
        return message(StatusCode::NOT_FOUND, "No such request", "A request id is hexadecimal.", None);
    }
    let Some(session) = web.session(&headers) else {
        let sign_in = format!("/auth/login?next=/r/{id}");
        return message(
            StatusCode::UNAUTHORIZED,
            "Sign in first",
            "Only a signed-in approver can decide.",
            Some((&sign_in, "Sign in")),
        );
    };
    if !csrf::check(&web.secret, &session, &id, form.csrf.as_deref()) {
        return message(
            StatusCode::FORBIDDEN,
            "Refused",
            "The form's token is missing or wrong; reload the page and try again.",
            None,
        );
    }
    let answer = match form.decision.as_deref() {
        Some("approve") => Answer::Approve,
        Some("deny") => Answer::Deny,
        _ => return message(StatusCode::BAD_REQUEST, "Refused", "Choose Approve or Deny.", None),
    };
    let comment =
        form.comment.map(|c| c.trim().chars().take(1000).collect::<String>()).filter(|c| !c.is_empty());
    match web.requests.decide(&id, &session.person, answer, comment).await {
        Ok(decided) => {
            let text = decided_text(&decided);
            web.render(&id, &headers, Some((false, &text)), StatusCode::OK).await
        }
        Err(Refused { status, message }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
            web.render(&id, &headers, Some((true, &message)), status).await
        }
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

async fn login(State(web): State<Arc<Web>>, Query(query): Query<LoginQuery>) -> Response {
    let Some(oidc) = &web.oidc else {
        return message(
            StatusCode::NOT_FOUND,
            "Sign-in is not configured",
            "This broker has no [sign_in] section.",
            None,
        );
    };
    let next = local_next(query.next.as_deref()).unwrap_or_default();
    match oidc.start(&next, now()).await {
        Ok((login, url)) => {
            let cookie = web.secret.seal("login", &login);
            let cookie = session::set_cookie(LOGIN_COOKIE, &cookie, "/auth", session::LOGIN_FOR, web.secure);
            with_cookie(see_other(&url), cookie)
        }
        Err(error) => {
            eprintln!("gate serve: sign-in: {error}");
            message(
                StatusCode::BAD_GATEWAY,
                "Sign-in is unavailable",
                "The sign-in provider could not be reached; try again later.",
                None,
            )
        }
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let clear = session::set_cookie(LOGIN_COOKIE, "", "/auth", Duration::ZERO, web.secure);
    let response = sign_in(&web, &headers, query).await;
    with_cookie(response, clear)
}

async fn sign_in(web: &Web, headers: &HeaderMap, query: CallbackQuery) -> Response {
    let failed = |text: &str| message(StatusCode::BAD_REQUEST, "Sign-in failed", text, None);
    let Some(oidc) = &web.oidc else {
        return message(
            StatusCode::NOT_FOUND,
            "Sign-in is not configured",
            "This broker has no [sign_in] section.",
            None,
        );
    };
    if let Some(error) = query.error {
        // Anyone can send a browser here with any `error`: show only an OAuth error code.
        let code = error.len() <= 64 && error.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        let error = if code { error.as_str() } else { "an error" };
        return failed(&format!("The sign-in provider answered with {error}; sign in again."));
    }
    let login: Option<Login> = web.cookie(headers, LOGIN_COOKIE).and_then(|c| web.secret.open("login", &c));
    let Some(login) = login.filter(|login| login.expires > now()) else {
        return failed("This sign-in expired or was started in another browser; sign in again.");
    };
    let state_matches =
        query.state.as_deref().is_some_and(|s| session::same(s.as_bytes(), login.state.as_bytes()));
    let (true, Some(code)) = (state_matches, query.code) else {
        return failed("The answer does not belong to this sign-in (state); sign in again.");
    };
    let claims = match oidc.finish(&login, &code, now()).await {
        Ok(claims) => claims,
        Err(error) => {
            eprintln!("gate serve: sign-in refused: {error}");
            return failed(&format!("{error}."));
        }
    };
    let person = match match_person(&web.people, web.claim, &claims) {
        Ok(person) => person,
        Err(unmatched) => {
            let text =
                format!("Signed in as {}, who is not an approver here ({}).", unmatched.login, unmatched.why);
            return message(StatusCode::FORBIDDEN, "Not an approver", &text, None);
        }
    };
    let login_name = match web.claim {
        super::Claim::Email => claims.text("email").unwrap_or_default().to_string(),
        super::Claim::Sub => claims.sub().to_string(),
    };
    let session = Session {
        id: session::random_token(),
        person: person.id.clone(),
        login: login_name,
        expires: now() + SESSION_FOR.as_secs() as i64,
    };
    let cookie = session::set_cookie(
        SESSION_COOKIE,
        &web.secret.seal("session", &session),
        "/",
        SESSION_FOR,
        web.secure,
    );
    let response = match local_next(Some(&login.next)) {
        Some(next) => see_other(&next),
        None => {
            let text = format!(
                "Signed in as {} ({}). Open a request's link to decide it.",
                web.display_name(&person.id),
                session.login
            );
            message(StatusCode::OK, "Signed in", &text, None)
        }
    };
    with_cookie(response, cookie)
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf: Option<String>,
    next: Option<String>,
}

async fn logout(State(web): State<Arc<Web>>, headers: HeaderMap, Form(form): Form<LogoutForm>) -> Response {
    if !web.origin_ok(&headers) {
        return message(StatusCode::FORBIDDEN, "Refused", "This form was posted from another site.", None);
    }
    let clear = session::set_cookie(SESSION_COOKIE, "", "/", Duration::ZERO, web.secure);
    if let Some(session) = web.session(&headers) {
        if !csrf::check(&web.secret, &session, "logout", form.csrf.as_deref()) {
            return message(StatusCode::FORBIDDEN, "Refused", "The form's token is missing or wrong.", None);
        }
        web.revoked.revoke(&session, now());
    }
    let response = match local_next(form.next.as_deref()) {
        Some(next) => see_other(&next),
        None => message(StatusCode::OK, "Signed out", "You are signed out.", None),
    };
    with_cookie(response, clear)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_a_request_page_or_nothing() {
        let cases = [
            (Some("/r/0123abcd"), Some("/r/0123abcd")),
            (Some("//evil.example.com/r/1"), None),
            (Some("https://evil.example.com/r/1"), None),
            (Some("/r/../auth/logout"), None),
            (Some("/r/12/decide"), None),
            (Some("/\\evil.example.com"), None),
            (Some(""), None),
            (None, None),
        ];
        for (next, expected) in cases {
            assert_eq!(local_next(next).as_deref(), expected, "{next:?}");
        }
    }

    #[test]
    fn decision_texts() {
        let decided = |state, approvals, quorum| Decided { id: "x".into(), state, approvals, quorum };
        assert_eq!(decided_text(&decided(RequestState::Approved, 1, 1)), "approved (1 of 1)");
        assert_eq!(
            decided_text(&decided(RequestState::Pending, 1, 2)),
            "approved (1 of 2): waiting for 1 more"
        );
        assert_eq!(decided_text(&decided(RequestState::Denied, 0, 2)), "denied");
    }
}
