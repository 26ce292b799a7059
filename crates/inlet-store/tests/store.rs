//! The store suite, run against both engines: the embedded SQLite file and
//! the machine's PostgreSQL (a fresh database per test).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::future::Future;
use std::sync::Arc;

use inlet_core::CoreError;
use inlet_core::auth::Scope;
use inlet_core::crypto::Sealed;
use inlet_core::ids::{CollectionId, ConnectionId};
use inlet_core::list::{ConnectionFilter, ConnectionSort, PageRequest, SortOrder};
use inlet_core::model::api_key::NewApiKey;
use inlet_core::model::collection::{CollectionPatch, NewCollection};
use inlet_core::model::connection::{ConnectionPatch, ConnectionStatus, NewConnection};
use inlet_core::model::user::Role;
use inlet_core::store::Store;
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
    schema_leases_and_storage,
);

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
        })
        .await
        .unwrap();
    let (found, role) = s.find_api_key("h1").await.unwrap().unwrap();
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
        search: Some(term.into()),
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
                status: Some(ConnectionStatus::Active),
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
        search: Some("alpha".into()),
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
        status: Some(ConnectionStatus::Pending),
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

async fn schema_leases_and_storage(s: Arc<SqlStore>) {
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
    // One lease at a time per connection.
    assert!(
        s.claim_schema_refresh(a.id, y.id, now, now - Duration::minutes(1))
            .await
            .unwrap()
    );
    assert!(
        !s.claim_schema_refresh(a.id, y.id, now, now - Duration::minutes(1))
            .await
            .unwrap()
    );
    // An expired lease can be taken over.
    let later = now + Duration::minutes(2);
    assert!(
        s.claim_schema_refresh(a.id, y.id, later, later - Duration::minutes(1))
            .await
            .unwrap()
    );
    s.release_schema_refresh(a.id, y.id, None).await.unwrap();
    // A failed scheduled refresh waits for its retry time.
    let mut flaky = conn(a.id, c.id, "flaky", "csv");
    flaky
        .config
        .insert("schemaAutoRefresh".into(), serde_json::Value::Bool(true));
    let f = s.create_connection(flaky).await.unwrap();
    s.release_schema_refresh(a.id, f.id, Some(later))
        .await
        .unwrap();
    // Only auto-refresh connections are claimed by the scheduler, once.
    let claimed = s
        .claim_stale_schemas(now, now, now - Duration::minutes(1), 10)
        .await
        .unwrap();
    assert_eq!(claimed, vec![(a.id, x.id)]);
    assert!(
        s.claim_stale_schemas(now, now, now - Duration::minutes(1), 10)
            .await
            .unwrap()
            .is_empty()
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
    // Fresh now: not stale, and its lease was freed by the save.
    assert!(
        s.claim_stale_schemas(now, now - Duration::minutes(5), now, 10)
            .await
            .unwrap()
            .is_empty()
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
