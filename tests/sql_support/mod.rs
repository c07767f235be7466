//! Shared by the SQL tests: loading records into SQLite and PostgreSQL,
//! binding parameters, and starting a throw-away PostgreSQL server.
#![allow(dead_code)]

pub mod generate;
pub mod pg;
pub mod safety;

use kfql::keyfactor::{self, WorkflowInstance};
use kfql::sql::{self, Mapping, Param};
use kfql::{FieldType, FieldValue, Record};

/// The mapping the tests use: snake-case columns, the two fallback paths
/// in columns of their own, and a `seq` input-order column.
pub fn mapping() -> Mapping {
    Mapping::new(&keyfactor::schema(), "wi")
        .column("Definition.WorkflowType", "definition_workflow_type")
        .and_then(|m| m.column("Definition.Id", "definition_id_fallback"))
        .expect("the fallback paths exist")
        .input_order("seq")
}

/// One row for `mapping().columns()`: each column's stored value and the
/// field's type (None for `seq`). DefinitionId and WorkflowType hold the
/// record's own values, their fallback columns those of `Definition`, so
/// that the SQL's COALESCE is what decides, as the record does.
pub fn row(
    mapping: &Mapping,
    r: &WorkflowInstance,
    seq: usize,
) -> Vec<(Option<Param>, Option<FieldType>)> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (column, field) in mapping.columns() {
        let Some(field) = field else {
            out.push((Some(Param::Int(seq as i64)), None));
            continue;
        };
        let fallback = !seen.insert(field.index());
        let def = r.definition.as_ref();
        let value = match (field.name(), fallback) {
            ("DefinitionId", false) => r
                .definition_id
                .map_or(FieldValue::Null, |g| FieldValue::Guid(g.0)),
            ("DefinitionId", true) => def
                .and_then(|d| d.id)
                .map_or(FieldValue::Null, |g| FieldValue::Guid(g.0)),
            ("WorkflowType", false) => r
                .workflow_type
                .as_deref()
                .map_or(FieldValue::Null, FieldValue::Str),
            ("WorkflowType", true) => def
                .and_then(|d| d.workflow_type.as_deref())
                .map_or(FieldValue::Null, FieldValue::Str),
            _ => r.value(field),
        };
        let p = sql::stored(field, value).unwrap_or_else(|e| panic!("{column}: {e}"));
        out.push((p, Some(field.ty().clone())));
    }
    out
}

/// A parameter for rusqlite.
pub fn sqlite_value(p: Option<&Param>) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match p {
        None => Value::Null,
        Some(Param::Text(s)) => Value::Text(s.clone()),
        Some(Param::Int(n)) => Value::Integer(*n),
        Some(Param::Bool(b)) => Value::Integer(i64::from(*b)),
    }
}

/// A parameter for the postgres crate; a null takes its column's type.
pub fn pg_value(
    p: Option<&Param>,
    ty: Option<&FieldType>,
) -> Box<dyn postgres::types::ToSql + Sync> {
    match (p, ty) {
        (Some(Param::Text(s)), _) => Box::new(s.clone()),
        (Some(Param::Int(n)), _) => Box::new(*n),
        (Some(Param::Bool(b)), _) => Box::new(*b),
        (None, Some(FieldType::Integer)) | (None, None) => Box::new(None::<i64>),
        (None, Some(FieldType::Boolean)) => Box::new(None::<bool>),
        (None, _) => Box::new(None::<String>),
    }
}

/// A SQLite connection with kfql_fold registered and `records` loaded.
pub fn sqlite_with(records: &[WorkflowInstance]) -> rusqlite::Connection {
    use rusqlite::functions::FunctionFlags;
    let conn = rusqlite::Connection::open_in_memory().expect("in-memory SQLite");
    conn.create_scalar_function(
        sql::FOLD_FUNCTION,
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(ctx.get::<Option<String>>(0)?.map(|s| sql::fold(&s))),
    )
    .expect("register kfql_fold");
    let m = mapping();
    conn.execute(&m.create_table(&sql::Sqlite), [])
        .expect("create table");
    let insert = insert_sql(&m, &sql::Sqlite);
    let tx = conn.unchecked_transaction().expect("begin");
    {
        let mut stmt = tx.prepare(&insert).expect("prepare insert");
        for (i, r) in records.iter().enumerate() {
            let values: Vec<_> = row(&m, r, i)
                .iter()
                .map(|(p, _)| sqlite_value(p.as_ref()))
                .collect();
            stmt.execute(rusqlite::params_from_iter(values))
                .expect("insert");
        }
    }
    tx.commit().expect("commit");
    conn
}

/// `INSERT INTO table (columns…) VALUES (placeholders…)` for `mapping`.
pub fn insert_sql(m: &Mapping, d: &dyn sql::Dialect) -> String {
    let cols = m.columns();
    let names: Vec<String> = cols.iter().map(|(c, _)| d.quote_identifier(c)).collect();
    let marks: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, (_, f))| {
            let example = match f.map(|f| f.ty()) {
                None | Some(FieldType::Integer) => Param::Int(0),
                Some(FieldType::Boolean) => Param::Bool(false),
                Some(_) => Param::Text(String::new()),
            };
            d.placeholder(i + 1, &example)
        })
        .collect();
    format!(
        "INSERT INTO {} ({}) VALUES ({})",
        m.quoted_table(d),
        names.join(", "),
        marks.join(", ")
    )
}

/// Loads `records` into the PostgreSQL behind `client`, in a fresh table.
pub fn pg_load(client: &mut postgres::Client, records: &[WorkflowInstance]) {
    let m = mapping();
    client
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS {}; {}",
            m.quoted_table(&sql::Postgres),
            m.create_table(&sql::Postgres)
        ))
        .expect("create table");
    let insert = insert_sql(&m, &sql::Postgres);
    let mut tx = client.transaction().expect("begin");
    let stmt = tx.prepare(&insert).expect("prepare insert");
    for (i, r) in records.iter().enumerate() {
        let values: Vec<_> = row(&m, r, i)
            .iter()
            .map(|(p, ty)| pg_value(p.as_ref(), ty.as_ref()))
            .collect();
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            values.iter().map(|b| b.as_ref()).collect();
        tx.execute(&stmt, &refs).expect("insert");
    }
    tx.commit().expect("commit");
}

/// Run a statement's page and count on SQLite: the page's ids (the `id`
/// column) and the total, or the engine's error.
pub fn sqlite_page(
    conn: &rusqlite::Connection,
    stmt: &sql::Statement,
) -> Result<(Vec<String>, u64), String> {
    let bind = |ps: &[Param]| -> Vec<rusqlite::types::Value> {
        ps.iter().map(|p| sqlite_value(Some(p))).collect()
    };
    let mut q = conn
        .prepare(&stmt.select("\"id\""))
        .map_err(|e| e.to_string())?;
    let ids = q
        .query_map(rusqlite::params_from_iter(bind(stmt.params())), |r| {
            r.get(0)
        })
        .and_then(|rows| rows.collect::<Result<Vec<String>, _>>())
        .map_err(|e| e.to_string())?;
    let total: i64 = conn
        .query_row(
            &stmt.count(),
            rusqlite::params_from_iter(bind(stmt.condition_params())),
            |r| r.get(0),
        )
        .map_err(|e| e.to_string())?;
    Ok((ids, total as u64))
}

/// Run a statement's page and count on PostgreSQL: the page's ids (the
/// `id` column) and the total, or the server's error.
pub fn pg_page(
    client: &mut postgres::Client,
    stmt: &sql::Statement,
) -> Result<(Vec<String>, u64), String> {
    let bind = |ps: &[Param]| -> Vec<Box<dyn postgres::types::ToSql + Sync>> {
        ps.iter().map(|p| pg_value(Some(p), None)).collect()
    };
    let all = bind(stmt.params());
    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = all.iter().map(|b| b.as_ref()).collect();
    let ids = client
        .query(&stmt.select("\"id\""), &refs)
        .map_err(|e| format!("{e:?}"))?
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect();
    let cond = bind(stmt.condition_params());
    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = cond.iter().map(|b| b.as_ref()).collect();
    let total: i64 = client
        .query_one(&stmt.count(), &refs)
        .map_err(|e| format!("{e:?}"))?
        .get(0);
    Ok((ids, total as u64))
}
