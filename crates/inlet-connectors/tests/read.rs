//! `Connector::read` against the real sources: full and incremental reads,
//! keys, cursors, and backpressure.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use inlet_core::connector::{Context, ReadItem, ReadRequest, Record, RecordStream, SourceConfig};
use inlet_core::policy::OutboundPolicy;
use serde_json::{Map, Value, json};
use sqlx::Connection;

fn ctx(root: &std::path::Path, local_git: bool) -> Context {
    Context {
        policy: Arc::new(OutboundPolicy {
            file_roots: vec![std::fs::canonicalize(root).unwrap()],
            allow_local_git: local_git,
            ..Default::default()
        }),
        timeout: Duration::from_secs(5),
    }
}

fn source(credentials: Value, config: Value) -> SourceConfig {
    SourceConfig {
        credentials: credentials.as_object().cloned().unwrap(),
        config: config.as_object().cloned().unwrap(),
    }
}

async fn collect(mut s: RecordStream) -> (Vec<Record>, Map<String, Value>) {
    let mut records = Vec::new();
    let mut cursors = Map::new();
    while let Some(item) = s.next().await {
        match item.unwrap() {
            ReadItem::Record(r) => records.push(r),
            ReadItem::Checkpoint { stream, cursor } => {
                cursors.insert(stream, cursor);
            }
        }
    }
    (records, cursors)
}

async fn read(
    kind: &str,
    ctx: &Context,
    src: &SourceConfig,
    cursors: Map<String, Value>,
) -> (Vec<Record>, Map<String, Value>) {
    let catalog = inlet_connectors::catalog();
    let c = catalog.get(kind).unwrap();
    collect(c.read(ctx, src, ReadRequest { cursors }).await.unwrap()).await
}

fn unique(p: &str) -> String {
    format!("{p}_{:x}", rand::random::<u64>())
}

#[tokio::test]
async fn postgresql_full_then_incremental() {
    let db = unique("inlet_read");
    let mut admin = sqlx::PgConnection::connect("postgres://postgres@127.0.0.1:5432/postgres")
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let url = format!("postgres://postgres@127.0.0.1:5432/{db}");
    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE items (id bigint PRIMARY KEY, name text, updated_at timestamptz NOT NULL);
         INSERT INTO items VALUES (1, 'a', '2024-01-01T00:00:00Z'), (2, 'b', '2024-01-02T00:00:00Z'), (3, 'c', '2024-01-03T00:00:00Z');
         CREATE TABLE log (msg text);
         INSERT INTO log VALUES ('x'), ('y');",
    )
    .execute(&mut c)
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path(), false);
    let src = source(
        json!({"host": "127.0.0.1", "port": 5432, "database": db, "username": "postgres", "password": "x", "sslmode": "disable"}),
        json!({"cursorColumn": "updated_at"}),
    );
    let (records, cursors) = read("postgresql", &ctx, &src, Map::new()).await;
    let items: Vec<&Record> = records
        .iter()
        .filter(|r| r.stream == "public.items")
        .collect();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0].key, "1");
    assert_eq!(items[0].data["name"], "a");
    assert_eq!(items[2].data["id"], 3);
    let log: Vec<&Record> = records
        .iter()
        .filter(|r| r.stream == "public.log")
        .collect();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].key.len(), 64, "no primary key: content hash");
    assert!(
        cursors["public.items"]
            .as_str()
            .unwrap()
            .starts_with("2024-01-03")
    );
    assert_eq!(cursors["public.log"], Value::Null);

    sqlx::raw_sql("INSERT INTO items VALUES (4, 'd', '2024-01-04T00:00:00Z'); UPDATE items SET name = 'a2' WHERE id = 1;")
        .execute(&mut c)
        .await
        .unwrap();
    let mut only_items = src.clone();
    only_items
        .config
        .insert("tables".into(), json!(["public.items"]));
    let (records, cursors2) = read("postgresql", &ctx, &only_items, cursors).await;
    assert_eq!(
        records.len(),
        1,
        "only the row past the cursor: {records:?}"
    );
    assert_eq!(records[0].data["name"], "d");
    assert!(
        cursors2["public.items"]
            .as_str()
            .unwrap()
            .starts_with("2024-01-04")
    );
    c.close().await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {db} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
}

#[tokio::test]
async fn mysql_full_then_incremental() {
    let db = unique("inlet_read");
    let mut admin = sqlx::MySqlConnection::connect("mysql://root@127.0.0.1:3306/test")
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {db}; CREATE TABLE {db}.t (id INT PRIMARY KEY, name VARCHAR(10), price DECIMAL(5,2));
         INSERT INTO {db}.t VALUES (1, 'a', 1.50), (2, 'b', 2.00), (10, 'c', NULL);"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path(), false);
    let src = source(
        json!({"host": "127.0.0.1", "port": 3306, "database": db, "username": "root", "sslmode": "disabled"}),
        json!({"cursorColumn": "id"}),
    );
    let (records, cursors) = read("mysql", &ctx, &src, Map::new()).await;
    assert_eq!(records.len(), 3);
    assert_eq!(records[0].stream, format!("{db}.t"));
    assert_eq!(records[2].key, "10");
    assert_eq!(records[2].data["price"], Value::Null);
    assert_eq!(
        cursors[&format!("{db}.t")],
        "10",
        "numeric cursor order, not text order"
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "INSERT INTO {db}.t VALUES (11, 'd', 3)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let (records, _) = read("mysql", &ctx, &src, cursors).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].data["name"], "d");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {db}")))
        .execute(&mut admin)
        .await
        .unwrap();
}

#[tokio::test]
async fn sqlite_rows_blobs_and_backpressure() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.db");
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&file)
        .create_if_missing(true);
    let mut c = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, b BLOB);
         INSERT INTO t VALUES (1, 'x', x'CAFE'), (2, 'y', NULL), (9, 'z', NULL);
         CREATE TABLE big (n INTEGER PRIMARY KEY);
         WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 20000) INSERT INTO big SELECT i FROM s;",
    )
    .execute(&mut c)
    .await
    .unwrap();
    c.close().await.unwrap();
    let ctx = ctx(dir.path(), false);
    let src = source(
        json!({"path": "a.db"}),
        json!({"tables": ["t"], "cursorColumn": "id"}),
    );
    let (records, cursors) = read("sqlite", &ctx, &src, Map::new()).await;
    assert_eq!(records.len(), 3);
    assert_eq!(records[0].data, json!({"id": 1, "v": "x", "b": "CAFE"}));
    assert_eq!(cursors["main.t"], "9");
    let (records, _) = read("sqlite", &ctx, &src, cursors).await;
    assert!(records.is_empty());

    // A consumer that stops early stops the reader (bounded channel): this returns.
    let catalog = inlet_connectors::catalog();
    let all = source(json!({"path": "a.db"}), json!({"tables": ["big"]}));
    let mut s = catalog
        .get("sqlite")
        .unwrap()
        .read(&ctx, &all, ReadRequest::default())
        .await
        .unwrap();
    for _ in 0..10 {
        assert!(matches!(s.next().await, Some(Ok(ReadItem::Record(_)))));
    }
    drop(s);

    let bad = source(json!({"path": "a.db"}), json!({"tables": ["nope"]}));
    let err = catalog
        .get("sqlite")
        .unwrap()
        .read(&ctx, &bad, ReadRequest::default())
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("config.tables"), "{err}");
}

#[tokio::test]
async fn csv_rows_and_unchanged_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.csv"), "id,name\n1,ann\n2,bob\n").unwrap();
    let ctx = ctx(dir.path(), false);
    let src = source(json!({"path": "a.csv"}), json!({}));
    let (records, cursors) = read("csv", &ctx, &src, Map::new()).await;
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].data, json!({"id": "2", "name": "bob"}));
    assert_eq!(records[1].key, "3", "row number in the file");
    let (records, same) = read("csv", &ctx, &src, cursors.clone()).await;
    assert!(records.is_empty(), "an unchanged file is skipped");
    assert_eq!(same, cursors);
    std::fs::write(dir.path().join("a.csv"), "id,name\n1,ann\n2,bob\n3,cy\n").unwrap();
    let (records, _) = read("csv", &ctx, &src, cursors).await;
    assert_eq!(records.len(), 3);
}

#[tokio::test]
async fn folder_text_files_incrementally() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    std::fs::write(dir.path().join("docs/a.md"), "# A\n").unwrap();
    std::fs::write(dir.path().join("docs/b.txt"), "bee\n").unwrap();
    std::fs::write(dir.path().join("docs/bin.dat"), [0u8, 1, 2, 3]).unwrap();
    let ctx = ctx(dir.path(), false);
    let src = source(json!({"path": "docs"}), json!({"exclude": ["*.txt"]}));
    let (records, cursors) = read("folder", &ctx, &src, Map::new()).await;
    assert_eq!(
        records.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
        ["a.md"],
        "binary and excluded files are left out"
    );
    assert_eq!(records[0].data["text"], "# A\n");
    let (records, _) = read("folder", &ctx, &src, cursors.clone()).await;
    assert!(records.is_empty());
    tokio::time::sleep(Duration::from_millis(20)).await;
    std::fs::write(dir.path().join("docs/c.md"), "# C\n").unwrap();
    let (records, _) = read("folder", &ctx, &src, cursors).await;
    assert_eq!(
        records.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
        ["c.md"]
    );
}

#[tokio::test]
async fn git_files_at_head_and_by_commit() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("r");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(repo.join("a.rs"), "fn a() {}\n").unwrap();
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .current_dir(&repo)
            .status()
            .unwrap();
        assert!(ok.success(), "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "one"]);
    let ctx = ctx(dir.path(), true);
    let src = source(json!({"url": "r", "branch": "main"}), json!({}));
    let (records, cursors) = read("git", &ctx, &src, Map::new()).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].key, "a.rs");
    assert_eq!(records[0].data["text"], "fn a() {}\n");
    assert_eq!(
        cursors["files"].as_str().unwrap().len(),
        40,
        "the head commit"
    );
    let (records, _) = read("git", &ctx, &src, cursors.clone()).await;
    assert!(records.is_empty(), "nothing new at the same commit");
    std::fs::write(repo.join("b.rs"), "fn b() {}\n").unwrap();
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "two"]);
    let (records, newer) = read("git", &ctx, &src, cursors.clone()).await;
    assert_eq!(records.len(), 2);
    assert_ne!(newer, cursors);
}
