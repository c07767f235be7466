//! docs/LANGUAGE.md, “Types and operators” (and “Workflow instances” for the field list): operators per type, value forms, and the
//! errors for everything else.

use kfql::{Context, ErrorKind, Field, FieldType, FieldValue, Op, Record, Schema};
use serde_json::json;

use crate::common::*;

const GUID: &str = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";

/// Each queryable field of the workflow-instance schema, a valid value,
/// and the operators its type allows.
const FIELDS: &[(&str, &str, &[Op])] = &[
    ("Title", "x", STRING),
    ("InitiatingUserName", r"D\u", STRING),
    ("WorkflowType", "Enrollment", STRING),
    ("ReferenceId", "5", ORDERED),
    ("StartDate", "2024-06-01", ORDERED),
    ("LastModified", "2024-06-01T10:00:00Z", ORDERED),
    ("Id", GUID, EQUALITY),
    ("DefinitionId", GUID, EQUALITY),
    ("Status", "Failed", EQUALITY),
];
const STRING: &[Op] = &[
    Op::Eq,
    Op::Ne,
    Op::Contains,
    Op::NotContains,
    Op::StartsWith,
    Op::EndsWith,
];
const ORDERED: &[Op] = &[Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge];
const EQUALITY: &[Op] = &[Op::Eq, Op::Ne];

#[test]
fn each_type_takes_exactly_its_operators() {
    for (field, value, allowed) in FIELDS {
        for op in Op::ALL {
            let query = format!("{field} {op} {}", kfql::quote(value));
            if allowed.contains(&op) {
                compile_ok(&query, &ctx());
                continue;
            }
            let err = compile_err(&query);
            assert_eq!(err.kind(), ErrorKind::OperatorNotAllowed, "{query}");
            assert_eq!(spanned(&query, &err), op.as_str());
            let description = err.description();
            assert!(description.contains(field), "{description}");
            for ok in *allowed {
                assert!(description.contains(ok.as_str()), "{query}: {description}");
            }
        }
    }
}

#[test]
fn every_type_takes_eq_null_and_ne_null() {
    let records = [
        rec(1, json!({})),
        rec(
            2,
            json!({"Title": "t", "StartDate": "2024-06-01T00:00:00Z",
        "LastModified": "2024-06-01T00:00:00Z", "DefinitionId": GUID,
        "InitiatingUserName": "u", "WorkflowType": "w"}),
        ),
    ];
    for (field, _, _) in FIELDS {
        let always_present = matches!(*field, "Id" | "Status" | "ReferenceId");
        let (is_null, not_null): (&[i64], &[i64]) = if always_present {
            (&[], &[1, 2])
        } else {
            (&[1], &[2])
        };
        assert_eq!(
            matching(&format!("{field} -eq NULL"), &records),
            is_null,
            "{field}"
        );
        assert_eq!(
            matching(&format!("{field} -ne NULL"), &records),
            not_null,
            "{field}"
        );
    }
}

#[test]
fn only_the_nine_queryable_fields_may_be_queried() {
    let schema = kfql::keyfactor::schema();
    let mut queryable: Vec<&str> = schema
        .fields()
        .iter()
        .filter(|f| f.queryable())
        .map(Field::name)
        .collect();
    queryable.sort_unstable();
    let mut expected: Vec<&str> = FIELDS.iter().map(|f| f.0).collect();
    expected.sort_unstable();
    assert_eq!(queryable, expected);
    for field in [
        "CurrentStepId",
        "StatusMessage",
        "CurrentStepDisplayName",
        "CurrentStepUniqueName",
        "Definition",
    ] {
        let query = format!(r#"{field} -eq "x""#);
        let err = compile_err(&query);
        assert_eq!(err.kind(), ErrorKind::FieldNotQueryable, "{field}");
        assert_eq!(spanned(&query, &err), field);
    }
    let err = compile_err(r#"Definition -eq "x""#);
    assert!(err.suggestion().unwrap().contains("DefinitionId"));
}

#[test]
fn using_another_field_is_an_error_that_lists_the_queryable_fields() {
    for query in [
        r#"StartDat -ge "2024-01-01""#,
        r#"Zebra -eq "x""#,
        r#"StatusMessage -eq "x""#,
        r#"Definition -eq "x""#,
    ] {
        let description = compile_err(query).description();
        for (field, _, _) in FIELDS {
            assert!(description.contains(field), "{query}: {description}");
        }
    }
}

#[test]
fn unknown_fields_get_a_did_you_mean() {
    let err = compile_err(r#"StartDat -ge "2024-01-01""#);
    assert_eq!(err.kind(), ErrorKind::UnknownField);
    assert_eq!(err.suggestion(), Some("did you mean `StartDate`?"));
    let err = compile_err(r#"Definition.Id -eq "x""#);
    assert_eq!(err.kind(), ErrorKind::UnknownField);
}

/// Compiles `field -eq value` (quoted and, when possible, bare) and checks
/// that it is an InvalidValue error at the value.
fn invalid_value(field: &str, value: &str) -> kfql::Error {
    let query = format!("{field} -eq {}", kfql::quote(value));
    let err = compile_err(&query);
    assert_eq!(
        err.kind(),
        ErrorKind::InvalidValue,
        "{query}: {}",
        err.render()
    );
    assert_eq!(spanned(&query, &err), kfql::quote(value));
    let description = err.description();
    assert!(description.contains(field), "{description}");
    assert!(description.contains(value.trim_end()), "{description}");
    err
}

#[test]
fn integers_are_numbers_within_i64_quoted_or_bare() {
    let records = [
        rec(-5, json!({})),
        rec(5, json!({})),
        rec(i64::MAX, json!({})),
        rec(i64::MIN, json!({})),
    ];
    for (value, expected) in [
        ("5", vec![5]),
        (r#""5""#, vec![5]),
        ("+5", vec![5]),
        (r#""+0005""#, vec![5]),
        ("-5", vec![-5]),
        (r#""-5""#, vec![-5]),
        ("9223372036854775807", vec![i64::MAX]),
        ("-9223372036854775808", vec![i64::MIN]),
        ("0", vec![]),
    ] {
        assert_eq!(
            matching(&format!("ReferenceId -eq {value}"), &records),
            expected,
            "{value}"
        );
    }
    assert_eq!(
        matching("ReferenceId -gt 9223372036854775806", &records),
        [i64::MAX]
    );
    assert_eq!(
        matching("ReferenceId -le -9223372036854775808", &records),
        [i64::MIN]
    );
    for value in [
        "9223372036854775808",
        "-9223372036854775809",
        "99999999999999999999999",
        "five",
        "5.0",
        "1e3",
        " 5",
        "5 ",
        "",
        "+",
        "--5",
        "0x10",
        "٣",
    ] {
        invalid_value("ReferenceId", value);
    }
}

#[test]
fn guids_take_every_shape_and_any_case() {
    let records = [rec(1, json!({"Id": GUID})), rec(2, json!({}))];
    for value in [
        GUID,
        "3F2504E0-4F89-11D3-9A0C-0305E82C3301",
        "{3f2504e0-4f89-11d3-9a0c-0305e82c3301}",
        "{3F2504E0-4f89-11D3-9a0c-0305E82C3301}",
        "3f2504e04f8911d39a0c0305e82c3301",
        "{3F2504E04F8911D39A0C0305E82C3301}",
    ] {
        assert_eq!(
            matching(&format!("Id -eq {value}"), &records),
            [1],
            "{value}"
        );
        assert_eq!(
            matching(&format!("Id -eq \"{value}\""), &records),
            [1],
            "{value}"
        );
        assert_eq!(
            matching(&format!("Id -ne \"{value}\""), &records),
            [2],
            "{value}"
        );
    }
    for value in [
        "{3f2504e0-4f89-11d3-9a0c-0305e82c3301",
        "3f2504e0-4f89-11d3-9a0c-0305e82c3301}",
        "}3f2504e0-4f89-11d3-9a0c-0305e82c3301{",
        "{{3f2504e0-4f89-11d3-9a0c-0305e82c3301}}",
        "3f2504e0-4f89-11d3-9a0c-0305e82c330",
        "3f2504e0-4f89-11d3-9a0c-0305e82c33011",
        "3f2504e04f89-11d3-9a0c-0305e82c3301",
        "3f2504e0-4f8911d3-9a0c-0305e82c3301-",
        "3f2504e0-4f89-11d3-9a0c-0305e82c330g",
        "(3f2504e0-4f89-11d3-9a0c-0305e82c3301)",
        "3f2504e0 4f89 11d3 9a0c 0305e82c3301",
        "+f2504e04f8911d39a0c0305e82c3301",
        "",
        "{}",
    ] {
        invalid_value("Id", value);
        invalid_value("DefinitionId", value);
    }
}

#[test]
fn enums_take_their_names_in_any_case_with_trailing_spaces() {
    let records = [
        rec(1, json!({"Status": "Failed"})),
        rec(2, json!({"Status": "Complete"})),
    ];
    for value in [
        "Failed",
        "failed",
        "FAILED",
        "fAiLeD",
        r#""Failed""#,
        r#""failed   ""#,
    ] {
        assert_eq!(
            matching(&format!("Status -eq {value}"), &records),
            [1],
            "{value}"
        );
        assert_eq!(
            matching(&format!("Status -ne {value}"), &records),
            [2],
            "{value}"
        );
    }
    for name in kfql::keyfactor::STATUS_NAMES {
        compile_ok(&format!("Status -eq {name}"), &ctx());
    }
    // A number is an error that lists the names.
    for value in ["2", "0", "-1"] {
        let description = invalid_value("Status", value).description();
        for name in kfql::keyfactor::STATUS_NAMES {
            assert!(description.contains(name), "{description}");
        }
    }
    let err = invalid_value("Status", "Faild");
    assert_eq!(err.suggestion(), Some("did you mean `Failed`?"));
    for value in [
        " Failed",
        "Failed\t",
        "Failed\u{A0}",
        "Fail",
        "",
        "Failed,Complete",
    ] {
        invalid_value("Status", value);
    }
}

#[test]
fn datetime_value_forms() {
    for value in [
        "2024-06-01",
        "2024-06-01T10:00:00",
        "2024-06-01t10:00:00",
        "2024-06-01 10:00:00",
        "2024-06-01T10:00:00.5",
        "2024-06-01T10:00:00.123456789012345678901234567890",
        "2024-06-01T10:00:00Z",
        "2024-06-01T10:00:00z",
        "2024-06-01T10:00:00.25+02:00",
        "2024-06-01T10:00:00-05:30",
        "2024-06-01T10:00:00+23:59",
        "2024-06-01T10:00:00-23:59",
        "6/1/2024",
        "06/01/2024",
        "12/31/9999",
        "1/1/0001",
        "0001-01-01",
        "9999-12-31T23:59:59.999999999Z",
        "2024-02-29",
    ] {
        compile_ok(&format!("StartDate -eq {}", kfql::quote(value)), &ctx());
    }
    for value in [
        "0000-01-01",
        "10000-01-01",
        "2024-13-01",
        "2023-02-29",
        "2024-06-31",
        "2024-06-01T24:00:00",
        "2024-06-01T10:60:00",
        "2024-06-01T10:00:60",
        "2024-06-01T10:00:00+24:00",
        "2024-06-01T10:00:00+23:60",
        "2024-06-01T10:00:00+0200",
        "2024-06-01T10:00:00+02",
        "2024-06-01T10:00",
        "2024-06-01T10:00:00.",
        "2024-06-01T10:00:00Z ",
        "2024-06-01X10:00:00",
        "2024-06-01  10:00:00",
        "2024-6-1",
        " 2024-06-01",
        "13/1/2024",
        "1/32/2024",
        "1/1/24",
        "1/1/10000",
        "001/1/2024",
        "0/1/2024",
        "2024/06/01",
        "yesterday",
        "",
    ] {
        invalid_value("StartDate", value);
    }
}

#[test]
fn datetime_spellings_of_the_same_value_agree() {
    let records = [
        rec(1, json!({"StartDate": "2024-06-01T10:00:00Z"})),
        rec(2, json!({"StartDate": "2024-06-02T00:00:00Z"})),
        rec(3, json!({"StartDate": "2024-06-01T10:00:00.5Z"})),
    ];
    for value in ["2024-06-01", "6/1/2024", "06/01/2024"] {
        assert_eq!(
            matching(&format!("StartDate -eq {value}"), &records),
            [1, 3],
            "{value}"
        );
    }
    for value in [
        "2024-06-01T10:00:00Z",
        "2024-06-01t10:00:00z",
        "2024-06-01 10:00:00",
        "2024-06-01T10:00:00.000000000000",
        "2024-06-01T12:00:00+02:00",
        "2024-06-01T04:30:00-05:30",
    ] {
        let query = format!("StartDate -eq {}", kfql::quote(value));
        assert_eq!(matching(&query, &records), [1], "{value}");
    }
    assert_eq!(
        matching(r#"StartDate -eq "2024-06-01T10:00:00.50""#, &records),
        [3]
    );
}

/// A custom record type with a boolean, for the boolean rules.
struct Cert {
    revoked: Option<bool>,
    id: i64,
}

impl Record for Cert {
    fn value(&self, field: &Field) -> FieldValue<'_> {
        match field.name() {
            "Revoked" => self.revoked.map_or(FieldValue::Null, FieldValue::Bool),
            "Id" => FieldValue::Int(self.id),
            _ => FieldValue::Null,
        }
    }
}

fn cert_schema() -> Schema {
    Schema::builder("certificates")
        .field("Id", FieldType::Integer)
        .field("Revoked", FieldType::Boolean)
        .key("Id")
        .build()
        .unwrap()
}

#[test]
fn booleans_take_true_and_false_in_any_case_quoted_or_bare() {
    let schema = cert_schema();
    let ctx = Context::new(utc(2024, 6, 1, 0, 0, 0));
    let certs = [
        Cert {
            revoked: Some(true),
            id: 1,
        },
        Cert {
            revoked: Some(false),
            id: 2,
        },
        Cert {
            revoked: None,
            id: 3,
        },
    ];
    let json = [
        json!({"Id": 1, "Revoked": true}),
        json!({"Id": 2, "Revoked": false}),
        json!({"Id": 3}),
    ];
    let run = |query: &str| -> Vec<i64> {
        let filter = kfql::compile(query, &schema, &ctx).unwrap();
        let ids: Vec<i64> = certs
            .iter()
            .filter(|c| filter.matches(*c))
            .map(|c| c.id)
            .collect();
        let from_json: Vec<i64> = json
            .iter()
            .filter(|v| filter.matches(*v))
            .map(|v| v["Id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, from_json, "{query}");
        ids
    };
    for value in ["true", "TRUE", "True", r#""true""#, r#""tRuE""#] {
        assert_eq!(run(&format!("Revoked -eq {value}")), [1], "{value}");
        assert_eq!(run(&format!("Revoked -ne {value}")), [2], "{value}");
    }
    for value in ["false", "FALSE", r#""False""#] {
        assert_eq!(run(&format!("Revoked -eq {value}")), [2], "{value}");
    }
    assert_eq!(run("Revoked -eq NULL"), [3]);
    assert_eq!(run("Revoked -ne NULL"), [1, 2]);
    for op in Op::ALL.into_iter().filter(|op| !EQUALITY.contains(op)) {
        let query = format!("Revoked {op} true");
        let err = compile_err_with(&query, &schema, &ctx);
        assert_eq!(err.kind(), ErrorKind::OperatorNotAllowed, "{query}");
    }
    for value in ["yes", "1", "0", "t", "true ", " false", ""] {
        let query = format!("Revoked -eq {}", kfql::quote(value));
        let err = compile_err_with(&query, &schema, &ctx);
        assert_eq!(err.kind(), ErrorKind::InvalidValue, "{query}");
    }
}
