use kfql::keyfactor::{self, WorkflowInstance};
use kfql::server::{self, Config};
use kfql::{Context, Limits, Page};

use crate::sql_support::generate::{COMMON, Gen, RUST_ONLY, Rng};
use crate::sql_support::pg;
use crate::{ME, Service, default_sort, expected, now, sample};

/// The same generated queries, sorts and pages through HTTP and through
/// memory: the same ids in the same order and the same total, or both an
/// error. Some go through /My, compared with memory over the caller's
/// records.
fn differential(s: &Service, g: &mut Gen, records: &[WorkflowInstance], cases: usize) {
    let schema = keyfactor::schema();
    let my_filter = kfql::compile(
        &format!("InitiatingUserName -eq {}", kfql::quote(ME)),
        &schema,
        &Context::new(now()),
    )
    .expect("compiles");
    let mine: Vec<WorkflowInstance> = records
        .iter()
        .filter(|r| my_filter.matches(*r))
        .cloned()
        .collect();
    let (mut ok, mut errors) = (0, 0);
    for case in 0..cases {
        let query = g.query(records);
        let sort = g.sort();
        let page = g.page();
        let my = case % 4 == 3;
        let over = if my { &mine[..] } else { records };
        let want = expected(over, &query, &sort, page, ME);
        let number = page.number().to_string();
        let limit = page.limit().to_string();
        let mut params = vec![
            ("QueryString", query.as_str()),
            ("PageReturned", number.as_str()),
            ("ReturnLimit", limit.as_str()),
            (
                "SortAscending",
                if sort.is_descending() { "1" } else { "0" },
            ),
        ];
        if case % 5 != 0 || sort.field().name() != "CurrentStepDisplayName" {
            params.push(("SortField", sort.field().name()));
        }
        let path = if my {
            "/Workflow/Instances/My"
        } else {
            "/Workflow/Instances"
        };
        let r = s.get(path, &params);
        match want {
            Ok((ids, total)) => {
                assert_eq!(r.status, 200, "{path} {params:?}: {:?}", r.json);
                assert_eq!(r.ids(), ids, "{path} {params:?}");
                assert_eq!(r.total, Some(total), "{path} {params:?}");
                ok += 1;
            }
            Err(e) => {
                let (_, message) = r.error(400);
                assert_eq!(message, e.description(), "{params:?}");
                errors += 1;
            }
        }
    }
    eprintln!("{ok} pages and {errors} errors compared");
    assert!(ok * 2 > cases, "too few queries compiled");
}

/// Records and queries from the SQL tests' generators, dated around now
/// (the server's clock decides `%TODAY%`). PostgreSQL's lower() differs
/// from kfql's folding on a few letters (see kfql::sql::Postgres), which
/// only the SQLite run gets.
fn generator(seed: u64, postgres: bool) -> Gen {
    let mut fragments = COMMON.to_vec();
    if !postgres {
        fragments.extend(RUST_ONLY);
    }
    Gen {
        rng: Rng(seed),
        fragments,
        now: now(),
    }
}

fn differential_config() -> Config {
    Config {
        max_return_limit: i64::MAX as u64,
        limits: Limits {
            max_depth: Limits::MAX_DEPTH,
            ..Limits::DEFAULT
        },
        ..Config::default()
    }
}

#[test]
fn http_matches_memory_on_sqlite() {
    let mut g = generator(11, false);
    let mut records = g.records(300);
    records.extend(keyfactor::sample(60, now(), 12));
    let s = Service::sqlite(differential_config(), records.clone());
    differential(&s, &mut g, &records, 400);
}

#[test]
fn http_matches_memory_on_postgres() {
    let Some(pg) = pg::server_or_skip("http_matches_memory_on_postgres") else {
        return;
    };
    let mut g = generator(13, true);
    let mut records = g.records(300);
    records.extend(keyfactor::sample(60, now(), 14));
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", pg.port);
    let s = Service::start(&url, differential_config(), records.clone());
    differential(&s, &mut g, &records, 400);
    drop(s);
}

/// A second server on the same PostgreSQL database: migrations run once,
/// the data is shared.
#[test]
fn postgres_routes_and_indexes() {
    let Some(pg) = pg::server_or_skip("postgres_routes_and_indexes") else {
        return;
    };
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", pg.port);
    let records = sample();
    let s = Service::start(&url, Config::default(), records.clone());
    let t = Service::start(&url, Config::default(), Vec::new());
    assert_eq!(t.stored(), 120);
    // A failed import leaves nothing behind on PostgreSQL too.
    let mut again = keyfactor::sample(3, now(), 99);
    again.push(records[0].clone());
    let failed = t.rt.block_on(server::keyfactor::import(&t.db, again));
    assert!(failed.is_err());
    assert_eq!(s.stored(), 120);
    let r = t.get(&format!("/Workflow/Instances/{}", records[9].id), &[]);
    assert_eq!(r.json["ReferenceId"], records[9].reference_id);
    let r = t.get(
        "/Workflow/Instances",
        &[("QueryString", "Status -eq \"Failed\"")],
    );
    let (ids, total) = expected(
        &records,
        "Status -eq \"Failed\"",
        &default_sort(),
        Page::default(),
        ME,
    )
    .unwrap();
    assert_eq!((r.ids(), r.total), (ids, Some(total)));
    // The plans use the indexes (the planner would scan a table this
    // small, so sequential scans are off for the question).
    let mut client = pg.connect().expect("connect");
    client
        .batch_execute("SET enable_seqscan = off")
        .expect("set");
    for (sort, index) in [
        (
            "lower(rtrim(current_step_display_name, ' ')) COLLATE \"C\" ASC NULLS FIRST, reference_id ASC NULLS FIRST, seq ASC",
            "workflow_instances_step",
        ),
        (
            "lower(rtrim(current_step_display_name, ' ')) COLLATE \"C\" DESC NULLS LAST, reference_id ASC NULLS FIRST, seq ASC",
            "workflow_instances_step_desc",
        ),
        (
            "start_date COLLATE \"C\" DESC NULLS LAST, reference_id ASC NULLS FIRST, seq ASC",
            "workflow_instances_start_desc",
        ),
        (
            "reference_id DESC NULLS LAST, reference_id ASC NULLS FIRST, seq ASC",
            "workflow_instances_reference_desc",
        ),
    ] {
        let plan: Vec<String> = client
            .query(
                &format!("EXPLAIN SELECT * FROM workflow_instances ORDER BY {sort} LIMIT 50"),
                &[],
            )
            .expect("explain")
            .iter()
            .map(|r| r.get(0))
            .collect();
        let plan = plan.join("\n");
        assert!(plan.contains(index), "{sort}:\n{plan}");
    }
    let plan: Vec<String> = client
        .query(
            "EXPLAIN SELECT * FROM workflow_instances WHERE status = $1::text",
            &[&"Failed"],
        )
        .expect("explain")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        plan.join("\n").contains("workflow_instances_status"),
        "{plan:?}"
    );
    drop((s, t));
}
