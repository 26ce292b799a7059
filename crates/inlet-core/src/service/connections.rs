//! Source connections: validated against the catalog, secrets sealed before
//! they reach the store, every access scoped to the caller's organization and
//! collection restriction.

use serde_json::{Map, Value};

use super::Services;
use super::connection_edits::pin;
use super::connection_events::tested;
use super::ensure_switched_on;
use crate::auth::{Principal, Scope};
use crate::connector::{SourceConfig, TestReport};
use crate::error::{CoreError, CoreResult};
use crate::ids::{CollectionId, ConnectionId, OrgId};
use crate::list::{ConnectionFilter, Page, PageRequest};
use crate::model::audit::AuditAction;
use crate::model::catalog::SourceType;
use crate::model::connection::{
    Connection, ConnectionChange, ConnectionStatus, CredentialsUpdate, NewConnection,
};
use crate::model::now;
use crate::validate;

/// A new connection as parsed by a handler (unvalidated).
#[derive(Debug, Clone)]
pub struct ConnectionInput {
    /// Target collection.
    pub collection_id: CollectionId,
    /// Catalog short name.
    pub source_type: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Credential fields (secret and not).
    pub credentials: Map<String, Value>,
    /// Configuration fields.
    pub config: Map<String, Value>,
    /// Labels.
    pub tags: Vec<String>,
}

/// `filter` confined to what `who` may read: the key's collections, and a
/// search term trimmed (an empty one is no search).
pub(super) fn reachable(
    who: &Principal,
    mut filter: ConnectionFilter,
) -> CoreResult<ConnectionFilter> {
    who.require(Scope::Read)?;
    if let Some(c) = filter.collection_id {
        who.require_collection(c)?;
    }
    filter.within_collections = who.collections.clone();
    if let Some(s) = filter.contains.take() {
        let s = s.trim();
        if !s.is_empty() {
            filter.contains = Some(s.to_owned());
        }
    }
    Ok(filter)
}

impl Services {
    /// Creates a connection in status `pending`. With `test_first`, the
    /// source is tested before anything is stored: a failing test creates
    /// nothing, a passing one creates the connection `active`.
    pub async fn create_connection(
        &self,
        who: &Principal,
        input: ConnectionInput,
        test_first: bool,
    ) -> CoreResult<Connection> {
        who.require(Scope::Write)?;
        let spec = self.source_type("sourceShortName", &input.source_type)?;
        let name = validate::name("name", &input.name)?;
        let description =
            validate::description("description", input.description.as_deref().unwrap_or(""))?;
        let tags = validate::tags("tags", &input.tags)?;
        let mut creds =
            validate::fields("credentials", &spec.auth_fields, &input.credentials, &[])?;
        let config = validate::fields("config", &spec.config_fields, &input.config, &[])?;
        self.check_settings(spec.short_name, &creds.plain, &config.plain)?;
        let next_sync_at = self.next_sync_at(spec, &config.plain)?;
        who.require_collection(input.collection_id)?;
        if test_first {
            // The collection must exist before anything reaches out.
            self.store
                .get_collection(who.org_id, input.collection_id)
                .await?;
            let mut credentials = creds.plain.clone();
            credentials.extend(creds.secret.clone());
            let source = SourceConfig {
                credentials,
                config: config.plain.clone(),
            };
            let report = self.run_test(who.org_id, spec.short_name, &source).await?;
            if let Some(pinned) = pin(spec, &creds.plain, &report) {
                creds.plain = pinned;
            }
        }
        let secret_fields: Vec<String> = creds.secret.keys().cloned().collect();
        let secrets = self.seal(&creds.secret)?;
        let event = who
            .audit(AuditAction::ConnectionCreated)
            .note("name", name.as_str())
            .note("sourceShortName", spec.short_name)
            .note("collectionId", input.collection_id.to_string());
        let mut conn = self
            .store
            .audited(event)
            .create_connection(NewConnection {
                org_id: who.org_id,
                collection_id: input.collection_id,
                source_type: spec.short_name.to_owned(),
                name,
                description,
                settings: creds.plain,
                config: config.plain,
                secret_fields,
                secrets,
                tags,
                next_sync_at,
            })
            .await?;
        if test_first {
            conn = self
                .store
                .audited(tested(who, conn.id, true))
                .record_test(who.org_id, conn.id, now(), None)
                .await?;
        }
        tracing::info!(connection = %conn.id, source = %conn.source_type, "connection created");
        Ok(conn)
    }

    /// One connection.
    pub async fn get_connection(
        &self,
        who: &Principal,
        id: ConnectionId,
    ) -> CoreResult<Connection> {
        who.require(Scope::Read)?;
        let conn = self.store.get_connection(who.org_id, id).await?;
        who.require_collection(conn.collection_id)?;
        Ok(conn)
    }

    /// A filtered, sorted page of connections the caller can reach.
    pub async fn list_connections(
        &self,
        who: &Principal,
        filter: ConnectionFilter,
        page: PageRequest,
    ) -> CoreResult<Page<Connection>> {
        let filter = reachable(who, filter)?;
        match who.list_generation {
            Some(generation) => {
                self.store
                    .list_connections_at(who.org_id, &filter, page, generation)
                    .await
            }
            None => self.store.list_connections(who.org_id, &filter, page).await,
        }
    }

    /// Deletes a connection with its documents, jobs and sync state. While a
    /// sync holds it this is [`CoreError::JobActive`], unless `force`, which
    /// cancels the sync first. Indexed data never outlives its connection:
    /// `keep_data` is refused, pointing at switching the connection off.
    pub async fn delete_connection(
        &self,
        who: &Principal,
        id: ConnectionId,
        force: bool,
        keep_data: bool,
    ) -> CoreResult<()> {
        who.require(Scope::Write)?;
        if keep_data {
            return Err(CoreError::invalid(
                "keepData",
                "indexed data is deleted with its connection; set the connection's status to inactive to stop syncing and keep its data",
            ));
        }
        self.get_connection(who, id).await?;
        if force {
            self.cancel_active_sync(
                who,
                id,
                std::time::Duration::from_secs(10),
                "connection deleted with force",
            )
            .await?;
        } else {
            self.ensure_no_active_sync(who, id).await?;
        }
        self.store
            .audited(who.audit(AuditAction::ConnectionDeleted).object(id))
            .delete_connection(who.org_id, id)
            .await?;
        tracing::info!(connection = %id, "connection deleted");
        Ok(())
    }

    /// Removes a connection's indexed documents and cursors, keeping the
    /// connection (its next sync reads everything again); answers how many
    /// went and the change-log `seq` a search can wait for (`after`).
    pub async fn clear_data(
        &self,
        who: &Principal,
        id: ConnectionId,
    ) -> CoreResult<crate::store::Cleared> {
        who.require(Scope::Write)?;
        self.get_connection(who, id).await?;
        self.ensure_no_active_sync(who, id).await?;
        let cleared = self
            .store
            .audited(who.audit(AuditAction::DataCleared).object(id))
            .clear_documents(who.org_id, id)
            .await?;
        tracing::info!(connection = %id, documents = cleared.documents, "indexed data cleared");
        Ok(cleared)
    }

    /// Tests a connection for real: status `testing` while it runs, then
    /// `active` or `failed` with the time and the error recorded. A failed
    /// test answers the source's reason as an error, after recording it.
    pub async fn test_connection(
        &self,
        who: &Principal,
        id: ConnectionId,
    ) -> CoreResult<Connection> {
        who.require(Scope::Write)?;
        let conn = self.get_connection(who, id).await?;
        ensure_switched_on(&conn, "test")?;
        let source = self.source_config(&conn)?;
        self.store
            .set_status(who.org_id, id, ConnectionStatus::Testing)
            .await?;
        // The test runs in a task of its own: a client that hangs up must not
        // leave the connection `testing` with no result recorded.
        let this = self.clone();
        let org = who.org_id;
        let who = who.clone();
        let task = tokio::spawn(async move {
            let outcome = this.run_test(org, &conn.source_type, &source).await;
            let pinned = match &outcome {
                Ok(report) => pin(
                    this.source_type("sourceShortName", &conn.source_type)?,
                    &conn.settings,
                    report,
                ),
                Err(_) => None,
            };
            let recorded = match pinned {
                // The first passing test pins the SSH host key it saw, in
                // the same transaction that records the test.
                Some(settings) => {
                    let change = ConnectionChange {
                        credentials: Some(CredentialsUpdate {
                            settings,
                            ..this.credentials_kept(&conn)?
                        }),
                        tested_at: Some(now()),
                        ..ConnectionChange::default()
                    };
                    let event = tested(&who, id, true).note("sshHostKeyPinned", true);
                    this.store
                        .audited(event)
                        .change_connection(org, id, change)
                        .await?
                }
                None => {
                    let error = outcome.as_ref().err().map(ToString::to_string);
                    this.store
                        .audited(tested(&who, id, outcome.is_ok()))
                        .record_test(org, id, now(), error.as_deref())
                        .await?
                }
            };
            tracing::info!(connection = %id, ok = outcome.is_ok(), "connection tested");
            outcome.map(|_| recorded)
        });
        task.await
            .map_err(|e| CoreError::Store(format!("connection test task failed: {e}")))?
    }

    pub(crate) async fn run_test(
        &self,
        org: OrgId,
        source_type: &str,
        source: &SourceConfig,
    ) -> CoreResult<TestReport> {
        let connector = self.connector(source_type)?;
        let ctx = self.outbound_for(org).await?;
        super::outbound::bounded(&ctx, connector.test(&ctx, source)).await
    }

    pub(crate) fn connector(
        &self,
        source_type: &str,
    ) -> CoreResult<&std::sync::Arc<dyn crate::connector::Connector>> {
        self.catalog
            .get(source_type)
            .ok_or_else(|| CoreError::Store(format!("no connector for stored type {source_type}")))
    }

    /// Every credential (secrets opened) and the configuration of a stored connection.
    pub(crate) fn source_config(&self, conn: &Connection) -> CoreResult<SourceConfig> {
        let mut credentials = conn.settings.clone();
        if let Some(sealed) = &conn.secrets {
            credentials.extend(self.open(sealed)?);
        }
        Ok(SourceConfig {
            credentials,
            config: conn.config.clone(),
        })
    }

    /// The catalog entry for `short_name`, or a 400 naming `field`.
    pub fn source_type(&self, field: &str, short_name: &str) -> CoreResult<&SourceType> {
        self.catalog
            .get(short_name)
            .map(|c| c.spec())
            .ok_or_else(|| {
                CoreError::invalid(
                    field,
                    format!(
                        "unknown source type; expected one of: {}",
                        self.catalog.short_names().join(", ")
                    ),
                )
            })
    }
}
