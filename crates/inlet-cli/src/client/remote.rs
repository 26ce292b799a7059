//! Requests to the server and what their answers mean for the exit code.

use std::fmt;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::profile::{self, Profiles, Target};

/// Why a client command failed, and the exit code that says so.
#[derive(Debug)]
pub enum Failure {
    /// The command line cannot work (a missing setting): exit 2.
    Usage(String),
    /// The server answered with an error: 4 for authentication and
    /// permissions, 3 for not found, 1 otherwise.
    Server {
        /// HTTP status.
        status: StatusCode,
        /// The server's message.
        message: String,
    },
    /// The server could not be reached or answered nonsense: exit 1.
    Transport(String),
    /// Ctrl-C: exit 130, as shells report a SIGINT.
    Interrupted(String),
}

impl Failure {
    /// 0 is success; 1 the server reported a failure; 2 usage; 3 not
    /// found; 4 authentication or permission.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Server { status, .. } => match *status {
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => 4,
                StatusCode::NOT_FOUND => 3,
                _ => 1,
            },
            Failure::Transport(_) => 1,
            Failure::Interrupted(_) => 130,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(m) | Failure::Transport(m) | Failure::Interrupted(m) => f.write_str(m),
            Failure::Server { message, .. } => f.write_str(message),
        }
    }
}

/// A running server, addressed with a key.
pub struct Remote {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Remote {
    /// The server and key of the environment or of a profile (see
    /// [`super::profile`]).
    pub fn resolve(profile: Option<&str>) -> Result<Self, Failure> {
        let target = Profiles::load(&profile::file()?)?.target(profile)?;
        Self::new(target)
    }

    /// A client of `target`.
    pub fn new(target: Target) -> Result<Self, Failure> {
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| Failure::Transport(format!("starting the HTTP client: {e}")))?;
        Ok(Self {
            http,
            base: target.url,
            key: target.key,
        })
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends a request to `path` (below the server's address) and returns
    /// the answer's JSON, or the server's error as a [`Failure`].
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, Failure> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| Failure::Transport(format!("cannot reach {}: {e}", self.base)))?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| Failure::Transport(format!("reading the answer: {e}")))?;
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(json);
        }
        Err(server_failure(status, &json))
    }

    /// `GET path` as a stream (Server-Sent Events), after checking the
    /// answer is a success; `last_event_id` resumes a stream.
    pub async fn open_stream(
        &self,
        path: &str,
        last_event_id: Option<&str>,
    ) -> Result<reqwest::Response, Failure> {
        let mut req = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .header(reqwest::header::ACCEPT, "text/event-stream");
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| Failure::Transport(format!("cannot reach {}: {e}", self.base)))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status();
        let json: Value = resp.json().await.unwrap_or(Value::Null);
        Err(server_failure(status, &json))
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Result<Value, Failure> {
        self.call(Method::GET, path, None).await
    }
}

/// The server's error answer as a [`Failure`] carrying its message.
fn server_failure(status: StatusCode, json: &Value) -> Failure {
    let message = json["error"]["message"]
        .as_str()
        .map_or_else(|| format!("the server answered {status}"), str::to_owned);
    Failure::Server { status, message }
}

/// A path or query segment, percent-encoded (everything but letters,
/// digits and `-_.~`).
pub fn segment(s: &str) -> String {
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
    fn segments_are_percent_encoded() {
        assert_eq!(segment("a b/c&d"), "a%20b%2Fc%26d");
    }

    #[test]
    fn exit_codes() {
        let server = |status| Failure::Server {
            status,
            message: String::new(),
        };
        assert_eq!(server(StatusCode::UNAUTHORIZED).exit_code(), 4);
        assert_eq!(server(StatusCode::FORBIDDEN).exit_code(), 4);
        assert_eq!(server(StatusCode::NOT_FOUND).exit_code(), 3);
        assert_eq!(server(StatusCode::BAD_GATEWAY).exit_code(), 1);
        assert_eq!(Failure::Usage(String::new()).exit_code(), 2);
        assert_eq!(Failure::Interrupted(String::new()).exit_code(), 130);
    }
}
