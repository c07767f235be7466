//! The SQL behind OAuth, for both engines: grants in `venafi_tokens`
//! (migration 0003), written as [`super::store`] writes tickets.

use super::store::{lite, prepared};
use crate::server::{Db, DbError};

/// One OAuth grant: the hashes of an access token and of the refresh
/// token issued with it, whose they are, and until when (Unix
/// milliseconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Grant {
    pub(crate) access_hash: String,
    pub(crate) refresh_hash: String,
    pub(crate) client_id: String,
    pub(crate) username: String,
    pub(crate) identity: String,
    pub(crate) scope: String,
    pub(crate) issued: i64,
    pub(crate) expires: i64,
    pub(crate) refresh_until: i64,
}

const GRANT_COLUMNS: &str = "access_hash, refresh_hash, client_id, username, identity, scope, \
                             issued_ms, expires_ms, refresh_until_ms";
const INSERT_GRANT: &str = "INSERT INTO venafi_tokens (access_hash, refresh_hash, client_id, \
     username, identity, scope, issued_ms, expires_ms, refresh_until_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
/// Grants whose refresh token has lapsed are of no use to anyone.
const PURGE: &str = "DELETE FROM venafi_tokens WHERE refresh_until_ms <= $1 AND expires_ms <= $1";

fn grant_sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Grant> {
    Ok(Grant {
        access_hash: r.get(0)?,
        refresh_hash: r.get(1)?,
        client_id: r.get(2)?,
        username: r.get(3)?,
        identity: r.get(4)?,
        scope: r.get(5)?,
        issued: r.get(6)?,
        expires: r.get(7)?,
        refresh_until: r.get(8)?,
    })
}

fn grant_postgres(r: &tokio_postgres::Row) -> Result<Grant, DbError> {
    Ok(Grant {
        access_hash: r.try_get(0)?,
        refresh_hash: r.try_get(1)?,
        client_id: r.try_get(2)?,
        username: r.try_get(3)?,
        identity: r.try_get(4)?,
        scope: r.try_get(5)?,
        issued: r.try_get(6)?,
        expires: r.try_get(7)?,
        refresh_until: r.try_get(8)?,
    })
}

fn sqlite_insert_grant(conn: &rusqlite::Connection, g: &Grant) -> Result<(), DbError> {
    conn.prepare_cached(&lite(INSERT_GRANT))?
        .execute(rusqlite::params![
            g.access_hash,
            g.refresh_hash,
            g.client_id,
            g.username,
            g.identity,
            g.scope,
            g.issued,
            g.expires,
            g.refresh_until
        ])?;
    Ok(())
}

async fn pg_insert_grant(
    client: &impl deadpool_postgres::GenericClient,
    g: &Grant,
) -> Result<(), DbError> {
    let stmt = prepared(client, INSERT_GRANT).await?;
    client
        .execute(
            &stmt,
            &[
                &g.access_hash,
                &g.refresh_hash,
                &g.client_id,
                &g.username,
                &g.identity,
                &g.scope,
                &g.issued,
                &g.expires,
                &g.refresh_until,
            ],
        )
        .await?;
    Ok(())
}

/// Stores a new grant (and forgets lapsed ones).
pub(crate) async fn insert(db: &Db, grant: Grant) -> Result<(), DbError> {
    let now = grant.issued;
    match db {
        Db::Sqlite(pool) => {
            Db::sqlite_write_batched(pool, move |conn| {
                conn.prepare_cached(&lite(PURGE))?.execute([now])?;
                sqlite_insert_grant(conn, &grant)?;
                Ok(())
            })
            .await
        }
        Db::Postgres(pool) => {
            let conn = Db::postgres(pool).await?;
            conn.execute(PURGE, &[&now]).await?;
            pg_insert_grant(&conn, &grant).await
        }
    }
}

/// The grant whose access token hashes to `access_hash`.
pub(crate) async fn find(db: &Db, access_hash: String) -> Result<Option<Grant>, DbError> {
    let sql = format!("SELECT {GRANT_COLUMNS} FROM venafi_tokens WHERE access_hash = $1");
    match db {
        Db::Sqlite(pool) => {
            Db::sqlite_read(pool, move |conn| {
                let mut stmt = conn.prepare_cached(&lite(&sql))?;
                let mut rows = stmt.query_map([access_hash], grant_sqlite)?;
                Ok(rows.next().transpose()?)
            })
            .await
        }
        Db::Postgres(pool) => {
            let conn = Db::postgres(pool).await?;
            let stmt = prepared(&conn, &sql).await?;
            conn.query_opt(&stmt, &[&access_hash])
                .await?
                .map(|r| grant_postgres(&r))
                .transpose()
        }
    }
}

/// Trades a refresh token for `fresh`, in one transaction: the grant the
/// refresh token belongs to is deleted (so it works once, also across
/// servers: of two concurrent deletes of one row, PostgreSQL lets one
/// see it) and `fresh` takes its identity and scope. None when no live
/// grant of `client_id` has that refresh token.
pub(crate) async fn refresh(
    db: &Db,
    refresh_hash: String,
    client_id: String,
    mut fresh: Grant,
) -> Result<Option<Grant>, DbError> {
    let sql = format!(
        "DELETE FROM venafi_tokens WHERE refresh_hash = $1 AND client_id = $2 \
         AND refresh_until_ms > $3 RETURNING {GRANT_COLUMNS}"
    );
    let now = fresh.issued;
    let fill = |fresh: &mut Grant, old: Grant| {
        fresh.client_id = old.client_id;
        fresh.username = old.username;
        fresh.identity = old.identity;
        fresh.scope = old.scope;
    };
    match db {
        Db::Sqlite(pool) => {
            Db::sqlite_write_batched(pool, move |conn| {
                let old = {
                    let mut stmt = conn.prepare_cached(&lite(&sql))?;
                    let mut rows = stmt.query_map(
                        rusqlite::params![refresh_hash, client_id, now],
                        grant_sqlite,
                    )?;
                    rows.next().transpose()?
                };
                let Some(old) = old else {
                    return Ok(None);
                };
                fill(&mut fresh, old);
                sqlite_insert_grant(conn, &fresh)?;
                Ok(Some(fresh))
            })
            .await
        }
        Db::Postgres(pool) => {
            let mut conn = Db::postgres(pool).await?;
            let tx = conn.transaction().await?;
            let stmt = prepared(&tx, &sql).await?;
            let Some(row) = tx
                .query_opt(&stmt, &[&refresh_hash, &client_id, &now])
                .await?
            else {
                return Ok(None);
            };
            fill(&mut fresh, grant_postgres(&row)?);
            pg_insert_grant(&tx, &fresh).await?;
            tx.commit().await?;
            Ok(Some(fresh))
        }
    }
}

/// Deletes the grant of an access token; whether there was one.
pub(crate) async fn revoke(db: &Db, access_hash: String) -> Result<bool, DbError> {
    const SQL: &str = "DELETE FROM venafi_tokens WHERE access_hash = $1";
    let n = match db {
        Db::Sqlite(pool) => {
            Db::sqlite_write_batched(pool, move |conn| {
                Ok(conn.prepare_cached(&lite(SQL))?.execute([access_hash])? as u64)
            })
            .await?
        }
        Db::Postgres(pool) => {
            Db::postgres(pool)
                .await?
                .execute(SQL, &[&access_hash])
                .await?
        }
    };
    Ok(n > 0)
}
