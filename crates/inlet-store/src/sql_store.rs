//! [`SqlStore`], the store over either engine ([`Db`]): the type, the
//! [`Store`] trait's own methods, and what every aggregate's file shares
//! (paging, the organization's list generation, the alive condition).
//! Each aggregate's queries are in a file of their own (`orgs.rs`,
//! `users.rs`, `keys.rs`, `collections.rs`, `connections.rs`,
//! `schemas.rs`, `secrets.rs`, `jobs.rs`, `documents.rs`, `batch/`, …),
//! written once for both engines. Each tenant query filters by `org_id`;
//! constraint violations become domain conflicts in the file that knows
//! which constraint means what.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use async_trait::async_trait;
use inlet_core::error::{CoreError, CoreResult};
use inlet_core::ids::OrgId;
use inlet_core::list::{Page, PageRequest};
use inlet_core::model::audit::AuditDraft;
use inlet_core::model::connection::ConnectionStatus;
use inlet_core::model::wire::WireEnum;
use inlet_core::store::Store;

use crate::db::{Db, DbError, Row, Sql};
use crate::list_cache::ListCache;

impl From<DbError> for CoreError {
    fn from(e: DbError) -> Self {
        CoreError::Store(e.to_string())
    }
}

/// The store over either engine.
#[derive(Clone)]
pub struct SqlStore {
    pub(crate) db: Db,
    /// Connection-list pages (see [`ListCache`]).
    pub(crate) cache: Arc<ListCache>,
    /// Documents this process inserted since it last analysed them
    /// (PostgreSQL; see `analyze_if_grown`).
    pub(crate) inserted_since_analyze: Arc<AtomicU64>,
    /// Documents this process had inserted at its last analysis.
    pub(crate) analyzed_documents: Arc<AtomicU64>,
    /// In an audited view ([`Store::audited`]): the event the next change
    /// writes in its transaction.
    pub(crate) audit: Option<Arc<AuditDraft>>,
    /// Notified after each transaction that logged a change commits (see
    /// [`ChangeLog::change_signal`](inlet_core::store::ChangeLog::change_signal));
    /// shared by the audited views, which write through the same store.
    pub(crate) changed: Arc<tokio::sync::Notify>,
}

/// Appends the condition on connections `c` that [`Connection::alive`]
/// states, in parentheses, binding the status from the domain: active, and
/// the last finished sync completed.
///
/// [`Connection::alive`]: inlet_core::model::connection::Connection::alive
pub(crate) fn push_alive(q: &mut Sql) {
    q.push("(c.status = ")
        .bind(ConnectionStatus::Active.as_str())
        .push(" AND c.sync_ok = 1)");
}

impl SqlStore {
    /// Wraps a connected, migrated database.
    pub fn new(db: Db) -> Self {
        Self {
            db,
            cache: Arc::new(ListCache::new(1024)),
            inserted_since_analyze: Arc::new(AtomicU64::new(0)),
            analyzed_documents: Arc::new(AtomicU64::new(0)),
            audit: None,
            changed: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// The engine facade (for checks and tools; the store's own queries go
    /// through the `Store` traits).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Runs a write and, when it touched a row, bumps `org`'s list
    /// generation in the same transaction.
    /// The pending audit event (if any) goes in the same transaction.
    pub(crate) async fn write_bumping(&self, org: OrgId, q: &Sql) -> Result<Vec<Row>, DbError> {
        let mut tx = self.db.begin().await?;
        let rows = tx.query(q).await?;
        if !rows.is_empty() {
            tx.query(&bump(org)).await?;
            self.audit_in(&mut tx, None).await?;
        }
        tx.commit().await?;
        Ok(rows)
    }

    /// Runs a list query one page at a time (`LIMIT`/`OFFSET` appended) and
    /// its `count` query only when the page does not prove the total.
    pub(crate) async fn paged<T>(
        &self,
        mut q: Sql,
        count: Sql,
        page: PageRequest,
        map: impl Fn(&Row) -> Result<T, DbError>,
    ) -> CoreResult<Page<T>> {
        limit_offset(&mut q, page);
        let rows = self.db.fetch_all(&q).await?;
        let total = match total_from_page(page, rows.len()) {
            Some(t) => t,
            None => self.count(&count).await?,
        };
        page_of(rows, page, total, map)
    }

    /// `org`'s list generation (0 before its first write).
    pub(crate) async fn generation(&self, org: OrgId) -> CoreResult<i64> {
        let q = Sql::new("SELECT generation FROM list_generations WHERE org_id = ?").arg(org.0);
        Ok(match self.db.fetch_lookup(&q).await?.into_iter().next() {
            Some(row) => row.i64("generation")?,
            None => 0,
        })
    }

    pub(crate) async fn count(&self, q: &Sql) -> CoreResult<u64> {
        let row = self
            .db
            .fetch_optional(q)
            .await?
            .ok_or_else(|| CoreError::Store("count returned no row".into()))?;
        Ok(u64::try_from(row.i64("n")?).unwrap_or(0))
    }
}

/// Invalidates `org`'s cached list pages; run inside each write's transaction.
pub(crate) fn bump(org: OrgId) -> Sql {
    Sql::new(
        "INSERT INTO list_generations (org_id, generation) VALUES (?, 1) \
         ON CONFLICT (org_id) DO UPDATE SET generation = list_generations.generation + 1 \
         RETURNING generation",
    )
    .arg(org.0)
}

pub(crate) fn one<T>(
    rows: Vec<Row>,
    what: &'static str,
    map: impl Fn(&Row) -> Result<T, DbError>,
) -> CoreResult<T> {
    let row = rows.into_iter().next().ok_or(CoreError::NotFound(what))?;
    Ok(map(&row)?)
}

pub(crate) fn page_of<T>(
    rows: Vec<Row>,
    request: PageRequest,
    total: u64,
    map: impl Fn(&Row) -> Result<T, DbError>,
) -> CoreResult<Page<T>> {
    let items = rows.iter().map(map).collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        items,
        request,
        total,
    })
}

pub(crate) fn limit_offset(q: &mut Sql, page: PageRequest) {
    q.push(" LIMIT ")
        .bind(page.page_size)
        .push(" OFFSET ")
        .bind(i64::try_from(page.offset()).unwrap_or(i64::MAX));
}

/// The total when the page itself proves it, saving a count query: a short,
/// non-empty page (or an empty first page) is the last one.
pub(crate) fn total_from_page(page: PageRequest, len: usize) -> Option<u64> {
    let len = len as u64;
    (len < u64::from(page.page_size) && (len > 0 || page.page == 1)).then(|| page.offset() + len)
}

#[async_trait]
impl Store for SqlStore {
    fn audited(&self, event: AuditDraft) -> Arc<dyn Store> {
        Arc::new(Self {
            audit: Some(Arc::new(event)),
            ..self.clone()
        })
    }

    async fn ping(&self) -> CoreResult<()> {
        self.db.fetch_all(&Sql::new("SELECT 1 AS one")).await?;
        Ok(())
    }
}
