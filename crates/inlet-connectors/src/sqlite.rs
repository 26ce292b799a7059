//! The SQLite connector: a database file under an allowed root, opened
//! read-only through sqlx's SQLite driver.

use std::collections::BTreeMap;

use async_trait::async_trait;
use inlet_core::connector::{Connector, ConnectorError, Context, SourceConfig};
use inlet_core::model::catalog::{FieldSpec, FieldType, SourceType};
use inlet_core::model::schema::{ColumnInfo, DiscoveredSchema, SchemaInfo, TableInfo};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row, SqliteConnection};

use crate::{common, files, net, sql_errors};

/// SQLite database files.
pub struct Sqlite {
    spec: SourceType,
}

impl Default for Sqlite {
    fn default() -> Self {
        Self::new()
    }
}

impl Sqlite {
    /// Builds the connector and its catalog entry.
    pub fn new() -> Self {
        Self {
            spec: SourceType {
                id: "src_sqlite",
                name: "SQLite",
                short_name: "sqlite",
                description: "Read a SQLite database file under an allowed root",
                auth_methods: &["none"],
                labels: &["database", "file"],
                supports_continuous: false,
                auth_fields: vec![
                    FieldSpec::new("path", FieldType::String, true)
                        .describe("Path of the database file, under INLET_FILE_ROOTS"),
                ],
                config_fields: common::database_config(),
            },
        }
    }

    async fn connect(
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<SqliteConnection, ConnectorError> {
        let raw = source
            .str("path")
            .ok_or_else(|| ConnectorError::Invalid("credentials.path is required".into()))?;
        let path = files::resolve(ctx, raw)?;
        if !path.is_file() {
            return Err(ConnectorError::FileNotFound(format!("{raw} is not a file")));
        }
        let opts = SqliteConnectOptions::new()
            .filename(&path)
            .read_only(true)
            .create_if_missing(false)
            .log_statements(tracing::log::LevelFilter::Debug);
        net::timed(ctx, "SQLite", async {
            SqliteConnection::connect_with(&opts)
                .await
                .map_err(|e| sql_errors::map("SQLite", e))
        })
        .await
    }
}

#[async_trait]
impl Connector for Sqlite {
    fn spec(&self) -> &SourceType {
        &self.spec
    }

    async fn test(&self, ctx: &Context, source: &SourceConfig) -> Result<(), ConnectorError> {
        let mut conn = Self::connect(ctx, source).await?;
        // Reading the schema table proves the file is a database, not just a file.
        net::timed(ctx, "SQLite query", async {
            sqlx::query("SELECT count(*) FROM sqlite_master")
                .execute(&mut conn)
                .await
                .map_err(|e| sql_errors::map("SQLite", e))
        })
        .await?;
        let _ = conn.close().await;
        Ok(())
    }

    async fn discover(
        &self,
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<DiscoveredSchema, ConnectorError> {
        let mut conn = Self::connect(ctx, source).await?;
        let err = |e| sql_errors::map("SQLite discovery", e);
        let rows = net::timed(ctx, "SQLite discovery", async {
            sqlx::query(
                "SELECT m.name AS tbl, m.type AS kind, p.name AS name, p.type AS type, \
                 p.\"notnull\" AS not_null, p.dflt_value AS default_expr, p.pk AS pk \
                 FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
                 ORDER BY m.name, p.cid",
            )
            .fetch_all(&mut conn)
            .await
            .map_err(err)
        })
        .await?;
        let mut tables: BTreeMap<String, TableInfo> = BTreeMap::new();
        for r in &rows {
            let name: String = r.try_get("tbl").map_err(err)?;
            let kind: String = r.try_get("kind").map_err(err)?;
            let t = tables.entry(name.clone()).or_insert_with(|| TableInfo {
                name,
                kind,
                row_estimate: None,
                columns: Vec::new(),
            });
            t.columns.push(ColumnInfo {
                name: r.try_get("name").map_err(err)?,
                data_type: r.try_get("type").map_err(err)?,
                nullable: r.try_get::<i64, _>("not_null").map_err(err)? == 0,
                default: r.try_get("default_expr").map_err(err)?,
                primary_key: r.try_get::<i64, _>("pk").map_err(err)? > 0,
            });
        }
        let _ = conn.close().await;
        Ok(DiscoveredSchema {
            schemas: vec![SchemaInfo {
                name: "main".into(),
                tables: tables.into_values().collect(),
            }],
            ..Default::default()
        })
    }
}
