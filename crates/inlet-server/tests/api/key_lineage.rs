//! A key never outlives the key that created it: its expiry is capped at
//! its creator's, and revoking a key or ending the membership of the user
//! whose key made it ends it too.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::TestApp;

/// Creates a key with `creator`; returns (id, secret, expiresAt).
async fn make(app: &TestApp, creator: &str, body: Value) -> (String, String, Value) {
    let r = app.post("/api/v1/api-keys", creator, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let key = &r.body["apiKey"];
    (
        key["id"].as_str().unwrap().to_owned(),
        key["key"].as_str().unwrap().to_owned(),
        key["expiresAt"].clone(),
    )
}

async fn works(app: &TestApp, key: &str) -> bool {
    app.get("/api/v1/collections", key).await.status == StatusCode::OK
}

#[tokio::test]
async fn a_key_never_outlives_the_key_that_made_it() {
    let app = TestApp::spawn().await;
    // An admin key that expires in an hour makes a key asking for none, and
    // one asking for a year: both get the parent's expiry.
    let soon = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let (parent_id, parent, parent_expiry) = make(
        &app,
        &app.admin_key,
        json!({"name": "parent", "scopes": ["admin"], "expiresAt": soon}),
    )
    .await;
    assert!(parent_expiry.is_string(), "{parent_expiry}");
    let (_, child, child_expiry) =
        make(&app, &parent, json!({"name": "child", "scopes": ["admin"]})).await;
    assert_eq!(child_expiry, parent_expiry);
    let later = (chrono::Utc::now() + chrono::Duration::days(365)).to_rfc3339();
    let (_, _, capped) = make(
        &app,
        &parent,
        json!({"name": "later", "scopes": ["read"], "expiresAt": later}),
    )
    .await;
    assert_eq!(capped, parent_expiry);
    // An earlier expiry than the parent's is kept as asked.
    let sooner = (chrono::Utc::now() + chrono::Duration::minutes(5)).to_rfc3339();
    let (_, _, kept) = make(
        &app,
        &parent,
        json!({"name": "sooner", "scopes": ["read"], "expiresAt": sooner}),
    )
    .await;
    assert_ne!(kept, parent_expiry);

    // Revoking the parent ends the child and the child's own child.
    let (_, grandchild, _) = make(
        &app,
        &child,
        json!({"name": "grandchild", "scopes": ["read"]}),
    )
    .await;
    assert!(works(&app, &child).await && works(&app, &grandchild).await);
    let r = app
        .delete(&format!("/api/v1/api-keys/{parent_id}"), &app.admin_key)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for key in [&parent, &child, &grandchild] {
        app.get("/api/v1/collections", key)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    // A key made by another key lives on.
    let (_, sibling, _) = make(
        &app,
        &app.admin_key,
        json!({"name": "sibling", "scopes": ["read"]}),
    )
    .await;
    assert!(works(&app, &sibling).await);
    app.finish().await;
}

#[tokio::test]
async fn a_key_expires_with_the_key_that_made_it() {
    let app = TestApp::spawn().await;
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let (_, parent, _) = make(
        &app,
        &app.admin_key,
        json!({"name": "brief", "scopes": ["admin"], "expiresAt": soon}),
    )
    .await;
    let (_, child, _) = make(
        &app,
        &parent,
        json!({"name": "forever?", "scopes": ["read"]}),
    )
    .await;
    assert!(works(&app, &child).await);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    for key in [&parent, &child] {
        app.get("/api/v1/collections", key)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    app.finish().await;
}

#[tokio::test]
async fn keys_made_by_a_users_key_end_with_the_membership() {
    let app = TestApp::spawn().await;
    let admin = &app.admin_key;
    let r = app
        .post(
            "/api/v1/users",
            admin,
            json!({"email": "lea@example.com", "name": "Lea"}),
        )
        .await;
    let user = r.body["user"]["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &format!("/api/v1/users/{user}/memberships"),
            admin,
            json!({"organizationId": "org_1", "role": "admin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let users_key = app
        .key(&json!({"name": "lea", "scopes": ["admin"], "userId": user}))
        .await;
    // Lea's key makes a service token, which makes another.
    let (_, token, _) = make(
        &app,
        &users_key,
        json!({"name": "ci token", "scopes": ["admin"]}),
    )
    .await;
    let (_, nested, _) = make(&app, &token, json!({"name": "nested", "scopes": ["read"]})).await;
    assert!(works(&app, &token).await && works(&app, &nested).await);
    // A token someone else made is not Lea's.
    let (_, others, _) = make(&app, admin, json!({"name": "ops", "scopes": ["read"]})).await;

    let r = app
        .delete(&format!("/api/v1/users/{user}/memberships/org_1"), admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.get("/api/v1/collections", &users_key)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    for key in [&token, &nested] {
        app.get("/api/v1/collections", key)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    assert!(works(&app, &others).await);
    // Back in the organization, Lea's own key works again; what it made
    // before stays ended.
    app.post(
        &format!("/api/v1/users/{user}/memberships"),
        admin,
        json!({"organizationId": "org_1", "role": "admin"}),
    )
    .await;
    assert!(works(&app, &users_key).await);
    assert!(!works(&app, &token).await);
    app.finish().await;
}
