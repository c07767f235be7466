//! Workflow instances in SQLite, answered with a page of a QueryString.
//!
//! ```sh
//! cargo run --example sqlite_page --features sql -- \
//!     'Status -eq "Failed" AND StartDate -ge "%TODAY-30%"' StartDate desc 1 5
//! ```
//!
//! Arguments: QueryString, SortField, `asc`/`desc`, PageReturned,
//! ReturnLimit (all optional). The records are `keyfactor::sample`'s,
//! stored with `sql::stored` in a table from `Mapping::create_table`; the
//! query runs in SQLite, with kfql_fold registered for case folding.

use std::error::Error;

use chrono::{DateTime, Utc};
use kfql::sql::{self, Mapping, Param, Sqlite};
use kfql::{Context, Direction, Page, Record, Sort, keyfactor};
use rusqlite::{Connection, functions::FunctionFlags, params_from_iter, types::Value};

fn to_sqlite(p: Option<&Param>) -> Value {
    match p {
        None => Value::Null,
        Some(Param::Text(s)) => Value::Text(s.clone()),
        Some(Param::Int(n)) => Value::Integer(*n),
        Some(Param::Bool(b)) => Value::Integer(i64::from(*b)),
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    let now = DateTime::<Utc>::from(std::time::SystemTime::now());
    let schema = keyfactor::schema();
    let mapping = Mapping::new(&schema, "workflow_instances").input_order("seq");

    // The database: one table, kfql_fold registered on the connection.
    let conn = Connection::open_in_memory()?;
    conn.create_scalar_function(
        sql::FOLD_FUNCTION,
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(ctx.get::<Option<String>>(0)?.map(|s| sql::fold(&s))),
    )?;
    conn.execute(&mapping.create_table(&Sqlite), [])?;

    // Store each record: every mapped field's value as kfql stores it, and
    // its position for the input-order tie-break.
    let columns = mapping.columns();
    let names: Vec<String> = columns.iter().map(|(c, _)| format!("\"{c}\"")).collect();
    let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
    let insert = format!(
        "INSERT INTO workflow_instances ({}) VALUES ({})",
        names.join(", "),
        marks.join(", ")
    );
    let tx = conn.unchecked_transaction()?;
    for (seq, record) in keyfactor::sample(1200, now, 42).iter().enumerate() {
        let mut row = Vec::with_capacity(columns.len());
        for (_, field) in &columns {
            row.push(match field {
                Some(f) => to_sqlite(sql::stored(f, record.value(f))?.as_ref()),
                None => Value::Integer(i64::try_from(seq)?),
            });
        }
        tx.execute(&insert, params_from_iter(row))?;
    }
    tx.commit()?;

    // The request: QueryString, SortField, SortAscending, PageReturned,
    // ReturnLimit.
    let text = arg(0).unwrap_or(r#"Status -eq "Failed" AND StartDate -ge "%TODAY-30%""#);
    let ctx = Context::new(now).with_user(r"KEYEXAMPLE\jsmith");
    let filter = match kfql::compile(text, &schema, &ctx) {
        Ok(f) => f,
        Err(e) => {
            eprint!("{}", e.render());
            std::process::exit(2);
        }
    };
    let sort = match arg(1) {
        Some(name) => Sort::new(
            &schema,
            name,
            Direction::descending_if(arg(2) == Some("desc")),
        )?,
        None => Sort::default_for(&schema),
    };
    let page = Page::parse(arg(3), arg(4))?;

    let stmt = sql::Statement::new(&filter, &sort, page, &mapping, &Sqlite)?;
    let bind = |ps: &[Param]| -> Vec<Value> { ps.iter().map(|p| to_sqlite(Some(p))).collect() };
    let total: i64 = conn.query_row(
        &stmt.count(),
        params_from_iter(bind(stmt.condition_params())),
        |r| r.get(0),
    )?;
    let mut select = conn.prepare(&stmt.select("reference_id, status, start_date, title"))?;
    let rows = select.query_map(params_from_iter(bind(stmt.params())), |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;

    println!(
        "-- {}",
        stmt.select("reference_id, status, start_date, title")
    );
    println!("-- parameters: {:?}", stmt.params());
    for row in rows {
        let (id, status, start, title) = row?;
        let start = start.as_deref().unwrap_or("-");
        let title = title.as_deref().unwrap_or("-");
        println!("{id:>6}  {status:<18} {start:<30}  {title}");
    }
    println!(
        "page {} of {} per page: {} matches in all",
        page.number(),
        page.limit(),
        total
    );
    Ok(())
}
