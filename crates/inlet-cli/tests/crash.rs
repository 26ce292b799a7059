//! Jobs and processes: a sync survives `kill -9` (the real binary is killed
//! mid-sync of a large PostgreSQL table, started again on the same data
//! directory, and the job finishes with every row indexed once, in the
//! store and in the node's search index), and
//! `inlet serve --no-workers` leaves jobs to a separate `inlet worker`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::{
    Process, TempDb, big_table, create_connection, get, inlet, rand_suffix, run, serve, wait_job,
};
use serde_json::{Value, json};

const ROWS: u64 = 200_000;

/// Starts `inlet serve` and returns it with its base URL.
fn start(data: &Path, key: &str) -> (Process, String) {
    start_with(data, key, &[])
}

fn start_with(data: &Path, key: &str, args: &[&str]) -> (Process, String) {
    let mut cmd = inlet(data, "serve");
    cmd.args(args)
        // Far longer than the test waits: the restarted process must resume
        // the killed one's job because it is dead, not because its lease ran out.
        .env("INLET_JOB_LEASE", "10m")
        .env("INLET_SYNC_BATCH_SIZE", "500");
    serve(cmd, key)
}

/// Creates `connection` in a new collection and starts its sync; returns
/// (connection id, sync id).
async fn start_sync(
    client: &reqwest::Client,
    key: &str,
    base: &str,
    connection: Value,
) -> (String, String) {
    let conn = create_connection(client, key, base, connection).await;
    let sync = run(client, key, base, &conn).await;
    (conn, sync)
}

#[tokio::test]
async fn a_sync_killed_with_sigkill_resumes_after_restart_without_duplicates_or_loss() {
    let source = TempDb::create("inlet_crash").await;
    big_table(&source, ROWS).await;

    let dir = tempfile::tempdir().unwrap();
    let key = format!("inl_crash_{:x}", rand_suffix());
    let (server, base) = start(dir.path(), &key);
    let client = reqwest::Client::new();
    let (conn, sync) = start_sync(
        &client,
        &key,
        &base,
        json!({"sourceShortName": "postgresql", "name": "big",
               "credentials": {"host": "127.0.0.1", "port": 5432, "database": source.name,
                               "username": "postgres", "password": "x", "sslmode": "disable"}}),
    )
    .await;

    // Kill it once some batches are committed, well before the end.
    let committed = loop {
        let job = get(&client, &format!("{base}/api/v1/jobs/{sync}"), &key).await;
        let n = job["job"]["counts"]["inserted"].as_u64().unwrap();
        assert_ne!(
            job["job"]["status"], "completed",
            "the sync finished before the kill"
        );
        if n >= 2000 {
            break n;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    server.stop();
    assert!(committed < ROWS);

    // Same data directory: the new process sees the job's worker process is
    // gone and resumes the job at once (its lease would last ten minutes).
    let (server, base) = start(dir.path(), &key);
    let job = wait_job(&client, &key, &base, &sync, 120).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(
        job["attempts"], 2,
        "resumed, not restarted as a new job: {job}"
    );
    assert_eq!(job["counts"]["inserted"], ROWS, "every row once: {job}");
    // Resumed after the last committed key: at most the batch in flight is read twice.
    assert!(
        job["counts"]["read"].as_u64().unwrap() <= ROWS + 500,
        "{job}"
    );
    let c = get(
        &client,
        &format!("{base}/api/v1/source-connections/{conn}"),
        &key,
    )
    .await;
    assert_eq!(c["sourceConnection"]["documentCount"], ROWS);
    let docs = get(
        &client,
        &format!("{base}/api/v1/source-connections/{conn}/documents?page=400&pageSize=100"),
        &key,
    )
    .await;
    assert_eq!(
        docs["pagination"]["totalItems"], ROWS,
        "no duplicate documents"
    );

    // The search index, killed with the process (mid-commit or between
    // commits), holds exactly the store's documents: as many, and each of
    // a random sample found once by its own key.
    let seq = job["indexSeq"]
        .as_u64()
        .expect("the job logged its batches");
    // Only an active connection's documents are searched: a passing test.
    let tested = client
        .post(format!("{base}/api/v1/source-connections/{conn}/test"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert!(
        tested.status().is_success(),
        "{}",
        tested.text().await.unwrap()
    );
    // A debug build indexes slowly: wait (503 index_behind) until it has
    // caught up with the job.
    let mut caught_up = false;
    for _ in 0..120 {
        let r = client
            .get(format!("{base}/api/v1/search?q=row&after={seq}"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        if r.status().is_success() {
            caught_up = true;
            break;
        }
        assert_eq!(r.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    }
    assert!(caught_up, "the index caught up with the job");
    for _ in 0..1_000 {
        let n = rand_suffix() % ROWS + 1;
        let r = get(
            &client,
            &format!("{base}/api/v1/search?q=%22row+{n}%22&after={seq}"),
            &key,
        )
        .await;
        assert_eq!(r["total"], 1, "row {n}: {r}");
        assert_eq!(r["results"][0]["key"], n.to_string(), "{r}");
    }
    let mut indexed = None;
    for _ in 0..600 {
        let metrics = client
            .get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        indexed = metrics
            .lines()
            .find_map(|l| l.strip_prefix("inlet_index_documents "))
            .and_then(|v| v.trim().parse::<f64>().ok());
        if indexed == Some(ROWS as f64) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(indexed, Some(ROWS as f64));
    server.stop();
    source.drop().await;
}

#[tokio::test]
async fn serve_without_workers_leaves_jobs_to_a_separate_worker_process() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    std::fs::create_dir_all(data.join("files")).unwrap();
    std::fs::write(data.join("files/a.csv"), "id,name\n1,x\n2,y\n").unwrap();
    let key = format!("inl_split_{:x}", rand_suffix());
    let (server, base) = start_with(data, &key, &["--no-workers"]);
    let client = reqwest::Client::new();
    let (_, sync) = start_sync(
        &client,
        &key,
        &base,
        json!({"sourceShortName": "csv", "name": "f", "credentials": {"path": "a.csv"}}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let job = get(&client, &format!("{base}/api/v1/jobs/{sync}"), &key).await;
    assert_eq!(
        job["job"]["status"], "queued",
        "no worker in the API process"
    );

    let worker = Process(
        inlet(data, "worker")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut status = Value::Null;
    for _ in 0..300 {
        status = get(&client, &format!("{base}/api/v1/jobs/{sync}"), &key).await["job"].clone();
        if status["status"] == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status["status"], "completed", "{status}");
    assert_eq!(status["counts"]["inserted"], 2);
    worker.stop();
    server.stop();
}
