//! The audit trail in the store: events written inside the transaction of
//! the change they describe (see [`SqlStore::audit_in`]), listed with
//! filters, and pruned by retention.

use async_trait::async_trait;
use inlet_core::error::CoreResult;
use inlet_core::ids::{ApiKeyId, OrgId, UserId};
use inlet_core::list::{Page, PageRequest};
use inlet_core::model::Timestamp;
use inlet_core::model::audit::{Actor, AuditDraft, AuditEvent, AuditFilter, Origin};
use inlet_core::model::now;
use inlet_core::model::wire::WireEnum;
use inlet_core::store::AuditStore;

use crate::db::{DbError, Row, Sql, Tx};
use crate::rows::{ms, to_json, ts};
use crate::sql_store::SqlStore;

/// How many expired events one pruning transaction deletes.
const PRUNE_BATCH: u32 = 5000;

impl SqlStore {
    /// Writes this store's pending audit event (if it is an audited view)
    /// inside `tx`, the change's transaction. `created` is the id of an
    /// object the change just created.
    pub(crate) async fn audit_in(
        &self,
        tx: &mut Tx<'_>,
        created: Option<String>,
    ) -> Result<(), DbError> {
        match self.audit.as_deref() {
            Some(e) => write_event(tx, e, created).await,
            None => Ok(()),
        }
    }

    /// Runs one write statement, with the pending audit event (if any) in
    /// the same transaction; `created` reads a created object's id from the
    /// returned rows. A statement that touched no row records nothing.
    pub(crate) async fn write_audited(
        &self,
        q: &Sql,
        created: impl FnOnce(&[Row]) -> Option<String>,
    ) -> Result<Vec<Row>, DbError> {
        if self.audit.is_none() {
            return self.db.write(q).await;
        }
        let mut tx = self.db.begin().await?;
        let rows = tx.query(q).await?;
        if !rows.is_empty() {
            self.audit_in(&mut tx, created(&rows)).await?;
        }
        tx.commit().await?;
        Ok(rows)
    }

    /// Like [`SqlStore::write_audited`], and when the statement touched a
    /// row, runs `then` in the same transaction (a change that carries
    /// others with it, such as a revocation revoking what was made under it).
    pub(crate) async fn write_audited_then(
        &self,
        q: &Sql,
        then: &Sql,
    ) -> Result<Vec<Row>, DbError> {
        let mut tx = self.db.begin().await?;
        let rows = tx.query(q).await?;
        if !rows.is_empty() {
            tx.query(then).await?;
            self.audit_in(&mut tx, None).await?;
        }
        tx.commit().await?;
        Ok(rows)
    }
}

/// Writes `e` inside `tx`; `created` overrides its object id.
pub(crate) async fn write_event(
    tx: &mut Tx<'_>,
    e: &AuditDraft,
    created: Option<String>,
) -> Result<(), DbError> {
    let q = Sql::new(
        "INSERT INTO audit_events (org_id, at, actor_key_id, actor_key_name, actor_user_id, \
         action, object_type, object_id, summary, request_id, client_addr) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .arg(e.org_id.0)
    .arg(ms(now()))
    .arg(e.actor.key_id.map(|k| k.0))
    .arg(e.actor.key_name.as_str())
    .arg(e.actor.user_id.map(|u| u.0))
    .arg(e.action.as_str())
    .arg(e.action.object_type())
    .arg(created.or_else(|| e.object_id.clone()))
    .arg(to_json(&e.summary))
    .arg(e.origin.request_id.clone())
    .arg(e.origin.client_addr.clone());
    tx.execute(&q).await?;
    Ok(())
}

/// The id column of the first row, rendered by `render` (`sc_3`).
pub(crate) fn first_id<T: ToString>(rows: &[Row], render: impl Fn(i64) -> T) -> Option<String> {
    rows.first()
        .and_then(|r| r.i64("id").ok())
        .map(|id| render(id).to_string())
}

fn event(r: &Row) -> Result<AuditEvent, DbError> {
    let summary: serde_json::Value = serde_json::from_str(&r.text("summary")?)
        .map_err(|e| DbError::Decode(format!("audit summary: {e}")))?;
    Ok(AuditEvent {
        id: r.i64("id")?,
        at: ts(r.i64("at")?)?,
        org_id: OrgId(r.i64("org_id")?),
        actor: Actor {
            key_id: r.opt_i64("actor_key_id")?.map(ApiKeyId),
            key_name: r.text("actor_key_name")?,
            user_id: r.opt_i64("actor_user_id")?.map(UserId),
        },
        origin: Origin {
            request_id: r.opt_text("request_id")?,
            client_addr: r.opt_text("client_addr")?,
        },
        action: r.text("action")?,
        object_type: r.text("object_type")?,
        object_id: r.opt_text("object_id")?,
        summary: match summary {
            serde_json::Value::Object(m) => m,
            _ => serde_json::Map::new(),
        },
    })
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn list_audit_events(
        &self,
        org: OrgId,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> CoreResult<Page<AuditEvent>> {
        let mut cond = Sql::new(" WHERE org_id = ?").arg(org.0);
        if !filter.actions.is_empty() {
            cond.push(" AND action IN ")
                .bind_list(filter.actions.iter().map(|a| a.as_str()));
        }
        if let Some(t) = &filter.object_type {
            cond.push(" AND object_type = ").bind(t.as_str());
        }
        if let Some(id) = &filter.object_id {
            cond.push(" AND object_id = ").bind(id.as_str());
        }
        if let Some(k) = filter.actor_key_id {
            cond.push(" AND actor_key_id = ").bind(k.0);
        }
        if let Some(u) = filter.actor_user_id {
            cond.push(" AND actor_user_id = ").bind(u.0);
        }
        if let Some(t) = filter.since {
            cond.push(" AND at >= ").bind(ms(t));
        }
        if let Some(t) = filter.until {
            cond.push(" AND at < ").bind(ms(t));
        }
        let mut q = Sql::new("SELECT * FROM audit_events");
        q.append(&cond).push(" ORDER BY id DESC");
        // The whole trail's total is kept per organization (migration 15);
        // a filtered one is counted.
        let count = if *filter == AuditFilter::default() {
            Sql::new("SELECT COALESCE(MAX(n), 0) AS n FROM audit_counts WHERE org_id = ?")
                .arg(org.0)
        } else {
            let mut count = Sql::new("SELECT count(*) AS n FROM audit_events");
            count.append(&cond);
            count
        };
        self.paged(q, count, page, event).await
    }

    async fn record_audit_event(&self, event: &AuditDraft) -> CoreResult<()> {
        let mut tx = self.db.begin().await?;
        write_event(&mut tx, event, None).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn prune_audit_events(&self, before: Timestamp) -> CoreResult<u64> {
        // In batches, each its own short transaction: a year of events going
        // at once must not hold the (SQLite: only) writer for long.
        let q = Sql::new(
            "DELETE FROM audit_events WHERE id IN \
             (SELECT id FROM audit_events WHERE at < ? ORDER BY at LIMIT ?)",
        )
        .arg(ms(before))
        .arg(i64::from(PRUNE_BATCH));
        let mut pruned = 0;
        loop {
            let mut tx = self.db.begin().await?;
            let n = tx.execute(&q).await?;
            tx.commit().await?;
            pruned += n;
            if n < u64::from(PRUNE_BATCH) {
                return Ok(pruned);
            }
        }
    }
}
