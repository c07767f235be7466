//! The columnar engine (feature `arrow`) on 1M workflow instances held as
//! Arrow record batches (Status and WorkflowType dictionary-encoded), in
//! one group per query with its two references: kfql's row evaluator
//! over the same records as structs, and the limit, a hand-written loop
//! over the same Arrow arrays with the same semantics (dictionary entries
//! folded once, then a loop over the keys). Each is checked to count the
//! same before anything is timed.
//!
//! `cargo bench --features arrow --bench columnar`; `KFQL_BENCH_RECORDS=N`
//! changes the size (default 1,000,000). DuckDB on the same data:
//! `benches/duckdb_columnar.py` (BENCHMARKS.md, “Columns”).

mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use kfql::arrow::arrow_array::builder::{
    FixedSizeBinaryBuilder, Int64Builder, StringBuilder, StringDictionaryBuilder,
    TimestampNanosecondBuilder,
};
use kfql::arrow::arrow_array::cast::AsArray;
use kfql::arrow::arrow_array::types::{Int32Type, Int64Type, TimestampNanosecondType};
use kfql::arrow::arrow_array::{Array, ArrayRef, RecordBatch};
use kfql::arrow::{ArrowFilter, ArrowPager};
use kfql::keyfactor::{self, WorkflowInstance};
use kfql::{Context, Direction, Filter, Page};

use common::*;

/// Rows per batch: what Parquet readers and Arrow producers commonly hand over.
const BATCH: usize = 64 * 1024;

fn size() -> usize {
    std::env::var("KFQL_BENCH_RECORDS").map_or(1_000_000, |n| n.parse().expect("a number"))
}

/// The records as batches: the queried columns, Status and WorkflowType
/// (resolved from Definition) dictionary-encoded.
fn batches(rs: &[WorkflowInstance]) -> Vec<RecordBatch> {
    rs.chunks(BATCH)
        .map(|chunk| {
            let mut id = FixedSizeBinaryBuilder::new(16);
            let mut status = StringDictionaryBuilder::<Int32Type>::new();
            let mut title = StringBuilder::new();
            let mut start = TimestampNanosecondBuilder::new();
            let mut refid = Int64Builder::new();
            let mut user = StringBuilder::new();
            let mut wtype = StringDictionaryBuilder::<Int32Type>::new();
            for r in chunk {
                id.append_value(r.id.0.to_be_bytes()).expect("16 bytes");
                status.append_value(r.status.name());
                title.append_option(r.title.as_deref());
                start.append_option(r.start_date.and_then(|t| t.timestamp_nanos_opt()));
                refid.append_value(r.reference_id);
                user.append_option(r.initiating_user_name.as_deref());
                wtype.append_option(r.effective_workflow_type());
            }
            RecordBatch::try_from_iter([
                ("Id", Arc::new(id.finish()) as ArrayRef),
                ("Status", Arc::new(status.finish()) as ArrayRef),
                ("Title", Arc::new(title.finish()) as ArrayRef),
                (
                    "StartDate",
                    Arc::new(start.finish().with_timezone("UTC")) as ArrayRef,
                ),
                ("ReferenceId", Arc::new(refid.finish()) as ArrayRef),
                ("InitiatingUserName", Arc::new(user.finish()) as ArrayRef),
                ("WorkflowType", Arc::new(wtype.finish()) as ArrayRef),
            ])
            .expect("a batch")
        })
        .collect()
}

// -------------------------------------------------- the limit: by hand
//
// The same semantics written for these arrays: texts folded (ASCII fast
// path, `to_lowercase` otherwise), trailing spaces ignored by equality,
// `-ge D` from D 00:00 UTC, nulls matching nothing; a dictionary column's
// entries tested once, then its keys looked up.

/// For each entry of a dictionary column, `f` of its text (false for a
/// null entry), and the keys.
fn entries<'a>(b: &'a RecordBatch, name: &str, f: impl Fn(&str) -> bool) -> (Vec<bool>, &'a [i32]) {
    let d = b
        .column_by_name(name)
        .expect("column")
        .as_dictionary::<Int32Type>();
    let v = d.values().as_string::<i32>();
    let table = (0..v.len())
        .map(|e| v.is_valid(e) && f(v.value(e)))
        .collect();
    (table, d.keys().values())
}

fn closure(q: &str, b: &RecordBatch) -> usize {
    let june = Utc
        .with_ymd_and_hms(2024, 6, 1, 0, 0, 0)
        .unwrap()
        .timestamp_nanos_opt()
        .unwrap();
    match q {
        Q1 => {
            let (t, k) = entries(b, "Status", |s| eq_ci(s, "running"));
            k.iter().filter(|&&k| t[k as usize]).count()
        }
        Q2 => {
            let (t, k) = entries(b, "Status", |s| eq_ci(s, "failed"));
            let s = b
                .column_by_name("StartDate")
                .expect("column")
                .as_primitive::<TimestampNanosecondType>();
            let (sv, sn) = (s.values(), s.nulls());
            (0..k.len())
                .filter(|&i| t[k[i] as usize] && sv[i] >= june && sn.is_none_or(|n| n.is_valid(i)))
                .count()
        }
        Q3 => {
            let t = b
                .column_by_name("Title")
                .expect("column")
                .as_string::<i32>();
            let u = b
                .column_by_name("InitiatingUserName")
                .expect("column")
                .as_string::<i32>();
            (0..t.len())
                .filter(|&i| {
                    (t.is_valid(i) && contains_ci(t.value(i), "appsrvr1"))
                        || (u.is_valid(i) && starts_ci(u.value(i), "keyexample\\j"))
                })
                .count()
        }
        Q4 => {
            let (t, k) = entries(b, "Status", |s| {
                eq_ci(s, "running") || eq_ci(s, "suspended")
            });
            let (w, wk) = entries(b, "WorkflowType", |s| !eq_ci(s, "revocation"));
            let wd = b.column_by_name("WorkflowType").expect("column");
            let r = b
                .column_by_name("ReferenceId")
                .expect("column")
                .as_primitive::<Int64Type>()
                .values();
            (0..k.len())
                .filter(|&i| {
                    t[k[i] as usize] && r[i] > 500_000 && w[wk[i] as usize] && wd.is_valid(i)
                })
                .count()
        }
        _ => unreachable!("Q1–Q4"),
    }
}

fn compile(q: &str) -> Filter {
    kfql::compile(q, &keyfactor::schema(), &Context::new(now())).expect("the queries compile")
}

fn count(bound: &ArrowFilter, bs: &[RecordBatch]) -> u64 {
    bs.iter().map(|b| bound.count(b).expect("bound")).sum()
}

fn eval(c: &mut Criterion) {
    let n = size();
    let rs = records(n);
    let bs = batches(&rs);
    let mut g = c.benchmark_group(format!("columnar/{n}"));
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    for (name, q) in [("Q1", Q1), ("Q2", Q2), ("Q3", Q3), ("Q4", Q4)] {
        let filter = compile(q);
        let bound = filter.bind_arrow(&bs[0].schema()).expect("the columns fit");
        let rows = filter.count(&rs);
        assert_eq!(count(&bound, &bs), rows, "{q}: columns and rows disagree");
        let by_hand: usize = bs.iter().map(|b| closure(q, b)).sum();
        assert_eq!(by_hand as u64, rows, "{q}: the hand-written loop disagrees");
        assert!(rows > 0, "{q} matches nothing");
        g.bench_function(BenchmarkId::new("kfql_arrow", name), |b| {
            b.iter(|| count(&bound, black_box(&bs)))
        });
        g.bench_function(BenchmarkId::new("kfql_rows", name), |b| {
            b.iter(|| filter.count(black_box(&rs)))
        });
        g.bench_function(BenchmarkId::new("columns_closure", name), |b| {
            b.iter(|| black_box(&bs).iter().map(|b| closure(q, b)).sum::<usize>())
        });
    }
    // Page 3 of 50 by StartDate descending over Q2's matches.
    let filter = compile(Q2);
    let bound = filter.bind_arrow(&bs[0].schema()).expect("the columns fit");
    let sort = filter
        .sort("StartDate", Direction::Descending)
        .expect("sortable");
    let page = Page::new(3, 50).expect("a page");
    let arrow_page = || {
        let mut p = ArrowPager::new(&bound, &sort, page).expect("bound");
        for b in &bs {
            p.push(b).expect("bound");
        }
        p.finish()
    };
    let got: Vec<i64> = arrow_page()
        .records
        .iter()
        .map(|r| r.to_json()["ReferenceId"].as_i64().expect("an id"))
        .collect();
    let want: Vec<i64> = filter
        .page(&rs, &sort, page)
        .expect("same schema")
        .records
        .iter()
        .map(|r| r.reference_id)
        .collect();
    assert_eq!(got, want, "the pages disagree");
    g.bench_function(BenchmarkId::new("kfql_arrow", "page3_Q2"), |b| {
        b.iter(|| black_box(arrow_page()))
    });
    g.bench_function(BenchmarkId::new("kfql_rows", "page3_Q2"), |b| {
        b.iter(|| {
            filter
                .page(black_box(&rs), &sort, page)
                .expect("same schema")
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = eval
}
criterion_main!(benches);
