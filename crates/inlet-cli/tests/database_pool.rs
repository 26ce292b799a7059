//! `inlet serve` on PostgreSQL opens one pool of `INLET_DATABASE_POOL_SIZE`
//! connections for everything it does, and reports its figures in
//! `/metrics`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use common::{TempDb, inlet, rand_suffix, serve};
use sqlx::Row;

/// The value of the unlabelled series `name` in a `/metrics` answer.
fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[tokio::test]
async fn one_pool_of_the_configured_size_with_its_figures_in_metrics() {
    let data = tempfile::tempdir().unwrap();
    let db = TempDb::create("inlet_pool").await;
    let key = format!("inl_pool_{:x}", rand_suffix());
    let mut cmd = inlet(data.path(), "serve");
    cmd.env("INLET_DATABASE_URL", &db.url)
        .env("INLET_DATABASE_POOL_SIZE", "3");
    let (server, base) = serve(cmd, &key);
    let client = reqwest::Client::new();

    // Forty requests at once (each authenticates its key with a lookup and
    // reads or writes with other statements), besides the workers and the
    // index follower: all of them share the three connections.
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..40 {
        let (client, base, key) = (client.clone(), base.clone(), key.clone());
        requests.spawn(async move {
            let url = format!("{base}/api/v1/collections");
            let request = if i % 4 == 0 {
                client
                    .post(url)
                    .json(&serde_json::json!({"name": format!("c{i}")}))
            } else {
                client.get(url)
            };
            let r = request.bearer_auth(&key).send().await.unwrap();
            assert!(r.status().is_success(), "{}", r.status());
        });
    }
    while let Some(done) = requests.join_next().await {
        done.unwrap();
    }
    let mut admin = db.connect().await;
    let backends: i64 = sqlx::query(
        "SELECT count(*) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap()
    .get("n");
    assert!((1..=3).contains(&backends), "{backends} connections");

    // The gauges are sampled each second.
    let mut metrics = String::new();
    for _ in 0..50 {
        metrics = client
            .get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if sample(&metrics, "inlet_store_pool_max_connections").is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let gauge =
        |name: &str| sample(&metrics, name).unwrap_or_else(|| panic!("no {name} in {metrics}"));
    assert_eq!(gauge("inlet_store_pool_max_connections"), 3.0, "{metrics}");
    let open = gauge("inlet_store_pool_open_connections");
    assert!((1.0..=3.0).contains(&open), "{metrics}");
    assert_eq!(
        gauge("inlet_store_pool_idle_connections") + gauge("inlet_store_pool_in_use_connections"),
        open,
        "{metrics}"
    );
    // Forty requests on three connections: some waited for one.
    assert!(
        gauge("inlet_store_pool_acquire_wait_seconds_count") >= 1.0,
        "{metrics}"
    );
    server.stop();
    drop(admin);
    db.drop().await;
}
