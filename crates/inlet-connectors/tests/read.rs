//! `Connector::read` against the real sources: the per-stream protocol
//! (Begin, records, Deleted/Skipped, Checkpoint), the fidelity of each
//! engine's JSON, keys, resume positions and cursors, and backpressure.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use inlet_core::connector::{
    ConnectorError, Context, ReadItem, ReadMode, ReadRequest, Record, SourceConfig,
};
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
        resolver: Default::default(),
    }
}

fn source(credentials: Value, config: Value) -> SourceConfig {
    SourceConfig {
        credentials: credentials.as_object().cloned().unwrap(),
        config: config.as_object().cloned().unwrap(),
    }
}

/// Everything a read yields, checking the per-stream order on the way:
/// Begin, then records/deletions/skips, then Checkpoint.
struct Read {
    items: Vec<ReadItem>,
}

impl Read {
    fn records(&self, stream: &str) -> Vec<&Record> {
        self.items
            .iter()
            .filter_map(|i| match i {
                ReadItem::Record(r) if r.stream == stream => Some(r),
                _ => None,
            })
            .collect()
    }
    fn keys(&self, stream: &str) -> Vec<&str> {
        self.records(stream)
            .iter()
            .map(|r| r.key.as_str())
            .collect()
    }
    fn mode(&self, stream: &str) -> Option<ReadMode> {
        self.items.iter().find_map(|i| match i {
            ReadItem::Begin { stream: s, mode } if s == stream => Some(*mode),
            _ => None,
        })
    }
    fn cursors(&self) -> Map<String, Value> {
        self.items
            .iter()
            .filter_map(|i| match i {
                ReadItem::Checkpoint { stream, cursor } => Some((stream.clone(), cursor.clone())),
                _ => None,
            })
            .collect()
    }
    fn skipped(&self) -> Vec<&str> {
        self.items
            .iter()
            .filter_map(|i| match i {
                ReadItem::Skipped { reason, .. } => Some(reason.as_str()),
                _ => None,
            })
            .collect()
    }
    fn deleted(&self) -> Vec<&str> {
        self.items
            .iter()
            .filter_map(|i| match i {
                ReadItem::Deleted { key, .. } => Some(key.as_str()),
                _ => None,
            })
            .collect()
    }
}

async fn read(kind: &str, ctx: &Context, src: &SourceConfig, request: ReadRequest) -> Read {
    let catalog = inlet_connectors::catalog();
    let c = catalog.get(kind).unwrap();
    let mut s = c.read(ctx, src, request).await.unwrap();
    let mut items = Vec::new();
    let mut open: Option<String> = None;
    while let Some(item) = s.next().await {
        let item = item.unwrap();
        match &item {
            ReadItem::Begin { stream, .. } => {
                assert!(open.is_none(), "Begin {stream} inside {open:?}");
                open = Some(stream.clone());
            }
            ReadItem::Checkpoint { stream, .. } => {
                assert_eq!(open.as_deref(), Some(stream.as_str()), "Checkpoint");
                open = None;
            }
            ReadItem::Record(Record { stream, .. })
            | ReadItem::Deleted { stream, .. }
            | ReadItem::Skipped { stream, .. }
            | ReadItem::Note { stream, .. } => {
                assert_eq!(
                    open.as_deref(),
                    Some(stream.as_str()),
                    "item outside its stream"
                );
            }
        }
        items.push(item);
    }
    assert!(open.is_none(), "stream {open:?} never checkpointed");
    Read { items }
}

fn cursors(c: Map<String, Value>) -> ReadRequest {
    ReadRequest {
        cursors: c,
        ..Default::default()
    }
}

fn positions(p: Value) -> ReadRequest {
    ReadRequest {
        positions: p.as_object().cloned().unwrap(),
        ..Default::default()
    }
}

fn parsed(r: &Record) -> Value {
    serde_json::from_str(&r.data).unwrap()
}

fn unique(p: &str) -> String {
    format!("{p}_{:x}", rand::random::<u64>())
}

/// A fresh PostgreSQL database: its name, a connection to it, and the admin
/// connection that drops it.
async fn pg_database() -> (String, sqlx::PgConnection, sqlx::PgConnection) {
    let db = unique("inlet_read");
    let mut admin = sqlx::PgConnection::connect("postgres://postgres@127.0.0.1:5432/postgres")
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let c = sqlx::PgConnection::connect(&format!("postgres://postgres@127.0.0.1:5432/{db}"))
        .await
        .unwrap();
    (db, c, admin)
}

async fn pg_drop(db: &str, c: sqlx::PgConnection, mut admin: sqlx::PgConnection) {
    c.close().await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {db} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
}

fn pg_source(db: &str, config: Value) -> SourceConfig {
    source(
        json!({"host": "127.0.0.1", "port": 5432, "database": db, "username": "postgres", "password": "x", "sslmode": "disable"}),
        config,
    )
}

#[tokio::test]
async fn postgresql_full_then_incremental_with_ties() {
    let (db, mut c, admin) = pg_database().await;
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
    let src = pg_source(&db, json!({"cursorColumn": "updated_at"}));
    let first = read("postgresql", &ctx, &src, ReadRequest::default()).await;
    assert_eq!(first.mode("public.items"), Some(ReadMode::Full));
    assert_eq!(first.mode("public.log"), Some(ReadMode::Full));
    let items = first.records("public.items");
    assert_eq!(first.keys("public.items"), ["1", "2", "3"]);
    assert_eq!(parsed(items[0])["name"], "a");
    assert_eq!(parsed(items[2])["id"], 3);
    assert_eq!(
        items[2].position,
        Some(json!("2024-01-03T00:00:00+00:00")),
        "position = cursor value"
    );
    let log = first.records("public.log");
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].key.len(), 64, "no primary key: content hash");
    assert_eq!(log[0].position, None, "unordered: restarts");
    assert!(
        first
            .items
            .iter()
            .any(|i| matches!(i, ReadItem::Note { stream, message }
            if stream == "public.log" && message.contains("no primary key"))),
        "a table without a primary key is reported"
    );
    assert!(
        !first
            .items
            .iter()
            .any(|i| matches!(i, ReadItem::Note { stream, .. } if stream == "public.items")),
    );
    let cursors1 = first.cursors();
    assert_eq!(cursors1["public.items"], "2024-01-03T00:00:00+00:00");
    assert_eq!(cursors1["public.log"], Value::Null);

    // A row sharing the last cursor value, committed after the read, and a newer one.
    sqlx::raw_sql(
        "INSERT INTO items VALUES (4, 'd', '2024-01-03T00:00:00Z'), (5, 'e', '2024-01-04T00:00:00Z');
         UPDATE items SET name = 'a2' WHERE id = 1;",
    )
    .execute(&mut c)
    .await
    .unwrap();
    let only_items = pg_source(
        &db,
        json!({"cursorColumn": "updated_at", "tables": ["public.items"]}),
    );
    let second = read("postgresql", &ctx, &only_items, cursors(cursors1.clone())).await;
    assert_eq!(second.mode("public.items"), Some(ReadMode::Incremental));
    let mut keys = second.keys("public.items");
    keys.sort_unstable();
    assert_eq!(keys, ["3", "4", "5"], "ties re-read with >=, nothing lost");
    assert_eq!(
        second.cursors()["public.items"],
        "2024-01-04T00:00:00+00:00"
    );

    // Resuming an incremental read from a position starts at that value.
    let mut req = cursors(cursors1);
    req.positions
        .insert("public.items".into(), json!("2024-01-04T00:00:00+00:00"));
    let resumed = read("postgresql", &ctx, &only_items, req).await;
    assert_eq!(resumed.mode("public.items"), Some(ReadMode::Incremental));
    assert_eq!(resumed.keys("public.items"), ["5"]);

    // Nothing new: the previous cursor stays.
    let none = read("postgresql", &ctx, &only_items, cursors(second.cursors())).await;
    assert_eq!(none.keys("public.items"), ["5"], ">= re-reads the last tie");
    assert_eq!(none.cursors()["public.items"], "2024-01-04T00:00:00+00:00");
    pg_drop(&db, c, admin).await;
}

#[tokio::test]
async fn postgresql_type_fidelity() {
    let (db, mut c, admin) = pg_database().await;
    sqlx::raw_sql(
        r#"CREATE TABLE types (id int PRIMARY KEY, s smallint, i int, b bigint, bmax bigint,
             n numeric(40,20), r real, d double precision, bo boolean, t text, e text,
             v varchar(10), c char(3), da date, ts timestamp, tz timestamptz, ti time,
             iv interval, u uuid, j json, jb jsonb, ia int[], ta text[], by bytea);
           INSERT INTO types VALUES (1, -32768, 2147483647, 9007199254740993, 9223372036854775807,
             12345678901234567890.12345678901234567890, 1.5, 0.1, true, 'héllo 🌍 "q" \ end', '',
             'var', 'ab', '2024-02-29', '2024-01-01 12:34:56.789', '2024-01-01 02:00:00+02',
             '13:14:15', '1 day 2 hours', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
             '{"a": [1, 2, {"b": null}]}', '{"x": {"y": [true, 1.25]}}', '{1,2,3}', '{"a","b c"}',
             '\xdeadbeef');
           INSERT INTO types (id) VALUES (2);
           INSERT INTO types (id, by) VALUES (3, decode(repeat('ab', 100), 'hex'));"#,
    )
    .execute(&mut c)
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path(), false);
    let r = read(
        "postgresql",
        &ctx,
        &pg_source(&db, json!({})),
        ReadRequest::default(),
    )
    .await;
    let rows = r.records("public.types");
    assert_eq!(rows.len(), 3);
    assert!(
        rows[0]
            .data
            .contains("12345678901234567890.12345678901234567890"),
        "numeric exact: {}",
        rows[0].data
    );
    assert!(rows[0].data.contains("9007199254740993"));
    let mut first = parsed(rows[0]);
    first.as_object_mut().unwrap().remove("n");
    assert_eq!(
        first,
        json!({"id": 1, "s": -32768, "i": 2147483647, "b": 9007199254740993_u64,
               "bmax": 9223372036854775807_i64, "r": 1.5, "d": 0.1, "bo": true,
               "t": "héllo 🌍 \"q\" \\ end", "e": "", "v": "var", "c": "ab ",
               "da": "2024-02-29", "ts": "2024-01-01T12:34:56.789",
               "tz": "2024-01-01T00:00:00+00:00", "ti": "13:14:15", "iv": "P1DT2H",
               "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
               "j": {"a": [1, 2, {"b": null}]}, "jb": {"x": {"y": [true, 1.25]}},
               "ia": [1, 2, 3], "ta": ["a", "b c"], "by": "3q2+7w=="})
    );
    let nulls = parsed(rows[1]);
    let nulls = nulls.as_object().unwrap();
    assert_eq!(nulls.len(), 24);
    assert!(
        nulls.iter().all(|(k, v)| k == "id" || v.is_null()),
        "{nulls:?}"
    );
    use base64::Engine;
    assert_eq!(
        parsed(rows[2])["by"],
        base64::engine::general_purpose::STANDARD.encode([0xab_u8; 100]),
        "long binaries: one line"
    );
    pg_drop(&db, c, admin).await;
}

#[tokio::test]
async fn postgresql_keys_resume_and_skip() {
    let (db, mut c, admin) = pg_database().await;
    sqlx::raw_sql(
        "CREATE TABLE pairs (a text, b text, n int, PRIMARY KEY (a, b));
         INSERT INTO pairs VALUES ('a|b', 'c', 1), ('a', 'b|c', 2), ('z', 'q', 3), ('z', 'r', 4);
         CREATE TABLE nums (id bigint PRIMARY KEY, v text);
         INSERT INTO nums SELECT g, 'v' || g FROM generate_series(1, 12) g;",
    )
    .execute(&mut c)
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path(), false);
    let src = pg_source(&db, json!({}));
    let full = read("postgresql", &ctx, &src, ReadRequest::default()).await;
    assert_eq!(
        full.keys("public.pairs"),
        [
            r#"["a","b|c"]"#,
            r#"["a|b","c"]"#,
            r#"["z","q"]"#,
            r#"["z","r"]"#
        ],
        "JSON array keys, in primary key order; no | collision"
    );
    let pairs = full.records("public.pairs");
    assert_eq!(pairs[1].position, Some(json!(["a|b", "c"])));
    let nums = full.records("public.nums");
    assert_eq!(
        full.keys("public.nums"),
        (1..=12).map(|i| i.to_string()).collect::<Vec<_>>(),
        "numeric order, not text order"
    );
    assert_eq!(nums[8].position, Some(json!(["9"])));
    assert_eq!(full.cursors()["public.nums"], Value::Null);

    let resumed = read(
        "postgresql",
        &ctx,
        &src,
        positions(json!({"public.nums": ["9"], "public.pairs": ["a|b", "c"]})),
    )
    .await;
    assert_eq!(resumed.mode("public.nums"), Some(ReadMode::Full));
    assert_eq!(
        resumed.keys("public.nums"),
        ["10", "11", "12"],
        "strictly after the position"
    );
    assert_eq!(
        resumed.keys("public.pairs"),
        [r#"["z","q"]"#, r#"["z","r"]"#]
    );

    let mut skip = ReadRequest::default();
    skip.skip.push("public.pairs".into());
    let skipped = read("postgresql", &ctx, &src, skip).await;
    assert_eq!(skipped.mode("public.pairs"), None, "not read at all");
    assert_eq!(skipped.records("public.nums").len(), 12);
    pg_drop(&db, c, admin).await;
}

#[tokio::test]
async fn postgresql_source_gone_mid_read_ends_with_an_error() {
    let (db, mut c, admin) = pg_database().await;
    sqlx::raw_sql(
        "CREATE TABLE big (id bigint PRIMARY KEY, pad text);
         INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 50000) g;",
    )
    .execute(&mut c)
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path(), false);
    let catalog = inlet_connectors::catalog();
    let mut s = catalog
        .get("postgresql")
        .unwrap()
        .read(&ctx, &pg_source(&db, json!({})), ReadRequest::default())
        .await
        .unwrap();
    assert!(matches!(s.next().await, Some(Ok(ReadItem::Begin { .. }))));
    assert!(matches!(s.next().await, Some(Ok(ReadItem::Record(_)))));
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}' AND application_name = 'inlet'"
    )))
    .execute(&mut c)
    .await
    .unwrap();
    let end = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match s.next().await {
                Some(Ok(ReadItem::Record(_))) => {}
                other => return other,
            }
        }
    })
    .await
    .expect("the read must end, not hang");
    assert!(matches!(end, Some(Err(_))), "{end:?}");
    pg_drop(&db, c, admin).await;
}

async fn mysql_database() -> (String, sqlx::MySqlConnection) {
    let db = unique("inlet_read");
    let mut admin = sqlx::MySqlConnection::connect("mysql://root@127.0.0.1:3306/test")
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {db} CHARACTER SET utf8mb4; SET time_zone = '+00:00'"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    (db, admin)
}

async fn mysql_drop(db: &str, mut admin: sqlx::MySqlConnection) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {db}")))
        .execute(&mut admin)
        .await
        .unwrap();
}

fn mysql_source(db: &str, config: Value) -> SourceConfig {
    source(
        json!({"host": "127.0.0.1", "port": 3306, "database": db, "username": "root", "sslmode": "disabled"}),
        config,
    )
}

#[tokio::test]
async fn mysql_full_then_incremental() {
    let (db, mut admin) = mysql_database().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE TABLE {db}.t (id INT PRIMARY KEY, name VARCHAR(10), price DECIMAL(5,2));
         INSERT INTO {db}.t VALUES (1, 'a', 1.50), (2, 'b', 2.00), (10, 'c', NULL);"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path(), false);
    let src = mysql_source(&db, json!({"cursorColumn": "id"}));
    let stream = format!("{db}.t");
    let r = read("mysql", &ctx, &src, ReadRequest::default()).await;
    assert_eq!(r.mode(&stream), Some(ReadMode::Full));
    assert_eq!(r.keys(&stream), ["1", "2", "10"]);
    let rows = r.records(&stream);
    assert_eq!(parsed(rows[2])["price"], Value::Null);
    assert!(
        rows[0].data.contains("1.50"),
        "decimal exact: {}",
        rows[0].data
    );
    assert_eq!(rows[2].position, Some(json!("10")));
    let c1 = r.cursors();
    assert_eq!(c1[&stream], "10", "numeric cursor order, not text order");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "INSERT INTO {db}.t VALUES (11, 'd', 3)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let r = read("mysql", &ctx, &src, cursors(c1)).await;
    assert_eq!(r.mode(&stream), Some(ReadMode::Incremental));
    assert_eq!(
        r.keys(&stream),
        ["10", "11"],
        ">= re-reads the last cursor value"
    );
    assert_eq!(r.cursors()[&stream], "11");

    // A TIMESTAMP cursor: rendered as an instant, and its position resumes.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE TABLE {db}.e (id INT PRIMARY KEY, at TIMESTAMP(6) NULL);
         INSERT INTO {db}.e VALUES (1, '2024-01-01 00:00:01'), (2, '2024-01-01 00:00:02.5'), (3, '2024-01-01 00:00:03');"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let src_e = mysql_source(&db, json!({"tables": ["e"], "cursorColumn": "at"}));
    let e = format!("{db}.e");
    let r = read("mysql", &ctx, &src_e, ReadRequest::default()).await;
    let rows = r.records(&e);
    assert_eq!(parsed(rows[1])["at"], "2024-01-01T00:00:02.500000+00:00");
    let pos = rows[1].position.clone().unwrap();
    let r = read("mysql", &ctx, &src_e, positions(json!({ e.clone(): pos }))).await;
    assert_eq!(
        r.keys(&e),
        ["2", "3"],
        "resumes at the timestamp position (>=)"
    );

    // Primary key resume, composite with | inside values.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE TABLE {db}.p (a VARCHAR(10), b BIGINT UNSIGNED, PRIMARY KEY (a, b));
         INSERT INTO {db}.p VALUES ('a|b', 1), ('a', 18446744073709551615), ('a', 2), ('z', 5);"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let src = mysql_source(&db, json!({"tables": ["p"]}));
    let p = format!("{db}.p");
    let r = read("mysql", &ctx, &src, ReadRequest::default()).await;
    assert_eq!(
        r.keys(&p),
        [
            r#"["a",2]"#,
            r#"["a",18446744073709551615]"#,
            r#"["a|b",1]"#,
            r#"["z",5]"#
        ]
    );
    assert_eq!(
        r.records(&p)[1].position,
        Some(json!(["a", "18446744073709551615"]))
    );
    let r = read(
        "mysql",
        &ctx,
        &src,
        positions(json!({ p.clone(): ["a", "18446744073709551615"] })),
    )
    .await;
    assert_eq!(r.keys(&p), [r#"["a|b",1]"#, r#"["z",5]"#]);
    mysql_drop(&db, admin).await;
}

#[tokio::test]
async fn mysql_type_fidelity() {
    let (db, mut admin) = mysql_database().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        r#"CREATE TABLE {db}.types (id INT PRIMARY KEY, ti TINYINT, si SMALLINT, mi MEDIUMINT,
             i INT, bi BIGINT, ub BIGINT UNSIGNED, de DECIMAL(40,20), f FLOAT, d DOUBLE, bt BIT(1),
             bo BOOL, c CHAR(5), vc VARCHAR(20), tx TEXT, e VARCHAR(5), da DATE, dt DATETIME(6),
             ts TIMESTAMP(6) NULL DEFAULT NULL, tm TIME, yr YEAR, j JSON, bn BINARY(4),
             vb VARBINARY(10), bl BLOB, en ENUM('a','b'), st SET('x','y'));
           INSERT INTO {db}.types VALUES (1, -128, -32768, -8388608, -2147483648,
             -9223372036854775808, 18446744073709551615, 12345678901234567890.12345678901234567890,
             1.5, 0.1, b'1', TRUE, 'ab', 'héllo 🌍', 'tëxt "q"', '', '2024-02-29',
             '2024-01-01 12:34:56.789012', '2024-01-01 00:00:00.5', '13:14:15', 2024,
             '{{"a": [1, {{"b": null}}]}}', x'DEADBEEF', x'00FF', x'CAFE', 'b', 'x,y');
           INSERT INTO {db}.types (id) VALUES (2);
           INSERT INTO {db}.types (id, bl) VALUES (3, REPEAT(x'AB', 100));"#
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path(), false);
    let stream = format!("{db}.types");
    let r = read(
        "mysql",
        &ctx,
        &mysql_source(&db, json!({})),
        ReadRequest::default(),
    )
    .await;
    let rows = r.records(&stream);
    assert_eq!(rows.len(), 3, "{:?}", r.skipped());
    assert!(
        rows[0]
            .data
            .contains("12345678901234567890.12345678901234567890"),
        "decimal exact: {}",
        rows[0].data
    );
    assert!(rows[0].data.contains("18446744073709551615"));
    let mut first = parsed(rows[0]);
    first.as_object_mut().unwrap().remove("de");
    assert_eq!(
        first,
        json!({"id": 1, "ti": -128, "si": -32768, "mi": -8388608, "i": -2147483648_i64,
               "bi": i64::MIN, "ub": u64::MAX, "f": 1.5, "d": 0.1, "bt": 1, "bo": 1,
               "c": "ab", "vc": "héllo 🌍", "tx": "tëxt \"q\"", "e": "", "da": "2024-02-29",
               "dt": "2024-01-01 12:34:56.789012", "ts": "2024-01-01T00:00:00.500000+00:00",
               "tm": "13:14:15", "yr": 2024, "j": {"a": [1, {"b": null}]},
               "bn": "3q2+7w==", "vb": "AP8=", "bl": "yv4=", "en": "b", "st": "x,y"})
    );
    let nulls = parsed(rows[1]);
    let nulls = nulls.as_object().unwrap();
    assert_eq!(nulls.len(), 27);
    assert!(
        nulls.iter().all(|(k, v)| k == "id" || v.is_null()),
        "{nulls:?}"
    );
    use base64::Engine;
    assert_eq!(
        parsed(rows[2])["bl"],
        base64::engine::general_purpose::STANDARD.encode([0xab_u8; 100]),
        "long binaries: one line"
    );
    mysql_drop(&db, admin).await;
}

#[tokio::test]
async fn sqlite_fidelity_resume_and_backpressure() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.db");
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&file)
        .create_if_missing(true);
    let mut c = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
    sqlx::raw_sql(
        r#"CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, e TEXT, j TEXT, b BLOB, n);
         INSERT INTO t VALUES (1, 9223372036854775807, 1.5, 'héllo 🌍 "q"', '', '{"a":1}', x'DEADBEEF', NULL),
                              (2, -9223372036854775808, 0.1, NULL, NULL, NULL, NULL, NULL),
                              (9, 0, -2.5e-7, 'z', 'z', '[1]', x'', 'text in untyped');
         CREATE TABLE k (a TEXT, b INTEGER, PRIMARY KEY (a, b));
         INSERT INTO k VALUES ('a|b', 1), ('a', 2), ('a', 10), ('b', 1);
         CREATE TABLE bad (id INTEGER PRIMARY KEY, s TEXT);
         INSERT INTO bad VALUES (1, 'ok'), (2, CAST(x'66ff6f' AS TEXT)), (3, 'ok');
         CREATE TABLE big (n INTEGER PRIMARY KEY);
         WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 20000) INSERT INTO big SELECT i FROM s;"#,
    )
    .execute(&mut c)
    .await
    .unwrap();
    c.close().await.unwrap();
    let ctx = ctx(dir.path(), false);
    let src = source(json!({"path": "a.db"}), json!({"tables": ["t", "k"]}));
    let r = read("sqlite", &ctx, &src, ReadRequest::default()).await;
    let rows = r.records("main.t");
    assert_eq!(r.keys("main.t"), ["1", "2", "9"]);
    assert_eq!(
        parsed(rows[0]),
        json!({"id": 1, "i": i64::MAX, "r": 1.5, "s": "héllo 🌍 \"q\"", "e": "",
               "j": "{\"a\":1}", "b": "3q2+7w==", "n": null})
    );
    assert!(rows[0].data.contains("9223372036854775807"));
    assert_eq!(
        parsed(rows[1]),
        json!({"id": 2, "i": i64::MIN, "r": 0.1, "s": null, "e": null, "j": null, "b": null, "n": null})
    );
    assert_eq!(parsed(rows[2])["r"], -2.5e-7);
    assert_eq!(parsed(rows[2])["b"], "", "empty blob");
    assert_eq!(parsed(rows[2])["n"], "text in untyped");
    assert_eq!(
        r.keys("main.k"),
        [r#"["a",2]"#, r#"["a",10]"#, r#"["a|b",1]"#, r#"["b",1]"#]
    );
    let resumed = read(
        "sqlite",
        &ctx,
        &src,
        positions(json!({"main.k": ["a", "10"], "main.t": ["2"]})),
    )
    .await;
    assert_eq!(resumed.keys("main.k"), [r#"["a|b",1]"#, r#"["b",1]"#]);
    assert_eq!(resumed.keys("main.t"), ["9"]);

    // A row the engine renders as invalid UTF-8 is skipped, the read goes on.
    let bad = source(json!({"path": "a.db"}), json!({"tables": ["bad"]}));
    let r = read("sqlite", &ctx, &bad, ReadRequest::default()).await;
    assert_eq!(r.keys("main.bad"), ["1", "3"]);
    assert_eq!(r.skipped().len(), 1);
    assert!(
        r.skipped()[0].starts_with("row 2 of main.bad"),
        "{:?}",
        r.skipped()
    );

    let with_cursor = source(
        json!({"path": "a.db"}),
        json!({"tables": ["t"], "cursorColumn": "id"}),
    );
    let r = read("sqlite", &ctx, &with_cursor, ReadRequest::default()).await;
    assert_eq!(r.cursors()["main.t"], "9");
    let r = read("sqlite", &ctx, &with_cursor, cursors(r.cursors())).await;
    assert_eq!(r.mode("main.t"), Some(ReadMode::Incremental));
    assert_eq!(r.keys("main.t"), ["9"], ">=: the last row again");

    // A consumer that stops early stops the reader (bounded channel): this returns.
    let catalog = inlet_connectors::catalog();
    let all = source(json!({"path": "a.db"}), json!({"tables": ["big"]}));
    let mut s = catalog
        .get("sqlite")
        .unwrap()
        .read(&ctx, &all, ReadRequest::default())
        .await
        .unwrap();
    assert!(matches!(s.next().await, Some(Ok(ReadItem::Begin { .. }))));
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
async fn csv_keys_skips_and_unchanged_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.csv"), "id,name\n1,ann\n2,bob\n").unwrap();
    let ctx = ctx(dir.path(), false);
    let src = source(json!({"path": "a.csv"}), json!({}));
    let r = read("csv", &ctx, &src, ReadRequest::default()).await;
    assert_eq!(r.mode("a.csv"), Some(ReadMode::Full));
    let rows = r.records("a.csv");
    assert_eq!(parsed(rows[1]), json!({"id": "2", "name": "bob"}));
    assert_eq!(rows[1].key, "3", "line number in the file");
    assert_eq!(rows[1].position, None);
    let same = read("csv", &ctx, &src, cursors(r.cursors())).await;
    assert_eq!(same.mode("a.csv"), Some(ReadMode::Incremental));
    assert!(
        same.records("a.csv").is_empty(),
        "an unchanged file: nothing to do"
    );
    assert_eq!(same.cursors(), r.cursors());

    let mut bytes = b"id,name\n1,ann\n2,b\xffb\n3,cy\n".to_vec();
    bytes.extend_from_slice("4,zoë\n".as_bytes());
    std::fs::write(dir.path().join("a.csv"), bytes).unwrap();
    let keyed = source(json!({"path": "a.csv"}), json!({"keyColumns": ["id"]}));
    let r = read("csv", &ctx, &keyed, cursors(r.cursors())).await;
    assert_eq!(r.mode("a.csv"), Some(ReadMode::Full));
    assert_eq!(r.keys("a.csv"), ["1", "3", "4"]);
    assert_eq!(r.skipped().len(), 1);
    assert!(r.skipped()[0].contains("line 3"), "{:?}", r.skipped());
    let two = source(
        json!({"path": "a.csv"}),
        json!({"keyColumns": ["id", "name"]}),
    );
    let r = read("csv", &ctx, &two, ReadRequest::default()).await;
    assert_eq!(r.keys("a.csv")[0], r#"["1","ann"]"#);

    let unknown = source(json!({"path": "a.csv"}), json!({"keyColumns": ["nope"]}));
    let err = inlet_connectors::catalog()
        .get("csv")
        .unwrap()
        .read(&ctx, &unknown, ReadRequest::default())
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&err, ConnectorError::Invalid(m) if m.starts_with("config.keyColumns")),
        "{err:?}"
    );
}

#[tokio::test]
async fn folder_reads_in_full_and_reports_skips() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    std::fs::write(dir.path().join("docs/a.md"), "# A\n").unwrap();
    std::fs::write(dir.path().join("docs/b.txt"), "bee\n").unwrap();
    std::fs::write(dir.path().join("docs/bin.dat"), [0u8, 1, 2, 3]).unwrap();
    std::fs::write(dir.path().join("docs/latin.md"), b"caf\xe9\n").unwrap();
    let ctx = ctx(dir.path(), false);
    let src = source(json!({"path": "docs"}), json!({"exclude": ["*.txt"]}));
    let r = read("folder", &ctx, &src, ReadRequest::default()).await;
    assert_eq!(r.mode("files"), Some(ReadMode::Full));
    assert_eq!(r.keys("files"), ["a.md"], "excluded files are left out");
    let data = parsed(r.records("files")[0]);
    assert_eq!(data["text"], "# A\n");
    assert_eq!(data["path"], "a.md");
    assert_eq!(data["size"], 4);
    let skipped = r.skipped();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(skipped[0].starts_with("bin.dat") && skipped[0].contains("binary"));
    assert!(skipped[1].starts_with("latin.md") && skipped[1].contains("UTF-8"));
    assert_eq!(r.cursors()["files"], Value::Null);
    // Always in full, whatever the cursor given.
    let again = read("folder", &ctx, &src, cursors(r.cursors())).await;
    assert_eq!(again.mode("files"), Some(ReadMode::Full));
    assert_eq!(again.keys("files"), ["a.md"]);
}

#[tokio::test]
async fn git_full_then_changes_since_a_commit() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("r");
    std::fs::create_dir_all(repo.join("src")).unwrap();
    std::fs::write(repo.join("a.rs"), "fn a() {}\n").unwrap();
    std::fs::write(repo.join("src/b.rs"), "fn b() {}\n").unwrap();
    std::fs::write(repo.join("c.rs"), "fn c() {}\n").unwrap();
    std::fs::write(repo.join("logo.bin"), [0u8, 159, 146, 150]).unwrap();
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
    let full = read("git", &ctx, &src, ReadRequest::default()).await;
    assert_eq!(full.mode("files"), Some(ReadMode::Full));
    let mut keys = full.keys("files");
    keys.sort_unstable();
    assert_eq!(keys, ["a.rs", "c.rs", "src/b.rs"]);
    assert_eq!(full.skipped().len(), 1);
    assert!(full.skipped()[0].starts_with("logo.bin"));
    let a = full
        .records("files")
        .into_iter()
        .find(|r| r.key == "a.rs")
        .unwrap();
    let cursors1 = full.cursors();
    let head1 = cursors1["files"].as_str().unwrap().to_owned();
    assert_eq!(head1.len(), 40, "the head commit");
    assert_eq!(
        parsed(a),
        json!({"path": "a.rs", "size": 10, "commit": head1, "text": "fn a() {}\n"})
    );

    let same = read("git", &ctx, &src, cursors(cursors1.clone())).await;
    assert_eq!(same.mode("files"), Some(ReadMode::Incremental));
    assert!(
        same.records("files").is_empty(),
        "nothing new at the same commit"
    );
    assert_eq!(same.cursors(), cursors1);

    std::fs::write(repo.join("a.rs"), "fn a() { 1 }\n").unwrap();
    std::fs::write(repo.join("d.rs"), "fn d() {}\n").unwrap();
    std::fs::remove_file(repo.join("src/b.rs")).unwrap();
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "two"]);
    let inc = read("git", &ctx, &src, cursors(cursors1.clone())).await;
    assert_eq!(inc.mode("files"), Some(ReadMode::Incremental));
    let mut keys = inc.keys("files");
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["a.rs", "d.rs"],
        "only the modified and the added file"
    );
    assert_eq!(inc.deleted(), ["src/b.rs"]);
    assert!(inc.skipped().is_empty());
    assert_ne!(inc.cursors(), cursors1);

    // A commit the repository no longer has (history rewritten): full read.
    let lost = read(
        "git",
        &ctx,
        &src,
        cursors(
            json!({"files": "0123456789012345678901234567890123456789"})
                .as_object()
                .cloned()
                .unwrap(),
        ),
    )
    .await;
    assert_eq!(lost.mode("files"), Some(ReadMode::Full));
    let mut keys = lost.keys("files");
    keys.sort_unstable();
    assert_eq!(keys, ["a.rs", "c.rs", "d.rs"]);
}

/// A loopback listener that counts the connections made to it (and drops
/// them at once, so a client fails fast instead of waiting for an answer).
struct Counting {
    port: u16,
    accepted: Arc<std::sync::atomic::AtomicUsize>,
}

impl Counting {
    fn bind(addr: &str) -> Self {
        let listener = std::net::TcpListener::bind(addr).unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = accepted.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                drop(stream);
            }
        });
        Self { port, accepted }
    }

    fn count(&self) -> usize {
        self.accepted.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A policy that denies 127.0.0.2 (and allows the rest of loopback).
fn denying_127_0_0_2() -> Context {
    Context {
        policy: Arc::new(OutboundPolicy {
            denied: OutboundPolicy::parse_networks("INLET_DENIED_NETWORKS", "127.0.0.2/32")
                .unwrap(),
            ..Default::default()
        }),
        timeout: Duration::from_secs(5),
        resolver: Default::default(),
    }
}

#[tokio::test]
async fn git_urls_read_two_ways_never_reach_a_denied_host() {
    let denied = Counting::bind("127.0.0.2:0");
    let p = denied.port;
    let ctx = denying_127_0_0_2();
    let git = inlet_connectors::catalog();
    let git = git.get("git").unwrap();
    // gix ends an https host at `?` or `#`: these point at 127.0.0.2 for
    // gix while a reader stopping at `/` and `@` sees 127.0.0.1.
    for url in [
        format!("https://127.0.0.2:{p}?@127.0.0.1/repo.git"),
        format!("https://127.0.0.2:{p}#@127.0.0.1/repo.git"),
        format!("https://127.0.0.2:{p}\\@127.0.0.1/repo.git"),
        format!("ssh://127.0.0.2:{p}?@127.0.0.1/repo.git"),
    ] {
        let e = git
            .test(&ctx, &source(json!({"url": url}), json!({})))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "invalid_request", "{url}: {e}");
    }
    // Said plainly, the denied host is refused by the policy.
    let e = git
        .test(
            &ctx,
            &source(
                json!({"url": format!("https://127.0.0.2:{p}/r.git")}),
                json!({}),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "network_not_allowed", "{e}");
    assert_eq!(denied.count(), 0, "something connected to 127.0.0.2");
}

#[tokio::test]
async fn git_https_connects_to_the_checked_address_not_a_second_lookup() {
    // The name resolves to 127.0.0.1 first and to the denied 127.0.0.2
    // after: a client that looked it up again would land on 127.0.0.2.
    let allowed = Counting::bind("127.0.0.1:0");
    let denied = Counting::bind(&format!("127.0.0.2:{}", allowed.port));
    let lookups = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = lookups.clone();
    let ctx = Context {
        resolver: inlet_core::connector::Resolver::custom(move |host, port| {
            assert_eq!(host, "git.inlet.test");
            let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let ip = if n == 0 {
                [127, 0, 0, 1]
            } else {
                [127, 0, 0, 2]
            };
            Ok(vec![std::net::SocketAddr::from((ip, port))])
        }),
        ..denying_127_0_0_2()
    };
    let url = format!("https://git.inlet.test:{}/r.git", allowed.port);
    let catalog = inlet_connectors::catalog();
    // The listener drops the connection, so the TLS handshake fails; what
    // matters is where it was made.
    let e = catalog
        .get("git")
        .unwrap()
        .test(&ctx, &source(json!({"url": url}), json!({})))
        .await
        .unwrap_err();
    assert_ne!(e.code(), "network_not_allowed", "{e}");
    assert!(
        allowed.count() >= 1,
        "nothing reached the checked address: {e}"
    );
    assert_eq!(denied.count(), 0, "a second lookup was connected to");
    assert_eq!(lookups.load(std::sync::atomic::Ordering::SeqCst), 1);
}
