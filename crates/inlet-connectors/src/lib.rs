//! Inlet's source types, one module per connector, grouped by kind:
//! databases in `sql/` (with the table reader and SSH tunnels they share)
//! and files in `files/` (csv, folder, git, under the policy's roots);
//! `net` and `ssh` serve both. Adding a type means adding its module and
//! one line in [`catalog`].

use std::sync::Arc;

use inlet_core::connector::Catalog;

mod common;
mod files;
mod net;
mod sql;
mod ssh;

pub use files::git;

/// The catalog of every built-in connector.
pub fn catalog() -> Catalog {
    let mut c = Catalog::default();
    c.register(Arc::new(sql::postgresql::Postgresql::new()));
    c.register(Arc::new(sql::mysql::Mysql::new()));
    c.register(Arc::new(sql::sqlite::Sqlite::new()));
    c.register(Arc::new(files::csv::Csv::new()));
    c.register(Arc::new(files::git::Git::new()));
    c.register(Arc::new(files::folder::Folder::new()));
    c
}

#[cfg(test)]
mod tests {
    use inlet_core::model::catalog::FieldType;

    use super::*;

    #[test]
    fn postgresql_auth_fields_match_the_documented_ones() {
        let cat = catalog();
        let pg = cat.get("postgresql").unwrap().spec();
        let documented = [
            ("host", FieldType::String),
            ("port", FieldType::Number),
            ("database", FieldType::String),
            ("username", FieldType::String),
            ("password", FieldType::Password),
        ];
        for (name, kind) in documented {
            let f = pg.auth_fields.iter().find(|f| f.name == name).unwrap();
            assert_eq!(f.kind, kind, "{name}");
            assert!(f.required, "{name}");
        }
        assert!(
            pg.auth_fields
                .iter()
                .find(|f| f.name == "password")
                .unwrap()
                .secret
        );
        assert_eq!(
            cat.short_names(),
            ["csv", "folder", "git", "mysql", "postgresql", "sqlite"]
        );
    }

    #[test]
    fn every_source_type_offers_the_schedule_fields() {
        let cat = catalog();
        for name in cat.short_names() {
            let spec = cat.get(name).unwrap().spec();
            let kinds: Vec<(&str, FieldType)> = spec
                .config_fields
                .iter()
                .filter(|f| ["schedule", "timezone", "continuous"].contains(&f.name))
                .map(|f| (f.name, f.kind))
                .collect();
            assert_eq!(
                kinds,
                [
                    ("schedule", FieldType::String),
                    ("timezone", FieldType::String),
                    ("continuous", FieldType::Boolean)
                ],
                "{name}"
            );
        }
    }
}
