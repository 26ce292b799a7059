//! `inlet` as a client of a running server, for people and scripts: the
//! server's address and key from `INLET_URL` and `INLET_API_KEY`, one
//! request per command, answers as aligned tables (`--json` for scripts,
//! `--quiet` for ids only), and exit codes scripts can rely on.
//!
//! The key is read from the environment only, never from an argument,
//! so it stays out of shell history and process lists.

mod commands;
mod remote;

pub use commands::{ClientCommand, run};
