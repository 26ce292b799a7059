use reqwest::{Method, StatusCode};

use crate::harness::{Options, TestApp};

#[tokio::test]
async fn health_ready_metrics_and_request_ids() {
    let app = TestApp::spawn().await;
    let r = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "ok");
    assert!(r.headers.get("x-request-id").is_some_and(|v| !v.is_empty()));

    // Ready once the store answers and the node's index has caught up;
    // until then 503 with the reason.
    let mut ready = false;
    for _ in 0..200 {
        let r = app.call(Method::GET, "/readyz", None, None).await;
        if r.status == StatusCode::OK {
            assert_eq!(r.body["status"], "ok");
            ready = true;
            break;
        }
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            r.body["reason"].as_str().unwrap().contains("search index"),
            "{}",
            r.text
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(ready, "ready once the index caught up");

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

/// Series in a `/metrics` answer whose labels contain `needle`.
fn series_with(metrics: &str, needle: &str) -> usize {
    metrics
        .lines()
        .filter(|l| l.starts_with("http_requests_total{") && l.contains(needle))
        .count()
}

#[tokio::test]
async fn metrics_labels_stay_bounded_whatever_the_client_sends() {
    let app = TestApp::spawn().await;
    let tag = format!("zq{}", rand::random::<u32>());
    // Made-up methods on a real route and on made-up paths, and made-up
    // paths with standard methods, all without a key.
    for i in 0..40 {
        let method = Method::from_bytes(format!("{}M{i}", tag.to_uppercase()).as_bytes()).unwrap();
        let r = app.call(method.clone(), "/healthz", None, None).await;
        assert!(r.status.is_client_error(), "{method}: {}", r.status);
        app.call(method, &format!("/{tag}/m{i}"), None, None).await;
        for m in [Method::GET, Method::POST, Method::DELETE] {
            let r = app.call(m, &format!("/{tag}/p{i}/x"), None, None).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND);
        }
    }
    let r = app.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let metrics = r.text;
    // Nothing the client made up became a label value (the tag is in every
    // method and path sent, upper case in the methods)...
    assert_eq!(series_with(&metrics, &tag), 0, "{metrics}");
    assert_eq!(series_with(&metrics, &tag.to_uppercase()), 0, "{metrics}");
    // ...they share `method="other"` and `route="unmatched"`, in a handful
    // of series (one per route and status), not one per request.
    let other = series_with(&metrics, "method=\"other\"");
    assert!((1..=6).contains(&other), "{other} series: {metrics}");
    let unmatched = metrics
        .lines()
        .filter(|l| {
            l.starts_with("http_requests_total{")
                && l.contains("route=\"unmatched\"")
                && l.contains("status=\"404\"")
        })
        .count();
    assert!(
        (1..=8).contains(&unmatched),
        "{unmatched} series: {metrics}"
    );
    app.finish().await;
}

#[tokio::test]
async fn docs_and_their_assets_carry_security_headers() {
    let app = TestApp::spawn().await;
    for path in [
        "/docs/",
        "/docs/index.css",
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-initializer.js",
        "/openapi.json",
    ] {
        let r = app.call(Method::GET, path, None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        let h = |name: &str| {
            r.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(h("x-frame-options"), "DENY", "{path}");
        assert_eq!(h("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(h("referrer-policy"), "no-referrer", "{path}");
        let csp = h("content-security-policy");
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-"), "{path}: {csp}");
    }
    // The page itself has no inline script the policy would block: its
    // configuration comes in a served file.
    let page = app.call(Method::GET, "/docs/", None, None).await.text;
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("src=\"./swagger-initializer.js\""), "{page}");
    let init = app
        .call(Method::GET, "/docs/swagger-initializer.js", None, None)
        .await
        .text;
    assert!(init.contains("/openapi.json"), "{init}");
    // The redirect from /docs to /docs/ carries them too.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/docs", app.base))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    app.finish().await;
}

/// The value of the unlabelled series `name` in a `/metrics` answer.
fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[tokio::test]
async fn store_pool_figures_are_in_metrics_on_postgres() {
    let app = TestApp::with(Options {
        postgres: true,
        ..Default::default()
    })
    .await;
    let r = app.get("/api/v1/sources", &app.admin_key).await;
    assert_eq!(r.status, StatusCode::OK);
    // The gauges are sampled each second (this test's pool and those of the
    // other tests' PostgreSQL servers in this process, all of the default
    // size, take turns setting them).
    let mut metrics = String::new();
    for _ in 0..60 {
        metrics = app.call(Method::GET, "/metrics", None, None).await.text;
        if sample(&metrics, "inlet_store_pool_max_connections").is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let gauge =
        |name: &str| sample(&metrics, name).unwrap_or_else(|| panic!("no {name} in {metrics}"));
    // database_pool_size's default.
    assert_eq!(gauge("inlet_store_pool_max_connections"), 16.0, "{metrics}");
    let open = gauge("inlet_store_pool_open_connections");
    assert!((1.0..=16.0).contains(&open), "{metrics}");
    for name in [
        "inlet_store_pool_idle_connections",
        "inlet_store_pool_in_use_connections",
    ] {
        assert!((0.0..=16.0).contains(&gauge(name)), "{name}: {metrics}");
    }
    // Waits for a connection: a histogram, there before the first wait.
    assert!(
        metrics.contains("# TYPE inlet_store_pool_acquire_wait_seconds histogram"),
        "{metrics}"
    );
    let waits = gauge("inlet_store_pool_acquire_wait_seconds_count");
    assert!(waits >= 0.0, "{metrics}");
    assert!(
        metrics.contains("inlet_store_pool_acquire_wait_seconds_bucket{le=\"0.001\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("# HELP inlet_store_pool_max_connections"),
        "{metrics}"
    );
    app.finish().await;
}
