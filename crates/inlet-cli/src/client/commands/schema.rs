//! `inlet schema show|refresh`: a connection's discovered schema as a tree.

use clap::Subcommand;
use inlet_core::model::schema::DiscoveredSchema;
use reqwest::Method;
use serde_json::json;

use crate::client::remote::{Failure, Remote, segment};
use crate::client::show::{Format, one, relative};

/// `inlet schema …`
#[derive(Subcommand)]
pub enum SchemaCommand {
    /// The last discovered schema: schemas, tables and columns, or files.
    Show {
        /// Connection id.
        connection: String,
        #[command(flatten)]
        show: Format,
    },
    /// Discover the schema again now and show it.
    Refresh {
        /// Connection id.
        connection: String,
        #[command(flatten)]
        show: Format,
    },
}

pub async fn run(remote: &Remote, command: SchemaCommand) -> Result<(), Failure> {
    let (connection, show, v) = match command {
        SchemaCommand::Show { connection, show } => {
            let path = format!("/api/v1/source-connections/{}/schema", segment(&connection));
            let v = remote.get(&path).await?;
            (connection, show, v)
        }
        SchemaCommand::Refresh { connection, show } => {
            let path = format!(
                "/api/v1/source-connections/{}/schema/refresh",
                segment(&connection)
            );
            let v = remote.call(Method::POST, &path, Some(&json!({}))).await?;
            (connection, show, v)
        }
    };
    let schema: DiscoveredSchema = serde_json::from_value(v["schema"].clone()).map_err(|e| {
        Failure::Transport(format!(
            "the server sent a schema this client cannot read: {e}"
        ))
    })?;
    let when = relative(&v["discoveredAt"], chrono::Utc::now());
    let human = format!("{}discovered {when}", tree(&schema));
    one(show, &v, &json!({"id": connection}), &human);
    Ok(())
}

/// The schema as an indented tree.
fn tree(schema: &DiscoveredSchema) -> String {
    let mut out = String::new();
    for s in &schema.schemas {
        out.push_str(&format!("{}\n", s.name));
        for t in &s.tables {
            let rows = t
                .row_estimate
                .map(|n| format!(", ~{n} rows"))
                .unwrap_or_default();
            out.push_str(&format!("  {} ({}{rows})\n", t.name, t.kind));
            for c in &t.columns {
                let mut notes = vec![c.data_type.clone()];
                if c.primary_key {
                    notes.push("primary key".into());
                }
                if !c.nullable {
                    notes.push("not null".into());
                }
                out.push_str(&format!("    {:<24} {}\n", c.name, notes.join(", ")));
            }
        }
    }
    for f in &schema.files {
        out.push_str(&format!("{} ({} bytes)\n", f.path, f.size));
        for c in &f.columns {
            out.push_str(&format!("    {:<24} {}\n", c.name, c.data_type));
        }
    }
    if let Some(sum) = &schema.summary {
        out.push_str(&format!(
            "{} files, {} bytes\n",
            sum.total_files, sum.total_bytes
        ));
        for e in &sum.by_extension {
            let ext = if e.extension.is_empty() {
                "(none)"
            } else {
                &e.extension
            };
            out.push_str(&format!(
                "  {ext:<12} {} files, {} bytes\n",
                e.files, e.bytes
            ));
        }
    }
    if out.is_empty() {
        out.push_str("nothing discovered\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_schema_as_a_tree() {
        let schema: DiscoveredSchema = serde_json::from_value(serde_json::json!({
            "schemas": [{"name": "public", "tables": [{"name": "orders", "kind": "table",
                "rowEstimate": 10, "columns": [
                    {"name": "id", "dataType": "integer", "nullable": false, "primaryKey": true},
                    {"name": "note", "dataType": "text", "nullable": true}]}]}]
        }))
        .unwrap();
        assert_eq!(
            tree(&schema),
            "public\n  orders (table, ~10 rows)\n    id                       integer, primary key, not null\n    note                     text\n"
        );
    }

    #[test]
    fn value_of_an_unknown_shape_is_refused() {
        let v = serde_json::json!({"schemas": 3});
        assert!(serde_json::from_value::<DiscoveredSchema>(v).is_err());
    }
}
