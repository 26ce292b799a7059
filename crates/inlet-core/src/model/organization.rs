//! Organizations (tenants).

use super::Timestamp;
use crate::ids::OrgId;

/// A tenant; every other object belongs to exactly one.
#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    /// Identifier.
    pub id: OrgId,
    /// Display name, unique across the instance.
    pub name: String,
    /// Creation time.
    pub created_at: Timestamp,
}
