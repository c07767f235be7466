//! The `workflow_instances` table on both engines: writing records as
//! [`sql::stored`] converts them, reading them back, and running the page
//! and count statements that [`sql::Statement`] writes.
//!
//! The table (migrations `0001_instances`) holds the columns of
//! [`mapping`] plus three that only responses read: whether the record had
//! a `Definition`, and that object's `DisplayName` and `Version`.

use std::str::FromStr;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};

use super::super::{Db, DbError};
use crate::keyfactor::{self, Definition, STATUS_NAMES, Status, WorkflowInstance};
use crate::sql::{self, Mapping, Param};
use crate::{FieldValue, Guid, Page, Record, Sort};

/// Where each field lives: snake-case columns, the two fallback paths in
/// `def_id` and `def_workflow_type`, input order in `seq`.
pub(crate) fn mapping() -> &'static Mapping {
    static MAPPING: OnceLock<Mapping> = OnceLock::new();
    MAPPING.get_or_init(|| {
        Mapping::new(&keyfactor::schema(), "workflow_instances")
            .column("Definition.Id", "def_id")
            .and_then(|m| m.column("Definition.WorkflowType", "def_workflow_type"))
            .expect("both fallback paths are in the schema")
            .input_order("seq")
    })
}

/// The columns a response needs, in the order [`read`] takes them.
const COLUMNS: &str = "id, status, current_step_id, status_message, current_step_display_name, \
     current_step_unique_name, title, last_modified, start_date, reference_id, definition_id, \
     initiating_user_name, workflow_type, has_definition, def_id, def_display_name, def_version, \
     def_workflow_type";

/// One row as read, before its values are checked.
#[derive(Default)]
pub(crate) struct Row {
    pub(crate) text: [Option<String>; 15],
    pub(crate) reference_id: i64,
    pub(crate) has_definition: bool,
    pub(crate) def_version: Option<i64>,
}

// Positions in COLUMNS of the text columns, in `Row::text`.
const TEXT_AT: [usize; 15] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 14, 15, 17];

impl Row {
    fn from_sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
        let mut row = Row::default();
        for (slot, &at) in row.text.iter_mut().zip(&TEXT_AT) {
            *slot = r.get(at)?;
        }
        row.reference_id = r.get(9)?;
        row.has_definition = r.get(13)?;
        row.def_version = r.get(16)?;
        Ok(row)
    }

    fn from_postgres(r: &tokio_postgres::Row) -> Result<Row, tokio_postgres::Error> {
        let mut row = Row::default();
        for (slot, &at) in row.text.iter_mut().zip(&TEXT_AT) {
            *slot = r.try_get(at)?;
        }
        row.reference_id = r.try_get(9)?;
        row.has_definition = r.try_get(13)?;
        row.def_version = r.try_get(16)?;
        Ok(row)
    }

    /// The record, or an error naming a column kfql did not write.
    fn record(self) -> Result<WorkflowInstance, DbError> {
        let [
            id,
            status,
            current_step_id,
            status_message,
            current_step_display_name,
            current_step_unique_name,
            title,
            last_modified,
            start_date,
            definition_id,
            initiating_user_name,
            workflow_type,
            def_id,
            def_display_name,
            def_workflow_type,
        ] = self.text;
        let bad = |column: &str, message: String| DbError::Stored {
            column: column.to_owned(),
            message,
        };
        let guid = |column: &str, v: Option<String>| -> Result<Option<Guid>, DbError> {
            v.map(|s| Guid::from_str(&s).map_err(|e| bad(column, e.to_string())))
                .transpose()
        };
        let time = |column: &str, v: Option<String>| -> Result<Option<DateTime<Utc>>, DbError> {
            v.map(|s| {
                DateTime::parse_from_rfc3339(&s)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| bad(column, format!("`{s}`: {e}")))
            })
            .transpose()
        };
        let status = status.unwrap_or_default();
        let status = STATUS_NAMES
            .iter()
            .position(|n| *n == status)
            .map(|i| Status::ALL[i])
            .ok_or_else(|| bad("status", format!("`{status}` is not a status name")))?;
        let def_id = guid("def_id", def_id)?;
        Ok(WorkflowInstance {
            id: guid("id", id)?.ok_or_else(|| bad("id", "null".into()))?,
            status,
            current_step_id: guid("current_step_id", current_step_id)?,
            status_message,
            definition: self.has_definition.then_some(Definition {
                id: def_id,
                display_name: def_display_name,
                version: self.def_version,
                workflow_type: def_workflow_type,
            }),
            current_step_display_name,
            current_step_unique_name,
            title,
            last_modified: time("last_modified", last_modified)?,
            start_date: time("start_date", start_date)?,
            reference_id: self.reference_id,
            definition_id: guid("definition_id", definition_id)?,
            initiating_user_name,
            workflow_type,
        })
    }
}

/// The INSERT for one record, its columns in [`Mapping::columns`] order
/// (without `seq`, which the database assigns) and then the three extra
/// ones.
fn insert_sql(dialect: &dyn sql::Dialect) -> String {
    // A placeholder takes its type from an example value (PostgreSQL's
    // are typed: `$3::bigint`).
    let example = |ty: &crate::FieldType| match ty {
        crate::FieldType::Integer => Param::Int(0),
        crate::FieldType::Boolean => Param::Bool(false),
        _ => Param::Text(String::new()),
    };
    let mut columns: Vec<(String, Param)> = mapping()
        .columns()
        .into_iter()
        .filter_map(|(c, f)| Some((c.to_owned(), example(f?.ty()))))
        .collect();
    columns.extend([
        ("has_definition".to_owned(), Param::Bool(false)),
        ("def_display_name".to_owned(), Param::Text(String::new())),
        ("def_version".to_owned(), Param::Int(0)),
    ]);
    let names: Vec<String> = columns
        .iter()
        .map(|(c, _)| dialect.quote_identifier(c))
        .collect();
    let marks: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (_, p))| dialect.placeholder(i + 1, p))
        .collect();
    format!(
        "INSERT INTO {} ({}) VALUES ({})",
        mapping().quoted_table(dialect),
        names.join(", "),
        marks.join(", ")
    )
}

/// A value to bind: `None` is SQL null.
#[derive(Debug)]
enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
}

/// The values of `r` for [`insert_sql`]. DefinitionId and WorkflowType
/// hold the record's own values and the fallback columns those of
/// `Definition`, so that the SQL's COALESCE decides as the record does
/// and the record reads back as it came.
fn values(r: &WorkflowInstance) -> Result<Vec<Value>, crate::Error> {
    let m = mapping();
    let def = r.definition.as_ref();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (_, field) in m.columns() {
        let Some(field) = field else { continue };
        let fallback = !seen.insert(field.index());
        let value = match field.name() {
            "DefinitionId" => {
                let g = if fallback {
                    def.and_then(|d| d.id)
                } else {
                    r.definition_id
                };
                g.map_or(FieldValue::Null, |g| FieldValue::Guid(g.0))
            }
            "WorkflowType" => {
                let t = if fallback {
                    def.and_then(|d| d.workflow_type.as_deref())
                } else {
                    r.workflow_type.as_deref()
                };
                t.map_or(FieldValue::Null, FieldValue::Str)
            }
            _ => r.value(field),
        };
        out.push(match sql::stored(field, value)? {
            None if field.ty() == &crate::FieldType::Integer => Value::Int(None),
            None => Value::Text(None),
            Some(Param::Text(s)) => Value::Text(Some(s)),
            Some(Param::Int(n)) => Value::Int(Some(n)),
            Some(Param::Bool(b)) => Value::Bool(b),
        });
    }
    let display = def.and_then(|d| d.display_name.clone());
    if display.as_deref().is_some_and(|s| s.contains('\0')) {
        return Err(crate::Error::new(
            crate::ErrorKind::InvalidRecord,
            "`Definition.DisplayName` holds U+0000, which SQL text cannot hold",
        ));
    }
    out.push(Value::Bool(def.is_some()));
    out.push(Value::Text(display));
    out.push(Value::Int(def.and_then(|d| d.version)));
    Ok(out)
}

fn sqlite_value(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match v {
        Value::Text(Some(s)) => V::Text(s.clone()),
        Value::Int(Some(n)) => V::Integer(*n),
        Value::Bool(b) => V::Integer(i64::from(*b)),
        Value::Text(None) | Value::Int(None) => V::Null,
    }
}

fn sqlite_param(p: &Param) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match p {
        Param::Text(s) => V::Text(s.clone()),
        Param::Int(n) => V::Integer(*n),
        Param::Bool(b) => V::Integer(i64::from(*b)),
    }
}

type PgParam = Box<dyn tokio_postgres::types::ToSql + Sync + Send>;

fn pg_value(v: &Value) -> PgParam {
    match v {
        Value::Text(s) => Box::new(s.clone()),
        Value::Int(n) => Box::new(*n),
        Value::Bool(b) => Box::new(*b),
    }
}

fn pg_param(p: &Param) -> PgParam {
    match p {
        Param::Text(s) => Box::new(s.clone()),
        Param::Int(n) => Box::new(*n),
        Param::Bool(b) => Box::new(*b),
    }
}

fn pg_refs(ps: &[PgParam]) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
    ps.iter()
        .map(|p| p.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect()
}

/// Stores `records` in one transaction, in order; a record SQL cannot
/// hold is an error and stores nothing.
pub(crate) async fn insert(db: &Db, records: Vec<WorkflowInstance>) -> Result<usize, DbError> {
    let rows = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            values(r).map_err(|e| DbError::Stored {
                column: format!("record {} (ReferenceId {})", i + 1, r.reference_id),
                message: e.message().to_owned(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let n = rows.len();
    match db {
        Db::Sqlite(pool) => {
            Db::sqlite_write(pool, move |conn| {
                let tx = conn.transaction()?;
                {
                    let mut stmt = tx.prepare(&insert_sql(&sql::Sqlite))?;
                    for row in &rows {
                        stmt.execute(rusqlite::params_from_iter(row.iter().map(sqlite_value)))?;
                    }
                }
                tx.commit()?;
                conn.execute_batch(SQLITE_ANALYZE)?;
                Ok(n)
            })
            .await
        }
        Db::Postgres(pool) => {
            let mut conn = Db::postgres(pool).await?;
            let tx = conn.transaction().await?;
            let stmt = tx.prepare(&insert_sql(&sql::Postgres)).await?;
            for row in &rows {
                let values: Vec<PgParam> = row.iter().map(pg_value).collect();
                tx.execute(&stmt, &pg_refs(&values)).await?;
            }
            tx.commit().await?;
            // Autovacuum vacuums and analyzes in its own time; a page asked
            // for right after an import should not wait for it. VACUUM for
            // the visibility map: until it is set, a count that could read
            // an index alone visits every matching row's page as well (Q2
            // of BENCHMARKS.md: 11 ms a page for the minute or two before
            // autovacuum came, 1.5 ms after).
            conn.batch_execute("VACUUM (ANALYZE) workflow_instances")
                .await?;
            Ok(n)
        }
    }
}

/// Statistics for SQLite's planner after an import, which otherwise takes
/// any `status = ?` for a handful of rows and sorts every match instead
/// of walking the sort's index (measured: 32 ms against 0.5 ms for a page
/// of 50 over 100,000 instances). Without STAT4's samples, though: they
/// serve only a planner that looks at bound values, which the service's
/// connections turn off (`db::sqlite_connection`, QPSG), and with them
/// SQLite 3.54 sorted all of Q4's matches rather than walk the StartDate
/// index (BENCHMARKS.md). `ANALYZE sqlite_schema` has the connection read
/// the statistics again. Migration 0004 ends the same way.
pub(crate) const SQLITE_ANALYZE: &str =
    "ANALYZE workflow_instances; DELETE FROM sqlite_stat4; ANALYZE sqlite_schema;";

/// How many instances are stored.
pub(crate) async fn count(db: &Db) -> Result<u64, DbError> {
    db.count_rows("workflow_instances").await
}

/// The index of migration 0001 that walks `sort` in its order, tie-breaks
/// included.
fn sort_index(sort: &Sort) -> Option<&'static str> {
    let descending = sort.is_descending();
    Some(match (sort.sort_field()?.name(), descending) {
        ("CurrentStepDisplayName", false) => "workflow_instances_step",
        ("CurrentStepDisplayName", true) => "workflow_instances_step_desc",
        ("StartDate", false) => "workflow_instances_start",
        ("StartDate", true) => "workflow_instances_start_desc",
        ("LastModified", false) => "workflow_instances_modified",
        ("LastModified", true) => "workflow_instances_modified_desc",
        ("ReferenceId", false) => "workflow_instances_reference",
        ("ReferenceId", true) => "workflow_instances_reference_desc",
        _ => return None,
    })
}

/// One page and the total of `stmt`, which was built for `sort` and
/// `page`, read in one transaction so that the two agree even while an
/// import commits. On SQLite the total is remembered for as long as the
/// instances stay as they are (migration 0005), and the page may walk the
/// sort's index ([`sqlite_should_walk`]).
///
/// `shape` turns the page's records into what the caller wants of them
/// (the handler: the answer's JSON). On SQLite it runs on the blocking
/// thread that read the rows, while they are still in that core's cache,
/// and the records are freed there too. Decoding them on the async
/// worker instead cost a tenth of the pages a second, in the service and
/// in the direct runs alike, for the same instructions (BENCHMARKS.md,
/// change 11).
pub(crate) async fn page<T, F>(
    db: &Db,
    stmt: &sql::Statement,
    sort: &Sort,
    page: Page,
    shape: F,
) -> Result<(T, u64), DbError>
where
    T: Send + 'static,
    F: FnOnce(Vec<WorkflowInstance>) -> T + Send + 'static,
{
    let wanted = page.offset().saturating_add(page.limit());
    let select = stmt.select(COLUMNS);
    let count = stmt.count();
    // The SQL holds placeholders only, never a value: safe to log.
    tracing::debug!(target: "kfql::server::sql", %select, %count, "instances page");
    let (shaped, total) = match db {
        Db::Sqlite(pool) => {
            let params: Vec<_> = stmt.params().iter().map(sqlite_param).collect();
            let cparams: Vec<_> = stmt.condition_params().iter().map(sqlite_param).collect();
            let walk = sort_index(sort).map(|i| stmt.select_indexed_by(COLUMNS, i));
            let counts = pool.counts.clone();
            Db::sqlite_read(pool, move |conn| {
                let tx = conn.unchecked_transaction()?;
                // Migration 0005's number, as this transaction sees it: a
                // count remembered for it is this snapshot's count.
                let version: i64 = tx
                    .prepare_cached("SELECT n FROM kfql_instances_version")?
                    .query_row([], |r| r.get(0))?;
                let key = format!("{count}\0{cparams:?}");
                let remembered = counts
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(version, &key);
                let total = match remembered {
                    Some(total) => total,
                    None => {
                        let total: i64 = tx
                            .prepare_cached(&count)?
                            .query_row(rusqlite::params_from_iter(cparams), |r| r.get(0))?;
                        let total = u64::try_from(total).unwrap_or(0);
                        counts
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .put(version, key, total);
                        total
                    }
                };
                let rows = if total == 0 {
                    Vec::new()
                } else {
                    let select = match walk {
                        Some(walk) if sqlite_should_walk(&tx, &select, &params, total, wanted)? => {
                            walk
                        }
                        _ => select,
                    };
                    tx.prepare_cached(&select)?
                        .query_map(rusqlite::params_from_iter(params), Row::from_sqlite)?
                        .collect::<Result<Vec<_>, _>>()?
                };
                tx.commit()?;
                Ok((shape(records(rows)?), total))
            })
            .await?
        }
        Db::Postgres(pool) => {
            let mut conn = Db::postgres(pool).await?;
            let tx = conn
                .build_transaction()
                .read_only(true)
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .start()
                .await?;
            let params: Vec<PgParam> = stmt.params().iter().map(pg_param).collect();
            let cparams: Vec<PgParam> = stmt.condition_params().iter().map(pg_param).collect();
            // Prepared once per connection; the two queries go out
            // together (tokio-postgres pipelines them): one round trip.
            let (select, count) =
                tokio::try_join!(tx.prepare_cached(&select), tx.prepare_cached(&count))?;
            let (prefs, crefs) = (pg_refs(&params), pg_refs(&cparams));
            let (rows, total) =
                tokio::try_join!(tx.query(&select, &prefs), tx.query_one(&count, &crefs),)?;
            let rows = rows
                .iter()
                .map(Row::from_postgres)
                .collect::<Result<Vec<_>, _>>()?;
            let total: i64 = total.get(0);
            tx.commit().await?;
            (shape(records(rows)?), u64::try_from(total).unwrap_or(0))
        }
    };
    Ok((shaped, total))
}

fn records(rows: Vec<Row>) -> Result<Vec<WorkflowInstance>, DbError> {
    rows.into_iter().map(Row::record).collect()
}

/// Whether SQLite should walk the sort's index for a page of `select`
/// instead of following its own plan, now that the count says `total`
/// rows match and the page needs the first `wanted` of them.
///
/// SQLite's planner, when no index serves both the filter and the sort
/// (one status sorted by LastModified; with STAT4's samples, two statuses
/// sorted by StartDate too), fetches every match and sorts them, even for
/// a page of 50 out of thousands: 35 ms where walking the StartDate index
/// took 0.4 ms (BENCHMARKS.md's Q4 over 100,000 instances; SQLite 3.54). Walking
/// the sort's index reads about `wanted × rows / total` entries before
/// it has the page; the planner's sort reads at least `total`. So: walk
/// when the planner would sort (its plan for these `params` says so; a
/// plan that keeps the order, such as Status and StartDate from one
/// index, is left alone) and when the walk reads fewer rows than the
/// sort.
fn sqlite_should_walk(
    tx: &rusqlite::Transaction<'_>,
    select: &str,
    params: &[rusqlite::types::Value],
    total: u64,
    wanted: u64,
) -> rusqlite::Result<bool> {
    let mut explain = tx.prepare_cached(&format!("EXPLAIN QUERY PLAN {select}"))?;
    let sorts = explain
        .query_map(rusqlite::params_from_iter(params), |r| {
            r.get::<_, String>(3)
        })?
        .any(|d| d.is_ok_and(|d| d.contains("TEMP B-TREE FOR ORDER BY")));
    if !sorts {
        return Ok(false);
    }
    // The last rowid: the number of rows, or more after deletes.
    let rows: i64 = tx
        .prepare_cached("SELECT coalesce(max(seq), 0) FROM workflow_instances")?
        .query_row([], |r| r.get(0))?;
    let rows = u64::try_from(rows).unwrap_or(0);
    Ok(u128::from(wanted) * u128::from(rows) < u128::from(total) * u128::from(total))
}

/// The instance with this id, if stored.
pub(crate) async fn get(db: &Db, id: Guid) -> Result<Option<WorkflowInstance>, DbError> {
    let id = id.to_string();
    let row = match db {
        Db::Sqlite(pool) => {
            let select = format!("SELECT {COLUMNS} FROM workflow_instances WHERE id = ?1");
            Db::sqlite_read(pool, move |conn| {
                let mut stmt = conn.prepare(&select)?;
                let mut rows = stmt.query_map([id], Row::from_sqlite)?;
                Ok(rows.next().transpose()?)
            })
            .await?
        }
        Db::Postgres(pool) => {
            let select = format!("SELECT {COLUMNS} FROM workflow_instances WHERE id = $1::text");
            Db::postgres(pool)
                .await?
                .query_opt(&select, &[&id])
                .await?
                .map(|r| Row::from_postgres(&r))
                .transpose()?
        }
    };
    row.map(Row::record).transpose()
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
