//! `inlet` as a client of a real running server: tables for people,
//! `--json` and `--quiet` for scripts, the documented exit codes, errors
//! as the server's message without a backtrace, and no secret echoed.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

use common::{BIN, create_connection, inlet, serve};

const KEY: &str = "inl_client_test_key_0123456789abcdefghijklmnopq";

/// `inlet <args>` against `base` with `key` (none: INLET_API_KEY unset).
fn client(base: &str, key: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("INLET_URL", base)
        .env("RUST_BACKTRACE", "1")
        // No profile of the machine's user is read.
        .env("INLET_CLIENT_CONFIG", "/nonexistent/inlet-client-test.toml")
        .env_remove("INLET_PROFILE")
        .env_remove("INLET_API_KEY");
    if let Some(k) = key {
        cmd.env("INLET_API_KEY", k);
    }
    cmd.output().unwrap()
}

/// `inlet <args>` against `base` with the key, keeping client state (the
/// read-your-writes position) beside `config`.
fn client_at(base: &str, config: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("INLET_URL", base)
        .env("INLET_API_KEY", KEY)
        .env("INLET_CLIENT_CONFIG", config)
        .env_remove("INLET_PROFILE")
        .output()
        .unwrap()
}

/// `inlet <args>` with the profiles of `config` (no INLET_URL or
/// INLET_API_KEY), `stdin` piped in.
fn profiled(config: &Path, stdin: &str, args: &[&str]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env("INLET_CLIENT_CONFIG", config)
        .env("RUST_BACKTRACE", "1")
        .env_remove("INLET_URL")
        .env_remove("INLET_API_KEY")
        .env_remove("INLET_PROFILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
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
    // Not a terminal: no colour codes.
    assert!(!out.contains('\x1b'), "{out:?}");
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

    // `sync run --wait` returns once the sync completed, with its counts,
    // and records the job's indexSeq for this server (read your writes:
    // the next `search` waits for it).
    let state = tempfile::tempdir().unwrap();
    let config = state.path().join("config.toml");
    let out = ok(&client_at(
        &base,
        &config,
        &["sync", "run", &conn, "--wait"],
    ));
    let seen: Value = serde_json::from_str(
        &std::fs::read_to_string(state.path().join("index-seq.json")).unwrap(),
    )
    .unwrap();
    assert!(
        seen[base.as_str()].as_u64().is_some_and(|s| s >= 1),
        "{seen}"
    );
    assert!(
        out.contains("completed") && out.contains("inserted 40"),
        "{out}"
    );
    let id = out.split_whitespace().next().unwrap().to_owned();
    assert!(id.starts_with("sync_"), "{out}");
    let jobs = ok(&client(&base, Some(KEY), &["jobs", "list", &conn, "-q"]));
    assert_eq!(jobs.trim(), id);
    // The organization's jobs, by status.
    let jobs = ok(&client(
        &base,
        Some(KEY),
        &["jobs", "list", "--status", "completed", "-q"],
    ));
    assert!(jobs.lines().any(|l| l == id), "{jobs}");
    let jobs = ok(&client(
        &base,
        Some(KEY),
        &["jobs", "list", "--status", "failed", "-q"],
    ));
    assert!(!jobs.lines().any(|l| l == id), "{jobs}");
    let err = fails(
        &client(&base, Some(KEY), &["jobs", "list", "--status", "exploded"]),
        1,
    );
    assert!(err.contains("status: must be one of"), "{err}");
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
    let found = ok(&client_at(
        &base,
        &config,
        &["search", collection, "\"row 8\""],
    ));
    assert!(
        found.contains("row 8") && found.contains("1 in all"),
        "{found}"
    );
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

/// Every output of `outs`, for the secret grep.
fn all_text(outs: &[&Output]) -> String {
    outs.iter()
        .map(|o| {
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        })
        .collect()
}

/// Asserts that none of `outs` shows a password the tests send, or the key.
fn assert_no_secret(outs: &[&Output]) {
    let text = all_text(outs);
    for secret in ["pw-argv-secret", "pw-stdin-secret", "pw-file-secret", KEY] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

/// A server, and the file of the client's profiles beside it (written by
/// `inlet login`).
struct Profiles {
    data: tempfile::TempDir,
    server: common::Process,
    base: String,
    cfg: std::path::PathBuf,
}

impl Profiles {
    /// A server; no profile yet.
    fn start() -> Self {
        let data = tempfile::tempdir().unwrap();
        let (server, base) = serve(inlet(data.path(), "serve"), KEY);
        let cfg = data.path().join("client").join("config.toml");
        Self {
            data,
            server,
            base,
            cfg,
        }
    }

    /// A server, its key saved as the default profile.
    fn logged_in() -> Self {
        let p = Self::start();
        ok(&p.login(KEY));
        p
    }

    /// `inlet login --url <base> --api-key-stdin` with `key` on standard input.
    fn login(&self, key: &str) -> Output {
        self.run(
            &format!("{key}\n"),
            &["login", "--url", &self.base, "--api-key-stdin"],
        )
    }

    /// `inlet <args>` with the profiles, `stdin` piped in.
    fn run(&self, stdin: &str, args: &[&str]) -> Output {
        profiled(&self.cfg, stdin, args)
    }

    fn stop(self) {
        self.server.stop();
    }
}

/// A server with the default profile logged in, a PostgreSQL database with
/// a table `big` of 3 rows, and a collection for its connection.
struct Warehouse {
    p: Profiles,
    db: common::TempDb,
    col: String,
}

impl Warehouse {
    async fn start() -> Self {
        let p = Profiles::logged_in();
        let db = common::TempDb::create("inlet_cli_fields").await;
        common::big_table(&db, 3).await;
        let col = ok(&p.run("", &["collections", "create", "Ops", "-q"]));
        let col = col.trim().to_owned();
        Self { p, db, col }
    }

    /// `inlet connections create` of a PostgreSQL connection `wh` to the
    /// database, every field but the password given, then `extra`.
    fn create(&self, stdin: &str, extra: &[&str]) -> Output {
        let database = format!("database={}", self.db.name);
        let mut args = vec![
            "connections",
            "create",
            "--type",
            "postgresql",
            "--name",
            "wh",
            "--collection",
            &self.col,
            "--field",
            "host=127.0.0.1",
            "--field",
            "port=5432",
            "--field",
            &database,
            "--field",
            "username=postgres",
            "--field",
            "sslmode=disable",
        ];
        args.extend_from_slice(extra);
        self.p.run(stdin, &args)
    }

    /// Creates the connection with its password from standard input, tested
    /// first, scheduled at 03:00; returns its id and the output.
    fn connection(&self) -> (String, Output) {
        let out = self.create(
            "pw-stdin-secret\n",
            &[
                "--password-stdin",
                "--test",
                "--config",
                "schedule=0 3 * * *",
                "-q",
            ],
        );
        let conn = ok(&out).trim().to_owned();
        (conn, out)
    }

    async fn stop(self) {
        self.p.stop();
        self.db.drop().await;
    }
}

/// `inlet login`: a key the server refuses is not saved; off a terminal
/// without `--api-key-stdin` it asks for that flag; the right key is saved
/// with the URL, in a file only its owner may read, and not shown.
#[test]
fn login_saves_only_a_key_the_server_accepts_readable_by_its_owner() {
    let p = Profiles::start();
    fails(&p.login("inl_not_a_key"), 4);
    assert!(!p.cfg.exists());
    let err = fails(&p.run("", &["login", "--url", &p.base]), 2);
    assert!(err.contains("--api-key-stdin"), "{err}");
    let out = p.login(KEY);
    assert!(ok(&out).contains("as profile \"default\""));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&p.cfg).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(std::fs::read_to_string(&p.cfg).unwrap().contains(&p.base));
    assert_no_secret(&[&out]);
    p.stop();
}

/// Commands use the default profile; a profile that does not exist is a
/// usage error saying how to make it; logging out forgets the key.
#[test]
fn commands_use_the_default_profile_until_logout_forgets_it() {
    let p = Profiles::logged_in();
    ok(&p.run("", &["collections", "create", "Ops", "-q"]));
    let err = fails(
        &p.run("", &["--profile", "staging", "collections", "list"]),
        2,
    );
    assert!(err.contains("inlet login --profile staging"), "{err}");
    ok(&p.run("", &["logout"]));
    let err = fails(&p.run("", &["collections", "list"]), 2);
    assert!(err.contains("inlet login"), "{err}");
    p.stop();
}

/// `inlet sources show` describes a source type's fields, marking the
/// secret ones.
#[test]
fn the_catalog_describes_the_fields_and_marks_secrets() {
    let p = Profiles::logged_in();
    let out = ok(&p.run("", &["sources", "show", "postgresql"]));
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("password") && l.contains("secret")),
        "{out}"
    );
    p.stop();
}

/// `inlet connections create`: a secret on the command line is refused and
/// not repeated; missing required fields, unknown fields and values of the
/// wrong type are named (exit 2); the password from standard input, tested
/// first, makes an active connection with its fields, config and next sync.
#[tokio::test]
async fn connections_create_refuses_secrets_in_arguments_and_reads_them_from_stdin() {
    let w = Warehouse::start().await;
    let argv = w.create("", &["--field", "password=pw-argv-secret"]);
    let err = fails(&argv, 2);
    assert!(err.contains("password is secret"), "{err}");
    let err = fails(&w.create("", &[]), 2);
    assert!(err.contains("missing required field(s) password"), "{err}");
    let err = fails(&w.create("", &["--field", "colour=blue"]), 2);
    assert!(err.contains("--field colour: no such field"), "{err}");
    let (conn, created) = w.connection();
    assert!(conn.starts_with("sc_"), "{conn}");
    let show = w.p.run("", &["connections", "show", &conn, "--json"]);
    let shown: Value = serde_json::from_str(&ok(&show)).unwrap();
    let c = &shown["sourceConnection"];
    assert_eq!(c["status"], "active");
    assert_eq!(c["secretFieldsSet"], json!(["password"]));
    assert_eq!(c["credentials"]["port"], 5432);
    assert_eq!(c["config"]["schedule"], "0 3 * * *");
    assert!(c["nextSyncAt"].is_string(), "{c}");
    assert_no_secret(&[&argv, &created, &show]);
    w.stop().await;
}

/// `inlet connections set-credentials`: the secret from a file (never an
/// argument); the other fields keep their values; a weaker TLS mode needs
/// the password again (the rule of every API); with `--test` a failing
/// test changes nothing and a passing one is recorded.
#[tokio::test]
async fn set_credentials_reads_secrets_from_files_and_tests_before_saving() {
    let w = Warehouse::start().await;
    let (conn, _) = w.connection();
    let set_credentials = |args: &[&str]| {
        let mut all = vec!["connections", "set-credentials", conn.as_str()];
        all.extend_from_slice(args);
        w.p.run("", &all)
    };
    let pw = w.p.data.path().join("pw");
    std::fs::write(&pw, "pw-file-secret\n").unwrap();
    let from_file = set_credentials(&["--field", &format!("password=@{}", pw.display())]);
    assert!(ok(&from_file).contains("changed password"));
    let err = fails(&set_credentials(&["--field", "password=x"]), 2);
    assert!(err.contains("password is secret"), "{err}");
    let err = fails(&set_credentials(&["--field", "sslmode=prefer"]), 1);
    assert!(err.contains("credentials.password"), "{err}");
    let pw_again = format!("password=@{}", pw.display());
    let out = set_credentials(&["--field", "sslmode=prefer", "--field", &pw_again, "--json"]);
    let after: Value = serde_json::from_str(&ok(&out)).unwrap();
    let c = &after["sourceConnection"];
    assert_eq!(c["credentials"]["sslmode"], "prefer");
    assert_eq!(c["credentials"]["host"], "127.0.0.1");
    assert_eq!(c["secretFieldsSet"], json!(["password"]));
    ok(&w.p.run("", &["connections", "test", &conn]));

    let err = fails(
        &set_credentials(&["--field", "database=inlet_cli_no_such_db", "--test"]),
        1,
    );
    assert!(err.contains("inlet_cli_no_such_db"), "{err}");
    let out = set_credentials(&[
        "--field",
        "sslmode=disable",
        "--field",
        &pw_again,
        "--test",
        "--json",
    ]);
    let after: Value = serde_json::from_str(&ok(&out)).unwrap();
    let c = &after["sourceConnection"];
    assert_eq!(c["credentials"]["sslmode"], "disable");
    assert_ne!(c["credentials"]["database"], "inlet_cli_no_such_db");
    assert_eq!(c["status"], "active", "a passing test leaves it active");
    assert_no_secret(&[&from_file]);
    w.stop().await;
}

/// `inlet connections set-config`: an empty value removes a field (the
/// schedule, and with it the next sync).
#[tokio::test]
async fn set_config_with_an_empty_value_removes_the_field() {
    let w = Warehouse::start().await;
    let (conn, _) = w.connection();
    let out = w.p.run(
        "",
        &[
            "connections",
            "set-config",
            &conn,
            "--config",
            "schedule=",
            "--json",
        ],
    );
    let after: Value = serde_json::from_str(&ok(&out)).unwrap();
    assert!(
        after["sourceConnection"]["config"]
            .get("schedule")
            .is_none(),
        "{after}"
    );
    assert!(after["sourceConnection"]["nextSyncAt"].is_null(), "{after}");
    w.stop().await;
}

/// `inlet schema refresh` prints the discovered schema as a tree, `schema
/// show --json` gives it as JSON; an unknown connection exits 3.
#[tokio::test]
async fn the_schema_prints_as_a_tree_or_json() {
    let w = Warehouse::start().await;
    let (conn, _) = w.connection();
    let out = ok(&w.p.run("", &["schema", "refresh", &conn]));
    assert!(out.starts_with("public\n  big (table"), "{out}");
    assert!(out.contains("id") && out.contains("primary key"), "{out}");
    let shown: Value =
        serde_json::from_str(&ok(&w.p.run("", &["schema", "show", &conn, "--json"]))).unwrap();
    assert_eq!(shown["schema"]["schemas"][0]["tables"][0]["name"], "big");
    fails(&w.p.run("", &["schema", "show", "sc_999"]), 3);
    w.stop().await;
}

/// `inlet keys`: the secret is shown once on creation, never in the list;
/// a revoked key stops working; an unknown scope is refused.
#[test]
fn keys_show_their_secret_once_and_stop_working_when_revoked() {
    let p = Profiles::logged_in();
    let created: Value = serde_json::from_str(&ok(&p.run(
        "",
        &["keys", "create", "reports", "--scopes", "read", "--json"],
    )))
    .unwrap();
    let new_key = created["apiKey"]["key"].as_str().unwrap().to_owned();
    let id = created["apiKey"]["id"].as_str().unwrap().to_owned();
    let listed = ok(&p.run("", &["keys", "list"]));
    assert!(
        listed.contains("reports") && !listed.contains(&new_key),
        "{listed}"
    );
    assert!(
        listed.lines().next().unwrap().contains("PREFIX"),
        "{listed}"
    );
    ok(&client(&p.base, Some(&new_key), &["collections", "list"]));
    ok(&p.run("", &["keys", "revoke", &id]));
    fails(
        &client(&p.base, Some(&new_key), &["collections", "list"]),
        4,
    );
    let err = fails(&p.run("", &["keys", "create", "x", "--scopes", "root"]), 1);
    assert!(err.contains("scopes"), "{err}");
    p.stop();
}

/// `inlet orgs` (the bootstrap key is an instance administrator): an
/// organization is created and listed; it starts denied local addresses
/// and file roots, and the administrator widens its policy; a bad network
/// is named.
#[test]
fn organizations_are_created_listed_and_their_policy_widened() {
    let p = Profiles::logged_in();
    let org = ok(&p.run("", &["orgs", "create", "Acme", "-q"]));
    let orgs: Value = serde_json::from_str(&ok(&p.run("", &["orgs", "list", "--json"]))).unwrap();
    assert!(
        orgs.as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == org.trim() && o["name"] == "Acme"),
        "{orgs}"
    );
    let org = org.trim();
    let shown = ok(&p.run("", &["orgs", "policy", org]));
    assert!(shown.contains("local addresses denied"), "{shown}");
    let set: Value = serde_json::from_str(&ok(&p.run(
        "",
        &[
            "orgs",
            "set-policy",
            org,
            "--allow-local",
            "--deny",
            "10.9.0.0/16",
            "--all-file-roots",
            "--json",
        ],
    )))
    .unwrap();
    assert_eq!(
        set["outboundPolicy"],
        json!({"allowedNetworks": [], "deniedNetworks": ["10.9.0.0/16"], "denyLocal": false,
               "fileRoots": null}),
        "{set}"
    );
    let err = fails(
        &p.run("", &["orgs", "set-policy", org, "--deny", "nope"]),
        1,
    );
    assert!(err.contains("deniedNetworks[0]"), "{err}");
    p.stop();
}

/// A key of the `read` scope may not create an organization: exit 4.
#[test]
fn a_read_key_may_not_create_an_organization() {
    let p = Profiles::logged_in();
    let reader: Value = serde_json::from_str(&ok(
        &p.run("", &["keys", "create", "r", "--scopes", "read", "--json"])
    ))
    .unwrap();
    fails(
        &client(
            &p.base,
            reader["apiKey"]["key"].as_str(),
            &["orgs", "create", "Nope"],
        ),
        4,
    );
    p.stop();
}

#[test]
fn completion_scripts_for_each_shell() {
    for (shell, marker) in [
        ("bash", "_inlet()"),
        ("zsh", "#compdef inlet"),
        ("fish", "complete -c inlet"),
    ] {
        let out = Command::new(BIN)
            .args(["completions", shell])
            .output()
            .unwrap();
        let script = ok(&out);
        assert!(
            script.contains(marker),
            "{shell}: {}",
            &script[..200.min(script.len())]
        );
        assert!(script.contains("set-credentials"), "{shell}");
    }
    fails(
        &Command::new(BIN)
            .args(["completions", "tcsh"])
            .output()
            .unwrap(),
        2,
    );
}
