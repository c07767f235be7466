//! Evaluation allocates nothing per record, and paging keeps memory bounded
//! by page × limit, proven with a counting global allocator.
//!
//! One test function on purpose: the counters are process-wide, so nothing
//! else may run in this binary while they are read.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use chrono::{TimeZone, Utc};
use kfql::keyfactor::{self, WorkflowInstance};
use kfql::{Context, Direction, Page, Sort};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK.fetch_max(live, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const QUERIES: [&str; 7] = [
    r#"Status -eq "Running""#,
    r#"Status -eq "Failed" AND StartDate -ge "2024-06-01""#,
    r#"Title -contains "appsrvr1" OR InitiatingUserName -startswith "KEYEXAMPLE\\j""#,
    r#"(Status -eq "Running" OR Status -eq "Suspended") AND ReferenceId -gt 5000 AND WorkflowType -ne "Revocation""#,
    // Non-ASCII text on both sides takes the folding path.
    r#"InitiatingUserName -endswith "MÜLLER" OR Title -contains "ü" OR WorkflowType -eq "enrollment ""#,
    r#"Id -ne "{00000000-0000-0000-0000-000000000000}" AND DefinitionId -ne NULL AND LastModified -lt %TODAY%"#,
    "",
];

#[test]
fn evaluation_allocates_nothing_and_paging_memory_is_bounded_by_the_page() {
    let now = Utc.with_ymd_and_hms(2024, 7, 1, 0, 0, 0).unwrap();
    let records: Vec<WorkflowInstance> = keyfactor::sample(20_000, now, 9);
    let schema = keyfactor::schema();
    for q in QUERIES {
        let filter = kfql::compile(q, &schema, &Context::new(now)).expect("compiles");
        let warm = filter.count(&records); // grows the folding buffer once
        let before = ALLOCATIONS.load(Relaxed);
        let matched = filter.count(&records);
        let after = ALLOCATIONS.load(Relaxed);
        assert_eq!(matched, warm);
        assert!(matched > 0, "{q} matches nothing");
        assert_eq!(
            after - before,
            0,
            "{q}: {} allocations over {} records",
            after - before,
            records.len()
        );

        // Bound evaluation allocates per call (`count` gathers a chunk of
        // references, reused for every chunk; selections live on the
        // stack), never per record: the same few allocations for 20,000
        // records as for 1,000.
        let bound = filter.bind::<WorkflowInstance>().expect("same schema");
        let _ = bound.count(&records);
        let calls = |n: usize| {
            let before = ALLOCATIONS.load(Relaxed);
            let iter = bound.count(&records[..n]);
            let slice = bound.count_slice(&records[..n]);
            assert_eq!(iter, slice);
            assert_eq!(iter, filter.count(&records[..n]), "{q}");
            ALLOCATIONS.load(Relaxed) - before
        };
        let (small, large) = (calls(1_000), calls(records.len()));
        assert_eq!(small, large, "{q}: allocations grow with the records");
        assert!(large <= 16, "{q}: {large} allocations in two calls");
    }

    // Every record matches; a page of 50 must not hold them all.
    let records: Vec<WorkflowInstance> = keyfactor::sample(100_000, now, 9);
    let filter = kfql::compile("", &schema, &Context::new(now)).expect("compiles");
    let sort = Sort::new(&schema, "StartDate", Direction::Descending).expect("sortable");
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    let page = filter
        .page(&records, &sort, Page::new(1, 50).expect("page"))
        .expect("sort and filter share a schema");
    let grown = PEAK.load(Relaxed) - base;
    assert_eq!(page.total, records.len() as u64);
    assert_eq!(page.records.len(), 50);
    // The pager's buffer holds at most 2 × 50 + 1,024 entries, allocated
    // once, plus the page. An entry is a reference, a sequence number and
    // the cached sort key (two 24-byte parts): 64 bytes, about 72 KiB in
    // all, where a bare reference to every match would be 800 KB.
    let per_entry = 64;
    let bound = (2 * 50 + 1024) * per_entry + 50 * 8 + 4096;
    assert!(
        grown <= bound,
        "paging grew memory by {grown} bytes, more than {bound}"
    );
    let all_refs = records.len() * std::mem::size_of::<&WorkflowInstance>();
    assert!(
        grown * 10 < all_refs,
        "{grown} bytes is not bounded by the page"
    );
}
