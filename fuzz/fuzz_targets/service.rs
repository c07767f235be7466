//! The service's parameter layer and request bodies: arbitrary query
//! strings against the three Keyfactor routes and arbitrary bodies against
//! every Venafi POST route, through the whole router (authentication,
//! parameters, the database) over an in-memory SQLite. Each request gets
//! an answer in its API's shape and a status a client can act on: never a
//! panic, never a 500.
#![no_main]

use std::sync::Mutex;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use kfql::server::{self, AppState, Config, Db, User, Users};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt as _;

const USER: &str = "LOCAL\\fuzz";
const PASSWORD: &str = "fuzz-password";

/// How many requests one database takes before it is made afresh (tickets
/// created by the fuzzer would otherwise pile up and slow every run).
const REQUESTS_PER_DATABASE: usize = 5_000;

struct Service {
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
    basic: String,
    bearer: String,
    requests: usize,
}

static SERVICE: Mutex<Option<Service>> = Mutex::new(None);

/// A router over a fresh database with 50 sample instances, one user who
/// holds every permission and scope, and a token for that user.
fn service() -> Service {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (app, bearer) = runtime.block_on(async {
        let db = Db::open("sqlite::memory:").await.expect("database");
        let now = chrono::DateTime::from_timestamp(1_750_000_000, 0).expect("a date");
        server::keyfactor::import(&db, kfql::keyfactor::sample(50, now, 5))
            .await
            .expect("sample");
        let user = User {
            name: USER.into(),
            password_hash: server::hash_password(PASSWORD).expect("hash"),
            permissions: vec!["/workflows/instances/read/".into()],
            scopes: vec!["configuration:manage,delete".into(), "certificate:approve".into()],
            identity: None,
        };
        let users = Users::new(vec![user]).expect("users");
        let app = server::router(AppState::new(db, users, Config::default()));
        let login = serde_json::json!({
            "client_id": "fuzz", "username": USER, "password": PASSWORD,
            "scope": "configuration:manage,delete;certificate:approve",
        });
        let (status, body) = call(&app, post("/vedauth/authorize/oauth", login.to_string().into_bytes(), None)).await;
        assert_eq!(status, StatusCode::OK, "login: {}", String::from_utf8_lossy(&body));
        let token: serde_json::Value = serde_json::from_slice(&body).expect("token JSON");
        (app, token["access_token"].as_str().expect("access_token").to_owned())
    });
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
    );
    Service { runtime, app, basic, bearer, requests: 0 }
}

fn post(path: &str, body: Vec<u8>, bearer: Option<&str>) -> Request<Body> {
    let mut r = Request::post(path).header("Content-Type", "application/json");
    if let Some(token) = bearer {
        r = r.header("Authorization", format!("Bearer {token}"));
    }
    r.body(Body::from(body)).expect("request")
}

async fn call(app: &axum::Router, request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let body = to_bytes(response.into_body(), usize::MAX).await.expect("body");
    (status, body.to_vec())
}

/// `bytes` as a URI's query: bytes a URI may hold as they are, the rest
/// percent-encoded, so that `&`, `=`, `%` and `+` reach the parameter layer.
fn query(bytes: &[u8]) -> String {
    let mut q = String::new();
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"&=%+-._~!$'()*,;:@/?".contains(&b) {
            q.push(b as char);
        } else {
            q.push_str(&format!("%{b:02X}"));
        }
    }
    q
}

const VENAFI: [&str; 7] = ["Create", "Details", "Status", "Exists", "Enumerate", "UpdateStatus", "Delete"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let mut guard = SERVICE.lock().unwrap_or_else(|p| p.into_inner());
    if guard.as_ref().is_none_or(|s| s.requests >= REQUESTS_PER_DATABASE) {
        *guard = Some(service());
    }
    let s = guard.as_mut().expect("made above");
    s.requests += 1;
    let (request, keyfactor) = match selector % 10 {
        route @ 0..=2 => {
            let path = match route {
                0 => "/KeyfactorAPI/Workflow/Instances".to_owned(),
                1 => "/KeyfactorAPI/Workflow/Instances/My".to_owned(),
                // The id route: the first bytes as the id.
                _ => {
                    let cut = rest.len().min(40);
                    let id = query(&rest[..cut]).replace(['/', '?'], "_");
                    format!("/KeyfactorAPI/Workflow/Instances/{id}")
                }
            };
            let uri = format!("{path}?{}", query(rest));
            let Ok(r) = Request::get(uri)
                .header("Authorization", &s.basic)
                .header("X-Keyfactor-Requested-With", "APIClient")
                .body(Body::empty())
            else {
                return;
            };
            (r, true)
        }
        n => {
            let route = VENAFI[(n as usize - 3) % VENAFI.len()];
            let r = post(&format!("/vedsdk/Workflow/Ticket/{route}"), rest.to_vec(), Some(&s.bearer));
            (r, false)
        }
    };
    let (status, body) = s.runtime.block_on(call(&s.app, request));
    assert!(
        status != StatusCode::INTERNAL_SERVER_ERROR,
        "500: {}",
        String::from_utf8_lossy(&body)
    );
    if !status.is_success() {
        let v: serde_json::Value = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("{status} body is not JSON ({e}): {}", String::from_utf8_lossy(&body)));
        if keyfactor {
            assert!(v["ErrorCode"].as_str().is_some_and(|c| c.starts_with("0x")), "{v}");
            assert!(v["Message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
        }
    }
});
