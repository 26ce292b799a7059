//! A stored connection opened for a job: its connector, its configuration
//! with the secrets opened, and what it may reach. Every call through it is
//! bounded by the outbound timeout.

use std::sync::Arc;

use super::{Services, ensure_switched_on};
use crate::connector::{Connector, Context, ReadRequest, RecordStream, SourceConfig};
use crate::error::CoreResult;
use crate::ids::{ConnectionId, OrgId};
use crate::model::connection::Connection;
use crate::model::schema::DiscoveredSchema;

/// A switched-on connection, ready to be read or discovered.
pub struct OpenedSource {
    /// The connection as stored.
    pub connection: Connection,
    connector: Arc<dyn Connector>,
    source: SourceConfig,
    ctx: Context,
}

impl OpenedSource {
    /// Starts reading the connection's streams from `request`'s positions.
    pub async fn read(&self, request: ReadRequest) -> CoreResult<RecordStream> {
        super::outbound::bounded(
            &self.ctx,
            self.connector.read(&self.ctx, &self.source, request),
        )
        .await
    }

    /// Reports the source's structure.
    pub async fn discover(&self) -> CoreResult<DiscoveredSchema> {
        super::outbound::bounded(&self.ctx, self.connector.discover(&self.ctx, &self.source)).await
    }
}

impl Services {
    /// Opens connection `id` of `org` for a job that will `verb` it; a
    /// switched-off connection is a conflict that names the verb.
    pub async fn open_source(
        &self,
        org: OrgId,
        id: ConnectionId,
        verb: &str,
    ) -> CoreResult<OpenedSource> {
        let connection = self.store.get_connection(org, id).await?;
        ensure_switched_on(&connection, verb)?;
        let source = self.source_config(&connection)?;
        let connector = self.connector(&connection.source_type)?.clone();
        let ctx = self.outbound_for(org).await?;
        Ok(OpenedSource {
            connection,
            connector,
            source,
            ctx,
        })
    }
}
