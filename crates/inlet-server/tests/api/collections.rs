use reqwest::StatusCode;
use serde_json::json;

use crate::harness::TestApp;

#[tokio::test]
async fn crud_conflicts_and_cascade() {
    let app = TestApp::spawn().await;
    let k = &app.admin_key;
    let id = app.collection(k, "Engineering").await;
    assert!(id.starts_with("col_"));
    app.post("/api/v1/collections", k, json!({"name": "Engineering"}))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");

    let r = app
        .patch(
            &format!("/api/v1/collections/{id}"),
            k,
            json!({"description": "All of it"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["collection"]["description"], "All of it");
    assert_eq!(r.body["collection"]["name"], "Engineering");

    let other = app.collection(k, "Sales").await;
    app.patch(
        &format!("/api/v1/collections/{other}"),
        k,
        json!({"name": "Engineering"}),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "conflict");

    let list = app.get("/api/v1/collections", k).await;
    assert_eq!(list.body["collections"].as_array().unwrap().len(), 2);
    assert_eq!(list.body["pagination"]["totalItems"], 2);

    app.pg_connection(k, &id, "db", "pw-collections").await;
    let r = app.get(&format!("/api/v1/collections/{id}"), k).await;
    assert_eq!(r.body["collection"]["connectionCount"], 1);
    app.delete(&format!("/api/v1/collections/{id}"), k)
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    // Nothing was deleted by the refused call.
    let r = app
        .get(&format!("/api/v1/source-connections?collectionId={id}"), k)
        .await;
    assert_eq!(r.body["pagination"]["totalItems"], 1);

    let r = app
        .delete(&format!("/api/v1/collections/{id}?cascade=true"), k)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["success"], true);
    app.get(&format!("/api/v1/collections/{id}"), k)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let r = app.get("/api/v1/source-connections", k).await;
    assert_eq!(r.body["pagination"]["totalItems"], 0);
    app.finish().await;
}
