//! Shared by the process tests: the real `inlet` binary started as a
//! server, and small HTTP helpers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};

pub const BIN: &str = env!("CARGO_BIN_EXE_inlet");

/// `inlet <command>` on the data directory `data`, with the embedded store
/// unless the caller sets `INLET_DATABASE_URL`.
pub fn inlet(data: &Path, command: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg(command)
        .env("INLET_DATA_DIR", data)
        .env("INLET_LOG", "warn")
        .env_remove("INLET_DATABASE_URL")
        .env_remove("INLET_MASTER_KEY")
        .current_dir(data);
    cmd
}

/// A process of the binary, killed when dropped, so a failing test leaves
/// no server behind.
pub struct Process(pub Child);

impl Process {
    /// Kills it (`SIGKILL`) and reaps it.
    pub fn stop(mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `cmd` (an `inlet serve`) on a free port and returns it with its
/// base URL, once it listens.
pub fn serve(mut cmd: Command, key: &str) -> (Process, String) {
    let mut child = cmd
        .env("INLET_LISTEN", "127.0.0.1:0")
        .env("INLET_BOOTSTRAP_API_KEY", key)
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
    (Process(child), base)
}

pub async fn post(client: &reqwest::Client, key: &str, url: String, body: Value) -> Value {
    json_of(client.post(url).json(&body), key).await
}

pub async fn get(client: &reqwest::Client, url: &str, key: &str) -> Value {
    json_of(client.get(url), key).await
}

/// Sends `request` with the key and returns its JSON body.
async fn json_of(request: reqwest::RequestBuilder, key: &str) -> Value {
    request
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Creates `connection` (a create body without its collection) in a new
/// collection; returns its id.
pub async fn create_connection(
    client: &reqwest::Client,
    key: &str,
    base: &str,
    mut connection: Value,
) -> String {
    let col = post(
        client,
        key,
        format!("{base}/api/v1/collections"),
        json!({"name": format!("c{:x}", rand_suffix())}),
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
    conn["sourceConnection"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{conn}"))
        .to_owned()
}

/// Starts a sync of `conn`; returns its id.
pub async fn run(client: &reqwest::Client, key: &str, base: &str, conn: &str) -> String {
    let run = post(
        client,
        key,
        format!("{base}/api/v1/source-connections/{conn}/run"),
        json!({}),
    )
    .await;
    run["syncId"]
        .as_str()
        .unwrap_or_else(|| panic!("{run}"))
        .to_owned()
}

/// Polls a job until it is neither queued nor running (at most `secs`).
pub async fn wait_job(
    client: &reqwest::Client,
    key: &str,
    base: &str,
    job: &str,
    secs: u64,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..secs * 10 {
        last = get(client, &format!("{base}/api/v1/jobs/{job}"), key).await["job"].clone();
        if last["status"] != "running" && last["status"] != "queued" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    last
}

pub fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        ^ u64::from(std::process::id())
}

const ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A PostgreSQL database of the test's own, dropped at the end.
pub struct TempDb {
    pub name: String,
    pub url: String,
}

impl TempDb {
    pub async fn create(prefix: &str) -> Self {
        let name = format!("{prefix}_{:x}", rand_suffix());
        let mut admin = PgConnection::connect(ADMIN).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
        Self { name, url }
    }

    pub async fn connect(&self) -> PgConnection {
        PgConnection::connect(&self.url).await.unwrap()
    }

    pub async fn drop(self) {
        let mut admin = PgConnection::connect(ADMIN).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {} WITH (FORCE)",
            self.name
        )))
        .execute(&mut admin)
        .await
        .unwrap();
    }
}

/// A table `big` of `rows` rows (id, name, ~128 bytes of body) in `db`.
pub async fn big_table(db: &TempDb, rows: u64) {
    let mut src = db.connect().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE TABLE big (id bigint PRIMARY KEY, name text, body text);
         INSERT INTO big SELECT g, 'row ' || g, repeat(md5(g::text), 4) FROM generate_series(1, {rows}) g;"
    )))
    .execute(&mut src)
    .await
    .unwrap();
}
