//! `inlet` as a client of a running server, for people and scripts: the
//! server and key from the environment or a profile written by `inlet
//! login`, answers as aligned tables (`--json` for scripts, `--quiet` for
//! ids only), and exit codes scripts can rely on: 0 success, 1 the server
//! reported a failure, 2 usage, 3 not found, 4 authentication or
//! permission, 130 interrupted.
//!
//! Keys and secrets are never taken from the command line itself, where
//! shell history and process lists would keep them.

mod commands;
mod fields;
mod profile;
mod progress;
mod read_after;
mod remote;
mod secret;
mod show;
mod sse;

pub use commands::{ClientCommand, run};
