//! `inlet collections …`.

use clap::Subcommand;
use reqwest::Method;
use serde_json::json;

use crate::client::remote::{Failure, Remote, segment};
use crate::client::show::{Cell, Format, list, one, text};

/// `inlet collections …`
#[derive(Subcommand)]
pub enum CollectionsCommand {
    /// List collections.
    List(Format),
    /// Create a collection.
    Create {
        /// Its name (unique in the organization).
        name: String,
        /// What it holds.
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        show: Format,
    },
    /// Delete a collection.
    Delete {
        /// Collection id (col_1 or 1).
        id: String,
        /// Delete its connections (and their indexed data) too.
        #[arg(long)]
        cascade: bool,
        #[command(flatten)]
        show: Format,
    },
}

pub async fn run(remote: &Remote, command: CollectionsCommand) -> Result<(), Failure> {
    match command {
        CollectionsCommand::List(show) => {
            let v = remote.get("/api/v1/collections?pageSize=100").await?;
            list(
                show,
                &v["collections"],
                "id",
                &[
                    ("ID", "id", Cell::Text),
                    ("NAME", "name", Cell::Text),
                    ("CONNECTIONS", "connectionCount", Cell::Text),
                    ("CREATED", "createdAt", Cell::Time),
                    ("DESCRIPTION", "description", Cell::Text),
                ],
            );
        }
        CollectionsCommand::Create {
            name,
            description,
            show,
        } => {
            let body = json!({"name": name, "description": description});
            let v = remote
                .call(Method::POST, "/api/v1/collections", Some(&body))
                .await?;
            let c = &v["collection"];
            one(
                show,
                &v,
                c,
                &format!("created {} ({})", text(&c["id"]), text(&c["name"])),
            );
        }
        CollectionsCommand::Delete { id, cascade, show } => {
            let path = format!("/api/v1/collections/{}?cascade={cascade}", segment(&id));
            let v = remote.call(Method::DELETE, &path, None).await?;
            one(show, &v, &json!({"id": id}), &format!("deleted {id}"));
        }
    }
    Ok(())
}
