//! The SQL path against the in-memory path: generated records (nulls, case
//! variants, trailing spaces, `%`/`_`/quotes/backslashes, non-ASCII text,
//! boundary dates, duplicate keys) loaded into a real SQLite and a real
//! PostgreSQL; generated queries, sorts and pages run both ways; zero
//! differences allowed, in the ids and order of the page and in the total.

mod sql_support;

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use kfql::keyfactor::{self, WorkflowInstance};
use kfql::sql::{self, Dialect, Param};
use kfql::{Context, Limits, Page, Parser, Sort};
use sql_support::generate::{COMMON, Gen, RUST_ONLY, Rng};
use sql_support::{pg, pg_load, pg_page, pg_value, safety, sqlite_page, sqlite_value, sqlite_with};

/// One engine: runs a statement, returns the page's ids and the total.
type Engine<'a> = dyn FnMut(&sql::Statement) -> Result<(Vec<String>, u64), String> + 'a;

/// Runs `cases` queries through `engine` and through memory; returns the
/// number of cases compared and the differences.
fn differential(
    dialect: &dyn Dialect,
    g: &mut Gen,
    records: &[WorkflowInstance],
    cases: usize,
    engine: &mut Engine<'_>,
) -> (usize, Vec<String>) {
    let schema = keyfactor::schema();
    let mapping = sql_support::mapping();
    let ids = safety::identifiers(&mapping, dialect);
    let mut diffs = Vec::new();
    let mut compared = 0;
    let (mut selective, mut nonempty) = (0, 0);
    let (mut long, mut chains) = (0, 0);
    for _ in 0..cases {
        let text = g.query(records);
        let zone = g.rng.pick(&[0, 19_800, -28_800]);
        let ctx = Context::new(g.now)
            .with_time_zone(FixedOffset::east_opt(zone).expect("a valid offset"))
            .with_user(g.text());
        // The depth cap rather than the default, for the generator's
        // deeply nested queries.
        let limits = Limits {
            max_depth: Limits::MAX_DEPTH,
            ..Limits::DEFAULT
        };
        let Ok(filter) = Parser::new()
            .limits(limits)
            .parse(&text)
            .and_then(|q| q.compile(&schema, &ctx))
        else {
            continue;
        };
        let sort = g.sort();
        let page = g.page();
        let want = filter
            .page(records, &sort, page)
            .expect("sort and filter share a schema");
        let want_ids: Vec<String> = want.records.iter().map(|r| r.id.to_string()).collect();
        let stmt = match sql::Statement::new(&filter, &sort, page, &mapping, dialect) {
            Ok(s) => s,
            Err(e) => {
                diffs.push(format!("{text}: no SQL: {e}"));
                continue;
            }
        };
        for q in [stmt.select("\"id\""), stmt.count()] {
            if let Err(e) = safety::check(&q, &ids) {
                diffs.push(format!("{text}: unsafe SQL ({e}): {q}"));
            }
        }
        compared += 1;
        if text.matches(" AND ").count() + text.matches(" OR ").count() >= 16 {
            long += 1;
        }
        if stmt.condition().contains("CASE WHEN") {
            chains += 1;
        }
        if want.total > 0 && want.total < records.len() as u64 {
            selective += 1;
        }
        if !want.records.is_empty() {
            nonempty += 1;
        }
        match engine(&stmt) {
            Ok((got_ids, total)) if got_ids == want_ids && total == want.total => {}
            Ok((got_ids, total)) => diffs.push(format!(
                "query {text:?} sort {:?}/{} desc={} page {:?}\n  tz {zone} user {:?}\n  memory: {} {:?}\n  {}: {} {:?}\n  SQL: {}",
                sort.field().name(),
                sort.field().index(),
                sort.is_descending(),
                page,
                ctx.user(),
                want.total,
                want_ids,
                dialect.name(),
                total,
                got_ids,
                stmt.select("\"id\"")
            )),
            Err(e) => diffs.push(format!("{text}: {} error: {e}\n  SQL: {}", dialect.name(), stmt.select("\"id\""))),
        }
    }
    eprintln!(
        "{}: {selective} of {compared} queries match some but not all records, {nonempty} return a non-empty page",
        dialect.name()
    );
    eprintln!(
        "{}: {long} queries with 17 or more comparisons, {chains} written as a CASE chain",
        dialect.name()
    );
    // The generator must exercise the filter, not only the extremes, and
    // the SQL's shapes for long groups and deep nesting.
    assert!(long * 50 > compared, "too few long groups");
    assert!(chains * 100 > compared, "too few CASE chains");
    assert!(selective * 2 > compared, "too few selective queries");
    assert!(nonempty * 3 > compared, "too few non-empty pages");
    (compared, diffs)
}

/// A dialect that takes `LIKE` patterns of at most four bytes, so that
/// nearly every `-contains`, `-startswith` and `-endswith` is written with
/// [`Dialect::position`] and [`Dialect::suffix`] instead: the form SQLite
/// needs for needles past its pattern limit, exercised here on every
/// generated needle, and PostgreSQL's versions of it, which it never
/// needs otherwise.
struct ShortLike<D>(D);

impl<D: Dialect> Dialect for ShortLike<D> {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn placeholder(&self, index: usize, param: &Param) -> String {
        self.0.placeholder(index, param)
    }
    fn fold(&self, expr: &str) -> String {
        self.0.fold(expr)
    }
    fn quote_identifier(&self, ident: &str) -> String {
        self.0.quote_identifier(ident)
    }
    fn trim_spaces(&self, expr: &str) -> String {
        self.0.trim_spaces(expr)
    }
    fn code_point_order(&self, expr: &str) -> String {
        self.0.code_point_order(expr)
    }
    fn like_escape_char(&self) -> char {
        self.0.like_escape_char()
    }
    fn like_escape_literal(&self) -> &'static str {
        self.0.like_escape_literal()
    }
    fn max_like_pattern(&self) -> Option<usize> {
        Some(4)
    }
    fn position(&self, haystack: &str, needle: &str) -> String {
        self.0.position(haystack, needle)
    }
    fn suffix(&self, expr: &str, count: &str) -> String {
        self.0.suffix(expr, count)
    }
    fn max_params(&self) -> usize {
        self.0.max_params()
    }
}

fn report(name: &str, compared: usize, diffs: &[String]) {
    eprintln!(
        "{name}: {compared} queries compared, {} differences",
        diffs.len()
    );
    assert!(compared > 0, "{name}: no query compiled");
    assert!(
        diffs.is_empty(),
        "{name}: {} of {compared} differ; the first:\n{}",
        diffs.len(),
        diffs
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 29, 22, 45, 12)
        .single()
        .unwrap_or_default()
        + Duration::nanoseconds(123_456_789)
}

fn generator(seed: u64, postgres_safe: bool) -> Gen {
    let mut fragments = COMMON.to_vec();
    if !postgres_safe {
        fragments.extend(RUST_ONLY);
    }
    Gen {
        rng: Rng(seed),
        fragments,
        now: now(),
    }
}

#[test]
fn sqlite_matches_memory() {
    let mut g = generator(1, false);
    let mut records = g.records(400);
    // The sample's realistic records too.
    records.extend(keyfactor::sample(100, now(), 5));
    let conn = sqlite_with(&records);
    let mut engine = |stmt: &sql::Statement| sqlite_page(&conn, stmt);
    let (compared, diffs) = differential(&sql::Sqlite, &mut g, &records, 1500, &mut engine);
    report("SQLite", compared, &diffs);
    let short = ShortLike(sql::Sqlite);
    let (compared, diffs) = differential(&short, &mut g, &records, 500, &mut engine);
    report("SQLite without LIKE", compared, &diffs);
}

#[test]
fn postgres_matches_memory() {
    let Some(server) = pg::server_or_skip("postgres_matches_memory") else {
        return;
    };
    let mut client = server.connect().unwrap_or_else(|e| panic!("{e}"));

    // The data stays within what lower() folds as Rust does; check that
    // first, so a server with another locale fails clearly.
    for f in COMMON {
        let folded: String = client
            .query_one("SELECT lower($1::text)", &[f])
            .map(|r| r.get(0))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(folded, sql::fold(f), "PostgreSQL's lower({f:?})");
    }

    let mut g = generator(2, true);
    let mut records = g.records(400);
    records.extend(keyfactor::sample(100, now(), 6));
    pg_load(&mut client, &records);
    let mut engine = |stmt: &sql::Statement| pg_page(&mut client, stmt);
    let (compared, diffs) = differential(&sql::Postgres, &mut g, &records, 1500, &mut engine);
    report("PostgreSQL", compared, &diffs);
    let short = ShortLike(sql::Postgres);
    let (compared, diffs) = differential(&short, &mut g, &records, 500, &mut engine);
    report("PostgreSQL without LIKE", compared, &diffs);
}

/// Where PostgreSQL's lower() differs from Rust's str::to_lowercase, as
/// the Postgres dialect documents: a final sigma and a dotted capital I.
/// The SQLite dialect, folding with kfql_fold, agrees with memory on both.
#[test]
fn postgres_lower_differs_where_documented() {
    let Some(server) = pg::server_or_skip("postgres_lower_differs_where_documented") else {
        return;
    };
    let mut client = server.connect().unwrap_or_else(|e| panic!("{e}"));
    let mut lower = |s: &str| -> String {
        client
            .query_one("SELECT lower($1::text)", &[&s])
            .map(|r| r.get(0))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(sql::fold("ΟΔΟΣ"), "οδος");
    assert_eq!(lower("ΟΔΟΣ"), "οδοσ");
    assert_eq!(sql::fold("İ"), "i\u{307}");
    assert_eq!(lower("İ"), "i");
    // Elsewhere they agree: a sigma inside a word, Latin, Cyrillic, Kelvin.
    for s in ["ΣΑ", "Straße ẞ", "ÀÉÎ", "ПРИВЕТ", "\u{212A}"] {
        assert_eq!(lower(s), sql::fold(s), "{s}");
    }

    // The same difference, seen through a query: memory and SQLite match
    // the record, PostgreSQL does not.
    let schema = keyfactor::schema();
    let mut records = keyfactor::sample(1, now(), 3);
    records[0].title = Some("ΟΔΟΣ".to_owned());
    let filter = kfql::compile(r#"Title -eq "οδος""#, &schema, &Context::new(now()))
        .unwrap_or_else(|e| panic!("{e}"));
    let sort = Sort::default_for(&schema);
    assert_eq!(filter.count(&records), 1);
    let mapping = sql_support::mapping();
    let count = |d: &dyn Dialect| {
        sql::Statement::new(&filter, &sort, Page::default(), &mapping, d)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let stmt = count(&sql::Sqlite);
    let conn = sqlite_with(&records);
    let params: Vec<_> = stmt
        .condition_params()
        .iter()
        .map(|p| sqlite_value(Some(p)))
        .collect();
    let n: i64 = conn
        .query_row(&stmt.count(), rusqlite::params_from_iter(params), |r| {
            r.get(0)
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n, 1, "SQLite with kfql_fold");
    pg_load(&mut client, &records);
    let stmt = count(&sql::Postgres);
    let params: Vec<_> = stmt
        .condition_params()
        .iter()
        .map(|p| pg_value(Some(p), None))
        .collect();
    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
        params.iter().map(|b| b.as_ref()).collect();
    let n: i64 = client
        .query_one(&stmt.count(), &refs)
        .map(|r| r.get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n, 0, "PostgreSQL's lower() keeps the final σ");
}
