//! Helpers for test suites: a real PostgreSQL database per test, dropped
//! afterwards, so runs never collide; and the change log's writer, so the
//! concurrent-writers tests take seqs exactly as every document write does.

use inlet_core::error::CoreResult;
use inlet_core::ids::OrgId;
use inlet_core::store::ChangeOp;

use crate::db::{Db, DbError, Tx};

/// Takes the next seq of the change log and records `op` inside `tx`, the
/// very code every document-writing transaction ends with. Only for tests:
/// the store logs its own writes.
#[doc(hidden)]
pub async fn log_change(tx: &mut Tx<'_>, org: OrgId, op: &ChangeOp) -> CoreResult<u64> {
    crate::changes::log_change(tx, org, op).await
}

/// The server tests use; override with `INLET_TEST_POSTGRES_URL`.
pub fn admin_url() -> String {
    std::env::var("INLET_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A throwaway PostgreSQL database.
pub struct TempPgDatabase {
    /// Its connection URL.
    pub url: String,
    name: String,
}

impl TempPgDatabase {
    /// Creates `inlet_test_<random>`.
    pub async fn create() -> Result<Self, DbError> {
        let admin = admin_url();
        let name = format!("inlet_test_{:016x}", rand_u64());
        let db = Db::connect(&admin).await?;
        db.execute_batch(&format!("CREATE DATABASE {name}")).await?;
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Ok(Self {
            url: format!("{base}/{name}"),
            name,
        })
    }

    /// Drops the database (terminating its connections).
    pub async fn drop_db(self) -> Result<(), DbError> {
        let db = Db::connect(&admin_url()).await?;
        db.execute_batch(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .await
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}
