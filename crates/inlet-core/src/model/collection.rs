//! Collections: named groups of connections inside an organization.

use super::Timestamp;
use crate::ids::{CollectionId, OrgId};

/// A named group of connections (001/000's workspace, 003's collection).
#[derive(Debug, Clone, PartialEq)]
pub struct Collection {
    /// Identifier.
    pub id: CollectionId,
    /// Owning organization.
    pub org_id: OrgId,
    /// Name, unique in the organization.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Number of connections in it (computed by the store).
    pub connection_count: i64,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// Fields of a new collection, validated.
#[derive(Debug, Clone)]
pub struct NewCollection {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
}

/// A partial update; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CollectionPatch {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
}
