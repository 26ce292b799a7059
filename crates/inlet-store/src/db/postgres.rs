//! The PostgreSQL engine through one sqlx pool. Rows are decoded by column
//! type into the facade's [`Val`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use std::str::FromStr;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{Arguments, AssertSqlSafe, Column, PgConnection, PgPool, Postgres, Row as _, TypeInfo};

use super::pool_metrics;
use super::{DbError, Row, Val};

/// How a statement is sent, which decides how PostgreSQL plans it (see
/// [`PgDb`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prepare {
    /// A named statement cached on the connection: parsed once, and after
    /// five runs planned for their values PostgreSQL may keep one generic
    /// plan for it (`plan_cache_mode = auto`).
    Cached,
    /// The unnamed statement: parsed and planned for its values on every
    /// run, never given a generic plan.
    EachRun,
}

impl Prepare {
    fn persistent(self) -> bool {
        self == Prepare::Cached
    }
}

/// One pool of PostgreSQL connections, at most `pool_size` (the
/// `database_pool_size` setting) per node, for every statement.
///
/// Two kinds of statement share it, each planned as suits it, with the
/// sessions' `plan_cache_mode` left at PostgreSQL's default (`auto`):
///
/// - Point lookups by a unique key ([`PgDb::fetch_lookup`], e.g. the API key
///   of every request) have one good plan whatever their parameters; they
///   run as named statements cached on each connection, so PostgreSQL
///   switches them to a cached generic plan after five runs. Planning them
///   on every run cost ~0.1 ms of PostgreSQL's CPU per request, more than
///   running them.
/// - Every other statement (lists, searches, writes, everything inside a
///   transaction) runs as the unnamed statement, which PostgreSQL parses and
///   plans for its values on each run and never makes generic. A search's
///   best plan depends on its pattern: a generic plan, tried at a cached
///   statement's sixth run, took ~300 ms here and never pays off. This is
///   what `plan_cache_mode = force_custom_plan` on a pool of its own gave
///   before; the unnamed statement costs sqlx one more round trip per
///   statement (Parse and Describe, then Bind and Execute) and PostgreSQL a
///   parse, ~0.1 ms in all on a local server (docs/performance.md).
///
/// A statement's text decides: sqlx looks a text up in the connection's
/// statement cache first, so a text run as a lookup once stays cached for
/// every later run of it on that connection.
#[derive(Clone)]
pub struct PgDb {
    pool: Arc<PgPool>,
}

/// Pool settings: at most `max` connections, a connect timeout, and a ping
/// only for connections idle past [`PING_IDLE_AFTER`].
fn pool_options(max: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > PING_IDLE_AFTER {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}

/// A connection idle for longer than this is pinged before it is handed out.
/// Under load connections are idle for microseconds, and a ping per acquire
/// (sqlx's default) was one extra round trip per statement; after a quiet
/// spell, long enough for the server to have restarted, the ping still
/// weeds out dead connections.
const PING_IDLE_AFTER: Duration = Duration::from_secs(1);

impl PgDb {
    /// Connects with a pool of at most `pool_size` connections and a
    /// connect timeout, and starts reporting the pool's figures
    /// (`inlet_store_pool_*`, see `pool_metrics.rs`).
    pub async fn connect(url: &str, pool_size: u32) -> Result<Self, DbError> {
        if pool_size == 0 {
            return Err(DbError::Config(
                "the PostgreSQL pool needs at least one connection".into(),
            ));
        }
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| DbError::Config(format!("invalid PostgreSQL URL: {e}")))?;
        let pool = pool_options(pool_size)
            .connect_with(options)
            .await
            .map_err(|e| DbError::Config(format!("cannot connect to PostgreSQL: {e}")))?;
        let pool = Arc::new(pool);
        pool_metrics::report(Arc::downgrade(&pool), pool_size);
        Ok(Self { pool })
    }

    /// A pooled connection, counting the wait when none was idle.
    async fn acquire(&self) -> Result<PoolConnection<Postgres>, DbError> {
        let none_idle = self.pool.num_idle() == 0;
        let started = Instant::now();
        let conn = self.pool.acquire().await;
        if none_idle {
            pool_metrics::waited(started.elapsed());
        }
        conn.map_err(map_err)
    }

    /// Runs one statement, planned for its values (see [`PgDb`]).
    pub async fn fetch_all(&self, sql: &str, params: &[Val]) -> Result<Vec<Row>, DbError> {
        let mut conn = self.acquire().await?;
        fetch(&mut conn, sql, params, Prepare::EachRun).await
    }

    /// Runs one point lookup by a unique key, whose plan PostgreSQL may
    /// cache (see [`PgDb`]).
    pub async fn fetch_lookup(&self, sql: &str, params: &[Val]) -> Result<Vec<Row>, DbError> {
        let mut conn = self.acquire().await?;
        fetch(&mut conn, sql, params, Prepare::Cached).await
    }

    /// Runs several statements without parameters (the simple protocol:
    /// nothing is cached).
    pub async fn execute_batch(&self, sql: &str) -> Result<(), DbError> {
        let mut conn = self.acquire().await?;
        sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&mut *conn)
            .await
            .map(|_| ())
            .map_err(map_err)
    }

    /// Starts a transaction on a pooled connection.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, Postgres>, DbError> {
        let conn = self.acquire().await?;
        // What `Pool::begin` does, after an acquire that counts its wait.
        sqlx::Transaction::begin(conn, None).await.map_err(map_err)
    }
}

/// Runs one statement on `conn` (inside a transaction: planned for its
/// values, see [`PgDb`]) and decodes its rows.
pub async fn fetch_all(
    conn: &mut PgConnection,
    sql: &str,
    params: &[Val],
) -> Result<Vec<Row>, DbError> {
    fetch(conn, sql, params, Prepare::EachRun).await
}

/// Runs one statement on `conn`, sent as `prepare` says, and decodes its rows.
async fn fetch(
    conn: &mut PgConnection,
    sql: &str,
    params: &[Val],
    prepare: Prepare,
) -> Result<Vec<Row>, DbError> {
    // Statements are built only from constant fragments; every value is bound.
    let rows: Vec<PgRow> = sqlx::query_with(AssertSqlSafe(sql.to_owned()), arguments(params)?)
        .persistent(prepare.persistent())
        .fetch_all(&mut *conn)
        .await
        .map_err(map_err)?;
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let names: Arc<[String]> = first
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    rows.iter()
        .map(|r| {
            let vals = r
                .columns()
                .iter()
                .map(|c| decode(r, c.ordinal(), c.type_info().name()))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Row {
                names: names.clone(),
                vals,
            })
        })
        .collect()
}

fn decode(r: &PgRow, i: usize, ty: &str) -> Result<Val, DbError> {
    let e = |e: sqlx::Error| DbError::Decode(e.to_string());
    Ok(match ty {
        "INT8" => r.try_get::<Option<i64>, _>(i).map_err(e)?.map(Val::Int),
        "INT4" => r
            .try_get::<Option<i32>, _>(i)
            .map_err(e)?
            .map(|v| Val::Int(v.into())),
        "INT2" => r
            .try_get::<Option<i16>, _>(i)
            .map_err(e)?
            .map(|v| Val::Int(v.into())),
        "BOOL" => r
            .try_get::<Option<bool>, _>(i)
            .map_err(e)?
            .map(|v| Val::Int(v.into())),
        "FLOAT8" => r.try_get::<Option<f64>, _>(i).map_err(e)?.map(Val::Real),
        "FLOAT4" => r
            .try_get::<Option<f32>, _>(i)
            .map_err(e)?
            .map(|v| Val::Real(v.into())),
        "BYTEA" => r
            .try_get::<Option<Vec<u8>>, _>(i)
            .map_err(e)?
            .map(Val::Blob),
        "TEXT" | "VARCHAR" | "NAME" | "BPCHAR" => {
            r.try_get::<Option<String>, _>(i).map_err(e)?.map(Val::Text)
        }
        other => return Err(DbError::Decode(format!("unsupported column type {other}"))),
    }
    .unwrap_or(Val::Null))
}

/// Maps engine errors, recognising constraint violations by SQLSTATE.
pub fn map_err(e: sqlx::Error) -> DbError {
    if let sqlx::Error::Database(db) = &e {
        let what = db.constraint().unwrap_or_default().to_owned();
        match db.code().as_deref() {
            Some("23505") => return DbError::Unique(what),
            Some("23503") => return DbError::ForeignKey(what),
            _ => {}
        }
    }
    DbError::Engine(e.to_string())
}

/// Runs one statement on `conn` (inside a transaction: planned for its
/// values, see [`PgDb`]) and returns how many rows it changed.
pub async fn execute(conn: &mut PgConnection, sql: &str, params: &[Val]) -> Result<u64, DbError> {
    // Statements are built only from constant fragments; every value is bound.
    sqlx::query_with(AssertSqlSafe(sql.to_owned()), arguments(params)?)
        .persistent(Prepare::EachRun.persistent())
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
        .map_err(map_err)
}

/// The facade's values as PostgreSQL arguments.
fn arguments(params: &[Val]) -> Result<PgArguments, DbError> {
    let mut args = PgArguments::default();
    for p in params {
        let r = match p {
            Val::Null => args.add(None::<i64>),
            Val::NullText => args.add(None::<&str>),
            Val::NullBlob => args.add(None::<&[u8]>),
            Val::Int(v) => args.add(*v),
            Val::Real(v) => args.add(*v),
            Val::Text(v) => args.add(v.as_str()),
            Val::Blob(v) => args.add(v.as_slice()),
            Val::TextList(v) => args.add(v),
            Val::IntList(v) => args.add(v),
        };
        r.map_err(|e| DbError::Engine(format!("binding a parameter: {e}")))?;
    }
    Ok(args)
}
