//! The PostgreSQL connector: sslmode disable/prefer/require/verify-full with
//! an optional CA certificate, an optional schema filter, discovery with one
//! catalog query per kind of object.

use std::collections::BTreeMap;

use async_trait::async_trait;
use futures_util::StreamExt;
use inlet_core::connector::{
    Connector, ConnectorError, Context, ReadRequest, RecordSender, RecordStream, SourceConfig,
    TestReport,
};
use inlet_core::model::catalog::{FieldSpec, FieldType, SourceType};
use inlet_core::model::schema::{ColumnInfo, DiscoveredSchema, SchemaInfo, TableInfo};
use sqlx::postgres::{PgConnectOptions, PgRow, PgSslMode};
use sqlx::{ConnectOptions, Connection, PgConnection, Row};

use crate::sql::reading::{self, CatalogColumn, Scan, TablePlan, literal, quote};
use crate::sql::tunnel::{self, Tunnel};
use crate::{common, net, sql};

/// PostgreSQL databases.
pub struct Postgresql {
    spec: SourceType,
}

impl Default for Postgresql {
    fn default() -> Self {
        Self::new()
    }
}

impl Postgresql {
    /// Builds the connector and its catalog entry.
    pub fn new() -> Self {
        let mut auth_fields = vec![
            FieldSpec::new("host", FieldType::String, true).describe("Server host name or address"),
            FieldSpec::new("port", FieldType::Number, true)
                .between(1, 65535)
                .describe("Server port (5432)"),
            FieldSpec::new("database", FieldType::String, true).describe("Database name"),
            FieldSpec::new("username", FieldType::String, true).describe("User name"),
            FieldSpec::new("password", FieldType::Password, true)
                .describe("Password")
                .bound_to(common::DATABASE_DESTINATION),
            FieldSpec::new("sslmode", FieldType::String, false)
                .one_of(&["disable", "prefer", "require", "verify-full"])
                .describe("TLS mode (default prefer)"),
            FieldSpec::new("sslRootCert", FieldType::String, false)
                .describe("CA certificate (PEM) to verify the server with"),
        ];
        auth_fields.extend(common::ssh_fields());
        let mut config_fields = vec![
            FieldSpec::new("schema", FieldType::String, false)
                .describe("Only discover and sync this schema"),
        ];
        config_fields.extend(common::database_config());
        Self {
            spec: SourceType {
                id: "src_postgresql",
                name: "PostgreSQL",
                short_name: "postgresql",
                description: "Connect to PostgreSQL databases",
                auth_methods: &["credentials"],
                labels: &["database"],
                supports_continuous: false,
                auth_fields,
                config_fields,
            },
        }
    }

    async fn connect(
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<(PgConnection, Option<Tunnel>), ConnectorError> {
        let mode = match source.str("sslmode").unwrap_or("prefer") {
            "disable" => PgSslMode::Disable,
            "require" => PgSslMode::Require,
            "verify-full" => PgSslMode::VerifyFull,
            _ => PgSslMode::Prefer,
        };
        let verify_name = source.str("sslmode") == Some("verify-full");
        let end = tunnel::endpoint(ctx, source, 5432, verify_name).await?;
        let mut opts = PgConnectOptions::new()
            .host(&end.host)
            .port(end.port)
            .username(source.str("username").unwrap_or_default())
            .database(source.str("database").unwrap_or_default())
            .ssl_mode(mode)
            .application_name("inlet")
            .log_statements(tracing::log::LevelFilter::Debug);
        if let Some(pw) = source.str("password") {
            opts = opts.password(pw);
        }
        if let Some(pem) = source.str("sslRootCert") {
            opts = opts.ssl_root_cert_from_pem(pem.as_bytes().to_vec());
        }
        let conn = sql::connect(ctx, &format!("PostgreSQL at {}", end.display), &opts).await?;
        Ok((conn, end.tunnel))
    }
}

#[async_trait]
impl Connector for Postgresql {
    fn spec(&self) -> &SourceType {
        &self.spec
    }

    async fn test(
        &self,
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<TestReport, ConnectorError> {
        let (mut conn, tunnel) = Self::connect(ctx, source).await?;
        sql::run(
            ctx,
            "PostgreSQL",
            sqlx::raw_sql("SELECT 1").execute(&mut conn),
        )
        .await?;
        let _ = conn.close().await;
        Ok(tunnel::test_report(tunnel.as_ref()))
    }

    async fn discover(
        &self,
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<DiscoveredSchema, ConnectorError> {
        let (mut conn, _tunnel) = Self::connect(ctx, source).await?;
        let filter = source.config_str("schema").map(str::to_owned);
        let schema = net::timed(
            ctx,
            "PostgreSQL discovery",
            discover_schema(&mut conn, filter),
        )
        .await?;
        let _ = conn.close().await;
        Ok(schema)
    }

    async fn read(
        &self,
        ctx: &Context,
        source: &SourceConfig,
        request: ReadRequest,
    ) -> Result<RecordStream, ConnectorError> {
        let (mut conn, tunnel) = Self::connect(ctx, source).await?;
        // Instants render as UTC (`…+00:00`), intervals as ISO 8601 durations.
        sql::run(
            ctx,
            "PostgreSQL",
            sqlx::raw_sql("SET TimeZone TO 'UTC'; SET IntervalStyle TO 'iso_8601'")
                .execute(&mut conn),
        )
        .await?;
        let filter = source.config_str("schema").map(str::to_owned);
        let plans = net::timed(ctx, "PostgreSQL", plan(&mut conn, filter)).await?;
        let plans = reading::select(source, plans)?;
        Ok(reading::spawn_tables(
            ctx,
            conn,
            tunnel,
            plans,
            request,
            |ctx, conn, plan, scan, tx| Box::pin(read_table(ctx, conn, plan, scan, tx)),
        ))
    }
}

/// Discovery's schemas: all but the system ones, or only the configured one.
const DISCOVER_SCHEMAS: &str = "SELECT nspname AS name FROM pg_namespace \
    WHERE nspname NOT IN ('pg_catalog', 'information_schema') \
    AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp%' \
    AND ($1::text IS NULL OR nspname = $1) ORDER BY 1";

/// Discovery's tables, views and foreign tables, with the planner's row
/// estimate for tables that have one.
const DISCOVER_TABLES: &str = "SELECT n.nspname AS schema, c.relname AS name, \
    CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END AS kind, \
    CASE WHEN c.relkind IN ('v', 'm') OR c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS estimate \
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') \
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' \
    AND ($1::text IS NULL OR n.nspname = $1) ORDER BY 1, 2";

/// Discovery's columns in table order: type, nullability, default, and
/// whether in the primary key.
const DISCOVER_COLUMNS: &str = "SELECT n.nspname AS schema, c.relname AS table, a.attname AS name, \
    format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable, \
    pg_get_expr(d.adbin, d.adrelid) AS default_expr, \
    EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary \
            AND a.attnum = ANY (i.indkey)) AS pk \
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
    JOIN pg_namespace n ON n.oid = c.relnamespace \
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
    WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') \
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' \
    AND ($1::text IS NULL OR n.nspname = $1) ORDER BY 1, 2, a.attnum";

/// The schemas, their tables and the tables' columns, one catalog query
/// each; a configured schema that is not there fails.
async fn discover_schema(
    conn: &mut PgConnection,
    filter: Option<String>,
) -> Result<DiscoveredSchema, ConnectorError> {
    let err = |e| sql::map_error("PostgreSQL discovery", e);
    let schemas = sqlx::query(DISCOVER_SCHEMAS)
        .bind(&filter)
        .fetch_all(&mut *conn)
        .await
        .map_err(err)?;
    // A configured schema that is not there is a mistake to report,
    // not an empty database.
    if let Some(name) = &filter
        && schemas.is_empty()
    {
        return Err(ConnectorError::Failed(format!(
            "schema {name:?} does not exist in this database"
        )));
    }
    let tables = sqlx::query(DISCOVER_TABLES)
        .bind(&filter)
        .fetch_all(&mut *conn)
        .await
        .map_err(err)?;
    let columns = sqlx::query(DISCOVER_COLUMNS)
        .bind(&filter)
        .fetch_all(&mut *conn)
        .await
        .map_err(err)?;
    Ok(assemble(&schemas, &tables, &columns))
}

/// The discovered schema of the catalog's rows: each table under its schema
/// (schemas without tables kept), each column under its table.
fn assemble(schemas: &[PgRow], tables: &[PgRow], columns: &[PgRow]) -> DiscoveredSchema {
    let mut by_schema: BTreeMap<String, BTreeMap<String, TableInfo>> = schemas
        .iter()
        .map(|r| (r.get::<String, _>("name"), BTreeMap::new()))
        .collect();
    for r in tables {
        let schema: String = r.get("schema");
        let name: String = r.get("name");
        by_schema.entry(schema).or_default().insert(
            name.clone(),
            TableInfo {
                name,
                kind: r.get("kind"),
                row_estimate: r.get("estimate"),
                columns: Vec::new(),
            },
        );
    }
    for r in columns {
        let schema: String = r.get("schema");
        let table: String = r.get("table");
        if let Some(t) = by_schema.get_mut(&schema).and_then(|s| s.get_mut(&table)) {
            t.columns.push(ColumnInfo {
                name: r.get("name"),
                data_type: r.get("type"),
                nullable: r.get("nullable"),
                default: r.get("default_expr"),
                primary_key: r.get("pk"),
            });
        }
    }
    DiscoveredSchema {
        schemas: by_schema
            .into_iter()
            .map(|(name, tables)| SchemaInfo {
                name,
                tables: tables.into_values().collect(),
            })
            .collect(),
        ..Default::default()
    }
}

/// Tables with their columns and primary keys, three catalog queries.
async fn plan(
    conn: &mut PgConnection,
    filter: Option<String>,
) -> Result<Vec<TablePlan>, ConnectorError> {
    let err = |e| sql::map_error("PostgreSQL", e);
    let columns = sqlx::query(
        "SELECT n.nspname AS schema, c.relname AS table, a.attname AS name, \
         format_type(a.atttypid, a.atttypmod) AS type, \
         CASE WHEN a.attnum = ANY (i.indkey) THEN array_position(i.indkey::int2[], a.attnum) + 1 ELSE 0 END AS pk_pos \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') \
         AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' \
         AND ($1::text IS NULL OR n.nspname = $1) ORDER BY 1, 2, a.attnum",
    )
    .bind(&filter)
    .fetch_all(&mut *conn)
    .await
    .map_err(err)?;
    Ok(reading::group(
        columns
            .iter()
            .map(|r| CatalogColumn {
                schema: r.get("schema"),
                table: r.get("table"),
                name: r.get("name"),
                data_type: r.get("type"),
                pk_position: i64::from(r.get::<i32, _>("pk_pos")),
            })
            .collect(),
    ))
}

/// PostgreSQL's spelling of a table read.
const PG: reading::Dialect = reading::Dialect {
    column: |c| format!("t.{}", quote(c)),
    param: |n, ty| format!("CAST(${n} AS {ty})"),
    binary: |ty| ty == "bytea",
};

/// The row's JSON: `to_jsonb` of the whole row, with bytea columns replaced
/// by their base64 (`to_jsonb` would give `\x…` hex), at most 50 pairs per
/// `jsonb_build_object` (its 100-argument limit).
fn row_json(plan: &TablePlan) -> String {
    let pairs: Vec<String> = plan
        .columns
        .iter()
        .filter(|(_, ty)| (PG.binary)(ty))
        .map(|(c, _)| {
            format!(
                "{}, translate(encode(t.{}, 'base64'), E'\\n', '')",
                literal(c),
                quote(c)
            )
        })
        .collect();
    let mut json = "to_jsonb(t.*)".to_owned();
    for chunk in pairs.chunks(50) {
        json = format!("{json} || jsonb_build_object({})", chunk.join(", "));
    }
    format!("({json})::text")
}

/// Streams one table as JSON rows; `Ok(false)` when the consumer left.
async fn read_table(
    ctx: &Context,
    conn: &mut PgConnection,
    plan: &TablePlan,
    scan: &Scan,
    tx: &RecordSender,
) -> Result<bool, ConnectorError> {
    let (tail, params) = reading::clauses(&PG, plan, scan);
    let sql = format!(
        "SELECT {} AS j FROM {}.{} AS t{tail}",
        row_json(plan),
        quote(&plan.schema),
        quote(&plan.table)
    );
    let rows = reading::query(sql, params)
        .fetch(&mut *conn)
        .map(|r| r.map(|row| reading::rendered_json(&row)));
    reading::drain(ctx, "PostgreSQL read", rows, plan, scan, tx, |e| {
        sql::map_error("PostgreSQL read", e)
    })
    .await
}
