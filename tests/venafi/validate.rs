//! Every validation rule of a Ticket/Create request, and every identity
//! form.

use kfql::venafi::{Approvers, CreateRequest, Identity, IdentityObject, Reason};

use crate::{GUID_A, one_problem, parse, problems, request_with};

const OBJ: &str = r"\\VED\\Policy\\Certificates\\web01.example.com";
const WF: &str = r"\\VED\\Policy\\Workflows\\Approval";

fn body(extra: &str) -> String {
    format!(
        r#"{{"ObjectDN": "{OBJ}", "WorkflowDN": "{WF}", "Approvers": "local:{GUID_A}"{extra}}}"#
    )
}

#[test]
fn a_complete_request_reads_into_the_typed_request() {
    let r = parse(
        format!(
            r#"{{"ObjectDN": "{OBJ}", "WorkflowDN": "{WF}", "Reason": 12, "UserData": "for the audit",
                "Approvers": ["local:{GUID_A}", {{"Prefix": "AD+corp", "Name": "jsmith"}}]}}"#
        )
        .as_bytes(),
    )
    .expect("valid");
    assert_eq!(r.object_dn, r"\VED\Policy\Certificates\web01.example.com");
    assert_eq!(r.workflow_dn, r"\VED\Policy\Workflows\Approval");
    assert_eq!(r.reason, Reason::new(12));
    assert_eq!(r.user_data.as_deref(), Some("for the audit"));
    let Approvers::Many(ids) = &r.approvers else {
        panic!("an array stays an array")
    };
    assert_eq!(ids[0], Identity::Prefixed(format!("local:{GUID_A}")));
    assert_eq!(
        ids[1],
        Identity::Object(IdentityObject {
            prefix: Some("AD+corp".into()),
            name: Some("jsmith".into()),
            ..IdentityObject::default()
        })
    );
}

#[test]
fn the_body_must_be_utf8_json_holding_one_object() {
    for (body, part) in [
        (&b""[..], "the request body is empty"),
        (b" \r\n\t ", "the request body is empty"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b"{\"ObjectDN\": \"\xc3\"}", "not valid UTF-8"),
        (b"{", "not valid JSON"),
        (b"{} {}", "not valid JSON"),
        (b"{'ObjectDN': 1}", "not valid JSON"),
        (b"[]", "must be a JSON object, found an array"),
        (b"\"x\"", "must be a JSON object, found a string"),
        (b"5", "must be a JSON object, found a number"),
        (b"null", "must be a JSON object, found null"),
        (b"true", "must be a JSON object, found a boolean"),
    ] {
        let e = parse(body).expect_err("rejected");
        assert_eq!(e.problems().len(), 1, "{body:?}: {e}");
        assert_eq!(e.problems()[0].field, "");
        assert!(e.description().contains(part), "{body:?}: {e}");
    }
}

#[test]
fn required_fields_must_be_present_and_not_null() {
    assert_eq!(
        problems("{}"),
        [
            "ObjectDN: is required",
            "Approvers: is required",
            "WorkflowDN: is required"
        ]
    );
    assert_eq!(
        problems(r#"{"ObjectDN": null, "Approvers": null, "WorkflowDN": null}"#),
        [
            "ObjectDN: is required and may not be null",
            "Approvers: is required and may not be null",
            "WorkflowDN: is required and may not be null"
        ]
    );
}

#[test]
fn optional_fields_may_be_absent_or_null() {
    let r = parse(body(r#", "Reason": null, "UserData": null"#).as_bytes()).expect("valid");
    assert_eq!((r.reason, r.user_data), (None, None));
    let r = parse(body(r#", "UserData": """#).as_bytes()).expect("valid");
    assert_eq!(r.user_data.as_deref(), Some(""));
}

#[test]
fn duplicate_keys_are_errors_in_the_request_and_in_identities() {
    one_problem(
        &body(&format!(r#", "ObjectDN": "{OBJ}""#)),
        "ObjectDN",
        &["duplicate key `ObjectDN`"],
    );
    one_problem(
        &body(r#", "UserData": null, "UserData": null"#),
        "UserData",
        &["duplicate key `UserData`"],
    );
    one_problem(
        &request_with(r#"[{"Prefix": "local", "Prefix": "local", "Name": "x"}]"#),
        "Approvers[0].Prefix",
        &["duplicate key `Prefix`"],
    );
}

#[test]
fn unknown_keys_are_errors_quoting_the_key() {
    one_problem(
        &body(r#", "Comment": "x""#),
        "",
        &["unknown key `Comment`", "ObjectDN, Approvers"],
    );
    one_problem(
        &body(r#", "userData": "x""#),
        "",
        &["unknown key `userData`", "case-sensitive: write `UserData`"],
    );
    one_problem(
        &request_with(r#"{"Prefix": "local", "Name": "x", "Email": "x@y"}"#),
        "Approvers",
        &["unknown key `Email`", "an identity takes"],
    );
    one_problem(
        &request_with(r#"["AD+c:x", {"PrefixedName": "local:x", "prefixedname": "local:x"}]"#),
        "Approvers[1]",
        &["unknown key `prefixedname`", "write `PrefixedName`"],
    );
}

#[test]
fn wrong_json_types_name_what_was_expected_and_found() {
    for (extra, field, parts) in [
        (
            r#", "UserData": 5"#,
            "UserData",
            &["expected a string", "a number (`5`)"][..],
        ),
        (
            r#", "UserData": ["x"]"#,
            "UserData",
            &["expected a string", "an array"],
        ),
        (
            r#", "Reason": true"#,
            "Reason",
            &["expected an integer from 0 to 999", "a boolean"],
        ),
        (r#", "Reason": {}"#, "Reason", &["an object"]),
    ] {
        one_problem(&body(extra), field, parts);
    }
    let dn = format!(r#"{{"ObjectDN": 5, "WorkflowDN": true, "Approvers": "local:{GUID_A}"}}"#);
    assert_eq!(
        problems(&dn),
        [
            "ObjectDN: expected a string, found a number (`5`)",
            "WorkflowDN: expected a string, found a boolean (`true`)"
        ]
    );
    for approvers in ["5", "true"] {
        one_problem(
            &request_with(approvers),
            "Approvers",
            &["expected an identity", "or an array of them"],
        );
    }
    one_problem(
        &request_with(r#"[["local:x"]]"#),
        "Approvers[0]",
        &["expected an identity", "an array"],
    );
    one_problem(&request_with("[null]"), "Approvers[0]", &["found null"]);
    for (id, key, expected) in [
        (
            r#"{"Prefix": 5, "Name": "x"}"#,
            "Prefix",
            "expected a string",
        ),
        (
            r#"{"Prefix": "local", "Name": ["x"]}"#,
            "Name",
            "expected a string",
        ),
        (
            r#"{"PrefixedName": "local:x", "FullName": 5}"#,
            "FullName",
            "expected a string",
        ),
        (
            r#"{"PrefixedName": "local:x", "IsContainer": "yes"}"#,
            "IsContainer",
            "expected a boolean",
        ),
        (
            r#"{"PrefixedName": "local:x", "IsGroup": 1}"#,
            "IsGroup",
            "expected a boolean",
        ),
        (
            r#"{"PrefixedName": "local:x", "Type": "1"}"#,
            "Type",
            "expected an integer",
        ),
        (
            r#"{"PrefixedName": "local:x", "Type": 1.5}"#,
            "Type",
            "expected an integer",
        ),
    ] {
        one_problem(&request_with(id), &format!("Approvers.{key}"), &[expected]);
    }
}

#[test]
fn dns_are_policy_tree_dns() {
    for ok in [
        r"\\VED\\Policy\\x",
        r"\\ved\\policy\\Certificates\\web 01",
        r"\\VED\\POLICY\\a\\b\\c.example.com",
        r"\\VED\\Policy\\ünïcode",
    ] {
        let b = format!(r#"{{"ObjectDN": "{ok}", "WorkflowDN": "{ok}", "Approvers": "local:x"}}"#);
        parse(b.as_bytes()).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    for (bad, why) in [
        (r"\\VED\\Policy", "names no object below"),
        (r"\\VED\\Policy\\", "empty component"),
        (r"\\VED\\Policy\\a\\", "empty component"),
        (r"\\VED\\Policy\\\\a", "empty component"),
        (r"\\VED\\PolicyX\\a", "is not in the Policy tree"),
        (r"\\VED\\Certs\\a", "is not in the Policy tree"),
        (r"VED\\Policy\\a", "is not in the Policy tree"),
        ("/VED/Policy/a", "is not in the Policy tree"),
        ("", "is not in the Policy tree"),
        ("é", "is not in the Policy tree"),
    ] {
        for field in ["ObjectDN", "WorkflowDN"] {
            let (o, w) = if field == "ObjectDN" {
                (bad, WF)
            } else {
                (OBJ, bad)
            };
            let b =
                format!(r#"{{"ObjectDN": "{o}", "WorkflowDN": "{w}", "Approvers": "local:x"}}"#);
            let shown = bad.replace(r"\\", r"\");
            one_problem(&b, field, &[why, &format!("`{shown}`")]);
        }
    }
}

#[test]
fn approvers_is_one_identity_or_a_non_empty_array() {
    let one = parse(request_with(r#""AD+corp:jsmith""#).as_bytes()).expect("valid");
    assert_eq!(
        one.approvers,
        Approvers::One(Identity::Prefixed("AD+corp:jsmith".into()))
    );
    let obj =
        parse(request_with(r#"{"PrefixedName": "AD+corp:jsmith"}"#).as_bytes()).expect("valid");
    assert!(matches!(obj.approvers, Approvers::One(Identity::Object(_))));
    let many = parse(request_with(r#"["AD+corp:a", "AD+corp:a"]"#).as_bytes()).expect("valid");
    assert_eq!(many.approvers.iter().count(), 2, "duplicates are kept");
    one_problem(
        &request_with("[]"),
        "Approvers",
        &["empty array", "at least one approver"],
    );
}

#[test]
fn identity_strings_are_a_valid_prefix_a_colon_and_a_non_empty_rest() {
    for ok in [
        format!("local:{GUID_A}"),
        "local:jsmith".into(), // a string may be a name: no GUID check
        "AD+corp:jsmith".into(),
        "AD+corp.example.com:{0D3A7F1E-2B6C-4A8D-9E0F-1A2B3C4D5E6F}".into(),
        "LDAP+dir:cn=jsmith,ou=people".into(),
        "AD+corp:a:b".into(), // split at the first `:`
    ] {
        parse(request_with(&format!("{ok:?}")).as_bytes()).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    for (bad, part) in [
        (
            "jsmith",
            "is not a prefixed identity: expected <prefix>:<universal or name>",
        ),
        ("AD+corp", "is not a prefixed identity"),
        ("local:", "has nothing after the `:`"),
        (":x", "`` is not a valid prefix"),
        ("Local:x", "prefixes are case-sensitive: write `local`"),
        ("ad+corp:x", "write `AD+` or `LDAP+` in capitals"),
        ("Ldap+dir:x", "in capitals"),
        ("AD+:x", "`AD+` is a prefix without a directory name"),
        ("LDAP+:x", "`LDAP+` is a prefix without a directory name"),
        (
            "AD:x",
            "`AD` is not a valid prefix: expected `local`, `AD+<name>` or `LDAP+<name>`",
        ),
        ("NT+dom:x", "`NT+dom` is not a valid prefix"),
    ] {
        one_problem(
            &request_with(&format!("[{bad:?}]")),
            "Approvers[0]",
            &[part],
        );
    }
}

/// Each of the four identity forms, valid and invalid.
#[test]
fn identity_objects_take_four_forms_each_checked() {
    let ok = [
        format!(r#"{{"PrefixedUniversal": "local:{GUID_A}"}}"#),
        r#"{"PrefixedUniversal": "local:{7B3E6B0A-1C1F-4F3E-9A53-2B1D0C4E5F60}"}"#.into(),
        r#"{"PrefixedUniversal": "AD+corp:0d3a7f1e2b6c4a8d9e0f1a2b3c4d5e6f"}"#.into(),
        r#"{"PrefixedName": "local:jsmith"}"#.into(),
        r#"{"PrefixedName": "LDAP+dir:cn=j"}"#.into(),
        format!(r#"{{"Prefix": "local", "Universal": "{GUID_A}"}}"#),
        r#"{"Prefix": "AD+corp", "Universal": "S-1-5-21-1"}"#.into(),
        r#"{"Prefix": "local", "Name": "jsmith"}"#.into(),
        r#"{"Prefix": "AD+corp", "Name": "jsmith"}"#.into(),
        // Venafi's full Identity object, with the ignored keys.
        format!(
            r#"{{"FullName": "\\VED\\Identity\\jsmith", "IsContainer": false, "IsGroup": false,
                "Name": "jsmith", "Prefix": "local", "PrefixedName": "local:jsmith",
                "PrefixedUniversal": "local:{GUID_A}", "Type": 1, "Universal": "{GUID_A}"}}"#
        ),
        // null counts as absent
        r#"{"PrefixedName": "local:jsmith", "PrefixedUniversal": null, "FullName": null}"#.into(),
    ];
    for id in ok {
        parse(request_with(&id).as_bytes()).unwrap_or_else(|e| panic!("{id}: {e}"));
    }
    for (id, field, part) in [
        (
            r#"{"PrefixedUniversal": "local:jsmith"}"#,
            "PrefixedUniversal",
            "`jsmith` is not a braced GUID",
        ),
        (
            r#"{"PrefixedUniversal": "local:7b3e6b0a-1c1f-4f3e-9a53-2b1d0c4e5f60"}"#,
            "PrefixedUniversal",
            "not a braced GUID",
        ),
        (
            r#"{"PrefixedUniversal": "local:{7b3e6b0a1c1f4f3e9a532b1d0c4e5f60}"}"#,
            "PrefixedUniversal",
            "not a braced GUID",
        ),
        (
            r#"{"PrefixedUniversal": "local:{7b3e6b0a-1c1f-4f3e-9a53-2b1d0c4e5f6g}"}"#,
            "PrefixedUniversal",
            "not a braced GUID",
        ),
        (
            r#"{"PrefixedUniversal": "local"}"#,
            "PrefixedUniversal",
            "expected <prefix>:<universal>",
        ),
        (
            r#"{"PrefixedUniversal": "Local:x"}"#,
            "PrefixedUniversal",
            "case-sensitive",
        ),
        (
            r#"{"PrefixedName": "jsmith"}"#,
            "PrefixedName",
            "expected <prefix>:<name>",
        ),
        (
            r#"{"PrefixedName": "AD+corp:"}"#,
            "PrefixedName",
            "nothing after the `:`",
        ),
        (
            r#"{"Prefix": "local", "Universal": "jsmith"}"#,
            "Universal",
            "`jsmith` is not a braced GUID",
        ),
        (
            r#"{"Prefix": "local", "Universal": ""}"#,
            "Universal",
            "is empty",
        ),
        (r#"{"Prefix": "AD+corp", "Name": ""}"#, "Name", "is empty"),
        (
            r#"{"Prefix": "AD+x:y", "Name": "j"}"#,
            "Prefix",
            "may not contain `:`",
        ),
        (
            r#"{"Prefix": "LOCAL", "Name": "j"}"#,
            "Prefix",
            "write `local`",
        ),
        (
            r#"{"Prefix": "local"}"#,
            "Prefix",
            "is given without Universal or Name",
        ),
        (
            r#"{"Universal": "x"}"#,
            "Universal",
            "is given without Prefix",
        ),
        (
            r#"{"Name": "x", "PrefixedName": "local:x"}"#,
            "Name",
            "is given without Prefix",
        ),
        // every present form must be valid, even when an earlier one wins
        (
            r#"{"PrefixedUniversal": "AD+c:x", "PrefixedName": "x"}"#,
            "PrefixedName",
            "not a prefixed identity",
        ),
        (
            r#"{"PrefixedName": "AD+c:x", "Prefix": "bad", "Name": "x"}"#,
            "Prefix",
            "`bad` is not a valid prefix",
        ),
    ] {
        let field = format!("Approvers[0].{field}");
        one_problem(&request_with(&format!("[{id}]")), &field, &[part]);
    }
    for id in [
        "{}",
        r#"{"FullName": "j", "IsGroup": true}"#,
        r#"{"PrefixedName": null}"#,
    ] {
        one_problem(&request_with(id), "Approvers", &["names no identity"]);
    }
}

#[test]
fn the_first_present_form_is_the_approver() {
    let g2 = "{00000000-0000-4000-8000-000000000002}";
    let cases = [
        (
            format!(
                r#"{{"PrefixedUniversal": "local:{GUID_A}", "Prefix": "local", "Universal": "{g2}", "PrefixedName": "local:pn", "Name": "n"}}"#
            ),
            format!("local:{GUID_A}"),
        ),
        (
            format!(
                r#"{{"PrefixedName": "local:pn", "Prefix": "local", "Name": "n", "Universal": "{g2}"}}"#
            ),
            format!("local:{g2}"),
        ),
        (
            r#"{"Name": "n", "Prefix": "AD+c", "PrefixedName": "AD+c:pn"}"#.into(),
            "AD+c:pn".into(),
        ),
        (r#"{"Name": "n", "Prefix": "AD+c"}"#.into(), "AD+c:n".into()),
    ];
    for (id, expected) in cases {
        let r = parse(request_with(&id).as_bytes()).expect("valid");
        let approvers: Vec<String> = r.approvers.iter().filter_map(Identity::prefixed).collect();
        assert_eq!(approvers, [expected], "{id}");
    }
}

#[test]
fn reason_is_an_integer_or_a_digit_string_from_0_to_999() {
    for (value, code) in [
        ("0", 0),
        ("999", 999),
        ("5", 5),
        (r#""0""#, 0),
        (r#""999""#, 999),
        (r#""007""#, 7),
    ] {
        let r = parse(body(&format!(r#", "Reason": {value}"#)).as_bytes()).expect(value);
        assert_eq!(r.reason, Reason::new(code), "{value}");
    }
    for (value, part) in [
        ("-1", "`-1` is outside 0 to 999"),
        ("1000", "`1000` is outside 0 to 999"),
        (
            "5.0",
            "without fraction or exponent, found a number (`5.0`)",
        ),
        ("1e2", "without fraction or exponent"),
        ("-0", "without fraction or exponent"),
        ("18446744073709551616", "without fraction or exponent"),
        (r#""""#, "is an empty string"),
        (r#""1000""#, "`1000` is outside 0 to 999"),
        (r#""0000000000000000000001000""#, "is outside 0 to 999"),
        (r#""12a""#, "`12a` is not an integer from 0 to 999"),
        (r#"" 5""#, "is not an integer"),
        (r#""+5""#, "is not an integer"),
        (r#""-1""#, "is not an integer"),
        (r#""٣""#, "ASCII digits only"),
        ("[5]", "found an array"),
    ] {
        one_problem(&body(&format!(r#", "Reason": {value}"#)), "Reason", &[part]);
    }
}

#[test]
fn every_problem_is_listed_with_its_path() {
    let b = r#"{"ObjectDN": "\\VED\\x", "ObjectDN": 1, "Extra": 1,
                "Approvers": ["ok", {"Prefix": "Local", "Name": ""}, 7], "Reason": 1000}"#;
    assert_eq!(
        problems(b),
        [
            "ObjectDN: duplicate key `ObjectDN`: a key may appear only once",
            "unknown key `Extra` (the request takes ObjectDN, Approvers, Reason, UserData and WorkflowDN)",
            r"ObjectDN: `\VED\x` is not in the Policy tree: it must start with `\VED\Policy\` (a Policy-tree DN looks like `\VED\Policy\Certificates\web01.example.com`)",
            "Approvers[0]: `ok` is not a prefixed identity: expected <prefix>:<universal or name>",
            "Approvers[1].Prefix: `Local` is not a valid prefix: expected `local`, `AD+<name>` or `LDAP+<name>` (prefixes are case-sensitive: write `local`)",
            "Approvers[1].Name: is empty",
            "Approvers[2]: expected an identity (a prefixed string or an identity object), found a number (`7`)",
            "Reason: `1000` is outside 0 to 999",
            "WorkflowDN: is required",
        ]
    );
}

#[test]
fn quoted_values_are_cut_and_kept_on_one_line() {
    let long = format!("{}\n", "x".repeat(500));
    let e = parse(request_with(&format!("{long:?}")).as_bytes()).expect_err("no colon");
    let d = e.description();
    assert!(d.len() < 200 && !d.contains('\n') && d.contains("…"), "{d}");
}

#[test]
fn hostile_bodies_are_errors_not_panics() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(CreateRequest::parse(deep.as_bytes()).is_err());
    let deep_ids = request_with(&format!(
        "{}{}",
        "{\"Name\":".repeat(10_000),
        "}".repeat(10_000)
    ));
    assert!(CreateRequest::parse(deep_ids.as_bytes()).is_err());
    let many = request_with(&format!("[{}1]", "1,".repeat(50_000)));
    assert_eq!(
        CreateRequest::parse(many.as_bytes())
            .unwrap_err()
            .problems()
            .len(),
        50_001
    );
    let huge_key = format!(r#"{{"{}": 1}}"#, "k".repeat(1 << 20));
    assert!(CreateRequest::parse(huge_key.as_bytes()).is_err());
}

#[test]
fn a_request_built_in_code_is_checked_by_the_same_rules() {
    let mut r = CreateRequest::parse(body("").as_bytes()).expect("valid");
    assert_eq!(r.validate(), Ok(()));
    r.object_dn = "web01".into();
    r.approvers = Approvers::Many(vec![Identity::Object(IdentityObject::default())]);
    let e = r.validate().expect_err("invalid");
    let fields: Vec<&str> = e.problems().iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["ObjectDN", "Approvers[0]"]);
}
