//! The MySQL / MariaDB connector, with discovery through information_schema
//! (one query for tables, one for columns).

use std::collections::BTreeMap;

use async_trait::async_trait;
use futures_util::StreamExt;
use inlet_core::connector::{
    Connector, ConnectorError, Context, ReadRequest, RecordSender, RecordStream, SourceConfig,
    TestReport,
};
use inlet_core::model::catalog::{FieldSpec, FieldType, SourceType};
use inlet_core::model::schema::{ColumnInfo, DiscoveredSchema, SchemaInfo, TableInfo};
use sqlx::mysql::{MySqlConnectOptions, MySqlSslMode};
use sqlx::{ConnectOptions, Connection, MySqlConnection, Row};

use crate::sql::reading::{self, CatalogColumn, Scan, TablePlan, backquote, literal};
use crate::sql::tunnel::{self, Tunnel};
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
            FieldSpec::new("password", FieldType::Password, false)
                .describe("Password")
                .bound_to(common::DATABASE_DESTINATION),
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

    async fn test(
        &self,
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<TestReport, ConnectorError> {
        let (mut conn, tunnel) = Self::connect(ctx, source).await?;
        sql::run(ctx, "MySQL", sqlx::raw_sql("SELECT 1").execute(&mut conn)).await?;
        let _ = conn.close().await;
        Ok(tunnel::test_report(tunnel.as_ref()))
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
        // TIMESTAMP values render in UTC.
        sql::run(
            ctx,
            "MySQL",
            sqlx::raw_sql("SET time_zone = '+00:00'").execute(&mut conn),
        )
        .await?;
        let database = source.str("database").unwrap_or_default().to_owned();
        let plans = net::timed(ctx, "MySQL", plan(&mut conn, &database)).await?;
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
    let mut plans = reading::group(columns);
    // MariaDB's JSON is a LONGTEXT with a `json_valid(`col`)` check; MySQL has
    // a real JSON type (and no TABLE_NAME in this view, so the query fails there).
    let checks = sqlx::query(
        "SELECT CAST(TABLE_NAME AS CHAR) AS tbl, CAST(CHECK_CLAUSE AS CHAR) AS clause \
         FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?",
    )
    .bind(database)
    .fetch_all(&mut *conn)
    .await
    .unwrap_or_default();
    for r in &checks {
        let (Ok(tbl), Ok(clause)) = (
            r.try_get::<String, _>("tbl"),
            r.try_get::<String, _>("clause"),
        ) else {
            continue;
        };
        let clause: String = clause.chars().filter(|c| !c.is_whitespace()).collect();
        for p in plans.iter_mut().filter(|p| p.table == tbl) {
            for (name, ty) in &mut p.columns {
                if ty.eq_ignore_ascii_case("longtext")
                    && clause.eq_ignore_ascii_case(&format!("json_valid({})", backquote(name)))
                {
                    *ty = "json".into();
                }
            }
        }
    }
    Ok(plans)
}

/// Whether a MySQL column type holds bytes.
fn is_binary(ty: &str) -> bool {
    let t = ty.to_ascii_lowercase();
    [
        "binary",
        "varbinary",
        "tinyblob",
        "blob",
        "mediumblob",
        "longblob",
    ]
    .iter()
    .any(|b| t == *b || t.starts_with(&format!("{b}(")))
}

/// The `CAST` target that turns a bound text back into a value of `ty`, if
/// any (strings compare as they are, in the column's collation).
fn cast_target(ty: &str) -> Option<String> {
    let t = ty.to_ascii_lowercase();
    let unsigned = t.contains("unsigned");
    let base = t.split([' ', '(']).next().unwrap_or("");
    let args = t
        .split_once('(')
        .and_then(|(_, r)| r.split_once(')'))
        .map(|(a, _)| a.to_owned());
    Some(match base {
        "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" | "bit" => {
            if unsigned || base == "bit" {
                "UNSIGNED".into()
            } else {
                "SIGNED".into()
            }
        }
        "year" => "SIGNED".into(),
        "decimal" | "numeric" => match args {
            Some(a) => format!("DECIMAL({a})"),
            None => "DECIMAL".into(),
        },
        "float" | "double" | "real" => "DOUBLE".into(),
        "date" => "DATE".into(),
        "datetime" | "timestamp" => match args {
            Some(a) => format!("DATETIME({a})"),
            None => "DATETIME".into(),
        },
        "time" => match args {
            Some(a) => format!("TIME({a})"),
            None => "TIME".into(),
        },
        _ => return None,
    })
}

/// MySQL's spelling of a table read.
const MYSQL: reading::Dialect = reading::Dialect {
    column: backquote,
    param: |_, ty| match cast_target(ty) {
        // A TIMESTAMP position is rendered with its `+00:00`; MariaDB's
        // CAST takes the 26 characters before it.
        Some(t) if ty.to_ascii_lowercase().starts_with("timestamp") => {
            format!("CAST(LEFT(?, 26) AS {t})")
        }
        Some(t) => format!("CAST(? AS {t})"),
        None => "?".into(),
    },
    binary: is_binary,
};

/// One column's value as `JSON_OBJECT` should see it: bytes as base64 (a
/// real newline in the literal, whatever the SQL mode), bits as numbers,
/// JSON (MySQL's type, or MariaDB's `json_valid`-checked LONGTEXT) nested,
/// and TIMESTAMP (an instant, read in the session's UTC) as ISO 8601 with
/// its offset, like PostgreSQL's timestamptz. DATETIME has no zone and
/// keeps the engine's own rendering.
fn value_expr(name: &str, ty: &str) -> String {
    let c = backquote(name);
    let t = ty.to_ascii_lowercase();
    if t.starts_with("timestamp") {
        format!("DATE_FORMAT({c}, '%Y-%m-%dT%H:%i:%s.%f+00:00')")
    } else if is_binary(&t) {
        format!("REPLACE(TO_BASE64({c}), '\n', '')")
    } else if t.starts_with("bit") {
        format!("CAST({c} AS UNSIGNED)")
    } else if t == "json" {
        format!("JSON_EXTRACT({c}, '$')")
    } else {
        c
    }
}

/// Streams one table as JSON rows; `Ok(false)` when the consumer left.
async fn read_table(
    ctx: &Context,
    conn: &mut MySqlConnection,
    plan: &TablePlan,
    scan: &Scan,
    tx: &RecordSender,
) -> Result<bool, ConnectorError> {
    let object = plan
        .columns
        .iter()
        .map(|(c, ty)| format!("{}, {}", literal(c), value_expr(c, ty)))
        .collect::<Vec<_>>()
        .join(", ");
    let (tail, params) = reading::clauses(&MYSQL, plan, scan);
    let sql = format!(
        "SELECT CAST(JSON_OBJECT({object}) AS CHAR) AS j FROM {}.{}{tail}",
        backquote(&plan.schema),
        backquote(&plan.table)
    );
    let rows = reading::query(sql, params)
        .fetch(&mut *conn)
        .map(|r| r.map(|row| reading::rendered_json(&row)));
    reading::drain(ctx, "MySQL read", rows, plan, scan, tx, |e| {
        sql::map_error("MySQL read", e)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_and_binary_types() {
        assert_eq!(
            cast_target("bigint(20) unsigned").as_deref(),
            Some("UNSIGNED")
        );
        assert_eq!(cast_target("int(11)").as_deref(), Some("SIGNED"));
        assert_eq!(
            cast_target("decimal(40,20)").as_deref(),
            Some("DECIMAL(40,20)")
        );
        assert_eq!(cast_target("datetime(6)").as_deref(), Some("DATETIME(6)"));
        assert_eq!(cast_target("varchar(10)"), None);
        assert!(is_binary("varbinary(16)") && is_binary("blob") && !is_binary("binaryish"));
    }
}
