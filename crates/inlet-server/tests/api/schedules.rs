//! Scheduled and continuous syncs: validation of `schedule`, `timezone` and
//! `continuous` (400s naming the field), `nextSyncAt` shown and recomputed,
//! a due run fired exactly once by two nodes on one PostgreSQL database
//! (missed runs collapsing into one), skipped while a sync is active, not
//! fired for switched-off connections, and continuous syncs repeating.

use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};
use inlet_store::db::Sql;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Options, TestApp};

/// Creates a connection in a fresh collection; returns its id.
async fn create(app: &TestApp, short_name: &str, credentials: Value, config: Value) -> String {
    let col = app
        .collection(&app.admin_key, &format!("c{:x}", rand::random::<u32>()))
        .await;
    app.connection(
        &app.admin_key,
        json!({"collectionId": col, "sourceShortName": short_name,
               "name": format!("s{:x}", rand::random::<u32>()),
               "credentials": credentials, "config": config}),
    )
    .await
}

/// A CSV file under the server's file root and a connection to it.
async fn csv(app: &TestApp, config: Value) -> String {
    std::fs::write(app.files.join("a.csv"), "id,name\n1,a\n2,b\n").unwrap();
    create(app, "csv", json!({"path": "a.csv"}), config).await
}

fn next_sync_at(conn: &Value) -> Option<DateTime<Utc>> {
    conn["nextSyncAt"].as_str().map(|s| {
        assert!(s.ends_with('Z'), "{s}");
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    })
}

/// The connection's sync jobs, newest first.
async fn syncs(app: &TestApp, conn: &str) -> Vec<Value> {
    let r = app
        .get(
            &format!("/api/v1/source-connections/{conn}/jobs?pageSize=100"),
            &app.admin_key,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["kind"] == "sync")
        .cloned()
        .collect()
}

fn scheduled(jobs: &[Value]) -> usize {
    jobs.iter().filter(|j| j["trigger"] == "schedule").count()
}

/// Puts a connection's next scheduled run `ago` in the past, straight in
/// the store (as if every node had been down since).
async fn make_due(app: &TestApp, conn: &str, ago: chrono::Duration) {
    let id: i64 = conn.trim_start_matches("sc_").parse().unwrap();
    let at = (Utc::now() - ago).timestamp_millis();
    let n = app
        .store
        .db()
        .write(
            &Sql::new("UPDATE connections SET next_sync_at = ? WHERE id = ? RETURNING id")
                .arg(at)
                .arg(id),
        )
        .await
        .unwrap();
    assert_eq!(n.len(), 1);
}

/// Waits until `conn` has `n` scheduled syncs, all final; returns its syncs.
async fn wait_for_scheduled(app: &TestApp, conn: &str, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let jobs = syncs(app, conn).await;
        let done = jobs
            .iter()
            .all(|j| ["completed", "failed", "cancelled"].contains(&j["status"].as_str().unwrap()));
        if scheduled(&jobs) >= n && done {
            return jobs;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{conn} did not get {n} scheduled syncs: {:?}",
        syncs(app, conn).await
    );
}

fn assert_invalid(r: &crate::harness::Resp, field: &str) {
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert_eq!(r.body["error"]["field"], field, "{}", r.text);
    assert!(r.message().starts_with(&format!("{field}: ")), "{}", r.text);
}

#[tokio::test]
async fn bad_schedules_are_400s_naming_the_field() {
    let app = TestApp::with(Options {
        min_sync_interval: Duration::from_secs(3600),
        ..Default::default()
    })
    .await;
    let col = app.collection(&app.admin_key, "c").await;
    std::fs::write(app.files.join("a.csv"), "id\n1\n").unwrap();
    std::fs::create_dir(app.files.join("docs")).unwrap();
    let create = |short: &str, credentials: Value, config: Value| {
        app.post(
            "/api/v1/source-connections",
            &app.admin_key,
            json!({"collectionId": col, "sourceShortName": short, "name": "x",
                   "credentials": credentials, "config": config}),
        )
    };
    let csv = json!({"path": "a.csv"});
    let folder = json!({"path": "docs"});
    for (config, field) in [
        (json!({"schedule": "every morning"}), "config.schedule"),
        (json!({"schedule": "0 25 * * *"}), "config.schedule"),
        (json!({"schedule": ""}), "config.schedule"),
        (json!({"schedule": 5}), "config.schedule"),
        (
            json!({"schedule": "@daily", "timezone": "Mars/Olympus"}),
            "config.timezone",
        ),
        (json!({"continuous": true}), "config.continuous"),
        (json!({"continuous": "yes"}), "config.continuous"),
    ] {
        let r = create("csv", csv.clone(), config.clone()).await;
        assert_invalid(&r, field);
    }
    // Too frequent for INLET_MIN_SYNC_INTERVAL (1h here).
    let r = create("csv", csv.clone(), json!({"schedule": "*/5 * * * *"})).await;
    assert_invalid(&r, "config.schedule");
    assert!(
        r.message().contains("minimum sync interval of 1h"),
        "{}",
        r.text
    );
    // Continuous is for source types that support it, and never with a schedule.
    let r = create(
        "folder",
        folder.clone(),
        json!({"continuous": true, "schedule": "@daily"}),
    )
    .await;
    assert_invalid(&r, "config.continuous");
    assert!(
        r.message()
            .contains("cannot be combined with config.schedule"),
        "{}",
        r.text
    );
    let r = create("csv", csv.clone(), json!({"continuous": true})).await;
    assert!(r.message().contains("supportsContinuous"), "{}", r.text);
    // Nothing was created.
    let r = app.get("/api/v1/source-connections", &app.admin_key).await;
    assert_eq!(r.body["pagination"]["totalItems"], 0, "{}", r.body);

    // The same checks on PUT …/config, which leaves the config as it was.
    let conn = app
        .connection(
            &app.admin_key,
            json!({"collectionId": col, "sourceShortName": "csv", "name": "ok",
                   "credentials": csv, "config": {"schedule": "@daily"}}),
        )
        .await;
    let path = format!("/api/v1/source-connections/{conn}/config");
    let put = |config: Value| app.put(&path, &app.admin_key, json!({"config": config}));
    for (config, field) in [
        (json!({"schedule": "* * *"}), "config.schedule"),
        (json!({"schedule": "0,30 * * * *"}), "config.schedule"),
        (
            json!({"schedule": "@daily", "timezone": "Europe/Pariss"}),
            "config.timezone",
        ),
        (json!({"continuous": true}), "config.continuous"),
    ] {
        assert_invalid(&put(config).await, field);
    }
    let c = app.connection_state(&conn).await;
    assert_eq!(c["config"], json!({"schedule": "@daily"}));
    // The catalog shows the fields for every source type.
    let r = app.get("/api/v1/sources/folder", &app.admin_key).await;
    let names: Vec<&str> = r.body["source"]["configFields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    for f in ["schedule", "timezone", "continuous"] {
        assert!(names.contains(&f), "{names:?}");
    }
    app.finish().await;
}

#[tokio::test]
async fn next_sync_at_is_shown_and_recomputed() {
    let app = TestApp::spawn().await;
    let conn = csv(
        &app,
        json!({"schedule": "0 9 * * *", "timezone": "Europe/Paris"}),
    )
    .await;
    let c = app.connection_state(&conn).await;
    let next = next_sync_at(&c).expect("nextSyncAt");
    let now = Utc::now();
    assert!(
        next > now && next <= now + chrono::Duration::days(1),
        "{next}"
    );
    let paris = next.with_timezone(&chrono_tz::Europe::Paris);
    assert_eq!(
        (paris.hour(), paris.minute(), paris.second()),
        (9, 0, 0),
        "{paris}"
    );
    // The list shows it too.
    let r = app.get("/api/v1/source-connections", &app.admin_key).await;
    assert_eq!(
        r.body["sourceConnections"][0]["nextSyncAt"], c["nextSyncAt"],
        "{}",
        r.body
    );

    // A new schedule moves it; continuous (folder) sets it; clearing nulls it.
    let path = format!("/api/v1/source-connections/{conn}/config");
    let put = |config: Value| app.put(&path, &app.admin_key, json!({"config": config}));
    let r = put(json!({"schedule": "@hourly"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let next = next_sync_at(&r.body["sourceConnection"]).unwrap();
    assert_eq!((next.minute(), next.second()), (0, 0), "{next}");
    assert!(next > Utc::now() && next <= Utc::now() + chrono::Duration::hours(1));
    let r = put(json!({"schedule": "@hourly", "timezone": null})).await;
    assert_eq!(next_sync_at(&r.body["sourceConnection"]), Some(next));
    let r = put(json!({"hasHeader": true})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["sourceConnection"]["nextSyncAt"], Value::Null);
    let r = app.get("/api/v1/source-connections", &app.admin_key).await;
    assert_eq!(r.body["sourceConnections"][0]["nextSyncAt"], Value::Null);

    std::fs::create_dir(app.files.join("docs")).unwrap();
    let folder = create(
        &app,
        "folder",
        json!({"path": "docs"}),
        json!({"continuous": true}),
    )
    .await;
    let next = next_sync_at(&app.connection_state(&folder).await).unwrap();
    assert!(next > Utc::now() && next <= Utc::now() + chrono::Duration::seconds(30));
    // No schedule: null.
    let plain = csv(&app, json!({})).await;
    assert_eq!(
        app.connection_state(&plain).await["nextSyncAt"],
        Value::Null
    );
    app.finish().await;
}

#[tokio::test]
async fn a_due_schedule_fires_exactly_once_across_two_nodes() {
    let tick = Some(Duration::from_millis(20));
    let one = TestApp::with(Options {
        postgres: true,
        sync_scheduler: tick,
        ..Default::default()
    })
    .await;
    // The second node runs only the scheduler: its file root is its own,
    // so the syncs are left to the first node's workers.
    let two = TestApp::with(Options {
        sync_scheduler: tick,
        workers: 0,
        ..one.node_options()
    })
    .await;
    // Yearly, so no new slot comes due while the test runs (an hourly one
    // did when the test ran across the hour).
    let conn = csv(&one, json!({"schedule": "@yearly"})).await;
    one.activate(&conn).await;
    assert!(syncs(&one, &conn).await.is_empty());

    // A slot missed hours ago while "every node was down": one run.
    make_due(&one, &conn, chrono::Duration::hours(5)).await;
    let jobs = wait_for_scheduled(&one, &conn, 1).await;
    assert_eq!(jobs[0]["status"], "completed", "{}", jobs[0]);
    // Both schedulers tick many more times; nothing else fires.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let jobs = syncs(&one, &conn).await;
    assert_eq!((jobs.len(), scheduled(&jobs)), (1, 1), "{jobs:?}");
    let next = next_sync_at(&two.connection_state(&conn).await).unwrap();
    assert!(next > Utc::now(), "the next slot is after now: {next}");
    assert_eq!((next.minute(), next.second()), (0, 0));

    // The next due slot: exactly one more.
    make_due(&one, &conn, chrono::Duration::seconds(1)).await;
    wait_for_scheduled(&one, &conn, 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let jobs = syncs(&one, &conn).await;
    assert_eq!((jobs.len(), scheduled(&jobs)), (2, 2), "{jobs:?}");
    two.finish().await;
    one.finish().await;
}

#[tokio::test]
async fn active_syncs_skip_a_slot_and_switched_off_connections_do_not_fire() {
    // No workers: a queued sync stays queued.
    let app = TestApp::with(Options {
        workers: 0,
        sync_scheduler: Some(Duration::from_millis(20)),
        ..Default::default()
    })
    .await;
    let conn = csv(&app, json!({"schedule": "@daily"})).await;
    // Not active yet (pending): a due run waits.
    make_due(&app, &conn, chrono::Duration::minutes(1)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(syncs(&app, &conn).await.is_empty());
    assert!(next_sync_at(&app.connection_state(&conn).await).unwrap() < Utc::now());

    // Active, with a sync already queued: the slot is skipped, not queued twice.
    // (Not due while it is activated, or the schedule could queue first.)
    make_due(&app, &conn, chrono::Duration::hours(-1)).await;
    app.activate(&conn).await;
    crate::sync::run(&app, &conn).await;
    make_due(&app, &conn, chrono::Duration::minutes(1)).await;
    for _ in 0..500 {
        if next_sync_at(&app.connection_state(&conn).await).unwrap() > Utc::now() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(next_sync_at(&app.connection_state(&conn).await).unwrap() > Utc::now());
    let jobs = syncs(&app, &conn).await;
    assert_eq!((jobs.len(), scheduled(&jobs)), (1, 0), "{jobs:?}");

    // Switched off: never fires.
    let r = app
        .post(
            &format!("/api/v1/jobs/{}/cancel", jobs[0]["id"].as_str().unwrap()),
            &app.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .patch(
            &format!("/api/v1/source-connections/{conn}"),
            &app.admin_key,
            json!({"status": "inactive"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    make_due(&app, &conn, chrono::Duration::minutes(1)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(scheduled(&syncs(&app, &conn).await), 0);
    app.finish().await;
}

#[tokio::test]
async fn continuous_connections_sync_again_and_again() {
    let interval = Duration::from_millis(300);
    let app = TestApp::with(Options {
        continuous_interval: interval,
        sync_scheduler: Some(inlet_worker::sync_scheduler_tick(interval)),
        ..Default::default()
    })
    .await;
    // CSV has no supportsContinuous; folders do.
    std::fs::create_dir(app.files.join("docs")).unwrap();
    std::fs::write(app.files.join("docs/a.txt"), "hello").unwrap();
    let conn = create(
        &app,
        "folder",
        json!({"path": "docs"}),
        json!({"continuous": true}),
    )
    .await;
    app.activate(&conn).await;
    let jobs = wait_for_scheduled(&app, &conn, 3).await;
    assert!(
        jobs.iter()
            .all(|j| j["trigger"] == "schedule" && j["status"] == "completed"),
        "{jobs:?}"
    );
    // A file added meanwhile is picked up by a later run.
    std::fs::write(app.files.join("docs/b.txt"), "world").unwrap();
    let mut found = false;
    for _ in 0..400 {
        if app.connection_state(&conn).await["documentCount"] == 2 {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(found, "the new file was synced");
    // Switching continuous off stops it (PUT config waits for no active sync).
    let mut stopped = false;
    for _ in 0..1000 {
        let r = app
            .put(
                &format!("/api/v1/source-connections/{conn}/config"),
                &app.admin_key,
                json!({"config": {}}),
            )
            .await;
        if r.status == StatusCode::OK {
            assert_eq!(r.body["sourceConnection"]["nextSyncAt"], Value::Null);
            stopped = true;
            break;
        }
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(stopped);
    let before = scheduled(&syncs(&app, &conn).await);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(scheduled(&syncs(&app, &conn).await), before);
    app.finish().await;
}
