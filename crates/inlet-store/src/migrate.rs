//! Versioned migrations, one directory per backend, applied in order inside
//! a transaction each and recorded in `inlet_migrations`.

use crate::db::{Backend, Db, DbError, Sql};

/// (version, SQLite script, PostgreSQL script)
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        include_str!("migrations/sqlite/0001_init.sql"),
        include_str!("migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        include_str!("migrations/sqlite/0002_list_generations.sql"),
        include_str!("migrations/postgres/0002_list_generations.sql"),
    ),
    (
        3,
        include_str!("migrations/sqlite/0003_tests_and_schemas.sql"),
        include_str!("migrations/postgres/0003_tests_and_schemas.sql"),
    ),
    (
        4,
        include_str!("migrations/sqlite/0004_refresh_backoff.sql"),
        include_str!("migrations/postgres/0004_refresh_backoff.sql"),
    ),
    (
        5,
        include_str!("migrations/sqlite/0005_jobs_and_documents.sql"),
        include_str!("migrations/postgres/0005_jobs_and_documents.sql"),
    ),
    (
        6,
        include_str!("migrations/sqlite/0006_schedules.sql"),
        include_str!("migrations/postgres/0006_schedules.sql"),
    ),
    (
        7,
        include_str!("migrations/sqlite/0007_search.sql"),
        include_str!("migrations/postgres/0007_search.sql"),
    ),
    (
        8,
        include_str!("migrations/sqlite/0008_audit.sql"),
        include_str!("migrations/postgres/0008_audit.sql"),
    ),
    (
        9,
        include_str!("migrations/sqlite/0009_console_sessions.sql"),
        include_str!("migrations/postgres/0009_console_sessions.sql"),
    ),
    (
        10,
        include_str!("migrations/sqlite/0010_org_jobs.sql"),
        include_str!("migrations/postgres/0010_org_jobs.sql"),
    ),
    (
        11,
        include_str!("migrations/sqlite/0011_master_key_check.sql"),
        include_str!("migrations/postgres/0011_master_key_check.sql"),
    ),
    (
        12,
        include_str!("migrations/sqlite/0012_org_policy_and_key_lineage.sql"),
        include_str!("migrations/postgres/0012_org_policy_and_key_lineage.sql"),
    ),
    (
        13,
        include_str!("migrations/sqlite/0013_change_log.sql"),
        include_str!("migrations/postgres/0013_change_log.sql"),
    ),
    (
        14,
        include_str!("migrations/sqlite/0014_unique_connection_names.sql"),
        include_str!("migrations/postgres/0014_unique_connection_names.sql"),
    ),
    (
        15,
        include_str!("migrations/sqlite/0015_exact_counts.sql"),
        include_str!("migrations/postgres/0015_exact_counts.sql"),
    ),
];

/// Applies pending migrations; returns how many ran.
pub async fn run(db: &Db) -> Result<usize, DbError> {
    db.execute_batch(
        "CREATE TABLE IF NOT EXISTS inlet_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .await?;
    let mut applied = 0;
    for (version, sqlite, postgres) in MIGRATIONS {
        let script = match db.backend() {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        };
        let mut tx = db.begin().await?;
        // On PostgreSQL, serialise concurrent `inlet serve` nodes migrating at once.
        if tx.backend() == Backend::Postgres {
            tx.query(&Sql::new(
                "SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(7411)) AS l",
            ))
            .await?;
        }
        let done = tx
            .query(
                &Sql::new("SELECT version FROM inlet_migrations WHERE version = ?").arg(*version),
            )
            .await?;
        if !done.is_empty() {
            continue;
        }
        for statement in split_statements(script) {
            tx.query(&Sql::new(&statement)).await?;
        }
        tx.query(
            &Sql::new("INSERT INTO inlet_migrations (version, applied_at) VALUES (?, ?)")
                .arg(*version)
                .arg(chrono::Utc::now().timestamp_millis()),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(version, "applied migration");
        applied += 1;
    }
    Ok(applied)
}

/// Splits a script on `;` at line ends, keeping trigger bodies (`BEGIN … END;`) whole.
fn split_statements(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    // A SQLite trigger's body (`… BEGIN` to `END;`) and a PostgreSQL
    // function's (`$$` to `$$`) hold semicolons that end no statement.
    let mut in_trigger = false;
    let mut in_dollars = false;
    for line in script.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("--") || trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with("CREATE TRIGGER") && trimmed.ends_with("BEGIN") {
            in_trigger = true;
        }
        if line.matches("$$").count() % 2 == 1 {
            in_dollars = !in_dollars;
        }
        current.push_str(line);
        current.push('\n');
        let ends = if in_trigger {
            trimmed == "END;"
        } else {
            !in_dollars && trimmed.ends_with(';')
        };
        if ends {
            in_trigger = false;
            out.push(current.trim().trim_end_matches(';').to_owned());
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_functions_stay_whole() {
        let script = MIGRATIONS
            .iter()
            .find(|m| m.0 == 15)
            .map(|m| m.2)
            .unwrap_or_default();
        let s = split_statements(script);
        let functions: Vec<_> = s
            .iter()
            .filter(|x| x.starts_with("CREATE FUNCTION"))
            .collect();
        assert_eq!(functions.len(), 5, "{s:#?}");
        assert!(functions.iter().all(|f| f.ends_with("END $$")), "{s:#?}");
        assert_eq!(
            s.iter().filter(|x| x.starts_with("CREATE TRIGGER")).count(),
            5
        );
    }

    #[test]
    fn triggers_stay_whole() {
        let s = split_statements(MIGRATIONS[0].1);
        assert!(
            s.iter()
                .any(|x| x.starts_with("CREATE TRIGGER") && x.ends_with("END"))
        );
        assert!(s.iter().all(|x| !x.is_empty()));
        assert!(split_statements(MIGRATIONS[0].2).len() > 10);
    }
}
