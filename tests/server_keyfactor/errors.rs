use kfql::Limits;
use kfql::server::Config;
use serde_json::Value;

use crate::{ME, NO_PERMISSION, OTHER, PASSWORD, Service, basic, encode, sample};

#[test]
fn errors_have_their_status_code_and_message() {
    let records = sample();
    let s = Service::sqlite(Config::default(), records.clone());
    let list = "/Workflow/Instances";

    // A bad query: kfql's message and suggestion.
    let r = s.get(list, &[("QueryString", r#"Title -equals "x""#)]);
    let (code, message) = r.error(400);
    assert_eq!(code, "0xA0110105");
    assert_eq!(message, "`-equals` is not an operator; did you mean `-eq`?");
    let r = s.get(list, &[("QueryString", r#"StartDat -ge "%TODAY-30%""#)]);
    let (code, message) = r.error(400);
    assert_eq!(code, "0xA011010D");
    assert!(message.ends_with("did you mean `StartDate`?"), "{message}");
    let r = s.get(list, &[("QueryString", "Status -eq")]);
    assert_eq!(r.error(400).0, "0xA0110104");

    // Parameters.
    let r = s.get(list, &[("QueryString", ""), ("pq.querystring", "")]);
    let (code, message) = r.error(400);
    assert_eq!(code, "0xA0110206");
    assert_eq!(
        message,
        "QueryString is given twice, as `QueryString` and `pq.querystring`; give it once"
    );
    for v in ["true", "2", "", "-1"] {
        let r = s.get(list, &[("SortAscending", v)]);
        assert_eq!(r.error(400).0, "0xA0110205", "{v}");
    }
    let r = s.get(list, &[("SortField", "Definition")]);
    assert_eq!(r.error(400).0, "0xA0110202");
    let r = s.get(list, &[("SortField", "StartDat")]);
    let (code, message) = r.error(400);
    assert_eq!(code, "0xA0110201");
    assert!(message.contains("StartDate"), "{message}");

    // Headers.
    let r = s.get_as(list, &[], Some(ME), Some(&[]));
    assert_eq!(r.error(400).0, "0xA0110301");
    let r = s.get_as(
        list,
        &[],
        Some(ME),
        Some(&[("X-Keyfactor-Requested-With", " ")]),
    );
    assert_eq!(r.error(400).0, "0xA0110301");
    let r = s.get_as(
        list,
        &[],
        Some(ME),
        Some(&[
            ("X-Keyfactor-Requested-With", "APIClient"),
            ("x-keyfactor-api-version", "2"),
        ]),
    );
    assert_eq!(r.error(400).0, "0xA0110302");
    let r = s.get_as(
        list,
        &[],
        Some(ME),
        Some(&[("X-Keyfactor-Requested-With", "x")]),
    );
    assert_eq!(r.status, 200);

    // Authentication: none, wrong password, malformed; each 401 with the
    // challenge, on every route.
    for path in [list, "/Workflow/Instances/My", "/Workflow/Instances/x"] {
        let r = s.get_as(path, &[], None, None);
        assert_eq!(r.error(401).0, "0xA0110401");
        assert!(
            r.www_authenticate
                .as_deref()
                .unwrap_or("")
                .starts_with("Basic")
        );
        for auth in [
            basic(ME, "wrong"),
            basic(r"KEYEXAMPLE\nobody", PASSWORD),
            "Basic not-base64!".to_owned(),
            format!("Bearer {}", basic(ME, PASSWORD)),
            "Basic".to_owned(),
        ] {
            let resp = s
                .agent
                .get(format!("{}{path}", s.base))
                .header("X-Keyfactor-Requested-With", "APIClient")
                .header("Authorization", &auth)
                .call()
                .expect("a response");
            assert_eq!(resp.status().as_u16(), 401, "{auth}");
            let challenge = resp.headers().get("www-authenticate");
            assert!(
                challenge.is_some_and(|c| c.to_str().unwrap_or("").starts_with("Basic")),
                "{auth}"
            );
        }
        // Without the permission: 403.
        let r = s.get_as(path, &[], Some(NO_PERMISSION), None);
        assert_eq!(r.error(403).0, "0xA0110403");
    }
    // The permission without its trailing slash also counts.
    assert_eq!(s.get_as(list, &[], Some(OTHER), None).status, 200);

    // One instance: found in any GUID form, absent, malformed.
    let id = records[3].id.to_string();
    for form in [
        id.clone(),
        format!("{{{}}}", id.to_uppercase()),
        id.replace('-', ""),
    ] {
        let r = s.get(&format!("/Workflow/Instances/{}", encode(&form)), &[]);
        assert_eq!(r.status, 200, "{form}");
        assert_eq!(r.json["Id"], id);
        assert_eq!(r.json["ReferenceId"], records[3].reference_id);
    }
    let r = s.get(
        "/Workflow/Instances/00000000-0000-0000-0000-0000000000ff",
        &[],
    );
    let (code, message) = r.error(404);
    assert_eq!(code, "0xA0110404");
    assert!(
        message.contains("00000000-0000-0000-0000-0000000000ff"),
        "{message}"
    );
    for bad in [
        "not-a-guid",
        "12345",
        "%7B00000000-0000-0000-0000-000000000000",
        "%FF",
    ] {
        let r = s.get(&format!("/Workflow/Instances/{bad}"), &[]);
        assert_eq!(r.error(400).0, "0xA0110303", "{bad}");
    }

    // A URL past the limit: 414 in Keyfactor's shape; a query past the
    // parser's limit: 400. (Small limits: the client refuses URLs over
    // 64 KiB itself.)
    let small = Service::sqlite(
        Config {
            max_uri: 2000,
            limits: Limits {
                max_bytes: 100,
                ..Limits::DEFAULT
            },
            ..Config::default()
        },
        Vec::new(),
    );
    let r = small.get(list, &[("QueryString", &"x".repeat(2000))]);
    assert_eq!(r.error(414).0, "0xA0110414");
    let at_limit = format!("Title -eq \"{}\"", "x".repeat(100 - 12));
    assert_eq!(small.get(list, &[("QueryString", &at_limit)]).status, 200);
    let past = format!("Title -eq \"{}\"", "x".repeat(101 - 12));
    let r = small.get(list, &[("QueryString", &past)]);
    assert_eq!(r.error(400).0, "0xA0110109");
    // A value that is not UTF-8.
    let url = format!("{}{list}?QueryString=%FF", s.base);
    let mut resp = s
        .agent
        .get(&url)
        .header("Authorization", basic(ME, PASSWORD))
        .header("X-Keyfactor-Requested-With", "APIClient")
        .call()
        .expect("a response");
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(body["ErrorCode"], "0xA011010C");

    // Other paths and methods, in Keyfactor's shape too.
    let r = s.get("/Workflow/Definitions", &[]);
    assert_eq!(r.error(404).0, "0xA0110404");
    let r = s.get("/Workflow/Instances/My/x", &[]);
    assert_eq!(r.error(404).0, "0xA0110404");
    let mut resp = s
        .agent
        .post(format!("{}{list}", s.base))
        .header("Authorization", basic(ME, PASSWORD))
        .header("X-Keyfactor-Requested-With", "APIClient")
        .send_empty()
        .expect("a response");
    assert_eq!(resp.status().as_u16(), 405);
    let body: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(body["ErrorCode"], "0xA0110405");
}

#[test]
fn sql_metacharacters_are_only_values() {
    let records = sample();
    let s = Service::sqlite(Config::default(), records.clone());
    let nasty = [
        "'",
        "\"",
        "';DROP TABLE workflow_instances;--",
        "\"; DELETE FROM workflow_instances; --",
        "1 OR 1=1",
        "%",
        "_",
        "\\",
        "workflow_instances\0",
        "$1",
        "?1",
        ") OR (1=1",
        "\u{202E}",
    ];
    for v in nasty {
        let quoted = kfql::quote(v);
        let queries = [
            format!("Title -eq {quoted}"),
            format!("Title -contains {quoted}"),
            format!("InitiatingUserName -startswith {quoted}"),
            format!("WorkflowType -endswith {quoted} OR Status -eq {quoted}"),
            v.to_owned(),
        ];
        for q in &queries {
            for path in ["/Workflow/Instances", "/Workflow/Instances/My"] {
                let r = s.get(path, &[("QueryString", q)]);
                assert!(r.status == 200 || r.status == 400, "{q}: {r:?}");
            }
        }
        for name in ["SortField", "SortAscending", "PageReturned", "ReturnLimit"] {
            let r = s.get("/Workflow/Instances", &[(name, v)]);
            assert_eq!(r.status, 400, "{name}={v:?}: {r:?}");
        }
        let r = s.get(&format!("/Workflow/Instances/{}", encode(v)), &[]);
        assert_eq!(r.status, 400, "{v:?}");
        // The unknown parameters and the header values too.
        let r = s.get_as(
            "/Workflow/Instances",
            &[(v, v)],
            Some(ME),
            Some(&[("X-Keyfactor-Requested-With", "';DROP TABLE x;--")]),
        );
        assert_eq!(r.status, 200);
    }
    // Everything is still there, and a text that looks like SQL is text.
    assert_eq!(s.stored(), 120);
    let r = s.get(
        "/Workflow/Instances",
        &[("QueryString", "Title -eq \"' OR 1=1 --\"")],
    );
    assert_eq!(r.total, Some(0));
    let r = s.get("/Workflow/Instances", &[("ReturnLimit", "1")]);
    assert_eq!(r.total, Some(120));
}

/// Query strings assembled from the pieces that trip decoders: every
/// answer is 200 or 400 in Keyfactor's shape, never a failure.
#[test]
fn any_query_string_is_200_or_400() {
    let s = Service::sqlite(Config::default(), sample());
    let pieces = [
        "QueryString",
        "pq.queryString",
        "instanceQuery.queryString",
        "PageReturned",
        "returnlimit",
        "PQ.SORTFIELD",
        "sortAscending",
        "pq.",
        "pq",
        "=",
        "==",
        "&",
        "&&",
        "%",
        "%%",
        "%2",
        "%zz",
        "%FF",
        "%C3",
        "%C3%A9",
        "%00",
        "+",
        "%2B",
        "%26",
        "%3D",
        "Title",
        "-eq",
        "%22",
        "\"",
        "1",
        "0",
        "-1",
        "9223372036854775808",
        "StartDate",
        "%25TODAY%25",
        "(",
        ")",
        "AND",
        "NULL",
        "%E2%80%AE",
    ];
    let mut rng = crate::sql_support::generate::Rng(5);
    let mut answered = 0;
    for _ in 0..300 {
        let n = 1 + rng.below(12);
        let query: String = (0..n).map(|_| rng.pick(&pieces)).collect();
        for path in ["/Workflow/Instances", "/Workflow/Instances/My"] {
            let url = format!("{}{path}?{query}", s.base);
            let Ok(mut resp) = s
                .agent
                .get(&url)
                .header("Authorization", basic(ME, PASSWORD))
                .header("X-Keyfactor-Requested-With", "APIClient")
                .call()
            else {
                // The client itself refuses some of these URLs.
                continue;
            };
            answered += 1;
            let status = resp.status().as_u16();
            let body: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap())
                .unwrap_or_else(|e| panic!("{url}: {status}: {e}"));
            match status {
                200 => assert!(body.is_array(), "{url}"),
                400 => assert!(body["ErrorCode"].is_string(), "{url}: {body}"),
                _ => panic!("{url}: {status} {body}"),
            }
        }
    }
    assert!(answered > 500, "only {answered} of 600 requests were sent");
}

/// A database that fails: 500 with a message that gives nothing away.
#[test]
fn a_failing_database_is_500() {
    let s = Service::sqlite(Config::default(), sample());
    let kfql::server::Db::Sqlite(pool) = &s.db else {
        unreachable!("an in-memory SQLite")
    };
    s.rt.block_on(kfql::server::Db::sqlite_write(pool, |conn| {
        conn.execute_batch("DROP TABLE workflow_instances")?;
        Ok(())
    }))
    .expect("drop");
    for path in [
        "/Workflow/Instances",
        "/Workflow/Instances/My",
        "/Workflow/Instances/00000000000000000000000000000001",
    ] {
        let r = s.get(path, &[]);
        let (code, message) = r.error(500);
        assert_eq!(code, "0xA0110500");
        assert!(!message.contains("workflow_instances"), "{message}");
    }
}
