//! Signing in and out of the console, and the session every page needs:
//! a random token in an `HttpOnly`, `SameSite=Strict` cookie (`Secure`
//! behind https), the caller it stands for, and the CSRF token its forms
//! carry.

use axum::Form;
use std::collections::BTreeMap;

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use inlet_core::CoreError;
use inlet_core::auth::{Principal, Scope};
use inlet_core::model::audit::Origin;
use inlet_core::service::{Credential, SESSION_HOURS};
use maud::html;
use serde::Deserialize;

use super::csrf::{csrf_matches, csrf_token};
use super::layout::{Section, bare, page};
use crate::auth::{count_refusal, origin_of};
use crate::error::{ApiError, set_retry_after};
use crate::rate_limit::Decision;
use crate::state::AppState;

/// The session cookie's name.
const COOKIE: &str = "inlet_session";

/// A signed-in request: its token and the caller it acts as. Without a
/// live session the request is sent to the sign-in page.
pub struct Session {
    token: String,
    /// The caller (the key that signed in).
    pub who: Principal,
}

impl Session {
    /// Whether the session's key holds `scope` (pages offer only what the
    /// key may do; the services check again whatever is submitted).
    pub fn can(&self, scope: Scope) -> bool {
        self.who.require(scope).is_ok()
    }

    /// The session as a credential a long-lived request checks again (the
    /// live-progress stream ends with the session or its key).
    pub fn credential(&self) -> Credential {
        Credential::console_session(&self.token)
    }

    /// The CSRF token this session's forms carry.
    pub fn csrf(&self) -> String {
        csrf_token(&self.token)
    }

    /// The refusal of a submitted form that does not carry this session's
    /// CSRF token (a forged form); `None` when it does.
    pub fn refuse_forged(&self, presented: &str) -> Option<Response> {
        (!csrf_matches(&self.token, presented)).then(|| {
            problem(
                StatusCode::FORBIDDEN,
                "This form is not from this session",
                "It carries no valid CSRF token. Go back, reload the page and try again.",
            )
        })
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    /// A live session whose key has a rate-limit token left: every console
    /// request counts against its key's limit, in the bucket the API uses
    /// for that key, so the API and the console share one budget.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = Self::resolve(parts, state).await?;
        match state.limiter.check(session.who.key_id) {
            Decision::Allowed { .. } => Ok(session),
            Decision::Limited { retry_after } => {
                Err(rate_limited(&session, state.limiter.limit(), retry_after))
            }
        }
    }
}

impl Session {
    /// The live session of the request's cookie, without taking a
    /// rate-limit token (signing out must work whatever the budget).
    async fn resolve(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some(token) = cookie(&parts.headers) else {
            return Err(Redirect::to("/sign-in").into_response());
        };
        let origin = origin_of(&parts.headers, &parts.extensions);
        match state.services.console_principal(&token, origin).await {
            Ok(who) => Ok(Self { token, who }),
            Err(CoreError::Unauthorized(_) | CoreError::Forbidden(_)) => Err(with_cookie(
                Redirect::to("/sign-in"),
                &clear_cookie(&parts.headers),
            )),
            Err(e) => {
                tracing::error!(error = %e, "reading a console session failed");
                Err(problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The server could not read your session; see its log.",
                ))
            }
        }
    }
}

/// The 429 page of a session whose key spent its rate limit, in the
/// console's layout, with `Retry-After`.
fn rate_limited(session: &Session, limit: u32, retry_after: u64) -> Response {
    let body = html! {
        div.stack {
            h1 { "This key's rate limit was reached" }
            p role="alert" {
                "The key " strong { (session.who.key_name) } " may make " (limit)
                " requests a minute, shared by the API and this console, and has made them all."
            }
            p { "Try again in " (retry_after) (if retry_after == 1 { " second." } else { " seconds." }) }
        }
    };
    let mut resp = (
        StatusCode::TOO_MANY_REQUESTS,
        page("Rate limit reached", Section::Notice, session, body),
    )
        .into_response();
    set_retry_after(&mut resp, retry_after);
    resp
}

/// The request's origin, for handlers that take a body too.
pub struct ClientOrigin(pub Origin);

impl<S: Send + Sync> FromRequestParts<S> for ClientOrigin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(origin_of(&parts.headers, &parts.extensions)))
    }
}

/// `GET /sign-in`
pub async fn sign_in_page() -> Response {
    sign_in_form(None, StatusCode::OK)
}

/// The sign-in form's fields.
#[derive(Deserialize)]
pub struct SignIn {
    #[serde(default)]
    key: String,
}

/// `POST /sign-in`: a key for a session. A form sent from another site is
/// refused (login CSRF), and an address that had too many keys refused
/// lately is told to wait.
pub async fn sign_in(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    extensions: Extensions,
    ClientOrigin(origin): ClientOrigin,
    Form(form): Form<SignIn>,
) -> Response {
    if cross_site(&headers, &uri) {
        return problem(
            StatusCode::FORBIDDEN,
            "Sign-in refused",
            "This sign-in form was sent from another site. Open Inlet's own sign-in page and sign in there.",
        );
    }
    if form.key.trim().is_empty() {
        return sign_in_form(Some("Enter an API key."), StatusCode::BAD_REQUEST);
    }
    match state.services.console_sign_in(&form.key, origin).await {
        Ok(session) => {
            let value = format!(
                "{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
                session.token.expose(),
                SESSION_HOURS * 3600,
                secure(&headers)
            );
            with_cookie(Redirect::to("/"), &value)
        }
        Err(CoreError::Unauthorized(_) | CoreError::Forbidden(_)) => {
            match count_refusal(&state, &extensions) {
                Ok(()) => sign_in_form(
                    Some("That key was refused: it is unknown, revoked or expired."),
                    StatusCode::UNAUTHORIZED,
                ),
                Err(retry_after) => {
                    let message = format!(
                        "Too many keys were refused from your address. Try again in {retry_after} {}.",
                        if retry_after == 1 {
                            "second"
                        } else {
                            "seconds"
                        }
                    );
                    let mut resp = sign_in_form(Some(&message), StatusCode::TOO_MANY_REQUESTS);
                    set_retry_after(&mut resp, retry_after);
                    resp
                }
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "console sign-in failed");
            sign_in_form(
                Some("The server could not sign you in; see its log."),
                StatusCode::INTERNAL_SERVER_ERROR,
            )
        }
    }
}

/// Whether a sign-in form was sent by a page of another site (login CSRF:
/// signing a victim's browser in as the attacker). As Go's
/// `http.CrossOriginProtection` decides: `Sec-Fetch-Site`, which browsers
/// set and pages cannot, when present (`same-origin`, or `none` for the
/// user's own navigation, pass); otherwise `Origin`, which must name this
/// server's host (the `Host` header; the scheme is not compared, as a
/// TLS-terminating proxy changes it); `Origin: null` is refused. Without
/// either header the request is not from a browser that could be tricked
/// (every current browser sends `Origin` on a form POST), so a script or
/// `curl` may sign in.
fn cross_site(headers: &HeaderMap, uri: &Uri) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()));
    match (origin.to_str(), host) {
        (Ok(origin), Some(host)) => !same_host(origin, host),
        _ => true,
    }
}

/// Whether the origin `scheme://host[:port]` names `host` (a `Host`
/// header), a default port written or not.
fn same_host(origin: &str, host: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => return false,
    };
    let bare = |a: &str| {
        let a = a.to_ascii_lowercase();
        a.strip_suffix(default_port)
            .map_or(a.clone(), str::to_owned)
    };
    !authority.contains('/') && bare(authority) == bare(host)
}

/// A submitted form of a live session, proven to come from it: its CSRF
/// token matched. A forged form is refused (403) before any handler runs.
pub struct SessionForm {
    /// The session.
    pub session: Session,
    /// The form's fields by name.
    pub values: BTreeMap<String, String>,
}

impl SessionForm {
    /// A field's value (empty when absent).
    pub fn get(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }
}

impl FromRequest<AppState> for SessionForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        Self::read(req, state, true).await
    }
}

impl SessionForm {
    /// The form of `req`; `counted`: the request takes a token of the
    /// key's rate limit (every form but sign-out's).
    async fn read(req: Request, state: &AppState, counted: bool) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let session = if counted {
            Session::from_request_parts(&mut parts, state).await?
        } else {
            Session::resolve(&mut parts, state).await?
        };
        let Form(values) =
            Form::<BTreeMap<String, String>>::from_request(Request::from_parts(parts, body), state)
                .await
                .map_err(IntoResponse::into_response)?;
        let form = Self { session, values };
        match form.session.refuse_forged(form.get("csrf")) {
            Some(refused) => Err(refused),
            None => Ok(form),
        }
    }
}

/// `POST /sign-out`: ends the session (never refused for the key's rate
/// limit: a spent budget must not keep a session open).
pub async fn sign_out(State(state): State<AppState>, req: Request) -> Response {
    let headers = req.headers().clone();
    let form = match SessionForm::read(req, &state, false).await {
        Ok(f) => f,
        Err(refused) => return refused,
    };
    if let Err(e) = state.services.console_sign_out(&form.session.token).await {
        tracing::error!(error = %e, "ending a console session failed");
    }
    with_cookie(Redirect::to("/sign-in"), &clear_cookie(&headers))
}

fn sign_in_form(error: Option<&str>, status: StatusCode) -> Response {
    let body = html! {
        div.sign-in.stack {
            h1 { "Sign in to Inlet" }
            @if let Some(e) = error {
                p.error role="alert" { (e) }
            }
            form method="post" action="/sign-in" class="stack" {
                div {
                    label for="key" { "API key" }
                    input #key type="password" name="key" autocomplete="off" required
                        aria-describedby="key-hint";
                    p #key-hint .hint {
                        "An organization's service token or your user key. The console can do exactly what the key may do."
                    }
                }
                button type="submit" { "Sign in" }
            }
        }
    };
    (status, bare("Sign in", body)).into_response()
}

/// The page of a refused or failed request: the API's classification
/// (status and message; internal errors stay generic) in HTML.
pub fn failure(e: impl Into<ApiError>) -> Response {
    let p = e.into().problem();
    let title = p.status.canonical_reason().unwrap_or("Error");
    problem(p.status, title, &p.message)
}

/// An error page.
pub fn problem(status: StatusCode, title: &str, text: &str) -> Response {
    let body = html! {
        div.sign-in.stack {
            h1 { (title) }
            p { (text) }
            p { a href="/" { "Back to the overview" } }
        }
    };
    (status, bare(title, body)).into_response()
}

/// The session token of the request's cookie.
fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty())
}

/// `; Secure` when the browser reached us over https (through a proxy that
/// says so): the cookie then never travels in clear.
fn secure(headers: &HeaderMap) -> &'static str {
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    if https { "; Secure" } else { "" }
}

fn clear_cookie(headers: &HeaderMap) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure(headers)
    )
}

fn with_cookie(redirect: Redirect, cookie: &str) -> Response {
    let mut resp = redirect.into_response();
    if let Ok(v) = HeaderValue::from_str(cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, HeaderValue::from_static(value));
        }
        h
    }

    fn cross(pairs: &[(&'static str, &'static str)]) -> bool {
        cross_site(&headers(pairs), &Uri::from_static("/sign-in"))
    }

    #[test]
    fn sign_in_from_another_site_is_cross_site() {
        let host = ("host", "inlet.example:8080");
        assert!(cross(&[host, ("sec-fetch-site", "cross-site")]));
        assert!(cross(&[host, ("sec-fetch-site", "same-site")]));
        assert!(cross(&[host, ("origin", "https://evil.example")]));
        assert!(cross(&[host, ("origin", "http://inlet.example")]));
        assert!(cross(&[host, ("origin", "null")]));
        assert!(
            cross(&[("origin", "http://inlet.example:8080")]),
            "no host to compare"
        );
        // Sec-Fetch-Site is the browser's own word and wins.
        assert!(cross(&[
            host,
            ("sec-fetch-site", "cross-site"),
            ("origin", "http://inlet.example:8080")
        ]));
    }

    #[test]
    fn same_origin_and_non_browser_sign_ins_pass() {
        let host = ("host", "inlet.example:8080");
        assert!(!cross(&[host]));
        assert!(!cross(&[host, ("sec-fetch-site", "same-origin")]));
        assert!(!cross(&[host, ("sec-fetch-site", "none")]));
        assert!(!cross(&[host, ("origin", "http://inlet.example:8080")]));
        assert!(!cross(&[host, ("origin", "https://INLET.example:8080")]));
        assert!(!cross(&[
            ("host", "inlet.example"),
            ("origin", "https://inlet.example:443")
        ]));
    }
}
