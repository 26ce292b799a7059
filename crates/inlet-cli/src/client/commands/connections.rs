//! `inlet connections …`: list, show, create (with the catalog's fields),
//! test, delete, and replace credentials or config.

use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::client::fields::{self, Ask, Field, Sources};
use crate::client::remote::{Failure, Remote, segment};
use crate::client::show::{Cell, Format, list, one, relative, text};
use crate::output;

/// `inlet connections …`
#[derive(Subcommand)]
pub enum ConnectionsCommand {
    /// List connections, newest first.
    List {
        /// Only this collection.
        #[arg(long)]
        collection: Option<String>,
        /// Only this source type (postgresql, mysql, csv, …).
        #[arg(long = "type")]
        source_type: Option<String>,
        /// Only this status (pending, testing, active, failed, inactive, maintenance).
        #[arg(long)]
        status: Option<String>,
        /// Only names or descriptions containing this.
        #[arg(long)]
        search: Option<String>,
        /// Page number, from 1.
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[command(flatten)]
        show: Format,
    },
    /// Show one connection (never its secrets: only which are set).
    Show {
        /// Connection id (sc_1 or 1).
        id: String,
        #[command(flatten)]
        show: Format,
    },
    /// Create a connection; asks for the source type's missing required fields on a terminal.
    #[command(after_help = CREATE_EXAMPLES)]
    Create(Create),
    /// Test a connection for real; exit 1 when it fails.
    Test {
        /// Connection id.
        id: String,
        #[command(flatten)]
        show: Format,
    },
    /// Delete a connection and its indexed data.
    Delete {
        /// Connection id.
        id: String,
        /// Cancel a running sync first.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        show: Format,
    },
    /// Change credentials: fields named change, the others keep their values.
    #[command(after_help = SET_CREDENTIALS_EXAMPLES)]
    SetCredentials {
        /// Connection id.
        id: String,
        #[command(flatten)]
        values: Values,
        /// Test with the new credentials first; nothing changes when the test fails.
        #[arg(long)]
        test: bool,
        #[command(flatten)]
        show: Format,
    },
    /// Change config: fields named change (an empty value removes one), the others keep theirs.
    SetConfig {
        /// Connection id.
        id: String,
        /// A config field, NAME=VALUE (repeat).
        #[arg(long = "config", value_name = "NAME=VALUE", value_parser = fields::pair)]
        config: Vec<(String, String)>,
        #[command(flatten)]
        show: Format,
    },
}

const CREATE_EXAMPLES: &str = "Examples:
  inlet connections create --type postgresql --name warehouse --collection col_1 \\
      --field host=db.internal --field database=sales --field username=inlet
      (asks for the password without echo)
  printf '%s' \"$PGPASSWORD\" | inlet connections create --type postgresql --name warehouse \\
      --collection col_1 --field host=db.internal --field database=sales \\
      --field username=inlet --password-stdin --test
  inlet connections create --type csv --name exports --collection col_1 \\
      --field path=/data/exports --config schedule='0 * * * *'

`inlet sources show TYPE` lists a source type's fields.";

const SET_CREDENTIALS_EXAMPLES: &str = "Examples:
  inlet connections set-credentials sc_1            (asks for each secret field on a terminal)
  inlet connections set-credentials sc_1 --field password=@/run/secrets/pg
  inlet connections set-credentials sc_1 --field host=db2.internal";

/// Field values from the command line; secrets from a file, standard
/// input or a prompt.
#[derive(Args)]
pub struct Values {
    /// A credential field, NAME=VALUE, or NAME=@FILE to read the value from a file (repeat).
    #[arg(long = "field", value_name = "NAME=VALUE", value_parser = fields::pair)]
    fields: Vec<(String, String)>,
    /// Read the (first not otherwise given) secret field from standard input.
    #[arg(long)]
    password_stdin: bool,
    /// Never prompt, even on a terminal.
    #[arg(long)]
    no_input: bool,
}

/// `inlet connections create`.
#[derive(Args)]
pub struct Create {
    /// Source type (see `inlet sources list`).
    #[arg(long = "type", value_name = "TYPE")]
    source_type: String,
    /// Its name.
    #[arg(long)]
    name: String,
    /// The collection it belongs to (col_1 or 1).
    #[arg(long)]
    collection: String,
    /// What it is.
    #[arg(long)]
    description: Option<String>,
    /// A tag (repeat).
    #[arg(long = "tag")]
    tags: Vec<String>,
    #[command(flatten)]
    values: Values,
    /// A config field, NAME=VALUE (repeat).
    #[arg(long = "config", value_name = "NAME=VALUE", value_parser = fields::pair)]
    config: Vec<(String, String)>,
    /// Test it first; nothing is created when the test fails.
    #[arg(long)]
    test: bool,
    #[command(flatten)]
    show: Format,
}

/// Runs one `inlet connections …` command against the server.
pub async fn run(remote: &Remote, command: ConnectionsCommand) -> Result<(), Failure> {
    match command {
        ConnectionsCommand::List {
            collection,
            source_type,
            status,
            search,
            page,
            show,
        } => {
            let filters = [
                ("collectionId", collection),
                ("type", source_type),
                ("status", status),
                ("search", search),
            ];
            list_connections(remote, page, filters, show).await?;
        }
        ConnectionsCommand::Show { id, show } => {
            let v = get(remote, &id).await?;
            let c = &v["sourceConnection"];
            one(show, &v, c, &describe(c));
        }
        ConnectionsCommand::Create(args) => create(remote, args).await?,
        ConnectionsCommand::Test { id, show } => {
            let path = format!("/api/v1/source-connections/{}/test", segment(&id));
            let v = remote.call(Method::POST, &path, Some(&json!({}))).await?;
            one(show, &v, &json!({"id": id}), &format!("{id}: connected"));
        }
        ConnectionsCommand::Delete { id, force, show } => {
            let path = format!("/api/v1/source-connections/{}?force={force}", segment(&id));
            let v = remote.call(Method::DELETE, &path, None).await?;
            one(show, &v, &json!({"id": id}), &format!("deleted {id}"));
        }
        ConnectionsCommand::SetCredentials {
            id,
            values,
            test,
            show,
        } => set_credentials(remote, &id, &values, test, show).await?,
        ConnectionsCommand::SetConfig { id, config, show } => {
            set_config(remote, &id, &config, show).await?;
        }
    }
    Ok(())
}

/// `inlet connections list`: one page of connections, filtered by the
/// query parameters given, as a table (and the page line for people).
async fn list_connections(
    remote: &Remote,
    page: u32,
    filters: [(&str, Option<String>); 4],
    show: Format,
) -> Result<(), Failure> {
    let mut path = format!("/api/v1/source-connections?page={page}");
    for (name, value) in filters {
        if let Some(v) = value {
            path.push_str(&format!("&{name}={}", segment(&v)));
        }
    }
    let v = remote.get(&path).await?;
    list(
        show,
        &v["sourceConnections"],
        "id",
        &[
            ("ID", "id", Cell::Text),
            ("NAME", "name", Cell::Text),
            ("TYPE", "sourceShortName", Cell::Text),
            ("STATUS", "status", Cell::Status),
            ("ALIVE", "alive", Cell::Status),
            ("DOCUMENTS", "documentCount", Cell::Text),
            ("LAST SYNC", "lastSyncedAt", Cell::Time),
        ],
    );
    let p = &v["pagination"];
    if show.human() && p["totalItems"].as_u64().unwrap_or(0) > 0 {
        output::stdout(&format!(
            "page {} of {}, {} in all\n",
            p["page"], p["totalPages"], p["totalItems"]
        ));
    }
    Ok(())
}

/// `inlet connections set-credentials`: the fields named (or, with none
/// named, each secret asked for) replace theirs; the others keep their values.
async fn set_credentials(
    remote: &Remote,
    id: &str,
    values: &Values,
    test: bool,
    show: Format,
) -> Result<(), Failure> {
    let current = get(remote, id).await?;
    let c = &current["sourceConnection"];
    let catalog = source(remote, &text(&c["sourceShortName"])).await?;
    let fields = Field::all(&catalog["authFields"]);
    let mut present: Vec<String> = keys(&c["credentials"]);
    present.extend(strings(&c["secretFieldsSet"]));
    // Nothing named: ask for each secret (the usual change).
    let ask = if values.fields.is_empty() && !values.password_stdin && !values.no_input {
        Ask::Secrets
    } else {
        Ask::Never
    };
    let changed = fields::collect(
        &fields,
        Sources {
            given: &values.fields,
            flag: "--field",
            secret_stdin: values.password_stdin,
            present: &present,
            ask,
        },
    )?;
    if changed.is_empty() {
        return Err(Failure::Usage(
            "nothing to change: name fields with --field NAME=VALUE".into(),
        ));
    }
    let mut body = c["credentials"].as_object().cloned().unwrap_or_default();
    body.extend(changed.clone());
    let path = format!(
        "/api/v1/source-connections/{}/credentials?test={test}",
        segment(id)
    );
    let v = remote
        .call(Method::PUT, &path, Some(&json!({"credentials": body})))
        .await?;
    let names: Vec<&str> = changed.keys().map(String::as_str).collect();
    one(
        show,
        &v,
        &v["sourceConnection"],
        &format!("{id}: changed {}", names.join(", ")),
    );
    Ok(())
}

/// `inlet connections set-config`: the fields named replace theirs (an
/// empty value removes one); the others keep their values.
async fn set_config(
    remote: &Remote,
    id: &str,
    config: &[(String, String)],
    show: Format,
) -> Result<(), Failure> {
    let current = get(remote, id).await?;
    let c = &current["sourceConnection"];
    let catalog = source(remote, &text(&c["sourceShortName"])).await?;
    let fields = Field::all(&catalog["configFields"]);
    if config.is_empty() {
        return Err(Failure::Usage(
            "nothing to change: name fields with --config NAME=VALUE".into(),
        ));
    }
    let changed = fields::collect(
        &fields,
        Sources {
            given: config,
            flag: "--config",
            secret_stdin: false,
            present: &keys(&c["config"]),
            ask: Ask::Never,
        },
    )?;
    let mut body = c["config"].as_object().cloned().unwrap_or_default();
    for (name, _) in config {
        body.remove(name);
    }
    body.extend(changed);
    let path = format!("/api/v1/source-connections/{}/config", segment(id));
    let v = remote
        .call(Method::PUT, &path, Some(&json!({"config": body})))
        .await?;
    let names: Vec<&str> = config.iter().map(|(n, _)| n.as_str()).collect();
    one(
        show,
        &v,
        &v["sourceConnection"],
        &format!("{id}: config {} changed", names.join(", ")),
    );
    Ok(())
}

async fn create(remote: &Remote, args: Create) -> Result<(), Failure> {
    let catalog = source(remote, &args.source_type).await?;
    let values = &args.values;
    let credentials = fields::collect(
        &Field::all(&catalog["authFields"]),
        Sources {
            given: &values.fields,
            flag: "--field",
            secret_stdin: values.password_stdin,
            present: &[],
            ask: if values.no_input {
                Ask::Never
            } else {
                Ask::Missing
            },
        },
    )?;
    let config = fields::collect(
        &Field::all(&catalog["configFields"]),
        Sources {
            given: &args.config,
            flag: "--config",
            secret_stdin: false,
            present: &[],
            ask: Ask::Never,
        },
    )?;
    let body = json!({
        "sourceShortName": args.source_type,
        "name": args.name,
        "collectionId": args.collection,
        "description": args.description,
        "tags": args.tags,
        "credentials": credentials,
        "config": config,
    });
    let path = format!("/api/v1/source-connections?test={}", args.test);
    let v = remote.call(Method::POST, &path, Some(&body)).await?;
    let c = &v["sourceConnection"];
    one(
        args.show,
        &v,
        c,
        &format!(
            "created {} ({}, {})",
            text(&c["id"]),
            text(&c["name"]),
            text(&c["status"])
        ),
    );
    Ok(())
}

async fn get(remote: &Remote, id: &str) -> Result<Value, Failure> {
    remote
        .get(&format!("/api/v1/source-connections/{}", segment(id)))
        .await
}

/// The catalog's entry for a source type.
async fn source(remote: &Remote, short_name: &str) -> Result<Value, Failure> {
    let v = remote
        .get(&format!("/api/v1/sources/{}", segment(short_name)))
        .await?;
    Ok(v["source"].clone())
}

/// A connection in a few labelled lines.
fn describe(c: &Value) -> String {
    let now = chrono::Utc::now();
    let mut lines = String::new();
    let mut put = |label: &str, value: String| lines.push_str(&format!("{label:<12} {value}\n"));
    put("id", text(&c["id"]));
    put("name", text(&c["name"]));
    put("type", text(&c["sourceShortName"]));
    put("collection", text(&c["collectionId"]));
    put("status", text(&c["status"]));
    put("alive", text(&c["alive"]));
    put("last error", text(&c["lastError"]));
    put("last tested", relative(&c["lastTestedAt"], now));
    put("last synced", relative(&c["lastSyncedAt"], now));
    put("documents", text(&c["documentCount"]));
    put("next sync", relative(&c["nextSyncAt"], now));
    put("credentials", pairs(&c["credentials"]));
    put("secrets set", text(&c["secretFieldsSet"]));
    put("config", pairs(&c["config"]));
    lines.trim_end().to_owned()
}

/// `a=1, b=x` for an object's fields.
fn pairs(v: &Value) -> String {
    let Some(map) = v.as_object().filter(|m| !m.is_empty()) else {
        return "-".into();
    };
    map.iter()
        .map(|(k, v)| format!("{k}={}", text(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .map(Map::keys)
        .into_iter()
        .flatten()
        .cloned()
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}
