//! One connection, four APIs: created through the core API (003), seen and
//! changed through 001, 000 and 002, each change seen by all the others.

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Options, TestApp};

#[tokio::test]
async fn one_connection_seen_and_changed_through_every_dialect() {
    let app = TestApp::with(Options {
        allow_local_git: true,
        ..Default::default()
    })
    .await;
    let k = &app.admin_key;
    let col = app.collection(k, "Code").await;
    let conn = app
        .connection(
            k,
            json!({"collectionId": col, "sourceShortName": "git", "name": "api-repo",
                   "description": "The API", "credentials": {"url": "https://example.com/api.git", "branch": "main"}}),
        )
        .await;
    let id: i64 = conn.trim_start_matches("sc_").parse().unwrap();

    // Seen by 001, 000 and 002.
    let r = app.get(&format!("/api/v1/data-sources/{id}"), k).await;
    assert_eq!(r.body["data"]["name"], "api-repo", "{}", r.text);
    assert_eq!(r.body["data"]["type"], "git");
    let r = app.get("/api/datasources/all?type=Repository", k).await;
    assert_eq!(
        r.body,
        json!([{"id": conn, "name": "api-repo", "type": "Repository",
                "url": "https://example.com/api.git", "branch": "main", "description": "The API"}])
    );
    let r = app.get("/api/v2/datasource", k).await;
    assert_eq!(r.body, json!({"data": [{"name": "api-repo"}]}));

    // Renamed through 001: the others see the new name.
    let r = app
        .patch(
            &format!("/api/v1/data-sources/{id}"),
            k,
            json!({"name": "api-service", "tags": ["backend"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(app.connection_state(&conn).await["name"], "api-service");
    let r = app.get("/api/datasources/all?type=Repository", k).await;
    assert_eq!(r.body[0]["name"], "api-service");
    let r = app.get("/api/v2/datasource", k).await;
    assert_eq!(r.body, json!({"data": [{"name": "api-service"}]}));
    // Switched off through the core API: 001 shows it.
    app.patch(
        &format!("/api/v1/source-connections/{conn}"),
        k,
        json!({"status": "maintenance"}),
    )
    .await;
    let r = app.get(&format!("/api/v1/data-sources/{id}"), k).await;
    assert_eq!(r.body["data"]["status"], "maintenance");

    // Deleted through 002 by its name: gone from every API.
    let r = app
        .delete("/api/v2/datasource?datasourceName=api-service", k)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .get(&format!("/api/v1/source-connections/{conn}"), k)
        .await;
    r.assert_error(StatusCode::NOT_FOUND, "not_found");
    let r = app.get(&format!("/api/v1/data-sources/{id}"), k).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.get("/api/datasources/all?type=Repository", k).await;
    assert_eq!(r.body, json!([]));
    let r = app.get("/api/v2/datasource", k).await;
    assert_eq!(r.body, json!({"data": []}));
    app.finish().await;
}
