//! Every stage on shared, seeded, realistic inputs, with a hand-written
//! baseline in the same group (STYLE habit 14). Each baseline is checked
//! to return the same records as kfql before anything is timed.
//!
//! `cargo bench --bench pipeline` runs it all; `KFQL_BENCH_RECORDS=10000`
//! (or any count) replaces the default sizes of 10,000 and 1,000,000.

mod common;

use std::cmp::Ordering;
use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use kfql::keyfactor::{self, Status, WorkflowInstance};
use kfql::{Context, Direction, Filter, Page, Sort};

use common::*;

fn ctx() -> Context {
    Context::new(now())
}

/// Q5: a 50-clause OR of `Id -eq "<guid>"`, GUIDs of real records.
fn q5(records: &[WorkflowInstance]) -> String {
    let step = (records.len() / 50).max(1);
    records
        .iter()
        .step_by(step)
        .take(50)
        .map(|r| format!("Id -eq \"{}\"", r.id))
        .collect::<Vec<_>>()
        .join(" OR ")
}

fn nested(depth: usize) -> String {
    let mut q = String::new();
    for i in 0..depth {
        q.push_str(if i % 2 == 0 {
            "(ReferenceId -eq 1 AND "
        } else {
            "(ReferenceId -eq 2 OR "
        });
    }
    q.push_str("Title -eq \"x\"");
    q.push_str(&")".repeat(depth));
    q
}

fn or_chain(n: usize) -> String {
    (0..n)
        .map(|i| format!("ReferenceId -eq {i}"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

fn sizes() -> Vec<usize> {
    match std::env::var("KFQL_BENCH_RECORDS") {
        Ok(n) => vec![n.parse().expect("KFQL_BENCH_RECORDS is a number")],
        Err(_) => vec![10_000, 1_000_000],
    }
}

/// SortField=StartDate, SortAscending=1: nulls last, ties by ReferenceId,
/// then input order (the sort is stable).
fn by_start_desc(a: &&WorkflowInstance, b: &&WorkflowInstance) -> Ordering {
    b.start_date
        .cmp(&a.start_date)
        .then(a.reference_id.cmp(&b.reference_id))
}

fn compile(q: &str) -> Filter {
    kfql::compile(q, &keyfactor::schema(), &ctx()).expect("the benchmark queries compile")
}

fn check_same(q: &str, filter: &Filter, records: &[WorkflowInstance]) {
    let base = baseline(q).expect("a baseline for each of Q1–Q4");
    let a: Vec<usize> = (0..records.len())
        .filter(|&i| filter.matches(&records[i]))
        .collect();
    let b: Vec<usize> = (0..records.len()).filter(|&i| base(&records[i])).collect();
    assert_eq!(a, b, "kfql and the baseline disagree on {q}");
    assert!(!a.is_empty(), "{q} matches nothing: a useless benchmark");
}

// ----------------------------------------------------------------- groups

fn parse(c: &mut Criterion) {
    let rs = records(1000);
    let q5 = q5(&rs);
    let deep = nested(64);
    let wide = or_chain(1000);
    let mut g = c.benchmark_group("parse");
    for (name, q) in [
        ("Q1", Q1),
        ("Q2", Q2),
        ("Q3", Q3),
        ("Q4", Q4),
        ("Q5", &q5),
        ("depth64", &deep),
        ("or1000", &wide),
    ] {
        g.throughput(criterion::Throughput::Bytes(q.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| kfql::parse(black_box(q)).expect("parses"))
        });
    }
    g.finish();
}

fn compile_group(c: &mut Criterion) {
    let rs = records(1000);
    let q5 = q5(&rs);
    let wide = or_chain(1000);
    let schema = keyfactor::schema();
    let ctx = ctx();
    let mut g = c.benchmark_group("compile");
    for (name, q) in [
        ("Q1", Q1),
        ("Q2", Q2),
        ("Q3", Q3),
        ("Q4", Q4),
        ("Q5", &q5),
        ("or1000", &wide),
    ] {
        let query = kfql::parse(q).expect("parses");
        g.bench_function(name, |b| {
            b.iter(|| black_box(&query).compile(&schema, &ctx).expect("compiles"))
        });
    }
    g.finish();
}

fn eval(c: &mut Criterion) {
    for n in sizes() {
        let rs = records(n);
        let json: Vec<serde_json::Value> = rs
            .iter()
            .map(|r| serde_json::to_value(r).expect("json"))
            .collect();
        let mut g = c.benchmark_group(format!("eval/{n}"));
        if n >= 100_000 {
            g.sample_size(10).measurement_time(Duration::from_secs(4));
        }
        for (name, q) in [("Q1", Q1), ("Q2", Q2), ("Q3", Q3), ("Q4", Q4)] {
            let filter = compile(q);
            check_same(q, &filter, &rs);
            let base = baseline(q).expect("a baseline for each of Q1–Q4");
            assert_eq!(
                filter.count(&json),
                filter.count(&rs),
                "JSON records agree with typed ones"
            );
            g.bench_function(BenchmarkId::new("kfql", name), |b| {
                b.iter(|| filter.count(black_box(&rs)))
            });
            g.bench_function(BenchmarkId::new("closure", name), |b| {
                b.iter(|| black_box(&rs).iter().filter(|r| base(r)).count())
            });
            g.bench_function(BenchmarkId::new("kfql_json", name), |b| {
                b.iter(|| filter.count(black_box(&json)))
            });
        }
        // A 1,000-comparison OR: time grows with the clauses a record is
        // tested against, linearly (compare with Q1, one clause).
        let wide = compile(&or_chain(1000));
        let expected = rs.iter().filter(|r| r.reference_id < 1000).count() as u64;
        assert_eq!(wide.count(&rs), expected);
        g.bench_function(BenchmarkId::new("kfql", "or1000"), |b| {
            b.iter(|| wide.count(black_box(&rs)))
        });
        g.finish();
    }
}

/// The same instances as a plain struct: only the fields Q1–Q4 read, the
/// workflow type already resolved, no `Definition` to fall back on.
#[derive(kfql::Record)]
#[kfql(name = "workflow instances", rename_all = "PascalCase")]
struct Plain {
    id: kfql::Guid,
    status: Status,
    title: Option<String>,
    start_date: Option<DateTime<Utc>>,
    #[kfql(key)]
    reference_id: i64,
    initiating_user_name: Option<String>,
    workflow_type: Option<String>,
}

/// Evaluation bound to the record type (`Filter::bind`), through an
/// iterator and over a slice, against the same closures and the row
/// evaluator, and Q4 over `WorkflowInstance` against the plain struct.
fn bound(c: &mut Criterion) {
    for n in sizes() {
        let rs = records(n);
        let plain: Vec<Plain> = rs
            .iter()
            .map(|r| Plain {
                id: r.id,
                status: r.status,
                title: r.title.clone(),
                start_date: r.start_date,
                reference_id: r.reference_id,
                initiating_user_name: r.initiating_user_name.clone(),
                workflow_type: r.effective_workflow_type().map(str::to_owned),
            })
            .collect();
        let plain_schema = <Plain as kfql::TypedRecord>::schema();
        let mut g = c.benchmark_group(format!("bound/{n}"));
        if n >= 100_000 {
            g.sample_size(10).measurement_time(Duration::from_secs(4));
        }
        for (name, q) in [("Q1", Q1), ("Q2", Q2), ("Q3", Q3), ("Q4", Q4)] {
            let filter = compile(q);
            let base = baseline(q).expect("a baseline for each of Q1–Q4");
            let want = rs.iter().filter(|r| base(r)).count() as u64;
            let bound = filter.bind::<WorkflowInstance>().expect("same schema");
            assert_eq!(bound.count(&rs), want, "Bound::count agrees on {q}");
            assert_eq!(
                bound.count_slice(&rs),
                want,
                "Bound::count_slice agrees on {q}"
            );
            g.bench_function(BenchmarkId::new("closure", name), |b| {
                b.iter(|| black_box(&rs).iter().filter(|r| base(r)).count())
            });
            g.bench_function(BenchmarkId::new("kfql", name), |b| {
                b.iter(|| filter.count(black_box(&rs)))
            });
            g.bench_function(BenchmarkId::new("bound", name), |b| {
                b.iter(|| bound.count(black_box(&rs)))
            });
            g.bench_function(BenchmarkId::new("slice", name), |b| {
                b.iter(|| bound.count_slice(black_box(&rs)))
            });
            if name == "Q4" {
                let on_plain = kfql::compile(q, &plain_schema, &ctx())
                    .and_then(|f| f.bind::<Plain>())
                    .expect("the plain struct has Q4's fields");
                assert_eq!(
                    on_plain.count_slice(&plain),
                    want,
                    "Q4 over the plain struct"
                );
                g.bench_function(BenchmarkId::new("slice_plain", name), |b| {
                    b.iter(|| on_plain.count_slice(black_box(&plain)))
                });
                // The same hand-written Q4 over the plain struct: what is
                // left between the two structs is their size in memory.
                let plain_q4 = |r: &&Plain| {
                    matches!(r.status, Status::Running | Status::Suspended)
                        && r.reference_id > 500_000
                        && r.workflow_type
                            .as_deref()
                            .is_some_and(|t| !eq_ci(t, "revocation"))
                };
                assert_eq!(plain.iter().filter(plain_q4).count() as u64, want);
                g.bench_function(BenchmarkId::new("closure_plain", name), |b| {
                    b.iter(|| black_box(&plain).iter().filter(plain_q4).count())
                });
            }
        }
        g.finish();
    }
}

fn page(c: &mut Criterion) {
    for n in sizes() {
        let rs = records(n);
        let schema = keyfactor::schema();
        let sort = Sort::new(&schema, "StartDate", Direction::Descending).expect("sortable");
        let mut g = c.benchmark_group(format!("page/{n}"));
        if n >= 100_000 {
            g.sample_size(10).measurement_time(Duration::from_secs(4));
        }
        // Q2 (few matches) and the empty query (every record matches).
        for (label, q) in [("Q2", Q2), ("all", "")] {
            let filter = compile(q);
            let base: fn(&WorkflowInstance) -> bool = if q.is_empty() {
                |_| true
            } else {
                baseline(q).expect("a baseline for Q2")
            };
            let total = filter.count(&rs);
            let last = total.div_ceil(50).max(1);
            let full_sort = |number: u64| {
                let mut m: Vec<&WorkflowInstance> = rs.iter().filter(|r| base(r)).collect();
                m.sort_by(by_start_desc);
                m.into_iter()
                    .skip(((number - 1) * 50) as usize)
                    .take(50)
                    .collect::<Vec<_>>()
            };
            for (name, number) in [("page1", 1), ("page3", 3), ("last", last)] {
                let p = Page::new(number, 50).expect("page");
                let got = filter
                    .page(&rs, &sort, p)
                    .expect("sort and filter share a schema");
                assert_eq!(got.total, total);
                assert_eq!(
                    got.records,
                    full_sort(number),
                    "{label} {name}: kfql and the full sort disagree"
                );
                g.bench_function(BenchmarkId::new(format!("kfql_{label}"), name), |b| {
                    b.iter(|| {
                        filter
                            .page(black_box(&rs), &sort, p)
                            .expect("sort and filter share a schema")
                    })
                });
                g.bench_function(BenchmarkId::new(format!("full_sort_{label}"), name), |b| {
                    b.iter(|| full_sort(black_box(number)))
                });
            }
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(2));
    targets = parse, compile_group, eval, bound, page
}
criterion_main!(benches);
