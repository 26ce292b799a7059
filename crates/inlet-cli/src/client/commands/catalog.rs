//! `inlet sources …`: the catalog of source types.

use clap::Subcommand;

use crate::client::fields::Field;
use crate::client::remote::{Failure, Remote, segment};
use crate::client::show::{Cell, Format, list, one, text};

/// `inlet sources …`
#[derive(Subcommand)]
pub enum SourcesCommand {
    /// List the source types connections can be made to.
    List(Format),
    /// A source type with its authentication and config fields.
    Show {
        /// Short name (postgresql, mysql, sqlite, csv, git, folder).
        name: String,
        #[command(flatten)]
        show: Format,
    },
}

pub async fn run(remote: &Remote, command: SourcesCommand) -> Result<(), Failure> {
    match command {
        SourcesCommand::List(show) => {
            let v = remote.get("/api/v1/sources").await?;
            list(
                show,
                &v["sources"],
                "shortName",
                &[
                    ("SOURCE", "shortName", Cell::Text),
                    ("NAME", "name", Cell::Text),
                    ("CONTINUOUS", "supportsContinuous", Cell::Text),
                ],
            );
        }
        SourcesCommand::Show { name, show } => {
            let v = remote
                .get(&format!("/api/v1/sources/{}", segment(&name)))
                .await?;
            let s = &v["source"];
            let mut human = format!(
                "{} ({})\n{}\n",
                text(&s["name"]),
                text(&s["shortName"]),
                text(&s["description"])
            );
            for (title, key) in [
                ("Credentials (--field)", "authFields"),
                ("Config (--config)", "configFields"),
            ] {
                human.push_str(&format!("\n{title}:\n"));
                for f in Field::all(&s[key]) {
                    let mut flags = vec![f.kind.clone()];
                    if f.required {
                        flags.push("required".into());
                    }
                    if f.secret {
                        flags.push("secret".into());
                    }
                    if !f.options.is_empty() {
                        flags.push(f.options.join("|"));
                    }
                    human.push_str(&format!(
                        "  {:<20} {:<28} {}\n",
                        f.name,
                        flags.join(", "),
                        f.description
                    ));
                }
            }
            let id = serde_json::json!({"id": s["shortName"]});
            one(show, &v, &id, human.trim_end());
        }
    }
    Ok(())
}
