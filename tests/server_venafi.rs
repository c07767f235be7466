//! The Venafi half of `kfql serve` over real HTTP on loopback: the server
//! runs in-process on an ephemeral port (`axum::serve` on a background
//! runtime) and the tests call it with a blocking client. Every route's
//! success and errors; tokens (missing, malformed, tampered, expired,
//! revoked, without the scope, refreshed twice); SQL metacharacters in
//! every body field; bodies that are not JSON, of the wrong type or too
//! large; tickets stored as records the `sql` module can query; two
//! servers on one PostgreSQL taking creates at once; and Venafi's own
//! Python client (pytpp) over HTTPS.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use kfql::server::{self, AppState, Config, Db, User, Users};
use serde_json::{Value, json};

#[allow(dead_code)] // connect() is for the SQL tests
#[path = "sql_support/pg.rs"]
mod pg;

const PASSWORD: &str = "correct horse battery";
const ALL: &str = "configuration:manage,delete;certificate:approve";

/// An argon2id hash with small parameters: the default ones take seconds
/// in a debug build. The service reads the parameters from the hash.
fn cheap_hash(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    use argon2::{Algorithm, Argon2, Params, Version};
    let salt = SaltString::encode_b64(b"kfql-test-salt-16").unwrap();
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(256, 1, 1, None).unwrap(),
    )
    .hash_password(password.as_bytes(), &salt)
    .unwrap()
    .to_string()
}

/// alice may do everything; bob may only read; carol may approve, but is
/// an approver of no ticket unless named.
fn users() -> Users {
    let user = |name: &str, scopes: &[&str], identity: Option<&str>| User {
        name: name.into(),
        password_hash: cheap_hash(PASSWORD),
        permissions: vec![],
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        identity: identity.map(Into::into),
    };
    Users::new(vec![
        user(
            "CORP\\alice",
            &["configuration:manage,delete", "certificate:approve"],
            None,
        ),
        user("CORP\\bob", &["configuration"], None),
        user(
            "CORP\\carol",
            &["configuration:manage", "certificate:approve"],
            Some("AD+corp:carol"),
        ),
    ])
    .unwrap()
}

fn runtime() -> Arc<tokio::runtime::Runtime> {
    Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap(),
    )
}

/// A server on 127.0.0.1, alive as long as its runtime.
struct Service {
    url: String,
    db: Db,
    rt: Arc<tokio::runtime::Runtime>,
}

impl Service {
    fn start(config: Config) -> Service {
        let rt = runtime();
        let db = rt.block_on(Db::open("sqlite::memory:")).unwrap();
        Service::on(rt, db, config)
    }

    fn on(rt: Arc<tokio::runtime::Runtime>, db: Db, config: Config) -> Service {
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = server::router(AppState::new(db.clone(), users(), config));
        rt.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Service { url, db, rt }
    }

    fn count(&self) -> u64 {
        self.rt.block_on(server::venafi::count(&self.db)).unwrap()
    }

    fn login(&self, user: &str, scope: &str) -> Tokens {
        let r = post(
            &format!("{}/vedauth/authorize/oauth", self.url),
            None,
            &json!({"client_id": "kfql-tests", "username": user, "password": PASSWORD, "scope": scope}),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        Tokens {
            access: r.body["access_token"].as_str().unwrap().to_owned(),
            refresh: r.body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    fn sdk(&self, route: &str, token: &str, body: &Value) -> Reply {
        post(
            &format!("{}/vedsdk/Workflow/Ticket/{route}", self.url),
            Some(token),
            body,
        )
    }

    fn create(&self, token: &str, object_dn: &str, approvers: Value) -> String {
        let r = self.sdk(
            "Create",
            token,
            &json!({"ObjectDN": object_dn, "WorkflowDN": "\\VED\\Policy\\Workflows\\Approval",
                    "Approvers": approvers, "Reason": 12, "UserData": "change 42"}),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["Result"], 1);
        r.body["GUID"].as_str().unwrap().to_owned()
    }
}

struct Tokens {
    access: String,
    refresh: String,
}

#[derive(Debug)]
struct Reply {
    status: u16,
    www_authenticate: Option<String>,
    text: String,
    body: Value,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn reply(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut r = r.unwrap();
    let status = r.status().as_u16();
    let www_authenticate = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = r.body_mut().read_to_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        www_authenticate,
        text,
        body,
    }
}

fn post_raw(url: &str, token: Option<&str>, content_type: &str, bytes: &[u8]) -> Reply {
    let mut req = agent().post(url).header("Content-Type", content_type);
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    reply(req.send(bytes))
}

fn post(url: &str, token: Option<&str>, body: &Value) -> Reply {
    post_raw(url, token, "application/json", body.to_string().as_bytes())
}

fn get(url: &str, authorization: Option<&str>) -> Reply {
    let mut req = agent().get(url);
    if let Some(a) = authorization {
        req = req.header("Authorization", a);
    }
    reply(req.call())
}

/// An error body of the `{"Error": "…"}` shape.
fn assert_sdk_error(r: &Reply, status: u16) {
    assert_eq!(r.status, status, "{}", r.text);
    assert!(
        r.body["Error"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        r.text
    );
}

fn assert_oauth_error(r: &Reply, status: u16, error: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.body["error"], error, "{}", r.text);
    assert!(r.body["error_description"].is_string(), "{}", r.text);
}

const DN: &str = "\\VED\\Policy\\Certificates\\web01.example.com";

#[test]
fn oauth_gives_a_token_pair_that_reads_the_version() {
    let s = Service::start(Config::default());
    let r = post(
        &format!("{}/vedauth/Authorize/OAuth", s.url),
        None,
        &json!({"client_id": "app", "username": "corp\\ALICE", "password": PASSWORD,
                "scope": "Configuration:Manage; certificate:approve", "state": "xyz"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let b = &r.body;
    let keys: Vec<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys.len(),
        8,
        "access_token, refresh_token, expires, expires_in, refresh_until, identity, scope, token_type: {keys:?}"
    );
    let access = b["access_token"].as_str().unwrap();
    // Venafi's Python client sends a token as Bearer only when it ends in ==.
    assert!(access.ends_with("==") && access.len() == 32, "{access}");
    assert_ne!(b["refresh_token"], b["access_token"]);
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["identity"], "local:CORP\\alice");
    assert_eq!(b["scope"], "certificate:approve;configuration:manage");
    assert_eq!(b["expires_in"], 3600);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let expires = b["expires"].as_i64().unwrap();
    assert!(
        (now + 3590..=now + 3601).contains(&expires),
        "{expires} vs {now}"
    );
    assert!(b["refresh_until"].as_i64().unwrap() > expires);

    for path in [
        "/vedsdk/SystemStatus/Version",
        "/vedsdk/systemstatus/version",
    ] {
        let v = get(
            &format!("{}{path}", s.url),
            Some(&format!("Bearer {access}")),
        );
        assert_eq!(v.status, 200, "{}", v.text);
        assert_eq!(v.body, json!({"Version": server::venafi::oauth::VERSION}));
    }
    // A bare area asks for reading it, which any privilege in it grants.
    s.login("CORP\\bob", "configuration");
    s.login("CORP\\alice", "configuration;certificate");
}

#[test]
fn oauth_refuses_wrong_credentials_scopes_and_bodies() {
    let s = Service::start(Config::default());
    let url = format!("{}/vedauth/authorize/oauth", s.url);
    let body = |user: &str, password: &str, scope: &str| json!({"client_id": "app", "username": user, "password": password, "scope": scope});
    assert_oauth_error(
        &post(&url, None, &body("CORP\\alice", "wrong", ALL)),
        400,
        "invalid_grant",
    );
    assert_oauth_error(
        &post(&url, None, &body("CORP\\nobody", PASSWORD, ALL)),
        400,
        "invalid_grant",
    );
    // bob may read configuration, nothing more.
    for scope in [
        "configuration:manage",
        "certificate",
        "configuration;ssh:delete",
    ] {
        let r = post(&url, None, &body("CORP\\bob", PASSWORD, scope));
        assert_oauth_error(&r, 400, "invalid_scope");
    }
    for scope in [
        "",
        ";",
        "configuration:",
        "config uration",
        ":manage",
        "a:b,,c",
    ] {
        let r = post(&url, None, &body("CORP\\alice", PASSWORD, scope));
        assert_oauth_error(&r, 400, "invalid_scope");
    }
    // Missing and mistyped fields, bodies that are not a JSON object.
    let missing = json!({"client_id": "app", "username": "CORP\\alice", "password": PASSWORD});
    assert_oauth_error(&post(&url, None, &missing), 400, "invalid_request");
    let typed = json!({"client_id": "app", "username": "CORP\\alice", "password": 5, "scope": ALL});
    assert_oauth_error(&post(&url, None, &typed), 400, "invalid_request");
    let twice =
        br#"{"client_id":"a","username":"CORP\\alice","Username":"x","password":"p","scope":"s"}"#;
    let r = post_raw(&url, None, "application/json", twice);
    assert_oauth_error(&r, 400, "invalid_request");
    for bad in [
        &b"not json"[..],
        b"[1,2]",
        b"",
        b"\xff\xfe",
        b"{\"client_id\": ",
    ] {
        let r = post_raw(&url, None, "application/json", bad);
        assert_oauth_error(&r, 400, "invalid_request");
    }
    let form = b"client_id=app&username=alice&password=x&scope=configuration";
    let r = post_raw(&url, None, "application/x-www-form-urlencoded", form);
    assert_oauth_error(&r, 415, "invalid_request");
    assert_eq!(s.count(), 0);
}

#[test]
fn bearer_tokens_missing_malformed_tampered_or_without_scope() {
    let s = Service::start(Config::default());
    let version = format!("{}/vedsdk/SystemStatus/Version", s.url);
    let r = get(&version, None);
    assert_sdk_error(&r, 401);
    assert!(r.www_authenticate.unwrap().starts_with("Bearer"));
    let alice = s.login("CORP\\alice", ALL);
    let mut tampered = alice.access.clone().into_bytes();
    tampered[5] = if tampered[5] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for auth in [
        "".to_owned(),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        format!("Basic {}", alice.access),
        format!("Bearer {}x", alice.access),
        format!("Bearer {}", &alice.access[..30]),
        "Bearer not-a-token".to_owned(),
        "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==".to_owned(),
        format!("Bearer {tampered}"),
        // The refresh token is not an access token.
        format!("Bearer {}", alice.refresh),
    ] {
        assert_sdk_error(&get(&version, Some(&auth)), 401);
    }
    assert_eq!(
        get(&version, Some(&format!("bearer {}", alice.access))).status,
        200
    );

    // Valid tokens without the scope: 403, and nothing happens.
    let bob = s.login("CORP\\bob", "configuration");
    let create =
        json!({"ObjectDN": DN, "WorkflowDN": "\\VED\\Policy\\W", "Approvers": "local:CORP\\bob"});
    assert_sdk_error(&s.sdk("Create", &bob.access, &create), 403);
    let manage_only = s.login("CORP\\alice", "configuration:manage");
    let guid = s.create(&manage_only.access, DN, json!(["local:CORP\\alice"]));
    let g = json!({"GUID": guid});
    assert_sdk_error(&s.sdk("Delete", &manage_only.access, &g), 403);
    assert_sdk_error(
        &s.sdk(
            "UpdateStatus",
            &manage_only.access,
            &json!({"GUID": guid, "Status": "Approved"}),
        ),
        403,
    );
    // Without a token at all, the route says 401 before reading the body.
    let r = post_raw(
        &format!("{}/vedsdk/Workflow/Ticket/Create", s.url),
        None,
        "text/plain",
        b"junk",
    );
    assert_sdk_error(&r, 401);
    let status = s.sdk("Status", &bob.access, &g);
    assert_eq!(status.body, json!({"Status": "Pending", "Result": 1}));
    assert_eq!(s.count(), 1);
}

#[test]
fn an_expired_token_is_refused_and_its_refresh_token_still_works() {
    let config = Config {
        token_lifetime: Duration::from_secs(1),
        ..Config::default()
    };
    let s = Service::start(config);
    let version = format!("{}/vedsdk/SystemStatus/Version", s.url);
    let t = s.login("CORP\\alice", ALL);
    assert_eq!(
        get(&version, Some(&format!("Bearer {}", t.access))).status,
        200
    );
    std::thread::sleep(Duration::from_millis(1100));
    assert_sdk_error(&get(&version, Some(&format!("Bearer {}", t.access))), 401);
    let r = post(
        &format!("{}/vedauth/authorize/token", s.url),
        None,
        &json!({"client_id": "kfql-tests", "refresh_token": t.refresh}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let fresh = r.body["access_token"].as_str().unwrap();
    assert_eq!(
        r.body["scope"],
        "certificate:approve;configuration:delete,manage"
    );
    assert_eq!(get(&version, Some(&format!("Bearer {fresh}"))).status, 200);
}

#[test]
fn refresh_replaces_the_pair_once() {
    let s = Service::start(Config::default());
    let version = format!("{}/vedsdk/SystemStatus/Version", s.url);
    let token_url = format!("{}/vedauth/Authorize/Token", s.url);
    let t = s.login("CORP\\alice", ALL);
    let refresh = |client: &str, token: &str| {
        post(
            &token_url,
            None,
            &json!({"client_id": client, "refresh_token": token}),
        )
    };
    // Another application's client id does not use (or spend) the token.
    assert_oauth_error(&refresh("other-app", &t.refresh), 400, "invalid_grant");
    let r = refresh("kfql-tests", &t.refresh);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["identity"], "local:CORP\\alice");
    let new_access = r.body["access_token"].as_str().unwrap().to_owned();
    let new_refresh = r.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_access, t.access);
    // Both old tokens stop working; the refresh token fails the second time.
    assert_sdk_error(&get(&version, Some(&format!("Bearer {}", t.access))), 401);
    assert_oauth_error(&refresh("kfql-tests", &t.refresh), 400, "invalid_grant");
    assert_eq!(
        get(&version, Some(&format!("Bearer {new_access}"))).status,
        200
    );
    for junk in [
        "",
        "x",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
        "'; DELETE FROM venafi_tokens; --",
    ] {
        assert_oauth_error(&refresh("kfql-tests", junk), 400, "invalid_grant");
    }

    // One refresh token from eight threads at once: exactly one pair.
    let winners: usize = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..8)
            .map(|_| sc.spawn(|| refresh("kfql-tests", &new_refresh).status))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .inspect(|&st| assert!(st == 200 || st == 400, "{st}"))
            .filter(|&st| st == 200)
            .count()
    });
    assert_eq!(winners, 1);
}

#[test]
fn a_revoked_token_and_its_refresh_token_stop_working() {
    let s = Service::start(Config::default());
    let t = s.login("CORP\\bob", "configuration");
    let revoke = format!("{}/vedauth/Revoke/Token", s.url);
    let auth = format!("Bearer {}", t.access);
    assert_sdk_error(&get(&revoke, None), 401);
    let r = get(&revoke, Some(&auth));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_sdk_error(&get(&revoke, Some(&auth)), 401);
    assert_sdk_error(
        &get(
            &format!("{}/vedsdk/SystemStatus/Version", s.url),
            Some(&auth),
        ),
        401,
    );
    let r = post(
        &format!("{}/vedauth/authorize/token", s.url),
        None,
        &json!({"client_id": "kfql-tests", "refresh_token": t.refresh}),
    );
    assert_oauth_error(&r, 400, "invalid_grant");
}

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

/// Raw HTTP/1.1 over TCP: the status code of the answer to `request`.
fn raw_status(url: &str, request: &[u8]) -> u16 {
    let addr = url.trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = conn.write_all(request);
    let mut buf = Vec::new();
    let _ = conn.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    text.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
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
fn metacharacters(s: &Service) {
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

#[test]
fn postgres_two_servers_take_creates_at_once() {
    let Some(pg) = pg::server_or_skip("postgres_two_servers_take_creates_at_once") else {
        return;
    };
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", pg.port);
    let rt = runtime();
    // Two pools, two routers, one database: as two processes would be.
    let db1 = rt.block_on(Db::open(&url)).unwrap();
    let db2 = rt.block_on(Db::open(&url)).unwrap();
    let s1 = Service::on(rt.clone(), db1, Config::default());
    let s2 = Service::on(rt.clone(), db2, Config::default());
    let token = s1.login("CORP\\alice", ALL).access;
    let per_thread = 25;
    let guids: Vec<String> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..6)
            .map(|t| {
                let (s1, s2, token) = (&s1, &s2, &token);
                sc.spawn(move || {
                    (0..per_thread)
                        .filter_map(|i| {
                            let s = if (t + i) % 2 == 0 { s1 } else { s2 };
                            let r = s.sdk(
                                "Create",
                                token,
                                &json!({"ObjectDN": format!("\\VED\\Policy\\t{t}\\c{i}"),
                                        "WorkflowDN": "\\VED\\Policy\\W", "Approvers": "local:CORP\\alice"}),
                            );
                            (r.status == 200).then(|| r.body["GUID"].as_str().unwrap().to_owned())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let distinct: std::collections::HashSet<&String> = guids.iter().collect();
    assert_eq!(distinct.len(), guids.len());
    assert_eq!(guids.len(), 6 * per_thread);
    assert_eq!(s1.count(), guids.len() as u64);
    // Each server sees the other's tickets, and a token from either.
    for g in guids.iter().take(10) {
        assert_eq!(
            s2.sdk("Exists", &token, &json!({"GUID": g})).body["Result"],
            1
        );
    }

    // One refresh token sent to both servers from eight threads: one pair.
    let t = s2.login("CORP\\alice", ALL);
    let winners = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (s1, s2, refresh) = (&s1, &s2, &t.refresh);
                sc.spawn(move || {
                    let s = if i % 2 == 0 { s1 } else { s2 };
                    post(
                        &format!("{}/vedauth/authorize/token", s.url),
                        None,
                        &json!({"client_id": "kfql-tests", "refresh_token": refresh}),
                    )
                    .status
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|&st| st == 200)
            .count()
    });
    assert_eq!(winners, 1);
    metacharacters(&s2);
    drop((s1, s2));
}

/// The Python interpreter of the venv that tests/python/setup.sh makes:
/// $KFQL_PYTHON_VENV, else target/python-venv. None (after a loud message)
/// when there is none and CI is unset; under CI a missing venv fails.
fn python_or_skip(test: &str) -> Option<std::path::PathBuf> {
    let venv = std::env::var_os("KFQL_PYTHON_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/python-venv")
        });
    let python = venv.join("bin/python");
    if python.exists() {
        return Some(python);
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    let why = "no Python venv: run tests/python/setup.sh (or set KFQL_PYTHON_VENV)";
    if ci {
        panic!("{test}: {why}, and CI requires it");
    }
    eprintln!("\n!!! {test}: SKIPPED, {why} (CI unset)\n");
    None
}

/// A server over HTTPS with a self-signed certificate, as pytpp needs:
/// its runtime, database and URL.
fn https_service(config: Config) -> (Arc<tokio::runtime::Runtime>, Db, String) {
    let rt = runtime();
    let db = rt.block_on(Db::open("sqlite::memory:")).unwrap();
    let app = server::router(AppState::new(db.clone(), users(), config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    rt.spawn(async move {
        let listen = server::Listen {
            listener,
            tls: server::Tls::SelfSigned,
            header_timeout: Duration::from_secs(10),
            grace: Duration::from_secs(1),
        };
        let announce = |url: &str, _fingerprint: Option<&str>| {
            let _ = tx.send(url.to_owned());
        };
        if let Err(e) = server::serve(app, listen, announce).await {
            eprintln!("serve: {e}");
        }
    });
    let url = rx.recv_timeout(Duration::from_secs(20)).unwrap();
    (rt, db, url)
}

/// Runs tests/python/venafi_client.py against `url` in `mode`.
fn run_pytpp(python: &std::path::Path, url: &str, mode: &str) {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/venafi_client.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(url)
        .arg(mode)
        .env("KFQL_USER", "CORP\\alice")
        .env("KFQL_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "pytpp script ({mode}) failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("pytpp: all checks passed"),
        "{stdout}\n{stderr}"
    );
}

#[test]
fn pytpp_client_over_https() {
    let Some(python) = python_or_skip("pytpp_client_over_https") else {
        return;
    };
    let (rt, db, url) = https_service(Config::default());
    run_pytpp(&python, &url, "tickets");
    // The script deletes one of its two tickets and leaves the other.
    assert_eq!(rt.block_on(server::venafi::count(&db)).unwrap(), 1);
}

/// pytpp answers a 401 by logging in again (with the password: its
/// re-authentication never uses the refresh token it holds).
#[test]
fn pytpp_logs_in_again_when_its_token_expires() {
    let Some(python) = python_or_skip("pytpp_logs_in_again_when_its_token_expires") else {
        return;
    };
    let config = Config {
        token_lifetime: Duration::from_secs(1),
        ..Config::default()
    };
    let (_rt, _db, url) = https_service(config);
    run_pytpp(&python, &url, "expiry");
}
