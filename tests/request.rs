//! `keyfactor::Request`: Keyfactor's five request parameters as a service
//! receives them — every spelling, the defaults, duplicates, bad values,
//! the cap — compiled into one filter, sort and page.

use chrono::{DateTime, TimeZone, Utc};
use kfql::keyfactor::{self, Parameter, Plan, Request, WorkflowInstance};
use kfql::{Context, Direction, Error, ErrorKind, Page, Sort};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap()
}

fn ctx() -> Context {
    Context::new(now()).with_user(r"KEYEXAMPLE\jsmith")
}

fn records() -> Vec<WorkflowInstance> {
    keyfactor::sample(400, now(), 3)
}

fn plan(pairs: &[(&str, &str)]) -> Result<Plan, Error> {
    Request::from_pairs(pairs.iter().copied())?.compile(&keyfactor::schema(), &ctx())
}

fn error(pairs: &[(&str, &str)]) -> Error {
    plan(pairs).expect_err("an error")
}

#[test]
fn defaults_are_every_record_page_1_of_50_by_current_step_ascending() {
    let schema = keyfactor::schema();
    for pairs in [
        &[][..],
        &[("Unrelated", "x")][..],
        &[("QueryString", "")][..],
        &[("QueryString", " \t ")][..],
    ] {
        let plan = plan(pairs).unwrap();
        assert_eq!(plan.page, Page::new(1, 50).unwrap());
        assert_eq!(plan.sort, Sort::default_for(&schema));
        assert_eq!(plan.sort.field().name(), "CurrentStepDisplayName");
        assert_eq!(plan.sort.direction(), Direction::Ascending);
        let page = plan.page(records()).unwrap();
        assert_eq!(page.total, 400);
        assert_eq!(page.records.len(), 50);
    }
    let request = Request::new();
    assert_eq!(request.query_string(), "");
    assert_eq!(request.get(Parameter::SortField), None);
}

#[test]
fn every_spelling_names_the_same_parameter() {
    for (parameter, names) in [
        (
            Parameter::QueryString,
            [
                "QueryString",
                "queryString",
                "querystring",
                "QUERYSTRING",
                "pq.QueryString",
                "pq.queryString",
                "PQ.querystring",
                "Pq.QueryString",
            ],
        ),
        (
            Parameter::PageReturned,
            [
                "PageReturned",
                "pageReturned",
                "pagereturned",
                "PAGERETURNED",
                "pq.PageReturned",
                "pq.pageReturned",
                "PQ.pagereturned",
                "pQ.PageReturned",
            ],
        ),
        (
            Parameter::ReturnLimit,
            [
                "ReturnLimit",
                "returnLimit",
                "returnlimit",
                "RETURNLIMIT",
                "pq.ReturnLimit",
                "pq.returnLimit",
                "PQ.returnlimit",
                "Pq.ReturnLimit",
            ],
        ),
        (
            Parameter::SortField,
            [
                "SortField",
                "sortField",
                "sortfield",
                "SORTFIELD",
                "pq.SortField",
                "pq.sortField",
                "PQ.sortfield",
                "Pq.SortField",
            ],
        ),
        (
            Parameter::SortAscending,
            [
                "SortAscending",
                "sortAscending",
                "sortascending",
                "SORTASCENDING",
                "pq.SortAscending",
                "pq.sortAscending",
                "PQ.sortascending",
                "Pq.SortAscending",
            ],
        ),
    ] {
        for name in names {
            assert_eq!(Parameter::from_name(name), Some(parameter), "{name}");
            let mut request = Request::new();
            assert_eq!(request.add(name, "1"), Ok(Some(parameter)));
            assert_eq!(request.get(parameter), Some("1"));
        }
    }
    for name in [
        "pq.",
        "pq",
        "Query",
        "pq.pq.QueryString",
        "pq_QueryString",
        "QueryString ",
        "Query String",
        "Sort",
        "ReturnLimits",
        "",
        "é",
    ] {
        assert_eq!(Parameter::from_name(name), None, "{name:?}");
    }
}

#[test]
fn each_parameter_does_what_it_says() {
    let plan = plan(&[
        ("pq.queryString", r#"Status -eq "Failed""#),
        ("pageReturned", "+2"),
        ("returnlimit", "7"),
        ("SORTFIELD", "startdate"),
        ("pq.SortAscending", "1"),
    ])
    .unwrap();
    assert_eq!(plan.page, Page::new(2, 7).unwrap());
    assert_eq!(
        plan.sort,
        Sort::new(&keyfactor::schema(), "StartDate", Direction::Descending).unwrap()
    );
    let records = records();
    let failed: Vec<&WorkflowInstance> = records
        .iter()
        .filter(|r| r.status == keyfactor::Status::Failed)
        .collect();
    let page = plan.page(&records).unwrap();
    assert_eq!(page.total, failed.len() as u64);
    assert_eq!(page.records.len(), 7);
    let expected = kfql::compile(r#"Status -eq "Failed""#, &keyfactor::schema(), &ctx())
        .unwrap()
        .page(&records, &plan.sort, Page::new(2, 7).unwrap())
        .unwrap();
    assert_eq!(page, expected);
    // SortAscending 0 is ascending; an empty SortField is the default field.
    let plan2 = self::plan(&[("SortAscending", "0"), ("SortField", "")]).unwrap();
    assert_eq!(plan2.sort, Sort::default_for(&keyfactor::schema()));
    let plan3 = self::plan(&[("SortAscending", "1"), ("SortField", "  ")]).unwrap();
    assert_eq!(
        plan3.sort,
        Sort::default_for(&keyfactor::schema()).with_direction(Direction::Descending)
    );
}

#[test]
fn a_parameter_twice_in_any_spelling_is_an_error_naming_both() {
    for (a, b) in [
        ("QueryString", "QueryString"),
        ("QueryString", "pq.queryString"),
        ("pageReturned", "PAGERETURNED"),
        ("pq.ReturnLimit", "returnLimit"),
        ("SortField", "pq.sortfield"),
        ("sortAscending", "SortAscending"),
    ] {
        let err = Request::from_pairs([(a, "1"), ("Other", "x"), (b, "1")]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::DuplicateParameter);
        let parameter = Parameter::from_name(a).unwrap();
        assert_eq!(
            err.message(),
            format!("{parameter} is given twice, as `{a}` and `{b}`")
        );
        assert_eq!(err.suggestion(), Some("give it once"));
        assert_eq!(err.kind().http_status(), 400);
    }
    // Unknown names may repeat: they are ignored.
    assert!(Request::from_pairs([("x", "1"), ("x", "2")]).is_ok());
}

#[test]
fn sort_ascending_is_0_or_1_and_nothing_else() {
    for value in [
        "true", "false", "2", "", "-0", "+0", "00", "01", " 1", "1 ", "-1", "yes", "asc", "１",
    ] {
        let err = error(&[("sortAscending", value)]);
        assert_eq!(err.kind(), ErrorKind::InvalidSortDirection, "{value:?}");
        let shown = if value.is_empty() {
            "sortAscending (empty)".to_owned()
        } else {
            format!("sortAscending `{value}`")
        };
        assert_eq!(err.message(), format!("{shown} is not 0 or 1"));
        assert_eq!(err.suggestion(), Some("0 sorts ascending, 1 descending"));
    }
}

#[test]
fn page_and_limit_edges() {
    let max = i64::MAX.to_string();
    for (page, limit) in [
        ("1", "1"),
        ("+1", "+1"),
        (max.as_str(), max.as_str()),
        ("0001", "050"),
    ] {
        let plan = plan(&[("PageReturned", page), ("ReturnLimit", limit)]).unwrap();
        assert_eq!(
            plan.page.number(),
            page.trim_start_matches('+').parse::<u64>().unwrap()
        );
    }
    let past = (i64::MAX as u64 + 1).to_string();
    let huge = "9".repeat(100);
    for bad in [
        "0",
        "+0",
        "-1",
        "",
        "+",
        "1.0",
        "1e3",
        " 1",
        "ten",
        past.as_str(),
        huge.as_str(),
        "٣",
    ] {
        for (name, kind) in [
            ("pageReturned", ErrorKind::InvalidPage),
            ("pq.ReturnLimit", ErrorKind::InvalidLimit),
        ] {
            let err = error(&[(name, bad)]);
            assert_eq!(err.kind(), kind, "{bad:?}");
            assert!(err.message().starts_with(name), "{}", err.message());
            assert!(
                err.message()
                    .ends_with("is not a whole number from 1 to 9223372036854775807"),
                "{}",
                err.message()
            );
            // The value is quoted, cut short.
            assert!(err.message().len() < 160, "{}", err.message());
        }
    }
    assert!(
        error(&[("ReturnLimit", &huge)])
            .message()
            .contains(&format!("`{}…`", &huge[..60]))
    );
    // Past the end: an empty page, with the total.
    let page = plan(&[("PageReturned", &max), ("ReturnLimit", &max)])
        .unwrap()
        .page(records())
        .unwrap();
    assert_eq!((page.records.len(), page.total), (0, 400));
}

#[test]
fn a_service_caps_return_limit_and_the_error_names_the_cap() {
    let schema = keyfactor::schema();
    let capped = |limit: &str| {
        Request::from_pairs([("returnLimit", limit)])
            .unwrap()
            .max_return_limit(10_000)
            .compile(&schema, &ctx())
    };
    assert_eq!(capped("10000").unwrap().page.limit(), 10_000);
    let err = capped("10001").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidLimit);
    assert_eq!(
        err.message(),
        "returnLimit `10001` is more than the 10000 records a page may hold here"
    );
    assert_eq!(
        err.suggestion(),
        Some("ask for at most 10000 and page through the rest")
    );
    // No limit given: the default 50, under any cap of at least 50.
    let plan = Request::new()
        .max_return_limit(50)
        .compile(&schema, &ctx())
        .unwrap();
    assert_eq!(plan.page.limit(), 50);
    // Without a cap, any valid limit.
    assert_eq!(
        Request::from_pairs([("ReturnLimit", "1000000")])
            .unwrap()
            .compile(&schema, &ctx())
            .unwrap()
            .page
            .limit(),
        1_000_000
    );
}

#[test]
fn query_errors_carry_the_text_for_the_caret() {
    let err = error(&[
        (
            "pq.queryString",
            r#"Status -eq "Failed" AND StartDat -ge "%TODAY-30%""#,
        ),
        ("SortAscending", "2"),
    ]);
    // The query comes first.
    assert_eq!(err.kind(), ErrorKind::UnknownField);
    assert_eq!(
        err.input(),
        Some(r#"Status -eq "Failed" AND StartDat -ge "%TODAY-30%""#)
    );
    assert!(
        err.render()
            .contains("StartDat -ge \"%TODAY-30%\"\n  |                         ^^^^^^^^"),
        "{}",
        err.render()
    );
    let err = error(&[("QueryString", "Status -eq")]);
    assert_eq!(err.kind(), ErrorKind::MissingValue);
    assert_eq!(err.input(), Some("Status -eq"));
    let no_user = Request::from_pairs([("QueryString", "InitiatingUserName -eq %ME%")])
        .unwrap()
        .compile(&keyfactor::schema(), &Context::new(now()))
        .unwrap_err();
    assert_eq!(no_user.kind(), ErrorKind::MissingUser);
    assert_eq!(no_user.input(), Some("InitiatingUserName -eq %ME%"));
    // The parser's limits apply.
    let tight = kfql::Parser::new().limits(kfql::Limits {
        max_comparisons: 1,
        ..kfql::Limits::default()
    });
    let err = Request::from_pairs([("QueryString", "ReferenceId -eq 1 OR ReferenceId -eq 2")])
        .unwrap()
        .parser(tight)
        .compile(&keyfactor::schema(), &ctx())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyComparisons);
}

#[test]
fn sort_field_errors_name_the_parameter_and_suggest() {
    let err = error(&[("sortField", "Titel")]);
    assert_eq!(err.kind(), ErrorKind::UnknownSortField);
    assert!(
        err.message().starts_with("sortField: `Titel`"),
        "{}",
        err.message()
    );
    assert_eq!(err.suggestion(), Some("did you mean `Title`?"));
    let err = error(&[("SortField", "Definition")]);
    assert_eq!(err.kind(), ErrorKind::FieldNotSortable);
    assert!(
        err.message().starts_with("SortField: "),
        "{}",
        err.message()
    );
    let long = "x".repeat(10_000);
    let err = error(&[("SortField", &long)]);
    assert_eq!(err.kind(), ErrorKind::UnknownSortField);
    assert!(err.message().len() < 200, "{}", err.message());
}

#[test]
fn parameters_are_checked_in_a_fixed_order() {
    let bad = [
        ("ReturnLimit", "0"),
        ("PageReturned", "0"),
        ("SortAscending", "x"),
        ("SortField", "Nope"),
        ("QueryString", "Status -eq"),
    ];
    let mut kinds = Vec::new();
    for n in 0..bad.len() {
        kinds.push(error(&bad[..bad.len() - n]).kind());
    }
    assert_eq!(
        kinds,
        [
            ErrorKind::MissingValue,
            ErrorKind::UnknownSortField,
            ErrorKind::InvalidSortDirection,
            ErrorKind::InvalidPage,
            ErrorKind::InvalidLimit
        ]
    );
}

#[test]
fn add_as_names_the_caller_s_own_spelling() {
    let mut request = Request::new();
    request
        .add_as(Parameter::PageReturned, "--page", "0")
        .unwrap();
    request
        .add_as(Parameter::SortAscending, "--desc", "1")
        .unwrap();
    let err = request.compile(&keyfactor::schema(), &ctx()).unwrap_err();
    assert_eq!(
        err.message(),
        "--page `0` is not a whole number from 1 to 9223372036854775807"
    );
    let err = request.add("pq.pageReturned", "2").unwrap_err();
    assert_eq!(
        err.message(),
        "PageReturned is given twice, as `--page` and `pq.pageReturned`"
    );
    // Tickets: the same request over another schema.
    let plan = Request::from_pairs([("SortAscending", "1")])
        .unwrap()
        .compile(&kfql::venafi::schema(), &ctx())
        .unwrap();
    assert_eq!(plan.sort.field().name(), "Created");
}
