//! Organizations, users and memberships (instance administrators only), and
//! first-start bootstrap.

use super::Services;
use crate::auth::{Principal, Scope, generate_key, key_from_secret};
use crate::error::CoreResult;
use crate::ids::{OrgId, UserId};
use crate::list::{Page, PageRequest};
use crate::model::api_key::NewApiKey;
use crate::model::audit::AuditAction;
use crate::model::organization::Organization;
use crate::model::user::{Membership, Role, User};
use crate::model::wire::WireEnum;
use crate::secret::Secret;
use crate::validate;

/// Name of the organization created on first start.
pub const DEFAULT_ORG: &str = "default";

impl Services {
    /// On an empty store, creates organization "default" and an instance
    /// administrator's service token — `given` when set, random otherwise —
    /// and returns its secret. On a non-empty store does nothing.
    pub async fn bootstrap(&self, given: Option<Secret>) -> CoreResult<Option<Secret>> {
        if self.store.count_orgs().await? > 0 {
            return Ok(None);
        }
        let org = self.store.create_org(DEFAULT_ORG).await?;
        let key = match given {
            Some(secret) => key_from_secret(secret),
            None => generate_key(),
        };
        self.store
            .create_api_key(NewApiKey {
                org_id: org.id,
                user_id: None,
                name: "bootstrap admin".into(),
                hash: key.hash,
                prefix: key.prefix,
                scopes: vec![Scope::Read, Scope::Write, Scope::Admin],
                collection_ids: vec![],
                instance_admin: true,
                expires_at: None,
            })
            .await?;
        tracing::info!(org = %org.id, "bootstrapped organization and admin key");
        Ok(Some(key.secret))
    }

    /// Creates an organization.
    pub async fn create_org(&self, who: &Principal, name: &str) -> CoreResult<Organization> {
        who.require_instance_admin()?;
        let name = validate::name("name", name)?;
        let event = who
            .audit(AuditAction::OrganizationCreated)
            .note("name", name.as_str());
        self.store.audited(event).create_org(&name).await
    }

    /// Lists organizations.
    pub async fn list_orgs(
        &self,
        who: &Principal,
        page: PageRequest,
    ) -> CoreResult<Page<Organization>> {
        who.require_instance_admin()?;
        self.store.list_orgs(page).await
    }

    /// One organization: instance admins see any, others only their own.
    pub async fn get_org(&self, who: &Principal, id: OrgId) -> CoreResult<Organization> {
        if !who.instance_admin && who.org_id != id {
            return Err(crate::CoreError::NotFound("organization"));
        }
        self.store.get_org(id).await
    }

    /// Creates a user.
    pub async fn create_user(&self, who: &Principal, email: &str, name: &str) -> CoreResult<User> {
        who.require_instance_admin()?;
        let email = validate::email("email", email)?;
        let name = validate::name("name", name)?;
        let event = who
            .audit(AuditAction::UserCreated)
            .note("email", email.as_str())
            .note("name", name.as_str());
        self.store.audited(event).create_user(&email, &name).await
    }

    /// Lists users.
    pub async fn list_users(&self, who: &Principal, page: PageRequest) -> CoreResult<Page<User>> {
        who.require_instance_admin()?;
        self.store.list_users(page).await
    }

    /// One user.
    pub async fn get_user(&self, who: &Principal, id: UserId) -> CoreResult<User> {
        who.require_instance_admin()?;
        self.store.get_user(id).await
    }

    /// Adds a user to an organization, or changes the role.
    pub async fn set_membership(
        &self,
        who: &Principal,
        user: UserId,
        org: OrgId,
        role: Role,
    ) -> CoreResult<Membership> {
        who.require_instance_admin()?;
        self.store.get_user(user).await?;
        self.store.get_org(org).await?;
        let event = who
            .audit(AuditAction::MembershipSet)
            .in_org(org)
            .object(user)
            .note("role", role.as_str());
        self.store
            .audited(event)
            .upsert_membership(org, user, role)
            .await
    }

    /// A user's memberships.
    pub async fn list_memberships(
        &self,
        who: &Principal,
        user: UserId,
    ) -> CoreResult<Vec<Membership>> {
        who.require_instance_admin()?;
        self.store.get_user(user).await?;
        self.store.list_memberships(user).await
    }

    /// Removes a user from an organization.
    pub async fn remove_membership(
        &self,
        who: &Principal,
        user: UserId,
        org: OrgId,
    ) -> CoreResult<()> {
        who.require_instance_admin()?;
        let event = who
            .audit(AuditAction::MembershipRemoved)
            .in_org(org)
            .object(user);
        self.store.audited(event).delete_membership(org, user).await
    }
}
