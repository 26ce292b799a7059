//! Helpers shared by the readers: which tables to read, record keys, and
//! sending into a [`RecordStream`](inlet_core::connector::RecordStream).

use futures_util::future::BoxFuture;
use inlet_core::connector::{
    ConnectorError, Context, ReadItem, ReadRequest, Record, RecordSender, RecordStream,
    SourceConfig,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// One table to read.
#[derive(Debug, Clone)]
pub struct TablePlan {
    /// Schema (or database) name.
    pub schema: String,
    /// Table name.
    pub table: String,
    /// Primary key columns, in key order.
    pub pk: Vec<String>,
    /// Columns in ordinal order, with their engine type.
    pub columns: Vec<(String, String)>,
    /// The configured cursor column, when this table has it.
    pub cursor: Option<(String, String)>,
}

impl TablePlan {
    /// The stream name: `schema.table`.
    pub fn stream(&self) -> String {
        format!("{}.{}", self.schema, self.table)
    }
}

/// One column as a catalog query lists it.
pub struct CatalogColumn {
    /// Schema (or database).
    pub schema: String,
    /// Table.
    pub table: String,
    /// Column.
    pub name: String,
    /// Engine type.
    pub data_type: String,
    /// Position in the primary key (from 1), or 0 outside it.
    pub pk_position: i64,
}

/// Groups columns listed by schema, table and ordinal into table plans,
/// primary key columns in key order.
pub fn group(columns: Vec<CatalogColumn>) -> Vec<TablePlan> {
    let mut plans: Vec<(TablePlan, Vec<(i64, String)>)> = Vec::new();
    for c in columns {
        if plans
            .last()
            .is_none_or(|(p, _)| p.schema != c.schema || p.table != c.table)
        {
            plans.push((
                TablePlan {
                    schema: c.schema,
                    table: c.table,
                    pk: Vec::new(),
                    columns: Vec::new(),
                    cursor: None,
                },
                Vec::new(),
            ));
        }
        if let Some((plan, keys)) = plans.last_mut() {
            if c.pk_position > 0 {
                keys.push((c.pk_position, c.name.clone()));
            }
            plan.columns.push((c.name, c.data_type));
        }
    }
    plans
        .into_iter()
        .map(|(mut plan, mut keys)| {
            keys.sort();
            plan.pk = keys.into_iter().map(|(_, n)| n).collect();
            plan
        })
        .collect()
}

/// Keeps the tables the configuration selects (`tables`: `schema.table` or
/// `table`; all when empty), attaching the cursor column where present.
pub fn select(
    source: &SourceConfig,
    mut plans: Vec<TablePlan>,
) -> Result<Vec<TablePlan>, ConnectorError> {
    let wanted = source.config_list("tables");
    if !wanted.is_empty() {
        for w in &wanted {
            if !plans.iter().any(|p| p.stream() == *w || p.table == *w) {
                return Err(ConnectorError::Invalid(format!(
                    "config.tables: table {w} does not exist"
                )));
            }
        }
        plans.retain(|p| wanted.iter().any(|w| p.stream() == *w || p.table == *w));
    }
    if let Some(col) = source.config_str("cursorColumn") {
        for p in &mut plans {
            p.cursor = p.columns.iter().find(|(c, _)| c == col).cloned();
        }
    }
    Ok(plans)
}

/// A record's key: its primary key values joined with `|`, or the SHA-256
/// of the row when the table has no primary key.
pub fn key(data: &Value, pk: &[String], raw: &str) -> String {
    if pk.is_empty() {
        return Sha256::digest(raw.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
    }
    pk.iter()
        .map(|c| match &data[c] {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// Parses one row's JSON and sends it; `false` when the consumer is gone.
pub async fn send_row(
    tx: &RecordSender,
    plan: &TablePlan,
    json: &str,
) -> Result<bool, ConnectorError> {
    let data: Value = serde_json::from_str(json).map_err(|e| {
        ConnectorError::Failed(format!("row of {} is not JSON: {e}", plan.stream()))
    })?;
    let record = Record {
        stream: plan.stream(),
        key: key(&data, &plan.pk, json),
        data,
    };
    Ok(tx.send(Ok(ReadItem::Record(record))).await.is_ok())
}

/// Ends a table's stream: its cursor is the last cursor value read, or
/// `null` for tables read in full.
pub async fn finish(tx: &RecordSender, plan: &TablePlan, last: Option<String>) -> bool {
    let cursor = match (&plan.cursor, last) {
        (Some(_), Some(c)) => Value::String(c),
        _ => Value::Null,
    };
    tx.send(Ok(ReadItem::Checkpoint {
        stream: plan.stream(),
        cursor,
    }))
    .await
    .is_ok()
}

/// How a dialect spells the pieces of a table read.
pub struct Dialect {
    /// Quotes an identifier.
    pub quote: fn(&str) -> String,
    /// The cursor column as text, given the quoted column.
    pub cursor_text: fn(&str) -> String,
    /// A text NULL.
    pub null_text: &'static str,
}

/// `SELECT <json> AS j, <cursor> AS c FROM <from> [WHERE cursor > <param>] [ORDER BY cursor]`,
/// where `param` is the placeholder for the previous cursor (typed as the column by the caller).
pub fn row_query(
    d: &Dialect,
    plan: &TablePlan,
    json: &str,
    from: &str,
    param: Option<&str>,
) -> String {
    match (&plan.cursor, param) {
        (Some((col, _)), Some(param)) => {
            let c = (d.quote)(col);
            format!(
                "SELECT {json} AS j, {} AS c FROM {from} WHERE {c} > {param} ORDER BY {c}",
                (d.cursor_text)(&c)
            )
        }
        (Some((col, _)), None) => {
            let c = (d.quote)(col);
            format!(
                "SELECT {json} AS j, {} AS c FROM {from} ORDER BY {c}",
                (d.cursor_text)(&c)
            )
        }
        (None, _) => format!("SELECT {json} AS j, {} AS c FROM {from}", d.null_text),
    }
}

/// Reads one table into the channel; `Ok(false)` when the consumer left.
pub type TableReader<C> = for<'a> fn(
    &'a Context,
    &'a mut C,
    &'a TablePlan,
    Option<String>,
    &'a RecordSender,
) -> BoxFuture<'a, Result<bool, ConnectorError>>;

/// Reads `plans` one after another in a task of their own, over `conn`,
/// keeping `guard` (an SSH tunnel) alive until the read ends.
pub fn spawn_tables<C: Send + 'static, G: Send + 'static>(
    ctx: &Context,
    mut conn: C,
    guard: G,
    plans: Vec<TablePlan>,
    request: ReadRequest,
    read: TableReader<C>,
) -> RecordStream {
    let (tx, stream) = RecordStream::channel();
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let _guard = guard;
        for p in &plans {
            let prev = previous(&request.cursors, &p.stream());
            match read(&ctx, &mut conn, p, prev, &tx).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
    });
    stream
}

/// Sends every `(json, cursor)` row of `rows` for `plan`, each fetch bounded
/// by the context's timeout, then the checkpoint; `Ok(false)` when the
/// consumer left.
pub async fn drain<S>(
    ctx: &Context,
    what: &str,
    mut rows: S,
    plan: &TablePlan,
    previous: Option<String>,
    tx: &RecordSender,
    err: fn(sqlx::Error) -> ConnectorError,
) -> Result<bool, ConnectorError>
where
    S: futures_util::Stream<Item = Result<(String, Option<String>), sqlx::Error>> + Unpin,
{
    use futures_util::TryStreamExt;
    let mut last = previous;
    while let Some((json, cursor)) =
        crate::net::timed(ctx, what, async { rows.try_next().await.map_err(err) }).await?
    {
        if cursor.is_some() {
            last = cursor;
        }
        if !send_row(tx, plan, &json).await? {
            return Ok(false);
        }
    }
    Ok(finish(tx, plan, last).await)
}

/// Double-quotes an identifier (PostgreSQL, SQLite).
pub fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Backquotes an identifier (MySQL).
pub fn backquote(ident: &str) -> String {
    format!("`{}`", ident.replace('`', "``"))
}

/// A single-quoted SQL string literal.
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The previous cursor of `stream` as text, if any.
pub fn previous(cursors: &serde_json::Map<String, Value>, stream: &str) -> Option<String> {
    match cursors.get(stream)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_and_quoting() {
        let row = json!({"a": 1, "b": "x", "c": null});
        assert_eq!(key(&row, &["a".into(), "b".into()], ""), "1|x");
        assert_eq!(key(&row, &[], "{}").len(), 64);
        assert_eq!(quote("we\"ird"), "\"we\"\"ird\"");
        assert_eq!(backquote("a`b"), "`a``b`");
        assert_eq!(literal("it's"), "'it''s'");
    }
}
