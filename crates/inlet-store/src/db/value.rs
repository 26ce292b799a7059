//! The values that cross the facade: [`Val`], a bound parameter or a
//! column's value (with conversions from the store's Rust types), and
//! [`Row`], an owned result row read by column name.

use std::sync::Arc;

use super::DbError;

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

/// An owned result row.
#[derive(Debug, Clone)]
pub struct Row {
    /// The column names, shared by the rows of one result.
    pub(super) names: Arc<[String]>,
    /// The values, in column order.
    pub(super) vals: Vec<Val>,
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
