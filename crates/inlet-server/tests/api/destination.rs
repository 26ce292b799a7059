//! A stored secret is bound to where it is sent: an edit that moves a
//! connection (host, port, user, URL, SSH bastion) without giving its
//! secrets again is refused on every API, recorded, and reaches nobody.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Resp, TestApp};

/// A loopback listener that counts every connection made to it (and the
/// bytes it is sent), standing in for a server an attacker controls.
struct Recorder {
    port: u16,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Recorder {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let seen = accepted.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                seen.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut sink = Vec::new();
                    let _ = tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut sink).await;
                });
            }
        });
        Self {
            port,
            accepted,
            task,
        }
    }

    fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn assert_names(r: &Resp, field: &str) {
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert_eq!(r.body["error"]["field"], field, "{}", r.text);
    assert!(
        r.message()
            .contains("must be given again when the destination changes"),
        "{}",
        r.text
    );
}

async fn create(app: &TestApp, source: &str, credentials: Value) -> String {
    let collection = app
        .collection(&app.admin_key, &format!("bound {}", rand::random::<u32>()))
        .await;
    app.connection(
        &app.admin_key,
        json!({"collectionId": collection, "sourceShortName": source,
               "name": format!("{source} {}", rand::random::<u32>()), "credentials": credentials}),
    )
    .await
}

async fn put_credentials(app: &TestApp, id: &str, credentials: Value) -> Resp {
    app.put(
        &format!("/api/v1/source-connections/{id}/credentials?test=true"),
        &app.admin_key,
        json!({"credentials": credentials}),
    )
    .await
}

#[tokio::test]
async fn a_stored_secret_never_follows_a_new_destination() {
    let app = TestApp::spawn().await;
    let trap = Recorder::start().await;

    // PostgreSQL: another port, through 003's PUT …/credentials?test=true.
    let pg = create(
        &app,
        "postgresql",
        json!({"host": "127.0.0.1", "port": 5432, "database": "app", "username": "reader",
               "password": "pg-bound-secret"}),
    )
    .await;
    let r = put_credentials(
        &app,
        &pg,
        json!({"host": "127.0.0.1", "port": trap.port, "database": "app", "username": "reader"}),
    )
    .await;
    assert_names(&r, "credentials.password");
    // The user the password is sent with is part of where it goes.
    let r = put_credentials(
        &app,
        &pg,
        json!({"host": "127.0.0.1", "port": 5432, "database": "app", "username": "attacker"}),
    )
    .await;
    assert_names(&r, "credentials.password");
    // Nothing was changed.
    let state = app.connection_state(&pg).await;
    assert_eq!(state["credentials"]["port"], 5432, "{state}");
    assert_eq!(state["credentials"]["username"], "reader", "{state}");

    // MySQL: through 001's PATCH and PUT.
    let my = create(
        &app,
        "mysql",
        json!({"host": "127.0.0.1", "port": 3306, "database": "app", "username": "root",
               "password": "my-bound-secret"}),
    )
    .await;
    let numeric = my.trim_start_matches("sc_");
    for method in [reqwest::Method::PATCH, reqwest::Method::PUT] {
        let r = app
            .call(
                method,
                &format!("/api/v1/data-sources/{numeric}?test=true"),
                Some(&app.admin_key),
                Some(json!({"host": "127.0.0.1", "port": trap.port})),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
        assert_eq!(r.body["error"]["field"], "password", "{}", r.text);
        assert!(r.text.contains("destination changes"), "{}", r.text);
    }

    // PostgreSQL through 002's PUT, by name.
    let r = app
        .post(
            "/api/v2/datasource",
            &app.admin_key,
            json!({"datasourceType": "postgres",
                   "credentials": {"name": "pg-002-bound", "host": "127.0.0.1", "port": 5432,
                                   "username": "postgres", "password": "pg-002-secret",
                                   "database": "postgres", "sslmode": "disable"}}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let r = app
        .put(
            "/api/v2/datasource",
            &app.admin_key,
            json!({"datasourceType": "postgres",
                   "credentials": {"name": "pg-002-bound", "host": "127.0.0.1",
                                   "port": trap.port, "username": "postgres",
                                   "database": "postgres", "sslmode": "disable"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("credentials.password"), "{}", r.text);

    // Git: another URL keeps no token.
    let git = create(
        &app,
        "git",
        json!({"url": "https://127.0.0.1:9/repo.git", "token": "git-bound-token"}),
    )
    .await;
    let r = put_credentials(
        &app,
        &git,
        json!({"url": format!("https://127.0.0.1:{}/repo.git", trap.port)}),
    )
    .await;
    assert_names(&r, "credentials.token");

    // SSH: the bastion's secrets are bound to the bastion, the database
    // password to it as well (it travels through the tunnel).
    for secret in ["sshPassword", "sshPrivateKey"] {
        let mut creds = json!({"host": "10.0.0.5", "port": 5432, "database": "app",
                               "username": "reader", "password": "pg-behind-bastion",
                               "useSshTunnel": true, "sshHost": "127.0.0.1", "sshPort": 9,
                               "sshUsername": "tunnel"});
        creds[secret] = json!(format!("{secret}-bound-secret"));
        let id = create(&app, "postgresql", creds.clone()).await;
        let mut moved = creds.clone();
        moved.as_object_mut().unwrap().remove(secret);
        moved["sshPort"] = json!(trap.port);
        // Given again, the database password may follow; the SSH secret may not.
        let r = put_credentials(&app, &id, moved).await;
        assert_names(&r, &format!("credentials.{secret}"));
        // Without either, the first in the spec's order is named.
        let mut bare = creds.clone();
        bare.as_object_mut().unwrap().remove(secret);
        bare.as_object_mut().unwrap().remove("password");
        bare["sshHost"] = json!("127.0.0.3");
        let r = put_credentials(&app, &id, bare).await;
        assert_names(&r, "credentials.password");
    }

    // Nothing ever reached the listener.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(trap.connections(), 0, "a stored secret was sent away");

    // Each refusal is in the audit trail: the fields, never a value.
    let r = app
        .get(
            "/api/v1/audit-events?action=connection.edit_refused&pageSize=100",
            &app.admin_key,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let events = r.body["auditEvents"].as_array().unwrap();
    assert!(events.len() >= 6, "{}", r.text);
    let first = events
        .iter()
        .find(|e| e["objectId"] == pg.as_str())
        .expect("the PostgreSQL refusal");
    assert_eq!(first["summary"]["refusedField"], "credentials.password");
    assert!(
        first["summary"]["fields"]
            .as_array()
            .unwrap()
            .contains(&json!("port"))
    );
    for secret in [
        "pg-bound-secret",
        "my-bound-secret",
        "pg-002-secret",
        "git-bound-token",
        "bound-secret",
    ] {
        assert!(!r.text.contains(secret), "{secret} in the audit trail");
    }

    // Given again, the secret may go to the new place.
    let r = app
        .put(
            &format!("/api/v1/source-connections/{pg}/credentials"),
            &app.admin_key,
            json!({"credentials": {"host": "127.0.0.1", "port": 5433, "database": "app",
                                   "username": "reader", "password": "a-new-one"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // And a change that moves nothing keeps the stored secret.
    let r = app
        .put(
            &format!("/api/v1/source-connections/{pg}/credentials"),
            &app.admin_key,
            json!({"credentials": {"host": "127.0.0.1", "port": 5433, "database": "other",
                                   "username": "reader"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let state = app.connection_state(&pg).await;
    assert_eq!(state["credentials"]["database"], "other", "{state}");
    app.finish().await;
}
