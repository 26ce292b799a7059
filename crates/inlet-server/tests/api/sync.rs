//! Sync jobs end to end: a real PostgreSQL source and CSV files synced into
//! the server's store by its workers, with exact counts, cancellation, the
//! 409s that keep a syncing connection still, and the event stream.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::harness::{Options, TestApp};

/// A fresh PostgreSQL database dropped on `drop_db`.
pub(crate) struct SourceDb {
    pub(crate) name: String,
}

impl SourceDb {
    pub(crate) async fn create(setup: &str) -> Self {
        let name = format!("inlet_src_{:x}", rand::random::<u64>());
        let mut admin = admin().await;
        exec(&mut admin, &format!("CREATE DATABASE {name}")).await;
        let mut conn =
            sqlx::PgConnection::connect(&format!("postgres://postgres@127.0.0.1:5432/{name}"))
                .await
                .unwrap();
        exec(&mut conn, setup).await;
        Self { name }
    }

    async fn exec(&self, sql: &str) {
        let mut conn = sqlx::PgConnection::connect(&format!(
            "postgres://postgres@127.0.0.1:5432/{}",
            self.name
        ))
        .await
        .unwrap();
        exec(&mut conn, sql).await;
    }

    pub(crate) async fn drop_db(self) {
        let mut admin = admin().await;
        exec(
            &mut admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        )
        .await;
    }
}

async fn admin() -> sqlx::PgConnection {
    sqlx::PgConnection::connect("postgres://postgres@127.0.0.1:5432/postgres")
        .await
        .unwrap()
}

async fn exec(conn: &mut sqlx::PgConnection, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(conn)
        .await
        .unwrap();
}

/// A connection to `db` in a collection of its own.
pub(crate) async fn pg_source(app: &TestApp, db: &SourceDb, config: Value) -> String {
    source(
        app,
        json!({"sourceShortName": "postgresql", "name": "src",
               "credentials": {"host": "127.0.0.1", "port": 5432, "database": db.name,
                               "username": "postgres", "password": "unused", "sslmode": "disable"},
               "config": config}),
    )
    .await
}

/// Creates `body` as a connection in a new collection; returns its id.
pub(crate) async fn source(app: &TestApp, mut body: Value) -> String {
    let col = app
        .collection(&app.admin_key, &format!("c{:x}", rand::random::<u32>()))
        .await;
    body["collectionId"] = Value::String(col);
    app.connection(&app.admin_key, body).await
}

/// Writes `a.csv` under the server's file root and creates a CSV connection to it.
pub(crate) async fn csv_source(app: &TestApp, content: impl AsRef<[u8]>, config: Value) -> String {
    std::fs::write(app.files.join("a.csv"), content).unwrap();
    source(
        app,
        json!({"sourceShortName": "csv", "name": "f", "credentials": {"path": "a.csv"}, "config": config}),
    )
    .await
}

/// Waits until a sync has committed its first batch.
async fn wait_until_inserting(app: &TestApp, sync: &str) {
    loop {
        let r = app
            .get(&format!("/api/v1/jobs/{sync}"), &app.admin_key)
            .await;
        if r.body["job"]["counts"]["inserted"].as_u64().unwrap() > 0 {
            return;
        }
        // Queued until a worker claims it, then running; never final yet.
        let status = r.body["job"]["status"].as_str().unwrap();
        assert!(["queued", "running"].contains(&status), "{}", r.body);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A server syncing a PostgreSQL table of `rows` rows in batches of
/// `batch`, once its first batch is committed: (app, source, connection, sync id).
async fn syncing_a_big_table(
    rows: u32,
    batch: usize,
    postgres: bool,
) -> (TestApp, SourceDb, String, String) {
    let app = TestApp::with(Options {
        batch_size: batch,
        postgres,
        ..Default::default()
    })
    .await;
    let db = SourceDb::create(&format!(
        "CREATE TABLE big (id int PRIMARY KEY, body text);
         INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, {rows}) g;"
    ))
    .await;
    let conn = pg_source(&app, &db, json!({})).await;
    let sync = run(&app, &conn).await;
    wait_until_inserting(&app, &sync).await;
    (app, db, conn, sync)
}

/// Starts a sync and returns its id.
pub(crate) async fn run(app: &TestApp, conn: &str) -> String {
    let r = app
        .post(
            &format!("/api/v1/source-connections/{conn}/run"),
            &app.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["success"], true);
    assert_eq!(r.body["status"], "started");
    let id = r.body["syncId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("sync_"), "{id}");
    id
}

/// Waits for a job to reach a final status and returns it.
pub(crate) async fn wait(app: &TestApp, job: &str) -> Value {
    let job = wait_stored(app, job).await;
    app.index_caught_up().await;
    job
}

/// Waits until `job` has ended in the store (its documents may not be in
/// the node's index yet).
pub(crate) async fn wait_stored(app: &TestApp, job: &str) -> Value {
    for _ in 0..600 {
        let r = app
            .get(&format!("/api/v1/jobs/{job}"), &app.admin_key)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let status = r.body["job"]["status"].as_str().unwrap().to_owned();
        if ["completed", "failed", "cancelled"].contains(&status.as_str()) {
            return r.body["job"].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("job {job} did not finish");
}

fn counts(job: &Value) -> (u64, u64, u64, u64) {
    let c = &job["counts"];
    let n = |k: &str| c[k].as_u64().unwrap();
    (n("inserted"), n("updated"), n("deleted"), n("unchanged"))
}

#[tokio::test]
async fn full_refresh_counts_are_exact_on_the_embedded_store() {
    full_refresh_counts_are_exact_and_an_unchanged_resync_writes_nothing(false).await;
}

#[tokio::test]
async fn full_refresh_counts_are_exact_on_the_postgres_store() {
    full_refresh_counts_are_exact_and_an_unchanged_resync_writes_nothing(true).await;
}

async fn full_refresh_counts_are_exact_and_an_unchanged_resync_writes_nothing(postgres: bool) {
    let app = TestApp::with(Options {
        batch_size: 7,
        postgres,
        ..Default::default()
    })
    .await;
    let db = SourceDb::create(
        "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, body text,
                             amount numeric(40,20) DEFAULT 12345678901234567890.12345678901234567890,
                             big bigint DEFAULT 9007199254740993, raw bytea DEFAULT '\\xdeadbeef');
         INSERT INTO items SELECT g, 'item ' || g, repeat('x', g % 50) FROM generate_series(1, 100) g;",
    )
    .await;
    let conn = pg_source(&app, &db, json!({})).await;

    let job = wait(&app, &run(&app, &conn).await).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(counts(&job), (100, 0, 0, 0));
    assert_eq!(job["counts"]["read"], 100);
    assert_eq!(job["kind"], "sync");
    assert_eq!(job["trigger"], "api");
    assert_eq!(job["streams"][0]["name"], "public.items");
    assert_eq!(job["streams"][0]["status"], "completed");
    assert!(job["durationMs"].as_i64().unwrap() >= 0);
    assert!(job["error"].is_null());

    db.exec(
        "UPDATE items SET name = name || ' (changed)' WHERE id <= 10;
         INSERT INTO items SELECT g, 'item ' || g, '' FROM generate_series(101, 105) g;
         DELETE FROM items WHERE id IN (50, 60, 70);",
    )
    .await;
    let job = wait(&app, &run(&app, &conn).await).await;
    assert_eq!(counts(&job), (5, 10, 3, 87), "{job}");

    let job = wait(&app, &run(&app, &conn).await).await;
    assert_eq!(
        counts(&job),
        (0, 0, 0, 102),
        "an unchanged re-sync writes nothing"
    );

    let c = app.connection_state(&conn).await;
    assert_eq!(c["documentCount"], 102);
    assert_eq!(c["lastSyncStatus"], "completed");
    assert!(c["lastSyncedAt"].is_string());

    // What was indexed: the row as PostgreSQL renders it, keyed by its id.
    let docs = app
        .get(
            &format!("/api/v1/source-connections/{conn}/documents?stream=public.items&pageSize=3"),
            &app.admin_key,
        )
        .await;
    assert_eq!(docs.status, StatusCode::OK, "{}", docs.body);
    assert_eq!(docs.body["pagination"]["totalItems"], 102);
    let first = &docs.body["documents"][0];
    assert_eq!(first["key"], "1");
    assert_eq!(first["title"], "item 1 (changed)");
    assert_eq!(first["data"]["id"], 1);
    assert!(first["text"].as_str().unwrap().contains("item 1 (changed)"));
    assert_eq!(first["contentHash"].as_str().unwrap().len(), 64);
    let one = app
        .get(
            &format!("/api/v1/documents/{}", first["id"].as_str().unwrap()),
            &app.admin_key,
        )
        .await;
    assert_eq!(one.body["document"]["key"], "1");
    let jobs = app
        .get(
            &format!("/api/v1/source-connections/{conn}/jobs"),
            &app.admin_key,
        )
        .await;
    assert_eq!(jobs.body["pagination"]["totalItems"], 3);
    assert_eq!(
        jobs.body["jobs"][0]["counts"]["unchanged"], 102,
        "newest first"
    );

    // Another organization sees none of it.
    let (_, other) = app.org_with_key("other", &["admin"]).await;
    app.get(
        &format!(
            "/api/v1/jobs/{}",
            jobs.body["jobs"][0]["id"].as_str().unwrap()
        ),
        &other,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.get(
        &format!("/api/v1/documents/{}", first["id"].as_str().unwrap()),
        &other,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    for path in [
        format!("/api/v1/source-connections/{conn}/run"),
        format!(
            "/api/v1/jobs/{}/cancel",
            jobs.body["jobs"][0]["id"].as_str().unwrap()
        ),
    ] {
        app.post(&path, &other, json!({}))
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    for path in [
        format!("/api/v1/source-connections/{conn}/data"),
        format!("/api/v1/source-connections/{conn}"),
    ] {
        app.delete(&path, &other)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    let after = app
        .get(
            &format!("/api/v1/source-connections/{conn}/jobs"),
            &app.admin_key,
        )
        .await;
    assert_eq!(
        after.body["pagination"]["totalItems"], 3,
        "nothing queued by the other tenant"
    );
    assert_eq!(after.body["jobs"][0]["status"], "completed");
    assert_eq!(
        app.connection_state(&conn).await["documentCount"],
        102,
        "nothing cleared by the other tenant"
    );

    // Clearing keeps the connection and forgets cursors: the next sync inserts all again.
    let cleared = app
        .delete(
            &format!("/api/v1/source-connections/{conn}/data"),
            &app.admin_key,
        )
        .await;
    assert_eq!(cleared.body["deletedDocuments"], 102, "{}", cleared.body);
    let job = wait(&app, &run(&app, &conn).await).await;
    assert_eq!(counts(&job), (102, 0, 0, 0));

    // Deleting the connection deletes its documents in the same transaction.
    let doc = app
        .get(
            &format!("/api/v1/source-connections/{conn}/documents?pageSize=1"),
            &app.admin_key,
        )
        .await;
    let doc = doc.body["documents"][0]["id"].as_str().unwrap().to_owned();
    let r = app
        .delete(
            &format!("/api/v1/source-connections/{conn}"),
            &app.admin_key,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.get(&format!("/api/v1/documents/{doc}"), &app.admin_key)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let left = app
        .store
        .db()
        .fetch_optional(&inlet_store::db::Sql::new(
            "SELECT count(*) AS n FROM documents",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(left.i64("n").unwrap(), 0, "no orphaned documents");
    app.finish().await;
    db.drop_db().await;
}

#[tokio::test]
async fn incremental_sync_keeps_rows_that_tie_on_the_cursor() {
    let app = TestApp::spawn().await;
    let db = SourceDb::create(
        "CREATE TABLE events (id int PRIMARY KEY, at int NOT NULL, what text);
         INSERT INTO events VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 20, 'c');",
    )
    .await;
    let conn = pg_source(&app, &db, json!({"cursorColumn": "at"})).await;
    let job = wait(&app, &run(&app, &conn).await).await;
    assert_eq!(counts(&job), (3, 0, 0, 0));
    // Committed after the last sync with the same cursor value as its last row.
    db.exec("INSERT INTO events VALUES (4, 20, 'late'), (5, 30, 'new')")
        .await;
    let job = wait(&app, &run(&app, &conn).await).await;
    assert_eq!(job["streams"][0]["mode"], "incremental");
    assert_eq!(counts(&job), (2, 0, 0, 2), "{job}");
    let docs = app
        .get(
            &format!("/api/v1/source-connections/{conn}/documents"),
            &app.admin_key,
        )
        .await;
    assert_eq!(docs.body["pagination"]["totalItems"], 5);
    app.finish().await;
    db.drop_db().await;
}

#[tokio::test]
async fn a_syncing_connection_takes_config_and_answers_409_to_the_rest_until_forced() {
    // No workers: the sync stays queued.
    let app = TestApp::with(Options {
        workers: 0,
        ..Default::default()
    })
    .await;
    let conn = csv_source(&app, "id,name\n1,x\n", json!({})).await;
    let sync = run(&app, &conn).await;
    let path = format!("/api/v1/source-connections/{conn}");
    let busy = |r: crate::harness::Resp| {
        r.assert_error(StatusCode::CONFLICT, "sync_in_progress");
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains(&sync),
            "{}",
            r.body
        );
    };
    busy(
        app.post(&format!("{path}/run"), &app.admin_key, json!({}))
            .await,
    );
    busy(
        app.put(
            &format!("{path}/credentials"),
            &app.admin_key,
            json!({"credentials": {"path": "a.csv"}}),
        )
        .await,
    );
    // A configuration change is accepted and applies from the next sync.
    let r = app
        .put(
            &format!("{path}/config"),
            &app.admin_key,
            json!({"config": {"delimiter": ";"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["configAppliesFrom"], "nextSync");
    assert_eq!(r.body["sourceConnection"]["config"]["delimiter"], ";");
    busy(app.delete(&format!("{path}/data"), &app.admin_key).await);
    busy(app.delete(&path, &app.admin_key).await);
    app.delete(&format!("{path}?keepData=true"), &app.admin_key)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    let job = app
        .get(&format!("/api/v1/jobs/{sync}"), &app.admin_key)
        .await;
    assert_eq!(job.body["job"]["status"], "queued");
    // New credentials with ?cancel=true stop the sync first, then apply.
    let current = app.get(&path, &app.admin_key).await;
    let credentials = &current.body["sourceConnection"]["credentials"];
    let r = app
        .put(
            &format!("{path}/credentials?cancel=true"),
            &app.admin_key,
            json!({"credentials": credentials}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let job = app
        .get(&format!("/api/v1/jobs/{sync}"), &app.admin_key)
        .await;
    assert_eq!(job.body["job"]["status"], "cancelled");
    let r = app
        .put(
            &format!("{path}/config"),
            &app.admin_key,
            json!({"config": {}}),
        )
        .await;
    assert_eq!(r.body["configAppliesFrom"], "now", "{}", r.text);
    // Cancelling a queued job ends it at once and frees the connection.
    let queued = run(&app, &conn).await;
    let c = app
        .post(
            &format!("/api/v1/jobs/{queued}/cancel"),
            &app.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(c.body["job"]["status"], "cancelled", "{}", c.body);
    let again = run(&app, &conn).await;
    assert_ne!(again, queued);
    let r = app
        .delete(&format!("{path}?force=true"), &app.admin_key)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.get(&path, &app.admin_key)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.get(&format!("/api/v1/jobs/{again}"), &app.admin_key)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.get("/api/v1/jobs/sync_999999", &app.admin_key)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.finish().await;
}

#[tokio::test]
async fn switched_off_connections_do_not_sync() {
    let app = TestApp::spawn().await;
    let conn = csv_source(&app, "id\n1\n", json!({})).await;
    app.patch(
        &format!("/api/v1/source-connections/{conn}"),
        &app.admin_key,
        json!({"status": "maintenance"}),
    )
    .await;
    app.post(
        &format!("/api/v1/source-connections/{conn}/run"),
        &app.admin_key,
        json!({}),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "conflict");
    app.finish().await;
}

#[tokio::test]
async fn cancel_stops_a_running_sync_and_the_next_run_continues() {
    let (app, db, conn, sync) = syncing_a_big_table(60000, 200, false).await;
    let c = app
        .post(
            &format!("/api/v1/jobs/{sync}/cancel"),
            &app.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    let job = wait(&app, &sync).await;
    assert_eq!(job["status"], "cancelled", "{job}");
    let kept = job["counts"]["inserted"].as_u64().unwrap();
    assert!(kept > 0 && kept < 60000, "committed batches stay: {kept}");
    let c = app.connection_state(&conn).await;
    assert_eq!(c["documentCount"], kept);
    assert_eq!(c["lastSyncStatus"], "cancelled");
    // The next run resumes after the last committed key: no duplicate, no loss.
    let job = wait(&app, &run(&app, &conn).await).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(
        job["counts"]["inserted"].as_u64().unwrap(),
        60000 - kept,
        "{job}"
    );
    assert!(job["counts"]["read"].as_u64().unwrap() <= 60000 - kept + 200);
    let c = app.connection_state(&conn).await;
    assert_eq!(c["documentCount"], 60000);
    app.finish().await;
    db.drop_db().await;
}

#[tokio::test]
async fn a_source_that_goes_away_fails_the_job_and_keeps_the_server_up() {
    let app = TestApp::spawn().await;
    let conn = csv_source(&app, "id,name\n1,x\n", json!({})).await;
    let job = wait(&app, &run(&app, &conn).await).await;
    assert_eq!(counts(&job), (1, 0, 0, 0));
    std::fs::remove_file(app.files.join("a.csv")).unwrap();
    let job = wait(&app, &run(&app, &conn).await).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["error"]["code"], "file_not_found", "{job}");
    let c = app.connection_state(&conn).await;
    assert_eq!(c["documentCount"], 1, "committed data stays");
    assert_eq!(c["lastSyncStatus"], "failed");
    app.finish().await;
}

#[tokio::test]
async fn the_event_stream_follows_a_job_to_its_end() {
    let app = TestApp::spawn().await;
    let mut csv = String::from("id,name\n");
    for i in 0..2000 {
        csv.push_str(&format!("{i},name {i}\n"));
    }
    let conn = csv_source(&app, csv, json!({"keyColumns": ["id"]})).await;
    let sync = run(&app, &conn).await;
    let events = read_events(&app, &sync, None).await;
    let last = events.last().unwrap();
    assert_eq!(last.0, "end");
    let job: Value = serde_json::from_str(&last.2).unwrap();
    assert_eq!(job["status"], "completed");
    assert_eq!(job["counts"]["inserted"], 2000);
    assert!(
        events.iter().all(|(_, id, _)| !id.is_empty()),
        "every event has an id"
    );
    assert!(
        events[..events.len() - 1]
            .iter()
            .all(|(name, _, _)| name == "progress")
    );
    // Connecting after the end: the final state at once, then the stream closes.
    let again = read_events(&app, &sync, Some(&last.1)).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].0, "end");
    // A Last-Event-ID that is no id of this stream is ignored, not an error.
    let garbled = read_events(&app, &sync, Some("not-an-id")).await;
    assert_eq!(garbled.len(), 1);
    assert_eq!(garbled[0].0, "end");
    assert_eq!(garbled[0].1, last.1);
    app.get("/api/v1/jobs/sync_424242/events", &app.admin_key)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.finish().await;
}

/// Reads a job's event stream to its end with a real HTTP client: (event, id, data).
async fn read_events(
    app: &TestApp,
    job: &str,
    last_id: Option<&str>,
) -> Vec<(String, String, String)> {
    let mut req = app
        .client
        .get(format!("{}/api/v1/jobs/{job}/events", app.base))
        .bearer_auth(&app.admin_key);
    if let Some(id) = last_id {
        req = req.header("Last-Event-ID", id);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut body = resp.bytes_stream();
    let mut text = String::new();
    let read = async {
        while let Some(chunk) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("the stream closes after `end`");
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty() && !block.starts_with(':'))
        .map(|block| {
            let field = |name: &str| {
                block
                    .lines()
                    .filter_map(|l| l.strip_prefix(name))
                    .map(|v| v.trim_start().to_owned())
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            (field("event:"), field("id:"), field("data:"))
        })
        .collect()
}

#[tokio::test]
async fn every_nth_sync_is_a_full_refresh_that_sees_deletes() {
    let app = TestApp::spawn().await;
    let db = SourceDb::create(
        "CREATE TABLE events (id int PRIMARY KEY, at int NOT NULL);
         CREATE TABLE plain (v text);
         INSERT INTO events VALUES (1, 10), (2, 20), (3, 30);
         INSERT INTO plain VALUES ('same'), ('same'), ('other');",
    )
    .await;
    let conn = pg_source(
        &app,
        &db,
        json!({"cursorColumn": "at", "fullRefreshEvery": 3, "tables": ["events", "plain"]}),
    )
    .await;
    let first = wait(&app, &run(&app, &conn).await).await;
    assert_eq!(first["forceFullSync"], false);
    let plain = first["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "public.plain")
        .unwrap();
    assert!(
        plain["notes"][0]
            .as_str()
            .unwrap()
            .contains("no primary key"),
        "{plain}"
    );
    assert_eq!(
        plain["counts"]["inserted"], 2,
        "identical rows are one document"
    );
    db.exec("DELETE FROM events WHERE id = 1").await;
    let second = wait(&app, &run(&app, &conn).await).await;
    let events = |job: &Value| {
        job["streams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "public.events")
            .unwrap()
            .clone()
    };
    assert_eq!(events(&second)["mode"], "incremental");
    assert_eq!(
        events(&second)["counts"]["deleted"],
        0,
        "incremental syncs cannot see deletes"
    );
    let third = wait(&app, &run(&app, &conn).await).await;
    assert_eq!(
        third["forceFullSync"], true,
        "the third sync is a full refresh"
    );
    assert_eq!(events(&third)["mode"], "full");
    assert_eq!(events(&third)["counts"]["deleted"], 1, "{third}");
    app.finish().await;
    db.drop_db().await;
}

#[tokio::test]
async fn a_database_dropped_mid_sync_fails_the_job_and_keeps_committed_batches() {
    let (app, db, conn, sync) = syncing_a_big_table(200000, 100, false).await;
    // The source goes away for good: its backend is terminated and the
    // database dropped.
    let name = db.name.clone();
    db.drop_db().await;
    let job = wait(&app, &sync).await;
    assert_eq!(job["status"], "failed", "{job}");
    let code = job["error"]["code"].as_str().unwrap();
    assert!(
        ["database_not_found", "source_error"].contains(&code),
        "a clear error: {job}"
    );
    assert!(!job["error"]["message"].as_str().unwrap().is_empty());
    let kept = job["counts"]["inserted"].as_u64().unwrap();
    assert!(kept > 0 && kept < 200_000, "{job}");
    let c = app.connection_state(&conn).await;
    assert_eq!(c["documentCount"], kept, "committed batches stay");
    // The server is still up.
    assert_eq!(
        app.get("/api/v1/collections", &app.admin_key).await.status,
        StatusCode::OK
    );
    assert!(!name.is_empty());
    app.finish().await;
}

#[tokio::test]
async fn oversized_records_are_skipped_and_reported() {
    let app = TestApp::spawn().await;
    let db = SourceDb::create(
        "CREATE TABLE docs (id int PRIMARY KEY, body text);
         INSERT INTO docs VALUES (1, 'small'), (2, repeat('y', 1100000)), (3, 'small too');",
    )
    .await;
    let conn = pg_source(&app, &db, json!({})).await;
    let job = wait(&app, &run(&app, &conn).await).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["counts"]["inserted"], 2);
    assert_eq!(job["counts"]["skipped"], 1);
    assert_eq!(job["counts"]["read"], 3);
    let reason = job["streams"][0]["skippedReasons"][0].as_str().unwrap();
    assert!(reason.contains("over the 1048576 byte limit"), "{reason}");
    assert!(!reason.contains("yyyy"), "no data values in reasons");
    app.finish().await;
    db.drop_db().await;
}

#[tokio::test]
async fn a_forced_delete_during_a_running_sync_leaves_nothing_behind() {
    // On the PostgreSQL store, where the delete and a batch in flight take
    // row locks: the delete must wait for the batch, not deadlock with it.
    let (app, db, conn, sync) = syncing_a_big_table(100_000, 100, true).await;
    let r = app
        .delete(
            &format!("/api/v1/source-connections/{conn}?force=true"),
            &app.admin_key,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.get(&format!("/api/v1/jobs/{sync}"), &app.admin_key)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    // Let the worker notice its lost lease, then nothing may be left.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for table in ["documents", "document_seen", "sync_streams", "jobs"] {
        let left = app
            .store
            .db()
            .fetch_optional(&inlet_store::db::Sql::new(&format!(
                "SELECT count(*) AS n FROM {table}"
            )))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(left.i64("n").unwrap(), 0, "{table} left behind");
    }
    assert_eq!(
        app.get("/api/v1/collections", &app.admin_key).await.status,
        StatusCode::OK
    );
    app.finish().await;
    db.drop_db().await;
}

/// `GET /api/v1/jobs`: the organization's jobs across connections, newest
/// first, by status and kind; a restricted key sees its collections' only;
/// bad filters name themselves.
async fn the_organizations_jobs_list_across_connections(postgres: bool) {
    // No workers: syncs stay queued until cancelled.
    let app = TestApp::with(Options {
        workers: 0,
        postgres,
        ..Default::default()
    })
    .await;
    let k = &app.admin_key;
    let first = csv_source(&app, "id\n1\n", json!({})).await;
    // Names are unique in the organization.
    let second = source(
        &app,
        json!({"sourceShortName": "csv", "name": "g", "credentials": {"path": "a.csv"}, "config": {}}),
    )
    .await;
    let a = run(&app, &first).await;
    let b = run(&app, &second).await;
    let r = app
        .post(&format!("/api/v1/jobs/{a}/cancel"), k, json!({}))
        .await;
    assert_eq!(r.body["job"]["status"], "cancelled", "{}", r.body);

    let ids = |r: &crate::harness::Resp| -> Vec<String> {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids(&app.get("/api/v1/jobs", k).await),
        [b.as_str(), a.as_str()]
    );
    assert_eq!(
        ids(&app.get("/api/v1/jobs?status=queued", k).await),
        [b.as_str()]
    );
    assert_eq!(
        ids(&app.get("/api/v1/jobs?status=CANCELLED&kind=sync", k).await),
        [a.as_str()]
    );
    assert!(
        ids(&app.get("/api/v1/jobs?kind=schemaRefresh", k).await).is_empty(),
        "no schema refresh was run"
    );
    let r = app.get("/api/v1/jobs?pageSize=1&page=2", k).await;
    assert_eq!(ids(&r), [a.as_str()]);
    assert_eq!(r.body["pagination"]["totalItems"], 2, "{}", r.body);

    // A key restricted to the second connection's collection sees its job only.
    let collection = app.connection_state(&second).await["collectionId"].clone();
    let restricted = app
        .key(&json!({"name": "one collection", "scopes": ["read"], "collectionIds": [collection]}))
        .await;
    assert_eq!(
        ids(&app.get("/api/v1/jobs", &restricted).await),
        [b.as_str()]
    );
    // Another organization sees none of them.
    let (_, other) = app.org_with_key("Other", &["read"]).await;
    assert!(ids(&app.get("/api/v1/jobs", &other).await).is_empty());

    for (q, field) in [
        ("status=exploded", "status"),
        ("kind=backup", "kind"),
        ("pageSize=0", "pageSize"),
        ("connection=1", "connection"),
    ] {
        let r = app.get(&format!("/api/v1/jobs?{q}"), k).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.body);
        assert!(r.text.contains(field), "{q}: {}", r.text);
    }
    app.finish().await;
}

#[tokio::test]
async fn the_organizations_jobs_on_the_embedded_store() {
    the_organizations_jobs_list_across_connections(false).await;
}

#[tokio::test]
async fn the_organizations_jobs_on_the_postgres_store() {
    the_organizations_jobs_list_across_connections(true).await;
}
