//! Users and their organization memberships.

use super::Timestamp;
use crate::auth::Scope;
use crate::ids::{OrgId, UserId};

/// A person who may hold API keys.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Identifier.
    pub id: UserId,
    /// Unique e-mail address (lowercased).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Creation time.
    pub created_at: Timestamp,
}

/// A user's role in an organization; it caps the scopes of the user's keys there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Full control, including the organization's keys.
    Owner,
    /// Manages connections, collections and keys.
    Admin,
    /// Reads and writes connections and collections.
    Member,
    /// Reads only.
    Viewer,
}

crate::wire_enum!(Role { Owner => "owner", Admin => "admin", Member => "member", Viewer => "viewer" });

impl Role {
    /// The highest scope a key of a user with this role may exercise.
    pub fn max_scope(self) -> Scope {
        match self {
            Role::Owner | Role::Admin => Scope::Admin,
            Role::Member => Scope::Write,
            Role::Viewer => Scope::Read,
        }
    }
}

/// A user's membership of an organization.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    /// The organization.
    pub org_id: OrgId,
    /// The user.
    pub user_id: UserId,
    /// Role in that organization.
    pub role: Role,
    /// When the membership was created.
    pub created_at: Timestamp,
}
