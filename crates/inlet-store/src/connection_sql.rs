//! The SQL of connections: the conditions, search and order of a
//! connection list, its queries, tags, and the statements of an edit
//! (patch, credentials, configuration, test result).

use inlet_core::error::CoreResult;
use inlet_core::ids::{ConnectionId, OrgId};
use inlet_core::list::{ConnectionFilter, ConnectionSort, Page, PageRequest, SortOrder};
use inlet_core::model::connection::{
    ConfigUpdate, Connection, ConnectionPatch, ConnectionStatus, CredentialsUpdate,
    wants_schema_auto_refresh,
};
use inlet_core::model::wire::WireEnum;
use inlet_core::model::{Timestamp, now};

use crate::db::{Backend, Sql, Tx};
use crate::rows::{self, ms, to_json};
use crate::sql_store::{SqlStore, limit_offset, page_of, push_alive, total_from_page};

impl SqlStore {
    /// Appends the WHERE conditions of a connection list (after `c.org_id = ?`).
    pub(crate) fn connection_conditions(&self, q: &mut Sql, org: OrgId, f: &ConnectionFilter) {
        q.push(" WHERE c.org_id = ").bind(org.0);
        if let Some(c) = f.collection_id {
            q.push(" AND c.collection_id = ").bind(c.0);
        }
        if !f.within_collections.is_empty() {
            q.push(" AND c.collection_id IN ")
                .bind_list(f.within_collections.iter().map(|c| c.0));
        }
        if let Some(t) = &f.source_type {
            q.push(" AND c.source_type = ").bind(t.as_str());
        }
        if let Some(n) = &f.name {
            // sort_name (indexed with the org) narrows; name decides.
            q.push(" AND c.sort_name = ")
                .bind(n.to_lowercase())
                .push(" AND c.name = ")
                .bind(n.as_str());
        }
        if !f.statuses.is_empty() {
            q.push(" AND c.status IN ")
                .bind_list(f.statuses.iter().map(|s| s.as_str()));
        }
        match f.alive {
            Some(true) => {
                q.push(" AND ");
                push_alive(q);
            }
            Some(false) => {
                q.push(" AND NOT ");
                push_alive(q);
            }
            None => {}
        }
        if let Some(tag) = &f.tag {
            q.push(" AND c.id IN (SELECT t.connection_id FROM connection_tags t WHERE t.org_id = ")
                .bind(org.0)
                .push(" AND t.tag = ")
                .bind(tag.as_str())
                .push(")");
        }
        if let Some(term) = &f.contains {
            self.search_condition(q, term);
        }
    }

    /// Case-insensitive substring match on name and description, served by
    /// the trigram index of each engine.
    pub(crate) fn search_condition(&self, q: &mut Sql, term: &str) {
        let like = format!("%{}%", escape_like(&term.to_lowercase()));
        match self.db.backend() {
            // FTS5's trigram tokenizer needs three characters; shorter terms scan.
            Backend::Sqlite if term.chars().count() >= 3 => {
                let phrase = format!("\"{}\"", term.replace('"', "\"\""));
                q.push(
                    " AND c.id IN (SELECT rowid FROM connections_fts WHERE connections_fts MATCH ",
                )
                .bind(phrase)
                .push(")");
            }
            Backend::Sqlite | Backend::Postgres => {
                q.push(" AND lower(c.name || ' ' || c.description) LIKE ")
                    .bind(like)
                    .push(" ESCAPE '\\'");
            }
        }
    }

    /// The columns a connection list sorts by, and its ORDER BY over them.
    pub(crate) fn connection_order(filter: &ConnectionFilter) -> (&'static str, String) {
        let dir = match filter.order {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        };
        match filter.sort {
            // (The id is carried anyway; the column list must not be empty.)
            ConnectionSort::Id => ("c.created_at", format!("c.id {dir}")),
            ConnectionSort::Name => ("c.sort_name", format!("c.sort_name {dir}, c.id {dir}")),
            ConnectionSort::Type => (
                "c.source_type, c.sort_name",
                format!("c.source_type {dir}, c.sort_name {dir}, c.id {dir}"),
            ),
            ConnectionSort::Status => (
                "c.status, c.sort_name",
                format!("c.status {dir}, c.sort_name {dir}, c.id {dir}"),
            ),
            ConnectionSort::CreatedAt => {
                ("c.created_at", format!("c.created_at {dir}, c.id {dir}"))
            }
            ConnectionSort::UpdatedAt => {
                ("c.updated_at", format!("c.updated_at {dir}, c.id {dir}"))
            }
        }
    }

    /// Runs a connection list against the database.
    pub(crate) async fn query_connections(
        &self,
        org: OrgId,
        filter: &ConnectionFilter,
        page: PageRequest,
    ) -> CoreResult<Page<Connection>> {
        let (columns, order) = Self::connection_order(filter);
        if filter.contains.is_some() && self.db.backend() == Backend::Postgres {
            return self
                .search_connections(org, filter, page, columns, &order)
                .await;
        }
        let mut q = Sql::new("SELECT c.* FROM connections c");
        self.connection_conditions(&mut q, org, filter);
        q.push(" ORDER BY ").push(&order);
        let mut count = Sql::new("SELECT count(*) AS n FROM connections c");
        self.connection_conditions(&mut count, org, filter);
        self.paged(q, count, page, rows::connection).await
    }

    /// A searched connection list on PostgreSQL, page and total in one
    /// statement (`columns` are those `order` sorts by). The matches are collected once through the trigram index
    /// (`MATERIALIZED`), counted, and sorted by their small sort columns;
    /// only the page's rows are read in full.
    ///
    /// Left to itself the planner misjudges rare terms: `pg_trgm` estimates
    /// a pattern that happens to match one of the hundred histogram entries
    /// at 1 % of the table, and the plan then walks the name index in sort
    /// order filtering every row until it has a page — 90,000 rows and
    /// 120–250 ms for a term with 20 matches. Collecting the matches first
    /// costs what the count costs anyway.
    pub(crate) async fn search_connections(
        &self,
        org: OrgId,
        filter: &ConnectionFilter,
        page: PageRequest,
        columns: &str,
        order: &str,
    ) -> CoreResult<Page<Connection>> {
        let mut q = Sql::new("WITH m AS MATERIALIZED (SELECT c.id, ");
        q.push(columns).push(" FROM connections c");
        self.connection_conditions(&mut q, org, filter);
        q.push(
            ") SELECT c.*, (SELECT count(*) FROM m) AS total_count FROM connections c \
             WHERE c.org_id = ",
        )
        .bind(org.0)
        .push(" AND c.id IN (SELECT c.id FROM m c ORDER BY ")
        .push(order);
        limit_offset(&mut q, page);
        q.push(") ORDER BY ").push(order);
        let rows = self.db.fetch_all(&q).await?;
        let total = match rows.first() {
            Some(row) => u64::try_from(row.i64("total_count")?).unwrap_or(0),
            // Past the last page: the statement returned no row to carry the total.
            None => match total_from_page(page, 0) {
                Some(t) => t,
                None => {
                    let mut count = Sql::new("SELECT count(*) AS n FROM connections c");
                    self.connection_conditions(&mut count, org, filter);
                    self.count(&count).await?
                }
            },
        };
        page_of(rows, page, total, rows::connection)
    }

    pub(crate) async fn insert_tags(
        tx: &mut Tx<'_>,
        org: OrgId,
        id: i64,
        tags: &[String],
    ) -> CoreResult<()> {
        for tag in tags {
            tx.query(
                &Sql::new(
                    "INSERT INTO connection_tags (connection_id, org_id, tag) VALUES (?, ?, ?)",
                )
                .arg(id)
                .arg(org.0)
                .arg(tag.as_str()),
            )
            .await?;
        }
        Ok(())
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub(crate) fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Sets a connection's descriptive fields and status (its tags table is
/// rewritten separately).
pub(crate) fn patch_sql(org: OrgId, id: ConnectionId, patch: &ConnectionPatch) -> Sql {
    let mut q = Sql::new("UPDATE connections SET updated_at = ");
    q.bind(ms(now()));
    if let Some(name) = &patch.name {
        q.push(", name = ").bind(name.as_str());
        q.push(", sort_name = ").bind(name.to_lowercase());
    }
    if let Some(d) = &patch.description {
        q.push(", description = ").bind(d.as_str());
    }
    if let Some(tags) = &patch.tags {
        q.push(", tags = ").bind(to_json(tags));
    }
    if let Some(s) = patch.status {
        q.push(", status = ").bind(s.as_str());
    }
    q.push(" WHERE org_id = ").bind(org.0);
    q.push(" AND id = ").bind(id.0).push(" RETURNING *");
    q
}

/// Replaces credentials. New credentials are untested: the connection goes
/// back to pending unless a user switched it off.
pub(crate) fn credentials_sql(org: OrgId, id: ConnectionId, update: CredentialsUpdate) -> Sql {
    let (secrets, key_id) = match update.secrets {
        Some(s) => (Some(s.data), Some(s.key_id)),
        None => (None, None),
    };
    let mut q = Sql::new(
        "UPDATE connections SET settings = ?, secret_fields = ?, secrets = ?, secrets_key_id = ?, ",
    )
    .arg(to_json(&update.settings))
    .arg(to_json(&update.secret_fields))
    .arg(secrets)
    .arg(key_id);
    status_unless_switched_off(&mut q, ConnectionStatus::Pending);
    q.push(", updated_at = ")
        .bind(ms(now()))
        .push(" WHERE org_id = ")
        .bind(org.0)
        .push(" AND id = ")
        .bind(id.0)
        .push(" RETURNING *");
    q
}

/// Appends `status = <new>` unless the connection is switched off, in which
/// case its status stays; the switched-off statuses are bound from the
/// domain's list.
fn status_unless_switched_off(q: &mut Sql, new: ConnectionStatus) {
    q.push("status = CASE WHEN status IN ")
        .bind_list(ConnectionStatus::SWITCHED_OFF.iter().map(|s| s.as_str()))
        .push(" THEN status ELSE ")
        .bind(new.as_str())
        .push(" END");
}

/// Replaces the configuration and the schedule's next run.
pub(crate) fn config_sql(org: OrgId, id: ConnectionId, update: ConfigUpdate) -> Sql {
    Sql::new(
        "UPDATE connections SET config = ?, schema_auto_refresh = ?, next_sync_at = ?, updated_at = ? \
         WHERE org_id = ? AND id = ? RETURNING *",
    )
    .arg(to_json(&update.config))
    .arg(wants_schema_auto_refresh(&update.config))
    .arg(update.next_sync_at.map(ms))
    .arg(ms(now()))
    .arg(org.0)
    .arg(id.0)
}

/// Records a finished test: `active` (or `failed` with `error`), unless a
/// user switched the connection off meanwhile.
pub(crate) fn test_sql(org: OrgId, id: ConnectionId, at: Timestamp, error: Option<&str>) -> Sql {
    let status = match error {
        None => ConnectionStatus::Active,
        Some(_) => ConnectionStatus::Failed,
    };
    let mut q = Sql::new("UPDATE connections SET ");
    status_unless_switched_off(&mut q, status);
    q.push(", last_tested_at = ")
        .bind(ms(at))
        .push(", last_successful_connection_at = CASE WHEN ")
        .bind(error.is_none())
        .push(" = 1 THEN ")
        .bind(ms(at))
        .push(" ELSE last_successful_connection_at END, last_error = ")
        .bind(error)
        .push(", updated_at = ")
        .bind(ms(at))
        .push(" WHERE org_id = ")
        .bind(org.0)
        .push(" AND id = ")
        .bind(id.0)
        .push(" RETURNING *");
    q
}
