//! The PostgreSQL pool: one pool of at most `pool_size` connections, on
//! which point lookups keep a cached generic plan while every other
//! statement is planned for its values on each run (docs/architecture.md,
//! Storage).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use inlet_store::db::{Db, DbOptions, Sql};
use inlet_store::testing::TempPgDatabase;

async fn temp_db() -> TempPgDatabase {
    TempPgDatabase::create()
        .await
        .expect("PostgreSQL on 127.0.0.1:5432")
}

/// The named statements cached on the pool's connection (PostgreSQL 14+):
/// text, generic plans, custom plans.
async fn prepared(db: &Db) -> Vec<(String, i64, i64)> {
    db.fetch_all(&Sql::new(
        "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements \
         ORDER BY statement",
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.text("statement").unwrap(),
            r.i64("generic_plans").unwrap(),
            r.i64("custom_plans").unwrap(),
        )
    })
    .collect()
}

#[tokio::test]
async fn lookups_keep_a_generic_plan_and_other_statements_are_planned_each_run() {
    let pg = temp_db().await;
    // One connection, so every statement below runs on the session inspected.
    let db = Db::connect_with(&pg.url, DbOptions { pool_size: 1 })
        .await
        .unwrap();
    let mode = db
        .fetch_all(&Sql::new(
            "SELECT current_setting('plan_cache_mode') AS mode",
        ))
        .await
        .unwrap();
    assert_eq!(mode[0].text("mode").unwrap(), "auto");
    db.execute_batch(
        "CREATE TABLE t (id bigint PRIMARY KEY, org bigint NOT NULL, name text NOT NULL);
         CREATE INDEX t_org_name ON t (org, name);
         INSERT INTO t SELECT g, g % 10, md5(g::text) FROM generate_series(1, 2000) g;
         ANALYZE t;",
    )
    .await
    .unwrap();

    for id in 1..=10_i64 {
        let rows = db
            .fetch_lookup(&Sql::new("SELECT name FROM t WHERE id = ?").arg(id))
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
    }
    for org in 0..10_i64 {
        db.fetch_all(
            &Sql::new("SELECT id FROM t WHERE org = ? AND name LIKE ? ORDER BY name LIMIT 5")
                .arg(org)
                .arg("%a%"),
        )
        .await
        .unwrap();
    }
    let mut tx = db.begin().await.unwrap();
    for id in 1..=10_i64 {
        tx.execute(&Sql::new("UPDATE t SET name = name || 'x' WHERE id = ?").arg(id))
            .await
            .unwrap();
        tx.query(&Sql::new("SELECT count(*) AS n FROM t WHERE org = ?").arg(id % 10))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    // Only the lookup is a cached statement: its first five runs were
    // planned for their values, the next five used the generic plan.
    // Everything else was the unnamed statement, planned on each run.
    assert_eq!(
        prepared(&db).await,
        vec![("SELECT name FROM t WHERE id = $1".to_owned(), 5, 5)]
    );
    drop(db);
    pg.drop_db().await.unwrap();
}

#[tokio::test]
async fn the_pool_opens_at_most_its_size() {
    let pg = temp_db().await;
    let db = Db::connect_with(&pg.url, DbOptions { pool_size: 3 })
        .await
        .unwrap();
    // Twenty statements at once, lookups and others alike, share the three.
    let runs = (0..20_i64).map(|i| {
        let db = db.clone();
        tokio::spawn(async move {
            let q = Sql::new("SELECT pg_sleep(0.05) IS NULL AS slept, ? AS i").arg(i);
            if i % 2 == 0 {
                db.fetch_lookup(&q).await.unwrap()
            } else {
                db.fetch_all(&q).await.unwrap()
            }
        })
    });
    for run in runs.collect::<Vec<_>>() {
        run.await.unwrap();
    }
    let open = db
        .fetch_all(&Sql::new(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()",
        ))
        .await
        .unwrap();
    assert_eq!(open[0].i64("n").unwrap(), 3);
    drop(db);
    pg.drop_db().await.unwrap();
}

#[tokio::test]
async fn a_pool_of_no_connections_is_refused() {
    // Refused before connecting: nothing listens on port 1.
    let url = "postgres://postgres@127.0.0.1:1/none";
    let Err(e) = Db::connect_with(url, DbOptions { pool_size: 0 }).await else {
        panic!("a pool of 0 connections opened");
    };
    assert!(e.to_string().contains("at least one connection"), "{e}");
}
