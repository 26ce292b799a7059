use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Options, TestApp};

#[tokio::test]
async fn missing_wrong_revoked_and_expired_keys_are_unauthorized() {
    let app = TestApp::spawn().await;
    app.call(Method::GET, "/api/v1/sources", None, None)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    app.get("/api/v1/sources", "inl_wrong")
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let r = app
        .client
        .get(format!("{}/api/v1/sources", app.base))
        .header("authorization", format!("Basic {}", app.admin_key))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let r = app
        .post(
            "/api/v1/api-keys",
            &app.admin_key,
            json!({"name": "temp", "scopes": ["read"]}),
        )
        .await;
    let key = r.body["apiKey"]["key"].as_str().unwrap().to_owned();
    let id = r.body["apiKey"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get("/api/v1/sources", &key).await.status,
        StatusCode::OK
    );
    // Lists never show secrets.
    let list = app.get("/api/v1/api-keys", &app.admin_key).await;
    assert!(!list.text.contains(&key));
    assert_eq!(list.body["apiKeys"].as_array().unwrap().len(), 2);
    let r = app
        .delete(&format!("/api/v1/api-keys/{id}"), &app.admin_key)
        .await;
    assert!(r.body["apiKey"]["revokedAt"].is_string(), "{}", r.text);
    app.get("/api/v1/sources", &key)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");

    // An expiry in the past is refused at creation; an expired key stops working.
    app.post(
        "/api/v1/api-keys",
        &app.admin_key,
        json!({"name": "old", "scopes": ["read"], "expiresAt": "2001-01-01T00:00:00Z"}),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    let short = app
        .store_key(Some(
            inlet_core::model::now() + chrono::Duration::milliseconds(300),
        ))
        .await;
    assert_eq!(
        app.get("/api/v1/sources", &short).await.status,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    app.get("/api/v1/sources", &short)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    app.finish().await;
}

#[tokio::test]
async fn scopes_are_enforced() {
    let app = TestApp::spawn().await;
    let read = app.key(&json!({"name": "r", "scopes": ["read"]})).await;
    let write = app.key(&json!({"name": "w", "scopes": ["write"]})).await;
    let r = app
        .post("/api/v1/collections", &read, json!({"name": "x"}))
        .await;
    r.assert_error(StatusCode::FORBIDDEN, "forbidden");
    assert!(r.message().contains("write"));
    assert_eq!(
        app.get("/api/v1/collections", &read).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.post("/api/v1/collections", &write, json!({"name": "x"}))
            .await
            .status,
        StatusCode::CREATED
    );
    app.get("/api/v1/api-keys", &write)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.post(
        "/api/v1/api-keys",
        &write,
        json!({"name": "n", "scopes": ["read"]}),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "forbidden");
    // Organization admins are not instance admins.
    let (_, org_admin) = app.org_with_key("acme", &["admin"]).await;
    app.post("/api/v1/organizations", &org_admin, json!({"name": "evil"}))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.get("/api/v1/users", &org_admin)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let r = app
        .post(
            "/api/v1/api-keys",
            &org_admin,
            json!({"name": "n", "scopes": ["read"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    app.post(
        "/api/v1/api-keys",
        &org_admin,
        json!({"name": "n", "scopes": ["root"]}),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    // An admin of organization 1 cannot revoke the instance administrator's key.
    let admin1 = app.key(&json!({"name": "a1", "scopes": ["admin"]})).await;
    app.delete("/api/v1/api-keys/key_1", &admin1)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        app.get("/api/v1/sources", &app.admin_key).await.status,
        StatusCode::OK
    );
    // A collection-restricted admin key cannot list or revoke the organization's keys.
    let col = app.collection(&app.admin_key, "only").await;
    let restricted = app
        .key(&json!({"name": "r", "scopes": ["admin"], "collectionIds": [col]}))
        .await;
    app.get("/api/v1/api-keys", &restricted)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.delete("/api/v1/api-keys/key_2", &restricted)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.finish().await;
}

#[tokio::test]
async fn user_keys_follow_membership_and_role() {
    let app = TestApp::spawn().await;
    let admin = &app.admin_key;
    let r = app
        .post(
            "/api/v1/users",
            admin,
            json!({"email": "Ann@Example.com", "name": "Ann"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["user"]["email"], "ann@example.com");
    let user = r.body["user"]["id"].as_str().unwrap().to_owned();
    app.post(
        "/api/v1/users",
        admin,
        json!({"email": "ann@example.com", "name": "Ann"}),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "conflict");

    // Not a member yet: no key can be made for the organization.
    app.post(
        "/api/v1/api-keys",
        admin,
        json!({"name": "u", "scopes": ["write"], "userId": user}),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    let r = app
        .post(
            &format!("/api/v1/users/{user}/memberships"),
            admin,
            json!({"organizationId": "org_1", "role": "viewer"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let key = app
        .key(&json!({"name": "u", "scopes": ["write"], "userId": user}))
        .await;
    // A viewer's key reads but cannot write, whatever scopes it was given.
    assert_eq!(
        app.get("/api/v1/collections", &key).await.status,
        StatusCode::OK
    );
    app.post("/api/v1/collections", &key, json!({"name": "x"}))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.post(
        &format!("/api/v1/users/{user}/memberships"),
        admin,
        json!({"organizationId": "org_1", "role": "member"}),
    )
    .await;
    assert_eq!(
        app.post("/api/v1/collections", &key, json!({"name": "x"}))
            .await
            .status,
        StatusCode::CREATED
    );
    // Removed from the organization: the key answers 403 (001's "not a member of any organization").
    let r = app
        .delete(&format!("/api/v1/users/{user}/memberships/org_1"), admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.get("/api/v1/collections", &key).await;
    r.assert_error(StatusCode::FORBIDDEN, "forbidden");
    assert!(r.message().contains("not a member"));
    let r = app
        .get(&format!("/api/v1/users/{user}/memberships"), admin)
        .await;
    assert_eq!(r.body["memberships"], json!([]));
    app.finish().await;
}

#[tokio::test]
async fn rate_limit_answers_429_with_headers() {
    let app = TestApp::with(Options {
        rate_limit: 3,
        ..Default::default()
    })
    .await;
    for i in 0..3 {
        let r = app.get("/api/v1/sources", &app.admin_key).await;
        assert_eq!(r.status, StatusCode::OK, "request {i}");
        assert_eq!(r.headers["ratelimit-limit"], "3");
        assert_eq!(
            r.headers["ratelimit-remaining"],
            (2 - i).to_string().as_str()
        );
    }
    let r = app.get("/api/v1/sources", &app.admin_key).await;
    r.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry), "{retry}");
    assert_eq!(r.headers["ratelimit-remaining"], "0");
    // Another key has its own bucket.
    let other = app.store_key(None).await;
    assert_eq!(
        app.get("/api/v1/sources", &other).await.status,
        StatusCode::OK
    );
    app.finish().await;
}
