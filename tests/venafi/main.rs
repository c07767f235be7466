//! Venafi workflow tickets (docs/LANGUAGE.md, “Workflow tickets”): request validation, the JSON types,
//! ticket records and their queries, and `kfql ticket create` /
//! `kfql query --schema workflow-tickets`.

// Runs the binary, which needs the `cli` feature.
#[cfg(feature = "cli")]
mod cli;
mod records;
mod validate;

use chrono::{DateTime, TimeZone, Utc};
use kfql::Context;
use kfql::venafi::{CreateRequest, InvalidRequest};

pub const GUID_A: &str = "{7b3e6b0a-1c1f-4f3e-9a53-2b1d0c4e5f60}";

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap()
}

pub fn ctx() -> Context {
    Context::new(now())
}

/// A valid request with `approvers` (JSON text) spliced in.
pub fn request_with(approvers: &str) -> String {
    format!(
        r#"{{"ObjectDN": "\\VED\\Policy\\Certificates\\web01.example.com",
            "WorkflowDN": "\\VED\\Policy\\Workflows\\Approval",
            "Approvers": {approvers}}}"#
    )
}

/// Parse `body`, checking on every call that the library's two entry
/// points agree and that every problem is well formed.
pub fn parse(body: &[u8]) -> Result<CreateRequest, InvalidRequest> {
    let parsed = CreateRequest::parse(body);
    if let Ok(text) = std::str::from_utf8(body) {
        let via_serde = serde_json::from_str::<CreateRequest>(text);
        match (&parsed, &via_serde) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            // Empty or malformed JSON is serde_json's own error; the rest
            // is the same description, with serde_json's position after it.
            (Err(a), Err(b)) => assert!(
                a.description().starts_with("the request body is ")
                    || b.to_string().starts_with(&a.description()),
                "serde: {b}\nparse: {a}"
            ),
            (a, b) => panic!("parse and serde disagree: {a:?} / {b:?}"),
        }
    }
    if let Err(e) = &parsed {
        assert!(!e.problems().is_empty());
        let body = e.body();
        assert_eq!(body.error, "invalid_request");
        assert_eq!(body.error_description, e.description());
        for p in e.problems() {
            assert!(!p.message.is_empty() && !p.message.contains('\n'), "{p}");
            assert!(!p.message.contains("; ") || p.message.contains('`'), "{p}");
        }
    }
    if let Ok(request) = &parsed {
        // A valid request stays valid through its own JSON.
        let again = serde_json::to_vec(request).expect("serializes");
        assert_eq!(CreateRequest::parse(&again).as_ref(), Ok(request));
        assert_eq!(request.validate(), Ok(()));
    }
    parsed
}

/// The problems of an invalid `body`, as `field: message` lines.
pub fn problems(body: &str) -> Vec<String> {
    match parse(body.as_bytes()) {
        Ok(r) => panic!("accepted {body}: {r:?}"),
        Err(e) => e.problems().iter().map(ToString::to_string).collect(),
    }
}

/// Asserts that `body` has exactly one problem, at `field`, whose message
/// contains every one of `parts`.
#[track_caller]
pub fn one_problem(body: &str, field: &str, parts: &[&str]) {
    let e = parse(body.as_bytes()).expect_err(body);
    assert_eq!(e.problems().len(), 1, "{body}: {e}");
    let p = &e.problems()[0];
    assert_eq!(p.field, field, "{body}: {e}");
    for part in parts {
        assert!(p.message.contains(part), "{body}: `{part}` not in {e}");
    }
}
