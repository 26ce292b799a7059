//! The client on a terminal (a pseudo-terminal, as a person's shell would
//! give it): prompts that do not echo secrets, and the live progress line
//! of a sync drawing, finishing, and stopping on Ctrl-C; Ctrl-C at a
//! secret prompt leaves the terminal as it was and saves nothing.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::os::fd::AsFd;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use nix::sys::termios::{LocalFlags, tcgetattr};

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

/// `inlet <args>` on a pseudo-terminal as a shell runs it: `sh` turns echo
/// on first (rexpect starts its child with echo off, which would hide a
/// prompt that forgets to turn it back on), prints the terminal's settings
/// (`stty -g`) before and after, and inlet's exit status. The shell traps
/// SIGINT only to outlive the Ctrl-C the terminal sends its whole
/// foreground group; inlet starts with the default disposition.
fn in_shell(base: &str, config: &Path, args: &[&str]) -> PtySession {
    let script = r#"trap : INT
stty echo icanon isig
echo "before $(stty -g)"
"$@"
echo "status $?"
echo "after $(stty -g)"
echo "modes $(stty -a | tr '\n' ' ')"
"#;
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .arg("sh")
        .arg(BIN)
        .args(args)
        .env("INLET_URL", base)
        .env("INLET_API_KEY", KEY)
        .env("INLET_CLIENT_CONFIG", config)
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR");
    spawn_command(cmd, Some(60_000)).unwrap()
}

/// Waits until the prompt has turned the terminal's echo off (read from
/// the pty's master side), so a Ctrl-C lands in the prompt's read.
fn until_echo_is_off(p: &PtySession) {
    let pty = p.process().get_file_handle().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while tcgetattr(pty.as_fd())
        .unwrap()
        .local_flags
        .contains(LocalFlags::ECHO)
    {
        assert!(
            Instant::now() < deadline,
            "the prompt never turned echo off"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends Ctrl-C once the prompt `asks` is reading, and returns what the
/// shell printed: inlet's output, its exit status, and the terminal's
/// settings before and after.
fn ctrl_c_at(mut p: PtySession, asks: &str) -> Interrupted {
    let (_, before) = p.exp_regex(r"before [0-9a-fA-F:]+\r").unwrap();
    let mut said = p.exp_string(asks).unwrap();
    until_echo_is_off(&p);
    p.send_control('c').unwrap();
    let (rest, status) = p.exp_regex(r"status [0-9]+\r").unwrap();
    said += &rest;
    let (_, after) = p.exp_regex(r"after [0-9a-fA-F:]+\r").unwrap();
    let (_, modes) = p.exp_regex(r"modes [^\r\n]*\r").unwrap();
    p.exp_eof().unwrap();
    let value = |line: &str, key: &str| line.trim_end().trim_start_matches(key).to_owned();
    Interrupted {
        said,
        status: value(&status, "status "),
        before: value(&before, "before "),
        after: value(&after, "after "),
        modes: value(&modes, "modes "),
    }
}

/// What a Ctrl-C at a prompt left.
#[derive(Debug)]
struct Interrupted {
    said: String,
    status: String,
    before: String,
    after: String,
    modes: String,
}

impl Interrupted {
    /// The exit status an interrupt has, a short word that says so, and
    /// the terminal exactly as before: echo and line editing back on.
    fn assert_restored(&self) {
        assert_eq!(self.status, "130", "{self:#?}");
        assert!(self.said.contains("cancelled"), "{self:#?}");
        assert_eq!(self.after, self.before, "{self:#?}");
        let modes: Vec<&str> = self.modes.split([' ', ';']).collect();
        for mode in ["echo", "icanon", "isig"] {
            assert!(modes.contains(&mode), "{mode} is off: {self:#?}");
        }
    }
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

#[tokio::test]
async fn ctrl_c_at_the_key_prompt_restores_the_terminal_and_saves_no_profile() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    let cfg = config.clone();
    // No server: the prompt comes before any request (the address is
    // never reached).
    let ended = tokio::task::spawn_blocking(move || {
        let p = in_shell(
            "http://127.0.0.1:9",
            &cfg,
            &["login", "--url", "http://127.0.0.1:9"],
        );
        ctrl_c_at(p, "API key for")
    })
    .await
    .unwrap();
    ended.assert_restored();
    assert!(!config.exists(), "a profile was saved: {ended:#?}");
}

#[tokio::test]
async fn ctrl_c_at_a_connection_secret_prompt_restores_the_terminal_and_creates_nothing() {
    let data = tempfile::tempdir().unwrap();
    let (server, base) = serve(inlet(data.path(), "serve"), KEY);
    let http = reqwest::Client::new();
    let col = common::post(
        &http,
        KEY,
        format!("{base}/api/v1/collections"),
        json!({"name": "interrupted"}),
    )
    .await["collection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (b, home) = (base.clone(), data.path().join("config.toml"));
    let ended = tokio::task::spawn_blocking(move || {
        let p = in_shell(
            &b,
            &home,
            &[
                "connections",
                "create",
                "--type",
                "postgresql",
                "--name",
                "never",
                "--collection",
                &col,
                "--field",
                "host=127.0.0.1",
                "--field",
                "port=5432",
                "--field",
                "database=postgres",
                "--field",
                "username=postgres",
                "--field",
                "sslmode=disable",
            ],
        );
        ctrl_c_at(p, "password")
    })
    .await
    .unwrap();
    ended.assert_restored();
    let listed = common::get(&http, &format!("{base}/api/v1/source-connections"), KEY).await;
    assert_eq!(
        listed["sourceConnections"],
        json!([]),
        "a connection was created: {ended:#?}"
    );
    server.stop();
}
