//! The SQLite connector: a database file under an allowed root, opened
//! read-only through sqlx's SQLite driver.

use std::collections::BTreeMap;

use async_trait::async_trait;
use futures_util::StreamExt;
use inlet_core::connector::{
    Connector, ConnectorError, Context, ReadRequest, RecordSender, RecordStream, SourceConfig,
    TestReport,
};
use inlet_core::model::catalog::{FieldSpec, FieldType, SourceType};
use inlet_core::model::schema::{ColumnInfo, DiscoveredSchema, SchemaInfo, TableInfo};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row, SqliteConnection};

use crate::sql::reading::{self, CatalogColumn, Scan, TablePlan, quote};
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

    async fn test(
        &self,
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<TestReport, ConnectorError> {
        let mut conn = Self::connect(ctx, source).await?;
        // Reading the schema table proves the file is a database, not just a file.
        let probe = sqlx::raw_sql("SELECT count(*) FROM sqlite_master").execute(&mut conn);
        sql::run(ctx, "SQLite", probe).await?;
        let _ = conn.close().await;
        Ok(TestReport::default())
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
            |ctx, conn, plan, scan, tx| Box::pin(read_table(ctx, conn, plan, scan, tx)),
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

/// The `CAST` target of a declared type, by SQLite's affinity rules
/// (none for BLOB or undeclared columns, whose values are bound as they are).
fn affinity(ty: &str) -> Option<&'static str> {
    let t = ty.to_ascii_uppercase();
    if t.contains("INT") {
        Some("INTEGER")
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        Some("TEXT")
    } else if t.contains("BLOB") || t.is_empty() {
        None
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        Some("REAL")
    } else {
        Some("NUMERIC")
    }
}

/// SQLite's spelling of a table read.
const SQLITE: reading::Dialect = reading::Dialect {
    column: quote,
    param: |n, ty| match affinity(ty) {
        Some(a) => format!("CAST(?{n} AS {a})"),
        None => format!("?{n}"),
    },
    binary: |ty| ty.to_ascii_uppercase().contains("BLOB"),
};

/// Builds the row's JSON object from each column's `json_quote` (SQLite's own
/// rendering: integers and reals as numbers, text as strings, even when it
/// holds JSON), blobs — which JSON functions refuse — as base64.
fn assemble(plan: &TablePlan, row: &sqlx::sqlite::SqliteRow) -> Result<String, String> {
    let mut out = String::from("{");
    for (i, (name, _)) in plan.columns.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(name).map_err(|e| e.to_string())?);
        out.push(':');
        let decode = |e: sqlx::Error| format!("cannot decode column {name}: {e}");
        match row
            .try_get::<Option<Vec<u8>>, _>(2 * i + 1)
            .map_err(decode)?
        {
            Some(bytes) => out.push_str(&format!("\"{}\"", reading::base64(&bytes))),
            None => {
                let v = row
                    .try_get::<Option<String>, _>(2 * i)
                    .map_err(decode)?
                    .unwrap_or_else(|| "null".into());
                out.push_str(&v);
            }
        }
    }
    out.push('}');
    Ok(out)
}

/// Streams one table as JSON rows; `Ok(false)` when the consumer left.
async fn read_table(
    ctx: &Context,
    conn: &mut SqliteConnection,
    plan: &TablePlan,
    scan: &Scan,
    tx: &RecordSender,
) -> Result<bool, ConnectorError> {
    let select = plan
        .columns
        .iter()
        .map(|(c, _)| {
            let q = quote(c);
            format!(
                "CASE typeof({q}) WHEN 'blob' THEN NULL ELSE json_quote({q}) END, \
                 CASE typeof({q}) WHEN 'blob' THEN {q} END"
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let (tail, params) = reading::clauses(&SQLITE, plan, scan);
    let sql = format!("SELECT {select} FROM {}{tail}", quote(&plan.table));
    let rows = reading::query(sql, params)
        .fetch(&mut *conn)
        .map(|r| r.map(|row| assemble(plan, &row)));
    reading::drain(ctx, "SQLite read", rows, plan, scan, tx, |e| {
        sql::map_error("SQLite read", e)
    })
    .await
}
