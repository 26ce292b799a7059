//! Connection tests and schema discovery against the real services of the
//! machine: PostgreSQL on 127.0.0.1:5432, MariaDB on 127.0.0.1:3306, files
//! under the server's file root, local git repositories. Every test creates
//! its own database, user or files and removes them.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::harness::{Options, Resp, TestApp};

fn unique(prefix: &str) -> String {
    format!("{prefix}_{:x}", rand::random::<u64>())
}

async fn admin_pg() -> sqlx::PgConnection {
    sqlx::PgConnection::connect("postgres://postgres@127.0.0.1:5432/postgres")
        .await
        .unwrap()
}

async fn admin_mysql() -> sqlx::MySqlConnection {
    sqlx::MySqlConnection::connect("mysql://root@127.0.0.1:3306/test")
        .await
        .unwrap()
}

async fn exec_pg(conn: &mut sqlx::PgConnection, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(conn)
        .await
        .unwrap();
}

async fn exec_mysql(conn: &mut sqlx::MySqlConnection, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(conn)
        .await
        .unwrap();
}

/// Creates a connection and returns its id.
async fn create(app: &TestApp, kind: &str, credentials: Value, config: Value) -> String {
    let col =
        match app.get("/api/v1/collections", &app.admin_key).await.body["collections"][0]["id"]
            .as_str()
        {
            Some(c) => c.to_owned(),
            None => app.collection(&app.admin_key, "sources").await,
        };
    let r = app
        .post(
            "/api/v1/source-connections",
            &app.admin_key,
            json!({"collectionId": col, "sourceShortName": kind, "name": unique(kind),
                   "credentials": credentials, "config": config}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["sourceConnection"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn test(app: &TestApp, id: &str) -> Resp {
    app.post(
        &format!("/api/v1/source-connections/{id}/test"),
        &app.admin_key,
        json!({}),
    )
    .await
}

async fn refresh(app: &TestApp, id: &str) -> Resp {
    app.post(
        &format!("/api/v1/source-connections/{id}/schema/refresh"),
        &app.admin_key,
        json!({}),
    )
    .await
}

fn assert_connected(r: &Resp) {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"success": true, "status": "connected", "message": "Connection successful"})
    );
}

fn table<'a>(schema: &'a Value, schema_name: &str, table: &str) -> &'a Value {
    schema["schemas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == schema_name)
        .unwrap_or_else(|| panic!("schema {schema_name} missing: {schema}"))["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == table)
        .unwrap_or_else(|| panic!("table {table} missing: {schema}"))
}

/// A server, and a PostgreSQL database of the test's own owned by a role
/// of its own: schema `sales` (`orders` of 50 rows, `customers`, the view
/// `big_orders`) and `public.other`. Dropped by [`PgSource::finish`].
struct PgSource {
    app: TestApp,
    db: String,
    role: String,
    /// The role's credentials (sslmode `disable`).
    creds: Value,
}

impl PgSource {
    async fn start() -> Self {
        let app = TestApp::spawn().await;
        let db = unique("inlet_src");
        let role = unique("inlet_role");
        let mut admin = admin_pg().await;
        exec_pg(
            &mut admin,
            &format!("CREATE ROLE {role} LOGIN PASSWORD 'pw-{role}'"),
        )
        .await;
        exec_pg(&mut admin, &format!("CREATE DATABASE {db} OWNER {role}")).await;
        let mut c =
            sqlx::PgConnection::connect(&format!("postgres://postgres@127.0.0.1:5432/{db}"))
                .await
                .unwrap();
        exec_pg(
            &mut c,
            &format!(
                "CREATE SCHEMA sales AUTHORIZATION {role};
                 CREATE TABLE sales.orders (id bigint PRIMARY KEY, customer text NOT NULL, total numeric(10,2) DEFAULT 0, note text);
                 CREATE TABLE sales.customers (id int PRIMARY KEY, name text);
                 CREATE VIEW sales.big_orders AS SELECT * FROM sales.orders WHERE total > 100;
                 CREATE TABLE public.other (x int);
                 INSERT INTO sales.orders SELECT g, 'c' || g, g FROM generate_series(1, 50) g;
                 ANALYZE sales.orders;"
            ),
        )
        .await;
        c.close().await.unwrap();
        let creds = json!({"host": "127.0.0.1", "port": 5432, "database": db, "username": role,
                           "password": format!("pw-{role}"), "sslmode": "disable"});
        Self {
            app,
            db,
            role,
            creds,
        }
    }

    /// The role's credentials with `field` set to `value`.
    fn creds_with(&self, field: &str, value: Value) -> Value {
        let mut creds = self.creds.clone();
        creds[field] = value;
        creds
    }

    /// A connection with the role's credentials, reading schema `sales`.
    async fn sales(&self) -> String {
        create(
            &self.app,
            "postgresql",
            self.creds.clone(),
            json!({"schema": "sales"}),
        )
        .await
    }

    async fn finish(self) {
        let (db, role) = (&self.db, &self.role);
        let mut admin = admin_pg().await;
        exec_pg(&mut admin, &format!("DROP DATABASE {db} WITH (FORCE)")).await;
        exec_pg(&mut admin, &format!("DROP ROLE {role}")).await;
        self.app.finish().await;
    }
}

/// A new PostgreSQL connection is pending; a passing test answers
/// "connected" and makes it active, with when it was tested and connected.
#[tokio::test]
async fn postgresql_test_passing_makes_the_connection_active() {
    let pg = PgSource::start().await;
    let app = &pg.app;
    let id = pg.sales().await;
    assert_eq!(app.connection_state(&id).await["status"], "pending");

    assert_connected(&test(app, &id).await);
    let c = app.connection_state(&id).await;
    assert_eq!(c["status"], "active");
    assert!(c["lastTestedAt"].is_string() && c["lastSuccessfulConnectionAt"].is_string());
    assert!(c["lastError"].is_null());
    pg.finish().await;
}

/// PostgreSQL discovery: no schema before the first refresh; the refresh
/// reads only the configured schema (tables with their row estimates,
/// columns, keys, types and defaults; views), stores it and records when.
#[tokio::test]
async fn postgresql_discovery_reads_the_configured_schema_and_stores_it() {
    let pg = PgSource::start().await;
    let app = &pg.app;
    let id = pg.sales().await;
    assert_connected(&test(app, &id).await);

    app.get(
        &format!("/api/v1/source-connections/{id}/schema"),
        &app.admin_key,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    let r = refresh(app, &id).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let schema = &r.body["schema"];
    assert_eq!(
        schema["schemas"].as_array().unwrap().len(),
        1,
        "the schema filter applies: {schema}"
    );
    let orders = table(schema, "sales", "orders");
    assert_eq!(orders["kind"], "table");
    assert_eq!(orders["rowEstimate"], 50);
    let cols = orders["columns"].as_array().unwrap();
    assert_eq!(
        cols.iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["id", "customer", "total", "note"]
    );
    assert_eq!(cols[0]["primaryKey"], true);
    assert_eq!(cols[0]["nullable"], false);
    assert_eq!(cols[2]["dataType"], "numeric(10,2)");
    assert_eq!(cols[2]["default"], "0");
    assert_eq!(cols[3]["nullable"], true);
    assert_eq!(table(schema, "sales", "big_orders")["kind"], "view");
    let stored = app
        .get(
            &format!("/api/v1/source-connections/{id}/schema"),
            &app.admin_key,
        )
        .await;
    assert_eq!(stored.body["schema"], *schema);
    assert!(app.connection_state(&id).await["schemaDiscoveredAt"].is_string());
    pg.finish().await;
}

/// A role that does not exist: the test fails with the server's own
/// reason, never the password, and the connection is failed with that
/// error and no successful connection.
#[tokio::test]
async fn postgresql_test_of_a_missing_role_gives_the_servers_reason_never_the_password() {
    let pg = PgSource::start().await;
    let app = &pg.app;
    let bad = create(
        app,
        "postgresql",
        json!({"host": "127.0.0.1", "port": 5432, "database": pg.db,
        "username": "no_such_role_xyz", "password": "pw-never-shown", "sslmode": "disable"}),
        json!({}),
    )
    .await;
    let r = test(app, &bad).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_credentials");
    assert!(
        r.message()
            .contains("role \"no_such_role_xyz\" does not exist"),
        "{}",
        r.message()
    );
    assert!(!r.text.contains("pw-never-shown"));
    let c = app.connection_state(&bad).await;
    assert_eq!(c["status"], "failed");
    assert!(c["lastError"].as_str().unwrap().contains("does not exist"));
    assert!(c["lastSuccessfulConnectionAt"].is_null());
    pg.finish().await;
}

/// A PostgreSQL database that does not exist is `database_not_found`.
#[tokio::test]
async fn postgresql_test_of_a_missing_database_names_it() {
    let pg = PgSource::start().await;
    let app = &pg.app;
    let missing = create(
        app,
        "postgresql",
        json!({"host": "127.0.0.1", "port": 5432, "database": "no_such_db_xyz",
        "username": pg.role, "password": "x", "sslmode": "disable"}),
        json!({}),
    )
    .await;
    test(app, &missing)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "database_not_found");
    pg.finish().await;
}

/// sslmode `verify-full` against the machine's self-signed certificate is
/// a `tls_failure`; `require` encrypts without verifying, and connects.
#[tokio::test]
async fn postgresql_verify_full_refuses_a_self_signed_certificate_and_require_connects() {
    let pg = PgSource::start().await;
    let app = &pg.app;
    let tls = create(
        app,
        "postgresql",
        json!({"host": "127.0.0.1", "port": 5432, "database": pg.db,
        "username": pg.role, "password": "x", "sslmode": "verify-full"}),
        json!({}),
    )
    .await;
    test(app, &tls)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "tls_failure");
    let required = pg.creds_with("sslmode", json!("require"));
    let enc = create(app, "postgresql", required, json!({})).await;
    assert_connected(&test(app, &enc).await);
    pg.finish().await;
}

/// Creating with `?test=true`: a failing test creates nothing; a passing
/// one creates the connection active.
#[tokio::test]
async fn postgresql_created_tested_first_only_if_the_test_passes() {
    let pg = PgSource::start().await;
    let app = &pg.app;
    let col = app.collection(&app.admin_key, "tested").await;
    let body = |creds: Value| json!({"collectionId": col, "sourceShortName": "postgresql", "name": unique("t"), "credentials": creds});
    let wrong = pg.creds_with("username", json!("no_such_role_xyz"));
    app.post(
        "/api/v1/source-connections?test=true",
        &app.admin_key,
        body(wrong),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_credentials");
    let r = app
        .get(
            &format!("/api/v1/source-connections?collectionId={col}"),
            &app.admin_key,
        )
        .await;
    assert_eq!(r.body["pagination"]["totalItems"], 0);
    let r = app
        .post(
            "/api/v1/source-connections?test=true",
            &app.admin_key,
            body(pg.creds.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["sourceConnection"]["status"], "active");
    pg.finish().await;
}

/// `PUT …/credentials?test=true` on an active connection: a failing test
/// changes nothing (the old credentials and the active status stay) and
/// leaves no event; a passing one is recorded, in one event saying it was
/// tested first (every secret sent counts as changed).
#[tokio::test]
async fn postgresql_credentials_replaced_tested_first_only_if_the_test_passes() {
    let pg = PgSource::start().await;
    let app = &pg.app;
    let tested = pg.sales().await;
    assert_connected(&test(app, &tested).await);
    let path = format!("/api/v1/source-connections/{tested}/credentials?test=true");
    let wrong = pg.creds_with("username", json!("no_such_role_xyz"));
    app.put(&path, &app.admin_key, json!({"credentials": wrong}))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_credentials");
    let kept = app.connection_state(&tested).await;
    assert_eq!(
        kept["credentials"]["username"], pg.creds["username"],
        "{kept}"
    );
    assert_eq!(kept["status"], "active", "{kept}");
    let next = pg.creds_with("sslmode", json!("require"));
    let r = app
        .put(&path, &app.admin_key, json!({"credentials": next}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["sourceConnection"]["status"], "active", "{}", r.text);
    assert_eq!(
        r.body["sourceConnection"]["credentials"]["sslmode"],
        "require"
    );
    assert!(r.body["sourceConnection"]["lastTestedAt"].is_string());
    let events =
        format!("/api/v1/audit-events?objectId={tested}&action=connection.credentials_replaced");
    let r = app.get(&events, &app.admin_key).await;
    assert_eq!(r.body["pagination"]["totalItems"], 1, "{}", r.text);
    assert_eq!(
        r.body["auditEvents"][0]["summary"],
        json!({"fields": ["password", "sslmode"], "tested": true}),
        "{}",
        r.text
    );
    pg.finish().await;
}

/// A switched-off (inactive) PostgreSQL connection is not tested: a
/// conflict.
#[tokio::test]
async fn postgresql_switched_off_connections_are_not_tested() {
    let pg = PgSource::start().await;
    let app = &pg.app;
    let id = pg.sales().await;
    assert_connected(&test(app, &id).await);
    app.patch(
        &format!("/api/v1/source-connections/{id}"),
        &app.admin_key,
        json!({"status": "inactive"}),
    )
    .await;
    test(app, &id)
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    pg.finish().await;
}

#[tokio::test]
async fn mysql_test_discover_and_failures() {
    let app = TestApp::spawn().await;
    let db = unique("inlet_src");
    let user = unique("inlet_u");
    let mut admin = admin_mysql().await;
    exec_mysql(&mut admin, &format!("CREATE DATABASE {db}")).await;
    exec_mysql(
        &mut admin,
        &format!("CREATE USER '{user}'@'%' IDENTIFIED BY 'pw-{user}'"),
    )
    .await;
    exec_mysql(
        &mut admin,
        &format!("GRANT ALL PRIVILEGES ON *.* TO '{user}'@'%'"),
    )
    .await;
    exec_mysql(
        &mut admin,
        &format!(
            "CREATE TABLE {db}.orders (id BIGINT PRIMARY KEY, customer VARCHAR(64) NOT NULL, total DECIMAL(10,2) DEFAULT 0);
             CREATE VIEW {db}.big AS SELECT * FROM {db}.orders WHERE total > 100;"
        ),
    )
    .await;
    let creds = json!({"host": "127.0.0.1", "port": 3306, "database": db, "username": user,
                       "password": format!("pw-{user}"), "sslmode": "disabled"});
    let id = create(&app, "mysql", creds.clone(), json!({})).await;
    assert_connected(&test(&app, &id).await);
    let r = refresh(&app, &id).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let orders = table(&r.body["schema"], &db, "orders");
    let cols = orders["columns"].as_array().unwrap();
    assert_eq!(cols[0]["name"], "id");
    assert_eq!(cols[0]["primaryKey"], true);
    assert_eq!(cols[1]["dataType"], "varchar(64)");
    assert_eq!(cols[1]["nullable"], false);
    assert_eq!(table(&r.body["schema"], &db, "big")["kind"], "view");

    let mut wrong = creds.clone();
    wrong["password"] = json!("wrong-pw-never-shown");
    let bad = create(&app, "mysql", wrong, json!({})).await;
    let r = test(&app, &bad).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_credentials");
    assert!(
        r.message()
            .contains(&format!("Access denied for user '{user}'")),
        "{}",
        r.message()
    );
    assert!(!r.text.contains("wrong-pw-never-shown"));

    let mut nodb = creds.clone();
    nodb["database"] = json!("no_such_db_xyz");
    let missing = create(&app, "mysql", nodb, json!({})).await;
    test(&app, &missing)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "database_not_found");

    exec_mysql(&mut admin, &format!("DROP DATABASE {db}")).await;
    exec_mysql(&mut admin, &format!("DROP USER '{user}'@'%'")).await;
    app.finish().await;
}

#[tokio::test]
async fn refused_port_silent_peer_and_denied_network() {
    let app = TestApp::with(Options {
        timeout: Duration::from_millis(800),
        ..Default::default()
    })
    .await;
    // A port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let creds = |port: u16| {
        json!({"host": "127.0.0.1", "port": port, "database": "d", "username": "u",
                                   "password": "p"})
    };
    let refused = create(&app, "postgresql", creds(port), json!({})).await;
    test(&app, &refused)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "connection_refused");

    // A peer that accepts and never answers: the test returns with a timeout.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut kept = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            kept.push(s);
        }
    });
    for kind in ["postgresql", "mysql"] {
        let id = create(&app, kind, creds(silent_port), json!({})).await;
        let r = test(&app, &id).await;
        r.assert_error(StatusCode::BAD_REQUEST, "timeout");
        assert_eq!(app.connection_state(&id).await["status"], "failed");
    }
    held.abort();
    app.finish().await;

    // Denying loopback refuses the connect, after resolution of "localhost" too.
    let app = TestApp::with(Options {
        denied: "127.0.0.0/8, ::1/128",
        ..Default::default()
    })
    .await;
    for host in ["127.0.0.1", "localhost"] {
        let id = create(
            &app,
            "postgresql",
            json!({"host": host, "port": 5432, "database": "postgres",
            "username": "postgres", "password": "p", "sslmode": "disable"}),
            json!({}),
        )
        .await;
        let r = test(&app, &id).await;
        r.assert_error(StatusCode::BAD_REQUEST, "network_not_allowed");
        assert!(
            r.message().contains("INLET_DENIED_NETWORKS"),
            "{}",
            r.message()
        );
    }
    app.finish().await;
}

#[tokio::test]
async fn sqlite_files_and_path_policy() {
    let app = TestApp::spawn().await;
    let file = app.files.join("app.db");
    {
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(true);
        let mut c = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
        sqlx::raw_sql("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL DEFAULT 1.5); \
                       CREATE VIEW cheap AS SELECT * FROM items WHERE price < 2;")
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    }
    let id = create(&app, "sqlite", json!({"path": "app.db"}), json!({})).await;
    assert_connected(&test(&app, &id).await);
    let r = refresh(&app, &id).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let items = table(&r.body["schema"], "main", "items");
    assert_eq!(items["columns"][0]["primaryKey"], true);
    assert_eq!(items["columns"][1]["nullable"], false);
    assert_eq!(items["columns"][2]["default"], "1.5");
    assert_eq!(table(&r.body["schema"], "main", "cheap")["kind"], "view");

    let missing = create(&app, "sqlite", json!({"path": "nope.db"}), json!({})).await;
    test(&app, &missing)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "file_not_found");

    // Outside the root: traversal and a symlink that leads out.
    let outside = tempfile::tempdir().unwrap();
    std::fs::copy(&file, outside.path().join("secret.db")).unwrap();
    let traversal = format!(
        "../{}/secret.db",
        outside.path().file_name().unwrap().to_str().unwrap()
    );
    let mut relative = app.files.clone();
    relative.push(&traversal);
    let t = create(
        &app,
        "sqlite",
        json!({"path": relative.to_str().unwrap()}),
        json!({}),
    )
    .await;
    test(&app, &t)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "path_not_allowed");
    std::os::unix::fs::symlink(outside.path().join("secret.db"), app.files.join("link.db"))
        .unwrap();
    let l = create(&app, "sqlite", json!({"path": "link.db"}), json!({})).await;
    let r = test(&app, &l).await;
    r.assert_error(StatusCode::BAD_REQUEST, "path_not_allowed");
    assert!(r.message().contains("INLET_FILE_ROOTS"));
    // A file that is not a database.
    std::fs::write(
        app.files.join("text.db"),
        "not a database at all, just text",
    )
    .unwrap();
    let t = create(&app, "sqlite", json!({"path": "text.db"}), json!({})).await;
    test(&app, &t)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "source_error");
    app.finish().await;
}

#[tokio::test]
async fn csv_and_folder_sources() {
    let app = TestApp::spawn().await;
    std::fs::create_dir_all(app.files.join("exports/nested")).unwrap();
    std::fs::write(
        app.files.join("exports/orders.csv"),
        "id|total|paid\n1|9.5|true\n2||false\n",
    )
    .unwrap();
    std::fs::write(app.files.join("exports/users.csv"), "id|name\n1|ann\n").unwrap();
    std::fs::write(app.files.join("exports/readme.md"), "# hi\n").unwrap();
    std::fs::write(app.files.join("exports/nested/more.md"), "## more\n").unwrap();

    let id = create(
        &app,
        "csv",
        json!({"path": "exports"}),
        json!({"delimiter": "|"}),
    )
    .await;
    assert_connected(&test(&app, &id).await);
    let r = refresh(&app, &id).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let files = r.body["schema"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 2, "only .csv files: {files:?}");
    assert_eq!(files[0]["path"], "exports/orders.csv");
    assert_eq!(
        files[0]["columns"],
        json!([
            {"name": "id", "dataType": "integer", "nullable": false, "primaryKey": false},
            {"name": "total", "dataType": "number", "nullable": true, "primaryKey": false},
            {"name": "paid", "dataType": "boolean", "nullable": false, "primaryKey": false}
        ])
    );
    let one = create(
        &app,
        "csv",
        json!({"path": "exports/users.csv"}),
        json!({"delimiter": "|", "hasHeader": false}),
    )
    .await;
    let r = refresh(&app, &one).await;
    assert_eq!(
        r.body["schema"]["files"][0]["columns"][0]["name"],
        "column_1"
    );
    let missing = create(&app, "csv", json!({"path": "exports/none.csv"}), json!({})).await;
    test(&app, &missing)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "file_not_found");

    let folder = create(
        &app,
        "folder",
        json!({"path": "exports"}),
        json!({"exclude": ["*.csv"]}),
    )
    .await;
    assert_connected(&test(&app, &folder).await);
    let r = refresh(&app, &folder).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let summary = &r.body["schema"]["summary"];
    assert_eq!(summary["totalFiles"], 2, "{summary}");
    assert_eq!(summary["byExtension"][0]["extension"], "md");
    assert_eq!(summary["byExtension"][0]["files"], 2);
    let notdir = create(
        &app,
        "folder",
        json!({"path": "exports/readme.md"}),
        json!({}),
    )
    .await;
    test(&app, &notdir)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "file_not_found");
    app.finish().await;
}

#[tokio::test]
async fn git_local_repositories_and_transports() {
    let app = TestApp::with(Options {
        allow_local_git: true,
        ..Default::default()
    })
    .await;
    let repo = app.files.join("repo");
    std::fs::create_dir_all(repo.join("src")).unwrap();
    std::fs::write(repo.join("src/main.rs"), "fn main() {}\n").unwrap();
    std::fs::write(repo.join("src/lib.rs"), "pub fn f() {}\n").unwrap();
    std::fs::write(repo.join("README.md"), "# repo\n").unwrap();
    crate::harness::git_commit_all(&repo);
    let id = create(
        &app,
        "git",
        json!({"url": "repo", "branch": "main"}),
        json!({}),
    )
    .await;
    assert_connected(&test(&app, &id).await);
    let r = refresh(&app, &id).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let summary = &r.body["schema"]["summary"];
    assert_eq!(summary["totalFiles"], 3, "{summary}");
    assert_eq!(summary["byExtension"][0]["extension"], "rs");
    assert_eq!(summary["byExtension"][0]["files"], 2);

    let nobranch = create(
        &app,
        "git",
        json!({"url": "repo", "branch": "nope"}),
        json!({}),
    )
    .await;
    let r = test(&app, &nobranch).await;
    r.assert_error(StatusCode::BAD_REQUEST, "source_error");
    assert!(
        r.message().contains("branch nope does not exist"),
        "{}",
        r.message()
    );
    for url in [
        "http://127.0.0.1:9/r.git",
        "git://127.0.0.1/r.git",
        "ext::sh -c id",
    ] {
        let bad = create(&app, "git", json!({"url": url}), json!({})).await;
        test(&app, &bad)
            .await
            .assert_error(StatusCode::BAD_REQUEST, "transport_not_allowed");
    }
    app.finish().await;

    // Without INLET_ALLOW_LOCAL_GIT, local paths are refused.
    let app = TestApp::spawn().await;
    let id = create(&app, "git", json!({"url": "/tmp"}), json!({})).await;
    test(&app, &id)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "transport_not_allowed");
    app.finish().await;
}

#[tokio::test]
async fn auto_refresh_discovers_in_the_background() {
    let app = TestApp::with(Options {
        schema_refresh: Some(Duration::from_millis(200)),
        ..Default::default()
    })
    .await;
    std::fs::write(app.files.join("a.csv"), "x,y\n1,2\n").unwrap();
    let auto = create(
        &app,
        "csv",
        json!({"path": "a.csv"}),
        json!({"schemaAutoRefresh": true}),
    )
    .await;
    let manual = create(&app, "csv", json!({"path": "a.csv"}), json!({})).await;
    let path = format!("/api/v1/source-connections/{auto}/schema");
    let mut found = None;
    for _ in 0..100 {
        let r = app.get(&path, &app.admin_key).await;
        if r.status == StatusCode::OK {
            found = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = found.expect("the background task discovered the schema");
    assert_eq!(r.body["schema"]["files"][0]["columns"][1]["name"], "y");
    app.get(
        &format!("/api/v1/source-connections/{manual}/schema"),
        &app.admin_key,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.finish().await;
}

/// A real OpenSSH server on a free loopback port, with its own host key and
/// an authorized client key, stopped on drop.
struct Sshd {
    child: std::process::Child,
    port: u16,
    client_key: String,
    host_fingerprint: String,
    dir: tempfile::TempDir,
}

impl Sshd {
    /// Stops the server, gives it a new host key and starts it again on the
    /// same port (a server reinstalled, or a machine in the middle).
    async fn restart_with_a_new_host_key(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let d = self.dir.path();
        std::fs::remove_file(d.join("host_key")).unwrap();
        std::fs::remove_file(d.join("host_key.pub")).unwrap();
        keygen(&d.join("host_key"));
        self.child = spawn_sshd(d, self.port).await;
        self.host_fingerprint = fingerprint(&d.join("host_key.pub"));
    }
}

async fn spawn_sshd(d: &std::path::Path, port: u16) -> std::process::Child {
    let child = std::process::Command::new("/usr/sbin/sshd")
        .args(["-D", "-e", "-f"])
        .arg(d.join("sshd_config"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("/usr/sbin/sshd (openssh-server) is installed");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child
}

/// The `SHA256:…` fingerprint of a public key file, as `ssh-keygen -lf` prints it.
fn fingerprint(public_key: &std::path::Path) -> String {
    let fp = std::process::Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(public_key)
        .output()
        .unwrap();
    String::from_utf8(fp.stdout)
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned()
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keygen(path: &std::path::Path) {
    let ok = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen (openssh-client) is installed");
    assert!(ok.success());
}

async fn start_sshd() -> Sshd {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(&d.join("host_key"));
    keygen(&d.join("client_key"));
    std::fs::copy(d.join("client_key.pub"), d.join("authorized_keys")).unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    std::fs::write(
        d.join("sshd_config"),
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nPidFile {pid}\n\
             AuthorizedKeysFile {auth}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin prohibit-password\n\
             AllowTcpForwarding yes\nLogLevel ERROR\n",
            host = d.join("host_key").display(),
            pid = d.join("sshd.pid").display(),
            auth = d.join("authorized_keys").display(),
        ),
    )
    .unwrap();
    std::fs::create_dir_all("/run/sshd").unwrap();
    let child = spawn_sshd(d, port).await;
    let host_fingerprint = fingerprint(&d.join("host_key.pub"));
    Sshd {
        child,
        port,
        client_key: std::fs::read_to_string(d.join("client_key")).unwrap(),
        host_fingerprint,
        dir,
    }
}

#[tokio::test]
async fn postgresql_through_an_ssh_tunnel() {
    let sshd = start_sshd().await;
    let app = TestApp::spawn().await;
    let creds = |key: &str, pin: Option<&str>| {
        let mut c = json!({"host": "127.0.0.1", "port": 5432, "database": "postgres", "username": "postgres",
            "password": "unused-with-trust", "sslmode": "disable", "useSshTunnel": true,
            "sshHost": "127.0.0.1", "sshPort": sshd.port, "sshUsername": "root", "sshPrivateKey": key});
        if let Some(p) = pin {
            c["sshHostKey"] = json!(p);
        }
        c
    };
    let id = create(
        &app,
        "postgresql",
        creds(&sshd.client_key, Some(&sshd.host_fingerprint)),
        json!({"schema": "public"}),
    )
    .await;
    assert_connected(&test(&app, &id).await);
    let r = refresh(&app, &id).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("\"public\""), "{}", r.text);
    let c = app.connection_state(&id).await;
    assert_eq!(c["status"], "active");
    assert_eq!(c["secretFieldsSet"], json!(["password", "sshPrivateKey"]));
    assert!(
        !app.get(&format!("/api/v1/source-connections/{id}"), &app.admin_key)
            .await
            .text
            .contains("PRIVATE KEY")
    );

    // Unpinned: the first passing test pins the bastion's host key.
    let tofu = create(&app, "postgresql", creds(&sshd.client_key, None), json!({})).await;
    assert_connected(&test(&app, &tofu).await);
    let c = app.connection_state(&tofu).await;
    assert_eq!(c["credentials"]["sshHostKey"], sshd.host_fingerprint, "{c}");

    // A key the server does not know.
    let other = tempfile::tempdir().unwrap();
    keygen(&other.path().join("k"));
    let stranger = std::fs::read_to_string(other.path().join("k")).unwrap();
    let bad = create(&app, "postgresql", creds(&stranger, None), json!({})).await;
    let r = test(&app, &bad).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_credentials");
    assert!(
        r.message()
            .contains("SSH authentication failed for user root"),
        "{}",
        r.message()
    );
    assert!(!r.text.contains("PRIVATE KEY"));

    // A pinned host key that does not match.
    let pinned = create(
        &app,
        "postgresql",
        creds(
            &sshd.client_key,
            Some("SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        ),
        json!({}),
    )
    .await;
    test(&app, &pinned)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "ssh_tunnel_failed");
    app.finish().await;
}

/// A bare repository with one commit on `main` (two files), in `dir`.
fn bare_repo(dir: &std::path::Path) -> std::path::PathBuf {
    let work = dir.join("work");
    std::fs::create_dir_all(work.join("src")).unwrap();
    std::fs::write(work.join("src/main.rs"), "fn main() {}\n").unwrap();
    std::fs::write(work.join("README.md"), "# over ssh\n").unwrap();
    crate::harness::git_commit_all(&work);
    let bare = dir.join("repo.git");
    let ok = std::process::Command::new("git")
        .args(["clone", "-q", "--bare"])
        .arg(&work)
        .arg(&bare)
        .status()
        .unwrap();
    assert!(ok.success());
    bare
}

#[tokio::test]
async fn git_over_ssh_uses_only_the_connections_key_and_pins_the_host_key() {
    let mut sshd = start_sshd().await;
    let repos = tempfile::tempdir().unwrap();
    let bare = bare_repo(repos.path());
    let app = TestApp::spawn().await;
    let url = format!("ssh://root@127.0.0.1:{}{}", sshd.port, bare.display());

    // With the connection's own key: test, discover and sync over ssh.
    let id = create(
        &app,
        "git",
        json!({"url": url, "branch": "main", "sshPrivateKey": sshd.client_key}),
        json!({}),
    )
    .await;
    assert_connected(&test(&app, &id).await);
    // The first passing test pinned the key the server presented.
    let c = app.connection_state(&id).await;
    assert_eq!(c["credentials"]["sshHostKey"], sshd.host_fingerprint, "{c}");
    assert!(!c.to_string().contains("PRIVATE KEY"), "{c}");
    let r = refresh(&app, &id).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["schema"]["summary"]["totalFiles"], 2, "{}", r.text);
    let job = crate::sync::wait(&app, &crate::sync::run(&app, &id).await).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["counts"]["inserted"], 2, "{job}");

    // Without a key or password of its own, nothing else is tried (no
    // agent, no ~/.ssh key of the service account, no system ssh).
    let keyless = create(&app, "git", json!({"url": url}), json!({})).await;
    let r = test(&app, &keyless).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(r.message().contains("sshPrivateKey"), "{}", r.message());

    // A server presenting another host key is refused, naming both.
    let first = sshd.host_fingerprint.clone();
    sshd.restart_with_a_new_host_key().await;
    assert_ne!(first, sshd.host_fingerprint);
    let r = test(&app, &id).await;
    r.assert_error(StatusCode::BAD_REQUEST, "ssh_tunnel_failed");
    assert!(r.message().contains(&first), "{}", r.message());
    assert!(
        r.message().contains(&sshd.host_fingerprint),
        "{}",
        r.message()
    );
    assert!(r.message().contains("sshHostKey"), "{}", r.message());
    let c = app.connection_state(&id).await;
    assert_eq!(c["credentials"]["sshHostKey"], first.as_str(), "{c}");

    // Replacing the credentials without naming the pin keeps it.
    let path = format!("/api/v1/source-connections/{id}/credentials");
    let r = app
        .put(
            &path,
            &app.admin_key,
            json!({"credentials": {"url": url, "branch": "main"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let c = app.connection_state(&id).await;
    assert_eq!(c["credentials"]["sshHostKey"], first.as_str(), "{c}");
    // The key is bound to the pin: clearing it without the key again is
    // refused (a cleared pin would trust whatever server answers next) …
    let r = app
        .put(
            &path,
            &app.admin_key,
            json!({"credentials": {"url": url, "branch": "main", "sshHostKey": ""}}),
        )
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert_eq!(
        r.body["error"]["field"], "credentials.sshPrivateKey",
        "{}",
        r.text
    );
    // … and with it, the next test pins the new key.
    let r = app
        .put(
            &path,
            &app.admin_key,
            json!({"credentials": {"url": url, "branch": "main", "sshHostKey": "",
                                   "sshPrivateKey": sshd.client_key}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_connected(&test(&app, &id).await);
    let c = app.connection_state(&id).await;
    assert_eq!(c["credentials"]["sshHostKey"], sshd.host_fingerprint, "{c}");
    app.finish().await;
}

#[tokio::test]
async fn a_git_url_holding_a_password_is_refused_and_not_stored() {
    let app = TestApp::spawn().await;
    let col = app.collection(&app.admin_key, "tokens").await;
    for url in [
        "https://deploy:ghp_s3cr3tT0ken@127.0.0.1/org/r.git",
        "ssh://git:s3cr3tT0ken@127.0.0.1/org/r.git",
    ] {
        let r = app
            .post(
                "/api/v1/source-connections",
                &app.admin_key,
                json!({"collectionId": col, "sourceShortName": "git", "name": unique("git"),
                       "credentials": {"url": url}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
        assert!(r.text.contains("credentials.url"), "{}", r.text);
        assert!(r.text.contains("credentials.token"), "{}", r.text);
        assert!(!r.text.contains("s3cr3tT0ken"), "{}", r.text);
    }
    let list = app.get("/api/v1/source-connections", &app.admin_key).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert!(!list.text.contains("s3cr3tT0ken"), "{}", list.text);
    assert!(!list.text.contains("\"git\""), "{}", list.text);
    app.finish().await;
}
