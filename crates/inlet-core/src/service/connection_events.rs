//! The audit events of connection changes: which fields changed, never a
//! secret's value.

use serde_json::{Map, Value};

use crate::auth::Principal;
use crate::ids::ConnectionId;
use crate::model::audit::{AuditAction, AuditDraft};
use crate::model::connection::{Connection, ConnectionPatch};
use crate::model::wire::WireEnum;

/// The event of a descriptive change: which fields, and their new values
/// (none of them is secret).
pub(super) fn patch_event(
    who: &Principal,
    id: ConnectionId,
    patch: &ConnectionPatch,
) -> AuditDraft {
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
pub(super) fn changed_credentials(
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
pub(super) fn changed_config(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<String> {
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
pub(super) fn config_event(who: &Principal, id: ConnectionId, fields: Vec<String>) -> AuditDraft {
    who.audit(AuditAction::ConfigUpdated)
        .object(id)
        .note("fields", fields)
}

/// The one event of an edit. An edit of one kind (descriptive fields,
/// credentials or configuration) is recorded as that kind; an edit of
/// several as `connection.updated`, its summary naming each part
/// (`credentials` and `config` list field names). A test the edit passed
/// first adds `tested: true`; an edit that only tested is a test.
pub(super) fn edit_event(
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
pub(super) fn tested(who: &Principal, id: ConnectionId, ok: bool) -> AuditDraft {
    who.audit(AuditAction::ConnectionTested)
        .object(id)
        .note("ok", ok)
}
