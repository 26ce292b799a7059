//! The client commands, one module per resource: what each asks the
//! server and how its answer is shown.

mod catalog;
mod collections;
mod connections;
mod jobs;
mod keys;
mod login;
mod orgs;
mod schema;
mod search;

use clap::Subcommand;

use super::remote::{Failure, Remote};

/// Commands for a running server (see `inlet login`).
#[derive(Subcommand)]
pub enum ClientCommand {
    /// Save a server and an API key as a profile (the key is read without echo).
    Login(login::Login),
    /// Forget a saved profile.
    Logout(login::Logout),
    /// The catalog of source types and their fields.
    #[command(subcommand)]
    Sources(catalog::SourcesCommand),
    /// Collections: named groups of connections.
    #[command(subcommand)]
    Collections(collections::CollectionsCommand),
    /// Connections to data sources.
    #[command(subcommand)]
    Connections(connections::ConnectionsCommand),
    /// A connection's discovered schema.
    #[command(subcommand)]
    Schema(schema::SchemaCommand),
    /// Syncs: read a connection's data into the index.
    #[command(subcommand)]
    Sync(jobs::SyncCommand),
    /// Background jobs (syncs, schema refreshes).
    #[command(subcommand)]
    Jobs(jobs::JobsCommand),
    /// Search a collection's synced documents.
    Search(search::Search),
    /// API keys of your organization.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Organizations (instance administrators).
    #[command(subcommand)]
    Orgs(orgs::OrgsCommand),
}

/// Runs a client command against the server of `profile` (or of the
/// environment, or the default profile).
pub async fn run(command: ClientCommand, profile: Option<&str>) -> Result<(), Failure> {
    let command = match command {
        ClientCommand::Login(args) => return login::login(args, profile).await,
        ClientCommand::Logout(args) => return login::logout(&args, profile),
        other => other,
    };
    let remote = Remote::resolve(profile)?;
    match command {
        ClientCommand::Login(_) | ClientCommand::Logout(_) => Ok(()),
        ClientCommand::Sources(c) => catalog::run(&remote, c).await,
        ClientCommand::Collections(c) => collections::run(&remote, c).await,
        ClientCommand::Connections(c) => connections::run(&remote, c).await,
        ClientCommand::Schema(c) => schema::run(&remote, c).await,
        ClientCommand::Sync(c) => jobs::sync(&remote, c).await,
        ClientCommand::Jobs(c) => jobs::run(&remote, c).await,
        ClientCommand::Search(c) => search::run(&remote, c).await,
        ClientCommand::Keys(c) => keys::run(&remote, c).await,
        ClientCommand::Orgs(c) => orgs::run(&remote, c).await,
    }
}
