//! `GET /KeyfactorAPI/Workflow/Instances` and its neighbours over real
//! HTTP: a server started in the test on an ephemeral loopback port and a
//! real client (ureq). `routes`: every route, parameter spelling and
//! paging edge, /My, Status as integers; `errors`: every error status and
//! body, SQL metacharacters in every parameter; `differential`: the same
//! generated queries through HTTP and through memory on SQLite and
//! PostgreSQL; `client`: the vendor's own Python client
//! (tests/python/keyfactor_client.py).

#[path = "../sql_support/mod.rs"]
mod sql_support;

mod client;
mod differential;
mod errors;
mod routes;
#[path = "../python/venv.rs"]
mod venv;

use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use kfql::keyfactor::{self, WorkflowInstance};
use kfql::server::{self, AppState, Config, Db, User, Users};
use kfql::{Context, Direction, Limits, Page, Sort};
use serde_json::Value;

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
