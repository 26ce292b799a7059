//! A thin async facade over the two engines: SQL text with `?` placeholders
//! and a small value type go in, owned rows come out. It exists so the store's
//! queries are written once; it does not try to be an ORM.
//!
//! Here: the engines' [`Db`] pool and [`Tx`] transaction, and the store's
//! [`DbError`]. Statements are built in `sql.rs`, values and rows are in
//! `value.rs`, each engine's driver code has its file (`sqlite.rs`,
//! `postgres.rs`), and the PostgreSQL pool's figures in `/metrics` are
//! reported by `pool_metrics.rs`.

mod pool_metrics;
mod postgres;
mod sql;
mod sqlite;
mod value;

use std::sync::Arc;

use thiserror::Error;

pub use self::postgres::PgDb;
pub use self::sql::Sql;
pub use self::sqlite::SqliteDb;
pub use self::value::{Row, Val};

/// Which engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The store layer's error.
#[derive(Debug, Error)]
pub enum DbError {
    /// A unique constraint failed; carries the constraint or column list.
    #[error("unique constraint violated: {0}")]
    Unique(String),
    /// A foreign key constraint failed.
    #[error("foreign key constraint violated: {0}")]
    ForeignKey(String),
    /// The URL or configuration is unusable.
    #[error("{0}")]
    Config(String),
    /// Anything else from the engine.
    #[error("{0}")]
    Engine(String),
    /// A row did not have the expected shape.
    #[error("row decoding: {0}")]
    Decode(String),
}

/// How the store connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbOptions {
    /// The most connections the PostgreSQL pool opens (per node); SQLite
    /// ignores it (one writer and eight readers, in the process).
    pub pool_size: u32,
}

impl DbOptions {
    /// The default of [`DbOptions::pool_size`] (`database_pool_size`).
    pub const DEFAULT_POOL_SIZE: u32 = 16;
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            pool_size: Self::DEFAULT_POOL_SIZE,
        }
    }
}

/// A connection pool to one of the engines.
#[derive(Clone)]
pub enum Db {
    /// Embedded SQLite.
    Sqlite(Arc<SqliteDb>),
    /// PostgreSQL.
    Postgres(PgDb),
}

impl Db {
    /// Connects to `sqlite:PATH` or `postgres://…` with the default options.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        Self::connect_with(url, DbOptions::default()).await
    }

    /// Connects to `sqlite:PATH` or `postgres://…`.
    pub async fn connect_with(url: &str, options: DbOptions) -> Result<Self, DbError> {
        if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            Ok(Db::Sqlite(Arc::new(SqliteDb::open(path)?)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Db::Postgres(PgDb::connect(url, options.pool_size).await?))
        } else {
            Err(DbError::Config(
                "database URL must start with sqlite: or postgres://".into(),
            ))
        }
    }

    /// The engine.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs a read-only query. On PostgreSQL it is planned for its
    /// parameters on every run (see [`PgDb`]).
    pub async fn fetch_all(&self, q: &Sql) -> Result<Vec<Row>, DbError> {
        match self {
            Db::Sqlite(db) => db.read(|c| sqlite::query(c, &q.text, &q.params)),
            Db::Postgres(db) => {
                db.fetch_all(&q.text_for(Backend::Postgres), &q.params)
                    .await
            }
        }
    }

    /// Runs a read-only lookup by a unique key, whose best plan does not
    /// depend on its parameters. On PostgreSQL it runs as a statement cached
    /// on the connection, whose generic plan PostgreSQL may keep (see
    /// [`PgDb`]); elsewhere it is [`Db::fetch_all`].
    pub async fn fetch_lookup(&self, q: &Sql) -> Result<Vec<Row>, DbError> {
        match self {
            Db::Sqlite(_) => self.fetch_all(q).await,
            Db::Postgres(db) => {
                db.fetch_lookup(&q.text_for(Backend::Postgres), &q.params)
                    .await
            }
        }
    }

    /// Runs a read-only query expecting at most one row.
    pub async fn fetch_optional(&self, q: &Sql) -> Result<Option<Row>, DbError> {
        Ok(self.fetch_all(q).await?.into_iter().next())
    }

    /// Runs a writing statement (with `RETURNING`, its rows come back).
    pub async fn write(&self, q: &Sql) -> Result<Vec<Row>, DbError> {
        let mut tx = self.begin().await?;
        let rows = tx.query(q).await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Runs a batch of statements without parameters (migrations).
    pub async fn execute_batch(&self, sql: &str) -> Result<(), DbError> {
        match self {
            Db::Sqlite(db) => {
                let c = db.writer().await;
                c.execute_batch(sql).map_err(sqlite::map_err)
            }
            Db::Postgres(db) => db.execute_batch(sql).await,
        }
    }

    /// Starts a transaction. On SQLite it holds the single writer connection
    /// (`BEGIN IMMEDIATE`), so writers queue in Inlet instead of spinning on
    /// `SQLITE_BUSY`.
    pub async fn begin(&self) -> Result<Tx<'_>, DbError> {
        match self {
            Db::Sqlite(db) => {
                let guard = db.writer().await;
                guard
                    .execute_batch("BEGIN IMMEDIATE")
                    .map_err(sqlite::map_err)?;
                Ok(Tx::Sqlite {
                    conn: guard,
                    open: true,
                })
            }
            Db::Postgres(db) => Ok(Tx::Postgres(Some(db.begin().await?))),
        }
    }
}

/// A transaction on either engine; dropped without [`Tx::commit`] it rolls back.
pub enum Tx<'a> {
    /// SQLite: the writer connection, inside `BEGIN IMMEDIATE`.
    Sqlite {
        /// The writer.
        conn: tokio::sync::MutexGuard<'a, rusqlite::Connection>,
        /// Whether a rollback is still owed.
        open: bool,
    },
    /// PostgreSQL (taken on commit; sqlx rolls back on drop).
    Postgres(Option<sqlx::Transaction<'static, sqlx::Postgres>>),
}

impl Tx<'_> {
    /// The engine.
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite { .. } => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs a statement inside the transaction.
    pub async fn query(&mut self, q: &Sql) -> Result<Vec<Row>, DbError> {
        match self {
            Tx::Sqlite { conn, .. } => sqlite::query(conn, &q.text, &q.params),
            Tx::Postgres(tx) => {
                let tx = tx
                    .as_mut()
                    .ok_or_else(|| DbError::Engine("transaction already finished".into()))?;
                postgres::fetch_all(tx, &q.text_for(Backend::Postgres), &q.params).await
            }
        }
    }

    /// Runs a statement inside the transaction and returns how many rows it
    /// changed (a large delete need not be counted first, nor return its rows).
    pub async fn execute(&mut self, q: &Sql) -> Result<u64, DbError> {
        match self {
            Tx::Sqlite { conn, .. } => sqlite::execute(conn, &q.text, &q.params),
            Tx::Postgres(tx) => {
                let tx = tx
                    .as_mut()
                    .ok_or_else(|| DbError::Engine("transaction already finished".into()))?;
                postgres::execute(tx, &q.text_for(Backend::Postgres), &q.params).await
            }
        }
    }

    /// Commits.
    pub async fn commit(mut self) -> Result<(), DbError> {
        match &mut self {
            Tx::Sqlite { conn, open } => {
                *open = false;
                conn.execute_batch("COMMIT").map_err(sqlite::map_err)
            }
            Tx::Postgres(tx) => match tx.take() {
                Some(tx) => tx.commit().await.map_err(postgres::map_err),
                None => Err(DbError::Engine("transaction already finished".into())),
            },
        }
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if let Tx::Sqlite { conn, open: true } = self
            && let Err(e) = conn.execute_batch("ROLLBACK")
        {
            tracing::error!(error = %e, "rollback failed");
        }
    }
}
