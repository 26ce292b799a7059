//! The client commands: what each asks the server, and how its answer is
//! shown — an aligned table for people, the server's JSON with `--json`,
//! ids alone with `--quiet`.

use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{Value, json};

use super::remote::{Failure, Remote};
use crate::output;

/// How an answer is shown.
#[derive(Args, Clone, Copy)]
pub struct Format {
    /// Print the server's JSON answer (for scripts).
    #[arg(long, conflicts_with = "quiet")]
    json: bool,
    /// Print only ids, one per line.
    #[arg(long, short)]
    quiet: bool,
}

/// Commands that talk to a running server (`INLET_URL`, `INLET_API_KEY`).
#[derive(Subcommand)]
pub enum ClientCommand {
    /// The catalog of source types.
    #[command(subcommand)]
    Sources(SourcesCommand),
    /// Collections: named groups of connections.
    #[command(subcommand)]
    Collections(CollectionsCommand),
    /// Connections to data sources.
    #[command(subcommand)]
    Connections(ConnectionsCommand),
    /// Syncs: read a connection's data into the index.
    #[command(subcommand)]
    Sync(SyncCommand),
    /// Background jobs (syncs, schema refreshes).
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Search a collection's synced documents: words, "phrases", prefix*, a OR b, -excluded.
    Search {
        /// Collection id (col_1 or 1).
        collection: String,
        /// The query.
        query: String,
        /// Results to show, 1-200.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[command(flatten)]
        show: Format,
    },
}

/// `inlet sync …`
#[derive(Subcommand)]
pub enum SyncCommand {
    /// Start a sync of a connection (prints the job id).
    Run {
        /// Connection id.
        connection: String,
        /// Read everything again, ignoring cursors.
        #[arg(long)]
        full: bool,
        /// Wait until it ends; exit 1 unless it completed.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        show: Format,
    },
}

/// `inlet jobs …`
#[derive(Subcommand)]
pub enum JobsCommand {
    /// A connection's jobs, newest first.
    List {
        /// Connection id.
        connection: String,
        #[command(flatten)]
        show: Format,
    },
    /// One job: status, counts, error.
    Show {
        /// Job id (sync_1, job_1).
        id: String,
        #[command(flatten)]
        show: Format,
    },
    /// Ask a queued or running job to stop.
    Cancel {
        /// Job id.
        id: String,
        #[command(flatten)]
        show: Format,
    },
}

/// `inlet sources …`
#[derive(Subcommand)]
pub enum SourcesCommand {
    /// List the source types connections can be made to.
    List(Format),
}

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
    /// Show one connection (never its secrets).
    Show {
        /// Connection id (sc_1 or 1).
        id: String,
        #[command(flatten)]
        show: Format,
    },
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
}

/// Runs a client command against the server of `INLET_URL`.
pub async fn run(command: ClientCommand) -> Result<(), Failure> {
    let remote = Remote::from_env()?;
    match command {
        ClientCommand::Sources(SourcesCommand::List(show)) => {
            let v = remote.get("/api/v1/sources").await?;
            list(
                show,
                &v["sources"],
                "shortName",
                &[
                    ("SOURCE", "shortName"),
                    ("NAME", "name"),
                    ("CONTINUOUS", "supportsContinuous"),
                ],
            )
        }
        ClientCommand::Collections(c) => collections(&remote, c).await?,
        ClientCommand::Connections(c) => connections(&remote, c).await?,
        ClientCommand::Sync(c) => sync(&remote, c).await?,
        ClientCommand::Jobs(c) => jobs(&remote, c).await?,
        ClientCommand::Search {
            collection,
            query,
            limit,
            show,
        } => {
            let path = format!(
                "/api/v1/collections/{}/search?limit={limit}&q={}",
                segment(&collection),
                segment(&query)
            );
            let v = remote.get(&path).await?;
            list(
                show,
                &v["results"],
                "documentId",
                &[
                    ("DOCUMENT", "documentId"),
                    ("CONNECTION", "sourceConnectionId"),
                    ("STREAM", "stream"),
                    ("TITLE", "title"),
                ],
            );
            if !show.json && !show.quiet {
                output::stdout(&format!("{} in all\n", v["total"]));
            }
        }
    }
    Ok(())
}

/// How often `sync run --wait` looks at its job.
const WAIT_POLL: std::time::Duration = std::time::Duration::from_millis(500);

async fn sync(remote: &Remote, command: SyncCommand) -> Result<(), Failure> {
    let SyncCommand::Run {
        connection,
        full,
        wait,
        show,
    } = command;
    let path = format!(
        "/api/v1/source-connections/{}/run?forceFullSync={full}",
        segment(&connection)
    );
    let started = remote.call(Method::POST, &path, Some(&json!({}))).await?;
    let id = text(&started["syncId"]);
    if !wait {
        one(show, &started, &json!({"id": id}), &format!("started {id}"));
        return Ok(());
    }
    loop {
        let v = remote
            .get(&format!("/api/v1/jobs/{}", segment(&id)))
            .await?;
        let job = &v["job"];
        match job["status"].as_str() {
            Some("completed") => {
                one(show, &v, job, &job_summary(job));
                return Ok(());
            }
            Some("failed" | "cancelled") => {
                one(show, &v, job, &job_summary(job));
                return Err(Failure::Server {
                    status: reqwest::StatusCode::OK,
                    message: format!(
                        "{id} {}: {}",
                        text(&job["status"]),
                        text(&job["error"]["message"])
                    ),
                });
            }
            _ => tokio::time::sleep(WAIT_POLL).await,
        }
    }
}

async fn jobs(remote: &Remote, command: JobsCommand) -> Result<(), Failure> {
    match command {
        JobsCommand::List { connection, show } => {
            let path = format!("/api/v1/source-connections/{}/jobs", segment(&connection));
            let v = remote.get(&path).await?;
            list(
                show,
                &v["jobs"],
                "id",
                &[
                    ("ID", "id"),
                    ("KIND", "kind"),
                    ("STATUS", "status"),
                    ("TRIGGER", "trigger"),
                    ("CREATED", "createdAt"),
                    ("DURATION MS", "durationMs"),
                ],
            );
        }
        JobsCommand::Show { id, show } => {
            let v = remote
                .get(&format!("/api/v1/jobs/{}", segment(&id)))
                .await?;
            let job = &v["job"];
            one(show, &v, job, &job_summary(job));
        }
        JobsCommand::Cancel { id, show } => {
            let path = format!("/api/v1/jobs/{}/cancel", segment(&id));
            let v = remote.call(Method::POST, &path, Some(&json!({}))).await?;
            let job = &v["job"];
            one(show, &v, job, &format!("{id}: {}", text(&job["status"])));
        }
    }
    Ok(())
}

/// A job in a few lines: status, counts, error.
fn job_summary(job: &Value) -> String {
    let c = &job["counts"];
    format!(
        "{} {} ({} ms)\nread {}, inserted {}, updated {}, deleted {}, unchanged {}, skipped {}\nerror: {}",
        text(&job["id"]),
        text(&job["status"]),
        text(&job["durationMs"]),
        c["read"],
        c["inserted"],
        c["updated"],
        c["deleted"],
        c["unchanged"],
        c["skipped"],
        text(&job["error"]["message"]),
    )
}

async fn collections(remote: &Remote, command: CollectionsCommand) -> Result<(), Failure> {
    match command {
        CollectionsCommand::List(show) => {
            let v = remote.get("/api/v1/collections?pageSize=100").await?;
            list(
                show,
                &v["collections"],
                "id",
                &[
                    ("ID", "id"),
                    ("NAME", "name"),
                    ("CONNECTIONS", "connectionCount"),
                    ("DESCRIPTION", "description"),
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

async fn connections(remote: &Remote, command: ConnectionsCommand) -> Result<(), Failure> {
    match command {
        ConnectionsCommand::List {
            collection,
            source_type,
            status,
            search,
            page,
            show,
        } => {
            let mut path = format!("/api/v1/source-connections?page={page}");
            for (name, value) in [
                ("collectionId", collection),
                ("type", source_type),
                ("status", status),
                ("search", search),
            ] {
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
                    ("ID", "id"),
                    ("NAME", "name"),
                    ("TYPE", "sourceShortName"),
                    ("STATUS", "status"),
                    ("ALIVE", "alive"),
                    ("DOCUMENTS", "documentCount"),
                    ("LAST SYNC", "lastSyncedAt"),
                ],
            );
            let p = &v["pagination"];
            if !show.json && !show.quiet && p["totalItems"].as_u64().unwrap_or(0) > 0 {
                output::stdout(&format!(
                    "page {} of {}, {} in all\n",
                    p["page"], p["totalPages"], p["totalItems"]
                ));
            }
        }
        ConnectionsCommand::Show { id, show } => {
            let v = remote
                .get(&format!("/api/v1/source-connections/{}", segment(&id)))
                .await?;
            let c = &v["sourceConnection"];
            let mut lines = String::new();
            for (label, field) in [
                ("id", "id"),
                ("name", "name"),
                ("type", "sourceShortName"),
                ("collection", "collectionId"),
                ("status", "status"),
                ("alive", "alive"),
                ("last error", "lastError"),
                ("last tested", "lastTestedAt"),
                ("last synced", "lastSyncedAt"),
                ("documents", "documentCount"),
                ("next sync", "nextSyncAt"),
                ("secrets set", "secretFieldsSet"),
            ] {
                lines.push_str(&format!("{label:<12} {}\n", text(&c[field])));
            }
            one(show, &v, c, lines.trim_end());
        }
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
    }
    Ok(())
}

/// Shows a list: the JSON answer, the ids, or a table of `columns`
/// (header, field).
fn list(show: Format, items: &Value, id_field: &str, columns: &[(&str, &str)]) {
    let items = items.as_array().map(Vec::as_slice).unwrap_or_default();
    if show.json {
        output::stdout(&format!("{}\n", Value::Array(items.to_vec())));
    } else if show.quiet {
        for item in items {
            output::stdout(&format!("{}\n", text(&item[id_field])));
        }
    } else if items.is_empty() {
        output::stdout("nothing yet\n");
    } else {
        let headers: Vec<&str> = columns.iter().map(|(h, _)| *h).collect();
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|item| columns.iter().map(|(_, f)| text(&item[*f])).collect())
            .collect();
        output::stdout(&output::table(&headers, &rows));
    }
}

/// Shows one answer: its JSON, the object's id, or `human`.
fn one(show: Format, answer: &Value, object: &Value, human: &str) {
    if show.json {
        output::stdout(&format!("{answer}\n"));
    } else if show.quiet {
        output::stdout(&format!("{}\n", text(&object["id"])));
    } else {
        output::stdout(&format!("{human}\n"));
    }
}

/// A JSON value as a cell: strings bare, null as `-`, lists joined.
fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "-".into(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// A path or query segment, percent-encoded (everything but letters,
/// digits and `-_.~`).
fn segment(s: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, KEEP).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_segments() {
        assert_eq!(text(&Value::Null), "-");
        assert_eq!(text(&json!(["a", "b"])), "a, b");
        assert_eq!(text(&json!(3)), "3");
        assert_eq!(segment("a b/c&d"), "a%20b%2Fc%26d");
    }
}
