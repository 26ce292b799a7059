//! Reaching the network under the outbound policy: names are resolved here,
//! every address is checked, and drivers are handed a checked address.

use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};

use inlet_core::connector::{ConnectorError, Context};

/// Resolves `host:port` and checks every address against the policy. A name
/// that resolves to any refused address is refused as a whole, so a DNS
/// answer cannot smuggle a denied address in beside an allowed one.
pub async fn resolve(
    ctx: &Context,
    host: &str,
    port: u16,
) -> Result<Vec<SocketAddr>, ConnectorError> {
    let addrs: Vec<SocketAddr> = if let Ok(ip) = host.parse::<IpAddr>() {
        vec![SocketAddr::new(ip, port)]
    } else {
        match tokio::time::timeout(ctx.timeout, ctx.resolver.lookup(host, port)).await {
            Err(_) => {
                return Err(ConnectorError::Timeout(format!(
                    "resolving {host} timed out after {} s",
                    ctx.timeout.as_secs()
                )));
            }
            Ok(Err(e)) => {
                return Err(ConnectorError::Dns(format!(
                    "cannot resolve host {host}: {e}"
                )));
            }
            Ok(Ok(found)) => found,
        }
    };
    if addrs.is_empty() {
        return Err(ConnectorError::Dns(format!("host {host} has no addresses")));
    }
    for a in &addrs {
        ctx.policy
            .check_ip(a.ip())
            .map_err(ConnectorError::Policy)?;
    }
    Ok(addrs)
}

/// Maps an I/O error of a connect to host `what` onto a clear failure.
pub fn io_error(what: &str, e: &std::io::Error) -> ConnectorError {
    match e.kind() {
        ErrorKind::ConnectionRefused => ConnectorError::Refused(format!(
            "connection to {what} refused (nothing listens there)"
        )),
        ErrorKind::TimedOut => ConnectorError::Timeout(format!("connecting to {what} timed out")),
        ErrorKind::HostUnreachable
        | ErrorKind::NetworkUnreachable
        | ErrorKind::AddrNotAvailable => {
            ConnectorError::Unreachable(format!("{what} is unreachable: {e}"))
        }
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::UnexpectedEof => {
            ConnectorError::Failed(format!("{what} closed the connection: {e}"))
        }
        _ => ConnectorError::Failed(format!("connecting to {what} failed: {e}")),
    }
}

/// Runs `fut` under the context's timeout, naming `what` if it expires.
pub async fn timed<T>(
    ctx: &Context,
    what: &str,
    fut: impl Future<Output = Result<T, ConnectorError>>,
) -> Result<T, ConnectorError> {
    match tokio::time::timeout(ctx.timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err(ConnectorError::Timeout(format!(
            "{what} did not answer within {} s",
            ctx.timeout.as_secs_f32()
        ))),
    }
}

/// The `host` and `port` credentials of a network source.
pub fn host_port(
    source: &inlet_core::connector::SourceConfig,
    default_port: u16,
) -> Result<(String, u16), ConnectorError> {
    let host = source
        .str("host")
        .filter(|h| !h.trim().is_empty())
        .ok_or_else(|| ConnectorError::Invalid("credentials.host is required".into()))?;
    let port = source.int("port").unwrap_or(i64::from(default_port));
    let port = u16::try_from(port).map_err(|_| {
        ConnectorError::Invalid("credentials.port must be between 1 and 65535".into())
    })?;
    Ok((host.trim().to_owned(), port))
}

#[cfg(test)]
mod tests {
    use std::io::{Error, ErrorKind};

    use super::*;

    #[test]
    fn connect_errors_get_their_own_kind() {
        let code = |k: ErrorKind| io_error("db:5432", &Error::from(k)).code();
        assert_eq!(code(ErrorKind::ConnectionRefused), "connection_refused");
        assert_eq!(code(ErrorKind::TimedOut), "timeout");
        assert_eq!(code(ErrorKind::HostUnreachable), "host_unreachable");
        assert_eq!(code(ErrorKind::NetworkUnreachable), "host_unreachable");
        assert_eq!(code(ErrorKind::ConnectionReset), "source_error");
    }
}
