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
    /// Show an organization's outbound policy.
    Policy {
        /// The organization (`org_2`).
        org: String,
        #[command(flatten)]
        show: Format,
    },
    /// Replace an organization's outbound policy (what its connectors may
    /// reach, within the instance's policy).
    SetPolicy {
        /// The organization (`org_2`).
        org: String,
        /// Let it reach loopback and the address Inlet listens on.
        #[arg(long)]
        allow_local: bool,
        /// Only these networks (CIDR or address; repeatable).
        #[arg(long = "allow", value_name = "CIDR")]
        allowed: Vec<String>,
        /// Never these networks (CIDR or address; repeatable).
        #[arg(long = "deny", value_name = "CIDR")]
        denied: Vec<String>,
        /// A directory its file sources may read, inside an instance root
        /// (repeatable; none given: no file access).
        #[arg(
            long = "file-root",
            value_name = "DIR",
            conflicts_with = "all_file_roots"
        )]
        file_roots: Vec<String>,
        /// Every instance file root.
        #[arg(long)]
        all_file_roots: bool,
        #[command(flatten)]
        show: Format,
    },
}

/// A policy answer as one line per setting.
fn policy_lines(org: &str, p: &serde_json::Value) -> String {
    format!(
        "{org}: local addresses {}\n  allowed networks: {}\n  denied networks: {}\n  file roots: {}",
        if p["denyLocal"] == true {
            "denied"
        } else {
            "allowed"
        },
        text(&p["allowedNetworks"]),
        text(&p["deniedNetworks"]),
        if p["fileRoots"].is_null() {
            "every instance root".to_owned()
        } else {
            text(&p["fileRoots"])
        },
    )
}

/// Runs one `inlet orgs …` command against the server.
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
        OrgsCommand::Policy { org, show } => {
            let v = remote
                .get(&format!("/api/v1/organizations/{org}/outbound-policy"))
                .await?;
            let p = &v["outboundPolicy"];
            one(show, &v, p, &policy_lines(&org, p));
        }
        OrgsCommand::SetPolicy {
            org,
            allow_local,
            allowed,
            denied,
            file_roots,
            all_file_roots,
            show,
        } => {
            let body = json!({
                "denyLocal": !allow_local,
                "allowedNetworks": allowed,
                "deniedNetworks": denied,
                "fileRoots": if all_file_roots { serde_json::Value::Null } else { json!(file_roots) },
            });
            let v = remote
                .call(
                    Method::PUT,
                    &format!("/api/v1/organizations/{org}/outbound-policy"),
                    Some(&body),
                )
                .await?;
            let p = &v["outboundPolicy"];
            one(show, &v, p, &policy_lines(&org, p));
        }
    }
    Ok(())
}
