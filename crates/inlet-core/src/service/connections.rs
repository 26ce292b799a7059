//! Source connections: validated against the catalog, secrets sealed before
//! they reach the store, every access scoped to the caller's organization and
//! collection restriction.

use serde_json::{Map, Value};

use super::Services;
use super::ensure_switched_on;
use crate::auth::{Principal, Scope};
use crate::connector::{ConnectorError, Context, SourceConfig, TestReport};
use crate::crypto::Sealed;
use crate::error::{CoreError, CoreResult};
use crate::ids::{CollectionId, ConnectionId, OrgId};
use crate::list::{ConnectionFilter, Page, PageRequest};
use crate::model::audit::{AuditAction, AuditDraft};
use crate::model::catalog::SourceType;
use crate::model::connection::{
    ConfigUpdate, Connection, ConnectionChange, ConnectionPatch, ConnectionStatus,
    CredentialsUpdate, NewConnection,
};
use crate::model::now;
use crate::model::wire::WireEnum;
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

/// Several changes to a connection at once (see [`Services::edit_connection`]).
#[derive(Debug, Clone, Default)]
pub struct ConnectionEdit {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New labels (replacing the old ones).
    pub tags: Option<Vec<String>>,
    /// Credential fields to set; the others keep their values.
    pub credentials: Map<String, Value>,
    /// Config fields to set; the others keep their values.
    pub config: Map<String, Value>,
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
    if let Some(s) = filter.search.take() {
        let s = s.trim();
        if !s.is_empty() {
            filter.search = Some(s.to_owned());
        }
    }
    Ok(filter)
}

/// A validated patch of descriptive fields and a settable status.
fn connection_patch(
    name: Option<&str>,
    description: Option<&str>,
    tags: Option<&[String]>,
    status: Option<&str>,
) -> CoreResult<ConnectionPatch> {
    let status = status
        .map(|s| {
            let status = ConnectionStatus::parse_field(s, "status")?;
            if status.settable() {
                Ok(status)
            } else {
                Err(CoreError::invalid(
                    "status",
                    "must be one of pending, inactive, maintenance (tests set the others)",
                ))
            }
        })
        .transpose()?;
    Ok(ConnectionPatch {
        name: name.map(|n| validate::name("name", n)).transpose()?,
        description: description
            .map(|d| validate::description("description", d))
            .transpose()?,
        tags: tags.map(|t| validate::tags("tags", t)).transpose()?,
        status,
    })
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

    /// Changes name, description, tags or status. Only `pending`, `inactive`
    /// and `maintenance` can be set; tests decide the others.
    pub async fn update_connection(
        &self,
        who: &Principal,
        id: ConnectionId,
        name: Option<&str>,
        description: Option<&str>,
        tags: Option<&[String]>,
        status: Option<&str>,
    ) -> CoreResult<Connection> {
        who.require(Scope::Write)?;
        self.get_connection(who, id).await?;
        let patch = connection_patch(name, description, tags, status)?;
        self.store
            .audited(patch_event(who, id, &patch))
            .update_connection(who.org_id, id, patch)
            .await
    }

    /// Replaces credentials. Secret fields left out keep their stored value
    /// (clients cannot read them back); a secret sent as `null` is cleared
    /// unless the field is required. With `test_first`, the connection is
    /// tested with the new credentials before anything is written: a
    /// failing test changes nothing, a passing one is recorded with them
    /// (the connection is `active`).
    pub async fn update_credentials(
        &self,
        who: &Principal,
        id: ConnectionId,
        credentials: Map<String, Value>,
        test_first: bool,
    ) -> CoreResult<Connection> {
        who.require(Scope::Write)?;
        let conn = self.get_connection(who, id).await?;
        self.ensure_no_active_sync(who, id).await?;
        let sent: Vec<String> = credentials.keys().cloned().collect();
        let mut update = match self.credentials_update(&conn, &credentials) {
            Ok(update) => update,
            Err(e) => return Err(self.refused_edit(who, id, sent, e).await),
        };
        if test_first {
            match self.test_as_changed(&conn, Some(&update), None).await {
                Ok(Some(pinned)) => update.settings = pinned,
                Ok(None) => {}
                Err(e) => return Err(self.refused_edit(who, id, sent, e).await),
            }
        }
        let fields = changed_credentials(&conn, &credentials, true);
        let event = edit_event(
            who,
            id,
            &ConnectionPatch::default(),
            Some(fields),
            None,
            test_first,
        );
        let change = ConnectionChange {
            credentials: Some(update),
            tested_at: test_first.then(now),
            ..ConnectionChange::default()
        };
        let conn = self
            .store
            .audited(event)
            .change_connection(who.org_id, id, change)
            .await?;
        tracing::info!(connection = %id, tested = test_first, "credentials replaced");
        Ok(conn)
    }

    /// Tests `conn` as it would be with new credentials or configuration,
    /// writing nothing: the source's failure is the error. A passing test
    /// that pins an SSH host key returns the credential fields with the pin.
    async fn test_as_changed(
        &self,
        conn: &Connection,
        credentials: Option<&CredentialsUpdate>,
        config: Option<&ConfigUpdate>,
    ) -> CoreResult<Option<Map<String, Value>>> {
        let mut next = conn.clone();
        if let Some(update) = credentials {
            next.settings.clone_from(&update.settings);
            next.secrets.clone_from(&update.secrets);
        }
        if let Some(update) = config {
            next.config.clone_from(&update.config);
        }
        ensure_switched_on(&next, "test")?;
        let report = self
            .run_test(next.org_id, &next.source_type, &self.source_config(&next)?)
            .await?;
        let spec = self.source_type("sourceShortName", &next.source_type)?;
        Ok(pin(spec, &next.settings, &report))
    }

    /// Replaces configuration. A `schedule`, `timezone` or `continuous`
    /// there sets when the next scheduled sync runs (first slot after now);
    /// without them there is none.
    pub async fn update_config(
        &self,
        who: &Principal,
        id: ConnectionId,
        config: Map<String, Value>,
    ) -> CoreResult<Connection> {
        who.require(Scope::Write)?;
        let conn = self.get_connection(who, id).await?;
        self.ensure_no_active_sync(who, id).await?;
        let update = self.config_update(&conn, &config)?;
        let event = config_event(who, id, changed_config(&conn.config, &update.config));
        let change = ConnectionChange {
            config: Some(update),
            ..ConnectionChange::default()
        };
        self.store
            .audited(event)
            .change_connection(who.org_id, id, change)
            .await
    }

    /// Several changes at once (001's `PUT` and `PATCH`, 002's `PUT`):
    /// descriptive fields, and credential and config fields laid over the
    /// current ones (fields not named keep their values). Everything is
    /// validated before anything is written, so bad input changes nothing.
    /// With `test_first`, the connection as it would be is tested before
    /// anything is written too: a failing test changes nothing, a passing
    /// one is recorded (the connection is `active`).
    pub async fn edit_connection(
        &self,
        who: &Principal,
        id: ConnectionId,
        edit: ConnectionEdit,
        test_first: bool,
    ) -> CoreResult<Connection> {
        who.require(Scope::Write)?;
        let conn = self.get_connection(who, id).await?;
        let patch = connection_patch(
            edit.name.as_deref(),
            edit.description.as_deref(),
            edit.tags.as_deref(),
            None,
        )?;
        let credential_fields = changed_credentials(&conn, &edit.credentials, false);
        let sent: Vec<String> = edit.credentials.keys().cloned().collect();
        let mut credentials = if edit.credentials.is_empty() {
            None
        } else {
            let mut merged = conn.settings.clone();
            merged.extend(edit.credentials);
            match self.credentials_update(&conn, &merged) {
                Ok(update) => Some(update),
                Err(e) => return Err(self.refused_edit(who, id, sent, e).await),
            }
        };
        let config = if edit.config.is_empty() {
            None
        } else {
            let mut merged = conn.config.clone();
            merged.extend(edit.config);
            Some(self.config_update(&conn, &merged)?)
        };
        if credentials.is_some() || config.is_some() {
            self.ensure_no_active_sync(who, id).await?;
        }
        if test_first {
            match self
                .test_as_changed(&conn, credentials.as_ref(), config.as_ref())
                .await
            {
                Ok(Some(pinned)) => {
                    let update = match credentials.take() {
                        Some(update) => update,
                        None => self.credentials_kept(&conn)?,
                    };
                    credentials = Some(CredentialsUpdate {
                        settings: pinned,
                        ..update
                    });
                }
                Ok(None) => {}
                Err(e) if !sent.is_empty() => {
                    return Err(self.refused_edit(who, id, sent, e).await);
                }
                Err(e) => return Err(e),
            }
        }
        let event = edit_event(
            who,
            id,
            &patch,
            credentials.is_some().then_some(credential_fields),
            config
                .as_ref()
                .map(|update| changed_config(&conn.config, &update.config)),
            test_first,
        );
        let change = ConnectionChange {
            patch,
            credentials,
            config,
            tested_at: test_first.then(now),
        };
        let conn = self
            .store
            .audited(event)
            .change_connection(who.org_id, id, change)
            .await?;
        tracing::info!(connection = %id, "connection edited");
        Ok(conn)
    }

    /// Validated and sealed new credentials of `conn`.
    fn credentials_update(
        &self,
        conn: &Connection,
        credentials: &Map<String, Value>,
    ) -> CoreResult<CredentialsUpdate> {
        let spec = self.source_type("sourceShortName", &conn.source_type)?;
        // A pinned SSH host key stays pinned when an edit leaves it out
        // (clients replacing credentials may not know of it); only an
        // explicit empty value or null clears it.
        let mut credentials = credentials.clone();
        if let Some(pin) = conn.settings.get(PIN)
            && spec.auth_fields.iter().any(|f| f.name == PIN)
            && !credentials.contains_key(PIN)
        {
            credentials.insert(PIN.into(), pin.clone());
        }
        let credentials = &credentials;
        let kept: Vec<String> = conn
            .secret_fields
            .iter()
            .filter(|f| !credentials.contains_key(f.as_str()))
            .cloned()
            .collect();
        let checked = validate::fields("credentials", &spec.auth_fields, credentials, &kept)?;
        super::binding::check_destination(spec, &conn.settings, &checked.plain, &kept)?;
        self.check_settings(spec.short_name, &checked.plain, &conn.config)?;
        let mut secrets = match &conn.secrets {
            Some(sealed) => self.open(sealed)?,
            None => Map::new(),
        };
        secrets.retain(|k, _| kept.contains(k));
        secrets.extend(checked.secret);
        Ok(CredentialsUpdate {
            settings: checked.plain,
            secret_fields: secrets.keys().cloned().collect(),
            secrets: self.seal(&secrets)?,
        })
    }

    /// `conn`'s credentials as they are (secrets sealed as stored), to
    /// carry a pin learned by a test.
    fn credentials_kept(&self, conn: &Connection) -> CoreResult<CredentialsUpdate> {
        Ok(CredentialsUpdate {
            settings: conn.settings.clone(),
            secret_fields: conn.secret_fields.clone(),
            secrets: conn.secrets.clone(),
        })
    }

    /// The connector's own check of plain credential fields and configuration.
    fn check_settings(
        &self,
        source_type: &str,
        plain: &Map<String, Value>,
        config: &Map<String, Value>,
    ) -> CoreResult<()> {
        let source = SourceConfig {
            credentials: plain.clone(),
            config: config.clone(),
        };
        self.connector(source_type)?
            .check_settings(&source)
            .map_err(|p| CoreError::invalid(p.field, p.message))
    }

    /// Records that an edit naming credentials was refused (the fields sent
    /// and why, never a value), and hands back the refusal. Failing to
    /// record is logged: the caller's answer is the refusal either way.
    async fn refused_edit(
        &self,
        who: &Principal,
        id: ConnectionId,
        mut sent: Vec<String>,
        refusal: CoreError,
    ) -> CoreError {
        sent.sort();
        let mut event = who
            .audit(AuditAction::EditRefused)
            .object(id)
            .note("fields", sent);
        event = match &refusal {
            CoreError::Invalid { field, .. } => event.note("refusedField", field.as_str()),
            CoreError::Source { code, .. } => event.note("error", *code),
            other => event.note("error", refusal_kind(other)),
        };
        if let Err(e) = self.store.record_audit_event(&event).await {
            tracing::warn!(connection = %id, error = %e, "could not record a refused edit");
        }
        refusal
    }

    /// Validated new configuration of `conn`, with its next scheduled sync.
    fn config_update(
        &self,
        conn: &Connection,
        config: &Map<String, Value>,
    ) -> CoreResult<ConfigUpdate> {
        let spec = self.source_type("sourceShortName", &conn.source_type)?;
        let checked = validate::fields("config", &spec.config_fields, config, &[])?;
        let next_sync_at = self.next_sync_at(spec, &checked.plain)?;
        Ok(ConfigUpdate {
            config: checked.plain,
            next_sync_at,
        })
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
            self.cancel_active_sync(who, id, std::time::Duration::from_secs(10))
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
    /// connection (its next sync reads everything again).
    pub async fn clear_data(&self, who: &Principal, id: ConnectionId) -> CoreResult<u64> {
        who.require(Scope::Write)?;
        self.get_connection(who, id).await?;
        self.ensure_no_active_sync(who, id).await?;
        let n = self
            .store
            .audited(who.audit(AuditAction::DataCleared).object(id))
            .clear_documents(who.org_id, id)
            .await?;
        tracing::info!(connection = %id, documents = n, "indexed data cleared");
        Ok(n)
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
        bounded(&ctx, connector.test(&ctx, source)).await
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

    /// Re-seals every secret under the keyring's current key; returns how many
    /// rows changed. Safe to re-run: rows already under the current key are skipped.
    pub async fn reseal_all_secrets(&self) -> CoreResult<u64> {
        let mut done = 0;
        loop {
            let batch = self
                .store
                .secrets_not_under(self.keyring.current_id(), 500)
                .await?;
            if batch.is_empty() {
                return Ok(done);
            }
            for (id, old) in batch {
                let plain = self.keyring.open(&old)?;
                let new = self.keyring.seal(&plain)?;
                if self.store.reseal_secret(id, &old, &new).await? {
                    done += 1;
                }
            }
        }
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

    fn seal(&self, secrets: &Map<String, Value>) -> CoreResult<Option<Sealed>> {
        if secrets.is_empty() {
            return Ok(None);
        }
        let plain = zeroize::Zeroizing::new(
            serde_json::to_vec(secrets).map_err(|e| CoreError::Crypto(e.to_string()))?,
        );
        self.keyring.seal(&plain).map(Some)
    }

    fn open(&self, sealed: &Sealed) -> CoreResult<Map<String, Value>> {
        let plain = self.keyring.open(sealed)?;
        serde_json::from_slice(&plain)
            .map_err(|_| CoreError::Crypto("sealed credentials are not a JSON object".into()))
    }
}

/// Runs a connector call under the outbound timeout (plus a margin for the
/// connector's own bounded steps), mapping its failure to a service error.
pub(crate) async fn bounded<T>(
    ctx: &Context,
    fut: impl Future<Output = Result<T, ConnectorError>>,
) -> CoreResult<T> {
    let limit = ctx.timeout + ctx.timeout / 2;
    match tokio::time::timeout(limit, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(CoreError::Source {
            code: e.code(),
            message: e.to_string(),
        }),
        Err(_) => Err(CoreError::Source {
            code: "timeout",
            message: format!("the source did not answer within {} s", limit.as_secs_f32()),
        }),
    }
}

/// The credential field holding a source's pinned SSH host key.
const PIN: &str = "sshHostKey";

/// The credential fields with the SSH host key a passing test saw pinned,
/// when the source type has a `sshHostKey` field and none is pinned yet
/// (trust on first use); `None` when there is nothing to pin.
fn pin(
    spec: &SourceType,
    settings: &Map<String, Value>,
    report: &TestReport,
) -> Option<Map<String, Value>> {
    let seen = report.ssh_host_key.as_deref()?;
    let pinned = settings
        .get(PIN)
        .and_then(Value::as_str)
        .is_some_and(|k| !k.trim().is_empty());
    if pinned || !spec.auth_fields.iter().any(|f| f.name == PIN) {
        return None;
    }
    let mut with_pin = settings.clone();
    with_pin.insert(PIN.into(), Value::from(seen));
    Some(with_pin)
}

/// A short name for a refusal that is neither a field nor a source error.
fn refusal_kind(e: &CoreError) -> &'static str {
    match e {
        CoreError::NotFound(_) => "not_found",
        CoreError::Conflict(_) | CoreError::JobActive { .. } => "conflict",
        CoreError::Unauthorized(_) | CoreError::Forbidden(_) => "forbidden",
        _ => "internal",
    }
}

/// The event of a descriptive change: which fields, and their new values
/// (none of them is secret).
fn patch_event(who: &Principal, id: ConnectionId, patch: &ConnectionPatch) -> AuditDraft {
    let mut event = who.audit(AuditAction::ConnectionUpdated).object(id);
    for (field, value) in patch_notes(patch) {
        event = event.note(field, value);
    }
    event
}

/// A patch's fields and new values, for an event's summary.
fn patch_notes(patch: &ConnectionPatch) -> Vec<(&'static str, Value)> {
    let mut notes = Vec::new();
    if let Some(n) = &patch.name {
        notes.push(("name", Value::from(n.as_str())));
    }
    if let Some(d) = &patch.description {
        notes.push(("description", Value::from(d.as_str())));
    }
    if let Some(t) = &patch.tags {
        notes.push(("tags", Value::from(t.clone())));
    }
    if let Some(s) = patch.status {
        notes.push(("status", Value::from(s.as_str())));
    }
    notes
}

/// The names of the credential fields a change touches (every secret sent
/// counts: its old value is not compared), never their values. With
/// `replacing`, plain fields not sent are removed and count too.
fn changed_credentials(
    conn: &Connection,
    sent: &Map<String, Value>,
    replacing: bool,
) -> Vec<String> {
    let old = &conn.settings;
    let mut fields: Vec<String> = sent
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect();
    if replacing {
        fields.extend(old.keys().filter(|k| !sent.contains_key(*k)).cloned());
    }
    fields.sort();
    fields.dedup();
    fields
}

/// The names of the configuration fields that differ between two configs.
fn changed_config(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<String> {
    let mut changed: Vec<String> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .chain(old.keys().filter(|k| !new.contains_key(*k)).cloned())
        .collect();
    changed.sort();
    changed
}

/// The event of new credentials: the names of the fields that change.
fn credentials_event(who: &Principal, id: ConnectionId, fields: Vec<String>) -> AuditDraft {
    who.audit(AuditAction::CredentialsReplaced)
        .object(id)
        .note("fields", fields)
}

/// The event of a new configuration: the names of the fields that changed.
fn config_event(who: &Principal, id: ConnectionId, fields: Vec<String>) -> AuditDraft {
    who.audit(AuditAction::ConfigUpdated)
        .object(id)
        .note("fields", fields)
}

/// The one event of an edit. An edit of one kind (descriptive fields,
/// credentials or configuration) is recorded as that kind; an edit of
/// several as `connection.updated`, its summary naming each part
/// (`credentials` and `config` list field names). A test the edit passed
/// first adds `tested: true`; an edit that only tested is a test.
fn edit_event(
    who: &Principal,
    id: ConnectionId,
    patch: &ConnectionPatch,
    credentials: Option<Vec<String>>,
    config: Option<Vec<String>>,
    tested_first: bool,
) -> AuditDraft {
    let parts = usize::from(!patch.is_empty())
        + usize::from(credentials.is_some())
        + usize::from(config.is_some());
    let event = match (parts, credentials, config) {
        (0, _, _) => return tested(who, id, true),
        (1, Some(fields), None) => credentials_event(who, id, fields),
        (1, None, Some(fields)) => config_event(who, id, fields),
        (_, credentials, config) => {
            let mut event = patch_event(who, id, patch);
            if let Some(fields) = credentials {
                event = event.note("credentials", fields);
            }
            if let Some(fields) = config {
                event = event.note("config", fields);
            }
            event
        }
    };
    if tested_first {
        event.note("tested", true)
    } else {
        event
    }
}

/// The event of a test and its outcome.
fn tested(who: &Principal, id: ConnectionId, ok: bool) -> AuditDraft {
    who.audit(AuditAction::ConnectionTested)
        .object(id)
        .note("ok", ok)
}
