//! The change log: seqs visible in commit order without gaps (a
//! deterministic two-writer test on both engines, a stress test on
//! PostgreSQL, and a control with `nextval()` showing the tests can fail),
//! one change per document-writing transaction, pruning, and the search
//! scope and document reads staying in their organization.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use inlet_core::ids::{ConnectionId, DocumentId, OrgId};
use inlet_core::model::connection::ConnectionStatus;
use inlet_core::model::document::DocumentWrite;
use inlet_core::model::job::{JobKind, JobStatus, JobTrigger, Lease, NewJob};
use inlet_core::store::{
    ChangeLog, ChangeOp, CollectionStore, ConnectionStore, DocumentStore, JobStore, OrgStore,
    ScopedConnection, Store, SyncBatch,
};
use inlet_store::SqlStore;
use inlet_store::db::{Db, Sql};
use inlet_store::testing::{TempPgDatabase, log_change};
use rand::Rng;
use serde_json::json;

use super::{col, conn};

/// The seqs of every change after `after`, read as a follower does.
async fn seqs(s: &SqlStore, after: u64) -> Vec<u64> {
    s.changes_after(after, 1000)
        .await
        .unwrap()
        .iter()
        .map(|c| c.seq)
        .collect()
}

fn clear(id: i64) -> ChangeOp {
    ChangeOp::Clear {
        connections: vec![ConnectionId(id)],
    }
}

/// tx1 takes the counter and holds it; tx2 must wait for it (on
/// PostgreSQL on the row lock, on SQLite for the single writer), nothing
/// is visible until tx1 commits, and then exactly tx1's change is.
pub async fn seqs_are_visible_in_commit_order(s: Arc<SqlStore>) {
    let a = s.create_org("a").await.unwrap();
    let db: Db = s.db().clone();
    let mut tx1 = db.begin().await.unwrap();
    assert_eq!(log_change(&mut tx1, a.id, &clear(1)).await.unwrap(), 1);

    let (took_tx, mut took_rx) = tokio::sync::oneshot::channel();
    let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
    let db2 = db.clone();
    let second = tokio::spawn(async move {
        let mut tx2 = db2.begin().await.unwrap();
        let seq = log_change(&mut tx2, a.id, &clear(2)).await.unwrap();
        took_tx.send(seq).unwrap();
        go_rx.await.unwrap();
        tx2.commit().await.unwrap();
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        took_rx.try_recv().is_err(),
        "tx2 took a seq while tx1 held the counter"
    );
    assert!(seqs(&s, 0).await.is_empty(), "nothing committed yet");
    assert_eq!(s.log_head().await.unwrap().seq, 0);

    tx1.commit().await.unwrap();
    let second_seq = tokio::time::timeout(Duration::from_secs(10), took_rx)
        .await
        .expect("tx2 proceeds once tx1 committed")
        .unwrap();
    assert_eq!(second_seq, 2);
    assert_eq!(seqs(&s, 0).await, [1], "tx2 has not committed");
    go_tx.send(()).unwrap();
    second.await.unwrap();
    assert_eq!(seqs(&s, 0).await, [1, 2]);
    assert_eq!(seqs(&s, 1).await, [2]);
    assert_eq!(s.log_head().await.unwrap().seq, 2);
}

/// Control: the same two writers, with a seq taken from a PostgreSQL
/// sequence instead of the counter row, let the later seq commit first, and
/// a follower that passed it never sees the earlier one. This is the gap
/// the commit-order tests catch.
#[tokio::test]
async fn postgres_nextval_control_skips_a_change() {
    let pg = TempPgDatabase::create().await.unwrap();
    let db = Db::connect(&pg.url).await.unwrap();
    db.execute_batch(
        "CREATE SEQUENCE control_seq; CREATE TABLE control_log (seq BIGINT PRIMARY KEY)",
    )
    .await
    .unwrap();
    let take = Sql::new("SELECT nextval('control_seq') AS seq");
    let follow = |after: i64| {
        let db = db.clone();
        async move {
            db.fetch_all(
                &Sql::new("SELECT seq FROM control_log WHERE seq > ? ORDER BY seq").arg(after),
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.i64("seq").unwrap())
            .collect::<Vec<_>>()
        }
    };
    let mut tx1 = db.begin().await.unwrap();
    let first = tx1.query(&take).await.unwrap()[0].i64("seq").unwrap();
    // Unlike the counter row, the sequence does not make tx2 wait.
    let mut tx2 = db.begin().await.unwrap();
    let second = tx2.query(&take).await.unwrap()[0].i64("seq").unwrap();
    assert_eq!((first, second), (1, 2));
    let record = |seq: i64| Sql::new("INSERT INTO control_log (seq) VALUES (?)").arg(seq);
    tx2.query(&record(second)).await.unwrap();
    tx2.commit().await.unwrap();
    let seen = follow(0).await;
    assert_eq!(seen, [2]);
    let cursor = *seen.last().unwrap();
    tx1.query(&record(first)).await.unwrap();
    tx1.commit().await.unwrap();
    assert!(
        follow(cursor).await.is_empty(),
        "the follower is past seq 1"
    );
    assert_eq!(follow(0).await, [1, 2], "though seq 1 committed");
    drop(db);
    pg.drop_db().await.unwrap();
}

/// 8 writers × 100 transactions through the production counter, with
/// sleeps widening the window between taking a seq and committing, 10 %
/// rolled back after taking one; a follower reading pages of 50 from its
/// cursor must see exactly `1..=committed`, once each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_change_log_stress_has_no_gap() {
    const WRITERS: usize = 8;
    const TRANSACTIONS: usize = 100;
    let pg = TempPgDatabase::create().await.unwrap();
    let s = inlet_store::open(&pg.url).await.unwrap();
    let a = s.create_org("a").await.unwrap();
    let c = s.create_collection(a.id, col("c")).await.unwrap();
    let x = s
        .create_connection(conn(a.id, c.id, "x", "csv"))
        .await
        .unwrap();
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));

    let follower = {
        let s = s.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let mut cursor = 0;
            let mut seen = Vec::new();
            loop {
                // Read `done` before the page: once every writer finished,
                // one more empty page means nothing is left.
                let finished = done.load(std::sync::atomic::Ordering::SeqCst) == WRITERS;
                let page = s.changes_after(cursor, 50).await.unwrap();
                for change in &page {
                    assert!(change.seq > cursor, "re-read below the cursor");
                    cursor = change.seq;
                    seen.push(change.seq);
                }
                if page.is_empty() {
                    if finished {
                        return seen;
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        })
    };

    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let s = s.clone();
        let done = done.clone();
        writers.push(tokio::spawn(async move {
            let mut committed = Vec::new();
            for t in 0..TRANSACTIONS {
                let (before, after, roll_back) = {
                    let mut rng = rand::rng();
                    (
                        rng.random_range(0..=5),
                        rng.random_range(0..=5),
                        rng.random_range(0..10) == 0,
                    )
                };
                let db = s.db();
                let mut tx = db.begin().await.unwrap();
                let id = tx
                    .query(
                        &Sql::new(
                            "INSERT INTO documents (org_id, connection_id, stream, key, title, \
                             data, text, content_hash, synced_at) \
                             VALUES (?, ?, 's', ?, 't', '{}', 'x', 'h', 0) RETURNING id",
                        )
                        .arg(a.id.0)
                        .arg(x.id.0)
                        .arg(format!("{w}-{t}")),
                    )
                    .await
                    .unwrap()[0]
                    .i64("id")
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(before)).await;
                let op = ChangeOp::Batch {
                    connection: x.id,
                    inserted: vec![DocumentId(id)],
                    updated: vec![],
                    deleted: vec![],
                };
                let seq = log_change(&mut tx, a.id, &op).await.unwrap();
                tokio::time::sleep(Duration::from_millis(after)).await;
                if roll_back {
                    drop(tx);
                } else {
                    tx.commit().await.unwrap();
                    committed.push(seq);
                }
            }
            done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            committed
        }));
    }
    let mut committed = BTreeSet::new();
    for w in writers {
        for seq in w.await.unwrap() {
            assert!(committed.insert(seq), "seq {seq} handed out twice");
        }
    }
    let seen = follower.await.unwrap();
    let n = committed.len() as u64;
    assert!(n > 600, "most transactions commit ({n})");
    assert_eq!(seen, (1..=n).collect::<Vec<_>>(), "no gap, no repeat");
    assert_eq!(committed, seen.iter().copied().collect());
    assert_eq!(
        s.log_head().await.unwrap().seq,
        n,
        "rollbacks gave seqs back"
    );
    drop(s);
    pg.drop_db().await.unwrap();
}

/// A running sync job's lease on `connection`.
async fn running_job(s: &SqlStore, org: OrgId, connection: ConnectionId) -> Lease {
    let now = inlet_core::model::now();
    s.enqueue_job(
        NewJob {
            org_id: org,
            connection_id: connection,
            kind: JobKind::Sync,
            trigger: JobTrigger::Api,
            force_full: false,
            max_attempts: 1,
            claimed_by: None,
        },
        now,
    )
    .await
    .unwrap();
    let job = s
        .claim_job(
            "w",
            &[JobKind::Sync],
            now,
            now + chrono::Duration::minutes(5),
        )
        .await
        .unwrap()
        .unwrap();
    Lease {
        job: job.id,
        worker: "w".into(),
    }
}

fn write(key: &str, body: &str) -> DocumentWrite {
    DocumentWrite {
        key: key.into(),
        title: key.into(),
        data: "{}".into(),
        text: body.into(),
        content_hash: format!("h-{body}"),
    }
}

fn batch(
    lease: &Lease,
    org: OrgId,
    connection: ConnectionId,
    writes: Vec<DocumentWrite>,
    deletes: Vec<String>,
    end: bool,
) -> SyncBatch {
    SyncBatch {
        lease: lease.clone(),
        org_id: org,
        connection_id: connection,
        stream: "t".into(),
        mode: inlet_core::connector::ReadMode::Full,
        pass: Some(lease.job),
        read: writes.len() as u64,
        writes,
        deletes,
        position: None,
        skipped: 0,
        skipped_reasons: vec![],
        notes: vec![],
        bytes: 0,
        end: end.then(|| json!("cur")),
        synced_at: inlet_core::model::now(),
    }
}

/// The one change logged after `after`, which must be the last.
async fn only_change_after(s: &SqlStore, after: u64) -> (u64, ChangeOp) {
    let changes = s.changes_after(after, 10).await.unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    (changes[0].seq, changes[0].op.clone())
}

/// Each document-writing method logs exactly one change (an unchanged
/// batch none), with the ids it touched, and wakes the change signal.
pub async fn every_document_write_logs_one_change(s: Arc<SqlStore>) {
    let a = s.create_org("a").await.unwrap();
    let c = s.create_collection(a.id, col("c")).await.unwrap();
    let x = s
        .create_connection(conn(a.id, c.id, "x", "csv"))
        .await
        .unwrap();
    let signal = s.change_signal();
    let audited = s.audited(inlet_core::model::audit::AuditDraft {
        org_id: a.id,
        actor: Default::default(),
        origin: Default::default(),
        action: inlet_core::model::audit::AuditAction::DataCleared,
        object_id: Some(x.id.to_string()),
        summary: Default::default(),
    });
    assert!(
        Arc::ptr_eq(&signal, &audited.change_signal()),
        "audited views share the signal"
    );
    let woken = || async {
        tokio::time::timeout(Duration::from_secs(1), signal.notified())
            .await
            .is_ok()
    };

    let lease = running_job(&s, a.id, x.id).await;
    let writes = vec![write("a", "1"), write("b", "1"), write("c", "1")];
    let out = s
        .commit_batch(&batch(&lease, a.id, x.id, writes.clone(), vec![], false))
        .await
        .unwrap();
    assert_eq!(out.index_seq, Some(1));
    assert!(woken().await);
    let docs = s
        .list_documents(a.id, x.id, None, Default::default())
        .await
        .unwrap()
        .items;
    let id = |key: &str| docs.iter().find(|d| d.key == key).unwrap().id;
    let (seq, op) = only_change_after(&s, 0).await;
    assert_eq!(seq, 1);
    let ChangeOp::Batch {
        connection,
        mut inserted,
        updated,
        deleted,
    } = op
    else {
        panic!("a batch change expected, got {op:?}")
    };
    inserted.sort();
    assert_eq!(connection, x.id);
    assert_eq!(inserted, [id("a"), id("b"), id("c")]);
    assert!(updated.is_empty() && deleted.is_empty());
    assert_eq!(s.get_job(a.id, lease.job).await.unwrap().index_seq, Some(1));

    // Unchanged: nothing logged, the job keeps its seq.
    let out = s
        .commit_batch(&batch(&lease, a.id, x.id, writes, vec![], false))
        .await
        .unwrap();
    assert_eq!((out.unchanged, out.index_seq), (3, None));
    assert!(!woken().await);
    assert_eq!(s.log_head().await.unwrap().seq, 1);
    assert_eq!(s.get_job(a.id, lease.job).await.unwrap().index_seq, Some(1));

    // A second full pass: one update, one insert, one key delete, and one
    // document it never saw, deleted at its end: one change.
    let mut second_pass = batch(
        &lease,
        a.id,
        x.id,
        vec![write("a", "2"), write("d", "1")],
        vec!["b".into()],
        true,
    );
    second_pass.pass = Some(inlet_core::ids::JobId(lease.job.0 + 1000));
    let out = s.commit_batch(&second_pass).await.unwrap();
    assert_eq!(
        (out.inserted, out.updated, out.deleted, out.index_seq),
        (1, 1, 2, Some(2))
    );
    let (_, op) = only_change_after(&s, 1).await;
    let ChangeOp::Batch {
        inserted,
        updated,
        mut deleted,
        ..
    } = op
    else {
        panic!("a batch change expected, got {op:?}")
    };
    deleted.sort();
    assert_eq!(inserted.len(), 1);
    assert_eq!(updated, [id("a")]);
    assert_eq!(deleted, [id("b"), id("c")]);
    let job = s.get_job(a.id, lease.job).await.unwrap();
    assert_eq!(job.index_seq, Some(2));
    assert!(
        s.finish_job(&lease, JobStatus::Completed, None, inlet_core::model::now())
            .await
            .unwrap()
    );
    assert_eq!(
        s.list_jobs(a.id, x.id, Default::default())
            .await
            .unwrap()
            .items[0]
            .index_seq,
        Some(2),
        "lists read it too"
    );
    assert!(woken().await);

    // A clear is one change whatever the count, even of nothing; through
    // an audited view, it wakes the same signal.
    let cleared = audited.clear_documents(a.id, x.id).await.unwrap();
    assert_eq!((cleared.documents, cleared.index_seq), (2, 3));
    assert!(woken().await);
    assert_eq!(only_change_after(&s, 2).await, (3, clear(x.id.0)));
    let cleared = s.clear_documents(a.id, x.id).await.unwrap();
    assert_eq!((cleared.documents, cleared.index_seq), (0, 4));
    assert_eq!(only_change_after(&s, 3).await.0, 4);
    assert!(woken().await);

    // Deleting a connection, or a collection with its connections.
    s.delete_connection(a.id, x.id).await.unwrap();
    assert_eq!(only_change_after(&s, 4).await, (5, clear(x.id.0)));
    let d = s.create_collection(a.id, col("d")).await.unwrap();
    let y = s
        .create_connection(conn(a.id, d.id, "y", "csv"))
        .await
        .unwrap();
    let z = s
        .create_connection(conn(a.id, d.id, "z", "csv"))
        .await
        .unwrap();
    let lease = running_job(&s, a.id, y.id).await;
    s.commit_batch(&batch(
        &lease,
        a.id,
        y.id,
        vec![write("k", "1")],
        vec![],
        false,
    ))
    .await
    .unwrap();
    assert_eq!(s.log_head().await.unwrap().seq, 6);
    let e = s.create_collection(a.id, col("e")).await.unwrap();
    s.delete_collection(a.id, e.id, false).await.unwrap();
    assert_eq!(s.log_head().await.unwrap().seq, 6, "no documents went");
    s.delete_collection(a.id, d.id, true).await.unwrap();
    assert_eq!(
        only_change_after(&s, 6).await,
        (
            7,
            ChangeOp::Clear {
                connections: vec![y.id, z.id]
            }
        )
    );
    assert_eq!(s.count_all_documents().await.unwrap(), 0);
}

/// Pruning keeps what the slowest live node still needs, forgets nodes
/// silent for longer than the retention, and prunes nothing without a live
/// node; a rebuild registers at the head.
pub async fn pruning_follows_live_nodes(s: Arc<SqlStore>) {
    let a = s.create_org("a").await.unwrap();
    let c = s.create_collection(a.id, col("c")).await.unwrap();
    let x = s
        .create_connection(conn(a.id, c.id, "x", "csv"))
        .await
        .unwrap();
    for _ in 0..5 {
        s.clear_documents(a.id, x.id).await.unwrap();
    }
    let head = s.log_head().await.unwrap();
    assert_eq!((head.seq, head.pruned_through), (5, 0));
    assert_eq!(head.store_id.len(), 32, "{}", head.store_id);
    let retention = Duration::from_secs(3600);
    assert_eq!(s.prune_changes(retention).await.unwrap(), 0, "no node yet");
    assert_eq!(seqs(&s, 0).await, [1, 2, 3, 4, 5]);

    s.node_heartbeat("live", 3).await.unwrap();
    s.node_heartbeat("stale", 1).await.unwrap();
    let nodes = || async {
        s.db()
            .fetch_all(&Sql::new(
                "SELECT node, applied_seq FROM index_nodes ORDER BY node",
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| (r.text("node").unwrap(), r.i64("applied_seq").unwrap()))
            .collect::<Vec<_>>()
    };
    let silence = |node: &'static str| {
        let db = s.db().clone();
        async move {
            db.write(&Sql::new("UPDATE index_nodes SET heartbeat_at = 0 WHERE node = ?").arg(node))
                .await
                .unwrap();
        }
    };
    silence("stale").await;
    assert_eq!(s.prune_changes(retention).await.unwrap(), 3);
    assert_eq!(seqs(&s, 0).await, [4, 5]);
    assert_eq!(s.log_head().await.unwrap().pruned_through, 3);
    assert_eq!(
        nodes().await,
        [("live".to_owned(), 3)],
        "stale row forgotten"
    );

    // No live node: nothing is pruned.
    silence("live").await;
    assert_eq!(s.prune_changes(retention).await.unwrap(), 3);
    assert_eq!(seqs(&s, 0).await, [4, 5]);
    assert!(nodes().await.is_empty());

    // A rebuild registers at the head, and pruning follows it.
    let rebuilt = s.begin_rebuild("fresh").await.unwrap();
    assert_eq!((rebuilt.seq, rebuilt.pruned_through), (5, 3));
    assert_eq!(rebuilt.store_id, head.store_id);
    assert_eq!(nodes().await, [("fresh".to_owned(), 5)]);
    s.clear_documents(a.id, x.id).await.unwrap();
    assert_eq!(s.prune_changes(retention).await.unwrap(), 5);
    assert_eq!(seqs(&s, 0).await, [6]);
    // pruned_through never moves back.
    s.node_heartbeat("fresh", 2).await.unwrap();
    assert_eq!(s.prune_changes(retention).await.unwrap(), 5);
    assert_eq!(seqs(&s, 0).await, [6]);
}

/// The search scope marks connections switched off or failed as not
/// searched and holds only the organization's; documents by id and the
/// index's reads carry what they should, never another organization's.
pub async fn scope_and_documents_stay_in_their_org(s: Arc<SqlStore>) {
    let a = s.create_org("a").await.unwrap();
    let b = s.create_org("b").await.unwrap();
    let c1 = s.create_collection(a.id, col("c1")).await.unwrap();
    let c2 = s.create_collection(a.id, col("c2")).await.unwrap();
    let cb = s.create_collection(b.id, col("c1")).await.unwrap();
    let ok = s
        .create_connection(conn(a.id, c1.id, "ok", "csv"))
        .await
        .unwrap();
    let failed = s
        .create_connection(conn(a.id, c1.id, "failed", "csv"))
        .await
        .unwrap();
    let off = s
        .create_connection(conn(a.id, c2.id, "off", "csv"))
        .await
        .unwrap();
    let other = s
        .create_connection(conn(b.id, cb.id, "other", "csv"))
        .await
        .unwrap();
    let now = inlet_core::model::now();
    let mut ids = Vec::new();
    for (org, x, status, end) in [
        (a.id, ok.id, JobStatus::Completed, ConnectionStatus::Active),
        (a.id, failed.id, JobStatus::Failed, ConnectionStatus::Active),
        (
            a.id,
            off.id,
            JobStatus::Completed,
            ConnectionStatus::Inactive,
        ),
        (
            b.id,
            other.id,
            JobStatus::Completed,
            ConnectionStatus::Active,
        ),
    ] {
        let lease = running_job(&s, org, x).await;
        s.commit_batch(&batch(&lease, org, x, vec![write("k", "1")], vec![], false))
            .await
            .unwrap();
        s.finish_job(&lease, status, None, now).await.unwrap();
        s.set_status(org, x, end).await.unwrap();
        let doc = s
            .list_documents(org, x, None, Default::default())
            .await
            .unwrap()
            .items
            .remove(0);
        ids.push(doc.id);
    }
    let scoped = |collection, connection, searchable| ScopedConnection {
        collection_id: collection,
        connection_id: connection,
        searchable,
    };
    assert_eq!(
        s.search_scope(a.id, &[]).await.unwrap(),
        [
            scoped(c1.id, ok.id, true),
            scoped(c1.id, failed.id, false),
            scoped(c2.id, off.id, false),
        ]
    );
    assert_eq!(
        s.search_scope(a.id, &[c2.id, cb.id]).await.unwrap(),
        [scoped(c2.id, off.id, false)],
        "another organization's collection holds nothing for a"
    );
    assert_eq!(
        s.search_scope(b.id, &[c1.id]).await.unwrap(),
        [],
        "nor a's for b"
    );

    let mut found: Vec<DocumentId> = s
        .documents_by_ids(a.id, &ids)
        .await
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    found.sort();
    assert_eq!(found, ids[..3], "b's document left out");
    let mine = s.documents_by_ids(b.id, &ids).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!((mine[0].id, mine[0].org_id), (ids[3], b.id));
    assert!(
        s.documents_by_ids(a.id, &[DocumentId(999_999)])
            .await
            .unwrap()
            .is_empty()
    );

    // What the index reads: every organization's, with its collection.
    let indexed = s.indexed_documents(&ids).await.unwrap();
    assert_eq!(indexed.len(), 4);
    let of_other = indexed.iter().find(|d| d.id == ids[3]).unwrap();
    assert_eq!(
        (
            of_other.org_id,
            of_other.collection_id,
            of_other.connection_id
        ),
        (b.id, cb.id, other.id)
    );
    assert_eq!(
        (of_other.stream.as_str(), of_other.text.as_str()),
        ("t", "1")
    );
    let scanned = s.scan_indexed_documents(ids[0], 2).await.unwrap();
    assert_eq!(scanned.iter().map(|d| d.id).collect::<Vec<_>>(), ids[1..3]);
    assert_eq!(s.count_all_documents().await.unwrap(), 4);
}
