//! Inlet's stores: the embedded SQLite store (default) and the PostgreSQL
//! store, both behind [`inlet_core::store::Store`] and one query code path
//! ([`sql_store::SqlStore`]), one file per aggregate. Where the engines
//! differ, the SQL branches on [`Backend`]: in [`db`] (placeholders,
//! transactions), the migrations and their advisory lock, the job claim
//! (`FOR UPDATE SKIP LOCKED`, `jobs.rs`), the connection list's name search
//! (FTS5 or `pg_trgm`, `connection_sql.rs`), a sync batch's statements
//! (array parameters on PostgreSQL, multi-row statements on SQLite,
//! `batch/statements.rs`) and the change log (`changes.rs`). Rules the
//! domain knows (which statuses are switched off, what "alive" means, which
//! configuration key asks for schema refreshes) are bound from its
//! constants, never spelled in SQL. Every write to documents is logged in
//! the change log that each node's search index follows.
mod audit;
mod batch;
mod changes;
mod collections;
mod connection_sql;
mod connections;
mod console;
pub mod db;
mod deletes;
mod documents;
mod job_rows;
mod jobs;
mod keys;
mod list_cache;
mod master_key;
mod migrate;
mod orgs;
mod rows;
mod schedules;
mod schemas;
mod secrets;
mod sql_store;
pub mod testing;
mod users;

use std::sync::Arc;

pub use db::{Backend, Db, DbError, DbOptions};
pub use sql_store::SqlStore;

/// Opens the store at `url` (`sqlite:PATH` or `postgres://…`) with the
/// default options, applies pending migrations, and returns it.
pub async fn open(url: &str) -> Result<Arc<SqlStore>, DbError> {
    open_with(url, DbOptions::default()).await
}

/// Opens the store at `url` with `options` (the PostgreSQL pool's size),
/// applies pending migrations, and returns it.
pub async fn open_with(url: &str, options: DbOptions) -> Result<Arc<SqlStore>, DbError> {
    let db = Db::connect_with(url, options).await?;
    migrate::run(&db).await?;
    Ok(Arc::new(SqlStore::new(db)))
}

/// Opens the store with `options` and applies migrations without serving
/// anything (`inlet migrate`). Returns how many migrations were applied.
pub async fn migrate_only(url: &str, options: DbOptions) -> Result<usize, DbError> {
    let db = Db::connect_with(url, options).await?;
    migrate::run(&db).await
}
