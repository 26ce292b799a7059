use reqwest::StatusCode;
use serde_json::json;

use crate::harness::TestApp;

#[tokio::test]
async fn create_get_update_and_delete() {
    let app = TestApp::spawn().await;
    let k = &app.admin_key;
    let col = app.collection(k, "c").await;
    let r = app
        .post(
            "/api/v1/source-connections",
            k,
            json!({
                "collectionId": col,
                "sourceShortName": "postgresql",
                "name": "Production Database",
                "description": "main",
                "credentials": {"host": "db.example.com", "port": 5432, "database": "myapp",
                                "username": "readonly", "password": "pw-create"},
                "config": {"schema": "public"},
                "tags": ["prod", "db"],
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let sc = &r.body["sourceConnection"];
    let id = sc["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("sc_"));
    assert_eq!(sc["status"], "pending");
    assert_eq!(sc["name"], "Production Database");
    assert!(sc["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(sc["credentials"]["host"], "db.example.com");
    assert!(sc["credentials"].get("password").is_none());
    assert_eq!(sc["secretFieldsSet"], json!(["password"]));
    assert_eq!(sc["config"]["schema"], "public");

    // Integer ids work too (001's form).
    let numeric = id.trim_start_matches("sc_");
    let r = app
        .get(&format!("/api/v1/source-connections/{numeric}"), k)
        .await;
    assert_eq!(r.body["sourceConnection"]["id"], id.as_str());

    // PATCH: tags, status switched off and back on; statuses decided by tests cannot be set.
    let path = format!("/api/v1/source-connections/{id}");
    let r = app
        .patch(&path, k, json!({"status": "inactive", "tags": ["x"]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["sourceConnection"]["status"], "inactive");
    assert_eq!(r.body["sourceConnection"]["tags"], json!(["x"]));
    let r = app.patch(&path, k, json!({"status": "active"})).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(r.message().contains("status"));
    let r = app.patch(&path, k, json!({"status": "pending"})).await;
    assert_eq!(r.body["sourceConnection"]["status"], "pending");

    // PUT credentials: a new host needs the password again (a stored secret
    // never follows a new destination) …
    let r = app
        .put(
            &format!("{path}/credentials"),
            k,
            json!({"credentials": {"host": "db2.example.com", "port": 5433, "database": "myapp", "username": "ro"}}),
        )
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert_eq!(
        r.body["error"]["field"], "credentials.password",
        "{}",
        r.text
    );
    let r = app
        .put(
            &format!("{path}/credentials"),
            k,
            json!({"credentials": {"host": "db2.example.com", "port": 5433, "database": "myapp",
                                   "username": "ro", "password": "moved-along"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // … and an omitted secret keeps its value where the destination stays.
    let r = app
        .put(
            &format!("{path}/credentials"),
            k,
            json!({"credentials": {"host": "db2.example.com", "port": 5433, "database": "other", "username": "ro"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body["sourceConnection"]["credentials"]["host"],
        "db2.example.com"
    );
    assert_eq!(
        r.body["sourceConnection"]["secretFieldsSet"],
        json!(["password"])
    );
    let r = app
        .put(
            &format!("{path}/credentials"),
            k,
            json!({"credentials": {"host": "h"}}),
        )
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(r.message().contains("credentials.port"), "{}", r.message());

    // PUT config is validated against the catalog.
    let r = app
        .put(
            &format!("{path}/config"),
            k,
            json!({"config": {"schema": "sales"}}),
        )
        .await;
    assert_eq!(
        r.body["sourceConnection"]["config"],
        json!({"schema": "sales"})
    );
    let r = app
        .put(
            &format!("{path}/config"),
            k,
            json!({"config": {"schemaAutoRefresh": "yes"}}),
        )
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(r.message().contains("config.schemaAutoRefresh"));

    // 003 shows no body for these: the bare object of fields works too.
    let r = app
        .put(
            &format!("{path}/config"),
            k,
            json!({"schema": "billing", "schemaAutoRefresh": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body["sourceConnection"]["config"],
        json!({"schema": "billing", "schemaAutoRefresh": true})
    );
    let r = app
        .put(
            &format!("{path}/credentials"),
            k,
            json!({"host": "db2.example.com", "port": 5434, "database": "myapp", "username": "ro",
                   "password": "moved-again"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["sourceConnection"]["credentials"]["port"], 5434);
    assert_eq!(
        r.body["sourceConnection"]["secretFieldsSet"],
        json!(["password"])
    );
    let r = app
        .put(&format!("{path}/credentials"), k, json!({"host": "h"}))
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(r.message().contains("credentials.port"), "{}", r.message());

    let r = app.delete(&path, k).await;
    assert_eq!(r.status, StatusCode::OK);
    app.get(&path, k)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.delete(&path, k)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.finish().await;
}

#[tokio::test]
async fn list_filters_search_sort_and_pages() {
    let app = TestApp::spawn().await;
    let k = &app.admin_key;
    let a = app.collection(k, "a").await;
    let b = app.collection(k, "b").await;
    let names = ["Orders", "billing", "Analytics", "orders archive", "zeta"];
    for (i, name) in names.iter().enumerate() {
        let col = if i % 2 == 0 { &a } else { &b };
        let body = if i < 3 {
            json!({"collectionId": col, "sourceShortName": "postgresql", "name": name, "tags": ["t"],
                   "credentials": {"host": "h", "port": 1, "database": "d", "username": "u", "password": "p"}})
        } else {
            json!({"collectionId": col, "sourceShortName": "csv", "name": name,
                   "description": "files from the lake", "credentials": {"path": "x.csv"}})
        };
        let r = app.post("/api/v1/source-connections", k, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let names_of = |r: &crate::harness::Resp| -> Vec<String> {
        r.body["sourceConnections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let r = app
        .get("/api/v1/source-connections?sortBy=name&sortOrder=asc", k)
        .await;
    assert_eq!(
        names_of(&r),
        ["Analytics", "billing", "Orders", "orders archive", "zeta"]
    );
    let r = app
        .get(
            "/api/v1/source-connections?search=ORDERS&sortBy=name&sortOrder=desc",
            k,
        )
        .await;
    assert_eq!(names_of(&r), ["orders archive", "Orders"]);
    let r = app.get("/api/v1/source-connections?search=lake", k).await;
    assert_eq!(
        r.body["pagination"]["totalItems"], 2,
        "search covers descriptions"
    );
    let r = app.get("/api/v1/source-connections?type=csv", k).await;
    assert_eq!(r.body["pagination"]["totalItems"], 2);
    let r = app
        .get(&format!("/api/v1/source-connections?collectionId={a}"), k)
        .await;
    assert_eq!(r.body["pagination"]["totalItems"], 3);
    let r = app
        .get("/api/v1/source-connections?tag=t&status=pending", k)
        .await;
    assert_eq!(r.body["pagination"]["totalItems"], 3);
    let r = app.get("/api/v1/source-connections?status=active", k).await;
    assert_eq!(r.body["pagination"]["totalItems"], 0);
    // Default order: newest first.
    let r = app.get("/api/v1/source-connections", k).await;
    assert_eq!(names_of(&r)[0], "zeta");

    // Pagination edges.
    let r = app
        .get(
            "/api/v1/source-connections?pageSize=2&page=2&sortBy=name&sortOrder=asc",
            k,
        )
        .await;
    assert_eq!(names_of(&r), ["Orders", "orders archive"]);
    assert_eq!(
        r.body["pagination"],
        json!({"page": 2, "pageSize": 2, "totalItems": 5, "totalPages": 3, "hasNext": true, "hasPrevious": true})
    );
    let r = app.get("/api/v1/source-connections?page=50", k).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(names_of(&r).len(), 0);
    assert_eq!(r.body["pagination"]["totalItems"], 5);
    assert_eq!(r.body["pagination"]["hasNext"], false);
    assert_eq!(r.body["pagination"]["hasPrevious"], true);
    for (query, field) in [
        ("page=0", "page"),
        ("pageSize=0", "pageSize"),
        ("pageSize=1000", "pageSize"),
        ("page=abc", "page"),
        ("sortBy=password", "sortBy"),
        ("sortOrder=up", "sortOrder"),
        ("status=sleeping", "status"),
        ("collectionId=nope", "collectionId"),
    ] {
        let r = app
            .get(&format!("/api/v1/source-connections?{query}"), k)
            .await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
        assert_eq!(r.body["error"]["field"], field, "{query}: {}", r.text);
    }
    let r = app
        .get("/api/v1/source-connections?colectionId=col_1", k)
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(r.message().contains("colectionId"), "{}", r.message());
    app.finish().await;
}
