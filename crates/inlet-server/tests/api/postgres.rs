//! The same server on PostgreSQL.

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Options, TestApp, logs};

#[tokio::test]
async fn core_flow_isolation_and_secrets_on_postgres() {
    let app = TestApp::with(Options {
        postgres: true,
        ..Default::default()
    })
    .await;
    let (_, a) = app.org_with_key("alpha", &["admin"]).await;
    let (_, b) = app.org_with_key("beta", &["admin"]).await;
    let col = app.collection(&a, "c").await;
    let sc = app.pg_connection(&a, &col, "Orders DB", "pw-pg-1").await;
    app.pg_connection(&a, &col, "billing", "pw-pg-2").await;
    let r = app
        .get("/api/v1/source-connections?search=orders&sortBy=name", &a)
        .await;
    assert_eq!(r.body["pagination"]["totalItems"], 1, "{}", r.text);
    let r = app
        .get(
            "/api/v1/source-connections?search=or&sortBy=name&sortOrder=asc",
            &a,
        )
        .await;
    assert_eq!(r.body["pagination"]["totalItems"], 1, "{}", r.text);
    app.get(&format!("/api/v1/source-connections/{sc}"), &b)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.delete(&format!("/api/v1/collections/{col}"), &a)
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    app.post("/api/v1/collections", &a, json!({"name": "c"}))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");

    let secret = format!("PgS3cret-{}", rand::random::<u64>());
    for body in crate::secrets::exercise(&app, &secret).await {
        assert!(
            !body.contains(&secret),
            "response leaked the secret: {body}"
        );
    }
    assert!(!logs().contains(&secret));
    // No table holds it in clear: scan every row of every table as text.
    let db = inlet_store::Db::connect(&app.pg.as_ref().unwrap().url)
        .await
        .unwrap();
    let tables = db
        .fetch_all(&inlet_store::db::Sql::new(
            "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'",
        ))
        .await
        .unwrap();
    assert!(tables.len() >= 6);
    for t in tables {
        let name = t.text("t").unwrap();
        let rows = db
            .fetch_all(
                &inlet_store::db::Sql::new(&format!(
                    "SELECT count(*) AS n FROM {name} x WHERE x::text LIKE '%' || ? || '%'"
                ))
                .arg(secret.as_str()),
            )
            .await
            .unwrap();
        assert_eq!(
            rows[0].i64("n").unwrap(),
            0,
            "table {name} holds the secret in clear"
        );
    }
    app.finish().await;
}

/// Two nodes on one database: a key revoked through one is refused by the
/// other on its very next request, even one its list cache could answer
/// (authentication reads the key row on every request; the list generation
/// rides in the same statement).
#[tokio::test]
async fn a_key_revoked_on_one_node_is_refused_by_the_other_at_once() {
    let a = TestApp::with(Options {
        postgres: true,
        ..Default::default()
    })
    .await;
    let b = TestApp::with(a.node_options()).await;
    let (_, admin) = a.org_with_key("gamma", &["admin"]).await;
    let col = a.collection(&admin, "c").await;
    a.pg_connection(&admin, &col, "Orders DB", "pw-pg-3").await;
    let r = a
        .post(
            "/api/v1/api-keys",
            &admin,
            json!({"name": "reader", "scopes": ["read"]}),
        )
        .await;
    let key = r.body["apiKey"]["key"].as_str().unwrap().to_owned();
    let id = r.body["apiKey"]["id"].as_str().unwrap().to_owned();
    let list = "/api/v1/source-connections?search=orders&sortBy=name";
    // Node B caches the page and knows the key.
    for _ in 0..2 {
        let r = b.get(list, &key).await;
        assert_eq!(r.body["pagination"]["totalItems"], 1, "{}", r.text);
    }
    let r = a.delete(&format!("/api/v1/api-keys/{id}"), &admin).await;
    assert!(r.body["apiKey"]["revokedAt"].is_string(), "{}", r.text);
    b.get(list, &key)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    a.get(list, &key)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    // A write through A shows in B's list at once.
    a.pg_connection(&admin, &col, "orders replica", "pw-pg-4")
        .await;
    let r = b.get(list, &admin).await;
    assert_eq!(r.body["pagination"]["totalItems"], 2, "{}", r.text);
    // The searched page carries its total, and a page past the end still knows it.
    for (page, items) in [(2, 1), (3, 0)] {
        let r = b
            .get(&format!("{list}&pageSize=1&page={page}"), &admin)
            .await;
        assert_eq!(r.body["pagination"]["totalItems"], 2, "{}", r.text);
        assert_eq!(
            r.body["sourceConnections"].as_array().map(Vec::len),
            Some(items),
            "{}",
            r.text
        );
    }
    b.finish().await;
    a.finish().await;
}
