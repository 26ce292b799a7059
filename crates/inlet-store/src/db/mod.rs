//! A thin async facade over the two engines: SQL text with `?` placeholders
//! and a small value type go in, owned rows come out. It exists so the store's
//! queries are written once; it does not try to be an ORM.

mod postgres;
mod sqlite;

use std::sync::Arc;

use thiserror::Error;

pub use self::postgres::PgDb;
pub use self::sqlite::SqliteDb;

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

/// A bound parameter or a column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// SQL NULL of integer type (PostgreSQL needs the type of a NULL).
    Null,
    /// SQL NULL of text type.
    NullText,
    /// SQL NULL of binary type.
    NullBlob,
    /// Any integer (booleans are stored as 0/1).
    Int(i64),
    /// A floating-point number (SQLite `REAL`, PostgreSQL `float8`).
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
    /// A `text[]` (PostgreSQL only: one array parameter instead of one
    /// placeholder per item keeps batch statements small and their plans cached).
    TextList(Vec<String>),
    /// A `bigint[]` (PostgreSQL only).
    IntList(Vec<i64>),
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}
impl From<u32> for Val {
    fn from(v: u32) -> Self {
        Val::Int(i64::from(v))
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Self {
        Val::Int(i64::from(v))
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(v.to_owned())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(v)
    }
}
impl From<Vec<u8>> for Val {
    fn from(v: Vec<u8>) -> Self {
        Val::Blob(v)
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Val::Null, Val::Int)
    }
}
impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        v.map_or(Val::NullText, Val::Text)
    }
}
impl From<Option<&str>> for Val {
    fn from(v: Option<&str>) -> Self {
        v.map_or(Val::NullText, Into::into)
    }
}
impl From<Option<Vec<u8>>> for Val {
    fn from(v: Option<Vec<u8>>) -> Self {
        v.map_or(Val::NullBlob, Val::Blob)
    }
}

/// A statement: SQL text with `?` placeholders and its parameters.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    text: String,
    params: Vec<Val>,
}

impl Sql {
    /// Starts a statement.
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            params: Vec::new(),
        }
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `v`.
    pub fn bind(&mut self, v: impl Into<Val>) -> &mut Self {
        self.text.push('?');
        self.params.push(v.into());
        self
    }

    /// Appends `(?, ?, …)` binding each item: the list of an `IN`.
    pub fn bind_list<T: Into<Val>>(&mut self, items: impl IntoIterator<Item = T>) -> &mut Self {
        self.push("(");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(item);
        }
        self.push(")")
    }

    /// Appends another fragment, text and parameters.
    pub fn append(&mut self, other: &Sql) -> &mut Self {
        self.text.push_str(&other.text);
        self.params.extend(other.params.iter().cloned());
        self
    }

    /// Adds a parameter for a `?` already in the text.
    pub fn arg(mut self, v: impl Into<Val>) -> Self {
        self.params.push(v.into());
        self
    }

    /// The text as the backend wants it: PostgreSQL numbers its placeholders.
    ///
    /// A `?` is a placeholder only outside string literals (`'…'`, `E'…'`),
    /// quoted identifiers (`"…"`), dollar-quoted strings and comments; `??`
    /// stands for a literal `?` (jsonb's `?`, `?|`, `?&` operators) on
    /// both engines' PostgreSQL side. SQLite takes the text as written.
    fn text_for(&self, backend: Backend) -> std::borrow::Cow<'_, str> {
        match backend {
            Backend::Sqlite => std::borrow::Cow::Borrowed(&self.text),
            Backend::Postgres => std::borrow::Cow::Owned(number_placeholders(&self.text)),
        }
    }
}

/// Rewrites `?` placeholders as `$1`, `$2`, … outside quotes and comments;
/// `??` becomes a literal `?`.
fn number_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut n = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, ch)) = chars.next() {
        match ch {
            '\'' | '"' => {
                // Copy through the closing quote; a doubled quote is an escape
                // and simply reopens, which copying handles.
                out.push(ch);
                for (_, c) in chars.by_ref() {
                    out.push(c);
                    if c == ch {
                        break;
                    }
                }
            }
            '-' if text[i..].starts_with("--") => {
                out.push(ch);
                for (_, c) in chars.by_ref() {
                    out.push(c);
                    if c == '\n' {
                        break;
                    }
                }
            }
            '/' if text[i..].starts_with("/*") => {
                let end = text[i + 2..]
                    .find("*/")
                    .map_or(text.len(), |e| i + 2 + e + 2);
                out.push_str(&text[i..end]);
                while chars.peek().is_some_and(|(j, _)| *j < end) {
                    chars.next();
                }
            }
            '$' => {
                // A dollar-quote tag `$tag$…$tag$` (a `$` followed by a
                // digit is a numbered parameter, copied as is).
                let rest = &text[i + 1..];
                let tag_len = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                if rest[tag_len..].starts_with('$')
                    && !rest.starts_with(|c: char| c.is_ascii_digit())
                {
                    let tag = &text[i..i + tag_len + 2];
                    let body = i + tag.len();
                    let end = text[body..]
                        .find(tag)
                        .map_or(text.len(), |e| body + e + tag.len());
                    out.push_str(&text[i..end]);
                    while chars.peek().is_some_and(|(j, _)| *j < end) {
                        chars.next();
                    }
                } else {
                    out.push(ch);
                }
            }
            '?' if chars.peek().is_some_and(|(_, c)| *c == '?') => {
                chars.next();
                out.push('?');
            }
            '?' => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(ch),
        }
    }
    out
}

/// An owned result row.
#[derive(Debug, Clone)]
pub struct Row {
    names: Arc<[String]>,
    vals: Vec<Val>,
}

impl Row {
    fn get(&self, name: &str) -> Result<&Val, DbError> {
        self.names
            .iter()
            .position(|n| n == name)
            .and_then(|i| self.vals.get(i))
            .ok_or_else(|| DbError::Decode(format!("no column {name}")))
    }

    /// An integer column.
    pub fn i64(&self, name: &str) -> Result<i64, DbError> {
        self.opt_i64(name)?
            .ok_or_else(|| DbError::Decode(format!("{name} is null")))
    }

    /// A nullable integer column.
    pub fn opt_i64(&self, name: &str) -> Result<Option<i64>, DbError> {
        match self.get(name)? {
            Val::Null | Val::NullText | Val::NullBlob => Ok(None),
            Val::Int(v) => Ok(Some(*v)),
            other => Err(DbError::Decode(format!(
                "{name}: expected integer, got {other:?}"
            ))),
        }
    }

    /// A nullable floating-point column (integers widen).
    pub fn opt_f64(&self, name: &str) -> Result<Option<f64>, DbError> {
        match self.get(name)? {
            Val::Null | Val::NullText | Val::NullBlob => Ok(None),
            Val::Real(v) => Ok(Some(*v)),
            #[allow(clippy::cast_precision_loss)]
            Val::Int(v) => Ok(Some(*v as f64)),
            other => Err(DbError::Decode(format!(
                "{name}: expected a number, got {other:?}"
            ))),
        }
    }

    /// A text column.
    pub fn text(&self, name: &str) -> Result<String, DbError> {
        self.opt_text(name)?
            .ok_or_else(|| DbError::Decode(format!("{name} is null")))
    }

    /// A nullable text column.
    pub fn opt_text(&self, name: &str) -> Result<Option<String>, DbError> {
        match self.get(name)? {
            Val::Null | Val::NullText | Val::NullBlob => Ok(None),
            Val::Text(v) => Ok(Some(v.clone())),
            _ => Err(DbError::Decode(format!("{name}: expected text"))),
        }
    }

    /// A nullable blob column.
    pub fn opt_blob(&self, name: &str) -> Result<Option<Vec<u8>>, DbError> {
        match self.get(name)? {
            Val::Null | Val::NullText | Val::NullBlob => Ok(None),
            Val::Blob(v) => Ok(Some(v.clone())),
            _ => Err(DbError::Decode(format!("{name}: expected blob"))),
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
    /// Connects to `sqlite:PATH` or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            Ok(Db::Sqlite(Arc::new(SqliteDb::open(path)?)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Db::Postgres(PgDb::connect(url).await?))
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

    /// Runs a read-only query.
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
    /// depend on its parameters. On PostgreSQL it runs on a pool whose plans
    /// are cached (see [`PgDb`]); elsewhere it is [`Db::fetch_all`].
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_inside_quotes_and_comments_stay() {
        let q = Sql::new(
            "SELECT '?' AS a, \"we?ird\" , E'it''s ?' -- why?\n, ? /* ? */ , $x$ ? $x$, data ?? 'k', ?",
        );
        assert_eq!(
            q.text_for(Backend::Postgres),
            "SELECT '?' AS a, \"we?ird\" , E'it''s ?' -- why?\n, $1 /* ? */ , $x$ ? $x$, data ? 'k', $2"
        );
    }

    #[test]
    fn postgres_placeholders_are_numbered() {
        let mut q = Sql::new("SELECT a FROM t WHERE x = ?");
        q.push(" AND y = ").bind(2_i64);
        assert_eq!(
            q.text_for(Backend::Postgres),
            "SELECT a FROM t WHERE x = $1 AND y = $2"
        );
        assert_eq!(
            q.text_for(Backend::Sqlite),
            "SELECT a FROM t WHERE x = ? AND y = ?"
        );
    }
}
