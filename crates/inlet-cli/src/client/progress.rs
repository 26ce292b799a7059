//! Following a job live over its Server-Sent Events: a progress line on a
//! terminal (phase, records, rate, elapsed), nothing on a pipe, and the
//! job as it ended. Ctrl-C stops watching, and cancels the job too when
//! asked to.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use reqwest::Method;
use serde_json::{Value, json};

use super::remote::{Failure, Remote, segment};
use super::show::no_color_unset;
use super::sse;

/// How many times a dropped event stream is opened again before giving up.
const RECONNECTS: u32 = 5;

/// What Ctrl-C does.
#[derive(Clone, Copy)]
pub enum OnInterrupt {
    /// Stop watching; the job goes on.
    Detach,
    /// Ask the server to cancel the job, then stop watching.
    Cancel,
}

/// Follows job `id` until it ends and returns it as it ended (a
/// `completed`, `failed` or `cancelled` job).
pub async fn follow(
    remote: &Remote,
    id: &str,
    on_interrupt: OnInterrupt,
) -> Result<Value, Failure> {
    let bar = Bar::new(id);
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    tokio::select! {
        result = read_events(remote, id, &bar) => {
            match &result {
                Ok(job) => bar.finish(job),
                Err(_) => bar.abandon("stopped"),
            }
            result
        }
        _ = &mut interrupted => {
            let message = match on_interrupt {
                OnInterrupt::Detach => format!(
                    "stopped watching {id}; it goes on (follow it again with `inlet jobs watch {id}`)"
                ),
                OnInterrupt::Cancel => {
                    let path = format!("/api/v1/jobs/{}/cancel", segment(id));
                    remote.call(Method::POST, &path, Some(&json!({}))).await?;
                    format!("stopped watching {id} and asked it to cancel")
                }
            };
            bar.abandon("interrupted");
            Err(Failure::Interrupted(message))
        }
    }
}

/// Reads the job's events until its `end`, opening the stream again (from
/// the last event seen) when it drops.
async fn read_events(remote: &Remote, id: &str, bar: &Bar) -> Result<Value, Failure> {
    let path = format!("/api/v1/jobs/{}/events", segment(id));
    let mut last_id: Option<String> = None;
    let mut drops = 0;
    loop {
        let mut resp = match remote.open_stream(&path, last_id.as_deref()).await {
            Ok(r) => r,
            Err(Failure::Transport(_)) if drops < RECONNECTS => {
                drops += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        let mut parser = sse::Parser::default();
        let mut closed_cleanly = false;
        loop {
            let chunk = match resp.chunk().await {
                Ok(Some(c)) => c,
                Ok(None) => {
                    closed_cleanly = true;
                    break;
                }
                Err(_) => break,
            };
            for event in parser.feed(&chunk) {
                last_id = event.id.clone().or(last_id);
                let job: Value = serde_json::from_str(&event.data).map_err(|e| {
                    Failure::Transport(format!("the server sent a job that is not JSON: {e}"))
                })?;
                if event.name == "end" {
                    return Ok(job);
                }
                bar.update(&job);
            }
        }
        // A stream the server closed before `end` reached its time cap (or
        // its key was refused, which the next open reports): reopened from
        // the last event, without counting as a drop.
        if !closed_cleanly {
            drops += 1;
        }
        if drops > RECONNECTS {
            return Err(Failure::Transport(format!(
                "lost the event stream of {id} {RECONNECTS} times; see `inlet jobs show {id}`"
            )));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The progress line (drawn only on a terminal).
struct Bar(ProgressBar);

impl Bar {
    fn new(id: &str) -> Self {
        let template = if no_color_unset() {
            "{spinner:.cyan} {prefix:.bold} {msg} {elapsed:.dim}"
        } else {
            "{spinner} {prefix} {msg} {elapsed}"
        };
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(id.to_owned());
        bar.set_message("waiting for the server");
        bar.enable_steady_tick(Duration::from_millis(120));
        Self(bar)
    }

    fn update(&self, job: &Value) {
        self.0.set_message(line(job));
    }

    fn finish(&self, job: &Value) {
        self.0.finish_with_message(line(job));
    }

    fn abandon(&self, why: &'static str) {
        self.0.abandon_with_message(why);
    }
}

/// One line of a job's progress: phase, records read, rate.
pub fn line(job: &Value) -> String {
    let status = job["status"].as_str().unwrap_or("unknown");
    let phase = if job["cancelRequested"].as_bool() == Some(true) && status == "running" {
        "cancelling".to_owned()
    } else if status == "running" {
        job["streams"]
            .as_array()
            .and_then(|s| s.iter().rev().find(|s| s["status"] == "running"))
            .and_then(|s| s["name"].as_str())
            .map_or_else(|| "running".to_owned(), |name| format!("reading {name}"))
    } else {
        status.to_owned()
    };
    let read = job["counts"]["read"].as_u64().unwrap_or(0);
    let ms = job["durationMs"].as_u64().unwrap_or(0);
    let mut text = format!("{phase} · {} records", thousands(read));
    if ms >= 1_000 && read > 0 {
        text.push_str(&format!(" · {}/s", thousands(read * 1_000 / ms)));
    }
    text
}

/// 1234567 as "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_progress_line_says_phase_records_and_rate() {
        let job = json!({"status": "running", "cancelRequested": false, "durationMs": 2_000,
            "counts": {"read": 123_456},
            "streams": [{"name": "public.a", "status": "completed"},
                        {"name": "public.orders", "status": "running"}]});
        assert_eq!(
            line(&job),
            "reading public.orders · 123,456 records · 61,728/s"
        );
        let queued = json!({"status": "queued", "counts": {"read": 0}});
        assert_eq!(line(&queued), "queued · 0 records");
        let stopping = json!({"status": "running", "cancelRequested": true, "counts": {}});
        assert_eq!(line(&stopping), "cancelling · 0 records");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
    }
}
