//! `inlet keys …`: the organization's API keys (org administrators).

use clap::Subcommand;
use reqwest::Method;
use serde_json::json;

use crate::client::remote::{Failure, Remote, segment};
use crate::client::show::{Cell, Format, list, one, text};

/// `inlet keys …`
#[derive(Subcommand)]
pub enum KeysCommand {
    /// List keys (never their secrets: only their first characters).
    List {
        /// Another organization's keys (instance administrators).
        #[arg(long)]
        org: Option<String>,
        /// Page number, from 1.
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[command(flatten)]
        show: Format,
    },
    /// Create a key; its secret is printed once.
    #[command(
        after_help = "Examples:\n  inlet keys create ci --scopes read,write\n  inlet keys create reports --scopes read --collections col_2 --json | jq -r .apiKey.key"
    )]
    Create {
        /// Its name.
        name: String,
        /// Comma-separated scopes: read, write, admin.
        #[arg(long, value_delimiter = ',', default_value = "read")]
        scopes: Vec<String>,
        /// Restrict it to these collections (comma-separated ids).
        #[arg(long, value_delimiter = ',')]
        collections: Vec<String>,
        /// When it stops working (RFC 3339, e.g. 2027-01-31T00:00:00Z).
        #[arg(long)]
        expires_at: Option<String>,
        /// Make it a user's key.
        #[arg(long)]
        user: Option<String>,
        /// For another organization (instance administrators).
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        show: Format,
    },
    /// Revoke a key: it stops working at once.
    Revoke {
        /// Key id (key_1).
        id: String,
        #[command(flatten)]
        show: Format,
    },
}

pub async fn run(remote: &Remote, command: KeysCommand) -> Result<(), Failure> {
    match command {
        KeysCommand::List { org, page, show } => {
            let mut path = format!("/api/v1/api-keys?page={page}");
            if let Some(org) = org {
                path.push_str(&format!("&organizationId={}", segment(&org)));
            }
            let v = remote.get(&path).await?;
            list(
                show,
                &v["apiKeys"],
                "id",
                &[
                    ("ID", "id", Cell::Text),
                    ("NAME", "name", Cell::Text),
                    ("PREFIX", "prefix", Cell::Text),
                    ("SCOPES", "scopes", Cell::Text),
                    ("COLLECTIONS", "collectionIds", Cell::Text),
                    ("CREATED", "createdAt", Cell::Time),
                    ("EXPIRES", "expiresAt", Cell::Time),
                    ("REVOKED", "revokedAt", Cell::Time),
                ],
            );
        }
        KeysCommand::Create {
            name,
            scopes,
            collections,
            expires_at,
            user,
            org,
            show,
        } => {
            let body = json!({
                "name": name,
                "scopes": scopes,
                "collectionIds": collections,
                "expiresAt": expires_at,
                "userId": user,
                "organizationId": org,
            });
            let v = remote
                .call(Method::POST, "/api/v1/api-keys", Some(&body))
                .await?;
            let k = &v["apiKey"];
            one(
                show,
                &v,
                k,
                &format!(
                    "created {} ({}, {}); its secret, shown this once:\n\n    {}\n",
                    text(&k["id"]),
                    text(&k["name"]),
                    text(&k["scopes"]),
                    text(&k["key"])
                ),
            );
        }
        KeysCommand::Revoke { id, show } => {
            let path = format!("/api/v1/api-keys/{}", segment(&id));
            let v = remote.call(Method::DELETE, &path, None).await?;
            one(show, &v, &v["apiKey"], &format!("revoked {id}"));
        }
    }
    Ok(())
}
