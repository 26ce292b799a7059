//! Limits on what one key or one client address may do: the console counts
//! against its key's rate limit (one budget with the API); sign-in refuses
//! cross-site forms; refused keys are slowed down per client address; and
//! failed sign-ins recorded in the audit trail are capped per address.

use reqwest::StatusCode;
use reqwest::header::{LOCATION, SET_COOKIE};
use serde_json::json;

use crate::console::{browser, csrf_of, page, session_cookie, sign_in, sign_out};
use crate::harness::{Options, TestApp};

/// Seconds of a `Retry-After` header (asserting it is there and sane).
fn retry_after(headers: &reqwest::header::HeaderMap) -> u64 {
    let secs: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&secs), "{secs}");
    secs
}

#[tokio::test]
async fn the_console_counts_against_its_keys_rate_limit() {
    let app = TestApp::with(Options {
        rate_limit: 5,
        ..Default::default()
    })
    .await;

    // A key limited to 5 a minute: five console searches, then a 429 page
    // in the console's layout that says why and when to retry.
    let key = app.store_key(None).await;
    let cookie = session_cookie(&sign_in(&app, &key, false).await);
    let mut csrf = String::new();
    for i in 0..5 {
        let r = page(&app, "/search?q=refund", &cookie).await;
        assert_eq!(r.status(), StatusCode::OK, "search {i}");
        csrf = csrf_of(&r.text().await.unwrap());
    }
    let r = page(&app, "/search?q=refund", &cookie).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    retry_after(r.headers());
    let html = r.text().await.unwrap();
    assert!(html.contains("rate limit was reached"), "{html}");
    assert!(html.contains("5 requests a minute"), "{html}");
    assert!(html.contains("Try again in"), "{html}");
    assert!(
        html.contains("action=\"/sign-out\""),
        "the console's layout: {html}"
    );
    // The same key on the API: the same spent budget.
    app.get("/api/v1/sources", &key)
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    // Static assets do not count, and signing out always works.
    assert_eq!(
        page(&app, "/console/app.css", "").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        sign_out(&app, &cookie, Some(&csrf)).await.status(),
        StatusCode::SEE_OTHER
    );

    // Another key: three API requests and two console pages spend its
    // five; the next of either is refused.
    let other = app.store_key(None).await;
    let cookie = session_cookie(&sign_in(&app, &other, false).await);
    for _ in 0..3 {
        assert_eq!(
            app.get("/api/v1/sources", &other).await.status,
            StatusCode::OK
        );
    }
    for path in ["/", "/connections"] {
        assert_eq!(page(&app, path, &cookie).await.status(), StatusCode::OK);
    }
    let r = page(&app, "/collections", &cookie).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    retry_after(r.headers());
    app.get("/api/v1/sources", &other)
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    app.finish().await;
}

/// Signs in with `key`, sending `headers` as a browser would.
async fn sign_in_with(app: &TestApp, key: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = browser()
        .post(format!("{}/sign-in", app.base))
        .form(&[("key", key)]);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn sign_in_refuses_a_form_from_another_site() {
    let app = TestApp::spawn().await;
    let k = app.admin_key.clone();
    for headers in [
        vec![("origin", "https://evil.example")],
        vec![("origin", "null")],
        vec![("sec-fetch-site", "cross-site")],
        vec![
            ("sec-fetch-site", "same-site"),
            ("origin", app.base.as_str()),
        ],
    ] {
        let r = sign_in_with(&app, &k, &headers).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{headers:?}");
        assert!(r.headers().get(SET_COOKIE).is_none(), "{headers:?}");
        let html = r.text().await.unwrap();
        assert!(html.contains("sent from another site"), "{html}");
    }
    // This server's own form, and a client that is no browser, sign in.
    for headers in [
        vec![("origin", app.base.as_str())],
        vec![
            ("sec-fetch-site", "same-origin"),
            ("origin", app.base.as_str()),
        ],
        vec![],
    ] {
        let r = sign_in_with(&app, &k, &headers).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{headers:?}");
        assert_eq!(r.headers()[LOCATION], "/");
        assert!(r.headers().get(SET_COOKIE).is_some(), "{headers:?}");
    }
    app.finish().await;
}

#[tokio::test]
async fn refused_keys_are_slowed_down_per_address_but_valid_keys_are_not() {
    let app = TestApp::with(Options {
        auth_failures: 3,
        ..Default::default()
    })
    .await;
    // Three refused keys from this address are answered 401; the next is
    // a 429 with Retry-After, in the envelope of the API called.
    for i in 0..3 {
        app.get("/api/v1/sources", &format!("inl_wrong_{i}"))
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let r = app.get("/api/v1/sources", "inl_wrong_again").await;
    r.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    retry_after(&r.headers);
    let r = app.get("/api/datasources/all", "inl_wrong_again").await;
    r.assert_coded_error(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED");
    retry_after(&r.headers);
    // A valid key from the same address is never slowed down.
    for _ in 0..5 {
        let r = app.get("/api/v1/sources", &app.admin_key).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    // The console's sign-in shares the address's budget: a wrong key is
    // told to wait, the right one signs in.
    let r = sign_in(&app, "inl_wrong_console", false).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    retry_after(r.headers());
    assert!(r.headers().get(SET_COOKIE).is_none());
    let html = r.text().await.unwrap();
    assert!(html.contains("Too many keys were refused"), "{html}");
    let r = sign_in(&app, &app.admin_key, false).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        page(&app, "/", &session_cookie(&r)).await.status(),
        StatusCode::OK
    );
    // A request without any key is no guess and is not slowed down.
    app.call(reqwest::Method::GET, "/api/v1/sources", None, None)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    app.finish().await;
}

#[tokio::test]
async fn failed_sign_ins_recorded_in_the_audit_trail_are_capped_per_address() {
    let app = TestApp::spawn().await;
    let created = app
        .post(
            "/api/v1/api-keys",
            &app.admin_key,
            json!({"name": "gone", "scopes": ["read"]}),
        )
        .await;
    let key = created.body["apiKey"]["key"].as_str().unwrap().to_owned();
    let key_id = created.body["apiKey"]["id"].as_str().unwrap().to_owned();
    app.delete(&format!("/api/v1/api-keys/{key_id}"), &app.admin_key)
        .await;
    // The cap (10 a minute) and then 5 more, all refused.
    for _ in 0..15 {
        assert_eq!(
            sign_in(&app, &key, false).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let r = app
        .get(
            "/api/v1/audit-events?action=console.sign_in_failed&pageSize=100",
            &app.admin_key,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let events = r.body["auditEvents"].as_array().unwrap();
    assert_eq!(events.len(), 10, "{}", r.text);
    assert!(events.iter().all(|e| e["objectId"] == key_id.as_str()));
    app.finish().await;
}
