//! `inlet orgs …`: organizations (instance administrators).

use clap::Subcommand;
use reqwest::Method;
use serde_json::json;

use crate::client::remote::{Failure, Remote};
use crate::client::show::{Cell, Format, list, one, text};

/// `inlet orgs …`
#[derive(Subcommand)]
pub enum OrgsCommand {
    /// List organizations.
    List {
        /// Page number, from 1.
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[command(flatten)]
        show: Format,
    },
    /// Create an organization.
    Create {
        /// Its name.
        name: String,
        #[command(flatten)]
        show: Format,
    },
}

pub async fn run(remote: &Remote, command: OrgsCommand) -> Result<(), Failure> {
    match command {
        OrgsCommand::List { page, show } => {
            let v = remote
                .get(&format!("/api/v1/organizations?page={page}"))
                .await?;
            list(
                show,
                &v["organizations"],
                "id",
                &[
                    ("ID", "id", Cell::Text),
                    ("NAME", "name", Cell::Text),
                    ("CREATED", "createdAt", Cell::Time),
                ],
            );
        }
        OrgsCommand::Create { name, show } => {
            let v = remote
                .call(
                    Method::POST,
                    "/api/v1/organizations",
                    Some(&json!({"name": name})),
                )
                .await?;
            let o = &v["organization"];
            one(
                show,
                &v,
                o,
                &format!("created {} ({})", text(&o["id"]), text(&o["name"])),
            );
        }
    }
    Ok(())
}
