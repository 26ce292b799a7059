//! Calls that leave Inlet for a source, bounded in time.

use std::future::Future;

use crate::connector::{ConnectorError, Context};
use crate::error::{CoreError, CoreResult};

/// Runs a connector call under the outbound timeout (plus a margin for the
/// connector's own bounded steps), mapping its failure to a service error.
pub(crate) async fn bounded<T>(
    ctx: &Context,
    fut: impl Future<Output = Result<T, ConnectorError>>,
) -> CoreResult<T> {
    let limit = ctx.timeout + ctx.timeout / 2;
    match tokio::time::timeout(limit, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(CoreError::Source(e)),
        Err(_) => Err(CoreError::Source(ConnectorError::Timeout(format!(
            "the source did not answer within {} s",
            limit.as_secs_f32()
        )))),
    }
}
