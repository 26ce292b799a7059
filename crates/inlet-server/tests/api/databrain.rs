//! Document 002 (`/api/v2/datasource`): the list's string parameters,
//! create (tested and discovered first), update and delete by name, a sync
//! awaited to its end, and 002's error codes and statuses.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Resp, TestApp};
use crate::sync::SourceDb;

fn assert_002_error(r: &Resp, status: StatusCode, code: &str) {
    r.assert_coded_error(status, code);
    assert_eq!(r.body.as_object().unwrap().len(), 1, "{}", r.text);
}

fn names(r: &Resp) -> Vec<String> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d.as_object().unwrap().len(), 1, "{d}");
            d["name"].as_str().unwrap().to_owned()
        })
        .collect()
}

fn postgres(name: &str, database: &str) -> Value {
    json!({"datasourceType": "postgres",
           "credentials": {"name": name, "host": "127.0.0.1", "port": 5432, "username": "postgres",
                           "password": "pw-002-secret", "database": database, "schema": "public",
                           "sslmode": "disable"}})
}

/// Creates of one name at once: the store's unique index lets exactly one
/// through (the name check before the test is not atomic); the others
/// answer `DATASOURCE_NAME_ERROR`, and one datasource has the name.
#[tokio::test]
async fn concurrent_creates_of_one_name_make_one_datasource() {
    let app = TestApp::spawn().await;
    let k = &app.admin_key;
    let db = SourceDb::create("CREATE TABLE t (id int PRIMARY KEY);").await;
    let answers = futures_util::future::join_all(
        (0..6).map(|_| app.post("/api/v2/datasource", k, postgres("twin", &db.name))),
    )
    .await;
    let created = answers
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(
        created,
        1,
        "{:?}",
        answers.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    for r in answers.iter().filter(|r| r.status != StatusCode::OK) {
        assert_002_error(r, StatusCode::BAD_REQUEST, "DATASOURCE_NAME_ERROR");
    }
    assert_eq!(names(&app.get("/api/v2/datasource", k).await), ["twin"]);
    // Through 003 the name is taken too, as a conflict in its envelope.
    let r = app
        .post(
            "/api/v1/source-connections",
            k,
            json!({"collectionId": "col_1", "sourceShortName": "postgresql", "name": "twin",
                   "credentials": {"host": "127.0.0.1", "port": 5432, "database": db.name,
                                   "username": "postgres", "password": "p", "sslmode": "disable"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    db.drop_db().await;
}

#[tokio::test]
async fn create_list_update_sync_and_delete() {
    let app = TestApp::spawn().await;
    let k = &app.admin_key;
    let db = SourceDb::create(
        "CREATE TABLE tickets (id int PRIMARY KEY, title text);
         INSERT INTO tickets SELECT g, 'ticket ' || g FROM generate_series(1, 25) g;",
    )
    .await;
    let r = app.get("/api/v2/datasource", k).await;
    assert_eq!(r.body, json!({"data": []}), "{}", r.text);

    // Create: tested and discovered before the answer.
    let r = app
        .post("/api/v2/datasource", k, postgres("pg-main", &db.name))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body, json!({"name": "pg-main"}));
    // It landed in a collection made for it, active, with its schema.
    let list = app.get("/api/v1/source-connections", k).await;
    let conn = &list.body["sourceConnections"][0];
    assert_eq!(conn["status"], "active", "{conn}");
    assert!(conn["schemaDiscoveredAt"].is_string(), "{conn}");
    assert_eq!(conn["config"]["schema"], "public");
    let id = conn["id"].as_str().unwrap().to_owned();
    let r = app.get("/api/v1/collections", k).await;
    assert_eq!(r.body["collections"][0]["name"], "Default");
    // The same datasource through 001.
    let r = app.get("/api/v1/data-sources", k).await;
    assert_eq!(r.body["data"]["items"][0]["name"], "pg-main");
    assert_eq!(r.body["data"]["items"][0]["status"], "active");

    // A taken name, a failing test, an unsupported type, a missing name.
    let r = app
        .post("/api/v2/datasource", k, postgres("pg-main", &db.name))
        .await;
    assert_002_error(&r, StatusCode::BAD_REQUEST, "DATASOURCE_NAME_ERROR");
    let r = app
        .post(
            "/api/v2/datasource",
            k,
            postgres("pg-bad", "inlet_002_no_such_db"),
        )
        .await;
    assert_002_error(&r, StatusCode::BAD_REQUEST, "CREDENTIAL_TEST_FAILED");
    let r = app
        .post(
            "/api/v2/datasource",
            k,
            json!({"datasourceType": "snowflake", "credentials": {"name": "s"}}),
        )
        .await;
    assert_002_error(&r, StatusCode::BAD_REQUEST, "INVALID_REQUEST_BODY");
    assert!(r.text.contains("postgres, mysql"), "{}", r.text);
    let mut no_name = postgres("x", &db.name);
    no_name["credentials"]
        .as_object_mut()
        .unwrap()
        .remove("name");
    let r = app.post("/api/v2/datasource", k, no_name).await;
    assert_002_error(&r, StatusCode::BAD_REQUEST, "INVALID_REQUEST_BODY");
    assert!(r.text.contains("credentials.name"), "{}", r.text);
    let mut bad_port = postgres("y", &db.name);
    bad_port["credentials"]["port"] = json!("abc");
    let r = app.post("/api/v2/datasource", k, bad_port).await;
    assert_002_error(&r, StatusCode::BAD_REQUEST, "INVALID_REQUEST_BODY");
    assert!(r.text.contains("credentials.port"), "{}", r.text);
    // The test passes but discovery fails: SCHEMA_CACHE_FAILED, and the
    // datasource is not kept.
    let mut no_schema = postgres("pg-noschema", &db.name);
    no_schema["credentials"]["schema"] = json!("inlet_002_no_such_schema");
    let r = app.post("/api/v2/datasource", k, no_schema).await;
    assert_002_error(&r, StatusCode::INTERNAL_SERVER_ERROR, "SCHEMA_CACHE_FAILED");
    assert!(r.text.contains("does not exist"), "{}", r.text);
    // Nothing of those was created.
    assert_eq!(names(&app.get("/api/v2/datasource", k).await), ["pg-main"]);

    // Sync, answered once it completed; by name, then by id.
    let r = app
        .post(
            "/api/v2/datasource/sync",
            k,
            json!({"input": {"datasourceId": "pg-main"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body, json!({"data": {"message": "Sync completed"}}));
    let state = app.connection_state(&id).await;
    assert_eq!(state["documentCount"], 25, "{state}");
    let r = app
        .post(
            "/api/v2/datasource/sync",
            k,
            json!({"input": {"datasourceId": id}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post(
            "/api/v2/datasource/sync",
            k,
            json!({"input": {"datasourceId": "nope"}}),
        )
        .await;
    assert_002_error(&r, StatusCode::NOT_FOUND, "DATASOURCE_NOT_FOUND");

    // Update by name: tested first; a failing test is CREDENTIAL_TEST_FAILED
    // and changes nothing.
    let r = app
        .put(
            "/api/v2/datasource",
            k,
            postgres("pg-main", "inlet_002_no_such_db"),
        )
        .await;
    assert_002_error(&r, StatusCode::BAD_REQUEST, "CREDENTIAL_TEST_FAILED");
    let state = app.connection_state(&id).await;
    assert_eq!(state["credentials"]["database"], db.name.as_str());
    assert_eq!(state["status"], "active");
    let r = app
        .put("/api/v2/datasource", k, postgres("pg-main", &db.name))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body, json!({"name": "pg-main"}));
    assert_eq!(app.connection_state(&id).await["status"], "active");
    let r = app
        .put("/api/v2/datasource", k, postgres("missing", &db.name))
        .await;
    assert_002_error(&r, StatusCode::NOT_FOUND, "DATASOURCE_NOT_FOUND");
    let mut retype = postgres("pg-main", &db.name);
    retype["datasourceType"] = json!("mysql");
    let r = app.put("/api/v2/datasource", k, retype).await;
    assert_002_error(&r, StatusCode::BAD_REQUEST, "INVALID_REQUEST_BODY");

    // No answer ever carries the password.
    let all = app.get("/api/v1/source-connections", k).await;
    assert!(!all.text.contains("pw-002-secret"));

    // Delete by name.
    let r = app
        .delete("/api/v2/datasource?datasourceName=pg-main", k)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"id": id, "message": "Datasource deleted successfully"})
    );
    let r = app
        .delete("/api/v2/datasource?datasourceName=pg-main", k)
        .await;
    assert_002_error(&r, StatusCode::NOT_FOUND, "DATASOURCE_NOT_FOUND");
    let r = app.delete("/api/v2/datasource", k).await;
    assert_002_error(&r, StatusCode::BAD_REQUEST, "INVALID_REQUEST_BODY");
    app.finish().await;
    db.drop_db().await;
}

#[tokio::test]
async fn the_list_pages_by_ten_with_string_parameters() {
    let app = TestApp::spawn().await;
    let k = &app.admin_key;
    let col = app.collection(k, "c").await;
    for i in 0..12 {
        app.pg_connection(k, &col, &format!("ds-{i:02}"), "pw")
            .await;
    }
    let all = names(&app.get("/api/v2/datasource", k).await);
    assert_eq!(all.len(), 12);
    assert_eq!(
        names(&app.get("/api/v2/datasource?isPagination=false", k).await),
        all
    );
    let first = names(&app.get("/api/v2/datasource?isPagination=true", k).await);
    assert_eq!(first, all[..10]);
    let second = names(
        &app.get("/api/v2/datasource?isPagination=true&pageNumber=2", k)
            .await,
    );
    assert_eq!(second, ["ds-10", "ds-11"]);
    for query in [
        "isPagination=yes",
        "isPagination=true&pageNumber=abc",
        "isPagination=true&pageNumber=0",
        "isPagination=true&pageNumber=1&limit=5",
    ] {
        let r = app.get(&format!("/api/v2/datasource?{query}"), k).await;
        assert_002_error(&r, StatusCode::BAD_REQUEST, "INVALID_REQUEST_BODY");
    }
    app.finish().await;
}

#[tokio::test]
async fn errors_before_any_handler_in_002s_envelope() {
    let app = TestApp::spawn().await;
    let r = app
        .call(Method::GET, "/api/v2/datasource", None, None)
        .await;
    assert_002_error(&r, StatusCode::UNAUTHORIZED, "AUTHENTICATION_ERROR");
    let r = app.get("/api/v2/datasource", "inl_bad").await;
    assert_002_error(&r, StatusCode::UNAUTHORIZED, "AUTHENTICATION_ERROR");
    let k = &app.admin_key;
    let r = app
        .client
        .post(format!("{}/api/v2/datasource", app.base))
        .bearer_auth(k)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "INVALID_REQUEST_BODY", "{body}");
    let r = app
        .client
        .post(format!("{}/api/v2/datasource", app.base))
        .bearer_auth(k)
        .header("content-type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A sync body without its datasource, or not 002's shape.
    for body in [
        json!({"input": {}}),
        json!({}),
        json!({"input": {"datasourceId": 5}}),
    ] {
        let r = app.post("/api/v2/datasource/sync", k, body.clone()).await;
        assert_002_error(&r, StatusCode::BAD_REQUEST, "INVALID_REQUEST_BODY");
    }
    let r = app.get("/api/v2/datasource/elsewhere", k).await;
    assert_002_error(&r, StatusCode::NOT_FOUND, "NOT_FOUND");
    app.finish().await;
}
