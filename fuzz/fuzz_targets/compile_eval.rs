//! parse → compile against the workflow-instance schema → evaluate, sort
//! and page over a fixed set of records: no panic, every returned record
//! matches, the total is the number of matches, and the page is exactly
//! the slice of a full stable sort (so it is in sort order).
#![no_main]

use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
use kfql::keyfactor::{self, WorkflowInstance};
use kfql::{Direction, Context, Page, Sort};
use libfuzzer_sys::fuzz_target;

fn records() -> &'static [WorkflowInstance] {
    static RECORDS: OnceLock<Vec<WorkflowInstance>> = OnceLock::new();
    RECORDS.get_or_init(|| {
        let now = Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap();
        let mut rs = keyfactor::sample(150, now, 11);
        // Duplicate keys, so ties fall through to input order.
        let mut dup = rs[3].clone();
        dup.reference_id = rs[7].reference_id;
        rs.push(dup);
        rs
    })
}

fuzz_target!(|data: &[u8]| {
    // The first three bytes choose the sort field, direction and page.
    let [a, b, c, rest @ ..] = data else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let Ok(query) = kfql::parse(text) else { return };
    let schema = keyfactor::schema();
    let ctx = Context::new(Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap())
        .with_time_zone(chrono::FixedOffset::east_opt(i32::from(*c % 48) * 1800 - 12 * 3600).unwrap())
        .with_user(r"KEYEXAMPLE\jsmith");
    let Ok(filter) = query.compile(&schema, &ctx) else { return };
    let sortable: Vec<_> = schema.fields().iter().filter(|f| f.sortable()).collect();
    let field = sortable[usize::from(*a) % sortable.len()];
    let sort = Sort::new(&schema, field.name(), Direction::descending_if(b & 1 == 1)).expect("sortable field");
    let limit = u64::from(b >> 1) % 40 + 1;
    let number = u64::from(*c) % 8 + 1;
    let page = filter.page(records(), &sort, Page::new(number, limit).expect("valid page")).expect("sort and filter share a schema");

    let mut all: Vec<(usize, &WorkflowInstance)> =
        records().iter().enumerate().filter(|(_, r)| filter.matches(*r)).collect();
    assert_eq!(page.total, all.len() as u64);
    assert!(page.total >= page.records.len() as u64);
    for r in &page.records {
        assert!(filter.matches(*r));
    }
    all.sort_by(|x, y| sort.compare(x.1, y.1).then(x.0.cmp(&y.0)));
    let expected: Vec<&WorkflowInstance> =
        all.iter().skip(((number - 1) * limit) as usize).take(limit as usize).map(|(_, r)| *r).collect();
    assert_eq!(page.records, expected);
});
