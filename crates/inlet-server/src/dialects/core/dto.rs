//! Shapes shared by the core API's resources: pagination, id parsing, and
//! the success envelope of simple answers.

use inlet_core::CoreError;
use inlet_core::list::Page;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extract::int_param;

/// Pagination block of every list (003's camelCase form of 001's).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    /// Page number, from 1.
    pub page: u32,
    /// Items per page.
    pub page_size: u32,
    /// Items matching in all.
    pub total_items: u64,
    /// Number of pages.
    pub total_pages: u64,
    /// Whether a later page has items.
    pub has_next: bool,
    /// Whether an earlier page exists.
    pub has_previous: bool,
}

impl Pagination {
    /// From a page of results.
    pub fn of<T>(p: &Page<T>) -> Self {
        Self {
            page: p.request.page,
            page_size: p.request.page_size,
            total_items: p.total,
            total_pages: p.total_pages(),
            has_next: p.has_next(),
            has_previous: p.has_previous(),
        }
    }
}

/// `{"success": true}` (deletes).
#[derive(Debug, Serialize, ToSchema)]
pub struct Done {
    /// Always true.
    pub success: bool,
}

impl Done {
    /// The only value.
    pub fn ok() -> Self {
        Self { success: true }
    }
}

/// Parses the page and pageSize query parameters.
pub fn page_request(
    page: Option<&str>,
    page_size: Option<&str>,
) -> Result<inlet_core::list::PageRequest, ApiError> {
    Ok(inlet_core::list::PageRequest::parse(
        int_param("page", page)?,
        int_param("pageSize", page_size)?,
        "page",
        "pageSize",
    )?)
}

/// Parses an id from a path segment; anything unparsable is simply not found.
pub fn path_id<T>(
    raw: &str,
    parse: fn(&str) -> Option<T>,
    what: &'static str,
) -> Result<T, ApiError> {
    parse(raw).ok_or(ApiError::Core(CoreError::NotFound(what)))
}

/// Parses an id given in a body as `"col_1"` or `1`, naming `field`.
pub fn body_id<T>(value: &Value, parse: fn(&str) -> Option<T>, field: &str) -> Result<T, ApiError> {
    let parsed = match value {
        Value::String(s) => parse(s),
        Value::Number(n) => n.as_i64().and_then(|n| parse(&n.to_string())),
        _ => None,
    };
    parsed.ok_or_else(|| {
        ApiError::Core(CoreError::invalid(
            field,
            "must be an id such as \"col_1\" or 1",
        ))
    })
}
