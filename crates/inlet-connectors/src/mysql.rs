//! The MySQL / MariaDB connector, with discovery through information_schema
//! (one query for tables, one for columns).

use std::collections::BTreeMap;

use async_trait::async_trait;
use futures_util::StreamExt;
use inlet_core::connector::{
    Connector, ConnectorError, Context, ReadRequest, RecordSender, RecordStream, SourceConfig,
};
use inlet_core::model::catalog::{FieldSpec, FieldType, SourceType};
use inlet_core::model::schema::{ColumnInfo, DiscoveredSchema, SchemaInfo, TableInfo};
use sqlx::mysql::{MySqlConnectOptions, MySqlSslMode};
use sqlx::{ConnectOptions, Connection, MySqlConnection, Row};

use crate::reading::{self, CatalogColumn, TablePlan, backquote, literal};
use crate::tunnel::{self, Tunnel};
use crate::{common, net, sql};

/// MySQL and MariaDB databases.
pub struct Mysql {
    spec: SourceType,
}

impl Default for Mysql {
    fn default() -> Self {
        Self::new()
    }
}

impl Mysql {
    /// Builds the connector and its catalog entry.
    pub fn new() -> Self {
        let mut auth_fields = vec![
            FieldSpec::new("host", FieldType::String, true).describe("Server host name or address"),
            FieldSpec::new("port", FieldType::Number, true)
                .between(1, 65535)
                .describe("Server port (3306)"),
            FieldSpec::new("database", FieldType::String, true).describe("Database name"),
            FieldSpec::new("username", FieldType::String, true).describe("User name"),
            FieldSpec::new("password", FieldType::Password, false).describe("Password"),
            FieldSpec::new("sslmode", FieldType::String, false)
                .one_of(&["disabled", "preferred", "required", "verify_identity"])
                .describe("TLS mode (default preferred)"),
            FieldSpec::new("sslRootCert", FieldType::String, false)
                .describe("CA certificate (PEM) to verify the server with"),
        ];
        auth_fields.extend(common::ssh_fields());
        Self {
            spec: SourceType {
                id: "src_mysql",
                name: "MySQL / MariaDB",
                short_name: "mysql",
                description: "Connect to MySQL and MariaDB databases",
                auth_methods: &["credentials"],
                labels: &["database"],
                supports_continuous: false,
                auth_fields,
                config_fields: common::database_config(),
            },
        }
    }

    async fn connect(
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<(MySqlConnection, Option<Tunnel>), ConnectorError> {
        let mode = match source.str("sslmode").unwrap_or("preferred") {
            "disabled" => MySqlSslMode::Disabled,
            "required" => MySqlSslMode::Required,
            "verify_identity" => MySqlSslMode::VerifyIdentity,
            _ => MySqlSslMode::Preferred,
        };
        let verify_name = source.str("sslmode") == Some("verify_identity");
        let end = tunnel::endpoint(ctx, source, 3306, verify_name).await?;
        let mut opts = MySqlConnectOptions::new()
            .host(&end.host)
            .port(end.port)
            .username(source.str("username").unwrap_or_default())
            .database(source.str("database").unwrap_or_default())
            .ssl_mode(mode)
            .log_statements(tracing::log::LevelFilter::Debug);
        if let Some(pw) = source.str("password") {
            opts = opts.password(pw);
        }
        if let Some(pem) = source.str("sslRootCert") {
            opts = opts.ssl_ca_from_pem(pem.as_bytes().to_vec());
        }
        let conn = sql::connect(ctx, &format!("MySQL at {}", end.display), &opts).await?;
        Ok((conn, end.tunnel))
    }
}

#[async_trait]
impl Connector for Mysql {
    fn spec(&self) -> &SourceType {
        &self.spec
    }

    async fn test(&self, ctx: &Context, source: &SourceConfig) -> Result<(), ConnectorError> {
        let (mut conn, _tunnel) = Self::connect(ctx, source).await?;
        sql::run(ctx, "MySQL", sqlx::raw_sql("SELECT 1").execute(&mut conn)).await?;
        let _ = conn.close().await;
        Ok(())
    }

    async fn discover(
        &self,
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<DiscoveredSchema, ConnectorError> {
        let (mut conn, _tunnel) = Self::connect(ctx, source).await?;
        let database = source.str("database").unwrap_or_default().to_owned();
        let err = |e| sql::map_error("MySQL discovery", e);
        let schema = net::timed(ctx, "MySQL discovery", async {
            // CASTs keep the driver from seeing information_schema's binary collations.
            let tables = sqlx::query(
                "SELECT CAST(TABLE_NAME AS CHAR) AS name, \
                 CAST(CASE WHEN TABLE_TYPE = 'VIEW' THEN 'view' ELSE 'table' END AS CHAR) AS kind, \
                 CAST(TABLE_ROWS AS SIGNED) AS estimate \
                 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME",
            )
            .bind(&database)
            .fetch_all(&mut conn)
            .await
            .map_err(err)?;
            let columns = sqlx::query(
                "SELECT CAST(TABLE_NAME AS CHAR) AS tbl, CAST(COLUMN_NAME AS CHAR) AS name, \
                 CAST(COLUMN_TYPE AS CHAR) AS type, CAST(IS_NULLABLE = 'YES' AS SIGNED) AS nullable, \
                 CAST(COLUMN_DEFAULT AS CHAR) AS default_expr, CAST(COLUMN_KEY = 'PRI' AS SIGNED) AS pk \
                 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION",
            )
            .bind(&database)
            .fetch_all(&mut conn)
            .await
            .map_err(err)?;
            let mut by_name: BTreeMap<String, TableInfo> = BTreeMap::new();
            for r in &tables {
                let name: String = r.try_get("name").map_err(err)?;
                by_name.insert(
                    name.clone(),
                    TableInfo {
                        name,
                        kind: r.try_get("kind").map_err(err)?,
                        row_estimate: r.try_get("estimate").map_err(err)?,
                        columns: Vec::new(),
                    },
                );
            }
            for r in &columns {
                let table: String = r.try_get("tbl").map_err(err)?;
                if let Some(t) = by_name.get_mut(&table) {
                    t.columns.push(ColumnInfo {
                        name: r.try_get("name").map_err(err)?,
                        data_type: r.try_get("type").map_err(err)?,
                        nullable: r.try_get::<i64, _>("nullable").map_err(err)? != 0,
                        default: r.try_get("default_expr").map_err(err)?,
                        primary_key: r.try_get::<i64, _>("pk").map_err(err)? != 0,
                    });
                }
            }
            Ok(DiscoveredSchema {
                schemas: vec![SchemaInfo {
                    name: database.clone(),
                    tables: by_name.into_values().collect(),
                }],
                ..Default::default()
            })
        })
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
        let database = source.str("database").unwrap_or_default().to_owned();
        let plans = net::timed(ctx, "MySQL", plan(&mut conn, &database)).await?;
        let plans = reading::select(source, plans)?;
        Ok(reading::spawn_tables(
            ctx,
            conn,
            tunnel,
            plans,
            request,
            |ctx, conn, plan, previous, tx| Box::pin(read_table(ctx, conn, plan, previous, tx)),
        ))
    }
}

/// Tables of `database` with their columns and primary keys, one query.
async fn plan(
    conn: &mut MySqlConnection,
    database: &str,
) -> Result<Vec<TablePlan>, ConnectorError> {
    let err = |e| sql::map_error("MySQL", e);
    let rows = sqlx::query(
        "SELECT CAST(TABLE_NAME AS CHAR) AS tbl, CAST(COLUMN_NAME AS CHAR) AS name, \
         CAST(COLUMN_TYPE AS CHAR) AS type, \
         CAST(IF(COLUMN_KEY = 'PRI', ORDINAL_POSITION, 0) AS SIGNED) AS pk_pos \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION",
    )
    .bind(database)
    .fetch_all(&mut *conn)
    .await
    .map_err(err)?;
    let columns = rows
        .iter()
        .map(|r| {
            Ok(CatalogColumn {
                schema: database.to_owned(),
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

/// MySQL's spelling of a table read.
const MYSQL: reading::Dialect = reading::Dialect {
    quote: backquote,
    cursor_text: |c| format!("CAST({c} AS CHAR)"),
    null_text: "CAST(NULL AS CHAR)",
};

/// Streams one table as JSON rows; `Ok(false)` when the consumer left.
async fn read_table(
    ctx: &Context,
    conn: &mut MySqlConnection,
    plan: &TablePlan,
    previous: Option<String>,
    tx: &RecordSender,
) -> Result<bool, ConnectorError> {
    let object = plan
        .columns
        .iter()
        .map(|(c, _)| format!("{}, {}", literal(c), backquote(c)))
        .collect::<Vec<_>>()
        .join(", ");
    let from = format!("{}.{}", backquote(&plan.schema), backquote(&plan.table));
    let json = format!("CAST(JSON_OBJECT({object}) AS CHAR)");
    let param = previous.as_ref().map(|_| "?");
    let sql = reading::row_query(&MYSQL, plan, &json, &from, param);
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
    reading::drain(ctx, "MySQL read", rows, plan, previous, tx, |e| {
        sql::map_error("MySQL read", e)
    })
    .await
}
