//! The `inlet` binary: the server (`serve`, `worker`, `migrate`), its
//! administration on the store itself (`admin`), and a client of a running
//! server for people and scripts (`login`, `connections`, `sync`, …).

mod client;
mod config;
mod keyfile;
mod output;
mod private;

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, CommandFactory, Parser, Subcommand};
use inlet_core::auth::{Principal, Scope};
use inlet_core::connector::Context as Outbound;
use inlet_core::ids::{CollectionId, OrgId};
use inlet_core::model::wire::WireEnum;
use inlet_core::secret::Secret;
use inlet_core::service::{ApiKeyInput, KeyCheck, Services, sealed_key_id};
use inlet_server::{Application, ServerConfig};

use crate::config::{Config, ConfigArgs, LogFormat};

/// Inlet: your organization's data source connections in one place.
#[derive(Parser)]
#[command(
    name = "inlet",
    version,
    about = "Inlet: your organization's data source connections in one place.",
    after_help = "Start with `inlet serve`, then `inlet login` to use the other commands against it.

Client exit codes: 0 success, 1 the server reported a failure, 2 usage error, 3 not found,
4 authentication or permission error, 130 interrupted."
)]
struct Cli {
    /// The client profile to use (see `inlet login`).
    #[arg(long, env = "INLET_PROFILE", global = true)]
    profile: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server and, unless --no-workers, the job workers (applies migrations first).
    Serve(ServeArgs),
    /// Run job workers only (syncs, schema refreshes), against the same store as the servers.
    Worker(StoreArgs),
    /// Apply database migrations and exit.
    Migrate(StoreArgs),
    /// Administer the store directly: bootstrap keys, rotate the master key.
    Admin(AdminArgs),
    /// Print the OpenAPI document.
    Openapi,
    /// Print a shell completion script (e.g. `inlet completions bash > /etc/bash_completion.d/inlet`).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    #[command(flatten)]
    Client(client::ClientCommand),
}

/// The server's settings, for the commands that open the store.
#[derive(Args)]
struct StoreArgs {
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Serve the API only; run workers elsewhere with `inlet worker`.
    #[arg(long)]
    no_workers: bool,
}

#[derive(Args)]
struct AdminArgs {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an organization's service token (printed once), through the API's validation.
    CreateKey(CreateKey),
    /// Generate a new master key and re-encrypt every credential under it.
    RotateMasterKey,
}

#[derive(Args)]
struct CreateKey {
    /// Organization id (org_1 or 1).
    #[arg(long)]
    org: String,
    /// Comma-separated scopes: read, write, admin.
    #[arg(long, value_delimiter = ',', default_value = "read")]
    scopes: Vec<String>,
    /// Key name.
    #[arg(long, default_value = "cli")]
    name: String,
    /// Restrict to these collections (comma-separated ids).
    #[arg(long, value_delimiter = ',')]
    collections: Vec<String>,
}

/// mimalloc rather than glibc's allocator: a sync and the index follower
/// allocate and free many small strings on several threads, where glibc
/// spent a fifth of an unchanged re-sync's CPU in malloc/free and kept
/// freed memory in per-thread arenas (`bench/sync.sh`; figures in
/// docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Client(command) => match client::run(command, cli.profile.as_deref()).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(failure) => {
                output::stderr(&format!("error: {failure}\n"));
                std::process::ExitCode::from(failure.exit_code())
            }
        },
        Command::Completions { shell } => {
            let mut out = std::io::stdout();
            clap_complete::generate(shell, &mut Cli::command(), "inlet", &mut out);
            std::process::ExitCode::SUCCESS
        }
        command => match run(command).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                // The message and its causes, never a backtrace (even with
                // RUST_BACKTRACE set): they are for people, not for debugging.
                output::stderr(&format!("error: {e:#}\n"));
                std::process::ExitCode::FAILURE
            }
        },
    }
}

/// The server's own commands.
async fn run(command: Command) -> Result<()> {
    let args = match &command {
        Command::Openapi => {
            output::stdout(&inlet_server::openapi::document_json());
            return Ok(());
        }
        Command::Serve(a) => &a.config,
        Command::Worker(a) | Command::Migrate(a) => &a.config,
        Command::Admin(a) => &a.config,
        Command::Completions { .. } | Command::Client(_) => return Ok(()),
    };
    let config = Config::load(args)?;
    init_tracing(config.log_format, &config.log);
    match command {
        Command::Serve(args) => serve(config, !args.no_workers).await,
        Command::Worker(_) => worker(config).await,
        Command::Migrate(_) => {
            let n = inlet_store::migrate_only(&config.database_url, config.database)
                .await
                .context("migrating the database")?;
            output::stdout(&format!("applied {n} migration(s)\n"));
            Ok(())
        }
        Command::Admin(AdminArgs {
            command: AdminCommand::CreateKey(args),
            ..
        }) => create_key(config, args).await,
        Command::Admin(AdminArgs {
            command: AdminCommand::RotateMasterKey,
            ..
        }) => rotate_master(config).await,
        Command::Openapi | Command::Completions { .. } | Command::Client(_) => Ok(()),
    }
}

fn init_tracing(format: LogFormat, filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(log_colour())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// Colour in the log only when it goes to a terminal, and never with
/// `NO_COLOR` set (no-color.org): `inlet serve 2> file` writes plain text.
fn log_colour() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

async fn open_store(config: &Config) -> Result<Arc<inlet_store::SqlStore>> {
    inlet_store::open_with(&config.database_url, config.database)
        .await
        .with_context(|| format!("opening the store at {}", config.redacted_database_url()))
}

/// The store and the master keyring, checked against each other: a key
/// file is created only for a store holding nothing sealed, and a key that
/// does not open the store's check value stops the start.
async fn keyed_services(config: &Config) -> Result<Services> {
    let store = open_store(config).await?;
    private::warn_if_wider(config);
    let sealed = sealed_key_id(store.as_ref())
        .await
        .context("reading the store's master key check")?;
    let keyring = Arc::new(keyfile::load_or_create(config, sealed.as_deref())?);
    let services = Services::new(store, keyring.clone(), inlet_connectors::catalog());
    match services
        .verify_master_key()
        .await
        .context("checking the master key against the store")?
    {
        KeyCheck::Verified | KeyCheck::Written => Ok(services),
        // The key file still holds the key the store is under, behind a
        // newer one: `rotate-master-key` stopped before its end. Rows open;
        // running it again finishes it.
        KeyCheck::RetiredKey { store_key_id } if config.master_key.is_none() => {
            tracing::warn!(
                key_id = %store_key_id,
                "the store is sealed with an older key of the master key file: a master key \
                 rotation did not finish; run `inlet admin rotate-master-key` again"
            );
            Ok(services)
        }
        // INLET_MASTER_KEY must itself be the store's key: new secrets are
        // sealed with it, and the file's keys only open old rows.
        KeyCheck::RetiredKey { store_key_id } | KeyCheck::Mismatch { store_key_id } => {
            let remedy = if config.master_key.is_some() {
                format!(
                    "Set INLET_MASTER_KEY (--master-key) to the key with id {store_key_id}, or \
                     unset it to use the key file {}",
                    config.master_key_file.display()
                )
            } else {
                format!(
                    "Restore the key file {} from a backup (the key with id {store_key_id}), or \
                     set INLET_MASTER_KEY (--master-key) to that key",
                    config.master_key_file.display()
                )
            };
            bail!(
                "the master key does not match the store ({store}): its data is sealed with \
                 master key {store_key_id}, and {source} holds key {current}. Inlet stopped \
                 without changing anything. {remedy}.",
                store = config.redacted_database_url(),
                source = keyfile::source(config),
                current = keyring.current_id(),
            )
        }
    }
}

/// The services as `config` sets them up, running the jobs they claim
/// themselves through `jobs`.
async fn services(config: &Config, jobs: Arc<inlet_worker::Executor>) -> Result<Services> {
    Ok(keyed_services(config)
        .await?
        .with_jobs(jobs)
        .with_outbound(Outbound {
            policy: Arc::new(config.policy.clone()),
            timeout: config.connect_timeout,
            resolver: Default::default(),
        })
        .with_sync(config.sync)
        .with_schedules(config.schedules))
}

/// Starts the job runner (on the executor the services run their own jobs
/// with) and the schedulers in this process.
fn start_workers(config: &Config, services: &Services, jobs: Arc<inlet_worker::Executor>) {
    inlet_worker::Runner::new(
        services.clone(),
        jobs,
        inlet_worker::RunnerConfig {
            workers: config.sync_workers,
            ..Default::default()
        },
    )
    .spawn();
    if let Some(interval) = config.schema_refresh_interval {
        inlet_worker::spawn_schema_scheduler(services.clone(), interval);
    }
    inlet_worker::spawn_audit_pruner(services.clone(), config.audit_retention);
    inlet_worker::spawn_sync_scheduler(
        services.clone(),
        inlet_worker::sync_scheduler_tick(config.schedules.continuous_interval),
    );
    tracing::info!(workers = config.sync_workers, "job workers started");
}

async fn worker(config: Config) -> Result<()> {
    let jobs = inlet_worker::Executor::new(inlet_worker::registry());
    let services = services(&config, jobs.clone()).await?;
    start_workers(&config, &services, jobs);
    output::stdout(&format!(
        "Inlet worker running {} job slot(s)\n",
        config.sync_workers
    ));
    shutdown_signal().await;
    tracing::info!("stopped");
    Ok(())
}

async fn serve(config: Config, workers: bool) -> Result<()> {
    let jobs = inlet_worker::Executor::new(inlet_worker::registry());
    let services = services(&config, jobs.clone()).await?;
    // This node's copy of the search index, following the store's change
    // log; searches wait for nothing else.
    let log: Arc<dyn inlet_core::store::ChangeLog> = services.store().clone();
    let index = inlet_index::start(log, config.index.clone()).with_context(|| {
        format!(
            "index_dir (--index-dir / INLET_INDEX_DIR): cannot use {}",
            config.index.dir.display()
        )
    })?;
    let services = services.with_index(index.index());
    let bootstrap = config.bootstrap_api_key.clone().map(Secret::new);
    let printed_by_us = bootstrap.is_none();
    if let Some(secret) = services.bootstrap(bootstrap).await? {
        if printed_by_us {
            output::stdout(&format!(
                "Created organization \"default\" and an admin API key (shown once, store it now):\n\n    {}\n\n",
                secret.expose()
            ));
        } else {
            output::stdout(
                "Created organization \"default\" with the admin key from INLET_BOOTSTRAP_API_KEY.\n",
            );
        }
    }
    let app = Application::build(
        ServerConfig {
            listen: config.listen,
            rate_limit_per_minute: config.rate_limit_per_minute,
            auth_failures_per_minute: config.auth_failures_per_minute,
            stream_recheck: config.stream_recheck_interval,
            stream_max_duration: config.stream_max_duration,
        },
        services.clone(),
    )
    .await
    .with_context(|| format!("binding {}", config.listen))?;
    if workers {
        start_workers(&config, &services, jobs);
    }
    let addr = app.local_addr()?;
    output::stdout(&format!(
        "Inlet listening on http://{addr}\nAPI docs: http://{addr}/docs\n"
    ));
    tracing::info!(%addr, store = %config.redacted_database_url(), "serving");
    app.run_until(shutdown_signal()).await?;
    // Stopping the follower joins its thread, which may be waiting on the
    // store: off the async threads.
    tokio::task::spawn_blocking(move || index.shutdown()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal received; draining");
}

async fn create_key(config: Config, args: CreateKey) -> Result<()> {
    let org = OrgId::parse(&args.org).context("--org must be an organization id such as org_1")?;
    let scopes = args
        .scopes
        .iter()
        .map(|s| Scope::parse_field(s, "--scopes").map_err(anyhow::Error::from))
        .collect::<Result<Vec<_>>>()?;
    let collections = args
        .collections
        .iter()
        .map(|c| CollectionId::parse(c).with_context(|| format!("--collections: bad id {c:?}")))
        .collect::<Result<Vec<_>>>()?;
    let services = keyed_services(&config).await?;
    let created = services
        .create_api_key(
            &Principal::operator(org),
            ApiKeyInput {
                org_id: Some(org),
                user_id: None,
                name: args.name,
                scopes,
                collection_ids: collections,
                expires_at: None,
            },
        )
        .await?;
    output::stdout(&format!("{} {}\n", created.key.id, created.secret.expose()));
    Ok(())
}

async fn rotate_master(config: Config) -> Result<()> {
    // The key file must be the store's before a new key goes in front of
    // it (`rotate` refuses INLET_MASTER_KEY itself).
    if config.master_key.is_none() {
        keyed_services(&config).await?;
    }
    let keyring = keyfile::rotate(&config)?;
    let store = open_store(&config).await?;
    let services = Services::new(store, Arc::new(keyring), inlet_connectors::catalog());
    let n = services.reseal_all_secrets().await?;
    // While the file still holds the old key, which opens the old value.
    services
        .reseal_master_key_check()
        .await
        .context("sealing the master key check value under the new key")?;
    keyfile::retire_old_keys(&config)?;
    services
        .record_master_key_rotation(n)
        .await
        .context("recording the rotation in the audit trail")?;
    output::stdout(&format!(
        "re-encrypted {n} credential set(s) under the new master key\n"
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
