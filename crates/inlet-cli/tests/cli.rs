//! The `inlet` binary as an operator runs it: first start, configuration
//! errors, keys, master key rotation, graceful shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_inlet");

struct Server {
    child: Child,
    base: String,
    printed: Vec<String>,
}

impl Server {
    fn start(data: &Path, extra_env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .env("INLET_DATA_DIR", data)
            .env("INLET_LISTEN", "127.0.0.1:0")
            .env("INLET_LOG", "warn")
            .env_remove("INLET_DATABASE_URL")
            .env_remove("INLET_MASTER_KEY")
            .env_remove("INLET_BOOTSTRAP_API_KEY")
            .current_dir(data)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut printed = Vec::new();
        let base = loop {
            let line = lines
                .next()
                .expect("server exited before listening")
                .unwrap();
            printed.push(line.clone());
            if let Some(rest) = line.strip_prefix("Inlet listening on ") {
                break rest.trim().to_owned();
            }
        };
        // The docs URL follows the address.
        if let Some(Ok(line)) = lines.next() {
            printed.push(line);
        }
        Self {
            child,
            base,
            printed,
        }
    }

    fn printed_key(&self) -> Option<String> {
        self.printed
            .iter()
            .map(|l| l.trim())
            .find(|l| l.starts_with("inl_"))
            .map(str::to_owned)
    }

    /// SIGTERM, then the process must exit cleanly.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let status = self.child.wait().unwrap();
        assert!(status.success(), "exit status {status}");
    }
}

/// Runs a command to its end (with RUST_BACKTRACE set, so a backtrace in
/// an error would show).
fn inlet(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("INLET_DATA_DIR", data)
        .env("RUST_BACKTRACE", "1")
        .env_remove("INLET_DATABASE_URL")
        .env_remove("INLET_MASTER_KEY")
        .current_dir(data)
        .output()
        .unwrap()
}

#[tokio::test]
async fn first_start_bootstraps_once_and_rotation_keeps_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    // Private, as Inlet makes a data directory (a wider one is warned
    // about on standard error, which this test reads).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(data, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let server = Server::start(data, &[]);
    let key = server
        .printed_key()
        .expect("an admin key is printed on first start");
    assert!(server.printed.iter().any(|l| l.contains("/docs")));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("master.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let client = reqwest::Client::new();
    let r = client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .post(format!("{}/api/v1/collections", server.base))
        .bearer_auth(&key)
        .json(&json!({"name": "c"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = client
        .post(format!("{}/api/v1/source-connections", server.base))
        .bearer_auth(&key)
        .json(&json!({"collectionId": "col_1", "sourceShortName": "postgresql", "name": "db",
            "credentials": {"host": "h", "port": 5432, "database": "d", "username": "u", "password": "rotate-me"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    server.stop();

    // Rotate the master key: the file changes and still holds one key.
    let before = std::fs::read_to_string(data.join("master.key")).unwrap();
    let out = inlet(data, &["admin", "rotate-master-key"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("re-encrypted 1 credential set"));
    let after = std::fs::read_to_string(data.join("master.key")).unwrap();
    assert_ne!(before, after);
    assert_eq!(after.lines().count(), 1);

    // Second start: no new key; the old secret opens under the new master key
    // (updating credentials without the password merges the stored one; the
    // destination stays, so the password need not be given again).
    let server = Server::start(data, &[]);
    assert!(server.printed_key().is_none());
    let r = client
        .put(format!(
            "{}/api/v1/source-connections/sc_1/credentials",
            server.base
        ))
        .bearer_auth(&key)
        .json(
            &json!({"credentials": {"host": "h", "port": 5432, "database": "d2", "username": "u"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // The bootstrap and the rotation are in the trail, as the operator.
    let trail: serde_json::Value = client
        .get(format!("{}/api/v1/audit-events?pageSize=100", server.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let by_operator = |action: &str| {
        trail["auditEvents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == action)
            .filter(|e| e["actor"]["apiKeyId"].is_null() && e["actor"]["apiKeyName"] == "operator")
            .cloned()
            .unwrap_or_else(|| panic!("no {action} by the operator in {trail}"))
    };
    assert_eq!(by_operator("organization.created")["objectId"], "org_1");
    by_operator("organization.outbound_policy_set");
    let rotated = by_operator("instance.master_key_rotated");
    assert_eq!(rotated["summary"]["credentialSets"], 1);
    assert!(
        rotated["summary"]["keyId"]
            .as_str()
            .is_some_and(|k| !k.is_empty())
    );
    assert_eq!(
        by_operator("api_key.created")["summary"]["name"],
        "bootstrap admin"
    );

    // `admin create-key` makes a working key, through the same services (and
    // validation) as the API.
    let out = inlet(
        data,
        &["admin", "create-key", "--org", "org_1", "--scopes", "read"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let new_key = stdout.split_whitespace().nth(1).unwrap().to_owned();
    let r = client
        .get(format!("{}/api/v1/sources", server.base))
        .bearer_auth(&new_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for (args, says) in [
        (&["admin", "create-key", "--org", "org_99"][..], "not found"),
        (
            &["admin", "create-key", "--org", "org_1", "--name", ""],
            "name",
        ),
        (
            &[
                "admin",
                "create-key",
                "--org",
                "org_1",
                "--collections",
                "col_404",
            ],
            "collection",
        ),
    ] {
        let out = inlet(data, args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("error: ") && err.contains(says),
            "{args:?}: {err}"
        );
        assert!(!err.contains("backtrace"), "{args:?}: {err}");
    }
    server.stop();
}

#[tokio::test]
async fn bootstrap_key_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &[("INLET_BOOTSTRAP_API_KEY", "inl_automation_key_123")],
    );
    assert!(server.printed_key().is_none(), "a given key is not printed");
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/organizations", server.base))
        .bearer_auth("inl_automation_key_123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    server.stop();
}

#[test]
fn invalid_settings_fail_at_start_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (vec!["migrate", "--listen", "not-an-address"], "listen"),
        (
            vec!["migrate", "--database-url", "mysql://x"],
            "database_url",
        ),
        (
            vec!["migrate", "--rate-limit-per-minute", "0"],
            "rate_limit_per_minute",
        ),
        (
            vec!["migrate", "--master-key", "c2hvcnQ="],
            "INLET_MASTER_KEY",
        ),
        (
            vec!["migrate", "--auth-failures-per-minute", "0"],
            "INLET_AUTH_FAILURES_PER_MINUTE",
        ),
        (
            vec!["migrate", "--stream-recheck-interval", "0"],
            "INLET_STREAM_RECHECK_INTERVAL",
        ),
        (
            vec!["migrate", "--stream-max-duration", "soon"],
            "INLET_STREAM_MAX_DURATION",
        ),
        (
            vec!["migrate", "--database-pool-size", "0"],
            "INLET_DATABASE_POOL_SIZE",
        ),
        (
            vec!["migrate", "--database-pool-size", "1001"],
            "database_pool_size",
        ),
        (
            vec!["migrate", "--database-pool-size", "many"],
            "--database-pool-size",
        ),
    ] {
        let out = inlet(dir.path(), &args);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    std::fs::write(
        dir.path().join("inlet.toml"),
        "rate_limit_per_minute = \"lots\"\n",
    )
    .unwrap();
    let out = inlet(dir.path(), &["migrate"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("rate_limit_per_minute"));
}

#[test]
fn the_log_is_plain_text_when_it_is_not_a_terminal() {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .arg("migrate")
        .env("INLET_DATA_DIR", data.path())
        .env("INLET_LOG", "info")
        .env_remove("INLET_DATABASE_URL")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(out.status.success());
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("applied migration"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a piped log: {log:?}"
    );
}

#[test]
fn openapi_command_prints_the_committed_document() {
    let out = Command::new(BIN).arg("openapi").output().unwrap();
    assert!(out.status.success());
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/openapi.json"
    ))
    .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), committed);
}
