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
//! or `closure-q4` (a hand-written Q4, the query argument aside). Prints the number of matches
//! per pass; divide the instructions of `count_matches` by records × passes.

use std::error::Error;
use std::hint::black_box;

use chrono::{TimeZone, Utc};
use kfql::{Context, keyfactor};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let query = args.next().unwrap_or_default();
    let count: usize = args.next().map_or(Ok(100_000), |n| n.parse())?;
    let passes: usize = args.next().map_or(Ok(10), |n| n.parse())?;
    let mode = args.next().unwrap_or_else(|| "filter".into());
    let now = Utc.with_ymd_and_hms(2024, 7, 1, 0, 0, 0).unwrap();
    let mut records = keyfactor::sample(count, now, 42);
    // As the benchmarks do: reference ids spread over 1..=1,000,000, so
    // that Q4's `ReferenceId -gt 500000` keeps about half at any size.
    for (i, r) in records.iter_mut().enumerate() {
        r.reference_id = (i as i64 * 1_000_000) / count.max(1) as i64 + 1;
    }
    let filter = kfql::compile(&query, &keyfactor::schema(), &Context::new(now))?;
    let bound = filter.bind::<keyfactor::WorkflowInstance>()?;
    let mut matches = 0;
    for _ in 0..passes {
        matches = match mode.as_str() {
            "bound" => count_bound(&bound, black_box(&records)),
            "slice" => count_slice(&bound, black_box(&records)),
            "closure-q4" => count_q4_closure(black_box(&records)),
            "filter" => count_matches(&filter, black_box(&records)),
            other => {
                return Err(format!(
                    "unknown evaluator `{other}`: filter, bound, slice or closure-q4"
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

/// BENCHMARKS.md's hand-written Q4 (whatever the query argument says).
#[inline(never)]
fn count_q4_closure(records: &[keyfactor::WorkflowInstance]) -> u64 {
    use keyfactor::Status;
    let revocation = |t: &str| {
        let t = t.trim_end_matches(' ');
        if t.is_ascii() {
            t.eq_ignore_ascii_case("revocation")
        } else {
            t.to_lowercase() == "revocation"
        }
    };
    records
        .iter()
        .filter(|r| {
            matches!(r.status, Status::Running | Status::Suspended)
                && r.reference_id > 500_000
                && r.effective_workflow_type().is_some_and(|t| !revocation(t))
        })
        .count() as u64
}

#[inline(never)]
fn count_slice(
    bound: &kfql::Bound<keyfactor::WorkflowInstance>,
    records: &[keyfactor::WorkflowInstance],
) -> u64 {
    bound.count_slice(records)
}
