//! OAuth: token pairs, refresh, revoke, and the bearer check.

use std::time::Duration;

use kfql::server::{self, Config};
use serde_json::json;

use crate::support::*;

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
