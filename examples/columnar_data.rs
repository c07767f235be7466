//! Write the columnar benchmark's records as a Parquet file, for the
//! DuckDB comparison and the CLI measurement (BENCHMARKS.md, “Columns”):
//!
//! ```sh
//! cargo run --release --features parquet --example columnar_data -- target/columnar-1000000.parquet 1000000
//! ```
//!
//! The records are benches/columnar.rs's: `keyfactor::sample(n,
//! 2024-07-01, 42)` with reference ids spread over 1..=1,000,000;
//! `kfql::arrow::parquet::write` dictionary-encodes Status, WorkflowType
//! and the other low-cardinality strings, 64Ki rows per row group.

use chrono::{TimeZone, Utc};
use kfql::keyfactor;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: columnar_data OUT.parquet [N]")?;
    let n: usize = args.next().map_or(Ok(1_000_000), |s| s.parse())?;
    let now = Utc.with_ymd_and_hms(2024, 7, 1, 0, 0, 0).unwrap();
    let mut rs = keyfactor::sample(n, now, 42);
    for (i, r) in rs.iter_mut().enumerate() {
        r.reference_id = (i as i64 * 1_000_000) / n as i64 + 1;
    }
    let out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    kfql::arrow::parquet::write(&rs, &keyfactor::schema(), out, 64 * 1024)?;
    eprintln!("wrote {n} records to {path}");
    Ok(())
}
