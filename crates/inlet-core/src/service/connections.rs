//! Source connections: validated against the catalog, secrets sealed before
//! they reach the store, every access scoped to the caller's organization and
//! collection restriction.

use serde_json::{Map, Value};

use super::Services;
use crate::auth::{Principal, Scope};
use crate::crypto::Sealed;
use crate::error::{CoreError, CoreResult};
use crate::ids::{CollectionId, ConnectionId};
use crate::list::{ConnectionFilter, Page, PageRequest};
use crate::model::catalog::SourceType;
use crate::model::connection::{
    Connection, ConnectionPatch, ConnectionStatus, CredentialsUpdate, NewConnection,
};
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

impl Services {
    /// Creates a connection in status `pending`.
    pub async fn create_connection(
        &self,
        who: &Principal,
        input: ConnectionInput,
    ) -> CoreResult<Connection> {
        who.require(Scope::Write)?;
        let spec = self.source_type("sourceShortName", &input.source_type)?;
        let name = validate::name("name", &input.name)?;
        let description =
            validate::description("description", input.description.as_deref().unwrap_or(""))?;
        let tags = validate::tags("tags", &input.tags)?;
        let creds = validate::fields("credentials", &spec.auth_fields, &input.credentials, &[])?;
        let config = validate::fields("config", &spec.config_fields, &input.config, &[])?;
        who.require_collection(input.collection_id)?;
        let secret_fields: Vec<String> = creds.secret.keys().cloned().collect();
        let secrets = self.seal(&creds.secret)?;
        let conn = self
            .store
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
            })
            .await?;
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
        mut filter: ConnectionFilter,
        page: PageRequest,
    ) -> CoreResult<Page<Connection>> {
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
        self.store.list_connections(who.org_id, &filter, page).await
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
        let status = status
            .map(|s| {
                s.parse::<ConnectionStatus>()
                    .ok()
                    .filter(|st| st.settable())
                    .ok_or_else(|| {
                        CoreError::invalid(
                            "status",
                            "must be one of pending, inactive, maintenance",
                        )
                    })
            })
            .transpose()?;
        let patch = ConnectionPatch {
            name: name.map(|n| validate::name("name", n)).transpose()?,
            description: description
                .map(|d| validate::description("description", d))
                .transpose()?,
            tags: tags.map(|t| validate::tags("tags", t)).transpose()?,
            status,
        };
        self.store.update_connection(who.org_id, id, patch).await
    }

    /// Replaces credentials. Secret fields left out keep their stored value
    /// (clients cannot read them back); a secret sent as `null` is cleared
    /// unless the field is required.
    pub async fn update_credentials(
        &self,
        who: &Principal,
        id: ConnectionId,
        credentials: Map<String, Value>,
    ) -> CoreResult<Connection> {
        who.require(Scope::Write)?;
        let conn = self.get_connection(who, id).await?;
        let spec = self.source_type("sourceShortName", &conn.source_type)?;
        let kept: Vec<String> = conn
            .secret_fields
            .iter()
            .filter(|f| !credentials.contains_key(f.as_str()))
            .cloned()
            .collect();
        let checked = validate::fields("credentials", &spec.auth_fields, &credentials, &kept)?;
        let mut secrets = match &conn.secrets {
            Some(sealed) => self.open(sealed)?,
            None => Map::new(),
        };
        secrets.retain(|k, _| kept.contains(k));
        secrets.extend(checked.secret);
        let update = CredentialsUpdate {
            settings: checked.plain,
            secret_fields: secrets.keys().cloned().collect(),
            secrets: self.seal(&secrets)?,
        };
        let conn = self
            .store
            .update_credentials(who.org_id, id, update)
            .await?;
        tracing::info!(connection = %id, "credentials replaced");
        Ok(conn)
    }

    /// Replaces configuration.
    pub async fn update_config(
        &self,
        who: &Principal,
        id: ConnectionId,
        config: Map<String, Value>,
    ) -> CoreResult<Connection> {
        who.require(Scope::Write)?;
        let conn = self.get_connection(who, id).await?;
        let spec = self.source_type("sourceShortName", &conn.source_type)?;
        let checked = validate::fields("config", &spec.config_fields, &config, &[])?;
        self.store
            .update_config(who.org_id, id, checked.plain)
            .await
    }

    /// Deletes a connection.
    pub async fn delete_connection(&self, who: &Principal, id: ConnectionId) -> CoreResult<()> {
        who.require(Scope::Write)?;
        self.get_connection(who, id).await?;
        self.store.delete_connection(who.org_id, id).await?;
        tracing::info!(connection = %id, "connection deleted");
        Ok(())
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
