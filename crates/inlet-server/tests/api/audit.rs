//! The audit trail: every kind of change leaves exactly one event, in the
//! change's transaction, naming the actor, the object and what changed —
//! never a secret — on both stores; reading it is for administrators, per
//! organization, with filters and pages.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Options, TestApp};

/// The organization's events, newest first (as the admin key sees them).
async fn events(app: &TestApp, query: &str) -> Value {
    let r = app
        .get(
            &format!("/api/v1/audit-events?pageSize=100{query}"),
            &app.admin_key,
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{query}: {}\n{}",
        r.text,
        crate::harness::logs()
    );
    r.body
}

/// Runs `change` and asserts it left exactly one event, of `action`, on
/// `object` (when given); returns the event.
struct Trail<'a> {
    app: &'a TestApp,
    seen: u64,
    query: String,
}

impl Trail<'_> {
    async fn expect_one(&mut self, action: &str, object: Option<&str>) -> Value {
        let all = events(self.app, &self.query).await;
        let total = all["pagination"]["totalItems"].as_u64().unwrap();
        assert_eq!(total, self.seen + 1, "{action}: {all:#}");
        self.seen = total;
        let e = all["auditEvents"][0].clone();
        assert_eq!(e["action"], action, "{e:#}");
        if let Some(o) = object {
            assert_eq!(e["objectId"], o, "{e:#}");
        }
        e
    }

    async fn expect_none(&self, why: &str) {
        let all = events(self.app, &self.query).await;
        assert_eq!(
            all["pagination"]["totalItems"].as_u64().unwrap(),
            self.seen,
            "{why}: {all:#}"
        );
    }
}

/// A server (no workers: a sync stays queued) on one of the two stores,
/// its admin key, and a password unique to the run for the secret grep.
struct Audited {
    app: TestApp,
    k: String,
    secret: String,
}

impl Audited {
    async fn start(postgres: bool) -> Self {
        let app = TestApp::with(Options {
            workers: 0,
            postgres,
            ..Options::default()
        })
        .await;
        let k = app.admin_key.clone();
        let secret = format!("Audit-{}-pw", rand::random::<u64>());
        Self { app, k, secret }
    }

    /// A trail counting from the events recorded so far.
    async fn trail(&self) -> Trail<'_> {
        let all = events(&self.app, "").await;
        Trail {
            app: &self.app,
            seen: all["pagination"]["totalItems"].as_u64().unwrap(),
            query: String::new(),
        }
    }

    /// Creates a PostgreSQL connection named `wh` in `col` (its database
    /// does not exist; its password is the run's secret); returns its id.
    async fn create_connection(&self, col: &str) -> String {
        let r = self
            .app
            .post(
                "/api/v1/source-connections",
                &self.k,
                json!({"collectionId": col, "sourceShortName": "postgresql", "name": "wh",
                       "credentials": {"host": "127.0.0.1", "port": 5432, "database": "inlet_audit_no_such_db",
                                       "username": "postgres", "password": self.secret, "sslmode": "disable"}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body["sourceConnection"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A collection and a connection in it (see [`Self::create_connection`]);
    /// returns (collection, connection).
    async fn with_connection(&self) -> (String, String) {
        let col = self.app.collection(&self.k, "Audited").await;
        let conn = self.create_connection(&col).await;
        (col, conn)
    }

    /// Asserts that no event holds any of `secrets`.
    async fn assert_no_secret(&self, secrets: &[&str]) {
        let text = events(&self.app, "").await.to_string();
        for s in secrets {
            assert!(!text.contains(s), "an event holds a secret");
        }
    }

    async fn finish(self) {
        self.app.finish().await;
    }
}

/// Each case, run on a server of its own on each store: `<case>::on_sqlite`
/// and `<case>::on_postgres`.
macro_rules! on_both_stores {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test]
            async fn on_sqlite() {
                let a = super::Audited::start(false).await;
                super::$case(&a).await;
                a.finish().await;
            }

            #[tokio::test]
            async fn on_postgres() {
                let a = super::Audited::start(true).await;
                super::$case(&a).await;
                a.finish().await;
            }
        }
    )*};
}

on_both_stores!(
    collections_record_their_actor_request_and_changes,
    connection_changes_name_their_fields_never_their_values,
    a_multi_part_edit_is_one_event_naming_each_part,
    refused_edits_change_nothing_and_name_the_refused_field,
    a_connection_test_records_its_outcome,
    a_sync_started_and_cancelled_is_recorded_once_each,
    clearing_data_and_deleting_are_recorded,
    keys_record_their_scopes_never_their_secret,
    users_and_memberships_are_recorded,
    a_new_organizations_creation_is_its_own_first_event,
);

/// The trail starts with the bootstrap, by the operator; a collection's
/// creation is the next event and names its actor (the key's name and id),
/// the client's address, the request and the organization; its update says
/// what changed.
async fn collections_record_their_actor_request_and_changes(a: &Audited) {
    let (app, k) = (&a.app, &a.k);
    let mut t = a.trail().await;
    let start = events(app, "").await;
    let mut bootstrap: Vec<_> = start["auditEvents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), &e["actor"]["apiKeyName"]))
        .collect();
    bootstrap.sort_by_key(|(action, _)| *action);
    assert_eq!(
        bootstrap,
        [
            ("api_key.created", &json!("operator")),
            ("organization.created", &json!("operator")),
            ("organization.outbound_policy_set", &json!("operator")),
        ],
        "{start}"
    );
    assert_eq!(t.seen, 3);
    let col = app.collection(k, "Audited").await;
    let e = t.expect_one("collection.created", Some(&col)).await;
    assert_eq!(e["objectType"], "collection");
    assert_eq!(e["summary"]["name"], "Audited");
    assert_eq!(e["actor"]["apiKeyName"], "bootstrap admin");
    assert!(e["actor"]["apiKeyId"].as_str().unwrap().starts_with("key_"));
    assert_eq!(e["clientAddress"], "127.0.0.1");
    assert!(
        e["requestId"].as_str().is_some_and(|r| r.len() >= 32),
        "{e}"
    );
    assert_eq!(e["organizationId"], "org_1");
    app.patch(
        &format!("/api/v1/collections/{col}"),
        k,
        json!({"description": "d"}),
    )
    .await;
    let e = t.expect_one("collection.updated", Some(&col)).await;
    assert_eq!(e["summary"], json!({"description": "d"}));
}

/// A connection's creation, change, credentials (the names of the fields,
/// never their values) and config each leave one event; no event holds a
/// password sent.
async fn connection_changes_name_their_fields_never_their_values(a: &Audited) {
    let (app, k, secret) = (&a.app, &a.k, &a.secret);
    let col = app.collection(k, "Audited").await;
    let mut t = a.trail().await;
    let conn = a.create_connection(&col).await;
    let e = t.expect_one("connection.created", Some(&conn)).await;
    assert_eq!(e["summary"]["sourceShortName"], "postgresql");
    let path = format!("/api/v1/source-connections/{conn}");
    app.patch(&path, k, json!({"name": "warehouse", "tags": ["a"]}))
        .await;
    let e = t.expect_one("connection.updated", Some(&conn)).await;
    assert_eq!(e["summary"], json!({"name": "warehouse", "tags": ["a"]}));
    let r = app
        .put(
            &format!("{path}/credentials"),
            k,
            json!({"credentials": {"host": "127.0.0.1", "port": 5432, "database": "inlet_audit_no_such_db",
                                   "username": "postgres", "password": format!("{secret}2"), "sslmode": "disable"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let e = t
        .expect_one("connection.credentials_replaced", Some(&conn))
        .await;
    assert_eq!(e["summary"], json!({"fields": ["password"]}));
    app.put(
        &format!("{path}/config"),
        k,
        json!({"config": {"schedule": "0 3 * * *"}}),
    )
    .await;
    let e = t.expect_one("connection.config_updated", Some(&conn)).await;
    assert_eq!(e["summary"], json!({"fields": ["schedule"]}));
    a.assert_no_secret(&[secret, &format!("{secret}2")]).await;
}

/// One edit of several parts (001's PATCH) is one transaction and one
/// event naming each part, and no event holds the password it sent.
async fn a_multi_part_edit_is_one_event_naming_each_part(a: &Audited) {
    let (app, k, secret) = (&a.app, &a.k, &a.secret);
    let (_, conn) = a.with_connection().await;
    let mut t = a.trail().await;
    let r = app
        .patch(
            &format!("/api/v1/data-sources/{conn}"),
            k,
            json!({"name": "wh3", "password": format!("{secret}3"), "schema_name": "public"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let e = t.expect_one("connection.updated", Some(&conn)).await;
    assert_eq!(
        e["summary"],
        json!({"name": "wh3", "credentials": ["password"], "config": ["schema"]})
    );
    a.assert_no_secret(&[secret, &format!("{secret}3")]).await;
}

/// Bad input changes nothing (a bad part refuses the whole edit: the name
/// is not changed either); an edit naming credentials is recorded as
/// refused with the fields sent and the one refused, no value.
async fn refused_edits_change_nothing_and_name_the_refused_field(a: &Audited) {
    let (app, k) = (&a.app, &a.k);
    let (_, conn) = a.with_connection().await;
    let path = format!("/api/v1/source-connections/{conn}");
    let mut t = a.trail().await;
    let r = app
        .patch(
            &format!("/api/v1/data-sources/{conn}"),
            k,
            json!({"name": "wh4", "port": "not a port"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let e = t.expect_one("connection.edit_refused", Some(&conn)).await;
    assert_eq!(
        e["summary"],
        json!({"fields": ["port"], "refusedField": "credentials.port"})
    );
    let r = app.get(&path, k).await;
    assert_eq!(r.body["sourceConnection"]["name"], "wh", "{}", r.text);

    let r = app
        .put(
            &format!("{path}/credentials"),
            k,
            json!({"credentials": {"port": "x"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let e = t.expect_one("connection.edit_refused", Some(&conn)).await;
    assert_eq!(
        e["summary"],
        json!({"fields": ["port"], "refusedField": "credentials.host"})
    );
}

/// A connection test leaves one event with its outcome (failing here: the
/// database does not exist).
async fn a_connection_test_records_its_outcome(a: &Audited) {
    let (_, conn) = a.with_connection().await;
    let mut t = a.trail().await;
    a.app
        .post(
            &format!("/api/v1/source-connections/{conn}/test"),
            &a.k,
            json!({}),
        )
        .await;
    let e = t.expect_one("connection.tested", Some(&conn)).await;
    assert_eq!(e["summary"], json!({"ok": false}));
}

/// A sync started (it stays queued: no workers) and cancelled leaves one
/// event each; cancelling what already ended leaves none.
async fn a_sync_started_and_cancelled_is_recorded_once_each(a: &Audited) {
    let (app, k) = (&a.app, &a.k);
    let (_, conn) = a.with_connection().await;
    let mut t = a.trail().await;
    let r = app
        .post(
            &format!("/api/v1/source-connections/{conn}/run"),
            k,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let job = r.body["syncId"].as_str().unwrap().to_owned();
    let e = t.expect_one("job.started", Some(&job)).await;
    assert_eq!(e["summary"]["kind"], "sync");
    assert_eq!(e["summary"]["sourceConnectionId"], conn);
    app.post(&format!("/api/v1/jobs/{job}/cancel"), k, json!({}))
        .await;
    t.expect_one("job.cancelled", Some(&job)).await;
    app.post(&format!("/api/v1/jobs/{job}/cancel"), k, json!({}))
        .await;
    t.expect_none("a second cancel").await;
}

/// A connection's data cleared, then the connection and its collection
/// deleted, leave one event each.
async fn clearing_data_and_deleting_are_recorded(a: &Audited) {
    let (app, k) = (&a.app, &a.k);
    let (col, conn) = a.with_connection().await;
    let path = format!("/api/v1/source-connections/{conn}");
    let mut t = a.trail().await;
    let r = app.delete(&format!("{path}/data"), k).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    t.expect_one("connection.data_cleared", Some(&conn)).await;
    app.delete(&path, k).await;
    t.expect_one("connection.deleted", Some(&conn)).await;
    app.delete(&format!("/api/v1/collections/{col}"), k).await;
    t.expect_one("collection.deleted", Some(&col)).await;
}

/// A key's creation (its name and scopes, never the secret) and its
/// revocation leave one event each.
async fn keys_record_their_scopes_never_their_secret(a: &Audited) {
    let (app, k) = (&a.app, &a.k);
    let mut t = a.trail().await;
    let r = app
        .post(
            "/api/v1/api-keys",
            k,
            json!({"name": "ci", "scopes": ["read", "write"]}),
        )
        .await;
    let key_id = r.body["apiKey"]["id"].as_str().unwrap().to_owned();
    let key_secret = r.body["apiKey"]["key"].as_str().unwrap().to_owned();
    let e = t.expect_one("api_key.created", Some(&key_id)).await;
    assert_eq!(e["summary"]["scopes"], json!(["read", "write"]));
    app.delete(&format!("/api/v1/api-keys/{key_id}"), k).await;
    t.expect_one("api_key.revoked", Some(&key_id)).await;
    a.assert_no_secret(&[&key_secret]).await;
}

/// Users and memberships (an instance administrator's changes): a user
/// created, a membership set with its role and removed, one event each.
async fn users_and_memberships_are_recorded(a: &Audited) {
    let (app, k) = (&a.app, &a.k);
    let mut t = a.trail().await;
    let r = app
        .post(
            "/api/v1/users",
            k,
            json!({"email": "ann@example.com", "name": "Ann"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let user = r.body["user"]["id"].as_str().unwrap().to_owned();
    t.expect_one("user.created", Some(&user)).await;
    let r = app
        .post(
            &format!("/api/v1/users/{user}/memberships"),
            k,
            json!({"organizationId": "org_1", "role": "viewer"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let e = t.expect_one("membership.set", Some(&user)).await;
    assert_eq!(e["summary"]["role"], "viewer");
    app.delete(&format!("/api/v1/users/{user}/memberships/org_1"), k)
        .await;
    t.expect_one("membership.removed", Some(&user)).await;
}

/// A new organization's creation is that organization's first event, not
/// one of the creator's organization.
async fn a_new_organizations_creation_is_its_own_first_event(a: &Audited) {
    let (app, k) = (&a.app, &a.k);
    let t = a.trail().await;
    let r = app
        .post("/api/v1/organizations", k, json!({"name": "Acme"}))
        .await;
    let org = r.body["organization"]["id"].as_str().unwrap().to_owned();
    t.expect_none("another organization's creation").await;
    let theirs = events(app, &format!("&organizationId={org}")).await;
    assert_eq!(theirs["auditEvents"][0]["action"], "organization.created");
    assert_eq!(theirs["auditEvents"][0]["objectId"], org);
}

#[tokio::test]
async fn reading_the_trail_filters_pages_and_stays_in_its_organization() {
    let app = TestApp::with(Options {
        workers: 0,
        ..Options::default()
    })
    .await;
    let k = &app.admin_key;
    for name in ["a", "b", "c"] {
        app.collection(k, name).await;
    }
    let col = app.collection(k, "d").await;
    app.delete(&format!("/api/v1/collections/{col}"), k).await;

    // Filters and pages.
    let e = events(&app, "&action=collection.deleted").await;
    assert_eq!(e["pagination"]["totalItems"], 1);
    let e = events(&app, &format!("&objectId={col}")).await;
    assert_eq!(e["pagination"]["totalItems"], 2);
    let e = events(
        &app,
        "&action=collection.created,collection.deleted&objectType=collection",
    )
    .await;
    assert_eq!(e["pagination"]["totalItems"], 5);
    let r = app.get("/api/v1/audit-events?pageSize=2&page=2", k).await;
    assert_eq!(r.body["auditEvents"].as_array().unwrap().len(), 2);
    // Three bootstrap events and five of collections.
    assert_eq!(r.body["pagination"]["totalPages"], 4);
    let newest = events(&app, "").await["auditEvents"][0]["at"]
        .as_str()
        .unwrap()
        .to_owned();
    let e = events(&app, &format!("&since={}", newest.replace('+', "%2B"))).await;
    assert!(e["pagination"]["totalItems"].as_u64().unwrap() >= 1, "{e}");
    let e = events(&app, "&until=2000-01-01T00:00:00Z").await;
    assert_eq!(e["pagination"]["totalItems"], 0);

    // Bad filters name themselves.
    for (q, field) in [
        ("action=connection.exploded", "action"),
        ("since=yesterday", "since"),
        ("actorApiKeyId=nope", "actorApiKeyId"),
        (
            "since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z",
            "until",
        ),
        ("colour=red", "colour"),
    ] {
        let r = app.get(&format!("/api/v1/audit-events?{q}"), k).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.text);
        assert!(r.text.contains(field), "{q}: {}", r.text);
    }

    // Administrators only; another organization sees only its own events.
    let reader = app
        .key(&json!({"name": "r", "scopes": ["read", "write"]}))
        .await;
    let r = app.get("/api/v1/audit-events", &reader).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let (org2, admin2) = app.org_with_key("Other", &["admin"]).await;
    let r = app.get("/api/v1/audit-events?pageSize=100", &admin2).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.body["auditEvents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["organizationId"] == org2),
        "{}",
        r.text
    );
    let r = app
        .get("/api/v1/audit-events?organizationId=org_1", &admin2)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);

    // Events cannot be changed or deleted through the API.
    for method in [Method::POST, Method::DELETE, Method::PUT, Method::PATCH] {
        let r = app
            .call(method.clone(), "/api/v1/audit-events", Some(k), None)
            .await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }

    // Retention deletes what is older than the cut-off, nothing else.
    use inlet_core::store::AuditStore;
    let kept = app
        .store
        .prune_audit_events(inlet_core::model::now() - chrono::Duration::days(1))
        .await
        .unwrap();
    assert_eq!(kept, 0);
    let gone = app
        .store
        .prune_audit_events(inlet_core::model::now() + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert!(gone >= 6, "{gone}");
    assert_eq!(events(&app, "").await["pagination"]["totalItems"], 0);
    app.finish().await;
}
