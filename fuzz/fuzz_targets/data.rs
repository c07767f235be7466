//! Arbitrary bytes as a `--data` file (JSON array or JSON Lines): records
//! or an error, never a panic. And the fast path must agree with the
//! checked one: every line the borrowed scanner accepts is the record
//! serde_json + FromJson read from it, and `Scan` (parallel, small blocks)
//! gives the same page, total or error message as `read_records`.
#![no_main]

use std::sync::OnceLock;

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

fuzz_target!(|data: &[u8]| {
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
