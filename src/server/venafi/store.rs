//! The SQL behind the ticket routes, for both engines (`workflow_tickets`,
//! migration 0002; the grants are in [`super::grants`]). Statements are
//! written once with `$N` placeholders; SQLite reads them as `?N`. Every
//! value is a bound parameter.

use chrono::{DateTime, Utc};

use crate::Guid;
use crate::server::{Db, DbError};
use crate::sql;
use crate::venafi::{TicketStatus, WorkflowTicket};

/// A ticket as stored: the record, and what UpdateStatus was last given.
#[derive(Clone, Debug)]
pub(crate) struct StoredTicket {
    pub(crate) ticket: WorkflowTicket,
    pub(crate) explanation: Option<String>,
    pub(crate) scheduled_start: Option<DateTime<Utc>>,
    pub(crate) scheduled_stop: Option<DateTime<Utc>>,
}

/// What UpdateStatus did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Updated {
    Done,
    NoTicket,
    NotApprover,
}

pub(super) fn lite(sql: &str) -> String {
    sql.replace('$', "?")
}

const TICKET_COLUMNS: &str = "guid, object_dn, workflow_dn, approvers, reason, user_data, status, \
                              created, updated, explanation, scheduled_start, scheduled_stop";

const INSERT_TICKET: &str = "INSERT INTO workflow_tickets (guid, object_dn, workflow_dn, approvers, \
     reason, user_data, status, created, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// A ticket's columns as bound parameters, in INSERT_TICKET's order.
struct TicketRow {
    guid: String,
    object_dn: Option<String>,
    workflow_dn: Option<String>,
    approvers: String,
    reason: Option<i64>,
    user_data: Option<String>,
    status: String,
    created: Option<String>,
    updated: Option<String>,
}

fn stored_time(column: &str, t: Option<&DateTime<Utc>>) -> Result<Option<String>, DbError> {
    t.map(|t| {
        sql::datetime_text(t).ok_or_else(|| DbError::Stored {
            column: column.to_owned(),
            message: "a datetime outside years 0001–9999".into(),
        })
    })
    .transpose()
}

fn no_nul(column: &str, s: &Option<String>) -> Result<(), DbError> {
    if s.as_deref().is_some_and(|s| s.contains('\0')) {
        return Err(DbError::Stored {
            column: column.to_owned(),
            message: "text holding U+0000".into(),
        });
    }
    Ok(())
}

impl TicketRow {
    fn of(t: &WorkflowTicket) -> Result<TicketRow, DbError> {
        no_nul("object_dn", &t.object_dn)?;
        no_nul("workflow_dn", &t.workflow_dn)?;
        no_nul("user_data", &t.user_data)?;
        if t.approvers.iter().any(|a| a.contains('\0')) {
            return Err(DbError::Stored {
                column: "approvers".into(),
                message: "text holding U+0000".into(),
            });
        }
        Ok(TicketRow {
            guid: t.guid.to_string(),
            object_dn: t.object_dn.clone(),
            workflow_dn: t.workflow_dn.clone(),
            approvers: serde_json::to_string(&t.approvers).unwrap_or_else(|_| "[]".into()),
            reason: t.reason,
            user_data: t.user_data.clone(),
            status: t.status.name().to_owned(),
            created: stored_time("created", t.created.as_ref())?,
            updated: stored_time("updated", t.updated.as_ref())?,
        })
    }
}

/// The columns of TICKET_COLUMNS as read back.
struct ReadRow {
    guid: String,
    object_dn: Option<String>,
    workflow_dn: Option<String>,
    approvers: String,
    reason: Option<i64>,
    user_data: Option<String>,
    status: String,
    created: Option<String>,
    updated: Option<String>,
    explanation: Option<String>,
    scheduled_start: Option<String>,
    scheduled_stop: Option<String>,
}

fn bad(column: &str, message: impl Into<String>) -> DbError {
    DbError::Stored {
        column: column.to_owned(),
        message: message.into(),
    }
}

fn read_time(column: &str, text: Option<String>) -> Result<Option<DateTime<Utc>>, DbError> {
    text.map(|t| {
        DateTime::parse_from_rfc3339(&t)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| bad(column, format!("{t:?}: {e}")))
    })
    .transpose()
}

impl ReadRow {
    fn into_stored(self) -> Result<StoredTicket, DbError> {
        let guid: Guid = self
            .guid
            .parse()
            .map_err(|_| bad("guid", format!("{:?} is not a GUID", self.guid)))?;
        let approvers: Vec<String> = serde_json::from_str(&self.approvers)
            .map_err(|e| bad("approvers", format!("not a JSON array of strings: {e}")))?;
        let status: TicketStatus = self
            .status
            .parse()
            .map_err(|_| bad("status", format!("{:?} is not a status", self.status)))?;
        Ok(StoredTicket {
            ticket: WorkflowTicket {
                guid,
                object_dn: self.object_dn,
                workflow_dn: self.workflow_dn,
                approvers,
                reason: self.reason,
                user_data: self.user_data,
                status,
                created: read_time("created", self.created)?,
                updated: read_time("updated", self.updated)?,
            },
            explanation: self.explanation,
            scheduled_start: read_time("scheduled_start", self.scheduled_start)?,
            scheduled_stop: read_time("scheduled_stop", self.scheduled_stop)?,
        })
    }

    fn sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReadRow> {
        Ok(ReadRow {
            guid: r.get(0)?,
            object_dn: r.get(1)?,
            workflow_dn: r.get(2)?,
            approvers: r.get(3)?,
            reason: r.get(4)?,
            user_data: r.get(5)?,
            status: r.get(6)?,
            created: r.get(7)?,
            updated: r.get(8)?,
            explanation: r.get(9)?,
            scheduled_start: r.get(10)?,
            scheduled_stop: r.get(11)?,
        })
    }

    fn postgres(r: &tokio_postgres::Row) -> Result<ReadRow, DbError> {
        Ok(ReadRow {
            guid: r.try_get(0)?,
            object_dn: r.try_get(1)?,
            workflow_dn: r.try_get(2)?,
            approvers: r.try_get(3)?,
            reason: r.try_get(4)?,
            user_data: r.try_get(5)?,
            status: r.try_get(6)?,
            created: r.try_get(7)?,
            updated: r.try_get(8)?,
            explanation: r.try_get(9)?,
            scheduled_start: r.try_get(10)?,
            scheduled_stop: r.try_get(11)?,
        })
    }
}

/// `sql` prepared on this PostgreSQL connection, once: deadpool keeps each
/// connection's statements, which saves a round trip per query.
pub(super) async fn prepared(
    client: &impl deadpool_postgres::GenericClient,
    sql: &str,
) -> Result<tokio_postgres::Statement, DbError> {
    Ok(client.prepare_cached(sql).await?)
}

fn sqlite_insert(conn: &rusqlite::Connection, row: &TicketRow) -> Result<(), DbError> {
    conn.prepare_cached(&lite(INSERT_TICKET))?
        .execute(rusqlite::params![
            row.guid,
            row.object_dn,
            row.workflow_dn,
            row.approvers,
            row.reason,
            row.user_data,
            row.status,
            row.created,
            row.updated,
        ])?;
    Ok(())
}

async fn pg_insert(
    client: &impl deadpool_postgres::GenericClient,
    row: &TicketRow,
) -> Result<(), DbError> {
    let stmt = prepared(client, INSERT_TICKET).await?;
    client
        .execute(
            &stmt,
            &[
                &row.guid,
                &row.object_dn,
                &row.workflow_dn,
                &row.approvers,
                &row.reason,
                &row.user_data,
                &row.status,
                &row.created,
                &row.updated,
            ],
        )
        .await?;
    Ok(())
}

/// Stores a new ticket; committed when this returns.
pub(crate) async fn insert_ticket(db: &Db, ticket: &WorkflowTicket) -> Result<(), DbError> {
    let row = TicketRow::of(ticket)?;
    match db {
        Db::Sqlite(pool) => {
            Db::sqlite_write_batched(pool, move |conn| sqlite_insert(conn, &row)).await
        }
        Db::Postgres(pool) => pg_insert(&Db::postgres(pool).await?, &row).await,
    }
}

/// Stores every ticket in one transaction, or none.
pub(crate) async fn import(db: &Db, tickets: Vec<WorkflowTicket>) -> Result<usize, DbError> {
    let rows = tickets
        .iter()
        .map(TicketRow::of)
        .collect::<Result<Vec<_>, _>>()?;
    let n = rows.len();
    match db {
        Db::Sqlite(pool) => {
            Db::sqlite_write(pool, move |conn| {
                let tx = conn.transaction()?;
                for row in &rows {
                    sqlite_insert(&tx, row)?;
                }
                tx.commit()?;
                Ok(n)
            })
            .await
        }
        Db::Postgres(pool) => {
            let mut conn = Db::postgres(pool).await?;
            let tx = conn.transaction().await?;
            for row in &rows {
                pg_insert(&tx, row).await?;
            }
            tx.commit().await?;
            Ok(n)
        }
    }
}

/// The ticket with this GUID.
pub(crate) async fn find_ticket(db: &Db, guid: Guid) -> Result<Option<StoredTicket>, DbError> {
    let sql = format!("SELECT {TICKET_COLUMNS} FROM workflow_tickets WHERE guid = $1");
    let key = guid.to_string();
    let row = match db {
        Db::Sqlite(pool) => {
            Db::sqlite_read(pool, move |conn| {
                let mut stmt = conn.prepare_cached(&lite(&sql))?;
                let mut rows = stmt.query_map([key], ReadRow::sqlite)?;
                Ok(rows.next().transpose()?)
            })
            .await?
        }
        Db::Postgres(pool) => {
            let conn = Db::postgres(pool).await?;
            let stmt = prepared(&conn, &sql).await?;
            match conn.query_opt(&stmt, &[&key]).await? {
                Some(r) => Some(ReadRow::postgres(&r)?),
                None => None,
            }
        }
    };
    row.map(ReadRow::into_stored).transpose()
}

/// Whether a ticket with this GUID exists.
pub(crate) async fn exists(db: &Db, guid: Guid) -> Result<bool, DbError> {
    const SQL: &str = "SELECT EXISTS (SELECT 1 FROM workflow_tickets WHERE guid = $1)";
    let key = guid.to_string();
    match db {
        Db::Sqlite(pool) => {
            Db::sqlite_read(pool, move |conn| {
                Ok(conn
                    .prepare_cached(&lite(SQL))?
                    .query_row([key], |r| r.get(0))?)
            })
            .await
        }
        Db::Postgres(pool) => {
            let conn = Db::postgres(pool).await?;
            let stmt = prepared(&conn, SQL).await?;
            Ok(conn.query_one(&stmt, &[&key]).await?.try_get(0)?)
        }
    }
}

/// The GUIDs of the tickets whose ObjectDN and UserData equal the given
/// ones (ignoring case, as Venafi compares DNs), in creation order; a
/// filter not given matches every ticket. The API has no paging, so this
/// may be every ticket there is: each row's text is parsed as it is read
/// and only the 16-byte GUIDs are kept. When the rows' strings were
/// collected first, and the answer built as a `serde_json::Value`, an
/// Enumerate of 168,754 tickets raised the service's peak memory from 50
/// to 84 MB (BENCHMARKS.md, change 13).
pub(crate) async fn enumerate(
    db: &Db,
    object_dn: Option<String>,
    user_data: Option<String>,
) -> Result<Vec<Guid>, DbError> {
    // Only the filters given, so that the indexes on the folded columns
    // can serve them (an `$1 IS NULL OR …` would not let them).
    let (fold, cast) = match db {
        Db::Sqlite(_) => (crate::sql::FOLD_FUNCTION, ""),
        Db::Postgres(_) => ("lower", "::text"),
    };
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    for (column, value) in [("object_dn", object_dn), ("user_data", user_data)] {
        if let Some(v) = value {
            values.push(v);
            let n = values.len();
            conditions.push(format!("{fold}({column}) = {fold}(${n}{cast})"));
        }
    }
    let sql = format!(
        "SELECT guid FROM workflow_tickets{}{} ORDER BY seq",
        if conditions.is_empty() { "" } else { " WHERE " },
        conditions.join(" AND ")
    );
    let parse = |g: &str| {
        g.parse::<Guid>()
            .map_err(|_| bad("guid", format!("{g:?} is not a GUID")))
    };
    match db {
        Db::Sqlite(pool) => {
            Db::sqlite_read(pool, move |conn| {
                let mut stmt = conn.prepare_cached(&lite(&sql))?;
                let mut rows = stmt.query(rusqlite::params_from_iter(&values))?;
                let mut guids = Vec::new();
                while let Some(row) = rows.next()? {
                    let text = row.get_ref(0)?.as_str();
                    guids.push(parse(text.map_err(|e| bad("guid", e.to_string()))?)?);
                }
                Ok(guids)
            })
            .await
        }
        Db::Postgres(pool) => {
            let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = values
                .iter()
                .map(|v| v as &(dyn tokio_postgres::types::ToSql + Sync))
                .collect();
            Db::postgres(pool)
                .await?
                .query(&sql, &params)
                .await?
                .iter()
                .map(|r| parse(r.try_get(0)?))
                .collect()
        }
    }
}

/// A status change: the new status, what came with it, and the clock.
pub(crate) struct StatusChange {
    pub(crate) status: TicketStatus,
    pub(crate) explanation: Option<String>,
    pub(crate) scheduled_start: Option<DateTime<Utc>>,
    pub(crate) scheduled_stop: Option<DateTime<Utc>>,
    pub(crate) now: DateTime<Utc>,
}

/// The new Updated: now, or just after the old one when the clock has not
/// moved past it, so that Updated changes on every status change.
fn next_updated(old: Option<&str>, now: DateTime<Utc>) -> DateTime<Utc> {
    let old = old
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    match old {
        Some(old) if old >= now => old + chrono::Duration::microseconds(1),
        _ => now,
    }
}

fn is_approver(approvers_json: &str, identity: &str) -> bool {
    let approvers: Vec<String> = serde_json::from_str(approvers_json).unwrap_or_default();
    let identity = identity.to_lowercase();
    approvers.iter().any(|a| a.to_lowercase() == identity)
}

/// Sets the status of the ticket `guid` if `identity` is among its
/// approvers (ignoring case), in one transaction.
pub(crate) async fn update_status(
    db: &Db,
    guid: Guid,
    identity: String,
    change: StatusChange,
) -> Result<Updated, DbError> {
    const SELECT: &str = "SELECT approvers, updated FROM workflow_tickets WHERE guid = $1";
    const UPDATE: &str = "UPDATE workflow_tickets SET status = $2, updated = $3, \
         explanation = $4, scheduled_start = $5, scheduled_stop = $6 WHERE guid = $1";
    let key = guid.to_string();
    let status = change.status.name().to_owned();
    let start = stored_time("scheduled_start", change.scheduled_start.as_ref())?;
    let stop = stored_time("scheduled_stop", change.scheduled_stop.as_ref())?;
    no_nul("explanation", &change.explanation)?;
    let explanation = change.explanation;
    let now = change.now;
    let updated_text = move |old: Option<&str>| {
        stored_time("updated", Some(&next_updated(old, now))).map(Option::unwrap_or_default)
    };
    match db {
        Db::Sqlite(pool) => {
            Db::sqlite_write_batched(pool, move |conn| {
                let found: Option<(String, Option<String>)> = {
                    let mut stmt = conn.prepare_cached(&lite(SELECT))?;
                    let mut rows = stmt.query_map([&key], |r| Ok((r.get(0)?, r.get(1)?)))?;
                    rows.next().transpose()?
                };
                let Some((approvers, old)) = found else {
                    return Ok(Updated::NoTicket);
                };
                if !is_approver(&approvers, &identity) {
                    return Ok(Updated::NotApprover);
                }
                let updated = updated_text(old.as_deref())?;
                conn.prepare_cached(&lite(UPDATE))?
                    .execute(rusqlite::params![
                        key,
                        status,
                        updated,
                        explanation,
                        start,
                        stop
                    ])?;
                Ok(Updated::Done)
            })
            .await
        }
        Db::Postgres(pool) => {
            let mut conn = Db::postgres(pool).await?;
            let tx = conn.transaction().await?;
            let select = format!("{SELECT} FOR UPDATE");
            let stmt = prepared(&tx, &select).await?;
            let Some(row) = tx.query_opt(&stmt, &[&key]).await? else {
                return Ok(Updated::NoTicket);
            };
            let approvers: String = row.try_get(0)?;
            let old: Option<String> = row.try_get(1)?;
            if !is_approver(&approvers, &identity) {
                return Ok(Updated::NotApprover);
            }
            let updated = updated_text(old.as_deref())?;
            let stmt = prepared(&tx, UPDATE).await?;
            tx.execute(
                &stmt,
                &[&key, &status, &updated, &explanation, &start, &stop],
            )
            .await?;
            tx.commit().await?;
            Ok(Updated::Done)
        }
    }
}

/// Deletes the ticket; whether there was one.
pub(crate) async fn delete_ticket(db: &Db, guid: Guid) -> Result<bool, DbError> {
    const SQL: &str = "DELETE FROM workflow_tickets WHERE guid = $1";
    let key = guid.to_string();
    let n = match db {
        Db::Sqlite(pool) => {
            Db::sqlite_write_batched(pool, move |conn| {
                Ok(conn.prepare_cached(&lite(SQL))?.execute([key])? as u64)
            })
            .await?
        }
        Db::Postgres(pool) => Db::postgres(pool).await?.execute(SQL, &[&key]).await?,
    };
    Ok(n > 0)
}

/// How many tickets are stored.
pub(crate) async fn count(db: &Db) -> Result<u64, DbError> {
    db.count_rows("workflow_tickets").await
}
