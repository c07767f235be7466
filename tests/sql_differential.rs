//! The SQL path against the in-memory path: generated records (nulls, case
//! variants, trailing spaces, `%`/`_`/quotes/backslashes, non-ASCII text,
//! boundary dates, duplicate keys) loaded into a real SQLite and a real
//! PostgreSQL; generated queries, sorts and pages run both ways; zero
//! differences allowed, in the ids and order of the page and in the total.

mod sql_support;

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use kfql::keyfactor::{self, Definition, STATUS_NAMES, Status, WorkflowInstance};
use kfql::sql::{self, Dialect, Param};
use kfql::{Context, Guid, Page, Sort};
use sql_support::{pg, pg_load, pg_value, safety, sqlite_value, sqlite_with};

/// SplitMix64: the same data on every run and platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

/// Text fragments every engine folds exactly as Rust does.
const COMMON: &[&str] = &[
    "enroll",
    "Enroll",
    "ENROLL",
    "appsrvr14",
    "AppSrvr1",
    "a%b",
    "50%",
    "a_b",
    "_",
    "%",
    "\\",
    r"KEYEXAMPLE\jsmith",
    "o'brien",
    "quo\"te",
    "''",
    "é",
    "É",
    "Straße",
    "STRASSE",
    "ẞ",
    "Ü",
    "ü",
    "Привет",
    "ПРИВЕТ",
    "日本",
    "😀",
    "\u{212A}",
    "ǅ",
    "Ǆ",
    "x",
    "X",
    "Failed",
    "AND",
    "\t",
    "-",
    ".",
    "ÀÉÎ",
    "àéî",
];

/// Fragments where PostgreSQL's lower() differs from Rust (final sigma,
/// dotted capital I): SQLite (with kfql_fold) only.
const RUST_ONLY: &[&str] = &["ΟΔΟΣ", "Σ", "ς", "σ", "İ", "İx"];

struct Gen {
    rng: Rng,
    fragments: Vec<&'static str>,
    now: DateTime<Utc>,
}

impl Gen {
    fn text(&mut self) -> String {
        let mut s = String::new();
        for _ in 0..self.rng.below(4) {
            let f = self.rng.pick(&self.fragments);
            s.push_str(f);
        }
        match self.rng.below(6) {
            0 => s = s.to_uppercase(),
            1 => s = s.to_lowercase(),
            _ => {}
        }
        if self.rng.chance(20) {
            s.insert(0, ' ');
        }
        for _ in 0..self.rng.below(3) {
            if self.rng.chance(50) {
                s.push(' ');
            }
        }
        s
    }

    fn opt_text(&mut self) -> Option<String> {
        (!self.rng.chance(15)).then(|| self.text())
    }

    fn instant(&mut self) -> DateTime<Utc> {
        let day = self.now - Duration::days(self.rng.below(8) as i64);
        let midnight = Utc
            .with_ymd_and_hms(
                chrono::Datelike::year(&day),
                chrono::Datelike::month(&day),
                chrono::Datelike::day(&day),
                0,
                0,
                0,
            )
            .single()
            .unwrap_or(day);
        let fixed = [
            "0001-01-01T00:00:00Z",
            "0001-01-01T00:00:00.000000001Z",
            "9999-12-31T23:59:59.999999999Z",
            "9999-12-31T00:00:00Z",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999999999Z",
            "2024-02-29T12:00:00.5Z",
        ];
        match self.rng.below(6) {
            0 => DateTime::parse_from_rfc3339(self.rng.pick(&fixed))
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(self.now),
            1 => midnight,
            2 => midnight - Duration::nanoseconds(1),
            3 => midnight + Duration::nanoseconds(1 + self.rng.below(1000) as i64),
            _ => midnight + Duration::nanoseconds((self.rng.next() % 86_400_000_000_000) as i64),
        }
    }

    fn guid(&mut self, pool: &[Guid]) -> Guid {
        if self.rng.chance(70) {
            self.rng.pick(pool)
        } else {
            Guid((u128::from(self.rng.next()) << 64) | u128::from(self.rng.next()))
        }
    }

    fn records(&mut self, n: usize) -> Vec<WorkflowInstance> {
        let pool = [Guid(0), Guid(u128::MAX), Guid(1 << 100), Guid(0xabc)];
        (0..n)
            .map(|i| {
                let definition = (!self.rng.chance(30)).then(|| Definition {
                    id: self.rng.chance(80).then(|| self.guid(&pool)),
                    display_name: self.opt_text(),
                    version: Some(1),
                    workflow_type: self.opt_text(),
                });
                let reference_id = match self.rng.below(10) {
                    0 => self.rng.pick(&[i64::MIN, i64::MAX, 0, -1, 1007]),
                    1 => 1000 + self.rng.below(20) as i64,
                    _ => 1000 + i as i64,
                };
                WorkflowInstance {
                    // Unique (the index in the high bits): the result's identity.
                    id: Guid((i as u128) << 96 | u128::from(self.rng.next())),
                    status: Status::ALL[self.rng.below(6)],
                    current_step_id: self.rng.chance(70).then(|| self.guid(&pool)),
                    status_message: self.opt_text(),
                    definition,
                    current_step_display_name: self.opt_text(),
                    current_step_unique_name: self.opt_text(),
                    title: self.opt_text(),
                    last_modified: self.rng.chance(80).then(|| self.instant()),
                    start_date: self.rng.chance(80).then(|| self.instant()),
                    reference_id,
                    definition_id: self.rng.chance(50).then(|| self.guid(&pool)),
                    initiating_user_name: self.opt_text(),
                    workflow_type: self.rng.chance(50).then(|| self.text()),
                }
            })
            .collect()
    }

    /// A value for a string field: new text, or a piece of a stored one
    /// in another case, or a token.
    fn string_value(&mut self, records: &[WorkflowInstance]) -> String {
        match self.rng.below(5) {
            0 => self.text(),
            1 => "%ME%".to_owned(),
            _ => {
                let r = &records[self.rng.below(records.len())];
                let s = [&r.title, &r.initiating_user_name, &r.workflow_type][self.rng.below(3)]
                    .clone()
                    .unwrap_or_default();
                let chars: Vec<char> = s.chars().collect();
                let a = self.rng.below(chars.len() + 1);
                let b = a + self.rng.below(chars.len() - a + 1);
                let mut piece: String = chars[a..b].iter().collect();
                if self.rng.chance(30) {
                    piece = piece.to_uppercase();
                }
                if self.rng.chance(20) {
                    piece.push(' ');
                }
                piece
            }
        }
    }

    fn date_value(&mut self) -> String {
        let t = self.instant();
        let zone = self.rng.pick(&[0, 19_800, -28_800, 3600]);
        let local = t.with_timezone(&FixedOffset::east_opt(zone).expect("a valid offset"));
        match self.rng.below(10) {
            0 => local.format("%Y-%m-%d").to_string(),
            1 => local.format("%-m/%-d/%Y").to_string(),
            2 => local.format("%Y-%m-%dT%H:%M:%S%.9f%:z").to_string(),
            3 => local.format("%Y-%m-%d %H:%M:%S%.9f1").to_string(),
            4 => local.format("%Y-%m-%dT%H:%M:%S").to_string(),
            5 => t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string(),
            6 => format!("%TODAY-{}%", self.rng.below(9)),
            7 => "%TODAY%".to_owned(),
            8 => (self
                .rng
                .pick(&["0001-01-01", "9999-12-31", "1970-01-01", "12/31/1969"]))
            .to_owned(),
            _ => local.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
        }
    }

    fn comparison(&mut self, records: &[WorkflowInstance]) -> String {
        let fields = [
            "Id",
            "Status",
            "Title",
            "LastModified",
            "StartDate",
            "ReferenceId",
            "DefinitionId",
            "InitiatingUserName",
            "WorkflowType",
        ];
        let field = self.rng.pick(&fields);
        if self.rng.chance(10) {
            let op = if self.rng.chance(50) { "-eq" } else { "-ne" };
            return format!("{field} {op} NULL");
        }
        let eq_ne = ["-eq", "-ne"];
        let ordered = ["-eq", "-ne", "-lt", "-le", "-gt", "-ge"];
        let text_ops = [
            "-eq",
            "-ne",
            "-contains",
            "-notcontains",
            "-startswith",
            "-endswith",
        ];
        let (op, value) = match field {
            "Id" | "DefinitionId" => {
                let r = &records[self.rng.below(records.len())];
                let g = if field == "Id" {
                    Some(r.id)
                } else {
                    r.effective_definition_id()
                };
                let g = g.unwrap_or(Guid(0)).to_string();
                let v = match self.rng.below(3) {
                    0 => format!("{{{}}}", g.to_uppercase()),
                    1 => g.replace('-', ""),
                    _ => g,
                };
                (self.rng.pick(&eq_ne), v)
            }
            "Status" => {
                let mut v = (self.rng.pick(&STATUS_NAMES)).to_owned();
                if self.rng.chance(30) {
                    v = v.to_uppercase();
                }
                if self.rng.chance(20) {
                    v.push_str("  ");
                }
                (self.rng.pick(&eq_ne), v)
            }
            "ReferenceId" => {
                let r = records[self.rng.below(records.len())].reference_id;
                let v = match self.rng.below(6) {
                    0 => i64::MAX.to_string(),
                    1 => i64::MIN.to_string(),
                    2 => format!("+{}", r.saturating_add(1)),
                    _ => r.to_string(),
                };
                (self.rng.pick(&ordered), v)
            }
            "LastModified" | "StartDate" => (self.rng.pick(&ordered), self.date_value()),
            _ => (self.rng.pick(&text_ops), self.string_value(records)),
        };
        format!("{field} {op} {}", kfql::quote(&value))
    }

    fn query(&mut self, records: &[WorkflowInstance]) -> String {
        if self.rng.chance(3) {
            return String::new();
        }
        let groups: Vec<String> = (0..1 + self.rng.below(3))
            .map(|_| {
                let parts: Vec<String> = (0..1 + self.rng.below(3))
                    .map(|_| self.comparison(records))
                    .collect();
                let joined = parts.join(if self.rng.chance(50) { " AND " } else { " OR " });
                if parts.len() > 1 {
                    format!("({joined})")
                } else {
                    joined
                }
            })
            .collect();
        groups.join(if self.rng.chance(50) { " AND " } else { " OR " })
    }

    fn sort(&mut self) -> Sort {
        let schema = keyfactor::schema();
        let sortable: Vec<&str> = schema
            .fields()
            .iter()
            .filter(|f| f.sortable())
            .map(|f| f.name())
            .collect();
        if self.rng.chance(10) {
            return Sort::default_for(&schema);
        }
        let name = self.rng.pick(&sortable);
        Sort::new(&schema, name, self.rng.chance(50)).unwrap_or_else(|_| Sort::default_for(&schema))
    }

    fn page(&mut self) -> Page {
        let max = i64::MAX as u64;
        let (n, l) = match self.rng.below(12) {
            0 => (1, max),
            1 => (max, max),
            2 => (2, max),
            3 => (max, 1),
            _ => (
                1 + self.rng.below(4) as u64,
                self.rng.pick(&[1, 2, 3, 7, 50, 1000]),
            ),
        };
        Page::new(n, l).unwrap_or_default()
    }
}

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
    for _ in 0..cases {
        let text = g.query(records);
        let zone = g.rng.pick(&[0, 19_800, -28_800]);
        let ctx = Context::new(g.now)
            .with_time_zone(FixedOffset::east_opt(zone).expect("a valid offset"))
            .with_user(g.text());
        let Ok(filter) = kfql::compile(&text, &schema, &ctx) else {
            continue;
        };
        let sort = g.sort();
        let page = g.page();
        let want = filter.page(records, &sort, page);
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
                sort.field(&schema).name(),
                sort.field(&schema).index(),
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
    // The generator must exercise the filter, not only the extremes.
    assert!(selective * 2 > compared, "too few selective queries");
    assert!(nonempty * 3 > compared, "too few non-empty pages");
    (compared, diffs)
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
    let mut engine = |stmt: &sql::Statement| -> Result<(Vec<String>, u64), String> {
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
    };
    let (compared, diffs) = differential(&sql::Sqlite, &mut g, &records, 1500, &mut engine);
    report("SQLite", compared, &diffs);
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
    let mut engine = |stmt: &sql::Statement| -> Result<(Vec<String>, u64), String> {
        let bind = |ps: &[Param]| -> Vec<Box<dyn postgres::types::ToSql + Sync>> {
            ps.iter().map(|p| pg_value(Some(p), None)).collect()
        };
        let all = bind(stmt.params());
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            all.iter().map(|b| b.as_ref()).collect();
        let ids = client
            .query(&stmt.select("\"id\""), &refs)
            .map_err(|e| format!("{e:?}"))?
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect();
        let cond = bind(stmt.condition_params());
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            cond.iter().map(|b| b.as_ref()).collect();
        let total: i64 = client
            .query_one(&stmt.count(), &refs)
            .map_err(|e| format!("{e:?}"))?
            .get(0);
        Ok((ids, total as u64))
    };
    let (compared, diffs) = differential(&sql::Postgres, &mut g, &records, 1500, &mut engine);
    report("PostgreSQL", compared, &diffs);
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
