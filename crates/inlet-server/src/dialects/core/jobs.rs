//! Jobs in the core API: starting a sync (003's `POST …/run`), reading and
//! cancelling jobs, and following one live over Server-Sent Events.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use inlet_core::CoreError;
use inlet_core::ids::{ConnectionId, JobId, job_label};
use inlet_core::list::JobFilter;
use inlet_core::model::job::{
    Counts, Job, JobError, JobKind, JobStatus, JobTrigger, StreamProgress,
};
use inlet_core::model::now;
use inlet_core::model::wire::WireEnum;
use inlet_core::service::{Credential, JobWatch};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use utoipa::{IntoParams, ToSchema};

use super::dto::{Pagination, page_request, path_id};
use super::error::ErrorEnvelope;
use crate::auth::bearer;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, Caller};
use crate::state::AppState;

/// A background job (a sync or a schema refresh).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobOut {
    /// `sync_<n>` for syncs, `job_<n>` for other kinds.
    id: String,
    source_connection_id: String,
    /// `sync` or `schema_refresh`.
    kind: &'static str,
    /// `manual`, `schedule` or `api`.
    trigger: &'static str,
    /// `queued`, `running`, `completed`, `failed` or `cancelled`.
    status: &'static str,
    force_full_sync: bool,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    /// Run time so far, or in all once finished.
    duration_ms: Option<i64>,
    /// Records read, inserted, updated, deleted, unchanged, skipped (live while running).
    #[schema(value_type = Object)]
    counts: Counts,
    /// Bytes of record data read.
    bytes: u64,
    /// The change-log position of the job's last batch that changed
    /// documents (absent until one did): pass it as a search's `after` to
    /// see everything the job wrote.
    #[serde(skip_serializing_if = "Option::is_none")]
    index_seq: Option<u64>,
    /// Per-stream progress.
    #[schema(value_type = Vec<Object>)]
    streams: Vec<StreamProgress>,
    /// Why it failed (or why its last attempt failed, while it waits to retry).
    #[schema(value_type = Option<Object>)]
    error: Option<JobError>,
    /// Attempts started (a retry or a resumption after a crash adds one).
    attempts: u32,
    /// A cancel was asked for and the job has not stopped yet.
    cancel_requested: bool,
}

impl From<Job> for JobOut {
    fn from(j: Job) -> Self {
        Self {
            id: job_label(j.id, j.kind),
            source_connection_id: j.connection_id.to_string(),
            kind: j.kind.as_str(),
            trigger: j.trigger.as_str(),
            status: j.status.as_str(),
            force_full_sync: j.force_full,
            created_at: j.created_at,
            started_at: j.started_at,
            finished_at: j.finished_at,
            duration_ms: j.duration_ms(now()),
            counts: j.counts,
            bytes: j.bytes,
            index_seq: j.index_seq,
            streams: j.streams,
            error: j.error,
            attempts: j.attempts,
            cancel_requested: j.cancel_requested && !j.status.is_final(),
        }
    }
}

/// 003's answer to `POST …/run`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunStarted {
    /// Always true.
    success: bool,
    /// `sync_<n>`: follow it at `/api/v1/jobs/{syncId}`.
    sync_id: String,
    /// `started`.
    status: &'static str,
}

/// `{"success": true, "job": {...}}`
#[derive(Serialize, ToSchema)]
pub struct JobEnvelope {
    success: bool,
    job: JobOut,
}

/// `{"success": true, "jobs": [...], "pagination": {...}}`
#[derive(Serialize, ToSchema)]
pub struct JobList {
    success: bool,
    jobs: Vec<JobOut>,
    pagination: Pagination,
}

/// Options of a run.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunQuery {
    /// Ignore cursors and read everything again (rows gone from the source are removed).
    force_full_sync: Option<bool>,
}

/// Paging of a job list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobListQuery {
    /// Page number (default 1).
    page: Option<String>,
    /// Items per page, 1–100 (default 20).
    page_size: Option<String>,
}

/// Filters and paging of the organization's job list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrgJobListQuery {
    /// Only this status: queued, running, completed, failed or cancelled.
    status: Option<String>,
    /// Only this kind: sync or schema_refresh.
    kind: Option<String>,
    /// Page number (default 1).
    page: Option<String>,
    /// Items per page, 1–100 (default 20).
    page_size: Option<String>,
}

fn connection_id(raw: &str) -> ApiResult<ConnectionId> {
    path_id(raw, ConnectionId::parse, "source connection")
}

fn job_id(raw: &str) -> ApiResult<JobId> {
    path_id(raw, JobId::parse, "job")
}

/// Trigger an immediate sync (003). Queued for a worker; follow it with the jobs API.
#[utoipa::path(post, path = "/api/v1/source-connections/{id}/run", tag = "jobs",
    params(("id" = String, Path, description = "Source connection id"), RunQuery),
    responses((status = 200, body = RunStarted), (status = 404, body = ErrorEnvelope),
              (status = 409, description = "sync_in_progress, or the connection is switched off (conflict)", body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn run(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
    ApiQuery(q): ApiQuery<RunQuery>,
) -> ApiResult<Json<RunStarted>> {
    let job = state
        .services
        .run_sync(
            &who,
            connection_id(&raw)?,
            JobTrigger::Api,
            q.force_full_sync.unwrap_or(false),
        )
        .await?;
    Ok(Json(RunStarted {
        success: true,
        sync_id: job_label(job.id, job.kind),
        status: "started",
    }))
}

/// A connection's jobs, newest first.
#[utoipa::path(get, path = "/api/v1/source-connections/{id}/jobs", tag = "jobs",
    params(("id" = String, Path, description = "Source connection id"), JobListQuery),
    responses((status = 200, body = JobList), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
    ApiQuery(q): ApiQuery<JobListQuery>,
) -> ApiResult<Json<JobList>> {
    let page = page_request(q.page.as_deref(), q.page_size.as_deref())?;
    let result = state
        .services
        .list_jobs(&who, connection_id(&raw)?, page)
        .await?;
    Ok(Json(JobList {
        success: true,
        pagination: Pagination::of(&result),
        jobs: result.items.into_iter().map(Into::into).collect(),
    }))
}

/// The organization's jobs across its connections (those the key may
/// see), newest first: what runs now, what failed lately.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs",
    params(OrgJobListQuery),
    responses((status = 200, body = JobList), (status = 400, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list_all(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<OrgJobListQuery>,
) -> ApiResult<Json<JobList>> {
    let page = page_request(q.page.as_deref(), q.page_size.as_deref())?;
    let filter = JobFilter {
        status: q
            .status
            .as_deref()
            .map(|s| JobStatus::parse_field(s, "status"))
            .transpose()?,
        kind: q
            .kind
            .as_deref()
            .map(|k| JobKind::parse_field(k, "kind"))
            .transpose()?,
        ..JobFilter::default()
    };
    let result = state.services.list_org_jobs(&who, filter, page).await?;
    Ok(Json(JobList {
        success: true,
        pagination: Pagination::of(&result),
        jobs: result.items.into_iter().map(Into::into).collect(),
    }))
}

/// One job, with live counts while it runs.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "Job id (sync_1 or job_1)")),
    responses((status = 200, body = JobEnvelope), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<JobEnvelope>> {
    let job = state.services.get_job(&who, job_id(&raw)?).await?;
    Ok(Json(JobEnvelope {
        success: true,
        job: job.into(),
    }))
}

/// Cancel a job: a queued one at once, a running one within seconds
/// (batches it committed stay; the next run continues from them).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, body = JobEnvelope), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<JobEnvelope>> {
    let job = state.services.cancel_job(&who, job_id(&raw)?).await?;
    Ok(Json(JobEnvelope {
        success: true,
        job: job.into(),
    }))
}

/// How often the event stream looks at the job (it may run on another node).
const POLL: Duration = Duration::from_millis(250);

/// Follow a job live: Server-Sent Events `progress` (the job as JSON, at most
/// four a second, each with an id; `Last-Event-ID` resumes) and a final
/// `end`, after which the stream closes. A keep-alive comment every 15 s.
/// The key is checked again every few seconds (`INLET_STREAM_RECHECK_INTERVAL`)
/// and the stream closes once it is refused; a stream lasts at most
/// `INLET_STREAM_MAX_DURATION`, then closes without an `end` (reconnect with
/// `Last-Event-ID`).
#[utoipa::path(get, path = "/api/v1/jobs/{id}/events", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, description = "text/event-stream of `progress` events and one `end` event", content_type = "text/event-stream", body = String),
              (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn events(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    // The auth middleware let this key in; the stream keeps its hash to
    // ask again.
    let credential = bearer(&headers).map(Credential::api_key).ok_or_else(|| {
        CoreError::Unauthorized("missing API key; send Authorization: Bearer <key>".into())
    })?;
    event_stream(&state, &who, job_id(&raw)?, credential, &headers).await
}

/// A job's events for `who` (the API's route and the console's), whose
/// `credential` is checked again while the stream lasts: `NotFound` before
/// the stream starts when the job is not theirs.
pub(crate) async fn event_stream(
    state: &AppState,
    who: &inlet_core::auth::Principal,
    id: JobId,
    credential: Credential,
    headers: &HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>> + use<>>> {
    let (first, watch) = state.services.watch_job(who, id, credential).await?;
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let opened = Instant::now();
    let follow = Follow {
        watch,
        next: Some(first),
        last_seen,
        done: false,
        recheck_every: state.streams.recheck,
        next_check: opened + state.streams.recheck,
        closes_at: opened + state.streams.max_duration,
    };
    let stream = futures_util::stream::unfold(follow, Follow::step);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// The state of one event stream.
struct Follow {
    watch: JobWatch,
    /// A job read but not yet looked at.
    next: Option<Job>,
    /// The id of the last event sent (the job's `updatedAt` in ms).
    last_seen: Option<i64>,
    done: bool,
    /// How often the caller's credential is checked again.
    recheck_every: Duration,
    /// When it is checked next.
    next_check: Instant,
    /// When the stream closes, whatever the job does.
    closes_at: Instant,
}

impl Follow {
    async fn step(mut self) -> Option<(Result<Event, Infallible>, Self)> {
        if self.done {
            return None;
        }
        loop {
            let job = match self.next.take() {
                Some(j) => j,
                None => {
                    let now = Instant::now();
                    if now >= self.closes_at {
                        // The time cap: the job has not ended, so no `end`
                        // event; a comment (ignored by clients) says why, and
                        // the client reconnects with `Last-Event-ID`.
                        self.done = true;
                        let note = Event::default()
                            .comment("stream time limit reached; reconnect with Last-Event-ID");
                        return Some((Ok(note), self));
                    }
                    tokio::time::sleep(POLL.min(self.closes_at - now)).await;
                    if Instant::now() >= self.next_check {
                        if let Err(e) = self.watch.recheck().await {
                            tracing::info!(reason = %e, "job event stream closed: its caller was refused");
                            return None;
                        }
                        self.next_check = Instant::now() + self.recheck_every;
                    }
                    match self.watch.current().await {
                        Ok(j) => j,
                        // Deleted with its connection: end the stream.
                        Err(_) => return None,
                    }
                }
            };
            let version = job.updated_at.timestamp_millis();
            let is_final = job.status.is_final();
            if !is_final && self.last_seen == Some(version) {
                continue;
            }
            self.last_seen = Some(version);
            self.done = is_final;
            let name = if is_final { "end" } else { "progress" };
            let body = serde_json::to_string(&JobOut::from(job)).unwrap_or_else(|_| "{}".into());
            let event = Event::default()
                .event(name)
                .id(version.to_string())
                .data(body);
            return Some((Ok(event), self));
        }
    }
}
