//! The client on a terminal (a pseudo-terminal, as a person's shell would
//! give it): prompts that do not echo secrets, and the live progress line
//! of a sync drawing, finishing, and stopping on Ctrl-C.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::process::Command;

use rexpect::process::WaitStatus;
use rexpect::session::{PtySession, spawn_command};
use serde_json::json;

use common::{BIN, create_connection, inlet, serve};

const KEY: &str = "inl_terminal_test_key_0123456789abcdefghijklmno";

/// `inlet <args>` on a pseudo-terminal, against `base`.
fn on_terminal(base: &str, args: &[&str]) -> PtySession {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("INLET_URL", base)
        .env("INLET_API_KEY", KEY)
        .env(
            "INLET_CLIENT_CONFIG",
            "/nonexistent/inlet-terminal-test.toml",
        )
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR");
    spawn_command(cmd, Some(60_000)).unwrap()
}

/// Waits for the process to end and returns its exit code.
fn exit_code(session: &PtySession) -> i32 {
    match session.process().wait().unwrap() {
        WaitStatus::Exited(_, code) => code,
        other => panic!("not an exit: {other:?}"),
    }
}

#[tokio::test]
async fn prompts_ask_for_missing_fields_and_never_echo_a_secret() {
    let data = tempfile::tempdir().unwrap();
    let (server, base) = serve(inlet(data.path(), "serve"), KEY);
    let db = common::TempDb::create("inlet_cli_pty").await;
    let http = reqwest::Client::new();
    let col = common::post(
        &http,
        KEY,
        format!("{base}/api/v1/collections"),
        json!({"name": "terminal"}),
    )
    .await["collection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let database = format!("database={}", db.name);
    let args = [
        "connections",
        "create",
        "--type",
        "postgresql",
        "--name",
        "asked",
        "--collection",
        &col,
        "--field",
        "port=5432",
        "--field",
        &database,
        "--field",
        "username=postgres",
        "--field",
        "sslmode=disable",
        "--test",
    ]
    .map(str::to_owned);
    let base2 = base.clone();
    let (typed, code) = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut p = on_terminal(&base2, &args);
        // The catalog's order: host (plain), then password (secret).
        let mut seen = p.exp_string("host").unwrap();
        p.send_line("127.0.0.1").unwrap();
        seen += &p.exp_string("password").unwrap();
        p.send_line("pw-typed-secret").unwrap();
        seen += &p.exp_eof().unwrap();
        (seen, exit_code(&p))
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{typed}");
    // The plain answer is shown back; the secret is not.
    assert!(typed.contains("127.0.0.1"), "{typed}");
    assert!(typed.contains("created sc_1 (asked, active)"), "{typed}");
    assert!(!typed.contains("pw-typed-secret"), "{typed}");
    let c = common::get(
        &http,
        &format!("{base}/api/v1/source-connections/sc_1"),
        KEY,
    )
    .await;
    assert_eq!(
        c["sourceConnection"]["secretFieldsSet"],
        json!(["password"])
    );
    server.stop();
    db.drop().await;
}

#[tokio::test]
async fn a_sync_draws_its_progress_and_ctrl_c_cancels_when_asked() {
    let data = tempfile::tempdir().unwrap();
    let (server, base) = serve(inlet(data.path(), "serve"), KEY);
    let db = common::TempDb::create("inlet_cli_bar").await;
    common::big_table(&db, 60_000).await;
    let http = reqwest::Client::new();
    let conn = create_connection(
        &http,
        KEY,
        &base,
        json!({"sourceShortName": "postgresql", "name": "big",
               "credentials": {"host": "127.0.0.1", "port": 5432, "database": db.name,
                               "username": "postgres", "password": "unused", "sslmode": "disable"}}),
    )
    .await;

    // `sync run --wait`: the line redraws as records arrive, then the
    // summary once it completed.
    let (b, c) = (base.clone(), conn.clone());
    let (drawn, code) = tokio::task::spawn_blocking(move || {
        let mut p = on_terminal(&b, &["sync", "run", &c, "--wait"]);
        let drawn = p.exp_eof().unwrap();
        (drawn, exit_code(&p))
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{drawn}");
    assert!(drawn.contains("sync_1"), "{drawn}");
    // (rexpect reads bytes as characters: compare ASCII only.)
    assert!(drawn.contains("reading public.big "), "{drawn}");
    assert!(drawn.contains(" records"), "{drawn}");
    // Redrawn in place (line clears), then the end and the summary.
    assert!(drawn.matches("\x1b[2K").count() > 2, "{drawn:?}");
    assert!(
        drawn.contains("completed ") && drawn.contains("60,000 records"),
        "{drawn}"
    );
    assert!(drawn.contains("inserted 60000"), "{drawn}");

    // `jobs watch --cancel-on-interrupt`: Ctrl-C stops watching and the
    // job is cancelled.
    let job = common::post(
        &http,
        KEY,
        format!("{base}/api/v1/source-connections/{conn}/run?forceFullSync=true"),
        json!({}),
    )
    .await["syncId"]
        .as_str()
        .unwrap()
        .to_owned();
    let (b, j) = (base.clone(), job.clone());
    let (said, code) = tokio::task::spawn_blocking(move || {
        let mut p = on_terminal(&b, &["jobs", "watch", &j, "--cancel-on-interrupt"]);
        p.exp_string(" records").unwrap();
        p.send_control('c').unwrap();
        let rest = p.exp_eof().unwrap();
        (rest, exit_code(&p))
    })
    .await
    .unwrap();
    assert_eq!(code, 130, "{said}");
    assert!(said.contains("asked it to cancel"), "{said}");
    let ended = common::wait_job(&http, KEY, &base, &job, 60).await;
    assert_eq!(ended["status"], "cancelled", "{ended}");
    server.stop();
    db.drop().await;
}
