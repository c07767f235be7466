//! What both benchmarks share: the queries, the records and the text
//! comparisons of the hand-written baselines, so that the row and the
//! column benchmarks measure the same work.

#![allow(dead_code)] // each bench uses only part of it

use chrono::{DateTime, TimeZone, Utc};
use kfql::keyfactor::{self, WorkflowInstance};

pub const Q1: &str = r#"Status -eq "Running""#;
pub const Q2: &str = r#"Status -eq "Failed" AND StartDate -ge "2024-06-01""#;
pub const Q3: &str =
    r#"Title -contains "appsrvr1" OR InitiatingUserName -startswith "KEYEXAMPLE\\j""#;
pub const Q4: &str = r#"(Status -eq "Running" OR Status -eq "Suspended") AND ReferenceId -gt 500000 AND WorkflowType -ne "Revocation""#;

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 7, 1, 0, 0, 0).unwrap()
}

/// `sample(n, 2024-07-01, 42)` with reference ids spread over
/// 1..=1,000,000 whatever `n` is, so that Q4's `ReferenceId -gt 500000`
/// keeps about half at every size.
pub fn records(n: usize) -> Vec<WorkflowInstance> {
    let mut rs = keyfactor::sample(n, now(), 42);
    for (i, r) in rs.iter_mut().enumerate() {
        r.reference_id = (i as i64 * 1_000_000) / n as i64 + 1;
    }
    rs
}

/// `-contains` as the baselines spell it: ASCII folding, `to_lowercase`
/// otherwise (the needle is already lower-case).
pub fn contains_ci(hay: &str, needle: &str) -> bool {
    if hay.is_ascii() {
        hay.as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    } else {
        hay.to_lowercase().contains(needle)
    }
}

/// `-startswith`, likewise.
pub fn starts_ci(hay: &str, needle: &str) -> bool {
    if hay.is_ascii() {
        hay.len() >= needle.len()
            && hay.as_bytes()[..needle.len()].eq_ignore_ascii_case(needle.as_bytes())
    } else {
        hay.to_lowercase().starts_with(needle)
    }
}

/// `-eq`: trailing spaces ignored, then folded.
pub fn eq_ci(hay: &str, needle: &str) -> bool {
    let hay = hay.trim_end_matches(' ');
    if hay.is_ascii() {
        hay.eq_ignore_ascii_case(needle)
    } else {
        hay.to_lowercase() == needle
    }
}
