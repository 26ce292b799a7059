//! Starts Inlet on 127.0.0.1:0 with a fresh store and calls it.

use std::io::Write;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, OnceLock};

use inlet_core::crypto::{Keyring, MasterKey};
use inlet_core::secret::Secret;
use inlet_core::service::Services;
use inlet_server::{Application, ServerConfig};
use inlet_store::SqlStore;
use inlet_store::testing::TempPgDatabase;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Every log line any test server wrote.
pub fn logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned()
}

static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;
impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug,sqlx=warn,hyper=warn")
            .with_writer(|| Capture)
            .with_ansi(false)
            .try_init();
    });
}

pub struct TestApp {
    pub base: String,
    pub admin_key: String,
    pub store: Arc<SqlStore>,
    pub client: reqwest::Client,
    pub sqlite_dir: Option<tempfile::TempDir>,
    /// The one file root (INLET_FILE_ROOTS) of this server.
    pub files: std::path::PathBuf,
    _files_dir: tempfile::TempDir,
    pub pg: Option<TempPgDatabase>,
    /// This node's search index (its follower stops when dropped).
    pub index: Option<inlet_index::IndexHandle>,
    pub _index_dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

pub struct Options {
    pub rate_limit: u32,
    /// INLET_AUTH_FAILURES_PER_MINUTE (high by default: tests share 127.0.0.1).
    pub auth_failures: u32,
    pub postgres: bool,
    /// INLET_DENIED_NETWORKS.
    pub denied: &'static str,
    pub allow_local_git: bool,
    pub timeout: std::time::Duration,
    pub schema_refresh: Option<std::time::Duration>,
    /// Job slots (0: no workers).
    pub workers: usize,
    /// Records per sync batch.
    pub batch_size: usize,
    /// Tick of the sync scheduler (schedules, continuous); `None`: not run.
    pub sync_scheduler: Option<std::time::Duration>,
    /// INLET_MIN_SYNC_INTERVAL.
    pub min_sync_interval: std::time::Duration,
    /// INLET_CONTINUOUS_INTERVAL.
    pub continuous_interval: std::time::Duration,
    /// How often an open event stream checks its key again.
    pub stream_recheck: std::time::Duration,
    /// How long one event stream may stay open.
    pub stream_max_duration: std::time::Duration,
    /// Another node: this store URL and admin key (another TestApp's, see
    /// [`TestApp::node_options`]) instead of a fresh store.
    pub node_of: Option<(String, String)>,
    /// The index directory (default: a fresh temporary one).
    pub index_dir: Option<std::path::PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            rate_limit: 100_000,
            auth_failures: 100_000,
            postgres: false,
            denied: "",
            allow_local_git: false,
            timeout: std::time::Duration::from_secs(5),
            schema_refresh: None,
            workers: 2,
            batch_size: 1000,
            sync_scheduler: None,
            min_sync_interval: std::time::Duration::from_secs(60),
            continuous_interval: std::time::Duration::from_secs(30),
            stream_recheck: std::time::Duration::from_secs(5),
            stream_max_duration: std::time::Duration::from_secs(900),
            node_of: None,
            index_dir: None,
        }
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::with(Options::default()).await
    }

    pub async fn with(opts: Options) -> Self {
        init_logs();
        let (url, sqlite_dir, pg) = if let Some((url, _)) = &opts.node_of {
            (url.clone(), None, None)
        } else if opts.postgres {
            let db = TempPgDatabase::create()
                .await
                .expect("PostgreSQL on 127.0.0.1:5432");
            (db.url.clone(), None, Some(db))
        } else {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite:{}", dir.path().join("inlet.db").display());
            (url, Some(dir), None)
        };
        let store = inlet_store::open(&url).await.unwrap();
        let (key, _) = MasterKey::generate();
        let files_dir = tempfile::tempdir().unwrap();
        let files = std::fs::canonicalize(files_dir.path()).unwrap();
        let policy = inlet_core::policy::OutboundPolicy {
            allowed: vec![],
            denied: inlet_core::policy::OutboundPolicy::parse_networks("denied", opts.denied)
                .unwrap(),
            file_roots: vec![files.clone()],
            allow_local_git: opts.allow_local_git,
            ..Default::default()
        };
        let services = Services::new(
            store.clone(),
            Arc::new(Keyring::new(key, vec![])),
            inlet_connectors::catalog(),
        )
        .with_outbound(inlet_core::connector::Context {
            policy: Arc::new(policy),
            timeout: opts.timeout,
            resolver: Default::default(),
        })
        .with_sync(inlet_core::service::SyncSettings {
            batch_size: opts.batch_size,
            lease: std::time::Duration::from_secs(3),
            ..Default::default()
        })
        .with_schedules(inlet_core::schedule::ScheduleSettings {
            min_interval: opts.min_sync_interval,
            continuous_interval: opts.continuous_interval,
        });
        // A second node shares the first one's store (and admin key); its
        // master key differs, which only matters for sources with secrets.
        let admin_key = match &opts.node_of {
            Some((_, key)) => key.clone(),
            None => {
                let admin_key = format!("inl_test_admin_{}", rand::random::<u64>());
                services
                    .bootstrap(Some(Secret::new(admin_key.clone())))
                    .await
                    .unwrap()
                    .unwrap();
                admin_key
            }
        };
        // Each node its own index, committing often so tests wait little.
        let index_dir = tempfile::tempdir().unwrap();
        let mut index_config = inlet_index::IndexConfig::new(
            opts.index_dir
                .clone()
                .unwrap_or_else(|| index_dir.path().to_path_buf()),
        );
        index_config.commit_interval = std::time::Duration::from_millis(20);
        index_config.poll_interval = std::time::Duration::from_millis(20);
        index_config.memory_bytes = 15_000_000;
        let log: Arc<dyn inlet_core::store::ChangeLog> = store.clone();
        let index = inlet_index::start(log, index_config).unwrap();
        let jobs = inlet_worker::Executor::new(inlet_worker::registry());
        let services = services.with_index(index.index()).with_jobs(jobs.clone());
        let app = Application::build(
            ServerConfig {
                listen: "127.0.0.1:0".parse().unwrap(),
                rate_limit_per_minute: NonZeroU32::new(opts.rate_limit).unwrap(),
                auth_failures_per_minute: NonZeroU32::new(opts.auth_failures).unwrap(),
                stream_recheck: opts.stream_recheck,
                stream_max_duration: opts.stream_max_duration,
            },
            services.clone(),
        )
        .await
        .unwrap();
        if opts.workers > 0 {
            inlet_worker::Runner::new(
                services.clone(),
                jobs,
                inlet_worker::RunnerConfig {
                    workers: opts.workers,
                    poll: std::time::Duration::from_millis(100),
                },
            )
            .spawn();
        }
        if let Some(interval) = opts.schema_refresh {
            inlet_worker::spawn_schema_scheduler(services.clone(), interval);
        }
        if let Some(tick) = opts.sync_scheduler {
            inlet_worker::spawn_sync_scheduler(services.clone(), tick);
        }
        let addr = app.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        Self {
            base: format!("http://{addr}"),
            admin_key,
            store,

            client: reqwest::Client::new(),
            sqlite_dir,
            files,
            _files_dir: files_dir,
            pg,
            index: Some(index),
            _index_dir: index_dir,
            stop: Some(tx),
        }
    }

    /// Options for another node on this app's store (PostgreSQL: several
    /// nodes share one database; with SQLite, processes share the file).
    pub fn node_options(&self) -> Options {
        let url = match (&self.pg, &self.sqlite_dir) {
            (Some(pg), _) => pg.url.clone(),
            (None, Some(dir)) => format!("sqlite:{}", dir.path().join("inlet.db").display()),
            (None, None) => panic!("a second node of a second node"),
        };
        Options {
            node_of: Some((url, self.admin_key.clone())),
            ..Default::default()
        }
    }

    /// Waits until this node's search index has applied every change the
    /// store holds (a sync's, a clear's, a delete's): searches are served
    /// from the index, a moment behind the store.
    pub async fn index_caught_up(&self) {
        use inlet_core::search::Index as _;
        use inlet_core::store::ChangeLog as _;
        let head = self.store.log_head().await.unwrap().seq;
        let mut applied = self.index.as_ref().unwrap().index().applied();
        tokio::time::timeout(
            std::time::Duration::from_secs(30),
            applied.wait_for(|s| *s >= head),
        )
        .await
        .expect("the index catches up within 30 s")
        .unwrap();
    }

    /// Stops the server and drops a PostgreSQL test database.
    pub async fn finish(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        drop(self.index.take());
        if let Some(pg) = self.pg.take() {
            pg.drop_db().await.unwrap();
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Resp::from(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str, key: &str) -> Resp {
        self.call(Method::GET, path, Some(key), None).await
    }
    pub async fn post(&self, path: &str, key: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(key), Some(body)).await
    }
    pub async fn patch(&self, path: &str, key: &str, body: Value) -> Resp {
        self.call(Method::PATCH, path, Some(key), Some(body)).await
    }
    pub async fn put(&self, path: &str, key: &str, body: Value) -> Resp {
        self.call(Method::PUT, path, Some(key), Some(body)).await
    }
    pub async fn delete(&self, path: &str, key: &str) -> Resp {
        self.call(Method::DELETE, path, Some(key), None).await
    }

    /// Creates a collection with the admin key and returns its id.
    pub async fn collection(&self, key: &str, name: &str) -> String {
        let r = self
            .post("/api/v1/collections", key, json!({"name": name}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["collection"]["id"].as_str().unwrap().to_owned()
    }

    /// A connection as the API shows it (asserting 200).
    pub async fn connection_state(&self, conn: &str) -> Value {
        let r = self
            .get(
                &format!("/api/v1/source-connections/{conn}"),
                &self.admin_key,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["sourceConnection"].clone()
    }

    /// Tests a connection with the admin key, asserting it passes (the
    /// connection becomes `active`).
    pub async fn activate(&self, conn: &str) {
        let r = self
            .post(
                &format!("/api/v1/source-connections/{conn}/test"),
                &self.admin_key,
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }

    /// Creates a connection from a create body and returns its id.
    pub async fn connection(&self, key: &str, body: Value) -> String {
        let r = self.post("/api/v1/source-connections", key, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["sourceConnection"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Creates a PostgreSQL connection and returns its id.
    pub async fn pg_connection(
        &self,
        key: &str,
        collection: &str,
        name: &str,
        password: &str,
    ) -> String {
        self.connection(
            key,
            json!({
                "collectionId": collection,
                "sourceShortName": "postgresql",
                "name": name,
                "credentials": {"host": "127.0.0.1", "port": 5432, "database": "app",
                                "username": "reader", "password": password},
            }),
        )
        .await
    }

    /// Creates an organization with an admin service token; returns (org id, key).
    pub async fn org_with_key(&self, name: &str, scopes: &[&str]) -> (String, String) {
        let r = self
            .post(
                "/api/v1/organizations",
                &self.admin_key,
                json!({"name": name}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let org = r.body["organization"]["id"].as_str().unwrap().to_owned();
        let key = self
            .key(&json!({"organizationId": org, "name": "k", "scopes": scopes}))
            .await;
        (org, key)
    }

    /// Stores a read key of organization 1 directly (bypassing the API's
    /// checks, e.g. to give it an expiry that is about to pass).
    pub async fn store_key(&self, expires_at: Option<inlet_core::model::Timestamp>) -> String {
        use inlet_core::store::KeyStore;
        let g = inlet_core::auth::generate_key();
        self.store
            .create_api_key(inlet_core::model::api_key::NewApiKey {
                org_id: inlet_core::ids::OrgId(1),
                user_id: None,
                name: "stored".into(),
                hash: g.hash,
                prefix: g.prefix,
                scopes: vec![inlet_core::auth::Scope::Read],
                collection_ids: vec![],
                instance_admin: false,
                expires_at,
                parent_key_id: None,
            })
            .await
            .unwrap();
        g.secret.expose().to_owned()
    }

    /// Creates a key with the admin key; returns its secret.
    pub async fn key(&self, body: &Value) -> String {
        let r = self
            .post("/api/v1/api-keys", &self.admin_key, body.clone())
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["apiKey"]["key"].as_str().unwrap().to_owned()
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Resp {
    async fn from(r: reqwest::Response) -> Self {
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            text,
            body,
        }
    }

    /// Asserts the 003 error envelope with `code`.
    pub fn assert_error(&self, status: StatusCode, code: &str) -> &Self {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.body["success"], false, "{}", self.text);
        assert_eq!(self.body["error"]["code"], code, "{}", self.text);
        assert!(
            self.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        self
    }

    /// Asserts `status` and an `{"error": {"code", "message"}}` object with
    /// `code` and a message (the vendor dialects' errors share this core).
    pub fn assert_coded_error(&self, status: StatusCode, code: &str) -> &Self {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.body["error"]["code"], code, "{}", self.text);
        assert!(!self.message().is_empty(), "{}", self.text);
        self
    }

    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }
}

/// Makes `dir` a git repository on branch `main` with everything in it
/// committed (with the git command line; Inlet itself uses gix).
pub fn git_commit_all(dir: &std::path::Path) {
    for args in [
        vec!["init", "-q", "-b", "main"],
        vec!["add", "."],
        vec![
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "-m",
            "init",
        ],
    ] {
        let ok = std::process::Command::new("git")
            .args(&args)
            .current_dir(dir)
            .status()
            .unwrap();
        assert!(ok.success(), "git {args:?}");
    }
}
