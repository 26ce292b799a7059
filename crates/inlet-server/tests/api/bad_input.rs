use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::TestApp;

async fn raw(
    app: &TestApp,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> crate::harness::Resp {
    let mut req = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(&app.admin_key)
        .body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    crate::harness::Resp {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or_default(),
        text,
    }
}

/// `POST /api/v1/collections` with the admin key and `body` as JSON.
async fn create_collection(app: &TestApp, body: serde_json::Value) -> crate::harness::Resp {
    app.post("/api/v1/collections", &app.admin_key, body).await
}

/// Asserts that none of the refused bodies wrote a collection.
async fn assert_nothing_written(app: &TestApp) {
    let list = app.get("/api/v1/collections", &app.admin_key).await;
    assert_eq!(list.body["pagination"]["totalItems"], 0, "{}", list.text);
}

/// A body that is not well-formed JSON is an `invalid_request` in the
/// error envelope, saying so, and writes nothing.
#[tokio::test]
async fn malformed_json_is_an_invalid_request() {
    let app = TestApp::spawn().await;
    let r = raw(
        &app,
        "/api/v1/collections",
        Some("application/json"),
        b"{\"name\": ".to_vec(),
    )
    .await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(r.message().contains("malformed JSON"), "{}", r.message());
    assert_nothing_written(&app).await;
    app.finish().await;
}

/// A JSON body sent as `text/plain`, or with no content type, is an
/// `unsupported_media_type` in the envelope, and writes nothing.
#[tokio::test]
async fn a_body_not_sent_as_json_is_an_unsupported_media_type() {
    let app = TestApp::spawn().await;
    let r = raw(
        &app,
        "/api/v1/collections",
        Some("text/plain"),
        b"{\"name\":\"x\"}".to_vec(),
    )
    .await;
    r.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let r = raw(
        &app,
        "/api/v1/collections",
        None,
        b"{\"name\":\"x\"}".to_vec(),
    )
    .await;
    r.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    assert_nothing_written(&app).await;
    app.finish().await;
}

/// A body over the size limit (2 MiB against 1 MiB) is a
/// `payload_too_large` in the envelope, and writes nothing.
#[tokio::test]
async fn a_body_over_the_limit_is_payload_too_large() {
    let app = TestApp::spawn().await;
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let r = raw(
        &app,
        "/api/v1/collections",
        Some("application/json"),
        huge.into_bytes(),
    )
    .await;
    r.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert_nothing_written(&app).await;
    app.finish().await;
}

/// Well-formed JSON of the wrong shape (a field of the wrong type, an
/// unknown field, a blank name) is an `invalid_request` naming the field,
/// and writes nothing.
#[tokio::test]
async fn a_field_of_the_wrong_type_unknown_or_blank_is_named() {
    let app = TestApp::spawn().await;
    let r = create_collection(&app, json!({"name": 5})).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(r.message().starts_with("name"), "{}", r.message());
    let r = create_collection(&app, json!({"name": "x", "colour": "red"})).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(r.message().contains("colour"));
    let r = create_collection(&app, json!({"name": "   "})).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert_eq!(r.body["error"]["field"], "name");
    assert_nothing_written(&app).await;
    app.finish().await;
}

#[tokio::test]
async fn connection_validation_names_the_field() {
    let app = TestApp::spawn().await;
    let k = &app.admin_key;
    let col = app.collection(k, "c").await;
    let creds =
        json!({"host": "h", "port": 5432, "database": "d", "username": "u", "password": "p"});
    let cases = [
        (
            json!({"collectionId": col, "sourceShortName": "oracle", "name": "x", "credentials": creds}),
            "sourceShortName",
        ),
        (
            json!({"collectionId": col, "sourceShortName": "postgresql", "name": "x",
                "credentials": {"host": "h", "port": 5432, "database": "d", "username": "u"}}),
            "credentials.password",
        ),
        (
            json!({"collectionId": col, "sourceShortName": "postgresql", "name": "x",
                "credentials": {"host": "h", "port": "5432", "database": "d", "username": "u", "password": "p"}}),
            "credentials.port",
        ),
        (
            json!({"collectionId": col, "sourceShortName": "postgresql", "name": "x",
                "credentials": {"host": "h", "port": 5432, "database": "d", "username": "u", "password": "p", "pasword": "p"}}),
            "credentials.pasword",
        ),
        (
            json!({"collectionId": col, "sourceShortName": "postgresql", "name": "x", "credentials": creds,
                "config": {"schema": 1}}),
            "config.schema",
        ),
        (
            json!({"collectionId": col, "sourceShortName": "postgresql", "name": "", "credentials": creds}),
            "name",
        ),
        (
            json!({"collectionId": "garbage", "sourceShortName": "postgresql", "name": "x", "credentials": creds}),
            "collectionId",
        ),
        (
            json!({"collectionId": col, "sourceShortName": "postgresql", "name": "x", "credentials": creds, "tags": [""]}),
            "tags[0]",
        ),
    ];
    for (body, field) in cases {
        let r = app.post("/api/v1/source-connections", k, body).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
        assert_eq!(r.body["error"]["field"], field, "{}", r.text);
    }
    // A missing top-level field is named by the parser.
    let r = app
        .post(
            "/api/v1/source-connections",
            k,
            json!({"collectionId": col, "name": "x"}),
        )
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(r.message().contains("sourceShortName"), "{}", r.message());
    // An unknown collection is not found.
    app.post(
        "/api/v1/source-connections",
        k,
        json!({"collectionId": "col_999", "sourceShortName": "postgresql", "name": "x", "credentials": creds}),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    let list = app.get("/api/v1/source-connections", k).await;
    assert_eq!(
        list.body["pagination"]["totalItems"], 0,
        "nothing half-written"
    );
    app.finish().await;
}

#[tokio::test]
async fn unknown_routes_ids_and_methods() {
    let app = TestApp::spawn().await;
    let k = &app.admin_key;
    app.get("/api/v1/nothing-here", k)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.get("/api/v1/source-connections/sc_424242", k)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.get("/api/v1/source-connections/not-an-id", k)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.get("/api/v1/collections/sc_1", k)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.call(Method::PUT, "/api/v1/collections", Some(k), Some(json!({})))
        .await
        .assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    app.finish().await;
}

#[tokio::test]
async fn flags_and_dates_name_the_parameter() {
    let app = TestApp::spawn().await;
    let k = &app.admin_key;
    let col = app.collection(k, "c").await;
    let r = app
        .delete(&format!("/api/v1/collections/{col}?cascade=maybe"), k)
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(r.message().contains("cascade"), "{}", r.message());
    let r = app
        .post(
            "/api/v1/source-connections?test=maybe",
            k,
            json!({"collectionId": col, "sourceShortName": "csv", "name": "x", "credentials": {"path": "a.csv"}}),
        )
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(r.message().contains("test"), "{}", r.message());
    let r = app
        .post(
            "/api/v1/api-keys",
            k,
            json!({"name": "n", "scopes": ["read"], "expiresAt": "tomorrow"}),
        )
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(r.message().contains("expiresAt"), "{}", r.message());
    // Nothing was created or deleted by these.
    assert_eq!(
        app.get(&format!("/api/v1/collections/{col}"), k)
            .await
            .status,
        StatusCode::OK
    );
    let r = app.get("/api/v1/source-connections", k).await;
    assert_eq!(r.body["pagination"]["totalItems"], 0);
    app.finish().await;
}

#[tokio::test]
async fn job_and_document_routes_refuse_bad_input_and_queue_nothing() {
    let app = TestApp::with(crate::harness::Options {
        workers: 0,
        ..Default::default()
    })
    .await;
    let k = &app.admin_key;
    let col = app.collection(k, "c").await;
    let conn = app
        .connection(
            k,
            json!({"collectionId": col, "sourceShortName": "csv", "name": "x", "credentials": {"path": "a.csv"}}),
        )
        .await;
    let path = format!("/api/v1/source-connections/{conn}");
    let r = app
        .post(&format!("{path}/run?forceFullSync=maybe"), k, json!({}))
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(r.message().contains("forceFullSync"), "{}", r.message());
    let r = app.post(&format!("{path}/run?force=1"), k, json!({})).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(r.message().contains("force"), "{}", r.message());
    let r = app.get(&format!("{path}/documents?pageSize=0"), k).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(r.message().contains("pageSize"), "{}", r.message());
    let r = app.get(&format!("{path}/jobs?page=x"), k).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(r.message().contains("page"), "{}", r.message());
    for bad in [
        "/api/v1/jobs/abc",
        "/api/v1/jobs/sc_1",
        "/api/v1/documents/sync_1",
    ] {
        app.get(bad, k)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    app.post("/api/v1/source-connections/sc_999/run", k, json!({}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    // A read-only key may look but not start, cancel or clear.
    let reader = app.key(&json!({"name": "r", "scopes": ["read"]})).await;
    app.post(&format!("{path}/run"), &reader, json!({}))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.delete(&format!("{path}/data"), &reader)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    // None of it queued a job.
    let jobs = app.get(&format!("{path}/jobs"), k).await;
    assert_eq!(jobs.body["pagination"]["totalItems"], 0, "{}", jobs.text);
    app.finish().await;
}
