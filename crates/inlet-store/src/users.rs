//! Users and their memberships.

use async_trait::async_trait;
use inlet_core::error::{CoreError, CoreResult};
use inlet_core::ids::{OrgId, UserId};
use inlet_core::list::{Page, PageRequest};
use inlet_core::model::now;
use inlet_core::model::user::{Membership, Role, User};
use inlet_core::model::wire::WireEnum;
use inlet_core::store::UserStore;

use crate::audit::first_id;
use crate::db::{DbError, Sql};
use crate::keys::revoke_under;
use crate::rows::{self, ms};
use crate::sql_store::{SqlStore, one};

#[async_trait]
impl UserStore for SqlStore {
    async fn create_user(&self, email: &str, name: &str) -> CoreResult<User> {
        let q = Sql::new(
            "INSERT INTO users (email, name, created_at) VALUES (?, ?, ?) RETURNING id, email, name, created_at",
        )
        .arg(email)
        .arg(name)
        .arg(ms(now()));
        match self.write_audited(&q, |r| first_id(r, UserId)).await {
            Ok(rows) => one(rows, "user", rows::user),
            Err(DbError::Unique(_)) => Err(CoreError::Conflict(
                "a user with this email already exists".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    async fn get_user(&self, id: UserId) -> CoreResult<User> {
        let q = Sql::new("SELECT id, email, name, created_at FROM users WHERE id = ?").arg(id.0);
        one(self.db.fetch_all(&q).await?, "user", rows::user)
    }

    async fn list_users(&self, page: PageRequest) -> CoreResult<Page<User>> {
        let q = Sql::new("SELECT id, email, name, created_at FROM users ORDER BY id");
        let count = Sql::new("SELECT count(*) AS n FROM users");
        self.paged(q, count, page, rows::user).await
    }

    async fn upsert_membership(
        &self,
        org: OrgId,
        user: UserId,
        role: Role,
    ) -> CoreResult<Membership> {
        let q = Sql::new(
            "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role \
             RETURNING org_id, user_id, role, created_at",
        )
        .arg(org.0)
        .arg(user.0)
        .arg(role.as_str())
        .arg(ms(now()));
        match self.write_audited(&q, |_| None).await {
            Ok(rows) => one(rows, "membership", rows::membership),
            Err(DbError::ForeignKey(_)) => Err(CoreError::NotFound("organization or user")),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete_membership(&self, org: OrgId, user: UserId) -> CoreResult<()> {
        let q =
            Sql::new("DELETE FROM memberships WHERE org_id = ? AND user_id = ? RETURNING org_id")
                .arg(org.0)
                .arg(user.0);
        // The user's own keys stop at the next request (authentication
        // joins the membership); keys they created end with it, for good.
        let under = revoke_under(
            "parent_key_id IN (SELECT id FROM api_keys WHERE org_id = ? AND user_id = ?)",
            org.0,
        )
        .arg(user.0);
        if self.write_audited_then(&q, &under).await?.is_empty() {
            return Err(CoreError::NotFound("membership"));
        }
        Ok(())
    }

    async fn list_memberships(&self, user: UserId) -> CoreResult<Vec<Membership>> {
        let q = Sql::new(
            "SELECT org_id, user_id, role, created_at FROM memberships WHERE user_id = ? ORDER BY org_id",
        )
        .arg(user.0);
        let rows = self.db.fetch_all(&q).await?;
        Ok(rows
            .iter()
            .map(rows::membership)
            .collect::<Result<_, _>>()?)
    }
}
