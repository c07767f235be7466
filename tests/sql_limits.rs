//! Queries at kfql's limits, run as SQL on a real SQLite and a real
//! PostgreSQL and compared with the in-memory evaluator: the longest
//! groups, the deepest nesting and the longest text that the default
//! [`Limits`] and a large configuration accept. Every engine limit these
//! reach (expression depth, parameters, statement length, `LIKE` pattern
//! length) is one the `sql` module documents; these tests show kfql stays
//! inside each, and measure how far inside.

mod sql_support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use kfql::keyfactor::{self, WorkflowInstance};
use kfql::sql::{self, Dialect, Statement};
use kfql::{Context, Direction, Filter, Limits, Page, Parser, Sort};
use rusqlite::limits::Limit;
use sql_support::generate::{COMMON, Gen, Rng};
use sql_support::{pg, pg_load, pg_page, sqlite_page, sqlite_with};

/// The configuration the large cases use: the depth cap, ten thousand
/// comparisons, and room for their text. `max_comparisons` and
/// `max_bytes` have no cap of their own; these are the values the `sql`
/// docs name when they say how the SQL grows with them.
const LARGE: Limits = Limits {
    max_bytes: 1 << 20,
    max_depth: Limits::MAX_DEPTH,
    max_comparisons: 10_000,
};

/// SQLite's default ceiling on expression depth; the SQL kfql writes must
/// stay far below it, so that an application that lowers it still runs
/// kfql's queries.
const SQLITE_MAX_EXPR_DEPTH: usize = 1000;

/// The deepest expression any case below may produce in SQLite.
const DEPTH_BUDGET: usize = 250;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 29, 22, 45, 12)
        .single()
        .unwrap_or_default()
        + Duration::nanoseconds(123_456_789)
}

fn ctx() -> Context {
    Context::new(now()).with_user(r"KEYEXAMPLE\jsmith")
}

fn records() -> Vec<WorkflowInstance> {
    let mut g = Gen {
        rng: Rng(13),
        fragments: COMMON.to_vec(),
        now: now(),
    };
    let mut records = g.records(300);
    records.extend(keyfactor::sample(100, now(), 13));
    // Names longer than the longest needles below, so that those match;
    // in a field the other cases leave alone, since folding 70 KB for
    // each of a thousand comparisons is slow.
    for (i, name) in [long_text("é"), long_text("%_"), long_text("É")]
        .into_iter()
        .enumerate()
    {
        records[i].initiating_user_name = Some(name);
    }
    records
}

/// `unit` repeated past 64 KiB, between other text.
fn long_text(unit: &str) -> String {
    format!("Head {} tail", unit.repeat(70_000 / unit.len()))
}

/// One query at a limit.
struct Case {
    name: &'static str,
    limits: Limits,
    text: String,
    /// The limits with the one this case sits at lowered by one, which
    /// must refuse the query: proof that it is at the limit, not below.
    one_less: Option<Limits>,
}

/// The `i`-th comparison of a mix that covers every kind of SQL kfql
/// writes (text equality, `LIKE`, integer and datetime ranges, GUIDs,
/// enums, nulls, `%ME%`, the two fallback columns). Under OR (`and`
/// false) each matches few records, under AND each excludes few, so that
/// long groups of them still match some records but not all.
fn comparison(i: usize, and: bool) -> String {
    let n = 1000 + (i * 7) % 400;
    let pair = format!(
        "{}{}",
        COMMON[i % COMMON.len()],
        COMMON[(i / COMMON.len() + 3 * i) % COMMON.len()]
    );
    let frag = kfql::quote(&pair);
    let day = 8 + i % 5;
    let ne = if and { "-ne" } else { "-eq" };
    match i % 12 {
        0 => format!("ReferenceId {ne} {n}"),
        1 if and => format!("Title -notcontains {frag}"),
        1 => format!("Title -contains {frag}"),
        2 if and => format!("WorkflowType -notcontains {frag}"),
        2 => format!("WorkflowType -startswith {frag}"),
        3 if and => format!("DefinitionId {ne} NULL"),
        3 => format!("Title -endswith {frag}"),
        4 => format!("StartDate {ne} \"%TODAY-{day}%\""),
        5 if and => "LastModified -ge \"0001-01-02\"".to_owned(),
        5 => "LastModified -lt \"0001-01-02\"".to_owned(),
        6 => format!("Status {ne} \"Failed\""),
        7 => format!("Title {ne} {frag}"),
        8 => format!("DefinitionId {ne} \"00000000-0000-0000-0000-000000000abc\""),
        9 => format!("WorkflowType {ne} %ME%"),
        10 if and => "ReferenceId -le 9000000000".to_owned(),
        10 => "ReferenceId -gt 9000000000".to_owned(),
        _ => format!("WorkflowType {ne} {frag}"),
    }
}

/// `count` comparisons of one operator, joined by `op`.
fn flat(count: usize, op: &str, each: impl Fn(usize) -> String) -> String {
    (0..count).map(each).collect::<Vec<_>>().join(op)
}

/// Nesting `depth` levels deep, AND and OR alternating, with `total`
/// comparisons spread over the levels; the nested group sits first,
/// last or in the middle of its level, by turns, since where it sits
/// changes how deep the SQL nests.
fn nested(depth: usize, total: usize) -> String {
    let levels = depth + 1;
    let mut next = 0;
    let mut inner = String::new();
    for level in (0..levels).rev() {
        let and = level % 2 == 1;
        let here = total / levels + usize::from(level < total % levels);
        let mut parts: Vec<String> = (0..here)
            .map(|_| {
                next += 1;
                comparison(next, and)
            })
            .collect();
        if !inner.is_empty() {
            let at = match level % 3 {
                0 => 0,
                1 => parts.len(),
                _ => parts.len() / 2,
            };
            parts.insert(at, format!("({inner})"));
        }
        inner = parts.join(if and { " AND " } else { " OR " });
    }
    inner
}

/// A query of exactly `bytes` bytes and `count` comparisons in one OR
/// group, the comparisons' values padded to fill the length.
fn longest(bytes: usize, count: usize) -> String {
    let base: Vec<String> = (0..count).map(|i| comparison(i, false)).collect();
    let used: usize = base.iter().map(String::len).sum::<usize>() + 4 * (count - 1);
    let mut spare = bytes - used;
    let mut out = Vec::with_capacity(count);
    for (i, c) in base.into_iter().enumerate() {
        // Pad the text comparisons' values (inside their quotes), which
        // lengthens the SQL's parameters but not its text.
        let share = spare / (count - i);
        if let Some(open) = c.find('"').filter(|_| c.starts_with("Title -contains")) {
            let pad = "x".repeat(share);
            out.push(format!("{}{pad}{}", &c[..=open], &c[open + 1..]));
            spare -= share;
        } else {
            out.push(c);
        }
    }
    let mut text = out.join(" OR ");
    // Whatever padding the spread could not place goes in front.
    text.insert_str(0, &" ".repeat(bytes - text.len()));
    text
}

fn cases() -> Vec<Case> {
    let d = Limits::DEFAULT;
    let n = d.max_comparisons;
    let fewer = Limits {
        max_comparisons: n - 1,
        ..d
    };
    let shallower = |l: Limits| Limits {
        max_depth: l.depth() - 1,
        ..l
    };
    let q = kfql::quote;
    let mut cases = vec![
        Case {
            name: "1,024 -eq in one OR group",
            limits: d,
            text: flat(n, " OR ", |i| format!("ReferenceId -eq {}", 1000 + i)),
            one_less: Some(fewer),
        },
        Case {
            name: "1,024 -ne in one AND group",
            limits: d,
            text: flat(n, " AND ", |i| format!("ReferenceId -ne {}", 1000 + 2 * i)),
            one_less: Some(fewer),
        },
        Case {
            name: "1,024 -contains in one OR group",
            limits: d,
            text: flat(n, " OR ", |i| {
                format!("Title -contains {}", q(COMMON[i % COMMON.len()]))
            }),
            one_less: Some(fewer),
        },
        Case {
            name: "1,024 -startswith in one OR group",
            limits: d,
            text: flat(n, " OR ", |i| {
                format!("WorkflowType -startswith {}", q(COMMON[i % COMMON.len()]))
            }),
            one_less: Some(fewer),
        },
        Case {
            name: "1,024 -notcontains in one AND group",
            limits: d,
            text: flat(n, " AND ", |i| {
                format!("Title -notcontains {}", q(COMMON[i % 8]))
            }),
            one_less: Some(fewer),
        },
        Case {
            name: "1,024 mixed comparisons in one OR group",
            limits: d,
            text: flat(n, " OR ", |i| comparison(i, false)),
            one_less: Some(fewer),
        },
        Case {
            name: "1,024 mixed comparisons in one AND group",
            limits: d,
            text: flat(n, " AND ", |i| comparison(i, true)),
            one_less: Some(fewer),
        },
        Case {
            name: "1,024 comparisons nested 64 deep",
            limits: d,
            text: nested(d.depth(), n),
            one_less: Some(shallower(d)),
        },
        Case {
            name: "64 KiB: 1,024 comparisons, values padded",
            limits: d,
            text: longest(d.max_bytes, n),
            one_less: Some(Limits {
                max_bytes: d.max_bytes - 1,
                ..d
            }),
        },
    ];
    // The longest needles 64 KiB allows, of letters and of `%` and `_`
    // (which double when escaped): LIKE patterns past SQLite's 50,000
    // bytes, with each text operator.
    for (name, op, unit, tail) in [
        ("64 KiB: one -contains of é", "-contains", "é", ""),
        ("64 KiB: one -notcontains of é", "-notcontains", "é", ""),
        ("64 KiB: one -startswith of É", "-startswith", "É", ""),
        (
            "64 KiB: one -endswith of % and _",
            "-endswith",
            "%_",
            " tail",
        ),
        ("64 KiB: one -contains of % and _", "-contains", "%_", ""),
    ] {
        let head = if op == "-startswith" { "head " } else { "" };
        let prefix = format!("InitiatingUserName {op} \"{head}\"");
        let room = d.max_bytes - prefix.len() - tail.len();
        let value = unit.repeat(room / unit.len());
        let pad = " ".repeat(d.max_bytes - prefix.len() - value.len() - tail.len());
        cases.push(Case {
            name,
            limits: d,
            text: format!("{pad}InitiatingUserName {op} \"{head}{value}{tail}\""),
            one_less: Some(Limits {
                max_bytes: d.max_bytes - 1,
                ..d
            }),
        });
    }
    let l = LARGE;
    let fewer = Limits {
        max_comparisons: l.max_comparisons - 1,
        ..l
    };
    cases.extend([
        Case {
            name: "large: 10,000 -eq in one OR group",
            limits: l,
            text: flat(l.max_comparisons, " OR ", |i| {
                format!("ReferenceId -eq {}", 1000 + i)
            }),
            one_less: Some(fewer),
        },
        Case {
            name: "large: 10,000 mixed comparisons in one AND group",
            limits: l,
            text: flat(l.max_comparisons, " AND ", |i| comparison(i, true)),
            one_less: Some(fewer),
        },
        Case {
            name: "large: nesting 1,024 deep, two comparisons a level",
            limits: l,
            text: nested(l.depth(), 2 * (l.depth() + 1)),
            one_less: Some(shallower(l)),
        },
        Case {
            name: "large: 10,000 comparisons nested 1,024 deep",
            limits: l,
            text: nested(l.depth(), l.max_comparisons),
            one_less: Some(shallower(l)),
        },
    ]);
    cases
}

/// One engine: the page's ids and the total for a statement.
type Run<'a> = dyn FnMut(&Statement) -> Result<(Vec<String>, u64), String> + 'a;

/// Runs every case through `dialect` and `run`, and through memory.
/// Returns one line per case (what it measured) and the failures.
fn check_all(
    dialect: &dyn Dialect,
    records: &[WorkflowInstance],
    run: &mut Run<'_>,
    mut measure: impl FnMut(&Statement) -> String,
) -> (Vec<String>, Vec<String>) {
    let schema = keyfactor::schema();
    let mapping = sql_support::mapping();
    let sort =
        Sort::new(&schema, "ReferenceId", Direction::Descending).unwrap_or_else(|e| panic!("{e}"));
    let (mut lines, mut failures) = (Vec::new(), Vec::new());
    for case in cases() {
        let started = std::time::Instant::now();
        eprintln!("{}: {}", dialect.name(), case.name);
        let parse = |l: Limits| Parser::new().limits(l).parse(&case.text);
        if let Some(less) = case.one_less {
            assert!(parse(less).is_err(), "{}: not at its limit", case.name);
        }
        let filter: Filter = parse(case.limits)
            .and_then(|q| q.compile(&schema, &ctx()))
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        // Planning a group of 10,000 terms takes SQLite seconds: one page
        // of the large cases is enough.
        let pages = if case.limits == LARGE { 1 } else { 2 };
        for page in [Page::new(1, 25), Page::new(3, 7)].into_iter().take(pages) {
            let page = page.unwrap_or_else(|e| panic!("{e}"));
            let want = filter
                .page(records, &sort, page)
                .expect("sort and filter share a schema");
            let want_ids: Vec<String> = want.records.iter().map(|r| r.id.to_string()).collect();
            let stmt = match Statement::new(&filter, &sort, page, &mapping, dialect) {
                Ok(s) => s,
                Err(e) => {
                    failures.push(format!("{}: no SQL: {e}", case.name));
                    break;
                }
            };
            match run(&stmt) {
                Ok((ids, total)) if ids == want_ids && total == want.total => {}
                Ok((ids, total)) => failures.push(format!(
                    "{}: memory {} {want_ids:?}, {} {total} {ids:?}",
                    case.name,
                    want.total,
                    dialect.name()
                )),
                Err(e) => failures.push(format!(
                    "{}: {} refuses it: {}",
                    case.name,
                    dialect.name(),
                    e.chars().take(300).collect::<String>()
                )),
            }
            if page.number() == 1 {
                lines.push(format!(
                    "{}: {} bytes, {} of {} match, {} parameters, {} bytes of SQL{} ({:.1} s)",
                    case.name,
                    case.text.len(),
                    want.total,
                    records.len(),
                    stmt.params().len(),
                    stmt.select("\"id\"").len(),
                    measure(&stmt),
                    started.elapsed().as_secs_f64(),
                ));
            }
        }
    }
    (lines, failures)
}

fn report(engine: &str, lines: &[String], failures: &[String]) {
    for l in lines {
        eprintln!("{engine}: {l}");
    }
    assert!(
        failures.is_empty(),
        "{engine}: {} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The smallest expression-depth limit, at most `ceiling`, under which
/// SQLite still prepares `condition`: its depth as SQLite counts it.
fn sqlite_depth(
    conn: &rusqlite::Connection,
    table: &str,
    condition: &str,
    ceiling: usize,
) -> Result<usize, String> {
    let set = |n: usize| {
        conn.set_limit(Limit::SQLITE_LIMIT_EXPR_DEPTH, n as i32)
            .map_err(|e| e.to_string())
    };
    let sql = format!("SELECT count(*) FROM {table} WHERE {condition}");
    let (mut lo, mut hi) = (1, ceiling);
    set(hi)?;
    let found = conn.prepare(&sql).map(|_| ()).map_err(|e| e.to_string());
    while found.is_ok() && lo < hi {
        let mid = (lo + hi) / 2;
        set(mid)?;
        if conn.prepare(&sql).is_ok() {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    set(SQLITE_MAX_EXPR_DEPTH)?;
    found.map(|()| lo)
}

/// Runs `body` on a thread with a 64 MiB stack. The in-memory evaluator
/// recurses once per nesting level, and at the depth cap of 1,024 a debug
/// build overflows the test harness's 2 MiB (the SQL side is iterative
/// and needs no such room).
fn on_big_stack(body: impl FnOnce() + Send + 'static) {
    let joined = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(body)
        .unwrap_or_else(|e| panic!("cannot start a thread: {e}"))
        .join();
    if let Err(panic) = joined {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn sqlite_runs_queries_at_kfql_limits() {
    on_big_stack(sqlite_cases);
}

#[test]
fn postgres_runs_queries_at_kfql_limits() {
    on_big_stack(postgres_cases);
}

fn sqlite_cases() {
    let records = records();
    let conn = sqlite_with(&records);
    let mut run = |stmt: &Statement| sqlite_page(&conn, stmt);
    let depth_conn = sqlite_with(&[]);
    let table = sql_support::mapping().quoted_table(&sql::Sqlite);
    let mut deepest = 0;
    let mut too_deep = Vec::new();
    let measure = |stmt: &Statement| {
        // SQLite takes seconds to prepare a statement with 20,000
        // numbered parameters (it looks each ?N up in a list), so the
        // large cases are only checked against the budget, not measured.
        let large = stmt.params().len() > 5_000;
        let ceiling = if large {
            DEPTH_BUDGET
        } else {
            SQLITE_MAX_EXPR_DEPTH
        };
        match sqlite_depth(&depth_conn, &table, stmt.condition(), ceiling) {
            Ok(_) if large => format!(", expression depth at most {DEPTH_BUDGET}"),
            Ok(d) => {
                deepest = deepest.max(d);
                format!(", expression depth {d}")
            }
            Err(e) => {
                too_deep.push(format!("{e}: {}", &stmt.condition()[..200]));
                format!(", expression depth over {ceiling}")
            }
        }
    };
    let (lines, failures) = check_all(&sql::Sqlite, &records, &mut run, measure);
    report("SQLite", &lines, &failures);
    assert!(too_deep.is_empty(), "over the depth budget: {too_deep:?}");
    assert!(
        (1..=DEPTH_BUDGET).contains(&deepest),
        "SQLite expression depth {deepest}, budget {DEPTH_BUDGET}"
    );
}

fn postgres_cases() {
    let Some(server) = pg::server_or_skip("postgres_runs_queries_at_kfql_limits") else {
        return;
    };
    let mut client = server.connect().unwrap_or_else(|e| panic!("{e}"));
    let records = records();
    pg_load(&mut client, &records);
    let mut run = |stmt: &Statement| pg_page(&mut client, stmt);
    let (lines, failures) = check_all(&sql::Postgres, &records, &mut run, |_| String::new());
    report("PostgreSQL", &lines, &failures);
}
