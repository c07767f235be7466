//! docs/LANGUAGE.md, “Workflow instances”: reading workflow instances from JSON arrays and JSON Lines,
//! malformed records, unknown keys and duplicate keys.

use kfql::keyfactor::{Status, WorkflowInstance};
use kfql::{ErrorKind, Guid, read_records};
use serde_json::json;

use crate::common::*;

fn sample() -> Vec<serde_json::Value> {
    vec![
        rec(
            3,
            json!({"Status": "Failed", "Title": "enroll appsrvr14",
            "StartDate": "2024-05-20T08:00:00Z", "InitiatingUserName": r"KEYEXAMPLE\jsmith",
            "Definition": {"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "DisplayName": "Enroll",
                "Version": 2, "WorkflowType": "Enrollment"}}),
        ),
        rec(
            1,
            json!({"Status": "complete", "LastModified": "2024-05-20 08:00:00.5",
            "CurrentStepId": null, "StatusMessage": "done", "CurrentStepDisplayName": "Approve",
            "CurrentStepUniqueName": "approve", "DefinitionId": "{3F2504E0-4F89-11D3-9A0C-0305E82C3302}",
            "WorkflowType": "Revocation"}),
        ),
        rec(
            3,
            json!({"Status": "Running", "Unknown": [1, 2], "title": "ignored"}),
        ),
    ]
}

fn read(text: &str) -> Result<Vec<WorkflowInstance>, kfql::Error> {
    let mut out = Vec::new();
    let count = read_records(text.as_bytes(), |r| out.push(r))?;
    assert_eq!(count, out.len() as u64);
    Ok(out)
}

fn as_array(records: &[serde_json::Value]) -> String {
    serde_json::to_string_pretty(records).unwrap()
}

fn as_lines(records: &[serde_json::Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

#[test]
fn arrays_and_json_lines_give_the_same_records() {
    let records = sample();
    let expected: Vec<WorkflowInstance> = records.iter().map(typed).collect();
    assert_eq!(read(&as_array(&records)).unwrap(), expected);
    assert_eq!(read(&as_lines(&records)).unwrap(), expected);
    // Blank lines, CRLF and leading whitespace are fine; no final newline too.
    let crlf = format!(
        "\r\n  \n{}\r\n\r\n{}\r\n{}",
        records[0], records[1], records[2]
    );
    assert_eq!(read(&crlf).unwrap(), expected);
    assert_eq!(
        read(&format!("  \n\t{}", as_array(&records))).unwrap(),
        expected
    );
    for empty in ["", "  \n", "[]", " [ ] "] {
        assert_eq!(read(empty).unwrap(), [], "{empty:?}");
    }
    let first = &expected[0];
    assert_eq!(first.status, Status::Failed);
    assert_eq!(first.effective_workflow_type(), Some("Enrollment"));
    assert_eq!(expected[1].status, Status::Complete);
    let guid: Guid = "3f2504e0-4f89-11d3-9a0c-0305e82c3302".parse().unwrap();
    assert_eq!(expected[1].definition_id, Some(guid));
}

#[test]
fn unknown_keys_are_ignored_and_keys_are_case_sensitive() {
    let records = read(&as_lines(&sample())).unwrap();
    assert_eq!(records[2].title, None, "`title` is not `Title`");
    let value = &sample()[2];
    assert_eq!(matching("Title -eq NULL", std::slice::from_ref(value)), [3]);
    // A required key in the wrong case is missing.
    let err = read(
        r#"{"id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "Failed", "ReferenceId": 1}"#,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRecord);
    assert!(err.message().contains("`Id`"), "{}", err.message());
}

#[test]
fn duplicate_reference_ids_are_accepted() {
    let records = read(&as_array(&sample())).unwrap();
    assert_eq!(records.iter().filter(|r| r.reference_id == 3).count(), 2);
    assert_eq!(matching("ReferenceId -eq 3", &sample()), [3, 3]);
}

/// Each malformed record (as the second record) and the field its error
/// must name.
fn malformed() -> Vec<(serde_json::Value, &'static str)> {
    let missing = |key: &str| {
        let mut r = rec(7, json!({}));
        r.as_object_mut().unwrap().remove(key);
        r
    };
    vec![
        (missing("Id"), "Id"),
        (missing("Status"), "Status"),
        (missing("ReferenceId"), "ReferenceId"),
        (rec(7, json!({"Id": null})), "Id"),
        (rec(7, json!({"Status": null})), "Status"),
        (rec(7, json!({"ReferenceId": null})), "ReferenceId"),
        (rec(7, json!({"Title": 5})), "Title"),
        (
            rec(7, json!({"InitiatingUserName": ["x"]})),
            "InitiatingUserName",
        ),
        (rec(7, json!({"ReferenceId": "7"})), "ReferenceId"),
        (rec(7, json!({"ReferenceId": 7.5})), "ReferenceId"),
        (
            rec(7, json!({"ReferenceId": 9223372036854775808u64})),
            "ReferenceId",
        ),
        (rec(7, json!({"ReferenceId": -9.3e18})), "ReferenceId"),
        (rec(7, json!({"Id": "not-a-guid"})), "Id"),
        (rec(7, json!({"Id": 5})), "Id"),
        (
            rec(
                7,
                json!({"CurrentStepId": "{3f2504e0-4f89-11d3-9a0c-0305e82c3301"}),
            ),
            "CurrentStepId",
        ),
        (rec(7, json!({"DefinitionId": "3f2504e0"})), "DefinitionId"),
        (rec(7, json!({"StartDate": "yesterday"})), "StartDate"),
        (
            rec(7, json!({"StartDate": "2024-06-01T24:00:00Z"})),
            "StartDate",
        ),
        (rec(7, json!({"LastModified": 1717236000})), "LastModified"),
        (
            rec(
                7,
                json!({"LastModified": "2024-06-01T10:00:00.0000000001Z"}),
            ),
            "LastModified",
        ),
        (rec(7, json!({"Status": "Done"})), "Status"),
        (rec(7, json!({"Status": 2})), "Status"),
        (rec(7, json!({"Definition": "Enroll"})), "Definition"),
        (rec(7, json!({"Definition": {"Id": "x"}})), "Definition.Id"),
        (
            rec(7, json!({"Definition": {"Version": "2"}})),
            "Definition.Version",
        ),
        (
            rec(7, json!({"Definition": {"WorkflowType": 1}})),
            "Definition.WorkflowType",
        ),
    ]
}

#[test]
fn malformed_records_name_the_record_and_the_field() {
    for (bad, field) in malformed() {
        let records = [rec(1, json!({})), bad.clone(), rec(2, json!({}))];
        for (text, at) in [
            (as_array(&records), "record 1"),
            (as_lines(&records), "line 2"),
        ] {
            let err = read(&text).unwrap_err();
            check_error("", &err);
            assert_eq!(err.kind(), ErrorKind::InvalidRecord, "{bad}");
            assert!(!err.kind().is_query_error());
            let message = err.message();
            assert!(message.contains(at), "{bad}: {message}");
            assert!(message.contains(&format!("`{field}`")), "{bad}: {message}");
            assert_eq!(err.span(), None);
        }
    }
}

#[test]
fn records_that_are_not_objects_or_not_json_are_malformed() {
    for (text, at) in [
        ("[{}, 5]", "record 0"),
        (
            r#"[{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "Failed", "ReferenceId": 1}, 5]"#,
            "record 1",
        ),
        ("5\n", "line 1"),
        ("\n[1]\n", "record 0"),
        ("{}\n", "line 1"),
        ("\n\n{not json}\n", "line 3"),
        (r#"{"Id": 1"#, "line 1"),
    ] {
        let err = read(text).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRecord, "{text}");
        assert!(err.message().contains(at), "{text}: {}", err.message());
    }
    for text in ["[", "[{}", "[] []", "[1,]"] {
        assert_eq!(
            read(text).unwrap_err().kind(),
            ErrorKind::InvalidRecord,
            "{text}"
        );
    }
}

#[test]
fn records_accept_the_value_forms_queries_accept() {
    let records = [
        rec(
            1,
            json!({"Status": "FAILED  ", "Id": "{3F2504E04F8911D39A0C0305E82C3301}",
            "StartDate": "2024-06-01t10:00:00.123456789000z", "LastModified": "6/1/2024"}),
        ),
        rec(2, json!({"StartDate": "2024-06-01T12:00:00+02:00"})),
    ];
    let read_back = read(&as_lines(&records)).unwrap();
    assert_eq!(read_back[0].status, Status::Failed);
    assert_eq!(
        read_back[0].start_date,
        Some(utc(2024, 6, 1, 10, 0, 0) + chrono::Duration::nanoseconds(123_456_789))
    );
    assert_eq!(read_back[0].last_modified, Some(utc(2024, 6, 1, 0, 0, 0)));
    assert_eq!(read_back[1].start_date, Some(utc(2024, 6, 1, 10, 0, 0)));
    assert_eq!(
        matching(r#"StartDate -ge "2024-06-01T10:00:00Z""#, &records),
        [1, 2]
    );
}
