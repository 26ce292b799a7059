use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{TestApp, logs};

/// Exercises every route that touches a connection with a known password
/// and returns every response body.
pub async fn exercise(app: &TestApp, secret: &str) -> Vec<String> {
    let k = &app.admin_key;
    let col = app.collection(k, "leaky").await;
    let mut bodies = Vec::new();
    let r = app
        .post(
            "/api/v1/source-connections",
            k,
            json!({"collectionId": col, "sourceShortName": "postgresql", "name": "db",
                   "credentials": {"host": "h", "port": 5432, "database": "d", "username": "u", "password": secret,
                                   "sshPrivateKey": secret}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["sourceConnection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    bodies.push(r.text);
    let path = format!("/api/v1/source-connections/{id}");
    bodies.push(app.get(&path, k).await.text);
    bodies.push(
        app.get("/api/v1/source-connections?search=db", k)
            .await
            .text,
    );
    bodies.push(app.patch(&path, k, json!({"description": "d"})).await.text);
    bodies.push(
        app.put(&format!("{path}/credentials"), k,
            json!({"credentials": {"host": "h2", "port": 5432, "database": "d", "username": "u", "password": secret}}))
            .await
            .text,
    );
    // Bad input carrying the secret must not echo it.
    bodies.push(
        app.put(
            &format!("{path}/credentials"),
            k,
            json!({"credentials": {"host": "h", "port": secret}}),
        )
        .await
        .text,
    );
    bodies.push(
        app.put(
            &format!("{path}/credentials"),
            k,
            json!({"credentials": secret}),
        )
        .await
        .text,
    );
    bodies.push(
        app.post("/api/v1/source-connections", k,
            json!({"collectionId": col, "sourceShortName": "postgresql", "name": "db2",
                   "credentials": {"host": "h", "port": 5432, "database": "d", "username": "u", "password": [secret]}}))
            .await
            .text,
    );
    // A sync that fails at the source: its job, events and list.
    app.put(&format!("{path}/credentials"), k,
        json!({"credentials": {"host": "127.0.0.1", "port": 5432, "database": "no_such_db", "username": "u",
                               "password": secret, "sslmode": "disable"}}))
        .await;
    let run = app.post(&format!("{path}/run"), k, json!({})).await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.text);
    let sync = run.body["syncId"].as_str().unwrap().to_owned();
    let mut job = app.get(&format!("/api/v1/jobs/{sync}"), k).await;
    for _ in 0..200 {
        if ["failed", "completed"].contains(&job.body["job"]["status"].as_str().unwrap()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        job = app.get(&format!("/api/v1/jobs/{sync}"), k).await;
    }
    assert_eq!(job.body["job"]["status"], "failed", "{}", job.text);
    bodies.push(job.text);
    bodies.push(app.get(&format!("{path}/jobs"), k).await.text);
    bodies.push(
        app.get(&format!("/api/v1/jobs/{sync}/events"), k)
            .await
            .text,
    );
    bodies.push(app.get("/openapi.json", k).await.text);
    bodies.push(app.get("/metrics", k).await.text);
    bodies
}

#[tokio::test]
async fn a_known_secret_appears_nowhere_on_sqlite() {
    let app = TestApp::spawn().await;
    let secret = format!("S3cr3t-{}-pw", rand::random::<u64>());
    for body in exercise(&app, &secret).await {
        assert!(
            !body.contains(&secret),
            "response leaked the secret: {body}"
        );
    }
    assert!(!logs().contains(&secret), "a log line leaked the secret");
    assert!(logs().contains("connection created"), "log capture works");

    // The SQLite files (database and WAL) hold it only encrypted.
    let dir = app.sqlite_dir.as_ref().unwrap().path().to_owned();
    let mut scanned = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        scanned += bytes.len();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the secret is in clear in the SQLite files"
        );
    }
    assert!(scanned > 0);
    app.finish().await;
}
