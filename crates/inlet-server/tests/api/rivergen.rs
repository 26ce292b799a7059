//! Document 001 (`/api/v1/data-sources`): every documented parameter, field
//! and type, its envelopes, and its errors — including those raised before
//! a handler runs — in 001's envelope.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Options, Resp, TestApp};

/// 001's error envelope with `code`, naming `field` when given.
fn assert_001_error(r: &Resp, status: StatusCode, code: &str) {
    r.assert_coded_error(status, code);
    assert_eq!(r.body["success"], false, "{}", r.text);
    assert_eq!(r.body["message"], r.message(), "{}", r.text);
}

fn items(r: &Resp) -> &Vec<Value> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["data"]["items"].as_array().unwrap()
}

fn names(r: &Resp) -> Vec<&str> {
    items(r)
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_list_as_documented() {
    let app = TestApp::spawn().await;
    let k = &app.admin_key;
    let prod = app.collection(k, "Production").await;
    let other = app.collection(k, "Other").await;
    let pg = app
        .connection(
            k,
            json!({"collectionId": prod, "sourceShortName": "postgresql", "name": "Production PostgreSQL",
                   "description": "Main production database", "tags": ["production", "database"],
                   "credentials": {"host": "db.example.com", "port": 5432, "database": "production",
                                   "username": "reader", "password": "pw-001-list"},
                   "config": {"schema": "public", "schemaAutoRefresh": true}}),
        )
        .await;
    app.connection(
        k,
        json!({"collectionId": other, "sourceShortName": "csv", "name": "Orders CSV",
               "description": "Nightly export", "credentials": {"path": "orders.csv"}}),
    )
    .await;
    app.connection(
        k,
        json!({"collectionId": prod, "sourceShortName": "mysql", "name": "Billing MySQL",
               "credentials": {"host": "127.0.0.1", "port": 3306, "database": "billing", "username": "root"}}),
    )
    .await;
    // Switched off: 001's `maintenance`.
    let r = app
        .patch(
            &format!("/api/v1/source-connections/{pg}"),
            k,
            json!({"status": "maintenance"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let r = app.get("/api/v1/data-sources", k).await;
    assert_eq!(r.body["success"], true);
    assert_eq!(r.body["message"], "Data sources retrieved successfully");
    assert_eq!(
        r.body["data"]["pagination"],
        json!({"page": 1, "page_size": 20, "total_items": 3, "total_pages": 1,
               "has_next": false, "has_previous": false})
    );
    // Default sort: created_at, newest first.
    assert_eq!(
        names(&r),
        ["Billing MySQL", "Orders CSV", "Production PostgreSQL"]
    );

    let item = items(&r)[2].clone();
    let id = pg.trim_start_matches("sc_").parse::<i64>().unwrap();
    let col = prod.trim_start_matches("col_").parse::<i64>().unwrap();
    assert_eq!(item["id"], id);
    assert_eq!(item["organization_id"], 1);
    assert_eq!(item["workspace_id"], col);
    assert_eq!(item["type"], "postgresql");
    assert_eq!(item["description"], "Main production database");
    assert_eq!(item["host"], "db.example.com");
    assert_eq!(item["port"], 5432);
    assert_eq!(item["database_name"], "production");
    assert_eq!(item["schema_name"], "public");
    assert_eq!(item["file_path"], Value::Null);
    assert_eq!(item["use_ssh_tunnel"], false);
    assert_eq!(item["ssh_host"], Value::Null);
    assert_eq!(item["ssh_port"], Value::Null);
    assert_eq!(item["status"], "maintenance");
    assert_eq!(item["last_tested_at"], Value::Null);
    assert_eq!(item["last_successful_connection_at"], Value::Null);
    assert_eq!(item["schema_discovered_at"], Value::Null);
    assert_eq!(item["schema_auto_refresh"], true);
    assert_eq!(item["tags"], json!(["production", "database"]));
    for field in ["created_at", "updated_at"] {
        let t = item[field].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(t).is_ok(),
            "{field}: {t}"
        );
    }
    // Exactly the document's fields.
    let keys: Vec<&str> = item
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut documented = vec![
        "id",
        "organization_id",
        "workspace_id",
        "name",
        "type",
        "description",
        "host",
        "port",
        "database_name",
        "schema_name",
        "file_path",
        "use_ssh_tunnel",
        "ssh_host",
        "ssh_port",
        "status",
        "last_tested_at",
        "last_successful_connection_at",
        "schema_discovered_at",
        "schema_auto_refresh",
        "tags",
        "created_at",
        "updated_at",
    ];
    documented.sort_unstable();
    assert_eq!(keys, documented);
    assert!(!r.text.contains("pw-001-list") && !r.text.contains("password"));

    let csv = items(&r)[1].clone();
    assert_eq!(csv["file_path"], "orders.csv");
    assert_eq!(csv["host"], Value::Null);
    assert_eq!(csv["port"], Value::Null);
    // Never tested: 001 has no `pending`, so `inactive`.
    assert_eq!(csv["status"], "inactive");

    // Filters, search, sort and pages.
    let r = app
        .get(&format!("/api/v1/data-sources?workspace_id={col}"), k)
        .await;
    assert_eq!(names(&r), ["Billing MySQL", "Production PostgreSQL"]);
    let r = app.get("/api/v1/data-sources?type=csv", k).await;
    assert_eq!(names(&r), ["Orders CSV"]);
    let r = app
        .get("/api/v1/data-sources?status_filter=maintenance", k)
        .await;
    assert_eq!(names(&r), ["Production PostgreSQL"]);
    let r = app
        .get("/api/v1/data-sources?status_filter=inactive", k)
        .await;
    assert_eq!(names(&r), ["Billing MySQL", "Orders CSV"]);
    let r = app
        .get("/api/v1/data-sources?status_filter=active", k)
        .await;
    assert_eq!(names(&r), Vec::<&str>::new());
    let r = app.get("/api/v1/data-sources?search=nightly", k).await;
    assert_eq!(names(&r), ["Orders CSV"]);
    let r = app
        .get("/api/v1/data-sources?sort_by=name&sort_order=asc", k)
        .await;
    assert_eq!(
        names(&r),
        ["Billing MySQL", "Orders CSV", "Production PostgreSQL"]
    );
    let r = app
        .get(
            "/api/v1/data-sources?sort_by=id&sort_order=asc&page=2&page_size=2",
            k,
        )
        .await;
    assert_eq!(names(&r), ["Billing MySQL"]);
    assert_eq!(
        r.body["data"]["pagination"],
        json!({"page": 2, "page_size": 2, "total_items": 3, "total_pages": 2,
               "has_next": false, "has_previous": true})
    );

    // One data source.
    let r = app.get(&format!("/api/v1/data-sources/{id}"), k).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["success"], true);
    assert_eq!(r.body["data"], item);
    app.finish().await;
}

#[tokio::test]
async fn errors_in_001s_envelope() {
    let app = TestApp::with(Options {
        rate_limit: 4,
        ..Options::default()
    })
    .await;
    let k = &app.admin_key;

    // Before any handler: no key, a bad key, an unknown route below 001's path.
    let r = app
        .call(Method::GET, "/api/v1/data-sources", None, None)
        .await;
    assert_001_error(&r, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    let r = app.get("/api/v1/data-sources", "inl_not_a_key").await;
    assert_001_error(&r, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");

    // Bad parameters name themselves; sort_by lists the allowed fields.
    let r = app.get("/api/v1/data-sources?sort_by=colour", k).await;
    assert_001_error(&r, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(r.body["error"]["field"], "sort_by");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("id, name, type, status, created_at, updated_at"),
        "{}",
        r.text
    );
    // Spend the rate limit (4 a minute): the 429 is in 001's envelope.
    let mut r = app.get("/api/v1/data-sources", k).await;
    for _ in 0..5 {
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
        r = app.get("/api/v1/data-sources", k).await;
    }
    assert_001_error(&r, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED");
    assert!(r.headers.contains_key("retry-after"));
    app.finish().await;
}

#[tokio::test]
async fn bad_parameters_unknown_ids_and_other_tenants() {
    let app = TestApp::spawn().await;
    let k = &app.admin_key;
    for (query, field) in [
        ("status_filter=broken", "status_filter"),
        ("sort_order=sideways", "sort_order"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("page_size=1000", "page_size"),
        ("workspace_id=abc", "workspace_id"),
    ] {
        let r = app.get(&format!("/api/v1/data-sources?{query}"), k).await;
        assert_001_error(&r, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
        assert_eq!(r.body["error"]["field"], field, "{query}: {}", r.text);
    }
    let r = app.get("/api/v1/data-sources?colour=red", k).await;
    assert_001_error(&r, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert!(r.text.contains("colour"), "{}", r.text);

    let r = app.get("/api/v1/data-sources/999999", k).await;
    assert_001_error(&r, StatusCode::NOT_FOUND, "NOT_FOUND");
    let r = app.get("/api/v1/data-sources/nope", k).await;
    assert_001_error(&r, StatusCode::NOT_FOUND, "NOT_FOUND");
    let r = app.get("/api/v1/data-sources/1/nothing-here", k).await;
    assert_001_error(&r, StatusCode::NOT_FOUND, "NOT_FOUND");
    let r = app
        .call(Method::PATCH, "/api/v1/data-sources", Some(k), None)
        .await;
    assert_001_error(&r, StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");

    // Another organization's data source is not found, and not listed.
    let col = app.collection(k, "Mine").await;
    let mine = app.pg_connection(k, &col, "mine", "pw-001-tenant").await;
    let (_, theirs) = app.org_with_key("Other", &["read"]).await;
    let id = mine.trim_start_matches("sc_");
    let r = app
        .get(&format!("/api/v1/data-sources/{id}"), &theirs)
        .await;
    assert_001_error(&r, StatusCode::NOT_FOUND, "NOT_FOUND");
    let r = app.get("/api/v1/data-sources", &theirs).await;
    assert_eq!(items(&r).len(), 0);

    // The core API keeps its own envelope.
    let r = app.get("/api/v1/source-connections?sortBy=colour", k).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(r.body.get("message").is_none(), "{}", r.text);
    app.finish().await;
}

#[tokio::test]
async fn a_user_without_an_organization_is_forbidden() {
    let app = TestApp::spawn().await;
    let admin = &app.admin_key;
    let r = app
        .post(
            "/api/v1/users",
            admin,
            json!({"email": "ada@example.com", "name": "Ada"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let user = r.body["user"]["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/v1/users/{user}/memberships"),
        admin,
        json!({"organizationId": "org_1", "role": "member"}),
    )
    .await;
    let key = app
        .key(&json!({"name": "ada", "scopes": ["read"], "userId": user}))
        .await;
    assert_eq!(
        app.get("/api/v1/data-sources", &key).await.status,
        StatusCode::OK
    );
    app.delete(&format!("/api/v1/users/{user}/memberships/org_1"), admin)
        .await;
    let r = app.get("/api/v1/data-sources", &key).await;
    assert_001_error(&r, StatusCode::FORBIDDEN, "FORBIDDEN");
    assert_eq!(
        r.body["error"]["message"],
        "User is not a member of any organization"
    );
    app.finish().await;
}

#[tokio::test]
async fn create_update_test_and_delete() {
    let app = TestApp::spawn().await;
    let k = &app.admin_key;
    let col = app.collection(k, "Analytics").await;
    let ws: i64 = col.trim_start_matches("col_").parse().unwrap();
    let count = || async {
        let r = app.get("/api/v1/data-sources", k).await;
        r.body["data"]["pagination"]["total_items"]
            .as_u64()
            .unwrap()
    };

    // Create, in 001's flat snake_case.
    let r = app
        .post(
            "/api/v1/data-sources",
            k,
            json!({"name": "Warehouse", "type": "postgresql", "description": "The warehouse",
                   "workspace_id": ws, "host": "127.0.0.1", "port": 5432, "database_name": "test",
                   "schema_name": "public", "use_ssh_tunnel": false, "username": "postgres",
                   "password": "pw-001-create", "tags": ["dwh"], "schema_auto_refresh": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["success"], true);
    assert_eq!(r.body["message"], "Data source created successfully");
    let d = &r.body["data"];
    assert_eq!(d["workspace_id"], ws);
    assert_eq!(d["host"], "127.0.0.1");
    assert_eq!(d["port"], 5432);
    assert_eq!(d["database_name"], "test");
    assert_eq!(d["schema_name"], "public");
    assert_eq!(d["schema_auto_refresh"], true);
    assert_eq!(d["status"], "inactive");
    assert!(!r.text.contains("pw-001-create"), "{}", r.text);
    let id = d["id"].as_i64().unwrap();

    // The same connection through the core API, password set and hidden.
    let core = app.connection_state(&format!("sc_{id}")).await;
    assert_eq!(core["credentials"]["database"], "test");
    assert_eq!(core["secretFieldsSet"], json!(["password"]));
    assert_eq!(core["config"]["schema"], "public");

    // Bad bodies name the field in 001's terms and create nothing.
    let bad = [
        (
            json!({"name": "x", "type": "postgresql", "host": "h"}),
            "workspace_id",
        ),
        (
            json!({"name": "x", "type": "oracle", "workspace_id": ws}),
            "type",
        ),
        (
            json!({"name": "x", "type": "postgresql", "workspace_id": ws, "host": "h",
                   "port": "abc", "database_name": "d", "username": "u", "password": "p"}),
            "port",
        ),
        (
            json!({"name": "x", "type": "postgresql", "workspace_id": ws, "host": "h",
                   "port": 5432, "username": "u", "password": "p"}),
            "database_name",
        ),
        (
            json!({"name": "x", "type": "csv", "workspace_id": ws, "file_path": "a.csv",
                   "host": "h"}),
            "host",
        ),
    ];
    for (body, field) in bad {
        let r = app.post("/api/v1/data-sources", k, body.clone()).await;
        assert_001_error(&r, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
        assert_eq!(r.body["error"]["field"], field, "{body}: {}", r.text);
    }
    let r = app
        .post(
            "/api/v1/data-sources",
            k,
            json!({"name": "x", "type": "csv", "workspace_id": ws, "colour": 1}),
        )
        .await;
    assert_001_error(&r, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert!(r.text.contains("colour"), "{}", r.text);
    let r = app
        .client
        .post(format!("{}/api/v1/data-sources", app.base))
        .bearer_auth(k)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "VALIDATION_ERROR", "{body}");
    assert_eq!(count().await, 1);

    // Test: it connects, so it is active.
    let r = app
        .post(&format!("/api/v1/data-sources/{id}/test"), k, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["data"]["status"], "active");
    assert!(r.body["data"]["last_successful_connection_at"].is_string());

    // PATCH one field: the others, and the password, are kept.
    let r = app
        .patch(
            &format!("/api/v1/data-sources/{id}"),
            k,
            json!({"database_name": "inlet_001_no_such_db", "description": "Moved"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["message"], "Data source updated successfully");
    assert_eq!(r.body["data"]["database_name"], "inlet_001_no_such_db");
    assert_eq!(r.body["data"]["host"], "127.0.0.1");
    assert_eq!(r.body["data"]["description"], "Moved");
    let core = app.connection_state(&format!("sc_{id}")).await;
    assert_eq!(core["secretFieldsSet"], json!(["password"]));
    assert_eq!(core["credentials"]["username"], "postgres");

    // A failing test: 400 CONNECTION_FAILED, and the data source is failed.
    let r = app
        .post(&format!("/api/v1/data-sources/{id}/test"), k, json!({}))
        .await;
    assert_001_error(&r, StatusCode::BAD_REQUEST, "CONNECTION_FAILED");
    let r = app.get(&format!("/api/v1/data-sources/{id}"), k).await;
    assert_eq!(r.body["data"]["status"], "failed");

    // PUT: the same rules; type and workspace cannot change, and a bad
    // field changes nothing.
    let r = app
        .put(
            &format!("/api/v1/data-sources/{id}"),
            k,
            json!({"type": "mysql"}),
        )
        .await;
    assert_001_error(&r, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(r.body["error"]["field"], "type");
    let r = app
        .put(
            &format!("/api/v1/data-sources/{id}"),
            k,
            json!({"name": "Renamed", "port": "abc"}),
        )
        .await;
    assert_001_error(&r, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(r.body["error"]["field"], "port");
    let r = app.get(&format!("/api/v1/data-sources/{id}"), k).await;
    assert_eq!(r.body["data"]["name"], "Warehouse");
    let r = app
        .put(
            &format!("/api/v1/data-sources/{id}"),
            k,
            json!({"name": "Renamed", "database_name": "test", "tags": ["a", "b"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["data"]["name"], "Renamed");
    assert_eq!(r.body["data"]["tags"], json!(["a", "b"]));

    // A change through the core API is seen through 001.
    let r = app
        .patch(
            &format!("/api/v1/source-connections/sc_{id}"),
            k,
            json!({"status": "maintenance"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.get(&format!("/api/v1/data-sources/{id}"), k).await;
    assert_eq!(r.body["data"]["status"], "maintenance");

    // Another organization can neither change nor delete it.
    let (_, theirs) = app.org_with_key("Other", &["read", "write"]).await;
    let r = app
        .patch(
            &format!("/api/v1/data-sources/{id}"),
            &theirs,
            json!({"name": "Mine now"}),
        )
        .await;
    assert_001_error(&r, StatusCode::NOT_FOUND, "NOT_FOUND");
    let r = app
        .delete(&format!("/api/v1/data-sources/{id}"), &theirs)
        .await;
    assert_001_error(&r, StatusCode::NOT_FOUND, "NOT_FOUND");

    // Delete.
    let r = app.delete(&format!("/api/v1/data-sources/{id}"), k).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"success": true, "data": null, "message": "Data source deleted successfully"})
    );
    let r = app.get(&format!("/api/v1/data-sources/{id}"), k).await;
    assert_001_error(&r, StatusCode::NOT_FOUND, "NOT_FOUND");
    assert_eq!(count().await, 0);
    app.finish().await;
}
