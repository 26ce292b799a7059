//! Changing a connection: descriptive fields, credentials and configuration,
//! alone or in one edit. Every change is validated before anything is
//! written; a stored secret never follows a new destination (see
//! `binding.rs`); an edit may be tested first, and a passing test pins the
//! SSH host key it saw.

use serde_json::{Map, Value};

use super::Services;
use super::connection_events::{
    changed_config, changed_credentials, config_event, edit_event, patch_event,
};
use super::ensure_switched_on;
use crate::auth::{Principal, Scope};
use crate::connector::{SourceConfig, TestReport};
use crate::error::{CoreError, CoreResult};
use crate::ids::ConnectionId;
use crate::model::audit::AuditAction;
use crate::model::catalog::SourceType;
use crate::model::connection::{
    ConfigUpdate, Connection, ConnectionChange, ConnectionPatch, ConnectionStatus,
    CredentialsUpdate,
};
use crate::model::job::JobKind;
use crate::model::now;
use crate::model::wire::WireEnum;
use crate::validate;

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

/// How an edit's credential fields meet the stored ones.
#[derive(Clone, Copy)]
enum Credentials {
    /// They are the whole new set: plain fields left out are removed.
    Replace,
    /// They are laid over the stored ones.
    Merge,
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

/// How long replacing credentials with `cancel` waits for the running sync
/// to stop before answering that it is still in progress.
const CANCEL_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// When a configuration change takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigApplies {
    /// No sync was running: the next one (or test) uses it.
    Now,
    /// A sync is running with the configuration it started with; the change
    /// applies from the next sync.
    NextSync,
}

/// How credentials are replaced.
#[derive(Debug, Clone, Copy, Default)]
pub struct CredentialsOptions {
    /// Test the connection with them first (nothing changes if it fails).
    pub test_first: bool,
    /// Cancel a queued or running sync first instead of answering that one
    /// is in progress.
    pub cancel_sync: bool,
}

impl Services {
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
    /// unless the field is required; plain fields left out are removed. With
    /// `test_first`, the connection is tested with the new credentials
    /// before anything is written: a failing test changes nothing, a passing
    /// one is recorded with them (the connection is `active`).
    pub async fn update_credentials(
        &self,
        who: &Principal,
        id: ConnectionId,
        credentials: Map<String, Value>,
        options: CredentialsOptions,
    ) -> CoreResult<Connection> {
        if options.cancel_sync {
            who.require(Scope::Write)?;
            self.get_connection(who, id).await?;
            self.cancel_active_sync(who, id, CANCEL_WAIT, "credentials replaced with cancel")
                .await?;
        }
        let test_first = options.test_first;
        let edit = ConnectionEdit {
            credentials,
            ..ConnectionEdit::default()
        };
        self.apply_edit(who, id, edit, Credentials::Replace, test_first)
            .await
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
    /// without them there is none. Accepted while a sync runs: that sync
    /// keeps the configuration it started with, and the change applies from
    /// the next one (which the answer says).
    pub async fn update_config(
        &self,
        who: &Principal,
        id: ConnectionId,
        config: Map<String, Value>,
    ) -> CoreResult<(Connection, ConfigApplies)> {
        who.require(Scope::Write)?;
        let conn = self.get_connection(who, id).await?;
        let update = self.config_update(&conn, &config)?;
        let event = config_event(who, id, changed_config(&conn.config, &update.config));
        let change = ConnectionChange {
            config: Some(update),
            ..ConnectionChange::default()
        };
        let changed = self
            .store
            .audited(event)
            .change_connection(who.org_id, id, change)
            .await?;
        let applies = match self
            .store
            .active_job_id(who.org_id, id, JobKind::Sync)
            .await?
        {
            Some(_) => ConfigApplies::NextSync,
            None => ConfigApplies::Now,
        };
        Ok((changed, applies))
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
        self.apply_edit(who, id, edit, Credentials::Merge, test_first)
            .await
    }

    /// One edit, validated, optionally tested, and written in one
    /// transaction with its one event. An edit that touches credentials and
    /// is refused (bad input, a secret that may not follow, a failing test)
    /// is recorded as refused.
    async fn apply_edit(
        &self,
        who: &Principal,
        id: ConnectionId,
        edit: ConnectionEdit,
        mode: Credentials,
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
        let replacing = matches!(mode, Credentials::Replace);
        let credential_fields = changed_credentials(&conn, &edit.credentials, replacing);
        let sent: Vec<String> = edit.credentials.keys().cloned().collect();
        let credentials = match self.edited_credentials(&conn, edit.credentials, mode) {
            Ok(update) => update,
            Err(e) => return Err(self.refused_edit(who, id, sent, e).await),
        };
        let config = if edit.config.is_empty() {
            None
        } else {
            let mut merged = conn.config.clone();
            merged.extend(edit.config);
            Some(self.config_update(&conn, &merged)?)
        };
        // A running sync keeps the configuration it started with; new
        // credentials would change where it reads mid-way, so they wait.
        if credentials.is_some() {
            self.ensure_no_active_sync(who, id).await?;
        }
        let credentials = if test_first {
            self.test_edit(who, id, &conn, credentials, config.as_ref(), sent)
                .await?
        } else {
            credentials
        };
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
        tracing::info!(connection = %id, tested = test_first, "connection edited");
        Ok(conn)
    }

    /// The credentials an edit leaves: none to write when it names no field
    /// and merges; else its fields laid over the stored ones (or, replacing,
    /// alone), validated and sealed.
    fn edited_credentials(
        &self,
        conn: &Connection,
        fields: Map<String, Value>,
        mode: Credentials,
    ) -> CoreResult<Option<CredentialsUpdate>> {
        let replacing = matches!(mode, Credentials::Replace);
        if fields.is_empty() && !replacing {
            return Ok(None);
        }
        let mut next = if replacing {
            Map::new()
        } else {
            conn.settings.clone()
        };
        next.extend(fields);
        self.credentials_update(conn, &next).map(Some)
    }

    /// Tests `conn` as an edit would leave it, before anything is written.
    /// The credentials to write: the edit's, with the SSH host key a passing
    /// test pinned (on the stored credentials when the edit changes none). A
    /// failing test of new credentials is recorded as a refused edit.
    async fn test_edit(
        &self,
        who: &Principal,
        id: ConnectionId,
        conn: &Connection,
        credentials: Option<CredentialsUpdate>,
        config: Option<&ConfigUpdate>,
        sent: Vec<String>,
    ) -> CoreResult<Option<CredentialsUpdate>> {
        match self
            .test_as_changed(conn, credentials.as_ref(), config)
            .await
        {
            Ok(Some(pinned)) => {
                let update = match credentials {
                    Some(update) => update,
                    None => self.credentials_kept(conn)?,
                };
                Ok(Some(CredentialsUpdate {
                    settings: pinned,
                    ..update
                }))
            }
            Ok(None) => Ok(credentials),
            Err(e) if credentials.is_some() => Err(self.refused_edit(who, id, sent, e).await),
            Err(e) => Err(e),
        }
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
    pub(super) fn credentials_kept(&self, conn: &Connection) -> CoreResult<CredentialsUpdate> {
        Ok(CredentialsUpdate {
            settings: conn.settings.clone(),
            secret_fields: conn.secret_fields.clone(),
            secrets: conn.secrets.clone(),
        })
    }

    /// The connector's own check of plain credential fields and configuration.
    pub(super) fn check_settings(
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
            CoreError::Source(e) => event.note("error", e.code()),
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
}

/// The credential field holding a source's pinned SSH host key.
const PIN: &str = "sshHostKey";

/// The credential fields with the SSH host key a passing test saw pinned,
/// when the source type has a `sshHostKey` field and none is pinned yet
/// (trust on first use); `None` when there is nothing to pin.
pub(super) fn pin(
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
