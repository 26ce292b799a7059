use reqwest::StatusCode;
use serde_json::json;

use crate::harness::TestApp;

/// Every route that takes an id answers 404 for another organization's object.
#[tokio::test]
async fn other_organizations_objects_are_not_found_everywhere() {
    let app = TestApp::spawn().await;
    let (_, a) = app.org_with_key("alpha", &["admin"]).await;
    let (_, b) = app.org_with_key("beta", &["admin"]).await;
    let col = app.collection(&a, "secret-plans").await;
    let sc = app
        .pg_connection(&a, &col, "alpha-db", "pw-isolation")
        .await;
    let key_id = app
        .post(
            "/api/v1/api-keys",
            &a,
            json!({"name": "n", "scopes": ["read"]}),
        )
        .await
        .body["apiKey"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let col_path = format!("/api/v1/collections/{col}");
    let sc_path = format!("/api/v1/source-connections/{sc}");
    let not_found = [
        app.get(&col_path, &b).await,
        app.patch(&col_path, &b, json!({"name": "mine"})).await,
        app.delete(&col_path, &b).await,
        app.get(&sc_path, &b).await,
        app.patch(&sc_path, &b, json!({"name": "mine"})).await,
        app.put(&format!("{sc_path}/credentials"), &b, json!({"credentials": {}})).await,
        app.put(&format!("{sc_path}/config"), &b, json!({"config": {}})).await,
        app.delete(&sc_path, &b).await,
        app.delete(&format!("/api/v1/api-keys/{key_id}"), &b).await,
        app.get("/api/v1/organizations/org_2", &b).await,
        app.post(
            "/api/v1/source-connections",
            &b,
            json!({"collectionId": col, "sourceShortName": "csv", "name": "x", "credentials": {"path": "a.csv"}}),
        )
        .await,
    ];
    for r in &not_found {
        r.assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    // Lists show nothing of the other organization.
    for path in [
        "/api/v1/collections",
        "/api/v1/source-connections",
        &format!("/api/v1/source-connections?collectionId={col}"),
    ] {
        let r = app.get(path, &b).await;
        assert_eq!(r.body["pagination"]["totalItems"], 0, "{path}: {}", r.text);
    }
    let r = app.get("/api/v1/api-keys", &b).await;
    assert!(!r.text.contains(&key_id));
    // An organization admin cannot list another organization's keys.
    app.get("/api/v1/api-keys?organizationId=org_2", &b)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    // And the owner still has everything, untouched.
    let r = app.get(&sc_path, &a).await;
    assert_eq!(r.body["sourceConnection"]["name"], "alpha-db");
    let r = app.get(&col_path, &a).await;
    assert_eq!(r.body["collection"]["name"], "secret-plans");
    app.finish().await;
}

#[tokio::test]
async fn collection_restricted_keys_see_only_their_collections() {
    let app = TestApp::spawn().await;
    let admin = &app.admin_key;
    let mine = app.collection(admin, "mine").await;
    let theirs = app.collection(admin, "theirs").await;
    let sc_mine = app.pg_connection(admin, &mine, "m", "pw-r1").await;
    let sc_theirs = app.pg_connection(admin, &theirs, "t", "pw-r2").await;
    let key = app
        .key(&json!({"name": "restricted", "scopes": ["write"], "collectionIds": [mine]}))
        .await;

    assert_eq!(
        app.get(&format!("/api/v1/source-connections/{sc_mine}"), &key)
            .await
            .status,
        StatusCode::OK
    );
    let r = app
        .get(&format!("/api/v1/source-connections/{sc_theirs}"), &key)
        .await;
    r.assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.patch(
        &format!("/api/v1/source-connections/{sc_theirs}"),
        &key,
        json!({"name": "x"}),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.delete(&format!("/api/v1/source-connections/{sc_theirs}"), &key)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.get(&format!("/api/v1/collections/{theirs}"), &key)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.get(
        &format!("/api/v1/source-connections?collectionId={theirs}"),
        &key,
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.post(
        "/api/v1/source-connections",
        &key,
        json!({"collectionId": theirs, "sourceShortName": "csv", "name": "x", "credentials": {"path": "a.csv"}}),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.post("/api/v1/collections", &key, json!({"name": "new"}))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");

    let r = app.get("/api/v1/source-connections", &key).await;
    assert_eq!(r.body["pagination"]["totalItems"], 1);
    assert_eq!(r.body["sourceConnections"][0]["id"], sc_mine.as_str());
    let r = app.get("/api/v1/collections", &key).await;
    assert_eq!(r.body["pagination"]["totalItems"], 1);
    // Unknown collection in a restriction is refused at creation.
    app.post(
        "/api/v1/api-keys",
        admin,
        json!({"name": "bad", "scopes": ["read"], "collectionIds": ["col_999"]}),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    app.finish().await;
}
