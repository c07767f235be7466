//! The harness behind BENCHMARKS.md's instruction counts: evaluate one
//! query over sample records, many times, so that `callgrind` attributes
//! the run to the evaluator rather than to setup.
//!
//! ```sh
//! cargo build --release --example profile_eval
//! valgrind --tool=callgrind target/release/examples/profile_eval \
//!     'Status -eq "Failed" AND StartDate -ge "2024-06-01"' 100000 10
//! ```
//!
//! Arguments: the query, the number of records (default 100,000), the
//! number of passes (default 10) and the evaluator: `filter`
//! (`Filter::count`, the default), `bound` (`Filter::bind` to
//! `WorkflowInstance`, then `Bound::count`), `slice` (`Bound::count_slice`)
//! or `closure` (the benchmarks' hand-written baseline; the query must be
//! one of Q1–Q4 of `benches/common`, spelled exactly). Prints the number of
//! matches per pass; divide the instructions of the counting function
//! (`count_matches`, `count_bound`, `count_slice`, `count_closure`) by
//! records × passes.

// The queries and the baselines the benchmarks use.
#[path = "../benches/common/mod.rs"]
mod common;

use std::error::Error;
use std::hint::black_box;

use kfql::{Context, keyfactor};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let query = args.next().unwrap_or_default();
    let count: usize = args.next().map_or(Ok(100_000), |n| n.parse())?;
    let passes: usize = args.next().map_or(Ok(10), |n| n.parse())?;
    let mode = args.next().unwrap_or_else(|| "filter".into());
    let now = common::now();
    // As the benchmarks' records: reference ids spread over 1..=1,000,000,
    // so that Q4's `ReferenceId -gt 500000` keeps about half at any size.
    let records = common::records(count.max(1));
    let filter = kfql::compile(&query, &keyfactor::schema(), &Context::new(now))?;
    let bound = filter.bind::<keyfactor::WorkflowInstance>()?;
    let mut matches = 0;
    for _ in 0..passes {
        matches = match mode.as_str() {
            "bound" => count_bound(&bound, black_box(&records)),
            "slice" => count_slice(&bound, black_box(&records)),
            "closure" => {
                let base = common::baseline(&query).ok_or("`closure` runs Q1–Q4 only")?;
                count_closure(base, black_box(&records))
            }
            "filter" => count_matches(&filter, black_box(&records)),
            other => {
                return Err(format!(
                    "unknown evaluator `{other}`: filter, bound, slice or closure"
                )
                .into());
            }
        };
    }
    println!("{matches} matches of {count} records");
    Ok(())
}

#[inline(never)]
fn count_matches(filter: &kfql::Filter, records: &[keyfactor::WorkflowInstance]) -> u64 {
    filter.count(records)
}

#[inline(never)]
fn count_bound(
    bound: &kfql::Bound<keyfactor::WorkflowInstance>,
    records: &[keyfactor::WorkflowInstance],
) -> u64 {
    bound.count(records)
}

/// The benchmarks' baseline, as they run it.
#[inline(never)]
fn count_closure(
    base: fn(&keyfactor::WorkflowInstance) -> bool,
    records: &[keyfactor::WorkflowInstance],
) -> u64 {
    records.iter().filter(|r| base(r)).count() as u64
}

#[inline(never)]
fn count_slice(
    bound: &kfql::Bound<keyfactor::WorkflowInstance>,
    records: &[keyfactor::WorkflowInstance],
) -> u64 {
    bound.count_slice(records)
}
