//! Jobs and processes: a sync survives `kill -9` (the real binary is killed
//! mid-sync of a large PostgreSQL table, started again on the same data
//! directory, and the job finishes with every row indexed once), and
//! `inlet serve --no-workers` leaves jobs to a separate `inlet worker`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_inlet");
const ROWS: u64 = 200_000;

/// `inlet <command>` on the data directory `data`, with the embedded store.
fn inlet(data: &Path, command: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg(command)
        .env("INLET_DATA_DIR", data)
        .env("INLET_LOG", "warn")
        .env_remove("INLET_DATABASE_URL")
        .env_remove("INLET_MASTER_KEY")
        .current_dir(data);
    cmd
}

/// Starts `inlet serve` and returns it with its base URL.
fn start(data: &Path, key: &str) -> (Child, String) {
    start_with(data, key, &[])
}

fn start_with(data: &Path, key: &str, args: &[&str]) -> (Child, String) {
    let mut child = inlet(data, "serve")
        .args(args)
        .env("INLET_LISTEN", "127.0.0.1:0")
        .env("INLET_BOOTSTRAP_API_KEY", key)
        // Far longer than the test waits: the restarted process must resume
        // the killed one's job because it is dead, not because its lease ran out.
        .env("INLET_JOB_LEASE", "10m")
        .env("INLET_SYNC_BATCH_SIZE", "500")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        if let Some(rest) = line.strip_prefix("Inlet listening on ") {
            break rest.trim().to_owned();
        }
    };
    // Keep reading stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, base)
}

async fn post(client: &reqwest::Client, key: &str, url: String, body: Value) -> Value {
    client
        .post(url)
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Creates `connection` (a create body without its collection) in a new
/// collection and starts its sync; returns (connection id, sync id).
async fn start_sync(
    client: &reqwest::Client,
    key: &str,
    base: &str,
    mut connection: Value,
) -> (String, String) {
    let col = post(
        client,
        key,
        format!("{base}/api/v1/collections"),
        json!({"name": "c"}),
    )
    .await;
    connection["collectionId"] = col["collection"]["id"].clone();
    let conn = post(
        client,
        key,
        format!("{base}/api/v1/source-connections"),
        connection,
    )
    .await;
    let conn = conn["sourceConnection"]["id"].as_str().unwrap().to_owned();
    let run = post(
        client,
        key,
        format!("{base}/api/v1/source-connections/{conn}/run"),
        json!({}),
    )
    .await;
    let sync = run["syncId"].as_str().unwrap().to_owned();
    (conn, sync)
}

async fn get(client: &reqwest::Client, url: &str, key: &str) -> Value {
    client
        .get(url)
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_sync_killed_with_sigkill_resumes_after_restart_without_duplicates_or_loss() {
    let name = format!("inlet_crash_{:x}", rand_suffix());
    let mut admin = sqlx::PgConnection::connect("postgres://postgres@127.0.0.1:5432/postgres")
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let mut src =
        sqlx::PgConnection::connect(&format!("postgres://postgres@127.0.0.1:5432/{name}"))
            .await
            .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE TABLE big (id bigint PRIMARY KEY, name text, body text);
         INSERT INTO big SELECT g, 'row ' || g, repeat(md5(g::text), 4) FROM generate_series(1, {ROWS}) g;"
    )))
    .execute(&mut src)
    .await
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let key = format!("inl_crash_{:x}", rand_suffix());
    let (mut server, base) = start(dir.path(), &key);
    let client = reqwest::Client::new();
    let (conn, sync) = start_sync(
        &client,
        &key,
        &base,
        json!({"sourceShortName": "postgresql", "name": "big",
               "credentials": {"host": "127.0.0.1", "port": 5432, "database": name,
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
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(committed < ROWS);

    // Same data directory: the new process sees the job's worker process is
    // gone and resumes the job at once (its lease would last ten minutes).
    let (mut server, base) = start(dir.path(), &key);
    let mut job = Value::Null;
    for _ in 0..1200 {
        job = get(&client, &format!("{base}/api/v1/jobs/{sync}"), &key).await["job"].clone();
        if job["status"] != "running" && job["status"] != "queued" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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
    server.kill().unwrap();
    server.wait().unwrap();
    drop(src);
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
}

#[tokio::test]
async fn serve_without_workers_leaves_jobs_to_a_separate_worker_process() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    std::fs::create_dir_all(data.join("files")).unwrap();
    std::fs::write(data.join("files/a.csv"), "id,name\n1,x\n2,y\n").unwrap();
    let key = format!("inl_split_{:x}", rand_suffix());
    let (mut server, base) = start_with(data, &key, &["--no-workers"]);
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

    let mut worker = inlet(data, "worker")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
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
    worker.kill().unwrap();
    worker.wait().unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        ^ u64::from(std::process::id())
}
