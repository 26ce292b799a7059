//! Helpers shared by the table readers: which tables to read, how a table
//! is scanned (mode, order, resume point), record keys and positions taken
//! from the engine's own JSON text, and sending into a
//! [`RecordStream`](inlet_core::connector::RecordStream).

mod rows;

pub use rows::*;

use std::collections::HashMap;

use futures_util::future::BoxFuture;
use inlet_core::connector::{
    ConnectorError, Context, ReadItem, ReadMode, ReadRequest, Record, RecordSender, RecordStream,
    SourceConfig,
};
use serde_json::Value;
use serde_json::value::RawValue;

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

    /// The engine type of column `name`.
    fn type_of(&self, name: &str) -> &str {
        self.columns
            .iter()
            .find(|(c, _)| c == name)
            .map_or("", |(_, t)| t.as_str())
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

/// How one table is scanned this time.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    /// Full or incremental.
    pub mode: ReadMode,
    /// Order and start.
    pub order: Order,
}

/// The order a table is read in, and where the read starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Order {
    /// `ORDER BY cursor`, from `cursor >= start` when a start is known.
    Cursor {
        /// The cursor value (as text) to start at, inclusive.
        start: Option<String>,
    },
    /// `ORDER BY pk…`, strictly after these primary key values (as text).
    Key {
        /// The resume point.
        after: Option<Vec<String>>,
    },
    /// No order: the table is read whole and restarts when interrupted.
    Unordered,
}

/// Decides a table's scan: incremental when it has a cursor column and a
/// previous cursor; resumed from `position` when one is given and fits.
pub fn scan(plan: &TablePlan, previous: Option<String>, position: Option<&Value>) -> Scan {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    if plan.cursor.is_some() {
        let mode = if previous.is_some() {
            ReadMode::Incremental
        } else {
            ReadMode::Full
        };
        let start = position.and_then(text).or(previous);
        return Scan {
            mode,
            order: Order::Cursor { start },
        };
    }
    if plan.pk.is_empty() {
        return Scan {
            mode: ReadMode::Full,
            order: Order::Unordered,
        };
    }
    let after = position
        .and_then(Value::as_array)
        .filter(|a| a.len() == plan.pk.len())
        .and_then(|a| a.iter().map(text).collect::<Option<Vec<_>>>());
    if position.is_some() && after.is_none() {
        tracing::warn!(stream = %plan.stream(), "ignoring a resume position that does not fit the primary key");
    }
    Scan {
        mode: ReadMode::Full,
        order: Order::Key { after },
    }
}

/// A bound parameter of a table read.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// A value as text, cast to the column's type by the query.
    Text(String),
    /// A binary value (its position form is base64).
    Bytes(Vec<u8>),
}

/// A table read's statement with its bound values (built from catalog
/// names, each quoted by the dialect; values are never interpolated).
pub fn query<DB>(
    sql: String,
    params: Vec<Param>,
) -> sqlx::query::Query<'static, DB, <DB as sqlx::Database>::Arguments>
where
    DB: sqlx::Database,
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Vec<u8>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for p in params {
        query = match p {
            Param::Text(s) => query.bind(s),
            Param::Bytes(b) => query.bind(b),
        };
    }
    query
}

/// A row's JSON rendering from its `j` column (engines that build it in SQL).
pub fn rendered_json<R>(row: &R) -> Rendered
where
    R: sqlx::Row,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'i> &'i str: sqlx::ColumnIndex<R>,
{
    row.try_get::<String, _>("j")
        .map_err(|e| format!("cannot decode the row: {e}"))
}

/// How a dialect spells the pieces of a table read.
pub struct Dialect {
    /// A column reference, given the column name.
    pub column: fn(&str) -> String,
    /// The placeholder for parameter `n` (from 1) cast to the column type `ty`.
    pub param: fn(usize, &str) -> String,
    /// Whether values of type `ty` are binary (rendered as base64, bound as bytes).
    pub binary: fn(&str) -> bool,
}

/// The `WHERE … ORDER BY …` tail of a table read and its parameters.
pub fn clauses(d: &Dialect, plan: &TablePlan, scan: &Scan) -> (String, Vec<Param>) {
    let bind = |value: &str, ty: &str| {
        if (d.binary)(ty) {
            use base64::Engine;
            match base64::engine::general_purpose::STANDARD.decode(value) {
                Ok(b) => Param::Bytes(b),
                Err(_) => Param::Text(value.to_owned()),
            }
        } else {
            Param::Text(value.to_owned())
        }
    };
    match (&scan.order, &plan.cursor) {
        (Order::Cursor { start }, Some((col, ty))) => {
            let c = (d.column)(col);
            match start {
                None => (format!(" ORDER BY {c}"), Vec::new()),
                Some(s) => {
                    let p = (d.param)(1, ty);
                    let cond = if scan.mode == ReadMode::Incremental {
                        format!("{c} >= {p}")
                    } else {
                        // A full read resumed: rows without a cursor value
                        // cannot be placed, so they are read again.
                        format!("({c} >= {p} OR {c} IS NULL)")
                    };
                    (format!(" WHERE {cond} ORDER BY {c}"), vec![bind(s, ty)])
                }
            }
        }
        (Order::Key { after }, _) => {
            let cols: Vec<String> = plan.pk.iter().map(|c| (d.column)(c)).collect();
            let order = format!(" ORDER BY {}", cols.join(", "));
            match after {
                None => (order, Vec::new()),
                Some(values) => {
                    let params: Vec<String> = plan
                        .pk
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (d.param)(i + 1, plan.type_of(c)))
                        .collect();
                    let binds = plan
                        .pk
                        .iter()
                        .zip(values)
                        .map(|(c, v)| bind(v, plan.type_of(c)))
                        .collect();
                    (
                        format!(
                            " WHERE ({}) > ({}){order}",
                            cols.join(", "),
                            params.join(", ")
                        ),
                        binds,
                    )
                }
            }
        }
        _ => (String::new(), Vec::new()),
    }
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

    fn plan(pk: &[&str], cursor: Option<&str>) -> TablePlan {
        TablePlan {
            schema: "s".into(),
            table: "t".into(),
            pk: pk.iter().map(|s| (*s).to_owned()).collect(),
            columns: vec![
                ("a".into(), "text".into()),
                ("b".into(), "bigint".into()),
                ("c".into(), "bytea".into()),
            ],
            cursor: cursor.map(|c| (c.to_owned(), "bigint".to_owned())),
        }
    }

    const D: Dialect = Dialect {
        column: quote,
        param: |n, ty| format!("CAST(${n} AS {ty})"),
        binary: |ty| ty == "bytea",
    };

    #[test]
    fn keys_are_unambiguous_and_exact() {
        let row = r#"{"a": "x|y", "b": 12345678901234567890123, "c": null}"#;
        let k = row_key(&plan(&["a", "b"], None), row).unwrap();
        assert_eq!(k.key, r#"["x|y",12345678901234567890123]"#);
        assert_eq!(k.pk, ["x|y", "12345678901234567890123"]);
        let k = row_key(&plan(&["b"], Some("a")), row).unwrap();
        assert_eq!(k.key, "12345678901234567890123");
        assert_eq!(k.cursor.as_deref(), Some("x|y"));
        assert_eq!(row_key(&plan(&[], None), row).unwrap().key.len(), 64);
        assert!(row_key(&plan(&["zz"], None), row).is_err());
        assert!(row_key(&plan(&[], None), "{nope").is_err());
        assert_eq!(quote("we\"ird"), "\"we\"\"ird\"");
        assert_eq!(backquote("a`b"), "`a``b`");
        assert_eq!(literal("it's"), "'it''s'");
    }

    #[test]
    fn scans_and_clauses() {
        let p = plan(&["a", "c"], None);
        let s = scan(&p, None, Some(&json!(["k", "AQI="])));
        assert_eq!(s.mode, ReadMode::Full);
        let (sql, params) = clauses(&D, &p, &s);
        assert_eq!(
            sql,
            r#" WHERE ("a", "c") > (CAST($1 AS text), CAST($2 AS bytea)) ORDER BY "a", "c""#
        );
        assert_eq!(params, [Param::Text("k".into()), Param::Bytes(vec![1, 2])]);
        let s = scan(&p, None, Some(&json!(["only one"])));
        assert_eq!(s.order, Order::Key { after: None });

        let c = plan(&["a"], Some("b"));
        let s = scan(&c, Some("5".into()), None);
        assert_eq!(s.mode, ReadMode::Incremental);
        let (sql, params) = clauses(&D, &c, &s);
        assert_eq!(sql, r#" WHERE "b" >= CAST($1 AS bigint) ORDER BY "b""#);
        assert_eq!(params, [Param::Text("5".into())]);
        let s = scan(&c, None, Some(&json!("7")));
        assert_eq!(s.mode, ReadMode::Full);
        assert_eq!(
            clauses(&D, &c, &s).0,
            r#" WHERE ("b" >= CAST($1 AS bigint) OR "b" IS NULL) ORDER BY "b""#
        );
        let none = plan(&[], None);
        let s = scan(&none, Some("1".into()), Some(&json!("x")));
        assert_eq!(s.order, Order::Unordered);
        assert_eq!(clauses(&D, &none, &s).0, "");
    }
}
