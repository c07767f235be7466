//! The server on a background runtime, the users, the HTTP client and the
//! checks the tests share.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use kfql::server::{self, AppState, Config, Db, User, Users};
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery";
pub const ALL: &str = "configuration:manage,delete;certificate:approve";

/// An argon2id hash with small parameters: the default ones take seconds
/// in a debug build. The service reads the parameters from the hash.
pub fn cheap_hash(password: &str) -> String {
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
pub fn users() -> Users {
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

pub fn runtime() -> Arc<tokio::runtime::Runtime> {
    Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap(),
    )
}

/// A server on 127.0.0.1, alive as long as its runtime.
pub struct Service {
    pub url: String,
    pub db: Db,
    pub rt: Arc<tokio::runtime::Runtime>,
}

impl Service {
    pub fn start(config: Config) -> Service {
        let rt = runtime();
        let db = rt.block_on(Db::open("sqlite::memory:")).unwrap();
        Service::on(rt, db, config)
    }

    pub fn on(rt: Arc<tokio::runtime::Runtime>, db: Db, config: Config) -> Service {
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

    pub fn count(&self) -> u64 {
        self.rt.block_on(server::venafi::count(&self.db)).unwrap()
    }

    pub fn login(&self, user: &str, scope: &str) -> Tokens {
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

    pub fn sdk(&self, route: &str, token: &str, body: &Value) -> Reply {
        post(
            &format!("{}/vedsdk/Workflow/Ticket/{route}", self.url),
            Some(token),
            body,
        )
    }

    pub fn create(&self, token: &str, object_dn: &str, approvers: Value) -> String {
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

pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub www_authenticate: Option<String>,
    pub text: String,
    pub body: Value,
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

pub fn reply(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
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

pub fn post_raw(url: &str, token: Option<&str>, content_type: &str, bytes: &[u8]) -> Reply {
    let mut req = agent().post(url).header("Content-Type", content_type);
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    reply(req.send(bytes))
}

pub fn post(url: &str, token: Option<&str>, body: &Value) -> Reply {
    post_raw(url, token, "application/json", body.to_string().as_bytes())
}

pub fn get(url: &str, authorization: Option<&str>) -> Reply {
    let mut req = agent().get(url);
    if let Some(a) = authorization {
        req = req.header("Authorization", a);
    }
    reply(req.call())
}

/// An error body of the `{"Error": "…"}` shape.
pub fn assert_sdk_error(r: &Reply, status: u16) {
    assert_eq!(r.status, status, "{}", r.text);
    assert!(
        r.body["Error"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        r.text
    );
}

pub fn assert_oauth_error(r: &Reply, status: u16, error: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.body["error"], error, "{}", r.text);
    assert!(r.body["error_description"].is_string(), "{}", r.text);
}

pub const DN: &str = "\\VED\\Policy\\Certificates\\web01.example.com";

/// Raw HTTP/1.1 over TCP: the status code of the answer to `request`.
pub fn raw_status(url: &str, request: &[u8]) -> u16 {
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

/// A server over HTTPS with a self-signed certificate, as pytpp needs:
/// its runtime, database and URL.
pub fn https_service(config: Config) -> (Arc<tokio::runtime::Runtime>, Db, String) {
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
pub fn run_pytpp(python: &std::path::Path, url: &str, mode: &str) {
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
