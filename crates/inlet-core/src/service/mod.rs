//! Use-cases. Handlers of every API dialect call these; they check
//! permissions, validate, seal secrets and call the store. Workers will call
//! the same functions.

mod access;
mod collections;
mod connections;
mod keys;
mod orgs;

use std::sync::Arc;

pub use connections::ConnectionInput;
pub use keys::{ApiKeyInput, CreatedKey};

use crate::connector::{Catalog, Context};
use crate::crypto::Keyring;
use crate::store::Store;

/// The services, shared by every handler and worker.
#[derive(Clone)]
pub struct Services {
    store: Arc<dyn Store>,
    keyring: Arc<Keyring>,
    catalog: Arc<Catalog>,
    outbound: Context,
}

impl Services {
    /// Wires services to a store, a keyring and the connector catalog.
    pub fn new(store: Arc<dyn Store>, keyring: Arc<Keyring>, catalog: Catalog) -> Self {
        Self {
            store,
            keyring,
            catalog: Arc::new(catalog),
            outbound: Context {
                policy: Arc::new(crate::policy::OutboundPolicy::default()),
                timeout: std::time::Duration::from_secs(10),
            },
        }
    }

    /// Sets what connectors may reach and how long they may wait.
    pub fn with_outbound(mut self, outbound: Context) -> Self {
        self.outbound = outbound;
        self
    }

    /// The store, for health checks.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The connector catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }
}
