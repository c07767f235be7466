//! docs/LANGUAGE.md, “Sorting and paging”: sort fields, the order of each type, nulls, tie-breaking,
//! page arithmetic and totals.

use kfql::keyfactor::{self, WorkflowInstance};
use kfql::{Context, Direction, ErrorKind, FieldType, Page, Pager, Schema, Sort};
use serde_json::json;

use crate::common::*;

/// The positions in `records` of one page of `query`'s matches sorted by
/// `field`, and the total; typed and JSON records must give the same.
fn page_of(
    records: &[serde_json::Value],
    query: &str,
    sort: &Sort,
    page: Page,
) -> (Vec<usize>, u64) {
    let filter = compile_ok(query, &ctx());
    let typed: Vec<WorkflowInstance> = records.iter().map(typed).collect();
    let by_type = filter
        .page(&typed, sort, page)
        .expect("sort and filter share a schema");
    let by_json = filter
        .page(records, sort, page)
        .expect("sort and filter share a schema");
    let at = |r: &WorkflowInstance| typed.iter().position(|x| std::ptr::eq(x, r)).unwrap();
    let at_json = |r: &serde_json::Value| records.iter().position(|x| std::ptr::eq(x, r)).unwrap();
    let positions: Vec<usize> = by_type.records.iter().map(|r| at(r)).collect();
    let json_positions: Vec<usize> = by_json.records.iter().map(|r| at_json(r)).collect();
    assert_eq!(positions, json_positions, "typed vs JSON order");
    assert_eq!(by_type.total, by_json.total);
    assert_eq!(by_type.page, page);
    (positions, by_type.total)
}

/// Every match of `records` sorted by `field`, as positions.
fn sorted(records: &[serde_json::Value], field: &str, descending: bool) -> Vec<usize> {
    let sort = Sort::new(
        &keyfactor::schema(),
        field,
        Direction::descending_if(descending),
    )
    .unwrap();
    page_of(records, "", &sort, Page::new(1, 1000).unwrap()).0
}

#[test]
fn sort_fields_ignore_case_and_every_field_but_definition_sorts() {
    let schema = keyfactor::schema();
    let sort = Sort::new(&schema, "startdate", Direction::Descending).unwrap();
    assert_eq!(sort.field().name(), "StartDate");
    assert!(sort.is_descending());
    assert_eq!(
        Sort::new(&schema, "REFERENCEID", Direction::Ascending)
            .unwrap()
            .field()
            .name(),
        "ReferenceId"
    );
    for field in schema.fields().iter().filter(|f| f.name() != "Definition") {
        let sort = Sort::new(&schema, field.name(), Direction::Ascending).unwrap();
        assert_eq!(sort.field().name(), field.name());
    }
}

#[test]
fn unknown_and_unsortable_sort_fields_are_errors_with_suggestions() {
    let schema = keyfactor::schema();
    let err = Sort::new(&schema, "StartDat", Direction::Ascending).unwrap_err();
    check_error("", &err);
    assert_eq!(err.kind(), ErrorKind::UnknownSortField);
    assert_eq!(err.suggestion(), Some("did you mean `StartDate`?"));
    let err = Sort::new(&schema, "Zebra", Direction::Ascending).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownSortField);
    assert!(err.suggestion().unwrap().contains("CurrentStepDisplayName"));
    assert!(!err.suggestion().unwrap().contains("Definition,"));
    for name in ["Definition", "definition"] {
        let err = Sort::new(&schema, name, Direction::Ascending).unwrap_err();
        check_error("", &err);
        assert_eq!(err.kind(), ErrorKind::FieldNotSortable);
        assert!(err.suggestion().unwrap().contains("DefinitionId"));
    }
}

#[test]
fn the_default_sort_is_current_step_display_name_ascending() {
    let schema = keyfactor::schema();
    let sort = Sort::default_for(&schema);
    assert_eq!(sort.field().name(), "CurrentStepDisplayName");
    assert!(!sort.is_descending());
    let records = [
        rec(1, json!({"CurrentStepDisplayName": "b"})),
        rec(2, json!({"CurrentStepDisplayName": "A"})),
        rec(3, json!({})),
    ];
    assert_eq!(page_of(&records, "", &sort, Page::default()).0, [2, 1, 0]);
}

#[test]
fn strings_sort_by_folded_text_without_trailing_spaces() {
    let records = [
        rec(1, json!({"Title": "b"})),
        rec(9, json!({"Title": "abc "})),
        rec(3, json!({"Title": "ABC"})),
        rec(4, json!({"Title": "a"})),
        rec(5, json!({"Title": "É"})),
        rec(6, json!({"Title": "z"})),
        rec(7, json!({})),
        rec(8, json!({"Title": "abc\t"})),
    ];
    // "abc " and "ABC" tie and fall back to ReferenceId (3 before 9);
    // "abc\t" keeps its tab; é (U+00E9) sorts after z.
    assert_eq!(sorted(&records, "Title", false), [6, 3, 2, 1, 7, 0, 5, 4]);
    assert_eq!(sorted(&records, "Title", true), [4, 5, 0, 7, 2, 1, 3, 6]);
}

#[test]
fn strings_sort_by_their_full_lower_case_mapping() {
    let records = [
        rec(1, json!({"Title": "kc"})),
        rec(2, json!({"Title": "\u{212A}b"})),
        rec(3, json!({"Title": "KA"})),
        rec(4, json!({"Title": "ΟΔΟΣ"})),
        rec(5, json!({"Title": "οδοσ"})),
    ];
    // KELVIN SIGN sorts as k; final ς (U+03C2) sorts before σ (U+03C3).
    assert_eq!(sorted(&records, "Title", false), [2, 1, 0, 3, 4]);
}

#[test]
fn nulls_come_first_ascending_and_last_descending() {
    let records = [
        rec(1, json!({"StartDate": "2024-06-01T10:00:00Z"})),
        rec(2, json!({})),
        rec(3, json!({"StartDate": "2024-06-01T09:00:00Z"})),
        rec(4, json!({"StartDate": null})),
    ];
    assert_eq!(sorted(&records, "StartDate", false), [1, 3, 2, 0]);
    assert_eq!(sorted(&records, "StartDate", true), [0, 2, 1, 3]);
}

#[test]
fn ties_break_by_reference_id_ascending_then_input_order() {
    let records = [
        rec(
            5,
            json!({"Title": "same", "Id": "00000000-0000-0000-0000-00000000000a"}),
        ),
        rec(2, json!({"Title": "SAME"})),
        rec(
            5,
            json!({"Title": "same ", "Id": "00000000-0000-0000-0000-00000000000b"}),
        ),
        rec(1, json!({"Title": "other"})),
        rec(
            5,
            json!({"Title": "Same", "Id": "00000000-0000-0000-0000-000000000001"}),
        ),
    ];
    assert_eq!(sorted(&records, "Title", false), [3, 1, 0, 2, 4]);
    assert_eq!(sorted(&records, "Title", true), [1, 0, 2, 4, 3]);
    // Limit 1 pages never overlap or skip, whatever the direction.
    for descending in [false, true] {
        let sort = Sort::new(
            &keyfactor::schema(),
            "Title",
            Direction::descending_if(descending),
        )
        .unwrap();
        let one_by_one: Vec<usize> = (1..=5)
            .flat_map(|p| page_of(&records, "", &sort, Page::new(p, 1).unwrap()).0)
            .collect();
        assert_eq!(one_by_one, sorted(&records, "Title", descending));
    }
}

#[test]
fn each_type_sorts_by_its_value() {
    let ids = [
        "{FFFFFFFF-0000-0000-0000-000000000000}",
        "0000000000000000000000000000000a",
        "a0000000-0000-0000-0000-000000000000",
        "00000000-0000-0000-0000-00000000000B",
    ];
    let records: Vec<_> = (1..)
        .zip(ids)
        .map(|(n, id)| rec(n, json!({"Id": id})))
        .collect();
    assert_eq!(sorted(&records, "Id", false), [1, 3, 2, 0]);
    let records = [
        rec(10, json!({})),
        rec(-3, json!({})),
        rec(2, json!({})),
        rec(i64::MIN, json!({})),
    ];
    assert_eq!(sorted(&records, "ReferenceId", false), [3, 1, 2, 0]);
    assert_eq!(sorted(&records, "ReferenceId", true), [0, 2, 1, 3]);
    let records = [
        rec(1, json!({"LastModified": "2024-06-01T09:00:00Z"})),
        rec(2, json!({"LastModified": "2024-06-01T10:00:00+02:00"})),
        rec(3, json!({"LastModified": "2024-06-01T08:00:00.000000001Z"})),
    ];
    assert_eq!(sorted(&records, "LastModified", false), [1, 2, 0]);
    let statuses = [
        "Suspended",
        "Complete",
        "running",
        "CanceledForRestart",
        "Failed",
        "Rejected",
    ];
    let records: Vec<_> = (1..)
        .zip(statuses)
        .map(|(n, s)| rec(n, json!({"Status": s})))
        .collect();
    assert_eq!(sorted(&records, "Status", false), [3, 1, 4, 5, 2, 0]);
}

#[test]
fn enums_sort_by_their_lower_cased_names_not_declaration_order() {
    let schema = Schema::builder("things")
        .field("N", FieldType::Integer)
        .field(
            "Kind",
            FieldType::enumeration(["zeta", "Alpha", "beta", "Gamma"]),
        )
        .field("Flag", FieldType::Boolean)
        .key("N")
        .build()
        .unwrap();
    let records = [
        json!({"N": 1, "Kind": "zeta", "Flag": true}),
        json!({"N": 2, "Kind": "ALPHA", "Flag": false}),
        json!({"N": 3, "Kind": "Gamma"}),
        json!({"N": 4, "Kind": "beta ", "Flag": true}),
    ];
    let filter = kfql::compile("", &schema, &Context::new(utc(2024, 1, 1, 0, 0, 0))).unwrap();
    let order = |field: &str, descending: bool| -> Vec<i64> {
        let sort = Sort::new(&schema, field, Direction::descending_if(descending)).unwrap();
        let page = filter
            .page(&records, &sort, Page::default())
            .expect("sort and filter share a schema");
        page.records
            .iter()
            .map(|r| r["N"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(order("kind", false), [2, 4, 3, 1]);
    assert_eq!(order("kind", true), [1, 3, 4, 2]);
    assert_eq!(order("Flag", false), [3, 2, 1, 4]);
}

#[test]
fn pages_cut_the_sorted_matches() {
    let records: Vec<_> = (1..=9)
        .map(|n| {
            rec(
                n,
                json!({"Title": if n % 4 == 0 { "skip" } else { "keep" }}),
            )
        })
        .collect();
    let sort = Sort::new(&keyfactor::schema(), "ReferenceId", Direction::Ascending).unwrap();
    let query = "Title -eq keep";
    let page = |p, l| page_of(&records, query, &sort, Page::new(p, l).unwrap());
    // 7 matches (4 and 8 are skipped): pages of 3 are 3, 3, 1, then empty.
    assert_eq!(page(1, 3), (vec![0, 1, 2], 7));
    assert_eq!(page(2, 3), (vec![4, 5, 6], 7));
    assert_eq!(page(3, 3), (vec![8], 7));
    assert_eq!(page(4, 3), (vec![], 7));
    assert_eq!(page(1000, 3), (vec![], 7));
    assert_eq!(page(1, 100), (vec![0, 1, 2, 4, 5, 6, 8], 7));
    assert_eq!(page(1, 7), (vec![0, 1, 2, 4, 5, 6, 8], 7));
    assert_eq!(page(2, 7), (vec![], 7));
    let max = i64::MAX as u64;
    assert_eq!(page(1, max), (vec![0, 1, 2, 4, 5, 6, 8], 7));
    assert_eq!(page(max, max), (vec![], 7));
    assert_eq!(page(max, 1), (vec![], 7));
    assert_eq!(page(2, max), (vec![], 7));
    // No matches: an empty first page with a total of 0.
    assert_eq!(
        page_of(&records, "Title -eq none", &sort, Page::default()),
        (vec![], 0)
    );
}

#[test]
fn the_pager_gives_what_filter_page_gives() {
    let records: Vec<WorkflowInstance> = (1..=20)
        .map(|n| typed(&rec((n * 7) % 11, json!({"Title": format!("t{}", n % 3)}))))
        .collect();
    let schema = keyfactor::schema();
    let filter = compile_ok("", &ctx());
    for descending in [false, true] {
        let sort = Sort::new(&schema, "Title", Direction::descending_if(descending)).unwrap();
        for (p, l) in [(1, 3), (2, 3), (7, 3), (8, 3), (1, 20), (3, 9)] {
            let page = Page::new(p, l).unwrap();
            let mut pager = Pager::new(sort.clone(), page);
            for r in &records {
                pager.push(r);
            }
            assert_eq!(pager.total(), 20);
            let by_pager: Vec<*const WorkflowInstance> = pager
                .finish()
                .records
                .into_iter()
                .map(|r| r as *const _)
                .collect();
            let by_filter: Vec<*const WorkflowInstance> = filter
                .page(&records, &sort, page)
                .expect("sort and filter share a schema")
                .records
                .into_iter()
                .map(|r| r as *const _)
                .collect();
            assert_eq!(by_pager, by_filter, "page {p} of {l}");
        }
    }
}

#[test]
fn page_numbers_and_limits_run_from_1_to_2_pow_63_minus_1() {
    let max = i64::MAX as u64;
    assert_eq!(Page::default(), Page::new(1, 50).unwrap());
    let page = Page::new(max, max).unwrap();
    assert_eq!((page.number(), page.limit()), (max, max));
    assert_eq!(Page::new(0, 1).unwrap_err().kind(), ErrorKind::InvalidPage);
    assert_eq!(
        Page::new(max + 1, 1).unwrap_err().kind(),
        ErrorKind::InvalidPage
    );
    assert_eq!(
        Page::new(u64::MAX, 1).unwrap_err().kind(),
        ErrorKind::InvalidPage
    );
    assert_eq!(Page::new(1, 0).unwrap_err().kind(), ErrorKind::InvalidLimit);
    assert_eq!(
        Page::new(1, max + 1).unwrap_err().kind(),
        ErrorKind::InvalidLimit
    );
    let parsed = |p: &str, l: &str| {
        let page = Page::parse(Some(p), Some(l)).unwrap();
        (page.number(), page.limit())
    };
    assert_eq!(parsed("+3", "+7"), (3, 7));
    assert_eq!(
        parsed("9223372036854775807", "9223372036854775807"),
        (max, max)
    );
    assert_eq!(parsed("007", "1"), (7, 1));
    let defaults = Page::parse(None, None).unwrap();
    assert_eq!((defaults.number(), defaults.limit()), (1, 50));
    for bad in [
        "0",
        "+0",
        "-1",
        "-0",
        "",
        "+",
        "++1",
        "abc",
        "1.0",
        " 1",
        "1 ",
        "1e3",
        "0x10",
        "٣",
        "9223372036854775808",
        "18446744073709551616",
        "99999999999999999999999999",
    ] {
        let err = Page::parse(Some(bad), None).unwrap_err();
        check_error("", &err);
        assert_eq!(err.kind(), ErrorKind::InvalidPage, "{bad:?}");
        let err = Page::parse(None, Some(bad)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidLimit, "{bad:?}");
    }
}

/// A sort resolved against another schema is refused, never read by
/// position (it used to sort by whatever field had the same index, or
/// panic past the end of the smaller schema).
#[test]
fn a_sort_of_another_schema_is_an_error() {
    let instances = keyfactor::schema();
    let tickets = kfql::venafi::schema();
    let filter = kfql::compile("", &instances, &ctx()).unwrap();
    let foreign = Sort::new(&tickets, "Created", Direction::Descending).unwrap();
    let records = keyfactor::sample(
        20,
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2024, 7, 1, 0, 0, 0).unwrap(),
        3,
    );
    let err = filter
        .page(&records, &foreign, Page::default())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SchemaMismatch);
    assert_eq!(err.kind().http_status(), 500);
    let err = kfql::Scan::new()
        .page::<keyfactor::WorkflowInstance>(&b""[..], &filter, &foreign, Page::default())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SchemaMismatch);
    // Built from the filter, the sort always fits.
    let sort = filter.sort("startdate", Direction::Descending).unwrap();
    assert_eq!(sort.schema(), &instances);
    assert_eq!(
        filter.page(&records, &sort, Page::default()).unwrap().total,
        20
    );
}
