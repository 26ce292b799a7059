//! The job kinds, one file each with its data and its logic.

mod schema_refresh;
mod sync;

pub use schema_refresh::SchemaRefresh;
pub use sync::Sync;
