use reqwest::{Method, StatusCode};

use crate::harness::TestApp;

#[tokio::test]
async fn health_ready_metrics_and_request_ids() {
    let app = TestApp::spawn().await;
    let r = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "ok");
    assert!(r.headers.get("x-request-id").is_some_and(|v| !v.is_empty()));

    let r = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(r.status, StatusCode::OK);

    // A client's request id is echoed back.
    let resp = app
        .client
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "abc-123");

    app.get("/api/v1/sources", &app.admin_key).await;
    let r = app.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("http_requests_total"), "{}", r.text);
    assert!(r.text.contains("route=\"/api/v1/sources\""), "{}", r.text);
    assert!(r.text.contains("http_request_duration_seconds_bucket"));
    app.finish().await;
}

#[tokio::test]
async fn docs_page_and_openapi_are_served_without_a_key() {
    let app = TestApp::spawn().await;
    let r = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let r = app.call(Method::GET, "/docs/", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text.contains("swagger"),
        "{}",
        &r.text[..r.text.len().min(200)]
    );
    app.finish().await;
}
