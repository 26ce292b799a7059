//! Organizations and their outbound policy.

use async_trait::async_trait;
use inlet_core::error::{CoreError, CoreResult};
use inlet_core::ids::OrgId;
use inlet_core::list::{Page, PageRequest};
use inlet_core::model::audit::AuditDraft;
use inlet_core::model::now;
use inlet_core::model::organization::Organization;
use inlet_core::policy::OrgPolicy;
use inlet_core::store::OrgStore;

use crate::db::{DbError, Sql};
use crate::rows::{self, ms};
use crate::sql_store::{SqlStore, one};

#[async_trait]
impl OrgStore for SqlStore {
    async fn create_org(&self, name: &str) -> CoreResult<Organization> {
        let q = Sql::new(
            "INSERT INTO organizations (name, created_at) VALUES (?, ?) RETURNING id, name, created_at",
        )
        .arg(name)
        .arg(ms(now()));
        let result = async {
            let mut tx = self.db.begin().await?;
            let rows = tx.query(&q).await?;
            if let (Some(e), Some(id)) = (&self.audit, rows.first().and_then(|r| r.i64("id").ok()))
            {
                // Its creation is the new organization's first event.
                let e = AuditDraft {
                    org_id: OrgId(id),
                    ..(**e).clone()
                };
                crate::audit::write_event(&mut tx, &e, Some(OrgId(id).to_string())).await?;
            }
            tx.commit().await?;
            Ok::<_, DbError>(rows)
        }
        .await;
        match result {
            Ok(rows) => one(rows, "organization", rows::org),
            Err(DbError::Unique(_)) => Err(CoreError::Conflict(
                "an organization with this name already exists".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    async fn get_org(&self, id: OrgId) -> CoreResult<Organization> {
        let q = Sql::new("SELECT id, name, created_at FROM organizations WHERE id = ?").arg(id.0);
        one(self.db.fetch_all(&q).await?, "organization", rows::org)
    }

    async fn list_orgs(&self, page: PageRequest) -> CoreResult<Page<Organization>> {
        let q = Sql::new("SELECT id, name, created_at FROM organizations ORDER BY id");
        let count = Sql::new("SELECT count(*) AS n FROM organizations");
        self.paged(q, count, page, rows::org).await
    }

    async fn count_orgs(&self) -> CoreResult<u64> {
        self.count(&Sql::new("SELECT count(*) AS n FROM organizations"))
            .await
    }

    async fn org_policy(&self, id: OrgId) -> CoreResult<OrgPolicy> {
        let q = Sql::new("SELECT outbound_policy FROM organizations WHERE id = ?").arg(id.0);
        let rows = self.db.fetch_all(&q).await?;
        let row = rows.first().ok_or(CoreError::NotFound("organization"))?;
        match row.opt_text("outbound_policy")? {
            None => Ok(OrgPolicy::restricted()),
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| e.to_string())
                .and_then(|v| OrgPolicy::from_json(&v))
                .map_err(|e| CoreError::Store(format!("organization {id}'s outbound policy: {e}"))),
        }
    }

    async fn set_org_policy(&self, id: OrgId, policy: &OrgPolicy) -> CoreResult<OrgPolicy> {
        let q = Sql::new("UPDATE organizations SET outbound_policy = ? WHERE id = ? RETURNING id")
            .arg(policy.to_json().to_string())
            .arg(id.0);
        if self.write_audited(&q, |_| None).await?.is_empty() {
            return Err(CoreError::NotFound("organization"));
        }
        Ok(policy.clone())
    }
}
