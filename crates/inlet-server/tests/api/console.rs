//! The web console over HTTP: sign-in with a key for a server-side session
//! (HttpOnly, SameSite=Strict cookie; Secure behind https), CSRF-checked
//! forms, sign-out, expired and revoked sessions, escaping, security
//! headers, and the audit events of sign-ins.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE};
use serde_json::json;

use crate::harness::TestApp;

/// A browser-like client that does not follow redirects (to see them).
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs in with `key`; returns the response.
pub(crate) async fn sign_in(app: &TestApp, key: &str, https: bool) -> reqwest::Response {
    let mut req = browser()
        .post(format!("{}/sign-in", app.base))
        .form(&[("key", key)]);
    if https {
        req = req.header("x-forwarded-proto", "https");
    }
    req.send().await.unwrap()
}

/// The session cookie (`inlet_session=…`) a sign-in set.
pub(crate) fn session_cookie(resp: &reqwest::Response) -> String {
    let set = resp.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    set.split(';').next().unwrap().to_owned()
}

pub(crate) async fn page(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    browser()
        .get(format!("{}{path}", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn sign_out(app: &TestApp, cookie: &str, csrf: Option<&str>) -> reqwest::Response {
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
pub(crate) fn csrf_of(html: &str) -> String {
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

    // No key: asked for one.
    let r = sign_in(&app, "  ", false).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("Enter an API key."));

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
    assert_eq!(
        r.body["auditEvents"][0]["summary"],
        json!({"reason": "revoked"}),
        "{}",
        r.text
    );
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
            // (A session stored already expired would be swept at once.)
            inlet_core::model::now() + chrono::Duration::milliseconds(500),
        )
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let r = page(&app, "/", &format!("inlet_session={token}")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/sign-in");
    // The next sign-in sweeps it from the store.
    let count = || async {
        let q = inlet_store::db::Sql::new(
            "SELECT count(*) AS n FROM console_sessions WHERE token_hash = ?",
        )
        .arg(inlet_core::auth::hash_key(token));
        app.store.db().fetch_all(&q).await.unwrap()[0]
            .i64("n")
            .unwrap()
    };
    assert_eq!(count().await, 1);
    sign_in(&app, &app.admin_key, false).await;
    assert_eq!(count().await, 0);
    app.finish().await;
}

#[tokio::test]
async fn connection_pages_list_show_test_and_sync() {
    let app = TestApp::spawn().await;
    let k = app.admin_key.clone();
    let col = app.collection(&k, "Pages").await;
    let conn = app
        .pg_connection(&k, &col, "warehouse", "pages-secret-pw")
        .await;
    app.pg_connection(&k, &col, "archive", "pages-secret-pw")
        .await;
    let cookie = session_cookie(&sign_in(&app, &k, false).await);

    // The list: the API's filters, search, sort and pages.
    let html = page(
        &app,
        "/connections?search=ware&status=&sortBy=name",
        &cookie,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        html.contains(&format!("href=\"/connections/{conn}\"")),
        "{html}"
    );
    assert!(!html.contains(">archive<"), "{html}");
    assert!(html.contains("Page 1 of 1"), "{html}");
    let html = page(&app, "/connections?status=active", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("No connections match."), "{html}");
    let r = page(&app, "/connections?status=exploded", &cookie).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("status"));
    let r = page(&app, "/connections?pageSize=1&page=2&search=", &cookie).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("Page 2 of 2"), "{html}");
    assert!(
        html.contains("href=\"/connections?page=1&amp;pageSize=1\" rel=\"prev\""),
        "{html}"
    );

    // One connection: settings, which secrets are set, never their values.
    let r = page(&app, &format!("/connections/{conn}"), &cookie).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("<dt>host</dt><dd>127.0.0.1</dd>"), "{html}");
    assert!(
        html.contains("<dt>Secrets set</dt><dd>password</dd>"),
        "{html}"
    );
    assert!(!html.contains("pages-secret-pw"), "{html}");
    assert!(html.contains("No syncs yet."), "{html}");
    let csrf = csrf_of(&html);

    // Test: a forged form is refused; a real one tests and records why it failed.
    let post = |path: String, csrf: Option<String>| {
        let cookie = cookie.clone();
        let base = app.base.clone();
        async move {
            let form: Vec<(&str, String)> = csrf.map(|c| vec![("csrf", c)]).unwrap_or_default();
            browser()
                .post(format!("{base}{path}"))
                .header("cookie", cookie)
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let r = post(format!("/connections/{conn}/test"), None).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post(format!("/connections/{conn}/test"), Some(csrf.clone())).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let html = page(&app, &format!("/connections/{conn}"), &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("class=\"badge failed\""), "{html}");
    assert!(html.contains("Last test failed: "), "{html}");

    // Sync: queued, and listed in the connection's jobs.
    let r = post(format!("/connections/{conn}/sync"), Some(csrf.clone())).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = page(&app, &format!("/connections/{conn}"), &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("<td>sync_1</td>"), "{html}");

    // Another organization's connection, or none: not found.
    let (_, other_key) = app.org_with_key("Elsewhere", &["admin"]).await;
    let other = session_cookie(&sign_in(&app, &other_key, false).await);
    assert_eq!(
        page(&app, &format!("/connections/{conn}"), &other)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        page(&app, "/connections/sc_999", &cookie).await.status(),
        StatusCode::NOT_FOUND
    );
    app.finish().await;
}

#[tokio::test]
async fn a_new_connection_from_the_catalogs_form() {
    let app = TestApp::spawn().await;
    let k = app.admin_key.clone();
    let col = app.collection(&k, "Forms").await;
    let cookie = session_cookie(&sign_in(&app, &k, false).await);

    let html = page(&app, "/connections/new", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("href=\"/connections/new?type=postgresql\""),
        "{html}"
    );
    let html = page(&app, "/connections/new?type=postgresql", &cookie)
        .await
        .text()
        .await
        .unwrap();
    // Every catalog field has a labelled input; secrets are password inputs.
    for f in ["host", "port", "database", "username", "password"] {
        assert!(
            html.contains(&format!("<label for=\"auth-{f}\">")),
            "{f}: {html}"
        );
    }
    assert!(
        html.contains("id=\"auth-password\" type=\"password\""),
        "{html}"
    );
    assert!(html.contains("id=\"auth-port\" type=\"number\""), "{html}");
    let csrf = csrf_of(&html);

    let submit = |fields: Vec<(&'static str, String)>| {
        let cookie = cookie.clone();
        let base = app.base.clone();
        async move {
            browser()
                .post(format!("{base}/connections/new"))
                .header("cookie", cookie)
                .form(&fields)
                .send()
                .await
                .unwrap()
        }
    };
    let base_fields = |csrf: &str, port: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("type", "postgresql".to_owned()),
            ("name", "from the form".to_owned()),
            ("collection", col.clone()),
            ("auth.host", "127.0.0.1".to_owned()),
            ("auth.port", port.to_owned()),
            ("auth.database", "postgres".to_owned()),
            ("auth.username", "postgres".to_owned()),
            ("auth.password", "form-secret-pw".to_owned()),
            ("auth.sslmode", "disable".to_owned()),
            ("test", "on".to_owned()),
        ]
    };
    // A wrong type: the form again, naming the field, values kept but the secret.
    let r = submit(base_fields(&csrf, "not-a-port")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("credentials.port: must be a number"),
        "{html}"
    );
    assert!(html.contains("value=\"from the form\""), "{html}");
    assert!(!html.contains("form-secret-pw"), "{html}");
    // The refused input is marked for assistive technology and described
    // by the error; the others are not.
    let port = html
        .split("id=\"auth-port\"")
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .unwrap();
    assert!(
        port.contains("aria-invalid=\"true\"")
            && port.contains("aria-describedby=\"auth-port-hint form-error\""),
        "{port}"
    );
    assert!(html.contains("id=\"form-error\""), "{html}");
    assert_eq!(html.matches("aria-invalid").count(), 1, "{html}");
    // Forged: refused.
    let r = submit(base_fields("", "5432")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Right: tested against the real PostgreSQL, created active.
    let r = submit(base_fields(&csrf, "5432")).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let at = r.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(at.starts_with("/connections/sc_"), "{at}");
    let html = page(&app, &at, &cookie).await.text().await.unwrap();
    assert!(html.contains("class=\"badge active\""), "{html}");
    assert!(!html.contains("form-secret-pw"), "{html}");
    app.finish().await;
}

/// Posts a form as the browser of `cookie`.
async fn submit(
    app: &TestApp,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    browser()
        .post(format!("{}{path}", app.base))
        .header("cookie", cookie)
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// A server, its admin key, and that key signed in to the console with
/// the session's CSRF token: what each console scenario starts from.
struct Console {
    app: TestApp,
    key: String,
    cookie: String,
    csrf: String,
}

async fn console() -> Console {
    let app = TestApp::spawn().await;
    let key = app.admin_key.clone();
    let cookie = session_cookie(&sign_in(&app, &key, false).await);
    let csrf = csrf_of(&page(&app, "/", &cookie).await.text().await.unwrap());
    Console {
        app,
        key,
        cookie,
        csrf,
    }
}

#[tokio::test]
async fn the_collections_page_creates_and_lists() {
    let Console {
        app,
        key: _,
        cookie,
        csrf,
    } = console().await;

    // Collections: the empty state says what to do; create one.
    let html = page(&app, "/collections", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("No collections yet."), "{html}");
    let r = submit(
        &app,
        &cookie,
        "/collections",
        &[("csrf", &csrf), ("name", "Ops")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = page(&app, "/collections", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(">Ops</a>"), "{html}");
    app.finish().await;
}

#[tokio::test]
async fn a_new_key_is_shown_once_revoked_with_its_csrf_token_and_audited() {
    let Console {
        app,
        key: k,
        cookie,
        csrf,
    } = console().await;

    // Keys: a new key is shown once, then only its first characters.
    let r = submit(
        &app,
        &cookie,
        "/keys",
        &[("csrf", &csrf), ("name", "dash"), ("scope.read", "on")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let html = r.text().await.unwrap();
    let needle = "id=\"new-key\" type=\"text\" readonly value=\"";
    let at = html.find(needle).unwrap() + needle.len();
    let secret = html[at..].split('"').next().unwrap().to_owned();
    assert!(secret.starts_with("inl_"), "{secret}");
    let html = page(&app, "/keys", &cookie).await.text().await.unwrap();
    assert!(html.contains("dash") && !html.contains(&secret), "{html}");
    assert_eq!(
        app.get("/api/v1/collections", &secret).await.status,
        StatusCode::OK
    );
    let id = app.get("/api/v1/api-keys", &k).await.body["apiKeys"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = submit(&app, &cookie, &format!("/keys/{id}/revoke"), &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a forged revoke");
    let r = submit(
        &app,
        &cookie,
        &format!("/keys/{id}/revoke"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/api/v1/collections", &secret).await.status,
        StatusCode::UNAUTHORIZED
    );

    // The audit log shows all of it.
    let html = page(&app, "/audit?action=api_key.revoked", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<code>api_key.revoked</code>") && html.contains(&id),
        "{html}"
    );
    assert!(!html.contains("<code>collection.created</code>"), "{html}");
    let html = page(&app, "/audit", &cookie).await.text().await.unwrap();
    assert!(html.contains("<code>console.sign_in</code>"), "{html}");
    // By key and by day: the admin key signed in today, nobody in 2000.
    let admin = app.get("/api/v1/api-keys", &k).await.body["apiKeys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["name"] == "bootstrap admin")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let today = chrono::Utc::now().format("%Y-%m-%d");
    let html = page(
        &app,
        &format!("/audit?actor={admin}&since={today}&until={today}&action=console.sign_in"),
        &cookie,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(html.contains("<code>console.sign_in</code>"), "{html}");
    assert!(html.contains("selected>bootstrap admin"), "{html}");
    let html = page(&app, &format!("/audit?actor={id}"), &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("No events match."),
        "the dash key did nothing"
    );
    let html = page(&app, "/audit?until=2000-01-01", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("No events match."), "{html}");
    for (q, field) in [("since=yesterday", "since"), ("actor=me", "actor")] {
        let r = page(&app, &format!("/audit?{q}"), &cookie).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{q}");
        assert!(r.text().await.unwrap().contains(field), "{q}");
    }
    app.finish().await;
}

#[tokio::test]
async fn keys_limited_to_a_collection_and_expiring_and_refused_fields() {
    let Console {
        app,
        key: k,
        cookie,
        csrf,
    } = console().await;

    // A key limited to one collection, expiring at the end of a day.
    let ops = app.collection(&k, "Ops").await;
    let r = submit(
        &app,
        &cookie,
        "/keys",
        &[
            ("csrf", &csrf),
            ("name", "ops only"),
            ("scope.read", "on"),
            (&format!("collection.{ops}"), "on"),
            ("expires", "2099-01-31"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let keys = app.get("/api/v1/api-keys", &k).await.body["apiKeys"].clone();
    let made = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["name"] == "ops only")
        .unwrap();
    assert_eq!(made["collectionIds"], json!([ops]), "{made}");
    assert_eq!(made["expiresAt"], "2099-02-01T00:00:00Z", "{made}");
    let html = page(&app, "/keys", &cookie).await.text().await.unwrap();
    assert!(html.contains("expires"), "{html}");
    let r = submit(
        &app,
        &cookie,
        "/keys",
        &[
            ("csrf", &csrf),
            ("name", "bad"),
            ("scope.read", "on"),
            ("expires", "soon"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("expires"));
    // A collection that is not one: refused, naming the field; no key made.
    let r = submit(
        &app,
        &cookie,
        "/keys",
        &[
            ("csrf", &csrf),
            ("name", "bad collection"),
            ("scope.read", "on"),
            ("collection.nope", "on"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("collectionIds"));
    let keys = app.get("/api/v1/api-keys", &k).await.body["apiKeys"].clone();
    assert!(
        !keys
            .as_array()
            .unwrap()
            .iter()
            .any(|key| key["name"] == "bad collection"),
        "{keys}"
    );
    app.finish().await;
}

#[tokio::test]
async fn a_synced_connection_is_live_searchable_cleared_and_deleted() {
    use crate::sync::{SourceDb, pg_source, run, wait};
    let Console {
        app,
        key: k,
        cookie,
        csrf,
    } = console().await;

    // A synced connection: live progress markup, search with marked snippets.
    let db = SourceDb::create(
        "CREATE TABLE tickets (id int PRIMARY KEY, body text);
         INSERT INTO tickets VALUES (1, 'a late delivery of parcels'), (2, 'all fine');",
    )
    .await;
    let conn = pg_source(&app, &db, json!({})).await;
    app.post(
        &format!("/api/v1/source-connections/{conn}/test"),
        &k,
        json!({}),
    )
    .await;
    let job = run(&app, &conn).await;
    let html = page(&app, &format!("/connections/{conn}"), &cookie)
        .await
        .text()
        .await
        .unwrap();
    // Live while it runs; a job that already ended is in the table instead.
    let live = html.contains(&format!("data-job-events=\"/jobs/{job}/events\""));
    let ended = html.contains(&format!("<td>{job}</td>")) && html.contains("badge completed");
    assert!(live || ended, "{html}");
    assert_eq!(wait(&app, &job).await["status"], "completed");
    let events = page(&app, &format!("/jobs/{job}/events"), &cookie).await;
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    assert!(events.text().await.unwrap().contains("event: end"));
    assert_eq!(
        page(&app, &format!("/jobs/{job}/events"), "")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let js = page(&app, "/console/app.js", "").await;
    assert_eq!(
        js.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let html = page(&app, "/search?q=late+delivery", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<mark>late</mark> <mark>delivery</mark>"),
        "{html}"
    );
    assert!(html.contains("1 matches"), "{html}");

    // Clear data and delete: each asks first, and a forged form does nothing.
    let html = page(&app, &format!("/connections/{conn}/clear"), &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Clear the data of src?") && html.contains("Its 2 indexed documents"),
        "{html}"
    );
    let r = submit(
        &app,
        &cookie,
        &format!("/connections/{conn}/clear"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = page(&app, "/search?q=late", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Nothing matches."), "{html}");
    let html = page(&app, &format!("/connections/{conn}/delete"), &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Delete src?"), "{html}");
    let r = submit(
        &app,
        &cookie,
        &format!("/connections/{conn}/delete"),
        &[("csrf", "forged")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = submit(
        &app,
        &cookie,
        &format!("/connections/{conn}/delete"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/connections");
    assert_eq!(
        page(&app, &format!("/connections/{conn}"), &cookie)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    db.drop_db().await;
    app.finish().await;
}

#[tokio::test]
async fn the_overview_lists_recent_and_failed_jobs() {
    use crate::sync::{csv_source, run, wait};
    let app = TestApp::spawn().await;
    let cookie = session_cookie(&sign_in(&app, &app.admin_key, false).await);
    let html = page(&app, "/", &cookie).await.text().await.unwrap();
    assert!(html.contains("No failed jobs."), "{html}");
    assert!(html.contains("No jobs yet."), "{html}");

    let conn = csv_source(&app, "id,name\n1,x\n", json!({})).await;
    let done = run(&app, &conn).await;
    assert_eq!(wait(&app, &done).await["status"], "completed");
    std::fs::remove_file(app.files.join("a.csv")).unwrap();
    let failed = run(&app, &conn).await;
    assert_eq!(wait(&app, &failed).await["status"], "failed");

    let html = page(&app, "/", &cookie).await.text().await.unwrap();
    let (failed_part, recent_part) = html
        .split_once("id=\"recent-jobs\"")
        .expect("a recent jobs section");
    let failed_part = failed_part
        .split_once("id=\"failed-jobs\"")
        .expect("a failed jobs section")
        .1;
    // The failed job, why it failed, and a link to its connection.
    assert!(
        failed_part.contains(&format!("<td>{failed}</td>")),
        "{html}"
    );
    assert!(!failed_part.contains(&format!("<td>{done}</td>")), "{html}");
    assert!(failed_part.contains("badge failed"), "{html}");
    assert!(
        failed_part.contains(&format!("href=\"/connections/{conn}\"")),
        "{html}"
    );
    // Both jobs among the recent ones, newest first.
    let (newer, older) = (
        recent_part.find(&format!("<td>{failed}</td>")).unwrap(),
        recent_part.find(&format!("<td>{done}</td>")).unwrap(),
    );
    assert!(newer < older, "{html}");
    // Counts are cards: failed jobs, and connections per status (linking
    // the filtered list).
    assert!(
        html.contains("<div class=\"n\">1</div><div class=\"label\">failed jobs</div>"),
        "{html}"
    );
    assert!(
        html.contains(
            "<a class=\"card\" href=\"/connections?status=pending\"><div class=\"n\">1</div>"
        ),
        "{html}"
    );
    app.finish().await;
}

#[tokio::test]
async fn a_read_only_key_sees_and_may_do_only_reading() {
    let app = TestApp::spawn().await;
    let k = app.admin_key.clone();
    let col = app.collection(&k, "Ops").await;
    let conn = app.pg_connection(&k, &col, "warehouse", "pw").await;
    let reader = app
        .key(&json!({"name": "reader", "scopes": ["read"]}))
        .await;
    let cookie = session_cookie(&sign_in(&app, &reader, false).await);

    // The navigation offers no administrator pages; pages offer no changes.
    let html = page(&app, "/", &cookie).await.text().await.unwrap();
    assert!(html.contains("href=\"/connections\""), "{html}");
    assert!(
        !html.contains("href=\"/keys\"") && !html.contains("href=\"/audit\""),
        "{html}"
    );
    let html = page(&app, "/connections", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("warehouse") && !html.contains("New connection"),
        "{html}"
    );
    let html = page(&app, &format!("/connections/{conn}"), &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("This key reads only"), "{html}");
    assert!(!html.contains("/test\""), "{html}");
    let html = page(&app, "/collections", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("New collection"), "{html}");

    // What the pages do not offer is refused when sent by hand, with a
    // valid CSRF token: the services decide, not the markup.
    let csrf = csrf_of(&html);
    for path in [
        format!("/connections/{conn}/test"),
        format!("/connections/{conn}/delete"),
        "/collections".to_owned(),
        "/keys".to_owned(),
    ] {
        let r = submit(&app, &cookie, &path, &[("csrf", &csrf), ("name", "x")]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    for path in ["/keys", "/audit"] {
        assert_eq!(
            page(&app, path, &cookie).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(app.connection_state(&conn).await["name"], "warehouse");
    app.finish().await;
}

#[tokio::test]
async fn the_console_on_the_postgres_store() {
    let app = TestApp::with(crate::harness::Options {
        postgres: true,
        ..Default::default()
    })
    .await;
    let k = app.admin_key.clone();
    let col = app.collection(&k, "Ops").await;
    let conn = app.pg_connection(&k, &col, "warehouse", "pw").await;
    let cookie = session_cookie(&sign_in(&app, &k, false).await);
    for path in [
        "/".to_owned(),
        "/connections".to_owned(),
        format!("/connections/{conn}"),
        "/collections".to_owned(),
        "/keys".to_owned(),
        "/audit?action=console.sign_in".to_owned(),
        "/search?q=x".to_owned(),
    ] {
        let r = page(&app, &path, &cookie).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
    let html = page(&app, "/audit?action=console.sign_in", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("<code>console.sign_in</code>"), "{html}");
    // A session stands on its key: revoking the key closes it at once.
    let created = app
        .post(
            "/api/v1/api-keys",
            &k,
            json!({"name": "second", "scopes": ["read"]}),
        )
        .await;
    let second = created.body["apiKey"]["key"].as_str().unwrap().to_owned();
    let second_id = created.body["apiKey"]["id"].as_str().unwrap().to_owned();
    let theirs = session_cookie(&sign_in(&app, &second, false).await);
    assert_eq!(page(&app, "/", &theirs).await.status(), StatusCode::OK);
    app.delete(&format!("/api/v1/api-keys/{second_id}"), &k)
        .await;
    assert_eq!(
        page(&app, "/", &theirs).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(page(&app, "/", &cookie).await.status(), StatusCode::OK);
    app.finish().await;
}
