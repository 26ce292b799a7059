//! Users and their organization memberships.

use std::fmt;
use std::str::FromStr;

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

impl Role {
    /// All roles, for validation messages.
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Member, Role::Viewer];

    /// Wire and store name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    /// The highest scope a key of a user with this role may exercise.
    pub fn max_scope(self) -> Scope {
        match self {
            Role::Owner | Role::Admin => Scope::Admin,
            Role::Member => Scope::Write,
            Role::Viewer => Scope::Read,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or(())
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
