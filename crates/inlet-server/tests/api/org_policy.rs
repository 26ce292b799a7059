//! Each organization's outbound policy: later organizations start denied
//! loopback, Inlet's own address and every file root; an instance
//! administrator widens or narrows it. Unspecified addresses are refused
//! whatever the policy.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Options, Resp, TestApp};

async fn test_new(app: &TestApp, key: &str, source: &str, credentials: Value) -> Resp {
    let collection = app
        .collection(key, &format!("c{}", rand::random::<u32>()))
        .await;
    app.post(
        "/api/v1/source-connections?test=true",
        key,
        json!({"collectionId": collection, "sourceShortName": source,
               "name": format!("probe {}", rand::random::<u32>()), "credentials": credentials}),
    )
    .await
}

fn postgres_at(host: &str, port: u16) -> Value {
    json!({"host": host, "port": port, "database": "postgres", "username": "postgres",
           "password": "unused", "sslmode": "disable"})
}

fn policy_path(org: &str) -> String {
    format!("/api/v1/organizations/{org}/outbound-policy")
}

#[tokio::test]
async fn a_new_organization_cannot_reach_the_inlet_host() {
    let app = TestApp::spawn().await;
    let (org, key) = app.org_with_key("tenant-b", &["admin"]).await;

    // Its policy, as an instance administrator reads it.
    let r = app.get(&policy_path(&org), &app.admin_key).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body["outboundPolicy"],
        json!({"allowedNetworks": [], "deniedNetworks": [], "denyLocal": true, "fileRoots": []})
    );
    // The instance's own organization is not narrowed.
    let r = app.get(&policy_path("org_1"), &app.admin_key).await;
    assert_eq!(r.body["outboundPolicy"]["denyLocal"], false, "{}", r.text);
    assert_eq!(r.body["outboundPolicy"]["fileRoots"], Value::Null);
    // Only instance administrators see or set it.
    app.get(&policy_path(&org), &key)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.put(&policy_path(&org), &key, json!({"denyLocal": false}))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");

    // The PostgreSQL on this host (trust auth) is refused before any
    // connection, and an open port answers exactly as a closed one.
    let open = test_new(&app, &key, "postgresql", postgres_at("127.0.0.1", 5432)).await;
    open.assert_error(StatusCode::BAD_REQUEST, "network_not_allowed");
    assert!(open.message().contains("organization"), "{}", open.text);
    let closed = test_new(&app, &key, "postgresql", postgres_at("127.0.0.1", 1)).await;
    closed.assert_error(StatusCode::BAD_REQUEST, "network_not_allowed");
    assert_eq!(open.message(), closed.message());
    for host in ["::1", "localhost", "127.1.2.3"] {
        test_new(&app, &key, "postgresql", postgres_at(host, 5432))
            .await
            .assert_error(StatusCode::BAD_REQUEST, "network_not_allowed");
    }
    // The first organization reaches it as before.
    let r = test_new(
        &app,
        &app.admin_key,
        "postgresql",
        postgres_at("127.0.0.1", 5432),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // Bad policies name the field and change nothing.
    for (body, field) in [
        (
            json!({"denyLocal": false, "allowedNetworks": ["nope"]}),
            "allowedNetworks[0]",
        ),
        (
            json!({"denyLocal": false, "deniedNetworks": ["10.0.0.0/8", "10.0.0.0/99"]}),
            "deniedNetworks[1]",
        ),
        (
            json!({"denyLocal": false, "fileRoots": ["/etc"]}),
            "fileRoots[0]",
        ),
        (
            json!({"denyLocal": false, "fileRoots": ["relative"]}),
            "fileRoots[0]",
        ),
    ] {
        let r = app.put(&policy_path(&org), &app.admin_key, body).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
        assert_eq!(r.body["error"]["field"], field, "{}", r.text);
    }
    let missing = app.files.join("no-such-dir").display().to_string();
    let r = app
        .put(
            &policy_path(&org),
            &app.admin_key,
            json!({"denyLocal": false, "fileRoots": [missing]}),
        )
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(r.message().contains("existing directory"), "{}", r.text);
    app.put(
        &policy_path(&org),
        &app.admin_key,
        json!({"denyLocal": false, "surprise": 1}),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    app.put(
        &policy_path("org_999"),
        &app.admin_key,
        json!({"denyLocal": false}),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    let r = app.get(&policy_path(&org), &app.admin_key).await;
    assert_eq!(r.body["outboundPolicy"]["denyLocal"], true, "{}", r.text);

    // Allowed by the administrator, it connects; a denied network still not.
    let r = app
        .put(
            &policy_path(&org),
            &app.admin_key,
            json!({"denyLocal": false, "deniedNetworks": ["127.0.0.2"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body["outboundPolicy"]["deniedNetworks"],
        json!(["127.0.0.2/32"])
    );
    // Leaving fileRoots out grants none: editing networks never widens files.
    assert_eq!(
        r.body["outboundPolicy"]["fileRoots"],
        json!([]),
        "{}",
        r.text
    );
    let r = test_new(&app, &key, "postgresql", postgres_at("127.0.0.1", 5432)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    test_new(&app, &key, "postgresql", postgres_at("127.0.0.2", 5432))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "network_not_allowed");
    // And an allow list bounds it.
    app.put(
        &policy_path(&org),
        &app.admin_key,
        json!({"denyLocal": false, "allowedNetworks": ["127.0.0.3/32"]}),
    )
    .await;
    test_new(&app, &key, "postgresql", postgres_at("127.0.0.1", 5432))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "network_not_allowed");

    // Each change is in the organization's audit trail.
    let r = app
        .get(
            "/api/v1/audit-events?action=organization.outbound_policy_set",
            &key,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body["auditEvents"].as_array().unwrap().len(),
        2,
        "{}",
        r.text
    );
    app.finish().await;
}

#[tokio::test]
async fn each_organization_reads_only_its_own_files() {
    let app = TestApp::spawn().await;
    std::fs::write(app.files.join("a.csv"), "id,secret\n1,first-org-row\n").unwrap();
    let (org, key) = app.org_with_key("tenant-files", &["admin"]).await;
    let mine = app.files.join("a.csv").display().to_string();
    let missing = app.files.join("nothing-here.csv").display().to_string();

    // Not granted a root: the first organization's file is refused, exactly
    // as a file that does not exist.
    let taken = test_new(&app, &key, "csv", json!({"path": mine})).await;
    taken.assert_error(StatusCode::BAD_REQUEST, "path_not_allowed");
    let absent = test_new(&app, &key, "csv", json!({"path": missing})).await;
    assert_eq!(taken.text, absent.text);
    let relative = test_new(&app, &key, "csv", json!({"path": "a.csv"})).await;
    assert_eq!(relative.text, absent.text);

    // Granted its own directory, it reads there and only there.
    let own = app.files.join("tenant-files");
    std::fs::create_dir_all(&own).unwrap();
    std::fs::write(own.join("b.csv"), "id,name\n1,second-org-row\n").unwrap();
    let r = app
        .put(
            &policy_path(&org),
            &app.admin_key,
            json!({"denyLocal": true, "fileRoots": [own.display().to_string()]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = test_new(&app, &key, "csv", json!({"path": "b.csv"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let again = test_new(&app, &key, "csv", json!({"path": mine})).await;
    assert_eq!(again.text, taken.text);
    let up = test_new(&app, &key, "csv", json!({"path": "../a.csv"})).await;
    assert_eq!(up.text, taken.text);
    // The first organization keeps every root.
    let r = test_new(&app, &app.admin_key, "csv", json!({"path": "a.csv"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    app.finish().await;
}

#[tokio::test]
async fn unspecified_addresses_never_reach_loopback() {
    let app = TestApp::with(Options {
        denied: "127.0.0.0/8, ::1/128",
        ..Options::default()
    })
    .await;
    for host in [
        "127.0.0.1",
        "0.0.0.0",
        "0",
        "::",
        "::ffff:0.0.0.0",
        "0.1.2.3",
    ] {
        let r = test_new(&app, &app.admin_key, "postgresql", postgres_at(host, 5432)).await;
        r.assert_error(StatusCode::BAD_REQUEST, "network_not_allowed");
    }
    app.finish().await;
}
