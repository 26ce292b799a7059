//! `inlet login` and `inlet logout`: profiles of servers and keys.

use std::io::IsTerminal;

use clap::Args;

use crate::client::profile::{self, DEFAULT_URL, Profile, Profiles, Target};
use crate::client::remote::{Failure, Remote};
use crate::client::secret;
use crate::output;

/// The profile used when `--profile` names none.
const DEFAULT_PROFILE: &str = "default";

/// `inlet login`
#[derive(Args)]
#[command(
    after_help = "The key is checked against the server, then kept in the profile file (mode 0600) \
under your configuration directory (~/.config/inlet/config.toml on Linux; INLET_CLIENT_CONFIG overrides). \
INLET_URL and INLET_API_KEY, when set, take precedence over any profile.

Examples:
  inlet login --url https://inlet.internal           (asks for the key without echo)
  inlet login --profile staging --url http://127.0.0.1:8080 --api-key-stdin < key.txt"
)]
pub struct Login {
    /// The server's address (default: INLET_URL, the profile's, or http://127.0.0.1:8080).
    #[arg(long)]
    url: Option<String>,
    /// Read the key from standard input instead of asking.
    #[arg(long)]
    api_key_stdin: bool,
    /// Make this the profile used when none is named (the first one always is).
    #[arg(long)]
    make_default: bool,
}

/// `inlet logout`
#[derive(Args)]
pub struct Logout {}

pub async fn login(args: Login, profile: Option<&str>) -> Result<(), Failure> {
    let name = profile.unwrap_or(DEFAULT_PROFILE).to_owned();
    let path = profile::file()?;
    let mut profiles = Profiles::load(&path)?;
    let url = args
        .url
        .or_else(|| std::env::var("INLET_URL").ok().filter(|u| !u.is_empty()))
        .or_else(|| profiles.profiles.get(&name).map(|p| p.url.clone()))
        .unwrap_or_else(|| DEFAULT_URL.into())
        .trim_end_matches('/')
        .to_owned();
    let key = read_key(args.api_key_stdin, &url)?;
    // A key the server refuses is not worth keeping.
    let remote = Remote::new(Target {
        url: url.clone(),
        key: key.clone(),
    })?;
    remote.get("/api/v1/sources").await?;
    let first = profiles.profiles.is_empty();
    profiles.profiles.insert(
        name.clone(),
        Profile {
            url: url.clone(),
            api_key: key,
        },
    );
    if first || args.make_default || profiles.default.is_none() {
        profiles.default = Some(name.clone());
    }
    profiles.save(&path)?;
    output::stdout(&format!(
        "logged in to {url} as profile {name:?} (saved in {})\n",
        path.display()
    ));
    Ok(())
}

pub fn logout(_: &Logout, profile: Option<&str>) -> Result<(), Failure> {
    let path = profile::file()?;
    let mut profiles = Profiles::load(&path)?;
    let name = profile
        .map(str::to_owned)
        .or_else(|| profiles.default.clone())
        .ok_or_else(|| Failure::Usage("no profile to log out of".into()))?;
    if profiles.profiles.remove(&name).is_none() {
        return Err(Failure::Usage(format!("no profile named {name:?}")));
    }
    if profiles.default.as_deref() == Some(name.as_str()) {
        profiles.default = profiles.profiles.keys().next().cloned();
    }
    profiles.save(&path)?;
    output::stdout(&format!("removed profile {name:?}\n"));
    Ok(())
}

/// The key from standard input, or asked for without echo on a terminal
/// (where Ctrl-C cancels before anything is saved).
fn read_key(from_stdin: bool, url: &str) -> Result<String, Failure> {
    let key = if from_stdin {
        std::io::read_to_string(std::io::stdin())
            .map_err(|e| Failure::Usage(format!("reading the key from standard input: {e}")))?
    } else if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        secret::ask(&format!("API key for {url}"), false, "the key")?
    } else {
        return Err(Failure::Usage(
            "not a terminal: give the key with --api-key-stdin".into(),
        ));
    };
    let key = key.trim().to_owned();
    if key.is_empty() {
        return Err(Failure::Usage("the key is empty".into()));
    }
    Ok(key)
}
