//! A stored secret is bound to where it is sent. Clients cannot read
//! secrets back, so an edit may leave them out and keep their stored value;
//! but an edit that also moves the connection (another host, port, URL,
//! SSH bastion, or the user the secret is sent with) would then send the
//! stored secret to a place of the editor's choosing. Such an edit must give
//! the secret again.

use serde_json::{Map, Value};

use crate::error::CoreError;
use crate::model::catalog::SourceType;

/// Refuses an edit that keeps a stored secret (`kept`: secret fields not
/// given again) while changing a field that secret is bound to. `old` and
/// `new` are the plain credential fields before and after the edit; a field
/// present on one side only counts as changed. Secrets are checked in the
/// spec's order, and the first one found is named, as
/// `credentials.<secret>`.
pub(super) fn check_destination(
    spec: &SourceType,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    kept: &[String],
) -> Result<(), CoreError> {
    for secret in spec.auth_fields.iter().filter(|f| f.secret) {
        if !kept.iter().any(|k| k == secret.name) {
            continue;
        }
        if let Some(moved) = secret
            .bound_to
            .iter()
            .find(|field| old.get(**field) != new.get(**field))
        {
            return Err(CoreError::invalid(
                format!("credentials.{}", secret.name),
                format!("must be given again when the destination changes ({moved} changed)"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::catalog::{FieldSpec, FieldType};

    fn spec() -> SourceType {
        SourceType {
            id: "src_x",
            name: "X",
            short_name: "x",
            description: "",
            auth_methods: &[],
            labels: &[],
            supports_continuous: false,
            auth_fields: vec![
                FieldSpec::new("host", FieldType::String, true),
                FieldSpec::new("username", FieldType::String, true),
                FieldSpec::new("sshHost", FieldType::String, false),
                FieldSpec::new("password", FieldType::Password, true)
                    .bound_to(&["host", "username", "sshHost"]),
                FieldSpec::new("sshPassword", FieldType::Password, false).bound_to(&["sshHost"]),
            ],
            config_fields: vec![],
        }
    }

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn a_kept_secret_may_not_follow_a_new_destination() {
        let old = map(json!({"host": "db", "username": "app", "sshHost": "bastion"}));
        let kept = ["password".to_owned(), "sshPassword".to_owned()];
        // Nothing moved: fine.
        assert!(check_destination(&spec(), &old, &old, &kept).is_ok());
        // The host moved: the password must come again.
        let moved = map(json!({"host": "evil", "username": "app", "sshHost": "bastion"}));
        let err = check_destination(&spec(), &old, &moved, &kept).unwrap_err();
        assert_eq!(
            err.to_string(),
            "credentials.password: must be given again when the destination changes (host changed)"
        );
        // A field that disappears counts as a change.
        let gone = map(json!({"host": "db", "username": "app"}));
        let err = check_destination(&spec(), &old, &gone, &kept).unwrap_err();
        assert!(
            err.to_string().starts_with("credentials.password:"),
            "{err}"
        );
        // Given again, the password may follow; the SSH password still may not.
        let err = check_destination(&spec(), &old, &gone, &["sshPassword".to_owned()]).unwrap_err();
        assert!(
            err.to_string().starts_with("credentials.sshPassword:"),
            "{err}"
        );
        // A secret not stored is not kept: nothing to protect.
        assert!(check_destination(&spec(), &old, &moved, &[]).is_ok());
        // A field no secret is bound to moves freely.
        let mut renamed = old.clone();
        renamed.insert("database".into(), json!("other"));
        assert!(check_destination(&spec(), &old, &renamed, &kept).is_ok());
    }
}
