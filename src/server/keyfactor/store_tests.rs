use chrono::TimeZone;

use super::*;
use crate::{Context, Direction, Page, Sort};

async fn db_with(records: Vec<WorkflowInstance>) -> Db {
    let db = Db::open("sqlite::memory:").await.expect("open");
    insert(&db, records).await.expect("insert");
    db
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap()
}

/// The migration's table has every column of the mapping's own
/// `CREATE TABLE`, with the same declared type.
#[tokio::test]
async fn the_migration_matches_the_mapping() {
    let db = db_with(Vec::new()).await;
    let Db::Sqlite(pool) = &db else {
        unreachable!()
    };
    let ddl = mapping()
        .create_table(&sql::Sqlite)
        .replace("\"workflow_instances\"", "mapping_check");
    let (want, got) = Db::sqlite_read(pool, move |conn| {
        conn.execute_batch(&ddl)?;
        let columns = |table: &str| -> rusqlite::Result<Vec<(String, String)>> {
            conn.prepare(&format!(
                "SELECT name, type FROM pragma_table_info('{table}')"
            ))?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect()
        };
        Ok((columns("mapping_check")?, columns("workflow_instances")?))
    })
    .await
    .unwrap();
    for (name, ty) in &want {
        let found = got.iter().find(|(n, _)| n == name);
        // seq is the rowid, INTEGER PRIMARY KEY, where the mapping says BIGINT.
        let ty = if name == "seq" { "INTEGER" } else { ty };
        assert_eq!(found.map(|(_, t)| t.as_str()), Some(ty), "{name}");
    }
}

/// Every record reads back as it was written: nulls, a Definition with
/// and without its members, fallback values, the sample's records.
#[tokio::test]
async fn records_read_back_unchanged() {
    let mut records = keyfactor::sample(40, now(), 3);
    records[0].definition = None;
    records[1].definition = Some(Definition::default());
    records[2].definition_id = None;
    records[2].workflow_type = None;
    records[3].title = None;
    records[3].last_modified = None;
    records[4].start_date = Some(Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap());
    let db = db_with(records.clone()).await;
    assert_eq!(count(&db).await.unwrap(), 40);
    let schema = keyfactor::schema();
    let filter = crate::compile("", &schema, &Context::new(now())).unwrap();
    let sort = Sort::new(&schema, "ReferenceId", Direction::Ascending).unwrap();
    let stmt = sql::Statement::new(
        &filter,
        &sort,
        Page::new(1, 100).unwrap(),
        mapping(),
        &sql::Sqlite,
    )
    .unwrap();
    let (mut got, total) = page(&db, &stmt, &sort, Page::new(1, 100).unwrap(), |r| r)
        .await
        .unwrap();
    assert_eq!(total, 40);
    let mut want = records.clone();
    want.sort_by_key(|r| r.reference_id);
    got.sort_by_key(|r| r.reference_id);
    assert_eq!(got, want);
    assert_eq!(
        get(&db, records[5].id).await.unwrap().as_ref(),
        Some(&records[5])
    );
    assert_eq!(get(&db, Guid(7)).await.unwrap(), None);
}

/// An import that fails stores nothing: a duplicate id, text SQL cannot
/// hold.
#[tokio::test]
async fn a_failed_import_stores_nothing() {
    let records = keyfactor::sample(5, now(), 4);
    let db = db_with(records.clone()).await;
    let mut again = keyfactor::sample(3, now(), 9);
    again.push(records[0].clone());
    assert!(insert(&db, again).await.is_err());
    let mut bad = keyfactor::sample(3, now(), 10);
    bad[2].title = Some("nul\0".into());
    assert!(insert(&db, bad).await.is_err());
    assert_eq!(count(&db).await.unwrap(), 5);
}

/// The generated SQL uses the migration's indexes: Status, the default
/// sort and the date sorts, the id.
#[tokio::test]
async fn queries_use_the_indexes() {
    let db = db_with(keyfactor::sample(200, now(), 5)).await;
    let Db::Sqlite(pool) = &db else {
        unreachable!()
    };
    let schema = keyfactor::schema();
    let ctx = Context::new(now()).with_user("CORP\\me");
    let cases = [
        ("Status -eq \"Failed\"", None, "workflow_instances_status"),
        ("", None, "workflow_instances_step"),
        (
            "",
            Some(("StartDate", Direction::Descending)),
            "workflow_instances_start_desc",
        ),
        (
            "",
            Some(("CurrentStepDisplayName", Direction::Descending)),
            "workflow_instances_step_desc",
        ),
        (
            "",
            Some(("LastModified", Direction::Ascending)),
            "workflow_instances_modified",
        ),
        (
            "",
            Some(("ReferenceId", Direction::Ascending)),
            "workflow_instances_reference",
        ),
        (
            "",
            Some(("ReferenceId", Direction::Descending)),
            "workflow_instances_reference_desc",
        ),
        (
            "InitiatingUserName -eq %ME%",
            None,
            "workflow_instances_user",
        ),
    ];
    for (query, sort, index) in cases {
        let filter = crate::compile(query, &schema, &ctx).unwrap();
        let shown = format!("{query:?} {sort:?}");
        let sort = match sort {
            None => Sort::default_for(&schema),
            Some((f, d)) => Sort::new(&schema, f, d).unwrap(),
        };
        let stmt = sql::Statement::new(
            &filter,
            &sort,
            Page::new(1, 50).unwrap(),
            mapping(),
            &sql::Sqlite,
        )
        .unwrap();
        let params: Vec<_> = stmt.params().iter().map(sqlite_param).collect();
        let select = format!("EXPLAIN QUERY PLAN {}", stmt.select(COLUMNS));
        let plan: Vec<String> = Db::sqlite_read(pool, move |conn| {
            Ok(conn
                .prepare(&select)?
                .query_map(rusqlite::params_from_iter(params), |r| r.get(3))?
                .collect::<Result<_, _>>()?)
        })
        .await
        .unwrap();
        let plan = plan.join("\n");
        assert!(plan.contains(index), "{shown}: {plan}");
    }
    let plan: String = Db::sqlite_read(pool, |conn| {
        Ok(conn.query_row(
            &format!("EXPLAIN QUERY PLAN SELECT {COLUMNS} FROM workflow_instances WHERE id = ?1"),
            ["x"],
            |r| r.get(3),
        )?)
    })
    .await
    .unwrap();
    assert!(plan.contains("workflow_instances_id"), "{plan}");
}

/// BENCHMARKS.md's Q4 counts its matches from one index alone
/// (migration 0004); a page whose SQLite plan sorts every match walks the
/// sort's index instead when the matches are dense, and every page is the
/// evaluator's. SQLite's planner weighs the table's statistics, so
/// the table is not a toy one.
#[tokio::test]
async fn q4_counts_from_one_index_and_dense_pages_walk_the_sort() {
    let records = keyfactor::sample(5000, now(), 5); // ReferenceId 1000..=5999
    let db = db_with(records.clone()).await;
    let Db::Sqlite(pool) = &db else {
        unreachable!()
    };
    let schema = keyfactor::schema();
    let ctx = Context::new(now());
    let q4 = |above: u32| {
        let q = format!(
            r#"(Status -eq "Running" OR Status -eq "Suspended") AND ReferenceId -gt {above} AND WorkflowType -ne "Revocation""#
        );
        crate::compile(&q, &schema, &ctx).unwrap()
    };
    let sort = Sort::new(&schema, "StartDate", Direction::Descending).unwrap();
    let statement = |filter: &crate::Filter, sort: &Sort, page: Page| {
        sql::Statement::new(filter, sort, page, mapping(), &sql::Sqlite).unwrap()
    };
    let dense = statement(&q4(3500), &sort, Page::new(1, 50).unwrap());
    let (count, cparams) = (dense.count(), dense.condition_params().to_vec());
    let plan: Vec<String> = Db::sqlite_read(pool, move |conn| {
        let params = cparams.iter().map(sqlite_param);
        Ok(conn
            .prepare(&format!("EXPLAIN QUERY PLAN {count}"))?
            .query_map(rusqlite::params_from_iter(params), |r| r.get(3))?
            .collect::<Result<_, _>>()?)
    })
    .await
    .unwrap();
    assert!(
        plan.join("\n")
            .contains("COVERING INDEX workflow_instances_reference_status_type"),
        "{plan:?}"
    );
    // SQLite's plan for one status sorted by LastModified (no index has
    // both) sorts every match: walk the sort's index when the matches are
    // dense, not when they are few; the pages are the evaluator's either
    // way. And Q4's pages, however SQLite plans them.
    let running = |above: u32| {
        let q = format!(r#"Status -eq "Running" AND ReferenceId -gt {above}"#);
        crate::compile(&q, &schema, &ctx).unwrap()
    };
    let modified = Sort::new(&schema, "LastModified", Direction::Descending).unwrap();
    for (filter, walks) in [(running(0), true), (running(5950), false)] {
        let stmt = statement(&filter, &modified, Page::new(1, 50).unwrap());
        let total = filter.count(&records);
        let select = stmt.select(COLUMNS);
        let params: Vec<_> = stmt.params().iter().map(sqlite_param).collect();
        let walk = Db::sqlite_read(pool, move |conn| {
            let tx = conn.unchecked_transaction()?;
            Ok(sqlite_should_walk(&tx, &select, &params, total, 50)?)
        })
        .await
        .unwrap();
        assert_eq!(walk, walks, "{total} matches");
    }
    for (filter, sort) in [(running(0), &modified), (q4(3500), &sort)] {
        for (number, limit, direction) in [
            (1, 50, Direction::Descending),
            (3, 50, Direction::Descending),
            (2, 7, Direction::Ascending),
            (400, 50, Direction::Descending),
        ] {
            let sort = sort.clone().with_direction(direction);
            let p = Page::new(number, limit).unwrap();
            let stmt = statement(&filter, &sort, p);
            let (got, total) = page(&db, &stmt, &sort, p, |r| r).await.unwrap();
            let want = filter.page(&records, &sort, p).unwrap();
            assert_eq!(total, want.total);
            let want: Vec<_> = want.records.into_iter().cloned().collect();
            assert_eq!(got, want, "page {number} of {limit}, {direction:?}");
        }
    }
}

/// A count is remembered between pages, and forgotten as soon as the
/// instances change, by an import or by any other SQL.
#[tokio::test]
async fn a_remembered_count_follows_every_change() {
    let records = keyfactor::sample(300, now(), 6);
    let db = db_with(records.clone()).await;
    let Db::Sqlite(pool) = &db else {
        unreachable!()
    };
    let schema = keyfactor::schema();
    let filter = crate::compile(r#"Status -eq "Failed""#, &schema, &Context::new(now())).unwrap();
    let sort = Sort::default_for(&schema);
    let p = Page::new(1, 5).unwrap();
    let stmt = sql::Statement::new(&filter, &sort, p, mapping(), &sql::Sqlite).unwrap();
    let total = || async { page(&db, &stmt, &sort, p, |r| r).await.unwrap().1 };
    let mut want = filter.count(&records);
    assert_eq!(total().await, want);
    assert_eq!(total().await, want, "remembered");
    // An import.
    let more = keyfactor::sample(200, now(), 7)
        .into_iter()
        .map(|mut r| {
            r.id = Guid(r.id.0 ^ 0xFFFF);
            r
        })
        .collect::<Vec<_>>();
    want += filter.count(&more);
    insert(&db, more).await.unwrap();
    assert_eq!(total().await, want);
    // Other SQL on the table, as another program would run it.
    for (sql, change) in [
        (
            "UPDATE workflow_instances SET status = 'Failed' WHERE seq = (SELECT min(seq) FROM workflow_instances WHERE status <> 'Failed')",
            1i64,
        ),
        ("DELETE FROM workflow_instances WHERE status = 'Failed'", 0),
    ] {
        Db::sqlite_write(pool, move |conn| Ok(conn.execute_batch(sql)?))
            .await
            .unwrap();
        want = if change == 0 { 0 } else { want + 1 };
        assert_eq!(total().await, want, "{sql}");
    }
}

/// Every index the page walk may name exists in the migrations, for each
/// sort field and direction (a wrong name would fail the page with
/// `no such index`).
#[tokio::test]
async fn the_walked_indexes_exist() {
    let db = db_with(Vec::new()).await;
    let Db::Sqlite(pool) = &db else {
        unreachable!()
    };
    let indexes: Vec<String> = Db::sqlite_read(pool, |conn| {
        Ok(conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index'")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?)
    })
    .await
    .unwrap();
    let schema = keyfactor::schema();
    let mut named = 0;
    for field in schema.fields() {
        for direction in [Direction::Ascending, Direction::Descending] {
            let Ok(sort) = Sort::new(&schema, field.name(), direction) else {
                continue;
            };
            if let Some(index) = sort_index(&sort) {
                named += 1;
                assert!(indexes.iter().any(|i| i == index), "{index}: {indexes:?}");
            }
        }
    }
    assert_eq!(named, 8);
}
