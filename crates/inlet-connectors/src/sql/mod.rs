//! The database source types (PostgreSQL, MySQL/MariaDB, SQLite), with the
//! table reader (`reading`) and the SSH tunnels (`tunnel`) they share. This
//! file holds what they share about their drivers: connecting and
//! checking under the context's timeout, and turning driver errors into
//! clear, credential-free failures (servers put the user name in their
//! messages, never the password).

pub(crate) mod mysql;
pub(crate) mod postgresql;
pub(crate) mod reading;
pub(crate) mod sqlite;
pub(crate) mod tunnel;

use inlet_core::connector::{ConnectorError, Context};

use crate::net;

/// Connects with `opts` under the context's timeout.
pub async fn connect<C: sqlx::Connection>(
    ctx: &Context,
    what: &str,
    opts: &<C as sqlx::Connection>::Options,
) -> Result<C, ConnectorError> {
    net::timed(ctx, what, async {
        C::connect_with(opts).await.map_err(|e| map_error(what, e))
    })
    .await
}

/// Awaits a driver call under the context's timeout, mapping its error.
pub async fn run<T>(
    ctx: &Context,
    what: &str,
    call: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, ConnectorError> {
    net::timed(ctx, what, async {
        call.await.map_err(|e| map_error(what, e))
    })
    .await
}

/// Maps a sqlx error from connecting to or querying `what`.
pub fn map_error(what: &str, e: sqlx::Error) -> ConnectorError {
    match e {
        sqlx::Error::Database(db) => {
            let msg = db.message().to_owned();
            match db.code().as_deref() {
                // PostgreSQL: invalid_password, invalid_authorization_specification.
                Some("28P01" | "28000") => ConnectorError::InvalidCredentials(msg),
                // PostgreSQL: invalid_catalog_name.
                Some("3D000") => ConnectorError::DatabaseNotFound(msg),
                // MySQL/MariaDB: access denied, unknown database.
                Some("1045" | "1044" | "1698") => ConnectorError::InvalidCredentials(msg),
                Some("1049" | "42000") if msg.contains("Unknown database") => {
                    ConnectorError::DatabaseNotFound(msg)
                }
                _ => ConnectorError::Failed(format!("{what}: {msg}")),
            }
        }
        // rustls reports certificate and handshake failures as I/O errors.
        sqlx::Error::Io(io)
            if io.kind() == std::io::ErrorKind::InvalidData
                || io.to_string().contains("certificate")
                || io.to_string().to_lowercase().contains("tls") =>
        {
            ConnectorError::Tls(format!("TLS with {what} failed: {io}"))
        }
        sqlx::Error::Io(io) => crate::net::io_error(what, &io),
        sqlx::Error::Tls(t) => ConnectorError::Tls(format!("TLS with {what} failed: {t}")),
        sqlx::Error::PoolTimedOut => {
            ConnectorError::Timeout(format!("{what} did not answer in time"))
        }
        other => ConnectorError::Failed(format!("{what}: {other}")),
    }
}
