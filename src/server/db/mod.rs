//! The database behind the service: a SQLite file (or memory) or a
//! PostgreSQL server, opened and migrated by [`Db::open`].
//!
//! SQLite runs on tokio's blocking threads: one writer connection (SQLite
//! takes one writer at a time anyway) and a few readers, in WAL mode so
//! readers never wait for the writer. `sqlite::memory:` is one connection
//! for everything, since each in-memory connection is a database of its own.
//! Every SQLite connection registers [`sql::FOLD_FUNCTION`].
//!
//! Migrations are numbered SQL files per engine (`migrations/sqlite`,
//! `migrations/postgres`), applied in order inside one transaction each and
//! recorded in `kfql_migrations`; PostgreSQL takes an advisory lock first so
//! that servers starting together on one database do not race.

use std::sync::{Arc, Mutex};

use rusqlite::config::DbConfig;
use rusqlite::functions::FunctionFlags;
use tokio::sync::Semaphore;

use crate::sql;

mod writer;

/// A database error: what failed, for the log. Handlers answer 500 and
/// never show it to the client.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A URL that is neither `sqlite:PATH`, `sqlite::memory:` nor
    /// `postgres://…`.
    #[error("database URL {0:?}: expected sqlite:PATH, sqlite::memory: or postgres://…")]
    Url(String),
    /// SQLite failed.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// No PostgreSQL connection could be had from the pool.
    #[error("PostgreSQL pool: {0}")]
    Pool(String),
    /// A migration failed.
    #[error("migration {name}: {message}")]
    Migration {
        /// The migration's file name.
        name: &'static str,
        /// What went wrong.
        message: String,
    },
    /// A stored value could not be read back (a row kfql did not write).
    #[error("stored {column}: {message}")]
    Stored {
        /// The column.
        column: String,
        /// What is wrong with it.
        message: String,
    },
    /// A blocking task failed to run.
    #[error("database task: {0}")]
    Task(String),
}

/// The migrations, in order: (name, SQLite, PostgreSQL).
const MIGRATIONS: &[(&str, &str, &str)] = &[
    (
        "0001_instances",
        include_str!("../../../migrations/sqlite/0001_instances.sql"),
        include_str!("../../../migrations/postgres/0001_instances.sql"),
    ),
    (
        "0002_tickets",
        include_str!("../../../migrations/sqlite/0002_tickets.sql"),
        include_str!("../../../migrations/postgres/0002_tickets.sql"),
    ),
    (
        "0003_tokens",
        include_str!("../../../migrations/sqlite/0003_tokens.sql"),
        include_str!("../../../migrations/postgres/0003_tokens.sql"),
    ),
    (
        "0004_reference_status_type",
        include_str!("../../../migrations/sqlite/0004_reference_status_type.sql"),
        include_str!("../../../migrations/postgres/0004_reference_status_type.sql"),
    ),
    (
        "0005_instances_version",
        include_str!("../../../migrations/sqlite/0005_instances_version.sql"),
        include_str!("../../../migrations/postgres/0005_instances_version.sql"),
    ),
];

/// How many SQLite reader connections a file database keeps.
const SQLITE_READERS: usize = 4;

/// An opened, migrated database. Cheap to clone.
#[derive(Clone)]
pub enum Db {
    /// SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(deadpool_postgres::Pool),
}

/// SQLite connections: the writer's thread, and readers lent to tokio's
/// blocking threads.
#[derive(Clone)]
pub struct SqlitePool {
    writer: writer::Writer,
    /// Idle readers; the semaphore counts them, so a read waits (without
    /// blocking a thread) until one is free. None for `sqlite::memory:`:
    /// each in-memory connection is a database of its own, so reads go to
    /// the writer.
    readers: Option<Readers>,
    /// Counts remembered between requests (see [`Remembered`]).
    pub(crate) counts: Arc<Mutex<Remembered>>,
}

/// Answers remembered for one version of the data they were read from,
/// all forgotten when the version moves on: the reader names the version
/// its transaction sees, so an answer is never served to a reader that
/// sees other data. At most [`Remembered::MOST`] of them.
#[derive(Debug, Default)]
pub(crate) struct Remembered {
    version: i64,
    answers: std::collections::HashMap<String, u64>,
}

impl Remembered {
    /// Enough for every query a dashboard polls; a few hundred kB.
    const MOST: usize = 4096;

    /// The answer remembered for `key` at `version`.
    pub(crate) fn get(&self, version: i64, key: &str) -> Option<u64> {
        (version == self.version).then(|| self.answers.get(key).copied())?
    }

    /// Remember `answer` for `key` at `version`. A reader of an older
    /// version than the one remembered changes nothing.
    pub(crate) fn put(&mut self, version: i64, key: String, answer: u64) {
        if version < self.version {
            return;
        }
        if version > self.version || self.answers.len() >= Self::MOST {
            self.answers.clear();
            self.version = version;
        }
        self.answers.insert(key, answer);
    }
}

/// The idle readers and a permit for each.
type Readers = (Arc<Mutex<Vec<rusqlite::Connection>>>, Arc<Semaphore>);

impl Db {
    /// Opens `sqlite:PATH` (created when missing), `sqlite::memory:` or
    /// `postgres://…`, and runs the migrations it has not run yet.
    pub async fn open(url: &str) -> Result<Db, DbError> {
        let db = if url == "sqlite::memory:" {
            Db::Sqlite(SqlitePool {
                writer: writer::Writer::start(sqlite_connection(None)?)?,
                readers: None,
                counts: Arc::default(),
            })
        } else if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path).to_owned();
            if path.is_empty() {
                return Err(DbError::Url(redact_url(url)));
            }
            let pool = tokio::task::spawn_blocking(move || -> Result<SqlitePool, DbError> {
                let writer = writer::Writer::start(sqlite_connection(Some(&path))?)?;
                let readers = (0..SQLITE_READERS)
                    .map(|_| sqlite_connection(Some(&path)))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(SqlitePool {
                    writer,
                    readers: Some((
                        Arc::new(Mutex::new(readers)),
                        Arc::new(Semaphore::new(SQLITE_READERS)),
                    )),
                    counts: Arc::default(),
                })
            })
            .await
            .map_err(|e| DbError::Task(e.to_string()))??;
            Db::Sqlite(pool)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pg: tokio_postgres::Config = url.parse().map_err(DbError::Postgres)?;
            let manager = deadpool_postgres::Manager::new(pg, tokio_postgres::NoTls);
            let pool = deadpool_postgres::Pool::builder(manager)
                .max_size(16)
                .build()
                .map_err(|e| DbError::Pool(e.to_string()))?;
            Db::Postgres(pool)
        } else {
            return Err(DbError::Url(redact_url(url)));
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Runs `f` alone on the SQLite writer connection (between group
    /// commits): for work that opens its own transaction, such as an
    /// import.
    pub async fn sqlite_write<T, F>(pool: &SqlitePool, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut rusqlite::Connection) -> Result<T, DbError> + Send + 'static,
    {
        pool.writer.exclusive(f).await
    }

    /// Runs `f` in the SQLite writer's next group commit (see
    /// `db/writer.rs`): for small writes, such as one ticket or one token.
    /// Resolves once the write is on disk; `f` runs inside a savepoint, so
    /// an error undoes only its own changes. `f` must not open a
    /// transaction.
    pub async fn sqlite_write_batched<T, F>(pool: &SqlitePool, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, DbError> + Send + 'static,
    {
        pool.writer.batched(f).await
    }

    /// Runs `f` on an idle SQLite reader on a blocking thread, waiting for
    /// one to be free.
    pub async fn sqlite_read<T, F>(pool: &SqlitePool, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, DbError> + Send + 'static,
    {
        let Some((idle, permits)) = &pool.readers else {
            return pool.writer.exclusive(|c| f(c)).await;
        };
        let _permit = permits
            .acquire()
            .await
            .map_err(|e| DbError::Task(e.to_string()))?;
        let idle = idle.clone();
        tokio::task::spawn_blocking(move || {
            let conn = idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop()
                .ok_or_else(|| DbError::Task("no idle SQLite reader".into()))?;
            // Back to the idle list even if `f` panics.
            let lent = Lent(Some(conn), &idle);
            f(lent.0.as_ref().expect("lent until dropped"))
        })
        .await
        .map_err(|e| DbError::Task(e.to_string()))?
    }

    /// How many rows `table` holds. The name is kfql's own, never a
    /// request's.
    pub(crate) async fn count_rows(&self, table: &'static str) -> Result<u64, DbError> {
        let sql = format!("SELECT count(*) FROM {table}");
        let n: i64 = match self {
            Db::Sqlite(pool) => {
                Db::sqlite_read(
                    pool,
                    move |conn| Ok(conn.query_row(&sql, [], |r| r.get(0))?),
                )
                .await?
            }
            Db::Postgres(pool) => Db::postgres(pool)
                .await?
                .query_one(&sql, &[])
                .await?
                .try_get(0)?,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// A PostgreSQL connection from the pool.
    pub async fn postgres(
        pool: &deadpool_postgres::Pool,
    ) -> Result<deadpool_postgres::Object, DbError> {
        pool.get().await.map_err(|e| DbError::Pool(e.to_string()))
    }

    async fn migrate(&self) -> Result<(), DbError> {
        match self {
            Db::Sqlite(pool) => {
                Db::sqlite_write(pool, |conn| {
                    conn.execute_batch(
                        "CREATE TABLE IF NOT EXISTS kfql_migrations (name TEXT PRIMARY KEY)",
                    )?;
                    for &(name, sqlite, _) in MIGRATIONS {
                        let tx = conn.transaction()?;
                        let done: bool = tx.query_row(
                            "SELECT EXISTS (SELECT 1 FROM kfql_migrations WHERE name = ?1)",
                            [name],
                            |r| r.get(0),
                        )?;
                        if !done {
                            tx.execute_batch(sqlite).map_err(|e| DbError::Migration {
                                name,
                                message: e.to_string(),
                            })?;
                            tx.execute("INSERT INTO kfql_migrations (name) VALUES (?1)", [name])?;
                        }
                        tx.commit()?;
                    }
                    Ok(())
                })
                .await
            }
            Db::Postgres(pool) => {
                let mut conn = Db::postgres(pool).await?;
                let tx = conn.transaction().await?;
                // One migrating server at a time; the lock ends with the
                // transaction.
                tx.execute("SELECT pg_advisory_xact_lock(7403323035)", &[])
                    .await?;
                tx.batch_execute(
                    "CREATE TABLE IF NOT EXISTS kfql_migrations (name TEXT PRIMARY KEY)",
                )
                .await?;
                for &(name, _, postgres) in MIGRATIONS {
                    let done: bool = tx
                        .query_one(
                            "SELECT EXISTS (SELECT 1 FROM kfql_migrations WHERE name = $1)",
                            &[&name],
                        )
                        .await?
                        .get(0);
                    if !done {
                        tx.batch_execute(postgres)
                            .await
                            .map_err(|e| DbError::Migration {
                                name,
                                message: e.to_string(),
                            })?;
                        tx.execute("INSERT INTO kfql_migrations (name) VALUES ($1)", &[&name])
                            .await?;
                    }
                }
                tx.commit().await?;
                Ok(())
            }
        }
    }
}

/// `url` with its password, if any, replaced by `***`: for messages and
/// logs (`postgres://kfql:***@db/kfql`).
///
/// ```
/// use kfql::server::redact_url;
/// assert_eq!(redact_url("postgres://kfql:s3cret@db:5432/kfql"), "postgres://kfql:***@db:5432/kfql");
/// assert_eq!(redact_url("postgres://kfql@db/kfql"), "postgres://kfql@db/kfql");
/// assert_eq!(redact_url("sqlite:kfql.db"), "sqlite:kfql.db");
/// ```
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((credentials, host)) if credentials.contains(':') => {
            let user = credentials.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}{path}")
        }
        _ => url.to_owned(),
    }
}

/// A reader lent out, returned to the idle list when dropped.
struct Lent<'a>(
    Option<rusqlite::Connection>,
    &'a Mutex<Vec<rusqlite::Connection>>,
);

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            self.1.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
        }
    }
}

/// A SQLite connection (a file, or memory for `None`) with kfql_fold,
/// WAL and a busy timeout.
fn sqlite_connection(path: Option<&str>) -> Result<rusqlite::Connection, DbError> {
    let conn = match path {
        Some(p) => rusqlite::Connection::open(p)?,
        None => rusqlite::Connection::open_in_memory()?,
    };
    conn.create_scalar_function(
        sql::FOLD_FUNCTION,
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(ctx.get::<Option<String>>(0)?.map(|s| sql::fold(&s))),
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Plans that never look at bound values. Without this, a statement
    // whose plan did (a bound LIMIT, an equality beside an ORDER BY, a
    // LIKE pattern) is prepared again at every execution once rusqlite's
    // statement cache clears its bindings: perf put `sqlite3Reprepare` at
    // a quarter of the service's time for a page of Q1. kfql binds every
    // value, so SQLite could only use them with STAT4's samples (which
    // imports drop anyway, `store::SQLITE_ANALYZE`) and for LIKE prefixes
    // of plain columns (kfql's are folded expressions). Dropping the
    // samples alone did not stop the re-preparing; this did.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    if path.is_some() {
        // WAL: readers do not wait for the writer. synchronous=FULL: a
        // commit is on disk before the client hears of it (SERVICE.md §1:
        // nothing acknowledged is lost, even after kill -9 or power loss).
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
    }
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_answers_are_for_one_version() {
        let mut r = Remembered::default();
        r.put(3, "q".into(), 10);
        assert_eq!(r.get(3, "q"), Some(10));
        assert_eq!(r.get(4, "q"), None);
        assert_eq!(r.get(2, "q"), None);
        // An older reader neither replaces nor forgets.
        r.put(2, "q".into(), 9);
        assert_eq!(r.get(3, "q"), Some(10));
        // A newer one forgets the old version's answers.
        r.put(4, "p".into(), 1);
        assert_eq!(
            (r.get(4, "p"), r.get(4, "q"), r.get(3, "q")),
            (Some(1), None, None)
        );
        // Bounded.
        for i in 0..Remembered::MOST + 10 {
            r.put(4, i.to_string(), 0);
        }
        assert!(r.answers.len() <= Remembered::MOST);
    }

    /// Concurrent small writes share commits, a failing one undoes only
    /// itself, and an exclusive job can open its own transaction between
    /// batches.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn group_commit_keeps_each_write_its_own() {
        let dir = std::env::temp_dir().join(format!("kfql-writer-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite:{}", dir.join("w.db").display());
        let Db::Sqlite(pool) = Db::open(&url).await.unwrap() else {
            unreachable!("a sqlite: URL")
        };
        Db::sqlite_write(&pool, |c| {
            c.execute_batch("CREATE TABLE w (n INTEGER PRIMARY KEY)")?;
            Ok(())
        })
        .await
        .unwrap();
        let writes = (0..200i64).map(|i| {
            let pool = pool.clone();
            // 150 is written twice: the second must fail alone.
            let n = if i == 199 { 150 } else { i };
            tokio::spawn(async move {
                Db::sqlite_write_batched(&pool, move |c| {
                    c.execute("INSERT INTO w (n) VALUES (?1)", [n])?;
                    Ok(n)
                })
                .await
            })
        });
        let mut failed = 0;
        for w in writes.collect::<Vec<_>>() {
            if w.await.unwrap().is_err() {
                failed += 1;
            }
        }
        assert_eq!(failed, 1);
        let count = Db::sqlite_write(&pool, |c| {
            let tx = c.transaction()?;
            let n: i64 = tx.query_row("SELECT count(*) FROM w", [], |r| r.get(0))?;
            tx.commit()?;
            Ok(n)
        })
        .await
        .unwrap();
        assert_eq!(count, 199);
        // A reader sees what was committed.
        let read = Db::sqlite_read(&pool, |c| {
            Ok(c.query_row("SELECT count(*) FROM w", [], |r| r.get::<_, i64>(0))?)
        })
        .await
        .unwrap();
        assert_eq!(read, 199);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
