//! The web console over HTTP: sign-in with a key for a server-side session
//! (HttpOnly, SameSite=Strict cookie; Secure behind https), CSRF-checked
//! forms, sign-out, expired and revoked sessions, escaping, security
//! headers, and the audit events of sign-ins.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE};
use serde_json::json;

use crate::harness::TestApp;

/// A browser-like client that does not follow redirects (to see them).
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs in with `key`; returns the response.
async fn sign_in(app: &TestApp, key: &str, https: bool) -> reqwest::Response {
    let mut req = browser()
        .post(format!("{}/sign-in", app.base))
        .form(&[("key", key)]);
    if https {
        req = req.header("x-forwarded-proto", "https");
    }
    req.send().await.unwrap()
}

/// The session cookie (`inlet_session=…`) a sign-in set.
fn session_cookie(resp: &reqwest::Response) -> String {
    let set = resp.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    set.split(';').next().unwrap().to_owned()
}

async fn page(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    browser()
        .get(format!("{}{path}", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

async fn sign_out(app: &TestApp, cookie: &str, csrf: Option<&str>) -> reqwest::Response {
    let form: Vec<(&str, &str)> = csrf.map(|c| vec![("csrf", c)]).unwrap_or_default();
    browser()
        .post(format!("{}/sign-out", app.base))
        .header("cookie", cookie)
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The CSRF token a page's forms carry.
fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    html[at..at + 64].to_owned()
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    let r = app
        .get("/api/v1/audit-events?pageSize=100", &app.admin_key)
        .await;
    r.body["auditEvents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn sign_in_pages_sign_out_and_refusals() {
    let app = TestApp::spawn().await;
    let k = app.admin_key.clone();

    // Closed without a session: to the sign-in page, which is plain HTML
    // with the console's headers.
    let r = page(&app, "/", "").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/sign-in");
    let r = page(&app, "/sign-in", "").await;
    assert_eq!(r.status(), StatusCode::OK);
    let csp = r.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(
        html.contains("<label for=\"key\">API key</label>"),
        "{html}"
    );
    assert!(html.contains("type=\"password\""), "{html}");
    assert!(
        !html.contains("<script>") && !html.contains("style=\""),
        "{html}"
    );

    // A wrong key is refused, and records nothing (it has no organization).
    let before = audit_actions(&app).await.len();
    let r = sign_in(&app, "inl_not_a_key", false).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get(SET_COOKIE).is_none());
    assert!(r.text().await.unwrap().contains("That key was refused"));
    assert_eq!(audit_actions(&app).await.len(), before);

    // The right key: a session cookie, HttpOnly and SameSite=Strict, Secure
    // only behind https; the key itself is never sent back.
    let r = sign_in(&app, &k, false).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/");
    let set = r.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "{set}");
    assert!(!set.contains(&k), "{set}");
    let cookie = session_cookie(&r);
    assert!(
        audit_actions(&app)
            .await
            .contains(&"console.sign_in".to_owned())
    );
    let r = sign_in(&app, &k, true).await;
    assert!(
        r.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("; Secure")
    );

    // The overview: what the key may see, escaped.
    let col = app.collection(&k, "Console").await;
    app.pg_connection(&k, &col, "<script>alert(1)</script>", "console-secret-pw")
        .await;
    let r = page(&app, "/", &cookie).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Overview") && html.contains("class=\"badge pending\""),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(
        !html.contains("console-secret-pw") && !html.contains(&k),
        "{html}"
    );
    let css = page(&app, "/console/app.css", "").await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");

    // A forged form (no CSRF token, or another session's) is refused and
    // the session goes on.
    let csrf = csrf_of(&html);
    let r = sign_out(&app, &cookie, None).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let other = session_cookie(&sign_in(&app, &k, false).await);
    let other_csrf = csrf_of(&page(&app, "/", &other).await.text().await.unwrap());
    assert_ne!(other_csrf, csrf);
    let r = sign_out(&app, &cookie, Some(&other_csrf)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(page(&app, "/", &cookie).await.status(), StatusCode::OK);

    // Signing out ends the session: the pages are closed to its cookie.
    let r = sign_out(&app, &cookie, Some(&csrf)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let r = page(&app, "/", &cookie).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/sign-in");

    // A revoked key's sessions stop at once; signing in with it again is
    // refused and recorded in its organization's trail.
    let created = app
        .post(
            "/api/v1/api-keys",
            &k,
            json!({"name": "console", "scopes": ["read"]}),
        )
        .await;
    let key = created.body["apiKey"]["key"].as_str().unwrap().to_owned();
    let key_id = created.body["apiKey"]["id"].as_str().unwrap().to_owned();
    let cookie = session_cookie(&sign_in(&app, &key, false).await);
    assert_eq!(page(&app, "/", &cookie).await.status(), StatusCode::OK);
    app.delete(&format!("/api/v1/api-keys/{key_id}"), &k).await;
    assert_eq!(
        page(&app, "/", &cookie).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        sign_in(&app, &key, false).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .get("/api/v1/audit-events?action=console.sign_in_failed", &k)
        .await;
    assert_eq!(r.body["auditEvents"][0]["objectId"], key_id, "{}", r.text);
    app.finish().await;
}

#[tokio::test]
async fn an_expired_session_is_closed() {
    use inlet_core::store::ConsoleStore;
    let app = TestApp::spawn().await;
    let token = "expired-session-token";
    app.store
        .create_console_session(
            &inlet_core::auth::hash_key(token),
            &inlet_core::auth::hash_key(&app.admin_key),
            inlet_core::model::now() - chrono::Duration::minutes(1),
        )
        .await
        .unwrap();
    let r = page(&app, "/", &format!("inlet_session={token}")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/sign-in");
    app.finish().await;
}
