//! SQLite's one writer, on a thread of its own, with group commit.
//!
//! A commit that must survive power loss waits for the disk (`fsync`):
//! measured here, about 270 a second, however small the write. One
//! transaction per created ticket would cap the service there. Writes
//! that are one small unit each (a ticket, a token) are *batched*: the
//! writer takes every such job queued while the last commit was on its
//! way to disk, runs each inside a savepoint of one transaction (so one
//! job's error undoes only that job), commits once, and only then answers
//! each job's caller. Every acknowledged write is on disk, and the disk
//! waits are shared.
//!
//! Jobs that need the connection to themselves (an import, a migration,
//! anything that opens its own transaction) are *exclusive*: they run
//! alone, between batches.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::DbError;

/// The most jobs one commit takes.
const MAX_BATCH: usize = 512;

/// What a batched job leaves to do once the commit's outcome is known:
/// answer its caller.
type Deliver = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A batched job: given the connection inside the batch's transaction, or
/// why there is none, it runs (or only reports that) and returns what is
/// left to do once the commit's outcome is known.
type BatchedJob = Box<dyn FnOnce(Result<&Connection, &str>) -> Deliver + Send>;

enum Job {
    Exclusive(Box<dyn FnOnce(&mut Connection) + Send>),
    Batched(BatchedJob),
}

/// The handle to the writer thread. The thread ends when every handle is
/// gone.
#[derive(Clone)]
pub(super) struct Writer(mpsc::Sender<Job>);

impl Writer {
    /// Starts the writer thread over `conn`.
    pub(super) fn start(conn: Connection) -> Result<Writer, DbError> {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("kfql-sqlite-writer".into())
            .spawn(move || run(conn, rx))
            .map_err(|e| DbError::Task(format!("cannot start the SQLite writer: {e}")))?;
        Ok(Writer(tx))
    }

    /// Runs `f` alone on the writer connection.
    pub(super) async fn exclusive<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job = Job::Exclusive(Box::new(move |conn| {
            let _ = tx.send(f(conn));
        }));
        self.0.send(job).map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }

    /// Runs `f` inside the next group commit; resolves once the commit is
    /// durable (or failed). `f` must not open a transaction of its own.
    pub(super) async fn batched<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, DbError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job = Job::Batched(Box::new(move |conn: Result<&Connection, &str>| {
            let result = match conn {
                Ok(conn) => savepoint(conn, f),
                Err(e) => Err(DbError::Task(format!("begin: {e}"))),
            };
            Box::new(move |commit: Result<(), String>| {
                let _ = tx.send(match commit {
                    Ok(()) => result,
                    Err(e) => result.and(Err(DbError::Task(format!("commit: {e}")))),
                });
            })
        }));
        self.0.send(job).map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }
}

fn gone() -> DbError {
    DbError::Task("the SQLite writer has stopped".into())
}

/// `f` inside a savepoint: released when it succeeds, rolled back when it
/// fails, so that the other jobs of the batch commit either way.
fn savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, DbError>,
) -> Result<T, DbError> {
    conn.execute_batch("SAVEPOINT kfql_job")?;
    // A panic in a job (a bug) must not end the writer thread, which every
    // later write needs, nor leave the savepoint half done.
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| f(conn)))
        .unwrap_or_else(|_| Err(DbError::Task("a database job panicked".into())));
    let end = if result.is_ok() {
        conn.execute_batch("RELEASE kfql_job")
    } else {
        conn.execute_batch("ROLLBACK TO kfql_job; RELEASE kfql_job")
    };
    match end {
        Ok(()) => result,
        Err(e) => result.and(Err(e.into())),
    }
}

fn run(mut conn: Connection, jobs: mpsc::Receiver<Job>) {
    let mut next = None;
    loop {
        let job = match next.take() {
            Some(job) => job,
            None => match jobs.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
        };
        let first = match job {
            Job::Exclusive(f) => {
                // On a panic the caller's answer is dropped, which it sees
                // as an error; the thread goes on.
                let _ = std::panic::catch_unwind(AssertUnwindSafe(|| f(&mut conn)));
                if !conn.is_autocommit() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                continue;
            }
            Job::Batched(first) => first,
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(Job::Batched(j)) => batch.push(j),
                Ok(exclusive) => {
                    next = Some(exclusive);
                    break;
                }
                Err(_) => break,
            }
        }
        // BEGIN IMMEDIATE: take the write lock now, not at the first write.
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            let e = e.to_string();
            for job in batch {
                job(Err(&e))(Err(e.clone()));
            }
            continue;
        }
        let delivers: Vec<Deliver> = batch.into_iter().map(|job| job(Ok(&conn))).collect();
        let commit = conn.execute_batch("COMMIT").map_err(|e| e.to_string());
        if commit.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        for deliver in delivers {
            deliver(commit.clone());
        }
    }
}
