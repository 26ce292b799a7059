//! Users and their memberships of organizations.

use async_trait::async_trait;

use crate::error::CoreResult;
use crate::ids::{OrgId, UserId};
use crate::list::{Page, PageRequest};
use crate::model::user::{Membership, Role, User};

/// Users and their memberships of organizations.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user; a duplicate e-mail is `Conflict`.
    async fn create_user(&self, email: &str, name: &str) -> CoreResult<User>;

    /// One user.
    async fn get_user(&self, id: UserId) -> CoreResult<User>;

    /// Users by id.
    async fn list_users(&self, page: PageRequest) -> CoreResult<Page<User>>;

    /// Adds or changes a membership.
    async fn upsert_membership(
        &self,
        org: OrgId,
        user: UserId,
        role: Role,
    ) -> CoreResult<Membership>;

    /// Removes a membership; `NotFound` when there was none.
    async fn delete_membership(&self, org: OrgId, user: UserId) -> CoreResult<()>;

    /// A user's memberships.
    async fn list_memberships(&self, user: UserId) -> CoreResult<Vec<Membership>>;
}
