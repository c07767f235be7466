//! docs/LANGUAGE.md, “Meaning of comparisons”: what every comparison means: case folding, trailing spaces,
//! literal substrings, nulls, day ranges, time zones, exact fractions,
//! GUID values, and the Definition fallbacks. Every check runs on typed
//! records and on the same records as `serde_json::Value` (see `matching`).

use kfql::Context;
use serde_json::json;

use crate::common::*;

fn titles(titles: &[&str]) -> Vec<serde_json::Value> {
    (1..)
        .zip(titles)
        .map(|(id, t)| rec(id, json!({"Title": t})))
        .collect()
}

#[test]
fn strings_compare_ignoring_case_including_non_ascii() {
    let records = titles(&[
        "Café ÉCOLE",
        "café école",
        "CAFE ECOLE",
        "ΟΔΟΣ",
        "\u{212A}ey",
        "key",
        "straße",
        "İstanbul",
    ]);
    assert_eq!(matching(r#"Title -eq "CAFÉ école""#, &records), [1, 2]);
    assert_eq!(matching(r#"Title -contains "É""#, &records), [1, 2]);
    assert_eq!(matching(r#"Title -startswith "cafÉ""#, &records), [1, 2]);
    assert_eq!(matching(r#"Title -endswith "ÉCOLE""#, &records), [1, 2]);
    assert_eq!(
        matching(r#"Title -ne "café école""#, &records),
        [3, 4, 5, 6, 7, 8]
    );
    // Final sigma: "ΟΔΟΣ" lower-cases to "οδος" with ς, as str::to_lowercase does.
    assert_eq!(
        matching("Title -eq \"\u{3BF}\u{3B4}\u{3BF}\u{3C2}\"", &records),
        [4]
    );
    assert_eq!(
        matching("Title -eq \"\u{3BF}\u{3B4}\u{3BF}\u{3C3}\"", &records),
        NONE
    );
    assert_eq!(matching(r#"Title -eq "ΟΔΟΣ""#, &records), [4]);
    assert_eq!(
        matching("Title -endswith \"\u{3BF}\u{3C2}\"", &records),
        [4]
    );
    // KELVIN SIGN lower-cases to ASCII k.
    assert_eq!(matching(r#"Title -eq "KEY""#, &records), [5, 6]);
    assert_eq!(matching("Title -eq \"\u{212A}EY\"", &records), [5, 6]);
    assert_eq!(matching(r#"Title -startswith "k""#, &records), [5, 6]);
    assert_eq!(matching(r#"Title -contains "EY""#, &records), [5, 6]);
    // Full mapping, no normalisation: ß is not ss, İ is i + U+0307.
    assert_eq!(matching(r#"Title -eq "STRASSE""#, &records), NONE);
    assert_eq!(matching(r#"Title -eq "STRAßE""#, &records), [7]);
    assert_eq!(matching("Title -eq \"i\u{307}stanbul\"", &records), [8]);
    assert_eq!(matching(r#"Title -eq "istanbul""#, &records), NONE);
    // No normalisation: a decomposed é is not the precomposed one.
    assert_eq!(
        matching("Title -eq \"cafe\u{301} e\u{301}cole\"", &records),
        NONE
    );
}

#[test]
fn values_keep_their_case_in_the_query_and_match_ignoring_it() {
    let records = [rec(
        1,
        json!({"WorkflowType": "Enrollment",
        "InitiatingUserName": r"KEYEXAMPLE\JSmith"}),
    )];
    assert_eq!(matching("WorkflowType -eq enrollment", &records), [1]);
    assert_eq!(
        matching(r#"InitiatingUserName -eq "keyexample\jsmith""#, &records),
        [1]
    );
    assert_eq!(
        matching(r#"InitiatingUserName -eq "keyexample\\jsmith""#, &records),
        [1]
    );
}

#[test]
fn eq_and_ne_ignore_trailing_spaces_only() {
    let records = titles(&["abc", "abc   ", "ABC\t", "abc\u{A0}", " abc", "abc \n"]);
    for query in [r#"Title -eq "abc""#, r#"Title -eq "ABC  ""#] {
        assert_eq!(matching(query, &records), [1, 2], "{query}");
    }
    assert_eq!(matching(r#"Title -ne "abc ""#, &records), [3, 4, 5, 6]);
    assert_eq!(matching("Title -eq \"abc\t\"", &records), [3]);
    assert_eq!(matching("Title -eq \"abc\u{A0}\"", &records), [4]);
    assert_eq!(matching(r#"Title -eq " abc""#, &records), [5]);
    // contains, startswith and endswith take spaces literally.
    assert_eq!(matching(r#"Title -endswith "c   ""#, &records), [2]);
    assert_eq!(matching(r#"Title -endswith "C""#, &records), [1, 5]);
    assert_eq!(matching(r#"Title -startswith "abc ""#, &records), [2, 6]);
    assert_eq!(matching(r#"Title -contains "c  ""#, &records), [2]);
    assert_eq!(matching(r#"Title -notcontains " ""#, &records), [1, 3, 4]);
    // Enums too: a stored status with trailing spaces is read as its name.
    let stored = [rec(1, json!({"Status": "failed  "}))];
    assert_eq!(matching(r#"Status -eq "FAILED ""#, &stored), [1]);
}

#[test]
fn substring_operators_are_literal() {
    let records = titles(&[
        "50% off", "500", "a_c", "abc", "[abc]", "abc]", "a*c", "a.c", "",
    ]);
    assert_eq!(matching(r#"Title -contains "50%""#, &records), [1]);
    assert_eq!(matching(r#"Title -contains "%""#, &records), [1]);
    assert_eq!(matching(r#"Title -contains "a_c""#, &records), [3]);
    assert_eq!(matching(r#"Title -startswith "_""#, &records), NONE);
    assert_eq!(matching(r#"Title -startswith "[a""#, &records), [5]);
    assert_eq!(matching(r#"Title -endswith "c]""#, &records), [5, 6]);
    assert_eq!(matching(r#"Title -contains "[abc]""#, &records), [5]);
    assert_eq!(matching(r#"Title -contains "a*c""#, &records), [7]);
    assert_eq!(matching(r#"Title -contains "a.c""#, &records), [8]);
    assert_eq!(
        matching(r#"Title -notcontains "%""#, &records),
        [2, 3, 4, 5, 6, 7, 8, 9]
    );
}

#[test]
fn an_empty_value_matches_every_non_null_text() {
    let mut records = titles(&["x", "", "   ", "É"]);
    records.push(rec(5, json!({"Title": null})));
    records.push(rec(6, json!({})));
    for op in ["-contains", "-startswith", "-endswith"] {
        assert_eq!(
            matching(&format!(r#"Title {op} """#), &records),
            [1, 2, 3, 4],
            "{op}"
        );
    }
    assert_eq!(matching(r#"Title -notcontains """#, &records), NONE);
    assert_eq!(matching(r#"Title -eq """#, &records), [2, 3]);
    assert_eq!(matching(r#"Title -ne """#, &records), [1, 4]);
}

#[test]
fn a_null_field_matches_only_eq_null() {
    let guid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
    let records = [
        rec(1, json!({})),
        rec(
            2,
            json!({"Title": null, "StartDate": null, "DefinitionId": null,
            "InitiatingUserName": null, "WorkflowType": null, "LastModified": null}),
        ),
        rec(
            3,
            json!({"Title": "x", "StartDate": "2024-06-01T00:00:00Z", "DefinitionId": guid,
            "InitiatingUserName": "x", "WorkflowType": "x", "LastModified": "2024-06-01"}),
        ),
    ];
    let non_null: &[i64] = &[3];
    for query in [
        "Title -ne NULL",
        r#"Title -eq "x""#,
        r#"Title -ne "y""#,
        r#"Title -notcontains "y""#,
        r#"Title -contains "x""#,
        r#"InitiatingUserName -ne "y""#,
        r#"WorkflowType -notcontains "y""#,
        r#"StartDate -ne "2020-01-01""#,
        r#"StartDate -gt "0001-01-01""#,
        r#"StartDate -lt "9999-12-31""#,
        r#"LastModified -ne "2020-01-01T00:00:00Z""#,
        r#"LastModified -ge "0001-01-01""#,
        r#"DefinitionId -ne "00000000000000000000000000000000""#,
        &format!("DefinitionId -eq {guid}"),
    ] {
        assert_eq!(matching(query, &records), non_null, "{query}");
    }
    for field in [
        "Title",
        "StartDate",
        "DefinitionId",
        "InitiatingUserName",
        "WorkflowType",
        "LastModified",
    ] {
        assert_eq!(
            matching(&format!("{field} -eq NULL"), &records),
            [1, 2],
            "{field}"
        );
    }
    // A null never satisfies a comparison, so its negation does not hold either.
    assert_eq!(matching(r#"Title -ne "x" OR Title -eq "x""#, &records), [3]);
}

/// Records around the day 2024-06-01 in a +02:00 context: it runs from
/// 2024-05-31T22:00Z to 2024-06-01T22:00Z.
fn around_the_day() -> Vec<serde_json::Value> {
    [
        (1, "2024-05-31T21:59:59.999999999Z"),
        (2, "2024-06-01T00:00:00+02:00"),
        (3, "2024-06-01T23:59:59.999999999+02:00"),
        (4, "2024-06-01T22:00:00Z"),
    ]
    .into_iter()
    .map(|(id, d)| rec(id, json!({"StartDate": d, "LastModified": d})))
    .chain([rec(5, json!({}))])
    .collect()
}

#[test]
fn a_date_without_a_time_is_the_whole_day_in_the_context_zone() {
    let records = around_the_day();
    let east = Context::new(utc(2024, 6, 1, 12, 0, 0)).with_time_zone(zone(120));
    for field in ["StartDate", "LastModified"] {
        for date in ["2024-06-01", "6/1/2024"] {
            for (op, expected) in [
                ("-eq", &[2, 3][..]),
                ("-ne", &[1, 4]),
                ("-lt", &[1]),
                ("-le", &[1, 2, 3]),
                ("-gt", &[4]),
                ("-ge", &[2, 3, 4]),
            ] {
                let query = format!("{field} {op} {date}");
                assert_eq!(matching_in(&query, &east, &records), expected, "{query}");
            }
        }
    }
    // The same query in UTC means another day.
    assert_eq!(matching("StartDate -eq 2024-06-01", &records), [3, 4]);
    assert_eq!(matching("StartDate -lt 2024-06-01", &records), [1, 2]);
}

#[test]
fn a_value_with_a_time_compares_exactly() {
    let records: Vec<_> = [
        (1, "2024-06-01T09:59:59.999999999Z"),
        (2, "2024-06-01T10:00:00Z"),
        (3, "2024-06-01T10:00:00.000000001Z"),
    ]
    .into_iter()
    .map(|(id, d)| rec(id, json!({"StartDate": d})))
    .collect();
    for (op, expected) in [
        ("-eq", &[2][..]),
        ("-ne", &[1, 3]),
        ("-lt", &[1]),
        ("-le", &[1, 2]),
        ("-gt", &[3]),
        ("-ge", &[2, 3]),
    ] {
        for value in [
            "2024-06-01T10:00:00Z",
            "2024-06-01 10:00:00",
            "2024-06-01T12:00:00+02:00",
        ] {
            let query = format!("StartDate {op} \"{value}\"");
            assert_eq!(matching(&query, &records), expected, "{query}");
        }
    }
}

#[test]
fn fractions_beyond_nanoseconds_compare_exactly() {
    let records: Vec<_> = [
        (1, "2024-06-01T10:00:00Z"),
        (2, "2024-06-01T10:00:00.000000001Z"),
        (3, "2024-06-01T09:59:59.999999999Z"),
    ]
    .into_iter()
    .map(|(id, d)| rec(id, json!({"StartDate": d})))
    .collect();
    let value = "2024-06-01T10:00:00.0000000001";
    for (op, expected) in [
        ("-eq", &[][..]),
        ("-ne", &[1, 2, 3]),
        ("-lt", &[1, 3]),
        ("-le", &[1, 3]),
        ("-gt", &[2]),
        ("-ge", &[2]),
    ] {
        let query = format!("StartDate {op} \"{value}\"");
        assert_eq!(matching(&query, &records), expected, "{query}");
    }
    // Zeros past the ninth digit change nothing; a tail just below the next
    // nanosecond is still below it.
    assert_eq!(
        matching(
            r#"StartDate -eq "2024-06-01T10:00:00.0000000010000""#,
            &records
        ),
        [2]
    );
    assert_eq!(
        matching(
            r#"StartDate -lt "2024-06-01T10:00:00.0000000009999""#,
            &records
        ),
        [1, 3]
    );
    assert_eq!(
        matching(
            r#"StartDate -ge "2024-06-01T09:59:59.9999999999""#,
            &records
        ),
        [1, 2]
    );
}

#[test]
fn stored_values_without_offset_are_utc_and_query_values_are_in_the_context_zone() {
    let records = [
        rec(1, json!({"StartDate": "2024-06-01T10:00:00"})),
        rec(2, json!({"StartDate": "2024-06-01T10:00:00+02:00"})),
        rec(3, json!({"StartDate": "2024-06-01 10:00:00.5"})),
    ];
    let east = Context::new(utc(2024, 6, 1, 0, 0, 0)).with_time_zone(zone(120));
    assert_eq!(
        matching_in(r#"StartDate -eq "2024-06-01T10:00:00Z""#, &east, &records),
        [1]
    );
    assert_eq!(
        matching_in(r#"StartDate -eq "2024-06-01T12:00:00""#, &east, &records),
        [1]
    );
    assert_eq!(
        matching_in(r#"StartDate -eq "2024-06-01T10:00:00""#, &east, &records),
        [2]
    );
    assert_eq!(
        matching_in(r#"StartDate -eq "2024-06-01T10:00:00""#, &ctx(), &records),
        [1]
    );
    assert_eq!(
        matching_in(r#"StartDate -eq "2024-06-01T10:00:00.5z""#, &east, &records),
        [3]
    );
    // A stored date without a time is its UTC midnight.
    let day = [rec(1, json!({"StartDate": "2024-06-01"}))];
    assert_eq!(
        matching(r#"StartDate -eq "2024-06-01T00:00:00Z""#, &day),
        [1]
    );
    assert_eq!(matching_in("StartDate -eq 2024-05-31", &east, &day), NONE);
    assert_eq!(matching_in("StartDate -eq 2024-06-01", &east, &day), [1]);
}

#[test]
fn guids_compare_as_128_bit_values() {
    let records = [
        rec(1, json!({"Id": "{3F2504E0-4F89-11D3-9A0C-0305E82C3301}"})),
        rec(2, json!({"Id": "3f2504e04f8911d39a0c0305e82c3302"})),
    ];
    assert_eq!(
        matching("Id -eq 3f2504e0-4f89-11d3-9a0c-0305e82c3301", &records),
        [1]
    );
    assert_eq!(
        matching("Id -eq {3F2504E0-4F89-11D3-9A0C-0305E82C3302}", &records),
        [2]
    );
    assert_eq!(
        matching(r#"Id -ne "3F2504E04F8911D39A0C0305E82C3301""#, &records),
        [2]
    );
}

#[test]
fn definition_id_and_workflow_type_fall_back_to_definition() {
    let (a, b) = (
        "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
        "3f2504e0-4f89-11d3-9a0c-0305e82c3302",
    );
    let records = [
        rec(
            1,
            json!({"Definition": {"Id": a, "WorkflowType": "Enrollment"}}),
        ),
        rec(
            2,
            json!({"DefinitionId": null, "WorkflowType": null,
            "Definition": {"Id": a, "WorkflowType": "Enrollment"}}),
        ),
        rec(
            3,
            json!({"DefinitionId": b, "WorkflowType": "Revocation",
            "Definition": {"Id": a, "WorkflowType": "Enrollment"}}),
        ),
        rec(4, json!({"Definition": {"DisplayName": "x", "Version": 2}})),
        rec(5, json!({"Definition": null})),
        rec(6, json!({"DefinitionId": a, "WorkflowType": "Enrollment"})),
    ];
    assert_eq!(
        matching(&format!("DefinitionId -eq {a}"), &records),
        [1, 2, 6]
    );
    assert_eq!(matching(&format!("DefinitionId -eq {b}"), &records), [3]);
    assert_eq!(matching("WorkflowType -eq enrollment", &records), [1, 2, 6]);
    assert_eq!(matching("WorkflowType -eq Revocation", &records), [3]);
    assert_eq!(matching("DefinitionId -eq NULL", &records), [4, 5]);
    assert_eq!(matching("WorkflowType -eq NULL", &records), [4, 5]);
}

#[test]
fn typed_records_built_directly_and_through_serde_agree() {
    let value = rec(
        7,
        json!({"Title": "x", "StartDate": "2024-06-01T10:00:00Z",
        "Definition": {"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "WorkflowType": "Enrollment"}}),
    );
    let via_serde: kfql::keyfactor::WorkflowInstance =
        serde_json::from_value(value.clone()).unwrap();
    assert_eq!(via_serde, typed(&value));
    let filter = compile_ok(
        "Title -eq X AND StartDate -eq %TODAY% AND WorkflowType -eq enrollment \
         AND DefinitionId -eq 3F2504E0-4F89-11D3-9A0C-0305E82C3301",
        &ctx(),
    );
    assert!(filter.matches(&via_serde));
    assert!(filter.matches(&value));
}
