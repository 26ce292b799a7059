//! Pagination, sorting and filtering of lists, shared by every API.

use crate::error::{CoreError, CoreResult};
use crate::ids::CollectionId;
use crate::model::connection::ConnectionStatus;
use crate::model::job::{JobKind, JobStatus};

/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: u32 = 100;
/// Page size when none is given.
pub const DEFAULT_PAGE_SIZE: u32 = 20;

/// A validated page request (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageRequest {
    /// Page number, from 1.
    pub page: u32,
    /// Items per page, 1..=100.
    pub page_size: u32,
}

impl PageRequest {
    /// Validates raw values; `page_field`/`size_field` name them in errors so
    /// each dialect reports its own parameter names.
    pub fn parse(
        page: Option<i64>,
        page_size: Option<i64>,
        page_field: &str,
        size_field: &str,
    ) -> CoreResult<Self> {
        let page = page.unwrap_or(1);
        if page < 1 || page > i64::from(u32::MAX) {
            return Err(CoreError::invalid(page_field, "must be a positive integer"));
        }
        let page_size = page_size.unwrap_or(i64::from(DEFAULT_PAGE_SIZE));
        if !(1..=i64::from(MAX_PAGE_SIZE)).contains(&page_size) {
            return Err(CoreError::invalid(
                size_field,
                format!("must be between 1 and {MAX_PAGE_SIZE}"),
            ));
        }
        Ok(Self {
            page: page as u32,
            page_size: page_size as u32,
        })
    }

    /// Rows to skip.
    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.page_size)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

/// One page of results with the total that matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The request it answers.
    pub request: PageRequest,
    /// How many items matched in all.
    pub total: u64,
}

impl<T> Page<T> {
    /// Number of pages (0 when nothing matched).
    pub fn total_pages(&self) -> u64 {
        self.total.div_ceil(u64::from(self.request.page_size))
    }

    /// Whether a later page has items.
    pub fn has_next(&self) -> bool {
        u64::from(self.request.page) < self.total_pages()
    }

    /// Whether an earlier page exists.
    pub fn has_previous(&self) -> bool {
        self.request.page > 1
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortOrder {
    /// Ascending.
    Asc,
    /// Descending.
    #[default]
    Desc,
}

crate::wire_enum!(SortOrder { Asc => "asc", Desc => "desc" });

/// Fields a connection list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ConnectionSort {
    /// By id (creation order).
    Id,
    /// By name.
    Name,
    /// By source type, then name.
    Type,
    /// By status, then name.
    Status,
    /// By creation time (the default).
    #[default]
    CreatedAt,
    /// By last change.
    UpdatedAt,
}

crate::wire_enum!(ConnectionSort {
    Id => "id",
    Name => "name",
    Type => "type",
    Status => "status",
    CreatedAt => "created_at",
    UpdatedAt => "updated_at",
});

/// Filters of a connection list; all are ANDed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ConnectionFilter {
    /// Only this collection.
    pub collection_id: Option<CollectionId>,
    /// Only these collections (a restricted key's reach); empty means all.
    pub within_collections: Vec<CollectionId>,
    /// Only this source type.
    pub source_type: Option<String>,
    /// Only connections named exactly this.
    pub name: Option<String>,
    /// Only these statuses; empty means any.
    pub statuses: Vec<ConnectionStatus>,
    /// Only connections carrying this tag.
    pub tag: Option<String>,
    /// Only alive (`true`) or not alive (`false`) connections.
    pub alive: Option<bool>,
    /// Case-insensitive substring of name or description (the APIs'
    /// `search` parameter; full-text search is `crate::search`).
    pub contains: Option<String>,
    /// Sort key.
    pub sort: ConnectionSort,
    /// Sort direction.
    pub order: SortOrder,
}

/// Which of an organization's jobs to list (newest first).
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    /// Only jobs with this status.
    pub status: Option<JobStatus>,
    /// Only jobs of this kind.
    pub kind: Option<JobKind>,
    /// Only jobs of connections in these collections (a restricted key's
    /// reach); empty means all.
    pub within_collections: Vec<CollectionId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_bounds() {
        assert!(PageRequest::parse(Some(0), None, "page", "pageSize").is_err());
        assert!(PageRequest::parse(None, Some(0), "page", "pageSize").is_err());
        assert!(PageRequest::parse(None, Some(1000), "page", "pageSize").is_err());
        let p = PageRequest::parse(Some(3), Some(10), "page", "pageSize").unwrap();
        assert_eq!(p.offset(), 20);
        let page = Page::<()> {
            items: vec![],
            request: p,
            total: 21,
        };
        assert_eq!(page.total_pages(), 3);
        assert!(!page.has_next());
        assert!(page.has_previous());
    }
}
