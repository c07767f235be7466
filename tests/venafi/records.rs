//! The JSON types' round trips, ticket creation, ticket records read from
//! JSON, and queries over them (list-valued Approvers included).

use chrono::{TimeZone, Utc};
use kfql::venafi::{
    self, CreateRequest, CreateResponse, ErrorBody, ResultCode, TicketStatus, WorkflowTicket,
};
use kfql::{Direction, ErrorKind, Guid, Page, Sort};
use serde_json::{Value, json};

use crate::{GUID_A, ctx, now, parse, request_with};

fn guid(n: u128) -> Guid {
    Guid(0x4000_8000_0000_0000_0000 | n)
}

fn ticket(n: u128, status: TicketStatus, approvers: &[&str], day: u32) -> WorkflowTicket {
    WorkflowTicket {
        guid: guid(n),
        object_dn: Some(format!(r"\VED\Policy\Certificates\web{n:02}.example.com")),
        workflow_dn: Some(r"\VED\Policy\Workflows\Approval".into()),
        approvers: approvers.iter().map(|s| (*s).to_owned()).collect(),
        reason: Some(n as i64),
        user_data: None,
        status,
        created: Some(Utc.with_ymd_and_hms(2024, 5, day, 9, 0, 0).unwrap()),
        updated: None,
    }
}

#[test]
fn a_valid_request_becomes_a_pending_ticket_at_the_context_clock() {
    let body = format!(
        r#"{{"ObjectDN": "\\VED\\Policy\\Certificates\\web01.example.com",
            "WorkflowDN": "\\VED\\Policy\\Workflows\\Approval", "Reason": "12", "UserData": null,
            "Approvers": ["local:{GUID_A}", {{"Prefix": "AD+corp", "Name": "jsmith"}},
                          {{"Prefix": "local", "Universal": "{GUID_A}"}}, "AD+corp:jsmith"]}}"#
    );
    let request = parse(body.as_bytes()).expect("valid");
    let ticket = venafi::create_ticket(&request, &ctx(), guid(1)).expect("created");
    assert_eq!(
        serde_json::to_value(&ticket).unwrap(),
        json!({
            "GUID": "{00000000-0000-4000-8000-000000000001}",
            "ObjectDN": r"\VED\Policy\Certificates\web01.example.com",
            "WorkflowDN": r"\VED\Policy\Workflows\Approval",
            "Approvers": [format!("local:{GUID_A}"), "AD+corp:jsmith", format!("local:{GUID_A}"), "AD+corp:jsmith"],
            "Reason": 12,
            "UserData": null,
            "Status": "Pending",
            "Created": "2024-06-01T12:00:00Z",
            "Updated": "2024-06-01T12:00:00Z",
        })
    );
    let bare = parse(request_with(r#""AD+corp:a""#).as_bytes()).expect("valid");
    let t = venafi::create_ticket(&bare, &ctx(), guid(2)).expect("created");
    assert_eq!((t.reason, t.user_data), (None, None));
    assert_eq!(t.approvers, ["AD+corp:a"]);
}

#[test]
fn create_refuses_an_invalid_request_built_in_code() {
    let mut request = parse(request_with(r#""AD+corp:a""#).as_bytes()).expect("valid");
    request.workflow_dn = r"\VED\Policy".into();
    let err = venafi::create_ticket(&request, &ctx(), guid(1)).expect_err("refused");
    assert_eq!(err.problems()[0].field, "WorkflowDN");
    assert!(WorkflowTicket::create(&request, &ctx()).is_err());
}

#[test]
fn fresh_guids_are_random_version_4_and_print_braced_lower_case() {
    let request = parse(request_with(r#""AD+corp:a""#).as_bytes()).expect("valid");
    let a = WorkflowTicket::create(&request, &ctx()).expect("created");
    let b = WorkflowTicket::create(&request, &ctx()).expect("created");
    assert_ne!(a.guid, b.guid);
    for g in (0..100).map(|_| venafi::fresh_guid()).chain([a.guid]) {
        let text = format!("{{{g}}}");
        assert_eq!(text.len(), 38);
        assert_eq!(&text[15..16], "4", "{text}");
        assert!("89ab".contains(&text[20..21]), "{text}");
        assert_eq!(text, text.to_lowercase());
    }
    let shown = serde_json::to_value(&a).unwrap()["GUID"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(shown, format!("{{{}}}", a.guid));
}

#[test]
fn the_response_types_round_trip_with_the_api_names() {
    let t = ticket(1, TicketStatus::Pending, &["AD+c:a"], 1);
    let ok = CreateResponse::success(&t);
    let text = serde_json::to_string(&ok).unwrap();
    assert_eq!(
        text,
        r#"{"GUID":"{00000000-0000-4000-8000-000000000001}","Result":1}"#
    );
    assert_eq!(serde_json::from_str::<CreateResponse>(&text).unwrap(), ok);
    assert!(serde_json::from_str::<CreateResponse>(r#"{"GUID": "{x}", "Result": 1}"#).is_err());
    assert!(serde_json::from_str::<CreateResponse>(&text.replace(":1}", ":9}")).is_err());

    let err = CreateRequest::parse(b"{}").unwrap_err().body();
    let text = serde_json::to_string(&err).unwrap();
    assert!(
        text.starts_with(
            r#"{"error":"invalid_request","error_description":"ObjectDN: is required; "#
        )
    );
    assert_eq!(serde_json::from_str::<ErrorBody>(&text).unwrap(), err);
}

#[test]
fn result_codes_0_to_8_have_their_names() {
    let names = [
        "None",
        "Success",
        "GenericFailure",
        "TicketDoesNotExist",
        "InsufficientPrivileges",
        "BadArguments",
        "ObjectDoesNotExist",
        "RemoteError",
        "WorkflowObjectDoesNotExist",
    ];
    for (i, name) in names.iter().enumerate() {
        let code = ResultCode::from_code(i as u64).expect("a code");
        assert_eq!((code.code() as usize, code.name()), (i, *name));
        assert_eq!(code.to_string(), *name);
        assert_eq!(serde_json::to_string(&code).unwrap(), i.to_string());
        assert_eq!(
            serde_json::from_str::<ResultCode>(&i.to_string()).unwrap(),
            code
        );
    }
    assert_eq!(ResultCode::from_code(9), None);
    assert!(serde_json::from_str::<ResultCode>(r#""Success""#).is_err());
}

#[test]
fn statuses_are_spelled_as_the_api_spells_them() {
    assert_eq!(
        venafi::STATUS_NAMES,
        [
            "Pending",
            "Approved",
            "Approved After",
            "Approved Between",
            "Rejected"
        ]
    );
    for (status, name) in TicketStatus::ALL
        .iter()
        .zip(venafi::STATUS_NAMES.iter().copied())
    {
        assert_eq!(status.name(), name);
        assert_eq!(serde_json::to_value(status).unwrap(), json!(name));
        assert_eq!(
            serde_json::from_value::<TicketStatus>(json!(name.to_uppercase() + "  ")).unwrap(),
            *status
        );
    }
    for bad in ["Approved  After", "ApprovedAfter", " Pending", "Denied", ""] {
        assert!(bad.parse::<TicketStatus>().is_err(), "{bad}");
    }
}

#[test]
fn the_request_round_trips_keeping_its_shape() {
    let body = format!(
        r#"{{"ObjectDN":"\\VED\\Policy\\a","Approvers":{{"PrefixedUniversal":"local:{GUID_A}","FullName":"J","IsContainer":false,"IsGroup":false,"Type":1}},"Reason":7,"UserData":"u","WorkflowDN":"\\VED\\Policy\\w"}}"#
    );
    let r = parse(body.as_bytes()).expect("valid");
    assert_eq!(serde_json::to_string(&r).unwrap(), body);
    // A string Reason and absent optional fields.
    let r = parse(br#"{"ObjectDN":"\\VED\\Policy\\a","WorkflowDN":"\\VED\\Policy\\w","Approvers":["AD+c:x"],"Reason":"007","UserData":null}"#).unwrap();
    assert_eq!(
        serde_json::to_string(&r).unwrap(),
        r#"{"ObjectDN":"\\VED\\Policy\\a","Approvers":["AD+c:x"],"Reason":7,"WorkflowDN":"\\VED\\Policy\\w"}"#
    );
}

#[test]
fn ticket_records_round_trip_through_serde_and_the_checked_reader() {
    let mut t = ticket(3, TicketStatus::ApprovedBetween, &["AD+c:a", "AD+c:a"], 9);
    t.updated = Some(
        Utc.with_ymd_and_hms(2024, 5, 10, 0, 0, 0).unwrap() + chrono::Duration::nanoseconds(5),
    );
    let text = serde_json::to_string(&t).unwrap();
    let keys: Vec<String> = serde_json::from_str::<serde_json::Map<String, Value>>(&text)
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let mut expected = [
        "GUID",
        "ObjectDN",
        "WorkflowDN",
        "Approvers",
        "Reason",
        "UserData",
        "Status",
        "Created",
        "Updated",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert!(
        text.contains(r#""Updated":"2024-05-10T00:00:00.000000005Z""#),
        "{text}"
    );
    assert_eq!(serde_json::from_str::<WorkflowTicket>(&text).unwrap(), t);
    let mut read = Vec::new();
    kfql::read_records(format!("[{text}]").as_bytes(), |r: WorkflowTicket| {
        read.push(r)
    })
    .unwrap();
    assert_eq!(read, [t]);
}

#[test]
fn reading_tickets_requires_guid_and_status_and_ignores_unknown_keys() {
    let read = |line: &str| {
        let mut out = Vec::new();
        kfql::read_records(line.as_bytes(), |r: WorkflowTicket| out.push(r)).map(|_| out)
    };
    let t = read(r#"{"GUID": "00000000000040008000000000000007", "Status": "rejected ", "Extra": [1], "Approvers": null, "Reason": null}"#).unwrap();
    assert_eq!((t[0].guid, t[0].status), (guid(7), TicketStatus::Rejected));
    assert!(t[0].approvers.is_empty() && t[0].created.is_none());
    for (line, part) in [
        (r#"{"Status": "Pending"}"#, "field `GUID`: is required"),
        (
            r#"{"GUID": "{x}", "Status": "Pending"}"#,
            "field `GUID`: `{x}` is not a GUID",
        ),
        (
            r#"{"GUID": "00000000000040008000000000000007"}"#,
            "field `Status`: is required",
        ),
        (
            r#"{"GUID": "00000000000040008000000000000007", "Status": "Open"}"#,
            "field `Status`: `Open` is not one of Pending",
        ),
        (
            r#"{"GUID": "00000000000040008000000000000007", "Status": "Pending", "Approvers": "AD+c:a"}"#,
            "field `Approvers`: expected an array of strings, found a string",
        ),
        (
            r#"{"GUID": "00000000000040008000000000000007", "Status": "Pending", "Approvers": ["a", 5]}"#,
            "field `Approvers[1]`: expected a string, found a number",
        ),
        (
            r#"{"GUID": "00000000000040008000000000000007", "Status": "Pending", "Reason": "5"}"#,
            "field `Reason`",
        ),
        (
            r#"{"GUID": "00000000000040008000000000000007", "Status": "Pending", "Created": "yesterday"}"#,
            "field `Created`",
        ),
    ] {
        let e = read(line).expect_err(line);
        assert_eq!(e.kind(), ErrorKind::InvalidRecord);
        assert!(e.message().contains(part), "{line}: {}", e.message());
        assert!(e.message().starts_with("line 1"), "{}", e.message());
    }
}

fn tickets() -> Vec<WorkflowTicket> {
    vec![
        ticket(
            1,
            TicketStatus::Pending,
            &["local:{aa}", "AD+corp:jsmith"],
            1,
        ),
        ticket(2, TicketStatus::Approved, &["AD+corp:alice"], 2),
        ticket(3, TicketStatus::ApprovedAfter, &[], 3),
        ticket(
            4,
            TicketStatus::Rejected,
            &["AD+corp:JSmith  ", "LDAP+dir:bob"],
            4,
        ),
        ticket(
            5,
            TicketStatus::Pending,
            &["AD+corp:alice", "AD+corp:bob"],
            5,
        ),
    ]
}

/// The reasons (= ticket numbers) of the tickets matching `query`, sorted
/// by Created.
fn matching(query: &str) -> Vec<i64> {
    let schema = venafi::schema();
    let filter = kfql::compile(query, &schema, &ctx()).unwrap_or_else(|e| panic!("{}", e.render()));
    let records = tickets();
    let page = filter
        .page(&records, &Sort::default_for(&schema), Page::default())
        .expect("sort and filter share a schema");
    assert_eq!(page.total, page.records.len() as u64);
    page.records.iter().map(|t| t.reason.unwrap()).collect()
}

#[test]
fn approvers_match_when_any_element_matches() {
    assert_eq!(
        matching(r#"Approvers -eq "ad+corp:jsmith""#),
        [1, 4],
        "case and trailing spaces ignored"
    );
    assert_eq!(matching(r#"Approvers -contains "alice""#), [2, 5]);
    assert_eq!(matching(r#"Approvers -startswith "LDAP+""#), [4]);
    assert_eq!(matching(r#"Approvers -endswith "bob""#), [4, 5]);
    assert_eq!(
        matching(r#"Approvers -contains """#),
        [1, 2, 4, 5],
        "empty needle: every non-empty list"
    );
}

#[test]
fn approvers_ne_and_notcontains_need_no_match_in_a_non_empty_list() {
    assert_eq!(matching(r#"Approvers -ne "AD+corp:alice""#), [1, 4]);
    assert_eq!(
        matching(r#"Approvers -notcontains "corp""#),
        Vec::<i64>::new()
    );
    assert_eq!(matching(r#"Approvers -notcontains "bob""#), [1, 2]);
}

#[test]
fn an_empty_approver_list_is_null() {
    assert_eq!(matching("Approvers -eq NULL"), [3]);
    assert_eq!(matching("Approvers -ne NULL"), [1, 2, 4, 5]);
    assert_eq!(matching(r#"Approvers -ne "nobody""#), [1, 2, 4, 5]);
}

#[test]
fn every_ticket_field_is_queryable() {
    assert_eq!(matching(r#"Status -eq "approved after ""#), [3]);
    assert_eq!(matching(r#"Status -ne "Pending" AND Reason -ge 3"#), [3, 4]);
    assert_eq!(
        matching(r#"GUID -eq "{00000000-0000-4000-8000-000000000002}""#),
        [2]
    );
    assert_eq!(matching(r#"ObjectDN -endswith "web05.example.com""#), [5]);
    assert_eq!(
        matching(r#"WorkflowDN -startswith "\VED\Policy\Workflows""#).len(),
        5
    );
    assert_eq!(matching("UserData -eq NULL AND Updated -eq NULL").len(), 5);
    assert_eq!(matching(r#"Created -ge "2024-05-04""#), [4, 5]);
    let schema = venafi::schema();
    let e = kfql::compile(r#"Approvers -gt "a""#, &schema, &ctx()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OperatorNotAllowed);
    let e = kfql::compile(r#"Approver -eq "a""#, &schema, &ctx()).unwrap_err();
    assert_eq!(e.suggestion(), Some("did you mean `Approvers`?"));
    let e = kfql::compile(r#"Status -eq "Open""#, &schema, &ctx()).unwrap_err();
    assert!(e.message().contains("Approved Between"), "{}", e.message());
}

#[test]
fn tickets_sort_by_any_field_lists_element_by_element() {
    let schema = venafi::schema();
    let records = tickets();
    let order = |field: &str, desc: bool| -> Vec<i64> {
        let sort = Sort::new(&schema, field, Direction::descending_if(desc)).unwrap();
        let page = kfql::compile("", &schema, &ctx())
            .unwrap()
            .page(&records, &sort, Page::default())
            .unwrap();
        page.records.iter().map(|t| t.reason.unwrap()).collect()
    };
    // empty first; "ad+corp:alice" < "ad+corp:alice","ad+corp:bob" (a prefix first);
    // "ad+corp:jsmith  " ties with nothing; "local:{aa}" last.
    assert_eq!(order("approvers", false), [3, 2, 5, 4, 1]);
    assert_eq!(order("Approvers", true), [1, 4, 5, 2, 3]);
    assert_eq!(
        order("Status", false),
        [2, 3, 1, 5, 4],
        "folded text order, ties by GUID"
    );
    assert_eq!(order("Created", true), [5, 4, 3, 2, 1]);
    assert_eq!(order("GUID", false), [1, 2, 3, 4, 5]);
    assert_eq!(Sort::default_for(&schema).field().name(), "Created");
}

#[test]
fn tickets_page_like_instances() {
    let schema = venafi::schema();
    let filter = kfql::compile(r#"Approvers -ne NULL"#, &schema, &ctx()).unwrap();
    let sort = Sort::new(&schema, "Created", Direction::Descending).unwrap();
    let page = filter
        .page(tickets(), &sort, Page::new(2, 3).unwrap())
        .expect("sort and filter share a schema");
    assert_eq!(page.total, 4);
    assert_eq!(
        page.records
            .iter()
            .map(|t| t.reason.unwrap())
            .collect::<Vec<_>>(),
        [1]
    );
    // serde_json::Value records read Approvers as a list too.
    let values: Vec<Value> = tickets()
        .iter()
        .map(|t| serde_json::to_value(t).unwrap())
        .collect();
    let by_value = filter
        .page(&values, &sort, Page::new(1, 2).unwrap())
        .expect("sort and filter share a schema");
    assert_eq!(by_value.total, 4);
    assert_eq!(by_value.records[0]["Reason"], 5);
    assert!(now() > Utc.with_ymd_and_hms(2024, 5, 5, 0, 0, 0).unwrap());
}
