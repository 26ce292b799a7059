//! Security headers of the pages Inlet serves to browsers: the web console
//! and the API docs (`/docs`, the vendored Swagger UI). Both get the same
//! set — a Content-Security-Policy, `X-Frame-Options: DENY`,
//! `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` — each
//! with the policy its pages need. JSON answers of the API carry none: no
//! browser renders them as a page.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The console's policy: no inline script or style anywhere, no other site
/// may frame a page, forms post only here.
const CONSOLE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'";

/// The API docs' policy. Swagger UI's page loads its scripts (the bundle,
/// the preset, and `swagger-initializer.js` carrying the configuration) and
/// stylesheets as files, so no inline script is allowed. The one inline
/// style is the `<style>` element inside the standalone preset's logo
/// (`.logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}`),
/// allowed by its hash rather than by `'unsafe-inline'`; a new Swagger UI
/// whose logo differs only loses the logo's colours (the browser test
/// checks them). Its stylesheet draws icons from `data:` images; "Try it
/// out" calls this origin only. Images from anywhere else (the public
/// validator badge) are refused, so the page never calls out.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; \
    img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'";

/// Sets the headers every browser-facing answer carries, with `csp`.
fn insert(h: &mut HeaderMap, csp: &'static str) {
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, csp),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
}

/// The console's headers; pages are never cached (they show an
/// organization's data), while the stylesheet and script set their own
/// `Cache-Control`.
pub async fn console(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    insert(h, CONSOLE_CSP);
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// The API docs' headers (the Swagger UI page, its assets and the OpenAPI
/// document it loads); the docs hold no organization data, so they may be
/// cached.
pub async fn docs(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    insert(resp.headers_mut(), DOCS_CSP);
    resp
}
