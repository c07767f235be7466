//! `GET /KeyfactorAPI/Workflow/Instances` and its neighbours over real
//! HTTP: a server started in the test on an ephemeral loopback port, a
//! real client (ureq), every route, parameter spelling, paging edge and
//! error status; SQL metacharacters in every parameter; the same
//! generated queries through HTTP and through memory on SQLite and
//! PostgreSQL; and the vendor's own Python client (keyfactor_client.py).

mod sql_support;

use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use kfql::keyfactor::{self, WorkflowInstance};
use kfql::server::{self, AppState, Config, Db, StatusFormat, User, Users};
use kfql::{Context, Direction, Limits, Page, Sort};
use serde_json::Value;
use sql_support::generate::{COMMON, Gen, Rng};
use sql_support::pg;

const ME: &str = r"KEYEXAMPLE\jsmith";
const OTHER: &str = r"KEYEXAMPLE\mjones";
const NO_PERMISSION: &str = r"KEYEXAMPLE\guest";
const PASSWORD: &str = "correct horse";
const PERMISSION: &str = "/workflows/instances/read/";

/// A server on 127.0.0.1:<ephemeral>, on a runtime of its own, stopped
/// when dropped.
struct Service {
    base: String,
    db: Db,
    rt: tokio::runtime::Runtime,
    agent: ureq::Agent,
}

fn users() -> Users {
    // One hash for all: argon2 is slow on purpose, more so unoptimized.
    let hash = server::hash_password(PASSWORD).expect("hash");
    let user = |name: &str, permissions: &[&str]| User {
        name: name.to_owned(),
        password_hash: hash.clone(),
        permissions: permissions.iter().map(|p| p.to_string()).collect(),
        scopes: Vec::new(),
        identity: None,
    };
    Users::new(vec![
        user(ME, &[PERMISSION]),
        user(OTHER, &["/workflows/instances/read"]),
        user(NO_PERMISSION, &["/certificates/read/"]),
    ])
    .expect("users")
}

impl Service {
    fn start(url: &str, config: Config, records: Vec<WorkflowInstance>) -> Service {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let (db, listener) = rt.block_on(async {
            let db = Db::open(url).await.expect("open the database");
            server::keyfactor::import(&db, records)
                .await
                .expect("import");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            (db, listener)
        });
        let addr = listener.local_addr().expect("address");
        let app = server::router(AppState::new(db.clone(), users(), config));
        rt.spawn(async move { axum::serve(listener, app).await });
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Service {
            base: format!("http://{addr}/KeyfactorAPI"),
            db,
            rt,
            agent,
        }
    }

    fn sqlite(config: Config, records: Vec<WorkflowInstance>) -> Service {
        Service::start("sqlite::memory:", config, records)
    }

    /// GET `path` (under /KeyfactorAPI) with `params` encoded, as `user`,
    /// with Keyfactor's headers unless `headers` replaces them.
    fn get_as(
        &self,
        path: &str,
        params: &[(&str, &str)],
        user: Option<&str>,
        headers: Option<&[(&str, &str)]>,
    ) -> Reply {
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        let mut url = format!("{}{path}", self.base);
        if !query.is_empty() {
            url = format!("{url}?{}", query.join("&"));
        }
        let mut req = self.agent.get(&url);
        if let Some(user) = user {
            req = req.header("Authorization", basic(user, PASSWORD));
        }
        let default = [
            ("X-Keyfactor-Requested-With", "APIClient"),
            ("x-keyfactor-api-version", "1"),
        ];
        for (k, v) in headers.unwrap_or(&default) {
            req = req.header(*k, *v);
        }
        let shown: String = url.chars().take(200).collect();
        let mut resp = req.call().unwrap_or_else(|e| panic!("GET {shown}: {e}"));
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let total = header("x-total-count");
        let www_authenticate = header("www-authenticate");
        let body = resp.body_mut().read_to_string().expect("body");
        let json = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("GET {shown}: {status} body is not JSON ({e}): {body}"));
        Reply {
            status,
            total: total.and_then(|t| t.parse().ok()),
            www_authenticate,
            json,
        }
    }

    fn get(&self, path: &str, params: &[(&str, &str)]) -> Reply {
        self.get_as(path, params, Some(ME), None)
    }

    fn stored(&self) -> u64 {
        self.rt
            .block_on(server::keyfactor::count(&self.db))
            .expect("count")
    }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    total: Option<u64>,
    www_authenticate: Option<String>,
    json: Value,
}

impl Reply {
    /// The ids of a 200's instances, in order.
    fn ids(&self) -> Vec<String> {
        assert_eq!(self.status, 200, "{:?}", self.json);
        self.json
            .as_array()
            .expect("an array")
            .iter()
            .map(|i| i["Id"].as_str().expect("an Id").to_owned())
            .collect()
    }

    /// An error's code and message.
    fn error(&self, status: u16) -> (&str, &str) {
        assert_eq!(self.status, status, "{:?}", self.json);
        let o = self.json.as_object().expect("an error object");
        assert_eq!(o.len(), 2, "{o:?}");
        (
            o["ErrorCode"].as_str().expect("ErrorCode"),
            o["Message"].as_str().expect("Message"),
        )
    }
}

fn basic(user: &str, password: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

/// Percent-encoding of everything but unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn now() -> DateTime<Utc> {
    std::time::SystemTime::now().into()
}

/// What memory says: the ids of the page and the total.
fn expected(
    records: &[WorkflowInstance],
    query: &str,
    sort: &Sort,
    page: Page,
    user: &str,
) -> Result<(Vec<String>, u64), kfql::Error> {
    let limits = Limits {
        max_depth: Limits::MAX_DEPTH,
        ..Limits::DEFAULT
    };
    let ctx = Context::new(now()).with_user(user);
    let filter = kfql::Parser::new()
        .limits(limits)
        .parse(query)
        .and_then(|q| q.compile(&keyfactor::schema(), &ctx))?;
    let result = filter.page(records, sort, page)?;
    Ok((
        result.records.iter().map(|r| r.id.to_string()).collect(),
        result.total,
    ))
}

fn sample() -> Vec<WorkflowInstance> {
    keyfactor::sample(120, now(), 7)
}

fn default_sort() -> Sort {
    Sort::default_for(&keyfactor::schema())
}

fn sort(field: &str, direction: Direction) -> Sort {
    Sort::new(&keyfactor::schema(), field, direction).expect("a sort field")
}

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

/// The same generated queries, sorts and pages through HTTP and through
/// memory: the same ids in the same order and the same total, or both an
/// error. Some go through /My, compared with memory over the caller's
/// records.
fn differential(s: &Service, g: &mut Gen, records: &[WorkflowInstance], cases: usize) {
    let schema = keyfactor::schema();
    let my_filter = kfql::compile(
        &format!("InitiatingUserName -eq {}", kfql::quote(ME)),
        &schema,
        &Context::new(now()),
    )
    .expect("compiles");
    let mine: Vec<WorkflowInstance> = records
        .iter()
        .filter(|r| my_filter.matches(*r))
        .cloned()
        .collect();
    let (mut ok, mut errors) = (0, 0);
    for case in 0..cases {
        let query = g.query(records);
        let sort = g.sort();
        let page = g.page();
        let my = case % 4 == 3;
        let over = if my { &mine[..] } else { records };
        let want = expected(over, &query, &sort, page, ME);
        let number = page.number().to_string();
        let limit = page.limit().to_string();
        let mut params = vec![
            ("QueryString", query.as_str()),
            ("PageReturned", number.as_str()),
            ("ReturnLimit", limit.as_str()),
            (
                "SortAscending",
                if sort.is_descending() { "1" } else { "0" },
            ),
        ];
        if case % 5 != 0 || sort.field().name() != "CurrentStepDisplayName" {
            params.push(("SortField", sort.field().name()));
        }
        let path = if my {
            "/Workflow/Instances/My"
        } else {
            "/Workflow/Instances"
        };
        let r = s.get(path, &params);
        match want {
            Ok((ids, total)) => {
                assert_eq!(r.status, 200, "{path} {params:?}: {:?}", r.json);
                assert_eq!(r.ids(), ids, "{path} {params:?}");
                assert_eq!(r.total, Some(total), "{path} {params:?}");
                ok += 1;
            }
            Err(e) => {
                let (_, message) = r.error(400);
                assert_eq!(message, e.description(), "{params:?}");
                errors += 1;
            }
        }
    }
    eprintln!("{ok} pages and {errors} errors compared");
    assert!(ok * 2 > cases, "too few queries compiled");
}

fn generator(seed: u64) -> Gen {
    Gen {
        rng: Rng(seed),
        fragments: COMMON.to_vec(),
        now: now(),
    }
}

fn differential_config() -> Config {
    Config {
        max_return_limit: i64::MAX as u64,
        limits: Limits {
            max_depth: Limits::MAX_DEPTH,
            ..Limits::DEFAULT
        },
        ..Config::default()
    }
}

#[test]
fn http_matches_memory_on_sqlite() {
    let mut g = generator(11);
    let mut records = g.records(300);
    records.extend(keyfactor::sample(60, now(), 12));
    let s = Service::sqlite(differential_config(), records.clone());
    differential(&s, &mut g, &records, 400);
}

#[test]
fn http_matches_memory_on_postgres() {
    let Some(pg) = pg::server_or_skip("http_matches_memory_on_postgres") else {
        return;
    };
    let mut g = generator(13);
    let mut records = g.records(300);
    records.extend(keyfactor::sample(60, now(), 14));
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", pg.port);
    let s = Service::start(&url, differential_config(), records.clone());
    differential(&s, &mut g, &records, 400);
    drop(s);
}

/// A second server on the same PostgreSQL database: migrations run once,
/// the data is shared.
#[test]
fn postgres_routes_and_indexes() {
    let Some(pg) = pg::server_or_skip("postgres_routes_and_indexes") else {
        return;
    };
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", pg.port);
    let records = sample();
    let s = Service::start(&url, Config::default(), records.clone());
    let t = Service::start(&url, Config::default(), Vec::new());
    assert_eq!(t.stored(), 120);
    let r = t.get(&format!("/Workflow/Instances/{}", records[9].id), &[]);
    assert_eq!(r.json["ReferenceId"], records[9].reference_id);
    let r = t.get(
        "/Workflow/Instances",
        &[("QueryString", "Status -eq \"Failed\"")],
    );
    let (ids, total) = expected(
        &records,
        "Status -eq \"Failed\"",
        &default_sort(),
        Page::default(),
        ME,
    )
    .unwrap();
    assert_eq!((r.ids(), r.total), (ids, Some(total)));
    // The plans use the indexes (the planner would scan a table this
    // small, so sequential scans are off for the question).
    let mut client = pg.connect().expect("connect");
    client
        .batch_execute("SET enable_seqscan = off")
        .expect("set");
    for (sort, index) in [
        (
            "lower(rtrim(current_step_display_name, ' ')) COLLATE \"C\" ASC NULLS FIRST, reference_id ASC NULLS FIRST, seq ASC",
            "workflow_instances_step",
        ),
        (
            "lower(rtrim(current_step_display_name, ' ')) COLLATE \"C\" DESC NULLS LAST, reference_id ASC NULLS FIRST, seq ASC",
            "workflow_instances_step_desc",
        ),
        (
            "start_date COLLATE \"C\" DESC NULLS LAST, reference_id ASC NULLS FIRST, seq ASC",
            "workflow_instances_start_desc",
        ),
        (
            "reference_id DESC NULLS LAST, reference_id ASC NULLS FIRST, seq ASC",
            "workflow_instances_reference_desc",
        ),
    ] {
        let plan: Vec<String> = client
            .query(
                &format!("EXPLAIN SELECT * FROM workflow_instances ORDER BY {sort} LIMIT 50"),
                &[],
            )
            .expect("explain")
            .iter()
            .map(|r| r.get(0))
            .collect();
        let plan = plan.join("\n");
        assert!(plan.contains(index), "{sort}:\n{plan}");
    }
    let plan: Vec<String> = client
        .query(
            "EXPLAIN SELECT * FROM workflow_instances WHERE status = $1::text",
            &[&"Failed"],
        )
        .expect("explain")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        plan.join("\n").contains("workflow_instances_status"),
        "{plan:?}"
    );
    drop((s, t));
}

/// The Python interpreter of the tests' virtual environment
/// (tests/python/setup.sh): $KFQL_PYTHON_VENV, else target/python-venv.
/// Missing, it fails the test under CI and skips it loudly otherwise.
fn python(test: &str) -> Option<std::path::PathBuf> {
    let venv = std::env::var_os("KFQL_PYTHON_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/python-venv")
        });
    let python = venv.join("bin/python");
    if python.exists() {
        return Some(python);
    }
    let message = format!(
        "{test}: no Python environment at {}: run tests/python/setup.sh",
        venv.display()
    );
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    if ci {
        panic!("{message} (CI requires it)");
    }
    eprintln!("\n!!! SKIPPED {message}\n");
    None
}

/// keyfactor-v-1-client, Keyfactor's OpenAPI-generated Python client,
/// against a server writing Status as integers: every instance decodes
/// into its models, and its pages, totals, /My and /{id} are memory's.
#[test]
fn the_vendors_python_client() {
    let Some(python) = python("the_vendors_python_client") else {
        return;
    };
    let mut records = sample();
    // Nulls where the client's decoders are strictest.
    records[0].definition = None;
    records[1].start_date = None;
    records[2].last_modified = None;
    records[3].title = None;
    let config = Config {
        status_format: StatusFormat::Integer,
        ..Config::default()
    };
    let s = Service::sqlite(config, records.clone());
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/keyfactor_client.py");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .env("KFQL_URL", &s.base)
        .env("KFQL_USER", ME)
        .env("KFQL_PASSWORD", PASSWORD)
        .env("KFQL_QUERY", "Status -ne 2 AND ReferenceId -gt 0")
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: std::collections::HashMap<String, Value> = stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("a JSON line");
            (v["call"].as_str().expect("a call").to_owned(), v)
        })
        .collect();
    let query = r#"Status -ne "Complete" AND ReferenceId -gt 0"#;
    let ids = |v: &Value| -> Vec<String> {
        v["ids"]
            .as_array()
            .expect("ids")
            .iter()
            .map(|i| i.as_str().expect("an id").to_owned())
            .collect()
    };
    let check = |call: &str, over: &[WorkflowInstance], q: &str, sort: Sort, page: Page| {
        let (want, total) = expected(over, q, &sort, page, ME).unwrap();
        assert_eq!(ids(&lines[call]), want, "{call}");
        assert_eq!(lines[call]["total"], total, "{call}");
        want
    };
    check(
        "page",
        &records,
        query,
        sort("StartDate", Direction::Descending),
        Page::new(2, 5).unwrap(),
    );
    let all = check(
        "all",
        &records,
        query,
        sort("ReferenceId", Direction::Ascending),
        Page::new(1, 1000).unwrap(),
    );
    assert!(all.len() > 20);
    check("defaults", &records, "", default_sort(), Page::default());
    let mine: Vec<WorkflowInstance> = records
        .iter()
        .filter(|r| r.initiating_user_name.as_deref() == Some(ME))
        .cloned()
        .collect();
    check(
        "my",
        &mine,
        query,
        sort("ReferenceId", Direction::Ascending),
        Page::new(1, 1000).unwrap(),
    );
    let first = records
        .iter()
        .find(|r| r.id.to_string() == all[0])
        .expect("the first");
    assert_eq!(lines["get"]["id"], all[0]);
    assert_eq!(lines["get"]["status"], first.status as u64 + 1);
    assert_eq!(lines["missing"]["status"], 404);
    assert_eq!(lines["missing"]["body"]["ErrorCode"], "0xA0110404");
    assert_eq!(lines["bad"]["status"], 400);
    assert_eq!(lines["bad"]["body"]["ErrorCode"], "0xA0110105");
    assert_eq!(lines["unauthorized"]["status"], 401);
    assert!(
        lines["unauthorized"]["challenge"]
            .as_str()
            .unwrap_or("")
            .starts_with("Basic")
    );
    eprintln!("keyfactor-v-1-client: {}", lines["page"]);
}
