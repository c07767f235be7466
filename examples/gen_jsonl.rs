//! Write workflow instances as JSON Lines, for measuring `kfql query --data`
//! on large files.
//!
//! ```sh
//! cargo run --release --example gen_jsonl -- 1000000 /tmp/big.jsonl
//! ```
//!
//! Arguments: the number of records (default 1,000,000) and the output path
//! (default standard output). The records are `keyfactor::sample`'s with
//! seed 42, dated in the 60 days before 2024-07-01T00:00:00Z, so the file is
//! the same on every machine (about 700 bytes a record).

use std::error::Error;
use std::io::{BufWriter, Write};

use chrono::{TimeZone, Utc};
use kfql::keyfactor;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let count: usize = match args.next() {
        Some(n) => n
            .parse()
            .map_err(|e| format!("`{n}` is not a record count: {e}"))?,
        None => 1_000_000,
    };
    let out: Box<dyn Write> = match args.next() {
        Some(path) => Box::new(std::fs::File::create(&path).map_err(|e| format!("{path}: {e}"))?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let now = Utc.with_ymd_and_hms(2024, 7, 1, 0, 0, 0).unwrap();
    for record in keyfactor::sample(count, now, 42) {
        serde_json::to_writer(&mut out, &record)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
