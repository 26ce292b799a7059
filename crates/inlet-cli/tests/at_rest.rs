//! What Inlet keeps on disk, as an operator starts it: a private data
//! directory and store files, a warning for wider ones, and a master key
//! that must match the store (never silently replaced, never wrong).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};

use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_inlet");

/// A master key that is not the store's: base64 of the bytes 0..32.
const WRONG_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Where a test's server keeps its data (`dir/data`, absent until the
/// first start unless the test makes it) and its logs.
struct Site {
    dir: tempfile::TempDir,
    admin: String,
}

/// A server that started, killed if a test fails before stopping it.
struct Running {
    child: Child,
    base: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// SIGTERM; it must exit cleanly.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        assert!(self.child.wait().unwrap().success());
    }
}

/// How a start ended.
enum Start {
    Serving(Running),
    Exited(ExitStatus),
}

impl Site {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            admin: format!("inl_at_rest_admin_{}", std::process::id()),
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log(&self, n: u32) -> PathBuf {
        self.dir.path().join(format!("serve-{n}.log"))
    }

    /// `inlet serve` with `env`, its log (debug level, so every line it
    /// could write is checked) in `log(n)`; returns once it listens or
    /// has exited.
    fn serve(&self, n: u32, env: &[(&str, &str)]) -> Start {
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .env("INLET_DATA_DIR", self.data())
            .env("INLET_LISTEN", "127.0.0.1:0")
            .env("INLET_LOG", "debug,sqlx=warn,hyper=warn")
            .env("INLET_BOOTSTRAP_API_KEY", &self.admin)
            .env("NO_COLOR", "1")
            .env_remove("INLET_DATABASE_URL")
            .env_remove("INLET_MASTER_KEY")
            .env_remove("INLET_MASTER_KEY_FILE")
            .current_dir(self.dir.path())
            .stdout(Stdio::piped())
            .stderr(File::create(self.log(n)).unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        for line in lines.by_ref() {
            if let Some(base) = line.unwrap().strip_prefix("Inlet listening on ") {
                let base = base.trim().to_owned();
                std::thread::spawn(move || for _ in lines {});
                return Start::Serving(Running { child, base });
            }
        }
        Start::Exited(child.wait().unwrap())
    }

    /// A start that must serve (and answers, so its signal handlers are
    /// in place before a test stops it).
    fn start(&self, n: u32, env: &[(&str, &str)]) -> Running {
        match self.serve(n, env) {
            Start::Serving(r) => {
                healthz(&r.base);
                r
            }
            Start::Exited(status) => panic!("exited ({status}): {}", self.read_log(n)),
        }
    }

    /// A start that must stop with a non-zero status; returns its log.
    fn refused(&self, n: u32, env: &[(&str, &str)]) -> String {
        match self.serve(n, env) {
            Start::Serving(r) => {
                drop(r);
                panic!("started: {}", self.read_log(n))
            }
            Start::Exited(status) => {
                assert!(!status.success(), "{status}");
                self.read_log(n)
            }
        }
    }

    fn read_log(&self, n: u32) -> String {
        std::fs::read_to_string(self.log(n)).unwrap()
    }
}

/// `GET /healthz` must answer 200 (plain HTTP/1.0 over a socket: the
/// process tests are synchronous).
fn healthz(base: &str) {
    use std::io::{Read, Write};
    let addr = base.strip_prefix("http://").unwrap();
    let mut socket = std::net::TcpStream::connect(addr).unwrap();
    socket
        .write_all(b"GET /healthz HTTP/1.0\r\nHost: inlet\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.0 200"), "{answer}");
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The warning a start logs for `path` at `mode`.
fn warned(log: &str, path: &Path, mode: &str) -> bool {
    log.lines().any(|l| {
        l.contains("WARN")
            && l.contains(&format!("path={}", path.display()))
            && l.contains(&format!("mode={mode}"))
    })
}

#[test]
fn a_new_data_directory_and_its_store_are_private() {
    let site = Site::new();
    let data = site.data();
    let server = site.start(1, &[]);
    // While it runs: SQLite's -wal and -shm exist, with the database's mode.
    assert_eq!(mode(&data), 0o700);
    for file in ["inlet.db", "inlet.db-wal", "inlet.db-shm", "master.key"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    server.stop();
    let log = site.read_log(1);
    assert!(!log.contains("open to other users"), "{log}");
}

#[test]
fn wider_modes_are_warned_about_and_the_start_goes_on() {
    let site = Site::new();
    let data = site.data();
    // A data directory made beforehand by someone else, 0755.
    std::fs::create_dir(&data).unwrap();
    chmod(&data, 0o755);
    let server = site.start(1, &[]);
    let log = site.read_log(1);
    assert!(warned(&log, &data, "0755"), "{log}");
    // Inlet changes no mode behind the operator's back.
    assert_eq!(mode(&data), 0o755);
    server.stop();

    // Files loosened since: each one is named, with its mode.
    chmod(&data, 0o700);
    chmod(&data.join("inlet.db"), 0o644);
    chmod(&data.join("master.key"), 0o640);
    let server = site.start(2, &[]);
    let log = site.read_log(2);
    assert!(warned(&log, &data.join("inlet.db"), "0644"), "{log}");
    assert!(warned(&log, &data.join("master.key"), "0640"), "{log}");
    assert!(!warned(&log, &data, "0700"), "{log}");
    server.stop();
}

/// Creates a PostgreSQL connection holding `password` (never connected to).
async fn connection_with_secret(base: &str, admin: &str, password: &str) {
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{base}/api/v1/collections"))
        .bearer_auth(admin)
        .json(&json!({"name": "c"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = client
        .post(format!("{base}/api/v1/source-connections"))
        .bearer_auth(admin)
        .json(
            &json!({"collectionId": "col_1", "sourceShortName": "postgresql", "name": "db",
            "credentials": {"host": "127.0.0.1", "port": 5432, "database": "d",
                            "username": "u", "password": password}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

/// Nothing secret in what a refused start printed.
fn holds_no_secret(log: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!log.contains(secret), "{secret} in: {log}");
    }
}

#[tokio::test]
async fn a_master_key_that_does_not_match_the_store_stops_the_start() {
    let site = Site::new();
    let data = site.data();
    let key_file = data.join("master.key");
    let server = site.start(1, &[]);
    let password = format!("pw-at-rest-{}", std::process::id());
    connection_with_secret(&server.base, &site.admin, &password).await;
    server.stop();
    let key = std::fs::read_to_string(&key_file)
        .unwrap()
        .trim()
        .to_owned();
    let secrets = [
        key.as_str(),
        WRONG_KEY,
        password.as_str(),
        site.admin.as_str(),
    ];

    // (a) The key file is lost: no new one is made for this store.
    std::fs::remove_file(&key_file).unwrap();
    let log = site.refused(2, &[]);
    assert!(!key_file.exists(), "a new master key file was created");
    assert!(
        log.contains("does not exist")
            && log.contains(&key_file.display().to_string())
            && log.contains("Restore")
            && log.contains("INLET_MASTER_KEY"),
        "{log}"
    );
    holds_no_secret(&log, &secrets);
    let store_key_id = log
        .split("sealed with master key ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_hexdigit()).next())
        .unwrap_or_else(|| panic!("no key id in: {log}"))
        .to_owned();
    assert_eq!(store_key_id.len(), 16, "{log}");

    // (b) A wrong INLET_MASTER_KEY, with or without the key file.
    let log = site.refused(3, &[("INLET_MASTER_KEY", WRONG_KEY)]);
    assert!(
        log.contains("does not match the store") && log.contains(&store_key_id),
        "{log}"
    );
    holds_no_secret(&log, &secrets);
    std::fs::write(&key_file, format!("{key}\n")).unwrap();
    chmod(&key_file, 0o600);
    let log = site.refused(4, &[("INLET_MASTER_KEY", WRONG_KEY)]);
    assert!(log.contains("does not match the store"), "{log}");
    holds_no_secret(&log, &secrets);

    // The right key, from the environment or the restored file, starts.
    site.start(5, &[("INLET_MASTER_KEY", &key)]).stop();
    site.start(6, &[]).stop();

    // A rotation moves the check value to the new key: the old one, given
    // again, is refused; the key file's new key starts.
    let out = Command::new(BIN)
        .args(["admin", "rotate-master-key"])
        .env("INLET_DATA_DIR", &data)
        .env_remove("INLET_DATABASE_URL")
        .env_remove("INLET_MASTER_KEY")
        .env_remove("INLET_MASTER_KEY_FILE")
        .current_dir(site.dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = site.refused(7, &[("INLET_MASTER_KEY", &key)]);
    assert!(log.contains("does not match the store"), "{log}");
    assert!(
        !log.contains(&format!("sealed with master key {store_key_id}")),
        "{log}"
    );
    holds_no_secret(&log, &secrets);
    site.start(8, &[]).stop();

    // (c) No log of any start, refused or not, holds a key or the password
    // (the admin key was given, so it is never printed either).
    for n in 1..=8 {
        holds_no_secret(&site.read_log(n), &secrets);
    }
}
