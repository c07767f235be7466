//! What both benchmarks share: the queries, the records and the text
//! comparisons of the hand-written baselines, so that the row and the
//! column benchmarks measure the same work.

#![allow(dead_code)] // each bench uses only part of it

use chrono::{DateTime, TimeZone, Utc};
use kfql::keyfactor::{self, Status, WorkflowInstance};

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

/// The hand-written baseline of Q1–Q4: what a careful engineer writes by
/// hand for the same semantics: case folding (ASCII fast path,
/// `to_lowercase` otherwise), trailing spaces ignored by equality, `-ge D`
/// from D 00:00 in the context's zone (UTC), null fields matching nothing,
/// WorkflowType read from Definition. `None` for any other query.
pub fn baseline(q: &str) -> Option<fn(&WorkflowInstance) -> bool> {
    Some(match q {
        Q1 => |r| r.status == Status::Running,
        Q2 => |r| r.status == Status::Failed && r.start_date.is_some_and(|d| d >= june()),
        Q3 => |r| {
            r.title
                .as_deref()
                .is_some_and(|t| contains_ci(t, "appsrvr1"))
                || r.initiating_user_name
                    .as_deref()
                    .is_some_and(|u| starts_ci(u, "keyexample\\j"))
        },
        Q4 => |r| {
            matches!(r.status, Status::Running | Status::Suspended)
                && r.reference_id > 500_000
                && r.effective_workflow_type()
                    .is_some_and(|t| !eq_ci(t, "revocation"))
        },
        _ => return None,
    })
}

fn june() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap()
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
