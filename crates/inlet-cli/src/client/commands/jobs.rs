//! `inlet sync run` and `inlet jobs …`: start syncs, follow them live,
//! list, show and cancel jobs.

use clap::{Args, Subcommand};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::client::progress::{self, OnInterrupt};
use crate::client::remote::{Failure, Remote, segment};
use crate::client::show::{Cell, Format, list, one, text};

/// `inlet sync …`
#[derive(Subcommand)]
pub enum SyncCommand {
    /// Start a sync of a connection (prints the job id, or follows it with --wait).
    #[command(
        after_help = "Examples:\n  inlet sync run sc_1                 start it and print its id\n  inlet sync run sc_1 --wait          follow it with a progress line; exit 1 unless it completes\n  inlet sync run sc_1 --full --wait --cancel-on-interrupt"
    )]
    Run {
        /// Connection id.
        connection: String,
        /// Read everything again, ignoring cursors.
        #[arg(long)]
        full: bool,
        /// Follow it live until it ends; exit 1 unless it completed.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        watch: OnCtrlC,
        #[command(flatten)]
        show: Format,
    },
}

/// How a followed job reacts to Ctrl-C.
#[derive(Args)]
pub struct OnCtrlC {
    /// On Ctrl-C, cancel the job too (otherwise it goes on without you).
    #[arg(long)]
    cancel_on_interrupt: bool,
}

impl OnCtrlC {
    fn on_interrupt(&self) -> OnInterrupt {
        if self.cancel_on_interrupt {
            OnInterrupt::Cancel
        } else {
            OnInterrupt::Detach
        }
    }
}

/// `inlet jobs …`
#[derive(Subcommand)]
pub enum JobsCommand {
    /// Jobs, newest first: the organization's, or one connection's.
    List {
        /// Only this connection's jobs.
        connection: Option<String>,
        /// Only jobs with this status (queued, running, completed, failed, cancelled).
        #[arg(long, conflicts_with = "connection")]
        status: Option<String>,
        /// Only jobs of this kind (sync, schema_refresh).
        #[arg(long, conflicts_with = "connection")]
        kind: Option<String>,
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
    /// Follow a job live until it ends; exit 1 unless it completed.
    Watch {
        /// Job id.
        id: String,
        #[command(flatten)]
        watch: OnCtrlC,
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

pub async fn sync(remote: &Remote, command: SyncCommand) -> Result<(), Failure> {
    let SyncCommand::Run {
        connection,
        full,
        wait,
        watch,
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
    follow(remote, &id, &watch, show).await
}

pub async fn run(remote: &Remote, command: JobsCommand) -> Result<(), Failure> {
    match command {
        JobsCommand::List {
            connection,
            status,
            kind,
            show,
        } => {
            let path = match connection {
                Some(c) => format!("/api/v1/source-connections/{}/jobs", segment(&c)),
                None => {
                    let mut path = String::from("/api/v1/jobs?pageSize=100");
                    for (name, value) in [("status", status), ("kind", kind)] {
                        if let Some(v) = value {
                            path.push_str(&format!("&{name}={}", segment(&v)));
                        }
                    }
                    path
                }
            };
            let v = remote.get(&path).await?;
            list(
                show,
                &v["jobs"],
                "id",
                &[
                    ("ID", "id", Cell::Text),
                    ("CONNECTION", "sourceConnectionId", Cell::Text),
                    ("KIND", "kind", Cell::Text),
                    ("STATUS", "status", Cell::Status),
                    ("TRIGGER", "trigger", Cell::Text),
                    ("CREATED", "createdAt", Cell::Time),
                    ("DURATION MS", "durationMs", Cell::Text),
                ],
            );
        }
        JobsCommand::Show { id, show } => {
            let v = remote
                .get(&format!("/api/v1/jobs/{}", segment(&id)))
                .await?;
            let job = &v["job"];
            one(show, &v, job, &summary(job));
        }
        JobsCommand::Watch { id, watch, show } => follow(remote, &id, &watch, show).await?,
        JobsCommand::Cancel { id, show } => {
            let path = format!("/api/v1/jobs/{}/cancel", segment(&id));
            let v = remote.call(Method::POST, &path, Some(&json!({}))).await?;
            let job = &v["job"];
            one(show, &v, job, &format!("{id}: {}", text(&job["status"])));
        }
    }
    Ok(())
}

/// Follows a job to its end and shows it; a job that did not complete is
/// a failure (exit 1).
async fn follow(remote: &Remote, id: &str, watch: &OnCtrlC, show: Format) -> Result<(), Failure> {
    let job = progress::follow(remote, id, watch.on_interrupt()).await?;
    if let Some(seq) = job["indexSeq"].as_u64() {
        crate::client::read_after::remember(remote, seq);
    }
    let answer = json!({"success": true, "job": job});
    one(show, &answer, &job, &summary(&job));
    match job["status"].as_str() {
        Some("completed") => Ok(()),
        _ => Err(Failure::Server {
            status: StatusCode::OK,
            message: format!(
                "{id} {}: {}",
                text(&job["status"]),
                text(&job["error"]["message"])
            ),
        }),
    }
}

/// A job in a few lines: status, counts, and its error if it has one.
fn summary(job: &Value) -> String {
    let c = &job["counts"];
    let mut out = format!(
        "{} {} ({} ms)\nread {}, inserted {}, updated {}, deleted {}, unchanged {}, skipped {}",
        text(&job["id"]),
        text(&job["status"]),
        text(&job["durationMs"]),
        c["read"],
        c["inserted"],
        c["updated"],
        c["deleted"],
        c["unchanged"],
        c["skipped"],
    );
    if let Some(error) = job["error"]["message"].as_str() {
        out.push_str(&format!("\nerror: {error}"));
    }
    out
}
