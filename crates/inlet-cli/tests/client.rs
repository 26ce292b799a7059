//! `inlet` as a client of a real running server: tables for people,
//! `--json` and `--quiet` for scripts, the documented exit codes, errors
//! as the server's message without a backtrace, and no secret echoed.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::process::{Command, Output};

use serde_json::{Value, json};

use common::{BIN, create_connection, inlet, serve};

const KEY: &str = "inl_client_test_key_0123456789abcdefghijklmnopq";

/// `inlet <args>` against `base` with `key` (none: INLET_API_KEY unset).
fn client(base: &str, key: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("INLET_URL", base)
        .env("RUST_BACKTRACE", "1")
        .env_remove("INLET_API_KEY");
    if let Some(k) = key {
        cmd.env("INLET_API_KEY", k);
    }
    cmd.output().unwrap()
}

fn ok(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Asserts the exit code and an `error: …` line without a backtrace;
/// returns the message.
fn fails(out: &Output, code: i32) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(
        !err.contains("backtrace") && !err.contains("panicked"),
        "{err}"
    );
    err
}

#[tokio::test]
async fn the_client_against_a_real_server() {
    let data = tempfile::tempdir().unwrap();
    let (server, base) = serve(inlet(data.path(), "serve"), KEY);
    let http = reqwest::Client::new();

    // The catalog as a table.
    let out = ok(&client(&base, Some(KEY), &["sources", "list"]));
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with("SOURCE") && first.contains("NAME"),
        "{out}"
    );
    assert!(out.lines().any(|l| l.starts_with("postgresql ")), "{out}");

    // Collections: --quiet prints the id, --json the server's answer.
    let id = ok(&client(
        &base,
        Some(KEY),
        &[
            "collections",
            "create",
            "Sales",
            "--description",
            "The sales team",
            "-q",
        ],
    ));
    assert_eq!(id.trim(), "col_1");
    let listed: Value = serde_json::from_str(&ok(&client(
        &base,
        Some(KEY),
        &["collections", "list", "--json"],
    )))
    .unwrap();
    assert_eq!(listed[0]["name"], "Sales");
    assert_eq!(listed[0]["description"], "The sales team");

    // A connection whose database does not exist: listed, shown without
    // its password, and a failing test exits 1 with the source's reason.
    let conn = create_connection(
        &http,
        KEY,
        &base,
        json!({"sourceShortName": "postgresql", "name": "warehouse",
               "credentials": {"host": "127.0.0.1", "port": 5432, "database": "inlet_cli_no_such_db",
                               "username": "postgres", "password": "pw-cli-secret", "sslmode": "disable"}}),
    )
    .await;
    let out = ok(&client(&base, Some(KEY), &["connections", "list"]));
    assert!(out.lines().next().unwrap().starts_with("ID "), "{out}");
    assert!(
        out.contains("warehouse") && out.contains("pending"),
        "{out}"
    );
    assert!(out.contains("page 1 of 1, 1 in all"), "{out}");
    let shown = ok(&client(&base, Some(KEY), &["connections", "show", &conn]));
    assert!(shown.contains("secrets set  password"), "{shown}");
    let test = client(&base, Some(KEY), &["connections", "test", &conn]);
    let err = fails(&test, 1);
    assert!(
        err.starts_with("error: ") && err.contains("inlet_cli_no_such_db"),
        "{err}"
    );
    for text in [
        shown,
        err,
        String::from_utf8_lossy(&test.stdout).into_owned(),
    ] {
        assert!(!text.contains("pw-cli-secret"), "{text}");
    }

    // Exit codes: 3 not found, 4 a bad key, 2 usage (no key; a bad flag).
    fails(
        &client(&base, Some(KEY), &["connections", "show", "sc_999"]),
        3,
    );
    let err = fails(
        &client(&base, Some("inl_wrong"), &["collections", "list"]),
        4,
    );
    assert!(err.contains("API key"), "{err}");
    let err = fails(&client(&base, None, &["collections", "list"]), 2);
    assert!(err.contains("INLET_API_KEY"), "{err}");
    fails(
        &client(&base, Some(KEY), &["collections", "list", "--colour"]),
        2,
    );
    // An unreachable server is a failure (1), not a crash.
    fails(
        &client("http://127.0.0.1:9", Some(KEY), &["collections", "list"]),
        1,
    );

    // Delete, then nothing is left.
    let out = ok(&client(
        &base,
        Some(KEY),
        &["connections", "delete", &conn, "-q"],
    ));
    assert_eq!(out.trim(), conn);
    let out = ok(&client(&base, Some(KEY), &["connections", "list"]));
    assert_eq!(out, "nothing yet\n");
    server.stop();
}

#[tokio::test]
async fn sync_jobs_and_search_from_the_shell() {
    let data = tempfile::tempdir().unwrap();
    let (server, base) = serve(inlet(data.path(), "serve"), KEY);
    let http = reqwest::Client::new();
    let db = common::TempDb::create("inlet_cli_src").await;
    common::big_table(&db, 40).await;
    let conn = create_connection(
        &http,
        KEY,
        &base,
        json!({"sourceShortName": "postgresql", "name": "src",
               "credentials": {"host": "127.0.0.1", "port": 5432, "database": db.name,
                               "username": "postgres", "password": "unused", "sslmode": "disable"}}),
    )
    .await;
    ok(&client(&base, Some(KEY), &["connections", "test", &conn]));

    // `sync run --wait` returns once the sync completed, with its counts.
    let out = ok(&client(&base, Some(KEY), &["sync", "run", &conn, "--wait"]));
    assert!(
        out.contains("completed") && out.contains("inserted 40"),
        "{out}"
    );
    let id = out.split_whitespace().next().unwrap().to_owned();
    assert!(id.starts_with("sync_"), "{out}");
    let jobs = ok(&client(&base, Some(KEY), &["jobs", "list", &conn, "-q"]));
    assert_eq!(jobs.trim(), id);
    let job: Value = serde_json::from_str(&ok(&client(
        &base,
        Some(KEY),
        &["jobs", "show", &id, "--json"],
    )))
    .unwrap();
    assert_eq!(job["job"]["counts"]["inserted"], 40);
    fails(&client(&base, Some(KEY), &["jobs", "show", "sync_999"]), 3);

    // Search the synced rows: a table, and ids with -q.
    let collection = ok(&client(&base, Some(KEY), &["collections", "list", "-q"]));
    let collection = collection.trim();
    let out = ok(&client(
        &base,
        Some(KEY),
        &["search", collection, "\"row 7\""],
    ));
    assert!(out.starts_with("DOCUMENT"), "{out}");
    assert!(out.contains("row 7") && out.contains("1 in all"), "{out}");
    let ids = ok(&client(
        &base,
        Some(KEY),
        &["search", collection, "row", "-q", "--limit", "5"],
    ));
    assert_eq!(ids.lines().count(), 5, "{ids}");
    let err = fails(&client(&base, Some(KEY), &["search", collection, ""]), 1);
    assert!(err.contains("is empty"), "{err}");

    // A sync that fails exits 1 with the job's reason.
    db.drop().await;
    let out = client(&base, Some(KEY), &["sync", "run", &conn, "--wait"]);
    let err = fails(&out, 1);
    assert!(err.contains("failed"), "{err}");
    server.stop();
}
