use kfql::keyfactor::WorkflowInstance;
use kfql::server::{self, Config, StatusFormat};
use kfql::{Direction, Page};

use crate::{ME, OTHER, Service, default_sort, expected, sample, sort};
use chrono::DateTime;

#[test]
fn the_list_route_applies_the_defaults() {
    let records = sample();
    let s = Service::sqlite(Config::default(), records.clone());
    let r = s.get("/Workflow/Instances", &[]);
    let (ids, total) = expected(&records, "", &default_sort(), Page::default(), ME).unwrap();
    assert_eq!(ids.len(), 50);
    assert_eq!(r.ids(), ids);
    assert_eq!(r.total, Some(total));
    assert_eq!(total, 120);

    // The shape: PascalCase, the Definition object, UTC datetimes, no nulls.
    let first = &r.json[0];
    let want = records
        .iter()
        .find(|x| x.id.to_string() == ids[0])
        .expect("the record");
    assert_eq!(first["Status"], want.status.name());
    assert_eq!(first["ReferenceId"], want.reference_id);
    for (_, v) in first.as_object().expect("an object") {
        assert!(!v.is_null(), "{first}");
    }
    if let Some(t) = first.get("StartDate") {
        let t = t.as_str().expect("text");
        assert!(t.ends_with('Z') && t.contains('T'), "{t}");
        assert_eq!(
            Some(DateTime::parse_from_rfc3339(t).unwrap().to_utc()),
            want.start_date
        );
    }
    // Every instance reads back into the record it was.
    let back: Vec<WorkflowInstance> = serde_json::from_value(r.json.clone()).expect("records");
    for b in &back {
        assert!(records.contains(b), "{b:?}");
    }

    // A query, a sort and a page together.
    let q = r#"Status -eq "Failed" OR Title -contains "appsrvr""#;
    let r = s.get(
        "/Workflow/Instances",
        &[
            ("QueryString", q),
            ("SortField", "StartDate"),
            ("SortAscending", "1"),
            ("PageReturned", "2"),
            ("ReturnLimit", "7"),
        ],
    );
    let (ids, total) = expected(
        &records,
        q,
        &sort("StartDate", Direction::Descending),
        Page::new(2, 7).unwrap(),
        ME,
    )
    .unwrap();
    assert_eq!(r.ids(), ids);
    assert_eq!(r.total, Some(total));
}

#[test]
fn every_parameter_spelling_is_bound() {
    let records = sample();
    let s = Service::sqlite(Config::default(), records.clone());
    let q = r#"Status -ne "Complete""#;
    let (want, total) = expected(
        &records,
        q,
        &sort("ReferenceId", Direction::Descending),
        Page::new(3, 4).unwrap(),
        ME,
    )
    .unwrap();
    let spell = |name: &str, style: usize| -> String {
        let camel = format!("{}{}", name[..1].to_lowercase(), &name[1..]);
        match style {
            0 => name.to_owned(),
            1 => camel,
            2 => name.to_lowercase(),
            3 => name.to_uppercase(),
            4 => format!("pq.{camel}"),
            5 => format!("PQ.{name}"),
            _ => format!("pQ.{}", name.to_lowercase()),
        }
    };
    for style in 0..7 {
        let names = [
            "QueryString",
            "SortField",
            "SortAscending",
            "PageReturned",
            "ReturnLimit",
        ]
        .map(|n| spell(n, style));
        let values = [q, "referenceid", "1", "3", "4"];
        let params: Vec<(&str, &str)> = names.iter().map(String::as_str).zip(values).collect();
        let r = s.get("/Workflow/Instances", &params);
        assert_eq!(r.ids(), want, "{names:?}");
        assert_eq!(r.total, Some(total));
    }
    // Unknown parameters are ignored; an empty SortField is the default.
    let r = s.get(
        "/Workflow/Instances",
        &[("api-version", "2"), ("sortField", ""), ("pq.other", "x")],
    );
    let (want, _) = expected(&records, "", &default_sort(), Page::default(), ME).unwrap();
    assert_eq!(r.ids(), want);
    // SortAscending=0 is ascending.
    let r = s.get(
        "/Workflow/Instances",
        &[("SortField", "Title"), ("SortAscending", "0")],
    );
    let (want, _) = expected(
        &records,
        "",
        &sort("Title", Direction::Ascending),
        Page::default(),
        ME,
    )
    .unwrap();
    assert_eq!(r.ids(), want);
}

#[test]
fn paging_edges() {
    let records = sample();
    let config = Config {
        max_return_limit: 30,
        ..Config::default()
    };
    let s = Service::sqlite(config, records.clone());
    let page = |n: &str, l: &str| {
        s.get(
            "/Workflow/Instances",
            &[("PageReturned", n), ("ReturnLimit", l)],
        )
    };
    let all = expected(
        &records,
        "",
        &default_sort(),
        Page::new(1, 1000).unwrap(),
        ME,
    )
    .unwrap()
    .0;
    // Past the end: empty, and the total is still the total.
    let r = page("5", "30");
    assert_eq!(r.ids(), Vec::<String>::new());
    assert_eq!(r.total, Some(120));
    let r = page("9223372036854775807", "30");
    assert_eq!(r.ids(), Vec::<String>::new());
    // The last partial page.
    let r = page("13", "11");
    assert_eq!(r.ids(), all[132.min(all.len())..].to_vec());
    let r = page("11", "11");
    assert_eq!(r.ids(), all[110..120].to_vec());
    // Limit 1 and limit = cap.
    let r = page("120", "1");
    assert_eq!(r.ids(), vec![all[119].clone()]);
    let r = page("4", "30");
    assert_eq!(r.ids(), all[90..120].to_vec());
    // Over the cap: 400 naming it.
    let r = page("1", "31");
    let (code, message) = r.error(400);
    assert_eq!(code, "0xA0110204");
    assert!(message.contains("30"), "{message}");
    for (n, l) in [
        ("0", "1"),
        ("-1", "1"),
        ("x", "1"),
        ("9223372036854775808", "1"),
    ] {
        assert_eq!(page(n, l).error(400).0, "0xA0110203", "{n}");
    }
    for l in ["0", "", "1.5"] {
        assert_eq!(page("1", l).error(400).0, "0xA0110204", "{l}");
    }
}

#[test]
fn my_instances_are_the_callers_own() {
    let mut records = sample();
    // The same user as -eq compares: any case, trailing spaces.
    records[0].initiating_user_name = Some(r"keyexample\JSMITH  ".to_owned());
    records[1].initiating_user_name = Some(OTHER.to_owned());
    let s = Service::sqlite(Config::default(), records.clone());
    let mine: Vec<WorkflowInstance> = records
        .iter()
        .filter(|r| {
            r.initiating_user_name
                .as_deref()
                .is_some_and(|n| n.trim_end().eq_ignore_ascii_case(ME))
        })
        .cloned()
        .collect();
    assert!(mine.len() > 5 && mine.len() < records.len());
    let q = r#"Status -ne "Running""#;
    let page = Page::new(1, 1000).unwrap();
    let (want, total) = expected(&mine, q, &default_sort(), page, ME).unwrap();
    for prefix in ["", "pq.", "instanceQuery.", "INSTANCEQUERY."] {
        let qs = format!("{prefix}queryString");
        let limit = format!("{prefix}returnLimit");
        let r = s.get(
            "/Workflow/Instances/My",
            &[(qs.as_str(), q), (limit.as_str(), "1000")],
        );
        assert_eq!(r.ids(), want, "{prefix}");
        assert_eq!(r.total, Some(total));
    }
    assert!(want.contains(&records[0].id.to_string()));
    // Another caller sees theirs, not these.
    let r = s.get_as(
        "/Workflow/Instances/My",
        &[("ReturnLimit", "1000")],
        Some(OTHER),
        None,
    );
    let theirs = r.ids();
    assert!(theirs.contains(&records[1].id.to_string()));
    assert!(theirs.iter().all(|id| !want.contains(id)));
    // %ME% is the caller on every route.
    let r = s.get_as(
        "/Workflow/Instances",
        &[
            ("QueryString", "InitiatingUserName -eq %ME%"),
            ("ReturnLimit", "1000"),
        ],
        Some(OTHER),
        None,
    );
    assert_eq!(r.ids().len(), theirs.len());
    // The user's error is about the user's text, the same as on the list.
    let bad = [("QueryString", "Title -eq \"x\" AND (")];
    let a = s.get("/Workflow/Instances/My", &bad);
    let b = s.get("/Workflow/Instances", &bad);
    assert_eq!(a.error(400), b.error(400));
    // instanceQuery. is /My's only: elsewhere it names nothing.
    let r = s.get(
        "/Workflow/Instances",
        &[("instanceQuery.queryString", "Nonsense")],
    );
    assert_eq!(r.status, 200);
}

#[test]
fn status_as_an_integer() {
    let records = sample();
    let config = Config {
        status_format: StatusFormat::Integer,
        ..Config::default()
    };
    let s = Service::sqlite(config, records.clone());
    let r = s.get(
        "/Workflow/Instances",
        &[("ReturnLimit", "1000"), ("SortField", "ReferenceId")],
    );
    let by_id: std::collections::HashMap<String, &WorkflowInstance> =
        records.iter().map(|r| (r.id.to_string(), r)).collect();
    for i in r.json.as_array().expect("an array") {
        let want = by_id[i["Id"].as_str().expect("an id")];
        let n = i["Status"].as_u64().expect("an integer");
        assert_eq!(n, server::keyfactor::status::integer(want.status));
        assert_eq!(n, want.status as u64 + 1);
    }
    // Names and integers in queries, -eq and -ne, any quoting.
    for (q, name) in [
        ("Status -eq 3", r#"Status -eq "Failed""#),
        (r#"status -NE "5""#, r#"Status -ne "Running""#),
        (
            "Status -eq 1 OR Status -eq 6",
            r#"Status -eq "CanceledForRestart" OR Status -eq "Suspended""#,
        ),
        (r#"Status -eq "Complete""#, r#"Status -eq "Complete""#),
    ] {
        let (want, total) = expected(&records, name, &default_sort(), Page::default(), ME).unwrap();
        let r = s.get("/Workflow/Instances", &[("QueryString", q)]);
        assert_eq!(r.ids(), want, "{q}");
        assert_eq!(r.total, Some(total));
        assert!(total > 0, "{q}");
    }
    for q in [
        "Status -eq 0",
        "Status -eq 7",
        "Status -ne 99999999999999999999999",
    ] {
        let r = s.get("/Workflow/Instances", &[("QueryString", q)]);
        let (code, message) = r.error(400);
        assert_eq!(code, "0xA0110110", "{q}");
        assert!(message.contains("1 CanceledForRestart"), "{message}");
    }
    // /{id} too.
    let r = s.get(&format!("/Workflow/Instances/{}", records[0].id), &[]);
    assert_eq!(r.json["Status"], records[0].status as u64 + 1);
    // Without the mode an integer is not a status.
    let s = Service::sqlite(Config::default(), records);
    let r = s.get("/Workflow/Instances", &[("QueryString", "Status -eq 3")]);
    assert_eq!(r.error(400).0, "0xA0110110");
}
