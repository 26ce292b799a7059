//! Several nodes on one PostgreSQL database: two real `inlet serve`
//! processes share the job queue (each job runs once, wherever it was
//! queued), a node killed mid-job leaves the job to the other once its lease
//! expires, schema refreshes are not doubled, and a write through one node
//! is seen at once in the other's cached lists. Each node keeps its own
//! search index: a sync through one is found through the other with
//! `after`, and both rank alike.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{
    Process, TempDb, big_table, create_connection, get, inlet, rand_suffix, run, serve, wait_job,
};
use serde_json::json;
use sqlx::Row;

/// `inlet serve` on the shared store `db`; both nodes share the data
/// directory (so the master key) and the file root, each its own index.
fn node(data: &Path, db: &TempDb, key: &str, env: &[(&str, &str)]) -> (Process, String, PathBuf) {
    let mut cmd = inlet(data, "serve");
    let index = data.join(format!("index-{:x}", rand_suffix()));
    cmd.env("INLET_DATABASE_URL", &db.url)
        .env("INLET_INDEX_DIR", &index)
        .env("INLET_JOB_LEASE", "3s")
        .env("INLET_SYNC_BATCH_SIZE", "500");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let (process, base) = serve(cmd, key);
    (process, base, index)
}

/// The ids of a search's first page on one node, and its total.
async fn top20(
    client: &reqwest::Client,
    key: &str,
    base: &str,
    q: &str,
    after: Option<u64>,
) -> (Vec<String>, serde_json::Value) {
    let after = after.map(|a| format!("&after={a}")).unwrap_or_default();
    let r = get(
        client,
        &format!("{base}/api/v1/search?q={q}&limit=20{after}"),
        key,
    )
    .await;
    let ids = r["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{q}: {r}"))
        .iter()
        .map(|h| h["documentId"].as_str().unwrap().to_owned())
        .collect();
    (ids, r["total"].clone())
}

/// Waits until `base` answers /readyz with 200.
async fn ready(client: &reqwest::Client, base: &str) {
    for _ in 0..600 {
        let r = client.get(format!("{base}/readyz")).send().await.unwrap();
        if r.status().is_success() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{base} never became ready");
}

/// Fixed queries whose first pages every node must answer alike.
const QUERIES: [&str; 5] = ["row", "%22row+7%22", "7+OR+8", "ro*", "row+-7"];

/// The node (`host-pid-tag`) of a job's last worker (`host-pid-tag/slot`).
fn node_of(worker: &str) -> &str {
    worker.rsplit_once('/').map_or(worker, |(node, _)| node)
}

#[tokio::test]
async fn two_nodes_share_the_queue_and_run_each_job_once() {
    const CONNECTIONS: usize = 50;
    const ROWS: usize = 40;
    let store = TempDb::create("inlet_nodes").await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    std::fs::create_dir_all(data.join("files")).unwrap();
    for i in 0..CONNECTIONS {
        let mut csv = String::from("id,name\n");
        for r in 0..ROWS {
            csv.push_str(&format!("{r},row {r} of {i}\n"));
        }
        std::fs::write(data.join(format!("files/c{i}.csv")), csv).unwrap();
    }
    let key = format!("inl_nodes_{:x}", rand_suffix());
    // Schema refreshes every 2 s on both nodes: never doubled.
    let env = [("INLET_SCHEMA_REFRESH_INTERVAL", "2s")];
    let (a, base_a, _) = node(data, &store, &key, &env);
    let (b, base_b, index_b) = node(data, &store, &key, &env);
    let bases = [base_a.as_str(), base_b.as_str()];
    let client = reqwest::Client::new();

    // B caches a list page; A's write must show in B's next list at once.
    let list = |base: &str| format!("{base}/api/v1/source-connections?pageSize=100");
    let before = get(&client, &list(bases[1]), &key).await;
    assert_eq!(before["pagination"]["totalItems"], 0, "{before}");

    // Connections and syncs queued through both nodes, alternately.
    let mut conns = Vec::new();
    for i in 0..CONNECTIONS {
        let base = bases[i % 2];
        let conn = create_connection(
            &client,
            &key,
            base,
            json!({"sourceShortName": "csv", "name": format!("c{i}"),
                   "credentials": {"path": format!("c{i}.csv")},
                   "config": {"keyColumns": ["id"], "schemaAutoRefresh": true}}),
        )
        .await;
        if i == 0 {
            let after = get(&client, &list(bases[1]), &key).await;
            assert_eq!(
                after["pagination"]["totalItems"], 1,
                "B saw A's write: {after}"
            );
        }
        conns.push(conn);
    }
    let mut syncs = Vec::new();
    for (i, conn) in conns.iter().enumerate() {
        syncs.push(run(&client, &key, bases[(i + 1) % 2], conn).await);
    }
    let mut head = 0;
    for (i, sync) in syncs.iter().enumerate() {
        let job = wait_job(&client, &key, bases[i % 2], sync, 120).await;
        assert_eq!(job["status"], "completed", "{job}");
        assert_eq!(job["attempts"], 1, "{job}");
        assert_eq!(job["counts"]["inserted"], ROWS, "{job}");
        assert_eq!(job["counts"]["read"], ROWS, "read once: {job}");
        head = head.max(
            job["indexSeq"]
                .as_u64()
                .expect("a sync that wrote has indexSeq"),
        );
    }
    // Read your writes on either node, and the same ranking on both (of
    // the connections a passing test made active: only theirs are searched).
    for conn in &conns[..4] {
        let r = client
            .post(format!(
                "{}/api/v1/source-connections/{conn}/test",
                bases[0]
            ))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
    let mut expected = Vec::new();
    for q in QUERIES {
        let a = top20(&client, &key, bases[0], q, Some(head)).await;
        let b = top20(&client, &key, bases[1], q, Some(head)).await;
        assert!(!a.0.is_empty(), "{q}: nothing found");
        assert_eq!(a, b, "{q}: both nodes answer alike");
        expected.push(a);
    }
    // B's index directory removed while B runs: rebuilt, then the same.
    std::fs::remove_dir_all(&index_b).unwrap();
    for _ in 0..600 {
        if index_b.join("meta.json").exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ready(&client, bases[1]).await;
    for (q, a) in QUERIES.iter().zip(&expected) {
        let b = top20(&client, &key, bases[1], q, Some(head)).await;
        assert_eq!(*a, b, "{q}: B after its rebuild");
    }
    // A third node on the populated store: once ready, it answers alike
    // without being asked to wait.
    let (c, base_c, _) = node(data, &store, &key, &env);
    ready(&client, &base_c).await;
    for (q, a) in QUERIES.iter().zip(&expected) {
        let third = top20(&client, &key, &base_c, q, None).await;
        assert_eq!(*a, third, "{q}: a new node, once ready");
    }
    c.stop();
    let listed = get(&client, &list(bases[1]), &key).await;
    assert_eq!(listed["pagination"]["totalItems"], CONNECTIONS);
    assert!(
        listed["sourceConnections"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["documentCount"] == ROWS),
        "{listed}"
    );

    // In the store: one sync job per connection, each run by one worker,
    // and both nodes did some of the work.
    let mut pg = store.connect().await;
    let rows = sqlx::query(
        "SELECT connection_id, count(*) AS n, max(attempts) AS attempts, max(worker) AS worker \
         FROM jobs WHERE kind = 'sync' GROUP BY connection_id",
    )
    .fetch_all(&mut pg)
    .await
    .unwrap();
    assert_eq!(rows.len(), CONNECTIONS);
    let mut nodes = std::collections::HashSet::new();
    for r in &rows {
        assert_eq!(r.get::<i64, _>("n"), 1);
        assert_eq!(r.get::<i64, _>("attempts"), 1);
        nodes.insert(node_of(&r.get::<String, _>("worker")).to_owned());
    }
    assert_eq!(nodes.len(), 2, "both nodes ran syncs: {nodes:?}");

    // Schema refreshes: two schedulers, yet never two refreshes of one
    // connection within the interval.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let refreshes = sqlx::query(
        "SELECT connection_id, created_at FROM jobs WHERE kind = 'schema_refresh' \
         ORDER BY connection_id, created_at",
    )
    .fetch_all(&mut pg)
    .await
    .unwrap();
    let mut last: Option<(i64, i64)> = None;
    let mut refreshed = std::collections::HashSet::new();
    for r in &refreshes {
        let (conn, at) = (
            r.get::<i64, _>("connection_id"),
            r.get::<i64, _>("created_at"),
        );
        if let Some((c, t)) = last
            && c == conn
        {
            assert!(
                at - t >= 1_900,
                "connection {conn} refreshed twice within the interval"
            );
        }
        refreshed.insert(conn);
        last = Some((conn, at));
    }
    assert_eq!(
        refreshed.len(),
        CONNECTIONS,
        "every connection was refreshed"
    );
    drop(pg);
    a.stop();
    b.stop();
    store.drop().await;
}

#[tokio::test]
async fn a_node_killed_mid_job_leaves_the_job_to_the_other() {
    const ROWS: u64 = 100_000;
    let source = TempDb::create("inlet_nodes_src").await;
    big_table(&source, ROWS).await;
    let store = TempDb::create("inlet_nodes").await;
    let dir = tempfile::tempdir().unwrap();
    let key = format!("inl_nodes_{:x}", rand_suffix());
    let client = reqwest::Client::new();

    // Only A runs at first, so the job is A's.
    let (a, base_a, _) = node(dir.path(), &store, &key, &[]);
    let conn = create_connection(
        &client,
        &key,
        &base_a,
        json!({"sourceShortName": "postgresql", "name": "big",
               "credentials": {"host": "127.0.0.1", "port": 5432, "database": source.name,
                               "username": "postgres", "password": "x", "sslmode": "disable"}}),
    )
    .await;
    let sync = run(&client, &key, &base_a, &conn).await;
    loop {
        let job = get(&client, &format!("{base_a}/api/v1/jobs/{sync}"), &key).await;
        assert_ne!(
            job["job"]["status"], "completed",
            "finished before the kill"
        );
        if job["job"]["counts"]["inserted"].as_u64().unwrap() >= 2_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // B is up (its start-up check finds A alive), then A dies.
    let (b, base_b, _) = node(dir.path(), &store, &key, &[]);
    a.stop();
    let job = wait_job(&client, &key, &base_b, &sync, 120).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["attempts"], 2, "taken over, not restarted: {job}");
    assert_eq!(job["counts"]["inserted"], ROWS, "every row once: {job}");
    let c = get(
        &client,
        &format!("{base_b}/api/v1/source-connections/{conn}"),
        &key,
    )
    .await;
    assert_eq!(c["sourceConnection"]["documentCount"], ROWS);
    let mut pg = store.connect().await;
    let worker: String = sqlx::query("SELECT worker FROM jobs WHERE kind = 'sync'")
        .fetch_one(&mut pg)
        .await
        .unwrap()
        .get("worker");
    let b_pid = b.id().to_string();
    assert!(
        node_of(&worker).contains(&format!("-{b_pid}-")),
        "finished by B ({b_pid}): {worker}"
    );
    drop(pg);
    b.stop();
    store.drop().await;
    source.drop().await;
}
