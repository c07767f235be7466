//! Arbitrary bytes as a `--data` file (JSON array or JSON Lines): records
//! or an error, never a panic. And the fast path must agree with the
//! checked one: every line the borrowed scanner accepts is the record
//! serde_json + FromJson read from it, and `Scan` (parallel, small blocks)
//! gives the same page, total or error message as `read_records`.
//!
//! The same bytes as a Parquet file (feature `parquet`): a count and a
//! page, or an `invalid_record` error naming the file, on one thread and
//! on two with the same answer. The Parquet crate itself panics on some
//! corrupt files; kfql turns those panics into errors (tests/arrow_parquet.rs),
//! so a panic raised inside parquet or arrow sources is let through here,
//! and any other aborts as usual.
#![no_main]

use std::sync::{Once, OnceLock};

use chrono::{TimeZone, Utc};
use kfql::keyfactor::{self, InstanceRef, WorkflowInstance};
use kfql::{Direction, Context, Filter, FromJson, Page, Scan, Sort};
use libfuzzer_sys::fuzz_target;

fn filter() -> &'static Filter {
    static F: OnceLock<Filter> = OnceLock::new();
    F.get_or_init(|| {
        let now = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
        kfql::compile(r#"Status -ne "Complete" OR Title -contains "a""#, &keyfactor::schema(), &Context::new(now))
            .unwrap()
    })
}

/// Panics raised in the parquet and arrow crates' sources unwind to
/// kfql's handler; the rest go to libfuzzer's hook, which aborts.
fn let_upstream_panics_unwind() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let fuzzer = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let upstream = info.location().is_some_and(|l| {
                let f = l.file();
                f.contains("/parquet-") || f.contains("/arrow-")
            });
            if !upstream {
                fuzzer(info)
            }
        }));
    });
}

fn parquet(data: &[u8]) {
    use kfql::arrow::parquet::ParquetFile;
    let_upstream_panics_unwind();
    let named = |e: &kfql::Error| {
        assert_eq!(e.kind(), kfql::ErrorKind::InvalidRecord);
        assert!(e.message().starts_with("fuzz.parquet: "), "{}", e.message());
    };
    let file = match ParquetFile::from_bytes("fuzz.parquet", data.to_vec()) {
        Ok(f) => f,
        Err(e) => return named(&e),
    };
    let one = file.count(filter(), 1);
    let two = file.count(filter(), 2);
    match (&one, &two) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => {
            named(a);
            named(b);
        }
        // Which row group fails first may differ, not whether one does.
        (a, b) => panic!("one thread gave {a:?}, two gave {b:?}"),
    }
    let schema = keyfactor::schema();
    let sort = Sort::new(&schema, "StartDate", Direction::Descending).unwrap();
    match file.page(filter(), &sort, Page::new(1, 3).unwrap(), 2) {
        Ok(page) => {
            if let Ok(n) = one {
                assert_eq!(page.total, n);
            }
            assert!(page.records.len() <= 3);
        }
        Err(e) => named(&e),
    }
}

fuzz_target!(|data: &[u8]| {
    if data.starts_with(b"PAR1") || data.ends_with(b"PAR1") {
        parquet(data);
    }
    let mut records = Vec::new();
    let checked = kfql::read_records::<WorkflowInstance, _>(data, |r| records.push(r));
    match &checked {
        Ok(count) => assert_eq!(*count, records.len() as u64),
        Err(e) => {
            assert_eq!(e.kind(), kfql::ErrorKind::InvalidRecord);
            assert!(!e.message().is_empty());
        }
    }

    for line in data.split(|&b| b == b'\n') {
        if let Some(fast) = InstanceRef::from_line(line) {
            let value: serde_json::Value = serde_json::from_slice(line).expect("the scanner accepted invalid JSON");
            let slow = WorkflowInstance::from_value(&value).expect("the scanner accepted an invalid record");
            assert_eq!(fast.into_owned(), slow);
        }
    }

    let schema = keyfactor::schema();
    let sort = Sort::new(&schema, "StartDate", Direction::Descending).unwrap();
    let page = Page::new(1, 3).unwrap();
    let scanned = Scan::new().block_size(64).threads(2).page::<WorkflowInstance>(data, filter(), &sort, page);
    match (&checked, scanned) {
        (Ok(_), Ok(got)) => assert_eq!(got, filter().page(records.iter().cloned(), &sort, page).expect("sort and filter share a schema")),
        (Err(a), Err(b)) => assert_eq!(a.message(), b.message()),
        (a, b) => panic!("read_records gave {a:?}, Scan gave {b:?}"),
    }
});
