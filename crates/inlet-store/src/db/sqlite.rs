//! The embedded engine: one writer connection and a few readers over one
//! WAL-mode file, used through rusqlite with cached prepared statements.
//!
//! Statements run inline on the async worker thread: they take microseconds,
//! far less than a hop to a blocking thread would (sqlx's SQLite driver spends
//! ~150 µs per query on that hop, measured on the target machine). Writers
//! queue on an async mutex, so no task ever spins on `SQLITE_BUSY`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, ToSql};

use super::{DbError, Row, Val};

/// Reader connections; more than the cores so a slow read never stalls the rest.
const READERS: usize = 8;

/// A pool over one SQLite file.
pub struct SqliteDb {
    writer: tokio::sync::Mutex<Connection>,
    readers: Vec<std::sync::Mutex<Connection>>,
    next: AtomicUsize,
}

impl SqliteDb {
    /// Opens (creating if missing) the database file at `path`. A missing
    /// directory is created 0700 and a missing file 0600, before SQLite
    /// opens it: SQLite gives the `-wal` and `-shm` files it creates the
    /// database file's mode, so they are 0600 too.
    pub fn open(path: &str) -> Result<Self, DbError> {
        if path.is_empty() {
            return Err(DbError::Config("sqlite: URL needs a file path".into()));
        }
        if let Some(dir) = std::path::Path::new(path).parent()
            && !dir.as_os_str().is_empty()
            && !dir.is_dir()
        {
            private_dir(dir)
                .map_err(|e| DbError::Config(format!("cannot create {}: {e}", dir.display())))?;
        }
        // A URI (`file:…`) or an in-memory database names no plain file.
        if !path.starts_with("file:") && path != ":memory:" {
            private_file(std::path::Path::new(path))
                .map_err(|e| DbError::Config(format!("cannot create {path}: {e}")))?;
        }
        let writer = open_conn(path, true)?;
        let readers = (0..READERS)
            .map(|_| open_conn(path, false).map(std::sync::Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            writer: tokio::sync::Mutex::new(writer),
            readers,
            next: AtomicUsize::new(0),
        })
    }

    /// The writer connection.
    pub async fn writer(&self) -> tokio::sync::MutexGuard<'_, Connection> {
        self.writer.lock().await
    }

    /// Runs `f` on a free reader connection.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T, DbError>) -> Result<T, DbError> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..self.readers.len() {
            if let Ok(conn) = self.readers[(start + i) % self.readers.len()].try_lock() {
                return f(&conn);
            }
        }
        let conn = self.readers[start % self.readers.len()]
            .lock()
            .map_err(|_| DbError::Engine("reader connection poisoned".into()))?;
        f(&conn)
    }
}

/// Creates `dir` and its missing parents with mode 0700.
fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // mkdir's mode passes through the umask; set it exactly.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Creates the empty database file with mode 0600 if it does not exist (an
/// empty file is a new database to SQLite); an existing file is untouched.
fn private_file(path: &std::path::Path) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(file) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                // open's mode passes through the umask; set it exactly.
                file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            }
            drop(file);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

fn open_conn(path: &str, writer: bool) -> Result<Connection, DbError> {
    let flags = if writer {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags).map_err(map_err)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;
         PRAGMA temp_store = MEMORY;
         PRAGMA mmap_size = 67108864;",
    )
    .map_err(map_err)?;
    if writer {
        // Checkpoint less often than every 4 MB of WAL: a sync writes in
        // large batches, and each checkpoint costs an fsync. The writer's
        // page cache holds the B-tree pages a batch's inserts walk.
        conn.execute_batch(
            "PRAGMA wal_autocheckpoint = 16384;
             PRAGMA cache_size = -32000;",
        )
        .map_err(map_err)?;
    } else {
        // Readers keep a small cache each: they are many, every page they
        // read is in the OS's cache anyway, and the index follower reads
        // every new document once, which would fill each cache it touched
        // (8 readers × 32 MB was most of the server's heap after a sync).
        conn.execute_batch("PRAGMA cache_size = -4000;")
            .map_err(map_err)?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Runs one statement and returns how many rows it changed.
pub fn execute(conn: &Connection, sql: &str, params: &[Val]) -> Result<u64, DbError> {
    let mut stmt = conn.prepare_cached(sql).map_err(map_err)?;
    let args: Vec<&dyn ToSql> = params.iter().map(|p| p as &dyn ToSql).collect();
    let changed = stmt.execute(args.as_slice()).map_err(map_err)?;
    Ok(changed as u64)
}

/// Runs one statement and collects its rows.
pub fn query(conn: &Connection, sql: &str, params: &[Val]) -> Result<Vec<Row>, DbError> {
    let mut stmt = conn.prepare_cached(sql).map_err(map_err)?;
    let names: Arc<[String]> = stmt
        .column_names()
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let args: Vec<&dyn ToSql> = params.iter().map(|p| p as &dyn ToSql).collect();
    let mut rows = stmt.query(args.as_slice()).map_err(map_err)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(map_err)? {
        let mut vals = Vec::with_capacity(names.len());
        for i in 0..names.len() {
            vals.push(match r.get_ref(i).map_err(map_err)? {
                ValueRef::Null => Val::Null,
                ValueRef::Integer(v) => Val::Int(v),
                ValueRef::Real(v) => Val::Real(v),
                ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Val::Blob(b.to_vec()),
            });
        }
        out.push(Row {
            names: names.clone(),
            vals,
        });
    }
    Ok(out)
}

impl ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::ToSqlOutput::Borrowed;
        Ok(match self {
            Val::TextList(_) | Val::IntList(_) => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    "array parameters are PostgreSQL-only".into(),
                ));
            }
            Val::Null | Val::NullText | Val::NullBlob => Borrowed(ValueRef::Null),
            Val::Int(v) => Borrowed(ValueRef::Integer(*v)),
            Val::Real(v) => Borrowed(ValueRef::Real(*v)),
            Val::Text(v) => Borrowed(ValueRef::Text(v.as_bytes())),
            Val::Blob(v) => Borrowed(ValueRef::Blob(v)),
        })
    }
}

/// Maps engine errors, recognising constraint violations.
pub fn map_err(e: rusqlite::Error) -> DbError {
    if let rusqlite::Error::SqliteFailure(code, msg) = &e
        && code.code == rusqlite::ErrorCode::ConstraintViolation
    {
        let msg = msg.clone().unwrap_or_default();
        // Extended codes: SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY / _FOREIGNKEY;
        // some paths report only the primary code, so the message decides then.
        match code.extended_code {
            2067 | 1555 => return DbError::Unique(msg),
            787 => return DbError::ForeignKey(msg),
            _ if msg.starts_with("UNIQUE") => return DbError::Unique(msg),
            _ if msg.starts_with("FOREIGN KEY") => return DbError::ForeignKey(msg),
            _ => {}
        }
    }
    DbError::Engine(e.to_string())
}
