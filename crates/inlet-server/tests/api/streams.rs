//! Job event streams stay honest while they are open: a revoked key or an
//! ended console session closes them (checked again every few seconds),
//! a stream lasts at most its time cap, and `Last-Event-ID` resumes it
//! without repeating events.

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use reqwest::StatusCode;
use serde_json::json;

use crate::console::{csrf_of, page, session_cookie, sign_in, sign_out};
use crate::harness::{Options, TestApp};
use crate::sync::{csv_source, run};

/// Far longer than any re-check interval or cap these tests configure:
/// only a stream that never ends runs into it.
const GENEROUS: Duration = Duration::from_secs(30);

/// One Server-Sent Event: (event name, id).
type Sse = (String, String);

/// Reads a stream's events as they arrive.
struct Events {
    body: BoxStream<'static, reqwest::Result<axum::body::Bytes>>,
    text: String,
}

impl Events {
    async fn open(app: &TestApp, path: &str, auth: (&str, &str), last_id: Option<&str>) -> Self {
        let mut req = app
            .client
            .get(format!("{}{path}", app.base))
            .header(auth.0, auth.1);
        if let Some(id) = last_id {
            req = req.header("Last-Event-ID", id);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        Self {
            body: resp.bytes_stream().boxed(),
            text: String::new(),
        }
    }

    /// The next event (comments skipped), or `None` once the stream closed.
    async fn next(&mut self) -> Option<Sse> {
        loop {
            if let Some(end) = self.text.find("\n\n") {
                let block: String = self.text.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .filter_map(|l| l.strip_prefix(name))
                        .map(|v| v.trim_start().to_owned())
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                if block.trim().is_empty() || block.starts_with(':') {
                    continue;
                }
                return Some((field("event:"), field("id:")));
            }
            match self.body.next().await {
                Some(chunk) => self
                    .text
                    .push_str(&String::from_utf8_lossy(&chunk.unwrap())),
                None => return None,
            }
        }
    }

    /// Every event until the stream closes; panics if it stays open.
    async fn until_closed(mut self, why: &str) -> Vec<Sse> {
        tokio::time::timeout(GENEROUS, async {
            let mut seen = Vec::new();
            while let Some(e) = self.next().await {
                seen.push(e);
            }
            seen
        })
        .await
        .unwrap_or_else(|_| panic!("the stream stays open: {why}"))
    }
}

/// A server without workers (a queued job stays queued and its stream
/// would never end by itself) and a queued sync on it.
async fn queued_job(opts: Options) -> (TestApp, String) {
    let app = TestApp::with(Options { workers: 0, ..opts }).await;
    let conn = csv_source(&app, "id,name\n1,a\n", json!({"keyColumns": ["id"]})).await;
    let sync = run(&app, &conn).await;
    (app, sync)
}

/// A read key made through the API: (secret, id).
async fn read_key(app: &TestApp) -> (String, String) {
    let r = app
        .post(
            "/api/v1/api-keys",
            &app.admin_key,
            json!({"name": "watcher", "scopes": ["read"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    (
        r.body["apiKey"]["key"].as_str().unwrap().to_owned(),
        r.body["apiKey"]["id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_revoked_key_closes_its_open_event_stream() {
    let (app, sync) = queued_job(Options {
        stream_recheck: Duration::from_millis(200),
        ..Default::default()
    })
    .await;
    let (key, key_id) = read_key(&app).await;
    let path = format!("/api/v1/jobs/{sync}/events");
    let bearer = format!("Bearer {key}");
    let mut events = Events::open(&app, &path, ("authorization", &bearer), None).await;
    let first = tokio::time::timeout(GENEROUS, events.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.0, "progress");

    // Another admin key revokes it: the open stream ends, with no `end`
    // (the job has not ended), and the key opens no new one.
    let r = app
        .delete(&format!("/api/v1/api-keys/{key_id}"), &app.admin_key)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let rest = events.until_closed("after its key was revoked").await;
    assert!(rest.iter().all(|(name, _)| name != "end"), "{rest:?}");
    app.get(&path, &key)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    app.finish().await;
}

#[tokio::test]
async fn an_ended_console_session_closes_its_live_progress() {
    let (app, sync) = queued_job(Options {
        stream_recheck: Duration::from_millis(200),
        ..Default::default()
    })
    .await;
    let (key, key_id) = read_key(&app).await;
    let path = format!("/jobs/{sync}/events");

    // Signing out ends the session's stream.
    let cookie = session_cookie(&sign_in(&app, &key, false).await);
    let csrf = csrf_of(&page(&app, "/", &cookie).await.text().await.unwrap());
    let mut events = Events::open(&app, &path, ("cookie", &cookie), None).await;
    assert_eq!(events.next().await.unwrap().0, "progress");
    assert_eq!(
        sign_out(&app, &cookie, Some(&csrf)).await.status(),
        StatusCode::SEE_OTHER
    );
    events.until_closed("after sign-out").await;

    // Revoking the session's key ends it too.
    let cookie = session_cookie(&sign_in(&app, &key, false).await);
    let mut events = Events::open(&app, &path, ("cookie", &cookie), None).await;
    assert_eq!(events.next().await.unwrap().0, "progress");
    app.delete(&format!("/api/v1/api-keys/{key_id}"), &app.admin_key)
        .await;
    events
        .until_closed("after the session's key was revoked")
        .await;
    app.finish().await;
}

#[tokio::test]
async fn a_stream_ends_at_its_cap_and_resumes_without_repeating() {
    let (app, sync) = queued_job(Options {
        stream_max_duration: Duration::from_secs(1),
        ..Default::default()
    })
    .await;
    let path = format!("/api/v1/jobs/{sync}/events");
    let bearer = format!("Bearer {}", app.admin_key);
    let auth = ("authorization", bearer.as_str());

    // The first stream: the queued job once, then closed at the cap with
    // no `end` (the job has not ended).
    let seen = Events::open(&app, &path, auth, None)
        .await
        .until_closed("past its cap")
        .await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].0, "progress");
    let last = seen[0].1.clone();
    assert!(!last.is_empty());

    // Resumed from that event while nothing changed: nothing is repeated.
    let again = Events::open(&app, &path, auth, Some(&last))
        .await
        .until_closed("resumed, past its cap")
        .await;
    assert!(again.is_empty(), "{again:?}");

    // What happens next arrives on the resumed stream, once.
    let r = app
        .post(
            &format!("/api/v1/jobs/{sync}/cancel"),
            &app.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let after = Events::open(&app, &path, auth, Some(&last))
        .await
        .until_closed("after the job ended")
        .await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].0, "end");
    assert_ne!(after[0].1, last);
    app.finish().await;
}
