//! The PostgreSQL engine through sqlx's pool. Rows are decoded by column
//! type into the facade's [`Val`].

use std::sync::Arc;
use std::time::Duration;

use std::str::FromStr;

use sqlx::postgres::{PgArguments, PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{Arguments, AssertSqlSafe, Column, PgConnection, PgPool, Postgres, Row as _, TypeInfo};

use super::{DbError, Row, Val};

/// Pool settings shared by both pools: at most `max` connections, a connect
/// timeout, and a ping only for connections idle past [`PING_IDLE_AFTER`].
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

/// Two pools of PostgreSQL connections: one for every statement, whose
/// plans PostgreSQL makes for each run's parameters, and a small one for
/// point lookups by a unique key, whose plans it may cache.
#[derive(Clone)]
pub struct PgDb {
    pool: PgPool,
    lookups: PgPool,
}

/// A connection idle for longer than this is pinged before it is handed out.
/// Under load connections are idle for microseconds, and a ping per acquire
/// (sqlx's default) was one extra round trip per statement; after a quiet
/// spell, long enough for the server to have restarted, the ping still
/// weeds out dead connections.
const PING_IDLE_AFTER: Duration = Duration::from_secs(1);

impl PgDb {
    /// Connects with bounded pools and a connect timeout.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| DbError::Config(format!("invalid PostgreSQL URL: {e}")))?;
        // Search selectivity depends on the pattern, so a generic plan
        // (tried at a statement's sixth run, ~300 ms here) never pays off.
        let pool = pool_options(16)
            .connect_with(
                options
                    .clone()
                    .options([("plan_cache_mode", "force_custom_plan")]),
            )
            .await
            .map_err(|e| DbError::Config(format!("cannot connect to PostgreSQL: {e}")))?;
        // A lookup by a unique key has one good plan whatever its parameters:
        // planning it for each run cost ~0.1 ms of PostgreSQL's CPU per
        // request, more than running it.
        let lookups = pool_options(8)
            .connect_with(options)
            .await
            .map_err(|e| DbError::Config(format!("cannot connect to PostgreSQL: {e}")))?;
        Ok(Self { pool, lookups })
    }

    /// Runs one statement on a pooled connection.
    pub async fn fetch_all(&self, sql: &str, params: &[Val]) -> Result<Vec<Row>, DbError> {
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        fetch_all(&mut conn, sql, params).await
    }

    /// Runs one point lookup (see [`PgDb`]) on the lookup pool.
    pub async fn fetch_lookup(&self, sql: &str, params: &[Val]) -> Result<Vec<Row>, DbError> {
        let mut conn = self.lookups.acquire().await.map_err(map_err)?;
        fetch_all(&mut conn, sql, params).await
    }

    /// Runs several statements without parameters.
    pub async fn execute_batch(&self, sql: &str) -> Result<(), DbError> {
        sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(map_err)
    }

    /// Starts a transaction.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, Postgres>, DbError> {
        self.pool.begin().await.map_err(map_err)
    }
}

/// Runs one statement on `conn` and decodes its rows.
pub async fn fetch_all(
    conn: &mut PgConnection,
    sql: &str,
    params: &[Val],
) -> Result<Vec<Row>, DbError> {
    // Statements are built only from constant fragments; every value is bound.
    let rows: Vec<PgRow> = sqlx::query_with(AssertSqlSafe(sql.to_owned()), arguments(params)?)
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

/// Runs one statement on `conn` and returns how many rows it changed.
pub async fn execute(conn: &mut PgConnection, sql: &str, params: &[Val]) -> Result<u64, DbError> {
    // Statements are built only from constant fragments; every value is bound.
    sqlx::query_with(AssertSqlSafe(sql.to_owned()), arguments(params)?)
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
