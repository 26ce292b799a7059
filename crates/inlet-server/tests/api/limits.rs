//! Limits on what one key or one client address may do: the console counts
//! against its key's rate limit (one budget with the API).

use reqwest::StatusCode;

use crate::console::{csrf_of, page, session_cookie, sign_in, sign_out};
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
