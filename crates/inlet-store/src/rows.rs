//! Row ↔ domain mapping, shared by both engines.

use inlet_core::auth::Scope;
use inlet_core::crypto::Sealed;
use inlet_core::ids::{ApiKeyId, CollectionId, ConnectionId, OrgId, UserId};
use inlet_core::model::Timestamp;
use inlet_core::model::api_key::ApiKey;
use inlet_core::model::collection::Collection;
use inlet_core::model::connection::{Connection, ConnectionStatus};
use inlet_core::model::organization::Organization;
use inlet_core::model::user::{Membership, Role, User};
use inlet_core::model::wire::WireEnum;

use crate::db::{DbError, Row};

/// Milliseconds → timestamp.
pub fn ts(ms: i64) -> Result<Timestamp, DbError> {
    chrono::DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| DbError::Decode(format!("timestamp out of range: {ms}")))
}

pub fn opt_ts(ms: Option<i64>) -> Result<Option<Timestamp>, DbError> {
    ms.map(ts).transpose()
}

/// Timestamp → milliseconds.
pub fn ms(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

pub fn json<T: serde::de::DeserializeOwned>(r: &Row, col: &str) -> Result<T, DbError> {
    serde_json::from_str(&r.text(col)?).map_err(|e| DbError::Decode(format!("{col}: {e}")))
}

/// Serialises a value stored as JSON text.
pub fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Serialising maps, vectors and strings cannot fail.
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// Columns of `organizations`.
pub fn org(r: &Row) -> Result<Organization, DbError> {
    Ok(Organization {
        id: OrgId(r.i64("id")?),
        name: r.text("name")?,
        created_at: ts(r.i64("created_at")?)?,
    })
}

/// Columns of `users`.
pub fn user(r: &Row) -> Result<User, DbError> {
    Ok(User {
        id: UserId(r.i64("id")?),
        email: r.text("email")?,
        name: r.text("name")?,
        created_at: ts(r.i64("created_at")?)?,
    })
}

/// Parses a stored role.
pub fn role(s: &str) -> Result<Role, DbError> {
    Role::from_wire(s).ok_or_else(|| DbError::Decode(format!("unknown role {s}")))
}

/// Columns of `memberships`.
pub fn membership(r: &Row) -> Result<Membership, DbError> {
    Ok(Membership {
        org_id: OrgId(r.i64("org_id")?),
        user_id: UserId(r.i64("user_id")?),
        role: role(&r.text("role")?)?,
        created_at: ts(r.i64("created_at")?)?,
    })
}

/// Columns of `api_keys`.
pub fn api_key(r: &Row) -> Result<ApiKey, DbError> {
    let scopes: Vec<String> = json(r, "scopes")?;
    let collections: Vec<i64> = json(r, "collection_ids")?;
    Ok(ApiKey {
        id: ApiKeyId(r.i64("id")?),
        org_id: OrgId(r.i64("org_id")?),
        user_id: r.opt_i64("user_id")?.map(UserId),
        name: r.text("name")?,
        prefix: r.text("prefix")?,
        scopes: scopes
            .iter()
            .map(|s| {
                Scope::from_wire(s).ok_or_else(|| DbError::Decode(format!("unknown scope {s}")))
            })
            .collect::<Result<_, _>>()?,
        collection_ids: collections.into_iter().map(CollectionId).collect(),
        instance_admin: r.i64("instance_admin")? != 0,
        expires_at: opt_ts(r.opt_i64("expires_at")?)?,
        revoked_at: opt_ts(r.opt_i64("revoked_at")?)?,
        created_at: ts(r.i64("created_at")?)?,
        parent_key_id: r.opt_i64("parent_key_id")?.map(ApiKeyId),
    })
}

/// Columns of `collections` plus a computed `connection_count`.
pub fn collection(r: &Row) -> Result<Collection, DbError> {
    Ok(Collection {
        id: CollectionId(r.i64("id")?),
        org_id: OrgId(r.i64("org_id")?),
        name: r.text("name")?,
        description: r.text("description")?,
        connection_count: r.i64("connection_count")?,
        created_at: ts(r.i64("created_at")?)?,
        updated_at: ts(r.i64("updated_at")?)?,
    })
}

/// Columns of `connections`.
pub fn connection(r: &Row) -> Result<Connection, DbError> {
    let status = r.text("status")?;
    let secrets = match (r.opt_blob("secrets")?, r.opt_text("secrets_key_id")?) {
        (Some(data), Some(key_id)) => Some(Sealed { key_id, data }),
        _ => None,
    };
    Ok(Connection {
        id: ConnectionId(r.i64("id")?),
        org_id: OrgId(r.i64("org_id")?),
        collection_id: CollectionId(r.i64("collection_id")?),
        source_type: r.text("source_type")?,
        name: r.text("name")?,
        description: r.text("description")?,
        settings: json(r, "settings")?,
        config: json(r, "config")?,
        secret_fields: json(r, "secret_fields")?,
        secrets,
        tags: json(r, "tags")?,
        status: ConnectionStatus::from_wire(&status)
            .ok_or_else(|| DbError::Decode(format!("unknown status {status}")))?,
        last_tested_at: opt_ts(r.opt_i64("last_tested_at")?)?,
        last_successful_connection_at: opt_ts(r.opt_i64("last_successful_connection_at")?)?,
        last_error: r.opt_text("last_error")?,
        schema_discovered_at: opt_ts(r.opt_i64("schema_discovered_at")?)?,
        last_synced_at: opt_ts(r.opt_i64("last_synced_at")?)?,
        last_sync_status: r
            .opt_text("last_sync_status")?
            .map(|s| wire(&s))
            .transpose()?,
        document_count: u64::try_from(r.i64("document_count")?).unwrap_or(0),
        sync_ok: r.i64("sync_ok")? != 0,
        next_sync_at: opt_ts(r.opt_i64("next_sync_at")?)?,
        created_at: ts(r.i64("created_at")?)?,
        updated_at: ts(r.i64("updated_at")?)?,
    })
}

/// Parses a stored enum value.
pub fn wire<T: inlet_core::model::wire::WireEnum>(s: &str) -> Result<T, DbError> {
    T::from_wire(s).ok_or_else(|| DbError::Decode(format!("unknown value {s}")))
}
