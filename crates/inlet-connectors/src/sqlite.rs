//! The SQLite connector: a database file under an allowed root, opened
//! read-only through sqlx's SQLite driver.

use std::collections::BTreeMap;

use async_trait::async_trait;
use futures_util::StreamExt;
use inlet_core::connector::{
    Connector, ConnectorError, Context, ReadRequest, RecordSender, RecordStream, SourceConfig,
};
use inlet_core::model::catalog::{FieldSpec, FieldType, SourceType};
use inlet_core::model::schema::{ColumnInfo, DiscoveredSchema, SchemaInfo, TableInfo};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row, SqliteConnection};

use crate::reading::{self, CatalogColumn, TablePlan, literal, quote};
use crate::{common, files, net, sql};

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
        let (raw, path) = files::source_path(ctx, source)?;
        if !path.is_file() {
            return Err(ConnectorError::FileNotFound(format!("{raw} is not a file")));
        }
        let opts = SqliteConnectOptions::new()
            .filename(&path)
            .read_only(true)
            .create_if_missing(false)
            .log_statements(tracing::log::LevelFilter::Debug);
        sql::connect(ctx, "SQLite", &opts).await
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
        let probe = sqlx::raw_sql("SELECT count(*) FROM sqlite_master").execute(&mut conn);
        sql::run(ctx, "SQLite", probe).await?;
        let _ = conn.close().await;
        Ok(())
    }

    async fn discover(
        &self,
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<DiscoveredSchema, ConnectorError> {
        let mut conn = Self::connect(ctx, source).await?;
        let err = |e| sql::map_error("SQLite discovery", e);
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

    async fn read(
        &self,
        ctx: &Context,
        source: &SourceConfig,
        request: ReadRequest,
    ) -> Result<RecordStream, ConnectorError> {
        let mut conn = Self::connect(ctx, source).await?;
        let plans = net::timed(ctx, "SQLite", plan(&mut conn)).await?;
        let plans = reading::select(source, plans)?;
        Ok(reading::spawn_tables(
            ctx,
            conn,
            (),
            plans,
            request,
            |ctx, conn, plan, previous, tx| Box::pin(read_table(ctx, conn, plan, previous, tx)),
        ))
    }
}

/// Tables with their columns and primary keys, one query.
async fn plan(conn: &mut SqliteConnection) -> Result<Vec<TablePlan>, ConnectorError> {
    let err = |e| sql::map_error("SQLite", e);
    let rows = sqlx::query(
        "SELECT m.name AS tbl, p.name AS name, p.type AS type, p.pk AS pk_pos \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         ORDER BY m.name, p.cid",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(err)?;
    let columns = rows
        .iter()
        .map(|r| {
            Ok(CatalogColumn {
                schema: "main".into(),
                table: r.try_get("tbl")?,
                name: r.try_get("name")?,
                data_type: r.try_get("type")?,
                pk_position: r.try_get("pk_pos")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(err)?;
    Ok(reading::group(columns))
}

/// SQLite's spelling of a table read.
const SQLITE: reading::Dialect = reading::Dialect {
    quote,
    cursor_text: |c| format!("CAST({c} AS TEXT)"),
    null_text: "NULL",
};

/// Streams one table as JSON rows; `Ok(false)` when the consumer left.
async fn read_table(
    ctx: &Context,
    conn: &mut SqliteConnection,
    plan: &TablePlan,
    previous: Option<String>,
    tx: &RecordSender,
) -> Result<bool, ConnectorError> {
    // JSON cannot hold blobs: they are read as hex.
    let object = plan
        .columns
        .iter()
        .map(|(c, _)| {
            let q = quote(c);
            format!(
                "{}, CASE typeof({q}) WHEN 'blob' THEN hex({q}) ELSE {q} END",
                literal(c)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let json = format!("json_object({object})");
    let param = previous.as_ref().map(|_| "?");
    let sql = reading::row_query(&SQLITE, plan, &json, &quote(&plan.table), param);
    // Built from catalog names, each quoted; the cursor value is bound.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    if plan.cursor.is_some()
        && let Some(p) = &previous
    {
        query = query.bind(p.clone());
    }
    let rows = query
        .fetch(&mut *conn)
        .map(|r| r.and_then(|row| Ok((row.try_get("j")?, row.try_get("c")?))));
    reading::drain(ctx, "SQLite read", rows, plan, previous, tx, |e| {
        sql::map_error("SQLite read", e)
    })
    .await
}
