//! Organizations, users and memberships (instance administrators only), and
//! first-start bootstrap.

use super::Services;
use crate::auth::{Principal, Scope, generate_key, key_from_secret};
use crate::error::{CoreError, CoreResult};
use crate::ids::{OrgId, UserId};
use crate::list::{Page, PageRequest};
use crate::model::api_key::NewApiKey;
use crate::model::audit::AuditAction;
use crate::model::organization::Organization;
use crate::model::user::{Membership, Role, User};
use crate::model::wire::WireEnum;
use crate::policy::{OrgPolicy, OutboundPolicy};
use crate::secret::Secret;
use crate::validate;

/// An organization's outbound policy as a handler parsed it (unvalidated).
#[derive(Debug, Clone, Default)]
pub struct OrgPolicyInput {
    /// CIDR blocks the organization may reach (empty: no narrowing).
    pub allowed_networks: Vec<String>,
    /// CIDR blocks it may not reach.
    pub denied_networks: Vec<String>,
    /// Refuse loopback and Inlet's own addresses.
    pub deny_local: bool,
    /// Directories its file sources may read (`None`: every instance root).
    pub file_roots: Option<Vec<String>>,
}

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
        // The operator at the command line acted: the trail starts with it.
        let operator = Principal::operator(org.id);
        self.store
            .record_audit_event(
                &operator
                    .audit(AuditAction::OrganizationCreated)
                    .object(org.id)
                    .note("name", DEFAULT_ORG)
                    .note("bootstrap", true),
            )
            .await?;
        let key = match given {
            Some(secret) => key_from_secret(secret),
            None => generate_key(),
        };
        let name = "bootstrap admin";
        let scopes = vec![Scope::Read, Scope::Write, Scope::Admin];
        let event = operator
            .audit(AuditAction::ApiKeyCreated)
            .note("name", name)
            .note(
                "scopes",
                scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            )
            .note("instanceAdmin", true);
        self.store
            .audited(event)
            .create_api_key(NewApiKey {
                org_id: org.id,
                user_id: None,
                name: name.into(),
                hash: key.hash,
                prefix: key.prefix,
                scopes,
                collection_ids: vec![],
                instance_admin: true,
                expires_at: None,
                parent_key_id: None,
            })
            .await?;
        // The instance's own organization works under the instance policy
        // as configured; every later one starts restricted.
        let policy = OrgPolicy::unrestricted();
        let event = operator
            .audit(AuditAction::OrgPolicySet)
            .object(org.id)
            .note("policy", policy.to_json());
        self.store
            .audited(event)
            .set_org_policy(org.id, &policy)
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

    /// An organization's outbound policy (instance administrators).
    pub async fn org_policy(&self, who: &Principal, id: OrgId) -> CoreResult<OrgPolicy> {
        who.require_instance_admin()?;
        self.store.org_policy(id).await
    }

    /// Replaces an organization's outbound policy (instance administrators).
    /// Networks are CIDR blocks or addresses; file roots must be existing
    /// directories inside the instance's roots (`INLET_FILE_ROOTS`), and are
    /// kept as their canonical paths.
    pub async fn set_org_policy(
        &self,
        who: &Principal,
        id: OrgId,
        input: OrgPolicyInput,
    ) -> CoreResult<OrgPolicy> {
        who.require_instance_admin()?;
        let nets = |field: &str, list: &[String]| {
            list.iter()
                .enumerate()
                .map(|(i, s)| {
                    OutboundPolicy::parse_networks(field, s)
                        .ok()
                        .filter(|n| n.len() == 1)
                        .and_then(|n| n.into_iter().next())
                        .ok_or_else(|| {
                            CoreError::invalid(
                                format!("{field}[{i}]"),
                                "must be a CIDR network (10.0.0.0/8) or an address",
                            )
                        })
                })
                .collect::<CoreResult<Vec<_>>>()
        };
        let file_roots = match &input.file_roots {
            None => None,
            Some(roots) => Some(
                roots
                    .iter()
                    .enumerate()
                    .map(|(i, r)| self.granted_root(&format!("fileRoots[{i}]"), r))
                    .collect::<CoreResult<Vec<_>>>()?,
            ),
        };
        let policy = OrgPolicy {
            allowed_networks: nets("allowedNetworks", &input.allowed_networks)?,
            denied_networks: nets("deniedNetworks", &input.denied_networks)?,
            deny_local: input.deny_local,
            file_roots,
        };
        self.store.get_org(id).await?;
        let event = who
            .audit(AuditAction::OrgPolicySet)
            .in_org(id)
            .object(id)
            .note("policy", policy.to_json());
        self.store.audited(event).set_org_policy(id, &policy).await
    }

    /// A file root an administrator grants: an existing directory inside an
    /// instance root, as its canonical path.
    fn granted_root(&self, field: &str, raw: &str) -> CoreResult<std::path::PathBuf> {
        let path = std::path::Path::new(raw.trim());
        if !path.is_absolute() {
            return Err(CoreError::invalid(field, "must be an absolute path"));
        }
        let canonical = std::fs::canonicalize(path)
            .ok()
            .filter(|p| p.is_dir())
            .ok_or_else(|| CoreError::invalid(field, "must be an existing directory"))?;
        let instance = &self.outbound.policy.file_roots;
        if !instance.iter().any(|root| canonical.starts_with(root)) {
            return Err(CoreError::invalid(
                field,
                "must lie inside one of the instance's file roots (INLET_FILE_ROOTS)",
            ));
        }
        Ok(canonical)
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
