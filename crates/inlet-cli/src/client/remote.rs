//! Requests to the server and what their answers mean for the exit code.

use std::fmt;

use reqwest::{Method, StatusCode};
use serde_json::Value;

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
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(m) | Failure::Transport(m) => f.write_str(m),
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
    /// From `INLET_URL` (default `http://127.0.0.1:8080`) and `INLET_API_KEY`.
    pub fn from_env() -> Result<Self, Failure> {
        let base = std::env::var("INLET_URL")
            .unwrap_or_else(|_| "http://127.0.0.1:8080".into())
            .trim_end_matches('/')
            .to_owned();
        let key = std::env::var("INLET_API_KEY")
            .ok()
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| {
                Failure::Usage(
                    "set INLET_API_KEY to an API key (and INLET_URL to the server, default http://127.0.0.1:8080)".into(),
                )
            })?;
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| Failure::Transport(format!("starting the HTTP client: {e}")))?;
        Ok(Self { http, base, key })
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
        let message = json["error"]["message"]
            .as_str()
            .map_or_else(|| format!("the server answered {status}"), str::to_owned);
        Err(Failure::Server { status, message })
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Result<Value, Failure> {
        self.call(Method::GET, path, None).await
    }
}
