//! parse → compile → SQL (SQLite and PostgreSQL) for arbitrary queries,
//! sorts and pages: no panic, no error for a compiled query, the SQL text
//! holds only kfql's vocabulary and the mapping's identifiers (the
//! tests' own checker), and string values have no influence on the text
//! at all: replacing each with "x" gives the same SQL.
#![no_main]

#[path = "../../tests/sql_support/safety.rs"]
mod safety;

use chrono::{TimeZone, Utc};
use kfql::sql::{Dialect, Mapping, Postgres, Sqlite, Statement};
use kfql::syntax::ast::{Expr, Value};
use kfql::{Direction, Context, FieldType, Page, Sort, keyfactor};
use libfuzzer_sys::fuzz_target;

fn mapping() -> Mapping {
    Mapping::new(&keyfactor::schema(), "wi")
        .column("Definition.WorkflowType", "definition_workflow_type")
        .and_then(|m| m.column("Definition.Id", "definition_id_fallback"))
        .expect("the fallback paths exist")
        .input_order("seq")
}

/// The query with every string field's value (but those holding U+0000,
/// which compile to a constant) replaced by "x".
fn blank_strings(query: &kfql::Query) -> kfql::Query {
    let schema = keyfactor::schema();
    let mut q = query.clone();
    let mut stack: Vec<&mut Expr> = q.expr.iter_mut().collect();
    while let Some(e) = stack.pop() {
        match e {
            Expr::And(xs) | Expr::Or(xs) => stack.extend(xs.iter_mut()),
            Expr::Compare(c) => {
                let string = schema
                    .field(&c.field)
                    .is_some_and(|f| f.ty() == &FieldType::String);
                if let Value::Text(t) = &mut c.value
                    && string
                    && !t.contains('\0')
                {
                    *t = "x".to_owned();
                }
            }
        }
    }
    q
}

fuzz_target!(|data: &[u8]| {
    let [a, b, rest @ ..] = data else { return };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(query) = kfql::parse(text) else { return };
    let schema = keyfactor::schema();
    let ctx = Context::new(Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap())
        .with_user(r"KEYEXAMPLE\jsmith");
    let Ok(filter) = query.compile(&schema, &ctx) else {
        return;
    };
    let blank = blank_strings(&query)
        .compile(&schema, &ctx)
        .expect("the same query with plain string values compiles");
    let sortable: Vec<_> = schema.fields().iter().filter(|f| f.sortable()).collect();
    let field = sortable[usize::from(*a) % sortable.len()];
    let sort = Sort::new(&schema, field.name(), Direction::descending_if(b & 1 == 1)).expect("sortable field");
    let page = match b >> 1 {
        0 => Page::new(i64::MAX as u64, i64::MAX as u64),
        n => Page::new(u64::from(n % 8) + 1, u64::from(n) + 1),
    }
    .expect("a valid page");
    let m = mapping();
    for d in [&Sqlite as &dyn Dialect, &Postgres] {
        let stmt = Statement::new(&filter, &sort, page, &m, d).expect("SQL for a compiled query");
        let ids = safety::identifiers(&m, d);
        for sql in [stmt.select("*"), stmt.count()] {
            if let Err(e) = safety::check(&sql, &ids) {
                panic!("{e}\nquery: {text}\nSQL: {sql}");
            }
        }
        let plain = Statement::new(&blank, &sort, page, &m, d).expect("SQL for a compiled query");
        assert_eq!(
            stmt.select("*"),
            plain.select("*"),
            "string values changed the SQL text"
        );
        assert_eq!(stmt.params().len(), plain.params().len());
    }
});
