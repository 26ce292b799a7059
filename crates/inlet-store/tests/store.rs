//! The store suite, run against both engines: the embedded SQLite file and
//! the machine's PostgreSQL (a fresh database per test).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::future::Future;
use std::sync::Arc;

use inlet_core::CoreError;
use inlet_core::auth::Scope;
use inlet_core::connector::Catalog;
use inlet_core::crypto::{Keyring, MasterKey, Sealed};
use inlet_core::ids::{CollectionId, ConnectionId};
use inlet_core::list::{ConnectionFilter, ConnectionSort, PageRequest, SortOrder};
use inlet_core::model::api_key::NewApiKey;
use inlet_core::model::collection::{CollectionPatch, NewCollection};
use inlet_core::model::connection::{ConnectionPatch, ConnectionStatus, NewConnection};
use inlet_core::model::document::DocumentWrite;
use inlet_core::model::job::{JobKind, JobStatus, JobTrigger, Lease, NewJob};
use inlet_core::model::user::Role;
use inlet_core::service::{KeyCheck, Services, sealed_key_id};
use inlet_core::store::{
    CollectionStore, ConnectionStore, DocumentStore, Firing, FoundKey, Heartbeat, JobStore,
    KeyStore, OrgStore, ScheduleStore, SchemaStore, SecretStore, SyncBatch, UserStore,
};
use inlet_store::SqlStore;
use inlet_store::testing::TempPgDatabase;
use serde_json::{Map, json};

async fn on_sqlite<F, Fut>(test: F)
where
    F: FnOnce(Arc<SqlStore>) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    test(inlet_store::open(&url).await.unwrap()).await;
}

async fn on_postgres<F, Fut>(test: F)
where
    F: FnOnce(Arc<SqlStore>) -> Fut,
    Fut: Future<Output = ()>,
{
    let db = TempPgDatabase::create()
        .await
        .expect("PostgreSQL on 127.0.0.1:5432");
    let store = inlet_store::open(&db.url).await.unwrap();
    test(store.clone()).await;
    drop(store);
    db.drop_db().await.unwrap();
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { super::on_sqlite(super::$name).await })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { super::on_postgres(super::$name).await })*
        }
    };
}

both!(
    organizations_and_users,
    api_keys_round_trip,
    collections_are_scoped_and_unique,
    connections_crud_and_isolation,
    list_filters_sort_and_paginate,
    collection_delete_is_atomic,
    reseal_only_changes_matching_rows,
    lists_see_every_write,
    schema_jobs_and_storage,
    sync_jobs_are_unique_and_batches_exact,
    engine_values_round_trip,
    schedules_are_claimed_once,
    counts_names_and_whole_changes,
    audit_pruning_goes_in_batches,
    master_key_check_guards_the_store,
    seqs_are_visible_in_commit_order,
    every_document_write_logs_one_change,
    pruning_follows_live_nodes,
    scope_and_documents_stay_in_their_org,
    connection_names_are_unique_per_organization,
    job_and_audit_totals_stay_exact,
);

#[path = "store/change_log.rs"]
mod change_log;
use change_log::{
    every_document_write_logs_one_change, pruning_follows_live_nodes,
    scope_and_documents_stay_in_their_org, seqs_are_visible_in_commit_order,
};

fn conn(org: inlet_core::ids::OrgId, col: CollectionId, name: &str, kind: &str) -> NewConnection {
    NewConnection {
        org_id: org,
        collection_id: col,
        source_type: kind.into(),
        name: name.into(),
        description: format!("{name} description"),
        settings: json!({"host": "h"}).as_object().cloned().unwrap(),
        config: Map::new(),
        secret_fields: vec!["password".into()],
        secrets: Some(Sealed {
            key_id: "k1".into(),
            data: vec![1, 2, 3],
        }),
        tags: vec!["t1".into()],
        next_sync_at: None,
    }
}

fn col(name: &str) -> NewCollection {
    NewCollection {
        name: name.into(),
        description: String::new(),
    }
}

async fn organizations_and_users(s: Arc<SqlStore>) {
    assert_eq!(s.count_orgs().await.unwrap(), 0);
    let a = s.create_org("a").await.unwrap();
    assert!(matches!(
        s.create_org("a").await,
        Err(CoreError::Conflict(_))
    ));
    assert_eq!(s.get_org(a.id).await.unwrap(), a);
    let u = s.create_user("x@y.io", "X").await.unwrap();
    assert!(matches!(
        s.create_user("x@y.io", "X").await,
        Err(CoreError::Conflict(_))
    ));
    s.upsert_membership(a.id, u.id, Role::Viewer).await.unwrap();
    let m = s.upsert_membership(a.id, u.id, Role::Admin).await.unwrap();
    assert_eq!(m.role, Role::Admin);
    assert_eq!(s.list_memberships(u.id).await.unwrap().len(), 1);
    s.delete_membership(a.id, u.id).await.unwrap();
    assert!(matches!(
        s.delete_membership(a.id, u.id).await,
        Err(CoreError::NotFound(_))
    ));
    let page = s
        .list_orgs(PageRequest {
            page: 1,
            page_size: 1,
        })
        .await
        .unwrap();
    assert_eq!(page.total, 1);
}

async fn api_keys_round_trip(s: Arc<SqlStore>) {
    let a = s.create_org("a").await.unwrap();
    let b = s.create_org("b").await.unwrap();
    let u = s.create_user("u@y.io", "U").await.unwrap();
    s.upsert_membership(a.id, u.id, Role::Member).await.unwrap();
    let key = s
        .create_api_key(NewApiKey {
            org_id: a.id,
            user_id: Some(u.id),
            name: "k".into(),
            hash: "h1".into(),
            prefix: "inl_abcd".into(),
            scopes: vec![Scope::Read, Scope::Write],
            collection_ids: vec![CollectionId(9)],
            instance_admin: false,
            expires_at: None,
            parent_key_id: None,
        })
        .await
        .unwrap();
    let FoundKey {
        key: found, role, ..
    } = s.find_api_key("h1").await.unwrap().unwrap();
    assert_eq!(found, key);
    assert_eq!(role, Some(Role::Member));
    assert!(s.find_api_key("nope").await.unwrap().is_none());
    // Another organization cannot revoke it.
    assert!(matches!(
        s.revoke_api_key(b.id, key.id, true).await,
        Err(CoreError::NotFound(_))
    ));
    let revoked = s.revoke_api_key(a.id, key.id, false).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(
        s.list_api_keys(a.id, PageRequest::default())
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        s.list_api_keys(b.id, PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
}

async fn collections_are_scoped_and_unique(s: Arc<SqlStore>) {
    let a = s.create_org("a").await.unwrap();
    let b = s.create_org("b").await.unwrap();
    let ca = s.create_collection(a.id, col("Prod")).await.unwrap();
    // Same name in another org is fine; in the same org it conflicts.
    s.create_collection(b.id, col("Prod")).await.unwrap();
    assert!(matches!(
        s.create_collection(a.id, col("Prod")).await,
        Err(CoreError::Conflict(_))
    ));
    assert!(matches!(
        s.get_collection(b.id, ca.id).await,
        Err(CoreError::NotFound(_))
    ));
    let renamed = s
        .update_collection(
            a.id,
            ca.id,
            CollectionPatch {
                name: Some("Live".into()),
                description: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Live");
    assert!(matches!(
        s.update_collection(b.id, ca.id, CollectionPatch::default())
            .await,
        Err(CoreError::NotFound(_))
    ));
    let list = s
        .list_collections(a.id, &[], PageRequest::default())
        .await
        .unwrap();
    assert_eq!(list.items.len(), 1);
    let none = s
        .list_collections(a.id, &[CollectionId(999)], PageRequest::default())
        .await
        .unwrap();
    assert_eq!(none.total, 0);
}

async fn connections_crud_and_isolation(s: Arc<SqlStore>) {
    let a = s.create_org("a").await.unwrap();
    let b = s.create_org("b").await.unwrap();
    let ca = s.create_collection(a.id, col("c")).await.unwrap();
    let cb = s.create_collection(b.id, col("c")).await.unwrap();
    // A connection cannot be put in another organization's collection.
    assert!(matches!(
        s.create_connection(conn(a.id, cb.id, "x", "postgresql"))
            .await,
        Err(CoreError::NotFound("collection"))
    ));
    let c = s
        .create_connection(conn(a.id, ca.id, "x", "postgresql"))
        .await
        .unwrap();
    assert_eq!(c.status, ConnectionStatus::Pending);
    assert_eq!(c.secrets.as_ref().unwrap().data, vec![1, 2, 3]);
    assert!(matches!(
        s.get_connection(b.id, c.id).await,
        Err(CoreError::NotFound(_))
    ));
    assert!(matches!(
        s.delete_connection(b.id, c.id).await,
        Err(CoreError::NotFound(_))
    ));
    let patched = s
        .update_connection(
            a.id,
            c.id,
            ConnectionPatch {
                tags: Some(vec!["new".into()]),
                status: Some(ConnectionStatus::Inactive),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(patched.tags, vec!["new"]);
    assert_eq!(patched.status, ConnectionStatus::Inactive);
    let by_tag = |tag: &str| ConnectionFilter {
        tag: Some(tag.into()),
        ..Default::default()
    };
    assert_eq!(
        s.list_connections(a.id, &by_tag("new"), PageRequest::default())
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        s.list_connections(a.id, &by_tag("t1"), PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
    s.delete_connection(a.id, c.id).await.unwrap();
    assert!(matches!(
        s.get_connection(a.id, c.id).await,
        Err(CoreError::NotFound(_))
    ));
}

async fn list_filters_sort_and_paginate(s: Arc<SqlStore>) {
    let a = s.create_org("a").await.unwrap();
    let b = s.create_org("b").await.unwrap();
    let c1 = s.create_collection(a.id, col("one")).await.unwrap();
    let c2 = s.create_collection(a.id, col("two")).await.unwrap();
    let cb = s.create_collection(b.id, col("one")).await.unwrap();
    for (i, name) in ["Orders DB", "billing", "Analytics", "orders archive", "ab"]
        .iter()
        .enumerate()
    {
        let target = if i % 2 == 0 { c1.id } else { c2.id };
        let kind = if i < 3 { "postgresql" } else { "mysql" };
        s.create_connection(conn(a.id, target, name, kind))
            .await
            .unwrap();
    }
    s.create_connection(conn(b.id, cb.id, "orders elsewhere", "postgresql"))
        .await
        .unwrap();

    let list = |f: ConnectionFilter, page: PageRequest| {
        let s = s.clone();
        async move { s.list_connections(a.id, &f, page).await.unwrap() }
    };
    let all = list(ConnectionFilter::default(), PageRequest::default()).await;
    assert_eq!(all.total, 5, "other organization's rows must not show");

    // Search (case-insensitive substring, long terms indexed, short ones scanned) and filters.
    let search = |term: &str| ConnectionFilter {
        contains: Some(term.into()),
        ..Default::default()
    };
    let cases = [
        (search("ORDERS"), 2, "case-insensitive"),
        (
            search("ab"),
            1,
            "a short term matches only the connection named ab",
        ),
        (search("lytics desc"), 1, "descriptions are searched"),
        (search("%"), 0, "LIKE wildcards are literal"),
        (
            ConnectionFilter {
                source_type: Some("mysql".into()),
                ..Default::default()
            },
            2,
            "type",
        ),
        (
            ConnectionFilter {
                collection_id: Some(c2.id),
                ..Default::default()
            },
            2,
            "collection",
        ),
        (
            ConnectionFilter {
                within_collections: vec![c1.id],
                ..Default::default()
            },
            3,
            "restriction",
        ),
        (
            ConnectionFilter {
                statuses: vec![ConnectionStatus::Active],
                ..Default::default()
            },
            0,
            "status",
        ),
    ];
    for (filter, want, why) in cases {
        assert_eq!(
            list(filter, PageRequest::default()).await.total,
            want,
            "{why}"
        );
    }

    // Sort by name ascending, case-insensitively.
    let by_name = list(
        ConnectionFilter {
            sort: ConnectionSort::Name,
            order: SortOrder::Asc,
            ..Default::default()
        },
        PageRequest::default(),
    )
    .await;
    let names: Vec<_> = by_name.items.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["ab", "Analytics", "billing", "orders archive", "Orders DB"]
    );

    // Pagination: totals are right on every page, and past the end.
    let p2 = list(
        ConnectionFilter::default(),
        PageRequest {
            page: 2,
            page_size: 2,
        },
    )
    .await;
    assert_eq!((p2.items.len(), p2.total, p2.total_pages()), (2, 5, 3));
    assert!(p2.has_next() && p2.has_previous());
    let past = list(
        ConnectionFilter::default(),
        PageRequest {
            page: 9,
            page_size: 2,
        },
    )
    .await;
    assert_eq!((past.items.len(), past.total), (0, 5));
    assert!(!past.has_next());
}

async fn collection_delete_is_atomic(s: Arc<SqlStore>) {
    let a = s.create_org("a").await.unwrap();
    let c = s.create_collection(a.id, col("c")).await.unwrap();
    let x = s
        .create_connection(conn(a.id, c.id, "x", "csv"))
        .await
        .unwrap();
    let r = s.delete_collection(a.id, c.id, false).await;
    assert!(matches!(r, Err(CoreError::Conflict(_))), "{r:?}");
    // Nothing was half-deleted.
    assert!(s.get_connection(a.id, x.id).await.is_ok());
    assert_eq!(
        s.get_collection(a.id, c.id).await.unwrap().connection_count,
        1
    );
    s.delete_collection(a.id, c.id, true).await.unwrap();
    assert!(matches!(
        s.get_connection(a.id, x.id).await,
        Err(CoreError::NotFound(_))
    ));
    assert!(matches!(
        s.delete_collection(a.id, c.id, true).await,
        Err(CoreError::NotFound(_))
    ));
}

async fn reseal_only_changes_matching_rows(s: Arc<SqlStore>) {
    let a = s.create_org("a").await.unwrap();
    let c = s.create_collection(a.id, col("c")).await.unwrap();
    let x = s
        .create_connection(conn(a.id, c.id, "x", "csv"))
        .await
        .unwrap();
    let pending = s.secrets_not_under("k2", 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    let (id, old) = &pending[0];
    assert_eq!(*id, x.id);
    let new = Sealed {
        key_id: "k2".into(),
        data: vec![9],
    };
    assert!(s.reseal_secret(*id, old, &new).await.unwrap());
    // A stale "old" value no longer matches: no lost update.
    assert!(!s.reseal_secret(*id, old, &new).await.unwrap());
    assert!(s.secrets_not_under("k2", 10).await.unwrap().is_empty());
    assert_eq!(
        s.get_connection(a.id, x.id).await.unwrap().secrets.unwrap(),
        new
    );
    let _ = ConnectionId(0);
}

/// Lists must reflect each write at once (the SQLite store caches pages).
async fn lists_see_every_write(s: Arc<SqlStore>) {
    let a = s.create_org("a").await.unwrap();
    let c = s.create_collection(a.id, col("c")).await.unwrap();
    let f = ConnectionFilter {
        contains: Some("alpha".into()),
        ..Default::default()
    };
    let names = |p: &inlet_core::list::Page<inlet_core::model::connection::Connection>| {
        p.items.iter().map(|c| c.name.clone()).collect::<Vec<_>>()
    };
    let page = PageRequest::default();
    assert_eq!(s.list_connections(a.id, &f, page).await.unwrap().total, 0);
    let x = s
        .create_connection(conn(a.id, c.id, "alpha one", "csv"))
        .await
        .unwrap();
    assert_eq!(
        names(&s.list_connections(a.id, &f, page).await.unwrap()),
        ["alpha one"]
    );
    s.update_connection(
        a.id,
        x.id,
        ConnectionPatch {
            name: Some("alpha two".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        names(&s.list_connections(a.id, &f, page).await.unwrap()),
        ["alpha two"]
    );
    let st = ConnectionFilter {
        statuses: vec![ConnectionStatus::Pending],
        ..Default::default()
    };
    assert_eq!(s.list_connections(a.id, &st, page).await.unwrap().total, 1);
    s.update_credentials(
        a.id,
        x.id,
        inlet_core::model::connection::CredentialsUpdate {
            settings: Map::new(),
            secret_fields: vec![],
            secrets: None,
        },
    )
    .await
    .unwrap();
    s.update_connection(
        a.id,
        x.id,
        ConnectionPatch {
            status: Some(ConnectionStatus::Maintenance),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(s.list_connections(a.id, &st, page).await.unwrap().total, 0);
    // A set of statuses (001's `inactive` is inactive or pending).
    let either = ConnectionFilter {
        statuses: vec![ConnectionStatus::Pending, ConnectionStatus::Maintenance],
        ..Default::default()
    };
    assert_eq!(
        s.list_connections(a.id, &either, page).await.unwrap().total,
        1
    );
    s.delete_connection(a.id, x.id).await.unwrap();
    assert_eq!(s.list_connections(a.id, &f, page).await.unwrap().total, 0);
    let y = s
        .create_connection(conn(a.id, c.id, "alpha three", "csv"))
        .await
        .unwrap();
    assert_eq!(s.list_connections(a.id, &f, page).await.unwrap().total, 1);
    s.delete_collection(a.id, c.id, true).await.unwrap();
    assert_eq!(s.list_connections(a.id, &f, page).await.unwrap().total, 0);
    let _ = y;
}

/// Two stores on one database stand for two `inlet serve` nodes: a write
/// through one must invalidate the other's cached list pages.
async fn two_nodes_share_list_invalidation(url: &str) {
    let node_a = inlet_store::open(url).await.unwrap();
    let node_b = inlet_store::open(url).await.unwrap();
    let org = node_a.create_org("a").await.unwrap();
    let c = node_a.create_collection(org.id, col("c")).await.unwrap();
    let f = ConnectionFilter::default();
    let page = PageRequest::default();
    assert_eq!(
        node_a
            .list_connections(org.id, &f, page)
            .await
            .unwrap()
            .total,
        0
    );
    node_b
        .create_connection(conn(org.id, c.id, "x", "csv"))
        .await
        .unwrap();
    assert_eq!(
        node_a
            .list_connections(org.id, &f, page)
            .await
            .unwrap()
            .total,
        1
    );
}

#[tokio::test]
async fn sqlite_two_nodes_share_list_invalidation() {
    let dir = tempfile::tempdir().unwrap();
    two_nodes_share_list_invalidation(&format!("sqlite:{}", dir.path().join("t.db").display()))
        .await;
}

#[tokio::test]
async fn postgres_two_nodes_share_list_invalidation() {
    let db = TempPgDatabase::create().await.unwrap();
    two_nodes_share_list_invalidation(&db.url).await;
    db.drop_db().await.unwrap();
}

async fn schema_jobs_and_storage(s: Arc<SqlStore>) {
    use chrono::Duration;
    use inlet_core::model::schema::{DiscoveredSchema, SchemaInfo};
    let a = s.create_org("a").await.unwrap();
    let c = s.create_collection(a.id, col("c")).await.unwrap();
    let mut auto = conn(a.id, c.id, "auto", "csv");
    auto.config
        .insert("schemaAutoRefresh".into(), serde_json::Value::Bool(true));
    let x = s.create_connection(auto).await.unwrap();
    let y = s
        .create_connection(conn(a.id, c.id, "manual", "csv"))
        .await
        .unwrap();
    let now = inlet_core::model::now();
    let later = now + Duration::minutes(2);
    let kinds = [JobKind::SchemaRefresh];
    // The scheduler queues only auto-refresh connections, once.
    assert_eq!(
        s.enqueue_stale_schema_refreshes(now, now, 10)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.enqueue_stale_schema_refreshes(now, now, 10)
            .await
            .unwrap(),
        0
    );
    let job = s
        .claim_job("w1", &kinds, now, now + Duration::minutes(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((job.connection_id, job.attempts), (x.id, 1));
    assert_eq!(job.status, JobStatus::Running);
    assert!(
        s.claim_job("w2", &kinds, now, now + Duration::minutes(1))
            .await
            .unwrap()
            .is_none(),
        "a held job is not claimed twice"
    );
    // Its worker died: after the lease, another worker resumes it.
    let taken = s
        .claim_job("w2", &kinds, later, later + Duration::minutes(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((taken.id, taken.attempts), (job.id, 2));
    let old = Lease {
        job: job.id,
        worker: "w1".into(),
    };
    let new = Lease {
        job: job.id,
        worker: "w2".into(),
    };
    assert_eq!(s.heartbeat_job(&old, later).await.unwrap(), Heartbeat::Lost);
    assert_eq!(
        s.heartbeat_job(&new, later).await.unwrap(),
        Heartbeat::Renewed
    );
    assert!(
        !s.finish_job(&old, JobStatus::Completed, None, later)
            .await
            .unwrap()
    );
    assert!(
        s.finish_job(&new, JobStatus::Failed, None, later)
            .await
            .unwrap()
    );
    // A failed refresh is not queued again within the interval.
    assert_eq!(
        s.enqueue_stale_schema_refreshes(later, now, 10)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        s.enqueue_stale_schema_refreshes(later + Duration::minutes(10), later, 10)
            .await
            .unwrap(),
        1
    );
    let schema = DiscoveredSchema {
        schemas: vec![SchemaInfo {
            name: "main".into(),
            tables: vec![],
        }],
        ..Default::default()
    };
    s.save_schema(a.id, x.id, &schema, now).await.unwrap();
    let stored = s.get_schema(a.id, x.id).await.unwrap().unwrap();
    assert_eq!(stored.schema, schema);
    assert_eq!(
        s.get_connection(a.id, x.id)
            .await
            .unwrap()
            .schema_discovered_at,
        Some(now)
    );
    // Fresh now: not stale.
    assert_eq!(
        s.enqueue_stale_schema_refreshes(
            later + Duration::hours(1),
            now - Duration::minutes(5),
            10
        )
        .await
        .unwrap(),
        0
    );
    assert!(s.get_schema(a.id, y.id).await.unwrap().is_none());
    let b = s.create_org("b").await.unwrap();
    assert!(
        s.get_schema(b.id, x.id).await.unwrap().is_none(),
        "another organization sees nothing"
    );
    // Test outcomes.
    let ok = s.record_test(a.id, y.id, now, None).await.unwrap();
    assert_eq!(ok.status, ConnectionStatus::Active);
    assert_eq!(ok.last_successful_connection_at, Some(now));
    let failed = s
        .record_test(a.id, y.id, later, Some("boom"))
        .await
        .unwrap();
    assert_eq!(failed.status, ConnectionStatus::Failed);
    assert_eq!(failed.last_error.as_deref(), Some("boom"));
    assert_eq!(
        failed.last_successful_connection_at,
        Some(now),
        "kept from the last success"
    );
}

async fn sync_jobs_are_unique_and_batches_exact(s: Arc<SqlStore>) {
    use chrono::Duration;
    let a = s.create_org("a").await.unwrap();
    let c = s.create_collection(a.id, col("c")).await.unwrap();
    let x = s
        .create_connection(conn(a.id, c.id, "x", "csv"))
        .await
        .unwrap();
    let now = inlet_core::model::now();
    let new = || NewJob {
        org_id: a.id,
        connection_id: x.id,
        kind: JobKind::Sync,
        trigger: JobTrigger::Api,
        force_full: false,
        max_attempts: 3,
        claimed_by: None,
    };
    let first = s.enqueue_job(new(), now).await.unwrap();
    match s.enqueue_job(new(), now).await {
        Err(CoreError::JobActive { job, kind }) => {
            assert_eq!((job, kind), (first.id, JobKind::Sync));
        }
        other => panic!("expected JobActive, got {other:?}"),
    }
    // A queued job cancels at once and frees the connection.
    let cancelled = s.request_cancel(a.id, first.id, now).await.unwrap();
    assert_eq!(cancelled.status, JobStatus::Cancelled);
    let b = s.create_org("b").await.unwrap();
    assert!(matches!(
        s.get_job(b.id, first.id).await,
        Err(CoreError::NotFound(_))
    ));
    let second = s.enqueue_job(new(), now).await.unwrap();
    let job = s
        .claim_job("w", &[JobKind::Sync], now, now + Duration::minutes(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.id, second.id);
    let lease = Lease {
        job: job.id,
        worker: "w".into(),
    };
    let doc = |key: &str, body: &str| DocumentWrite {
        key: key.into(),
        title: key.into(),
        data: format!("{{\"v\": \"{body}\"}}"),
        text: body.into(),
        content_hash: format!("h-{body}"),
    };
    let batch = |pass: i64, writes: Vec<DocumentWrite>, end: bool| SyncBatch {
        lease: lease.clone(),
        org_id: a.id,
        connection_id: x.id,
        stream: "t".into(),
        mode: inlet_core::connector::ReadMode::Full,
        pass: Some(inlet_core::ids::JobId(pass)),
        read: writes.len() as u64,
        writes,
        deletes: vec![],
        position: Some(json!(["k"])),
        skipped: 0,
        skipped_reasons: vec![],
        notes: vec![],
        bytes: 10,
        end: end.then(|| json!("cur")),
        synced_at: now,
    };
    let out = s
        .commit_batch(&batch(
            1,
            vec![doc("a", "1"), doc("b", "1"), doc("c", "1")],
            false,
        ))
        .await
        .unwrap();
    assert_eq!(
        (out.inserted, out.updated, out.unchanged, out.deleted),
        (3, 0, 0, 0)
    );
    let states = s.stream_states(a.id, x.id).await.unwrap();
    assert_eq!(
        states[0].position,
        Some(json!(["k"])),
        "resume point committed with the batch"
    );
    let out = s.commit_batch(&batch(1, vec![], true)).await.unwrap();
    assert_eq!(out.deleted, 0, "every document was seen by the pass");
    // A second pass: one unchanged, one changed, one gone.
    let out = s
        .commit_batch(&batch(2, vec![doc("a", "1"), doc("b", "2")], true))
        .await
        .unwrap();
    assert_eq!(
        (out.inserted, out.updated, out.unchanged, out.deleted),
        (0, 1, 1, 1)
    );
    let states = s.stream_states(a.id, x.id).await.unwrap();
    assert_eq!(
        (states[0].cursor.clone(), states[0].position.clone()),
        (Some(json!("cur")), None)
    );
    assert_eq!(states[0].completed_by, Some(job.id));
    let docs = s
        .list_documents(a.id, x.id, Some("t"), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(docs.total, 2);
    assert_eq!(docs.items[1].text, "2");
    assert_eq!(
        s.get_connection(a.id, x.id).await.unwrap().document_count,
        2
    );
    let counted = s.get_job(a.id, job.id).await.unwrap();
    assert_eq!(
        (
            counted.counts.inserted,
            counted.counts.updated,
            counted.counts.deleted
        ),
        (3, 1, 1)
    );
    assert_eq!(counted.streams[0].counts.unchanged, 1);
    // A cancel reaches the running job's heartbeat; a lost lease writes nothing.
    s.request_cancel(a.id, job.id, now).await.unwrap();
    assert_eq!(
        s.heartbeat_job(&lease, now).await.unwrap(),
        Heartbeat::CancelRequested
    );
    let out = s.commit_batch(&batch(2, vec![], false)).await.unwrap();
    assert!(out.cancel_requested, "a batch sees the cancel too");
    assert!(
        s.finish_job(&lease, JobStatus::Cancelled, None, now)
            .await
            .unwrap()
    );
    assert!(matches!(
        s.commit_batch(&batch(2, vec![doc("z", "1")], false)).await,
        Err(CoreError::NotFound("job"))
    ));
    let conn_after = s.get_connection(a.id, x.id).await.unwrap();
    assert_eq!(conn_after.last_sync_status, Some(JobStatus::Cancelled));
    // A forced full sync forgets cursors as it is queued.
    assert_eq!(s.stream_states(a.id, x.id).await.unwrap().len(), 1);
    let forced = s
        .enqueue_job(
            NewJob {
                force_full: true,
                ..new()
            },
            now,
        )
        .await
        .unwrap();
    assert!(forced.force_full);
    assert!(s.stream_states(a.id, x.id).await.unwrap().is_empty());
    s.request_cancel(a.id, forced.id, now).await.unwrap();
    // Clearing removes documents and cursors, keeps the connection.
    assert_eq!(s.clear_documents(a.id, x.id).await.unwrap().documents, 2);
    assert!(s.stream_states(a.id, x.id).await.unwrap().is_empty());
    assert_eq!(
        s.get_connection(a.id, x.id).await.unwrap().document_count,
        0
    );
    assert!(matches!(
        s.clear_documents(b.id, x.id).await,
        Err(CoreError::NotFound(_))
    ));
}

/// The engine facade: floating-point values survive, and `?` inside quotes
/// or doubled (`??`, jsonb's operator) is not a placeholder.
async fn engine_values_round_trip(s: Arc<SqlStore>) {
    let db = s.db();
    let row = db
        .fetch_optional(
            &inlet_store::db::Sql::new(
                "SELECT CAST(1.5 AS DOUBLE PRECISION) AS x, '?' AS q, ? AS v",
            )
            .arg(7_i64),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.opt_f64("x").unwrap(), Some(1.5));
    assert_eq!(row.text("q").unwrap(), "?");
    assert_eq!(row.i64("v").unwrap(), 7);
    if db.backend() == inlet_store::Backend::Postgres {
        let row = db
            .fetch_optional(
                &inlet_store::db::Sql::new(
                    "SELECT CAST(('{\"a\": 1}'::jsonb ?? 'a') AS INT) AS has, ? AS v",
                )
                .arg(3_i64),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!((row.i64("has").unwrap(), row.i64("v").unwrap()), (1, 3));
    }
}

async fn schedules_are_claimed_once(s: Arc<SqlStore>) {
    use chrono::Duration;
    let a = s.create_org("a").await.unwrap();
    let c = s.create_collection(a.id, col("c")).await.unwrap();
    let now = inlet_core::model::now();
    let due_at = now - Duration::minutes(5);
    let mut new = conn(a.id, c.id, "scheduled", "csv");
    new.next_sync_at = Some(due_at);
    let x = s.create_connection(new).await.unwrap();
    // Milliseconds survive the round trip exactly (the claim compares them).
    assert_eq!(
        x.next_sync_at.map(|t| t.timestamp_millis()),
        Some(due_at.timestamp_millis())
    );
    let due_at = x.next_sync_at.unwrap();
    // Only active connections are due.
    assert!(s.due_schedules(now, 10).await.unwrap().is_empty());
    s.record_test(a.id, x.id, now, None).await.unwrap();
    let due = s.due_schedules(now, 10).await.unwrap();
    assert_eq!(due.iter().map(|c| c.id).collect::<Vec<_>>(), [x.id]);
    assert!(
        s.due_schedules(due_at - Duration::seconds(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A job insert that fails takes the claim back with it: the slot stays
    // due, so a node dying between the two loses nothing.
    refuse_job_inserts(&s, true).await;
    let next = now + Duration::hours(1);
    assert!(
        s.fire_schedule(a.id, x.id, due_at, Some(next), scheduled(a.id, x.id), now)
            .await
            .is_err()
    );
    refuse_job_inserts(&s, false).await;
    let due = s.due_schedules(now, 10).await.unwrap();
    assert_eq!(due.iter().map(|c| c.id).collect::<Vec<_>>(), [x.id]);
    // Of many claims of the same slot, exactly one wins and queues its sync.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let s = s.clone();
        tasks.spawn(async move {
            s.fire_schedule(a.id, x.id, due_at, Some(next), scheduled(a.id, x.id), now)
                .await
        });
    }
    let claims = tasks.join_all().await;
    let queued: Vec<_> = claims
        .iter()
        .filter_map(|c| match c {
            Ok(Firing::Queued(job)) => Some(job.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(queued.len(), 1);
    assert!(
        claims
            .iter()
            .all(|c| matches!(c, Ok(Firing::Queued(_) | Firing::NotClaimed)))
    );
    assert_eq!(
        (queued[0].trigger, queued[0].status),
        (JobTrigger::Schedule, JobStatus::Queued)
    );
    assert!(s.due_schedules(now, 10).await.unwrap().is_empty());
    let x = s.get_connection(a.id, x.id).await.unwrap();
    assert_eq!(
        x.next_sync_at.map(|t| t.timestamp_millis()),
        Some(next.timestamp_millis())
    );
    // Another organization's id does not move it, nor does a stale value,
    // nor a switched-off status.
    let b = s.create_org("b").await.unwrap();
    let next = x.next_sync_at.unwrap();
    let fire = |org, from| s.fire_schedule(org, x.id, from, None, scheduled(org, x.id), now);
    assert!(matches!(fire(b.id, next).await, Ok(Firing::NotClaimed)));
    assert!(matches!(fire(a.id, due_at).await, Ok(Firing::NotClaimed)));
    s.set_status(a.id, x.id, ConnectionStatus::Maintenance)
        .await
        .unwrap();
    assert!(matches!(fire(a.id, next).await, Ok(Firing::NotClaimed)));
    s.set_status(a.id, x.id, ConnectionStatus::Active)
        .await
        .unwrap();
    // A slot whose sync is still queued is claimed but skipped; clearing
    // the next run is allowed.
    assert!(matches!(fire(a.id, next).await, Ok(Firing::Skipped)));
    let x = s.get_connection(a.id, x.id).await.unwrap();
    assert_eq!(x.next_sync_at, None);
    // A config change sets (and clears) it with the config.
    let x = s
        .update_config(a.id, x.id, Map::new(), Some(due_at))
        .await
        .unwrap();
    assert_eq!(x.next_sync_at, Some(due_at));
    let x = s.update_config(a.id, x.id, Map::new(), None).await.unwrap();
    assert_eq!(x.next_sync_at, None);
    // Switched-off connections are never due.
    s.update_config(a.id, x.id, Map::new(), Some(due_at))
        .await
        .unwrap();
    s.set_status(a.id, x.id, ConnectionStatus::Inactive)
        .await
        .unwrap();
    assert!(s.due_schedules(now, 10).await.unwrap().is_empty());
}

/// A scheduled sync of connection `id` of `org`, as the scheduler queues it.
fn scheduled(org: inlet_core::ids::OrgId, id: ConnectionId) -> NewJob {
    NewJob {
        org_id: org,
        connection_id: id,
        kind: JobKind::Sync,
        trigger: JobTrigger::Schedule,
        force_full: false,
        max_attempts: 3,
        claimed_by: None,
    }
}

/// Makes every insert into `jobs` fail (a trigger), or stops doing so.
async fn refuse_job_inserts(s: &SqlStore, refuse: bool) {
    let postgres = s.db().backend() == inlet_store::Backend::Postgres;
    let sql = match (postgres, refuse) {
        (true, true) => {
            "CREATE FUNCTION refuse_job() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'job inserts refused'; END $$; \
             CREATE TRIGGER refuse_jobs BEFORE INSERT ON jobs \
             FOR EACH ROW EXECUTE FUNCTION refuse_job();"
        }
        (true, false) => "DROP TRIGGER refuse_jobs ON jobs; DROP FUNCTION refuse_job();",
        (false, true) => {
            "CREATE TRIGGER refuse_jobs BEFORE INSERT ON jobs \
             BEGIN SELECT RAISE(ABORT, 'job inserts refused'); END;"
        }
        (false, false) => "DROP TRIGGER refuse_jobs;",
    };
    s.db().execute_batch(sql).await.unwrap();
}

/// A name is taken once per organization (create and rename), and
/// migration 14 renames duplicates made before the rule: the oldest keeps
/// the name, the others get their id appended.
async fn connection_names_are_unique_per_organization(s: Arc<SqlStore>) {
    use inlet_core::model::connection::{ConnectionChange, ConnectionPatch};
    let a = s.create_org("a").await.unwrap();
    let b = s.create_org("b").await.unwrap();
    let ca = s.create_collection(a.id, col("c")).await.unwrap();
    let cb = s.create_collection(b.id, col("c")).await.unwrap();
    let first = s
        .create_connection(conn(a.id, ca.id, "wh", "csv"))
        .await
        .unwrap();
    assert!(matches!(
        s.create_connection(conn(a.id, ca.id, "wh", "csv")).await,
        Err(CoreError::Conflict(_))
    ));
    // Another organization may use it.
    s.create_connection(conn(b.id, cb.id, "wh", "csv"))
        .await
        .unwrap();
    let other = s
        .create_connection(conn(a.id, ca.id, "lake", "csv"))
        .await
        .unwrap();
    let rename = ConnectionChange {
        patch: ConnectionPatch {
            name: Some("wh".into()),
            ..ConnectionPatch::default()
        },
        ..ConnectionChange::default()
    };
    assert!(matches!(
        s.change_connection(a.id, other.id, rename).await,
        Err(CoreError::Conflict(_))
    ));
    // Duplicates from before the rule: lift it, make two, run the migration.
    let db = s.db();
    db.execute_batch("DROP INDEX connections_org_unique_name")
        .await
        .unwrap();
    let twin = s
        .create_connection(conn(a.id, ca.id, "wh", "csv"))
        .await
        .unwrap();
    // Both engines run the same text.
    let migration = include_str!("../src/migrations/postgres/0014_unique_connection_names.sql");
    assert_eq!(
        migration,
        include_str!("../src/migrations/sqlite/0014_unique_connection_names.sql")
    );
    db.execute_batch(migration).await.unwrap();
    for (id, name) in [
        (first.id, "wh".to_owned()),
        (twin.id, format!("wh (sc_{})", twin.id.0)),
        (other.id, "lake".to_owned()),
    ] {
        assert_eq!(s.get_connection(a.id, id).await.unwrap().name, name);
    }
    assert!(matches!(
        s.create_connection(conn(a.id, ca.id, "wh", "csv")).await,
        Err(CoreError::Conflict(_))
    ));
}

/// The totals of the job list and the audit trail come from counts the
/// store keeps (migration 15); through every transition they equal the rows.
async fn job_and_audit_totals_stay_exact(s: Arc<SqlStore>) {
    use inlet_core::auth::Principal;
    use inlet_core::list::JobFilter;
    use inlet_core::model::audit::AuditFilter;
    use inlet_core::model::job::JobError;
    use inlet_core::store::AuditStore;
    let a = s.create_org("a").await.unwrap();
    let c = s.create_collection(a.id, col("c")).await.unwrap();
    let mut conns = Vec::new();
    for name in ["x", "y", "z"] {
        conns.push(
            s.create_connection(conn(a.id, c.id, name, "csv"))
                .await
                .unwrap(),
        );
    }
    let now = inlet_core::model::now();
    let new = |id, kind| NewJob {
        org_id: a.id,
        connection_id: id,
        kind,
        trigger: JobTrigger::Api,
        force_full: false,
        max_attempts: 3,
        claimed_by: None,
    };
    let exact = |step: &'static str| {
        let s = s.clone();
        async move {
            for status in [
                None,
                Some(JobStatus::Queued),
                Some(JobStatus::Running),
                Some(JobStatus::Completed),
                Some(JobStatus::Failed),
                Some(JobStatus::Cancelled),
            ] {
                for kind in [None, Some(JobKind::Sync), Some(JobKind::SchemaRefresh)] {
                    let filter = JobFilter {
                        status,
                        kind,
                        ..JobFilter::default()
                    };
                    let page = PageRequest {
                        page: 1,
                        page_size: 100,
                    };
                    let listed = s.list_org_jobs(a.id, &filter, page).await.unwrap();
                    let restricted = JobFilter {
                        within_collections: vec![c.id],
                        ..filter.clone()
                    };
                    let rows = s.list_org_jobs(a.id, &restricted, page).await.unwrap();
                    assert_eq!(listed.total, rows.total, "{step}: {status:?} {kind:?}");
                    assert_eq!(
                        listed.total,
                        listed.items.len() as u64,
                        "{step}: {status:?} {kind:?}"
                    );
                }
            }
        }
    };
    for x in &conns {
        s.enqueue_job(new(x.id, JobKind::Sync), now).await.unwrap();
        s.enqueue_job(new(x.id, JobKind::SchemaRefresh), now)
            .await
            .unwrap();
    }
    exact("queued").await;
    let lease_until = now + chrono::Duration::minutes(1);
    let kinds = [JobKind::Sync, JobKind::SchemaRefresh];
    let mut leases = Vec::new();
    while let Some(job) = s.claim_job("w", &kinds, now, lease_until).await.unwrap() {
        leases.push(Lease {
            job: job.id,
            worker: "w".into(),
        });
    }
    assert_eq!(leases.len(), 6);
    exact("claimed").await;
    let error = JobError {
        code: "timeout".into(),
        message: "slow".into(),
    };
    assert!(
        s.finish_job(&leases[0], JobStatus::Completed, None, now)
            .await
            .unwrap()
    );
    assert!(
        s.finish_job(&leases[1], JobStatus::Failed, Some(&error), now)
            .await
            .unwrap()
    );
    assert!(s.retry_job(&leases[2], now, &error, now).await.unwrap());
    s.request_cancel(a.id, leases[3].job, now).await.unwrap();
    exact("ended, retried, cancel asked").await;
    // A connection's delete takes its jobs, and their counts, with it.
    s.delete_connection(a.id, conns[0].id).await.unwrap();
    exact("connection deleted").await;
    // The trail's total follows its inserts and pruning.
    let trail = |s: Arc<SqlStore>| async move {
        let page = PageRequest {
            page: 1,
            page_size: 100,
        };
        let all = s
            .list_audit_events(a.id, &AuditFilter::default(), page)
            .await
            .unwrap();
        let since = AuditFilter {
            since: Some(now - chrono::Duration::days(3650)),
            ..AuditFilter::default()
        };
        let counted = s.list_audit_events(a.id, &since, page).await.unwrap();
        assert_eq!(all.total, counted.total);
        all.total
    };
    let before = trail(s.clone()).await;
    let event =
        Principal::operator(a.id).audit(inlet_core::model::audit::AuditAction::OrgPolicySet);
    for _ in 0..3 {
        s.record_audit_event(&event).await.unwrap();
    }
    assert_eq!(trail(s.clone()).await, before + 3);
    s.prune_audit_events(inlet_core::model::now() + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(trail(s.clone()).await, 0);
}

async fn counts_names_and_whole_changes(s: Arc<SqlStore>) {
    use inlet_core::model::connection::{ConfigUpdate, ConnectionChange, CredentialsUpdate};
    let a = s.create_org("a").await.unwrap();
    let b = s.create_org("b").await.unwrap();
    let c1 = s.create_collection(a.id, col("one")).await.unwrap();
    let c2 = s.create_collection(a.id, col("two")).await.unwrap();
    let cb = s.create_collection(b.id, col("one")).await.unwrap();
    let x = s
        .create_connection(conn(a.id, c1.id, "x", "csv"))
        .await
        .unwrap();
    let y = s
        .create_connection(conn(a.id, c1.id, "y", "csv"))
        .await
        .unwrap();
    let z = s
        .create_connection(conn(a.id, c2.id, "z", "csv"))
        .await
        .unwrap();
    let theirs = s
        .create_connection(conn(b.id, cb.id, "t", "csv"))
        .await
        .unwrap();

    // One change: descriptive fields, credentials, config and a passing
    // test, all applied, in the order a test comes last (active).
    let changed = s
        .change_connection(
            a.id,
            y.id,
            ConnectionChange {
                patch: ConnectionPatch {
                    name: Some("y2".into()),
                    ..Default::default()
                },
                credentials: Some(CredentialsUpdate {
                    settings: json!({"host": "h2"}).as_object().cloned().unwrap(),
                    secret_fields: vec![],
                    secrets: None,
                }),
                config: Some(ConfigUpdate {
                    config: json!({"schema": "s"}).as_object().cloned().unwrap(),
                    next_sync_at: None,
                }),
                tested_at: Some(inlet_core::model::now()),
            },
        )
        .await
        .unwrap();
    assert_eq!(changed.name.as_str(), "y2");
    assert_eq!(changed.settings["host"], "h2");
    assert_eq!(changed.config["schema"], "s");
    assert_eq!(changed.status, ConnectionStatus::Active);
    assert!(changed.last_tested_at.is_some());
    assert!(matches!(
        s.change_connection(b.id, y.id, ConnectionChange::default())
            .await,
        Err(CoreError::NotFound(_))
    ));
    s.update_connection(
        a.id,
        z.id,
        ConnectionPatch {
            status: Some(ConnectionStatus::Inactive),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // Counts per status, in the statuses' order; a collection restriction.
    let counts = s
        .connection_counts(a.id, &ConnectionFilter::default())
        .await
        .unwrap();
    assert_eq!(
        counts.by_status,
        [
            (ConnectionStatus::Pending, 1),
            (ConnectionStatus::Active, 1),
            (ConnectionStatus::Inactive, 1)
        ]
    );
    assert_eq!(counts.total(), 3);
    assert_eq!(counts.alive, 0, "no sync completed yet");
    let within = ConnectionFilter {
        within_collections: vec![c2.id],
        ..Default::default()
    };
    let counts = s.connection_counts(a.id, &within).await.unwrap();
    assert_eq!(counts.by_status, [(ConnectionStatus::Inactive, 1)]);

    // Names: only the organization's, only within the restriction.
    let ids = [x.id, y.id, z.id, theirs.id];
    let mut names = s.connection_names(a.id, &ids, &[]).await.unwrap();
    names.sort();
    assert_eq!(
        names,
        [(x.id, "x".into()), (y.id, "y2".into()), (z.id, "z".into())]
    );
    let names = s.connection_names(a.id, &ids, &[c2.id]).await.unwrap();
    assert_eq!(names, [(z.id, "z".to_owned())]);
    assert!(s.connection_names(a.id, &[], &[]).await.unwrap().is_empty());
}

async fn audit_pruning_goes_in_batches(s: Arc<SqlStore>) {
    use inlet_core::store::AuditStore;
    // 12,345 old events (more than two batches) and 3 recent ones.
    s.db()
        .execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12348) \
             INSERT INTO audit_events (org_id, at, actor_key_name, action, object_type, summary) \
             SELECT 1, CASE WHEN i <= 12345 THEN 1000 + i ELSE 4000000000000 END, 'k', \
             'collection.created', 'collection', '{}' FROM n",
        )
        .await
        .unwrap();
    let cutoff = chrono::DateTime::from_timestamp_millis(3_000_000_000_000).unwrap();
    assert_eq!(s.prune_audit_events(cutoff).await.unwrap(), 12_345);
    assert_eq!(s.prune_audit_events(cutoff).await.unwrap(), 0);
    let left = s
        .list_audit_events(
            inlet_core::ids::OrgId(1),
            &Default::default(),
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(left.total, 3);
}

/// Services over `s` with only a keyring (no connectors needed).
fn keyed(s: &Arc<SqlStore>, ring: Keyring) -> Services {
    Services::new(s.clone(), Arc::new(ring), Catalog::default())
}

/// A new master key, in its base64 form.
fn key() -> String {
    MasterKey::generate().1.to_string()
}

/// A keyring sealing with `current`, opening with it or `retired`.
fn ring(current: &str, retired: &[&str]) -> Keyring {
    Keyring::new(
        MasterKey::from_base64(current).unwrap(),
        retired
            .iter()
            .map(|k| MasterKey::from_base64(k).unwrap())
            .collect(),
    )
}

/// The master key check: absent on a store from before it, tested there
/// against a sealed secret before it is written, written once (compare and
/// set), opened only by the key (or a keyring holding it), and moved to
/// the new key by a rotation.
async fn master_key_check_guards_the_store(s: Arc<SqlStore>) {
    assert_eq!(s.master_key_check().await.unwrap(), None);
    assert_eq!(s.any_sealed_secret().await.unwrap(), None);
    assert_eq!(sealed_key_id(s.as_ref()).await.unwrap(), None);

    // A store from before the check value, holding a secret sealed under A.
    let (a, b, c) = (key(), key(), key());
    let a_id = ring(&a, &[]).current_id().to_owned();
    let org = s.create_org("a").await.unwrap();
    let col_ = s.create_collection(org.id, col("c")).await.unwrap();
    let mut new = conn(org.id, col_.id, "x", "csv");
    new.secrets = Some(ring(&a, &[]).seal(br#"{"password":"p"}"#).unwrap());
    s.create_connection(new).await.unwrap();
    assert_eq!(s.any_sealed_secret().await.unwrap().unwrap().key_id, a_id);
    assert_eq!(
        sealed_key_id(s.as_ref()).await.unwrap().as_deref(),
        Some(a_id.as_str())
    );

    // Another key is refused on the secret, and nothing is written.
    let mismatch = |id: &str| KeyCheck::Mismatch {
        store_key_id: id.to_owned(),
    };
    let verify = |k: Keyring| {
        let services = keyed(&s, k);
        async move { services.verify_master_key().await.unwrap() }
    };
    assert_eq!(verify(ring(&b, &[])).await, mismatch(&a_id));
    assert_eq!(s.master_key_check().await.unwrap(), None);

    // The store's key writes the check value, then finds it.
    assert_eq!(verify(ring(&a, &[])).await, KeyCheck::Written);
    let check = s.master_key_check().await.unwrap().unwrap();
    assert_eq!(check.key_id, a_id);
    assert_eq!(verify(ring(&a, &[])).await, KeyCheck::Verified);
    assert_eq!(verify(ring(&b, &[])).await, mismatch(&a_id));

    // Written once: no second insert, and replacing needs the current value.
    let other = ring(&b, &[]).seal_check().unwrap();
    assert!(!s.replace_master_key_check(None, &other).await.unwrap());
    assert!(
        !s.replace_master_key_check(Some(&other), &other)
            .await
            .unwrap()
    );
    assert_eq!(s.master_key_check().await.unwrap().unwrap(), check);

    // A rotation (C first, A retired) moves it to C: then C alone opens
    // it, and A alone no longer does.
    let rotating = keyed(&s, ring(&c, &[&a]));
    rotating.reseal_all_secrets().await.unwrap();
    rotating.reseal_master_key_check().await.unwrap();
    let c_id = ring(&c, &[]).current_id().to_owned();
    assert_eq!(s.master_key_check().await.unwrap().unwrap().key_id, c_id);
    assert_eq!(verify(ring(&c, &[])).await, KeyCheck::Verified);
    assert_eq!(verify(ring(&a, &[])).await, mismatch(&c_id));
    // A keyring that never held the store's key cannot move it.
    assert!(
        keyed(&s, ring(&b, &[]))
            .reseal_master_key_check()
            .await
            .is_err()
    );
    assert_eq!(s.master_key_check().await.unwrap().unwrap().key_id, c_id);
}
