//! The ticket routes: success, errors, bodies, metacharacters, storage.

use std::time::Duration;

use kfql::server::{self, Config, Db};
use serde_json::{Value, json};

use crate::support::*;

#[test]
fn ticket_lifecycle_over_every_route() {
    let s = Service::start(Config::default());
    let alice = s.login("CORP\\alice", ALL);
    let carol = s.login("CORP\\carol", "certificate:approve;configuration:manage");
    let a = &alice.access;
    let guid = s.create(
        a,
        DN,
        json!(["local:corp\\Alice", {"Prefix": "AD+corp", "Name": "dave"},
               {"PrefixedUniversal": "local:{7B3E6B0A-1C1F-4F3E-9A53-2B1D0C4E5F60}", "FullName": "x",
                "IsContainer": false, "IsGroup": false, "Type": 1}]),
    );
    assert!(guid.starts_with('{') && guid.ends_with('}') && guid == guid.to_lowercase());
    let other = s.create(a, "\\VED\\Policy\\Other", json!("AD+corp:carol"));
    let g = json!({"GUID": guid});

    let d = s.sdk("Details", a, &g);
    assert_eq!(d.status, 200, "{}", d.text);
    assert_eq!(d.body["Result"], 1);
    assert_eq!(d.body["GUID"], guid);
    assert_eq!(
        d.body["Approvers"],
        json!([
            "local:corp\\Alice",
            "AD+corp:dave",
            "local:{7B3E6B0A-1C1F-4F3E-9A53-2B1D0C4E5F60}"
        ])
    );
    assert_eq!(d.body["Status"], "Pending");
    assert_eq!(d.body["Blocking"], DN);
    assert_eq!(d.body["ObjectDN"], DN);
    assert_eq!(d.body["IssuedDueTo"], "\\VED\\Policy\\Workflows\\Approval");
    assert_eq!(d.body["Reason"], 12);
    assert_eq!(d.body["UserData"], "change 42");
    let created = d.body["Created"].as_str().unwrap().to_owned();
    assert!(created.ends_with('Z'), "{created}");
    assert_eq!(d.body["Updated"], created);
    chrono::DateTime::parse_from_rfc3339(&created).unwrap();

    assert_eq!(
        s.sdk("Status", a, &g).body,
        json!({"Status": "Pending", "Result": 1})
    );
    assert_eq!(s.sdk("Exists", a, &g).body, json!({"Result": 1}));
    // GUIDs in any accepted spelling: unbraced, upper case; names any case.
    let bare = guid.trim_matches(|c| c == '{' || c == '}').to_uppercase();
    assert_eq!(
        s.sdk("Exists", a, &json!({"guid": bare})).body,
        json!({"Result": 1})
    );
    let e = s.sdk("Enumerate", a, &json!({"ObjectDN": DN.to_uppercase()}));
    assert_eq!(e.body, json!({"GUIDS": [guid], "Result": 1}));
    let e = s.sdk("Enumerate", a, &json!({"UserData": "change 42"}));
    assert_eq!(e.body, json!({"GUIDS": [guid, other], "Result": 1}));
    let e = s.sdk(
        "Enumerate",
        a,
        &json!({"ObjectDN": DN, "UserData": "other"}),
    );
    assert_eq!(e.body, json!({"GUIDS": [], "Result": 1}));
    let e = s.sdk("Enumerate", a, &json!({}));
    assert_eq!(e.body["GUIDS"], json!([guid, other]));

    // UpdateStatus: an approver (ignoring case) changes it, and Updated
    // moves every time; carol is not an approver of this one.
    let update = |token: &str, body: Value| s.sdk("UpdateStatus", token, &body).body;
    assert_eq!(
        update(&carol.access, json!({"GUID": guid, "Status": "Approved"})),
        json!({"Result": 4})
    );
    let mut last = created.clone();
    for (status, extra) in [
        ("Approved", json!({"Explanation": "fine"})),
        ("approved", json!({})),
        (
            "Approved After",
            json!({"ScheduledStart": "2030-01-02T03:04:05Z"}),
        ),
        (
            "Approved Between",
            json!({"ScheduledStart": "2030-01-02T03:04:05", "ScheduledStop": "2030-01-03T00:00:00+01:00"}),
        ),
        (
            "Rejected",
            json!({"Explanation": "no", "Approvers": ["ignored"], "Reason": "3"}),
        ),
    ] {
        let mut body = json!({"GUID": guid, "Status": status});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        assert_eq!(update(a, body), json!({"Result": 1}), "{status}");
        let d = s.sdk("Details", a, &g).body;
        let updated = d["Updated"].as_str().unwrap().to_owned();
        let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap();
        assert!(parse(&updated) > parse(&last), "{updated} after {last}");
        assert_eq!(d["Created"], created);
        last = updated;
        if status == "Approved Between" {
            assert_eq!(d["ScheduledStart"], "2030-01-02T03:04:05Z");
            assert_eq!(d["ScheduledStop"], "2030-01-02T23:00:00Z");
        }
    }
    let d = s.sdk("Details", a, &g).body;
    assert_eq!(d["Status"], "Rejected");
    assert_eq!(d["ApprovalExplanation"], "no");
    assert_eq!(d["Approvers"].as_array().unwrap().len(), 3);
    // carol approves the ticket that names her.
    assert_eq!(
        update(&carol.access, json!({"GUID": other, "Status": "Approved"})),
        json!({"Result": 1})
    );
    // Bad arguments: Result 5, nothing changes.
    for body in [
        json!({"GUID": guid, "Status": "Maybe"}),
        json!({"GUID": guid, "Status": "Approved  After"}),
        json!({"GUID": guid, "Status": "Approved After"}),
        json!({"GUID": guid, "Status": "Approved After", "ScheduledStart": "tomorrow"}),
        json!({"GUID": guid, "Status": "Approved Between", "ScheduledStart": "2030-01-02T00:00:00Z"}),
        json!({"GUID": guid, "Status": "Approved Between", "ScheduledStart": "2030-01-02T00:00:00Z",
               "ScheduledStop": "2030-01-01T00:00:00Z"}),
        json!({"GUID": "not-a-guid", "Status": "Approved"}),
    ] {
        assert_eq!(update(a, body.clone()), json!({"Result": 5}), "{body}");
    }
    assert_eq!(s.sdk("Status", a, &g).body["Status"], "Rejected");
    // Missing or mistyped fields are 400 with {"Error"}.
    assert_sdk_error(&s.sdk("UpdateStatus", a, &json!({"GUID": guid})), 400);
    assert_sdk_error(&s.sdk("Details", a, &json!({})), 400);
    assert_sdk_error(&s.sdk("Details", a, &json!({"GUID": 7})), 400);
    assert_sdk_error(&s.sdk("Enumerate", a, &json!({"ObjectDN": ["x"]})), 400);

    // Delete, then every route says Result 3 (HTTP 200).
    assert_eq!(s.sdk("Delete", a, &g).body, json!({"Result": 1}));
    for route in ["Details", "Status", "Exists", "Delete"] {
        let r = s.sdk(route, a, &g);
        assert_eq!((r.status, r.body), (200, json!({"Result": 3})), "{route}");
    }
    assert_eq!(
        update(a, json!({"GUID": guid, "Status": "Approved"})),
        json!({"Result": 3})
    );
    let unknown = json!({"GUID": "{00000000-0000-4000-8000-000000000000}"});
    assert_eq!(s.sdk("Details", a, &unknown).body, json!({"Result": 3}));
    assert_eq!(s.count(), 1);
}

#[test]
fn create_refuses_malformed_requests_with_invalid_request() {
    let s = Service::start(Config::default());
    let a = s.login("CORP\\alice", ALL).access;
    let url = format!("{}/vedsdk/Workflow/Ticket/Create", s.url);
    let cases: [&[u8]; 7] = [
        br#"{"ObjectDN": "\\VED\\Certs\\x", "Approvers": []}"#,
        br#"{"ObjectDN": "\\VED\\Policy\\x", "WorkflowDN": "\\VED\\Policy\\w", "Approvers": "nobody"}"#,
        br#"{"ObjectDN": "\\VED\\Policy\\x", "ObjectDN": "\\VED\\Policy\\y", "WorkflowDN": "\\VED\\Policy\\w", "Approvers": "local:a"}"#,
        b"not json",
        b"",
        b"[]",
        b"\xff",
    ];
    for body in cases {
        let r = post_raw(&url, Some(&a), "application/json", body);
        assert_eq!(r.status, 400, "{}", r.text);
        let keys: Vec<&String> = r.body.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["error", "error_description"], "{}", r.text);
        assert_eq!(r.body["error"], "invalid_request");
    }
    let r = post_raw(&url, Some(&a), "text/plain", b"{}");
    assert_eq!(r.status, 415, "{}", r.text);
    assert_eq!(r.body["error"], "invalid_request");
    assert_eq!(s.count(), 0);
}

/// Bodies just under the 1 MiB limit that are costly to check (many keys,
/// deep nesting) are answered, quickly, with the error they deserve.
#[test]
fn costly_bodies_within_the_limit() {
    let s = Service::start(Config::default());
    let a = s.login("CORP\\alice", ALL).access;
    let many: String = (0..60_000).map(|i| format!("\"k{i}\":1,")).collect();
    let many = format!("{{{many}\"GUID\":\"x\"}}");
    assert!(many.len() < 1 << 20);
    let deep = format!("{}{}", "[".repeat(500_000), "]".repeat(500_000));
    let r = post_raw(
        &format!("{}/vedsdk/Workflow/Ticket/Create", s.url),
        Some(&a),
        "application/json",
        many.as_bytes(),
    );
    assert!(
        r.body["error_description"]
            .as_str()
            .unwrap()
            .ends_with("and 59954 more problems"),
        "{}",
        &r.text[r.text.len() - 200..]
    );
    for (route, body, status) in [
        ("Details", &many, 200),
        ("Create", &many, 400),
        ("Details", &deep, 400),
        ("Create", &deep, 400),
    ] {
        let url = format!("{}/vedsdk/Workflow/Ticket/{route}", s.url);
        let started = std::time::Instant::now();
        let r = post_raw(&url, Some(&a), "application/json", body.as_bytes());
        assert_eq!(
            r.status,
            status,
            "{route}: {}",
            &r.text[..r.text.len().min(300)]
        );
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{route}: {:?}",
            started.elapsed()
        );
        assert!(
            r.text.len() < 64 << 10,
            "{route}: a {} byte answer",
            r.text.len()
        );
    }
}

#[test]
fn bodies_that_are_too_large_or_not_json() {
    let config = Config {
        max_body: 4096,
        ..Config::default()
    };
    let s = Service::start(config);
    let a = s.login("CORP\\alice", ALL).access;
    let big = json!({"ObjectDN": DN, "WorkflowDN": DN, "Approvers": "local:a", "UserData": "x".repeat(5000)});
    for route in ["Create", "Details", "Enumerate", "UpdateStatus"] {
        assert_sdk_error(&s.sdk(route, &a, &big), 413);
    }
    let r = post(
        &format!("{}/vedauth/authorize/oauth", s.url),
        None,
        &json!({"client_id": "x".repeat(5000)}),
    );
    assert_eq!(r.status, 413);
    // Chunked, so no Content-Length announces it: still 413.
    let host = s.url.trim_start_matches("http://").to_owned();
    let chunk = "y".repeat(6000);
    let request = format!(
        "POST /vedsdk/Workflow/Ticket/Enumerate HTTP/1.1\r\nHost: {host}\r\n\
         Authorization: Bearer {a}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len()
    );
    assert_eq!(raw_status(&s.url, request.as_bytes()), 413);

    for route in [
        "Details",
        "Status",
        "Exists",
        "Enumerate",
        "UpdateStatus",
        "Delete",
    ] {
        let url = format!("{}/vedsdk/Workflow/Ticket/{route}", s.url);
        for body in [
            &b"{"[..],
            b"\"GUID\"",
            b"null",
            b"{\"GUID\": \"a\", \"guid\": \"b\"}",
        ] {
            assert_sdk_error(&post_raw(&url, Some(&a), "application/json", body), 400);
        }
        assert_sdk_error(&post_raw(&url, Some(&a), "text/json", b"{}"), 415);
        assert_sdk_error(&post_raw(&url, Some(&a), "application/jsonx", b"{}"), 415);
        let ok = post_raw(
            &url,
            Some(&a),
            "Application/JSON; charset=utf-8",
            b"{\"GUID\": \"{00000000-0000-4000-8000-000000000000}\", \"Status\": \"Approved\"}",
        );
        assert_eq!(ok.status, 200, "{route}: {}", ok.text);
    }
    assert_eq!(s.count(), 0);
}

#[test]
fn sql_metacharacters_in_every_field_are_only_data() {
    metacharacters(&Service::start(Config::default()));
}

/// SQL metacharacters in every field of every body: stored and given back
/// as data, or refused where they are not data; the tables stay intact.
pub fn metacharacters(s: &Service) {
    let before = s.count();
    let a = s.login("CORP\\alice", ALL).access;
    let nasty = [
        "'; DROP TABLE workflow_tickets; --",
        "\" OR 1=1 --",
        "x' OR '1'='1",
        "%_\\ ESCAPE '\\'",
        "); DELETE FROM venafi_tokens; --",
        "$1 ?1 :name @x",
    ];
    let mut guids = Vec::new();
    for (i, n) in nasty.iter().enumerate() {
        let dn = format!("\\VED\\Policy\\{n}");
        let approver = format!("AD+{}:{n}", "corp");
        let r = s.sdk(
            "Create",
            &a,
            &json!({"ObjectDN": dn, "WorkflowDN": dn, "Approvers": [approver, "local:CORP\\alice"],
                    "UserData": n, "Reason": i}),
        );
        assert_eq!(r.status, 200, "{n}: {}", r.text);
        let guid = r.body["GUID"].as_str().unwrap().to_owned();
        let d = s.sdk("Details", &a, &json!({"GUID": guid})).body;
        assert_eq!(d["ObjectDN"], dn);
        assert_eq!(d["UserData"], *n);
        assert_eq!(d["Approvers"][0], approver);
        let e = s
            .sdk("Enumerate", &a, &json!({"ObjectDN": dn, "UserData": n}))
            .body;
        assert_eq!(e["GUIDS"], json!([guid]), "{n}");
        let u = s.sdk(
            "UpdateStatus",
            &a,
            &json!({"GUID": guid, "Status": "Approved", "Explanation": n}),
        );
        assert_eq!(u.body, json!({"Result": 1}));
        assert_eq!(
            s.sdk("Details", &a, &json!({"GUID": guid})).body["ApprovalExplanation"],
            *n
        );
        guids.push(guid.clone());
        // In places where they are not data they are refused, not run.
        for route in ["Details", "Status", "Exists", "Delete"] {
            assert_eq!(
                s.sdk(route, &a, &json!({"GUID": n})).body,
                json!({"Result": 5})
            );
        }
        assert_eq!(
            s.sdk("UpdateStatus", &a, &json!({"GUID": guid, "Status": n}))
                .body,
            json!({"Result": 5})
        );
        let login = json!({"client_id": n, "username": n, "password": n, "scope": "configuration"});
        let r = post(&format!("{}/vedauth/authorize/oauth", s.url), None, &login);
        assert_oauth_error(&r, 400, "invalid_grant");
        let login =
            json!({"client_id": n, "username": "CORP\\alice", "password": PASSWORD, "scope": n});
        let r = post(&format!("{}/vedauth/authorize/oauth", s.url), None, &login);
        assert_oauth_error(&r, 400, "invalid_scope");
        // A client id is data too: it works and is given back on refresh.
        let login = json!({"client_id": n, "username": "CORP\\alice", "password": PASSWORD, "scope": "configuration"});
        let r = post(&format!("{}/vedauth/authorize/oauth", s.url), None, &login);
        assert_eq!(r.status, 200, "{}", r.text);
        let refresh = json!({"client_id": n, "refresh_token": r.body["refresh_token"]});
        let r = post(
            &format!("{}/vedauth/authorize/token", s.url),
            None,
            &refresh,
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }
    // U+0000, which PostgreSQL cannot store, is refused in every field.
    let nul = "a\u{0}b";
    let create = |field: &str, value: Value| {
        let mut body =
            json!({"ObjectDN": DN, "WorkflowDN": DN, "Approvers": "local:a", "UserData": "u"});
        body[field] = value;
        s.sdk("Create", &a, &body)
    };
    for (field, value) in [
        ("ObjectDN", json!(format!("{DN}{nul}"))),
        ("WorkflowDN", json!(format!("{DN}{nul}"))),
        ("Approvers", json!(["local:b", format!("local:{nul}")])),
        ("UserData", json!(nul)),
    ] {
        let r = create(field, value);
        assert_oauth_error(&r, 400, "invalid_request");
        assert!(r.text.contains(field), "{}", r.text);
    }
    assert_sdk_error(&s.sdk("Enumerate", &a, &json!({"ObjectDN": nul})), 400);
    assert_sdk_error(&s.sdk("Details", &a, &json!({"GUID": nul})), 400);
    let update = json!({"GUID": guids[0], "Status": "Approved", "Explanation": nul});
    assert_sdk_error(&s.sdk("UpdateStatus", &a, &update), 400);
    let login = json!({"client_id": nul, "username": "CORP\\alice", "password": PASSWORD, "scope": "configuration"});
    let r = post(&format!("{}/vedauth/authorize/oauth", s.url), None, &login);
    assert_oauth_error(&r, 400, "invalid_request");

    // The database is intact: every ticket, and alice's first token, still there.
    assert_eq!(s.count(), before + nasty.len() as u64);
    let all = s.sdk("Enumerate", &a, &json!({})).body;
    let all = all["GUIDS"].as_array().unwrap();
    assert_eq!(
        all[all.len() - guids.len()..],
        json!(guids).as_array().unwrap()[..]
    );
    let version = get(
        &format!("{}/vedsdk/SystemStatus/Version", s.url),
        Some(&format!("Bearer {a}")),
    );
    assert_eq!(version.status, 200);
}

#[test]
fn stored_tickets_are_records_the_sql_module_queries_and_import_is_one_transaction() {
    use kfql::venafi::WorkflowTicket;
    let dir = std::env::temp_dir().join(format!("kfql-venafi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tickets.db");
    let _ = std::fs::remove_file(&path);
    let rt = runtime();
    let db = rt
        .block_on(Db::open(&format!("sqlite:{}", path.display())))
        .unwrap();
    let s = Service::on(rt.clone(), db.clone(), Config::default());
    let a = s.login("CORP\\alice", ALL).access;
    let g1 = s.create(&a, DN, json!("local:CORP\\alice"));
    s.create(&a, "\\VED\\Policy\\Other\\db01", json!("local:CORP\\alice"));
    let update = json!({"GUID": g1, "Status": "Approved"});
    assert_eq!(s.sdk("UpdateStatus", &a, &update).body["Result"], 1);

    // Import: all or nothing (the second batch repeats a GUID).
    let ticket = |guid: &str, status: &str| -> WorkflowTicket {
        serde_json::from_value(
            json!({"GUID": guid, "ObjectDN": "\\VED\\Policy\\Imported\\web02",
            "Approvers": ["local:x", "AD+corp:y"], "Status": status,
            "Created": "2024-05-01T00:00:00Z", "Updated": "2024-05-02T00:00:00Z"}),
        )
        .unwrap()
    };
    let one = "{10000000-0000-4000-8000-000000000001}";
    let two = "{10000000-0000-4000-8000-000000000002}";
    let n = rt
        .block_on(server::venafi::import(
            &db,
            vec![ticket(one, "Pending"), ticket(two, "Rejected")],
        ))
        .unwrap();
    assert_eq!(n, 2);
    let three = "{10000000-0000-4000-8000-000000000003}";
    let failed = rt.block_on(server::venafi::import(
        &db,
        vec![ticket(three, "Pending"), ticket(one, "Pending")],
    ));
    assert!(failed.is_err());
    assert_eq!(s.count(), 4);
    let d = s.sdk("Details", &a, &json!({"GUID": two})).body;
    assert_eq!(d["Status"], "Rejected");
    assert_eq!(d["Created"], "2024-05-01T00:00:00Z");
    assert_eq!(d["Approvers"], json!(["local:x", "AD+corp:y"]));
    assert_eq!(
        s.sdk("Exists", &a, &json!({"GUID": three})).body["Result"],
        3
    );

    // The table is the mapping's: a query compiled by kfql runs on it.
    let schema = kfql::venafi::schema();
    let mapping = server::venafi::ticket_mapping();
    let ctx = kfql::Context::new(chrono::DateTime::from(std::time::SystemTime::now()));
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.create_scalar_function(
        kfql::sql::FOLD_FUNCTION,
        1,
        rusqlite::functions::FunctionFlags::SQLITE_UTF8
            | rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(ctx.get::<Option<String>>(0)?.map(|s| kfql::sql::fold(&s))),
    )
    .unwrap();
    let count = |query: &str| -> i64 {
        let filter = kfql::compile(query, &schema, &ctx).unwrap();
        let stmt = kfql::sql::Statement::new(
            &filter,
            &kfql::Sort::default_for(&schema),
            kfql::Page::default(),
            &mapping,
            &kfql::sql::Sqlite,
        )
        .unwrap();
        let params: Vec<rusqlite::types::Value> = stmt
            .condition_params()
            .iter()
            .map(|p| match p {
                kfql::sql::Param::Text(t) => rusqlite::types::Value::Text(t.clone()),
                kfql::sql::Param::Int(n) => rusqlite::types::Value::Integer(*n),
                kfql::sql::Param::Bool(b) => rusqlite::types::Value::Integer(i64::from(*b)),
            })
            .collect();
        conn.query_row(&stmt.count(), rusqlite::params_from_iter(params), |r| {
            r.get(0)
        })
        .unwrap()
    };
    assert_eq!(count(r#"Status -eq "approved""#), 1);
    assert_eq!(count(r#"ObjectDN -contains "WEB0""#), 3);
    assert_eq!(
        count(r#"Created -lt "2025-01-01" AND Status -ne "Pending""#),
        1
    );
    assert_eq!(count(&format!("GUID -eq \"{g1}\" AND Reason -eq 12")), 1);
    assert_eq!(count(r#"UserData -eq NULL"#), 2);
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('workflow_tickets')")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (column, _) in mapping.columns() {
        assert!(
            columns.iter().any(|c| c == column),
            "{column} in {columns:?}"
        );
    }

    // Enumerate's filter on ObjectDN can use the index on the folded DN.
    let plan: Vec<String> = conn
        .prepare("EXPLAIN QUERY PLAN SELECT guid FROM workflow_tickets WHERE kfql_fold(object_dn) = kfql_fold(?1) ORDER BY seq")
        .unwrap()
        .query_map(["x"], |r| r.get(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        plan.iter()
            .any(|p| p.contains("workflow_tickets_object_dn")),
        "{plan:?}"
    );

    // Tokens are stored only as their SHA-256.
    let tokens = s.login("CORP\\bob", "configuration");
    let stored: Vec<String> = conn
        .prepare("SELECT access_hash || ' ' || refresh_hash || ' ' || client_id || ' ' || scope FROM venafi_tokens")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let hex = |t: &str| -> String {
        use sha2::Digest;
        sha2::Sha256::digest(t.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    assert_eq!(stored.len(), 2);
    for row in &stored {
        assert!(
            !row.contains(&tokens.access) && !row.contains(&tokens.refresh) && !row.contains(&a)
        );
    }
    let pair = format!("{} {} ", hex(&tokens.access), hex(&tokens.refresh));
    assert!(stored.iter().any(|r| r.starts_with(&pair)), "{stored:?}");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Mutated bodies (bytes flipped, cut, repeated, spliced) to every route:
/// never a 5xx, always a JSON body, and the service stays up.
#[test]
fn mutated_bodies_never_break_the_service() {
    let s = Service::start(Config::default());
    let a = s.login("CORP\\alice", ALL).access;
    let guid = s.create(&a, DN, json!(["local:CORP\\alice"]));
    let seeds: Vec<(&str, String)> = vec![
        ("Workflow/Ticket/Create", json!({"ObjectDN": DN, "WorkflowDN": DN, "Approvers": [{"Prefix": "local", "Universal": "{7b3e6b0a-1c1f-4f3e-9a53-2b1d0c4e5f60}"}, "AD+c:x"], "Reason": "12", "UserData": null}).to_string()),
        ("Workflow/Ticket/Details", json!({"GUID": guid}).to_string()),
        ("Workflow/Ticket/Status", json!({"GUID": guid}).to_string()),
        ("Workflow/Ticket/Exists", json!({"GUID": guid}).to_string()),
        ("Workflow/Ticket/Enumerate", json!({"ObjectDN": DN, "UserData": "u"}).to_string()),
        ("Workflow/Ticket/UpdateStatus", json!({"GUID": guid, "Status": "Approved Between", "ScheduledStart": "2030-01-01T00:00:00Z", "ScheduledStop": "2030-01-02T00:00:00+02:00", "Explanation": "e"}).to_string()),
        ("Workflow/Ticket/Delete", json!({"GUID": "{00000000-0000-4000-8000-000000000000}"}).to_string()),
    ];
    let oauth = json!({"client_id": "c", "username": "CORP\\alice", "password": PASSWORD, "scope": "configuration"}).to_string();
    // xorshift: the same cases on every run.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n.max(1) as u64) as usize
    };
    let alphabet = b"{}[]\":,\\ 0123456789.eE-+nulltruefalse\x00\xff\xc3\xa9{GUID";
    for round in 0..120 {
        for (i, (route, seed)) in seeds.iter().enumerate() {
            let mut body = seed.clone().into_bytes();
            for _ in 0..1 + next(4) {
                let at = next(body.len() + 1);
                match next(4) {
                    0 if !body.is_empty() => {
                        let at = at.min(body.len() - 1);
                        body[at] = alphabet[next(alphabet.len())];
                    }
                    1 => body.truncate(at),
                    2 => body.insert(at, alphabet[next(alphabet.len())]),
                    _ => {
                        let piece = body[at..].to_vec();
                        body.extend_from_slice(&piece);
                    }
                }
            }
            let (url, token) = if (round + i) % 9 == 0 {
                (format!("{}/vedauth/authorize/oauth", s.url), None)
            } else {
                (format!("{}/vedsdk/{route}", s.url), Some(a.as_str()))
            };
            let body = if token.is_none() {
                mutate_login(&oauth, &mut next)
            } else {
                body
            };
            let r = post_raw(&url, token, "application/json", &body);
            assert!(
                r.status < 500,
                "{url} {:?}: {} {}",
                String::from_utf8_lossy(&body),
                r.status,
                r.text
            );
            assert!(
                r.body.is_object(),
                "{url} {:?}: {}",
                String::from_utf8_lossy(&body),
                r.text
            );
        }
    }
    let d = s.sdk("Details", &a, &json!({"GUID": guid}));
    assert!(d.status == 200, "{}", d.text);
}

fn mutate_login(seed: &str, next: &mut impl FnMut(usize) -> usize) -> Vec<u8> {
    let mut body = seed.as_bytes().to_vec();
    let at = next(body.len());
    match next(3) {
        0 => body.truncate(at),
        1 => body[at] = b'"',
        _ => body.insert(at, b'\\'),
    }
    body
}
