//! The connector contract and the catalog that holds every connector.
//!
//! A connector describes a source type ([`Connector::spec`]); the "Real
//! connectors" work adds test, discover and read to the same trait.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::catalog::SourceType;

/// One source type's implementation.
pub trait Connector: Send + Sync {
    /// The catalog entry: names, auth and config fields.
    fn spec(&self) -> &SourceType;
}

/// Every registered connector, by short name.
#[derive(Clone, Default)]
pub struct Catalog {
    by_name: BTreeMap<&'static str, Arc<dyn Connector>>,
}

impl Catalog {
    /// Registers a connector under its spec's short name.
    pub fn register(&mut self, connector: Arc<dyn Connector>) {
        self.by_name.insert(connector.spec().short_name, connector);
    }

    /// The connector for `short_name`.
    pub fn get(&self, short_name: &str) -> Option<&Arc<dyn Connector>> {
        self.by_name.get(short_name)
    }

    /// Every source type, ordered by short name.
    pub fn specs(&self) -> impl Iterator<Item = &SourceType> {
        self.by_name.values().map(|c| c.spec())
    }

    /// Short names, for error messages.
    pub fn short_names(&self) -> Vec<&'static str> {
        self.by_name.keys().copied().collect()
    }
}
