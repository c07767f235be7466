//! `kfql serve`, `kfql import` and `kfql user add` as an operator runs
//! them: the real binary, a real SQLite file in a temporary directory, and
//! HTTP over loopback. What only a process shows is tested here: the
//! password printed once, the files made, the exit codes, the log lines
//! (no secrets in them), HTTPS, and tickets that survive `kill -9`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;

fn kfql() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kfql"))
}

/// A fresh directory under the target directory, removed by the next run.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli_serve_{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// A running `kfql serve` and everything it printed on standard error.
struct Server {
    child: Child,
    url: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `kfql serve --listen 127.0.0.1:0 ARGS` in `dir` and waits
    /// for its “listening on” line.
    fn start(dir: &Path, args: &[&str]) -> Server {
        let mut child = kfql()
            .current_dir(dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kfql serve starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let url = wait_for_url(child.stderr.take().expect("stderr piped"), stderr.clone());
        let Some(url) = url else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kfql serve did not start:\n{}", stderr.lock().unwrap());
        };
        Server { child, url, stderr }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// `kill -9`: no chance to flush or finish anything.
    fn kill(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr()
    }

    /// SIGTERM, then wait for a clean exit.
    fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().expect("kfql serve exits");
        assert!(
            status.success(),
            "kfql serve exited with {status} after SIGTERM"
        );
        self.stderr()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copies standard error into `sink` on a thread; returns the URL from
/// the “listening on” line, or `None` if the process ended first.
fn wait_for_url(stderr: ChildStderr, sink: Arc<Mutex<String>>) -> Option<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(url) = line.split("listening on ").nth(1)
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(url.trim().to_owned());
            }
            let mut s = sink.lock().unwrap();
            s.push_str(&line);
            s.push('\n');
        }
    });
    rx.recv_timeout(Duration::from_secs(60)).ok()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn basic(user: &str, password: &str) -> String {
    let pair = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// GET the instances with Basic credentials: (status, x-total-count, body).
fn instances(url: &str, auth: &str, query: &str) -> (u16, Option<u64>, String) {
    let mut r = agent()
        .get(format!("{url}/KeyfactorAPI/Workflow/Instances{query}"))
        .header("Authorization", auth)
        .header("X-Keyfactor-Requested-With", "APIClient")
        .call()
        .expect("HTTP");
    let total = r
        .headers()
        .get("x-total-count")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let status = r.status().as_u16();
    (
        status,
        total,
        r.body_mut().read_to_string().unwrap_or_default(),
    )
}

/// The administrator password `kfql serve` printed.
fn printed_password(stderr: &str) -> String {
    let line = stderr
        .lines()
        .find(|l| l.contains("with password "))
        .unwrap_or_else(|| panic!("no password line in:\n{stderr}"));
    line.split("with password ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

fn users_file(dir: &Path, name: &str, password: &str, args: &[&str]) -> PathBuf {
    let path = dir.join("users.json");
    let mut child = kfql()
        .args(["user", "add", "--users"])
        .arg(&path)
        .arg(name)
        .args(args)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kfql user add");
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

#[test]
fn serve_without_flags_makes_a_database_and_prints_a_random_password_once() {
    let dir = scratch("no_flags");
    let server = Server::start(&dir, &["--sample", "25"]);
    assert!(
        dir.join("kfql.db").exists(),
        "the default database is ./kfql.db"
    );
    let password = printed_password(&server.stderr());
    assert!(password.len() >= 20, "a long random password: {password}");
    let (status, total, body) = instances(&server.url, &basic("LOCAL\\admin", &password), "");
    assert_eq!(status, 200, "{body}");
    assert_eq!(total, Some(25));
    let (status, _, _) = instances(&server.url, &basic("LOCAL\\admin", "admin"), "");
    assert_eq!(status, 401, "no built-in password");
    let log = server.stop();
    assert_eq!(
        log.matches(&password).count(),
        1,
        "the password is printed once:\n{log}"
    );

    // A second start keeps the data and makes a new password.
    let again = Server::start(&dir, &["--sample", "25"]);
    let second = printed_password(&again.stderr());
    assert_ne!(second, password);
    let (_, total, _) = instances(&again.url, &basic("LOCAL\\admin", &second), "");
    assert_eq!(
        total,
        Some(25),
        "--sample loads nothing into a database that has instances"
    );
}

#[test]
fn import_is_all_or_nothing() {
    let dir = scratch("import");
    let db = format!("sqlite:{}", dir.join("k.db").display());
    let good = dir.join("good.jsonl");
    let records = kfql::keyfactor::sample(40, kfql_now(), 3);
    let mut text = String::new();
    for r in &records {
        text += &serde_json::to_string(r).unwrap();
        text.push('\n');
    }
    std::fs::write(&good, &text).unwrap();
    // The same records with a bad one at line 31.
    let bad = dir.join("bad.jsonl");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[30] = r#"{"Id": "not a guid"}"#.into();
    std::fs::write(&bad, lines.join("\n")).unwrap();

    let out = kfql()
        .args(["import", "--database", &db])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.jsonl") && err.contains("31"),
        "names the file and line: {err}"
    );
    assert!(err.contains("nothing imported"), "{err}");

    let users = users_file(
        &dir,
        "CORP\\ops",
        "pw-ops",
        &["--permission", "/workflows/instances/read/"],
    );
    {
        let server = Server::start(
            &dir,
            &["--database", &db, "--users", users.to_str().unwrap()],
        );
        let (status, total, _) = instances(&server.url, &basic("CORP\\ops", "pw-ops"), "");
        assert_eq!(
            (status, total),
            (200, Some(0)),
            "the failed import left nothing"
        );
    }
    let out = kfql()
        .args(["import", "--database", &db])
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = Server::start(
        &dir,
        &["--database", &db, "--users", users.to_str().unwrap()],
    );
    let (status, total, _) = instances(&server.url, &basic("CORP\\ops", "pw-ops"), "");
    assert_eq!((status, total), (200, Some(40)));
}

fn kfql_now() -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
}

#[test]
fn user_add_reads_the_password_from_standard_input_and_stores_only_a_hash() {
    let dir = scratch("users");
    let path = users_file(
        &dir,
        "CORP\\alice",
        "correct horse",
        &["--permission", "/workflows/instances/read/"],
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("correct horse"));
    assert!(text.contains("$argon2id$"), "{text}");
    // Replacing alice keeps one entry.
    users_file(
        &dir,
        "corp\\ALICE",
        "battery staple",
        &["--permission", "/workflows/instances/read/"],
    );
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(file["users"].as_array().unwrap().len(), 1);

    let out = kfql()
        .args(["user", "add", "--users"])
        .arg(&path)
        .arg("CORP\\bob")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("standard input"));

    let server = Server::start(
        &dir,
        &[
            "--database",
            "sqlite::memory:",
            "--users",
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(
        instances(&server.url, &basic("CORP\\alice", "battery staple"), "").0,
        200
    );
    assert_eq!(
        instances(&server.url, &basic("CORP\\alice", "correct horse"), "").0,
        401
    );
}

#[test]
fn a_broken_users_file_or_database_url_is_a_clear_error() {
    let dir = scratch("bad_config");
    std::fs::write(
        dir.join("users.json"),
        "{\"users\": [{\"name\": \"x\", \"password_hash\": \"plain\"}]}",
    )
    .unwrap();
    let out = kfql()
        .current_dir(&dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--users", "users.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("users.json") && err.contains("password_hash"),
        "{err}"
    );

    let out = kfql()
        .current_dir(&dir)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            "mysql://root:hunter2@db/x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("expected sqlite:PATH"), "{err}");
    assert!(
        !err.contains("hunter2"),
        "the password stays out of the message: {err}"
    );
}

/// A Venafi access token for `user`.
fn venafi_token(url: &str, user: &str, password: &str, scope: &str) -> String {
    let body = serde_json::json!({"client_id": "kfql-tests", "username": user, "password": password, "scope": scope});
    let mut r = agent()
        .post(format!("{url}/vedauth/authorize/oauth"))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .expect("HTTP");
    let text = r.body_mut().read_to_string().unwrap();
    assert_eq!(r.status().as_u16(), 200, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["access_token"].as_str().expect("access_token").to_owned()
}

const CREATE: &str = r#"{"ObjectDN": "\\VED\\Policy\\Certificates\\web01.example.com",
    "WorkflowDN": "\\VED\\Policy\\Workflows\\Approval", "Approvers": ["local:LOCAL\\admin"]}"#;

#[test]
fn the_log_has_one_line_per_request_and_no_secrets() {
    let dir = scratch("log");
    let server = Server::start(&dir, &["--database", "sqlite::memory:", "--sample", "5"]);
    let password = printed_password(&server.stderr());
    let auth = basic("LOCAL\\admin", &password);
    let query = "?QueryString=Title%20-contains%20%22topsecret%22";
    assert_eq!(instances(&server.url, &auth, query).0, 200);
    let token = venafi_token(
        &server.url,
        "LOCAL\\admin",
        &password,
        "configuration:manage",
    );
    let r = agent()
        .post(format!("{}/vedsdk/Workflow/Ticket/Create", server.url))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(CREATE)
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let log = server.stop();
    let after_start: String = log
        .lines()
        .skip_while(|l| !l.contains("listening on"))
        .skip(1)
        .collect::<Vec<_>>()
        .join("\n");
    for secret in [
        password.as_str(),
        token.as_str(),
        auth.as_str(),
        "topsecret",
        "Basic ",
        "Bearer ",
    ] {
        assert!(
            !after_start.contains(secret),
            "{secret:?} is in the log:\n{after_start}"
        );
    }
    let requests: Vec<&str> = after_start
        .lines()
        .filter(|l| l.contains("request method="))
        .collect();
    assert_eq!(requests.len(), 3, "one line per request:\n{after_start}");
    assert!(
        requests[0].contains("/KeyfactorAPI/Workflow/Instances") && requests[0].contains("200")
    );
    assert!(
        requests[0].contains("LOCAL\\\\admin") || requests[0].contains("LOCAL\\admin"),
        "{}",
        requests[0]
    );
}

#[test]
fn https_with_a_self_signed_certificate() {
    let dir = scratch("tls");
    let server = Server::start(
        &dir,
        &["--database", "sqlite::memory:", "--tls-self-signed"],
    );
    assert!(server.url.starts_with("https://"), "{}", server.url);
    let log = server.stderr();
    let fingerprint = log
        .lines()
        .find_map(|l| l.split("SHA-256 ").nth(1))
        .expect("the fingerprint is printed");
    assert_eq!(fingerprint.trim().len(), 32 * 3 - 1, "{fingerprint}");
    let out = Command::new("curl")
        .args(["-sk", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(format!("{}/vedsdk/SystemStatus/Version", server.url))
        .output();
    match out {
        Ok(out) => assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "401",
            "no token: 401 over HTTPS"
        ),
        Err(e) => {
            eprintln!("curl is not installed ({e}); HTTPS is tested by the Venafi client test")
        }
    }
}

#[test]
fn tickets_acknowledged_before_kill_9_are_all_there_after_a_restart() {
    let dir = scratch("kill9");
    let db = format!("sqlite:{}", dir.join("k.db").display());
    let users = users_file(
        &dir,
        "LOCAL\\admin",
        "pw-admin",
        &[
            "--scope",
            "configuration:manage,delete",
            "--permission",
            "/workflows/instances/read/",
        ],
    );
    let args = [
        "--database",
        db.as_str(),
        "--users",
        users.to_str().unwrap(),
    ];
    let server = Server::start(&dir, &args);
    let token = venafi_token(
        &server.url,
        "LOCAL\\admin",
        "pw-admin",
        "configuration:manage",
    );
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let sent = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(30);
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (url, token, acknowledged, sent) = (
                server.url.clone(),
                token.clone(),
                acknowledged.clone(),
                sent.clone(),
            );
            std::thread::spawn(move || {
                while Instant::now() < deadline {
                    sent.fetch_add(1, Ordering::SeqCst);
                    let r = agent()
                        .post(format!("{url}/vedsdk/Workflow/Ticket/Create"))
                        .header("Authorization", &format!("Bearer {token}"))
                        .header("Content-Type", "application/json")
                        .send(CREATE);
                    // After the kill: connection refused or reset.
                    let Ok(mut r) = r else { return };
                    if r.status().as_u16() != 200 {
                        return;
                    }
                    let Ok(text) = r.body_mut().read_to_string() else {
                        return;
                    };
                    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                    acknowledged
                        .lock()
                        .unwrap()
                        .push(v["GUID"].as_str().unwrap().to_owned());
                }
            })
        })
        .collect();
    // Kill while creates are in flight.
    while acknowledged.lock().unwrap().len() < 50 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill();
    for c in clients {
        c.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 50,
        "only {} creates before the kill",
        acknowledged.len()
    );

    let server = Server::start(&dir, &args);
    let token = venafi_token(
        &server.url,
        "LOCAL\\admin",
        "pw-admin",
        "configuration:manage",
    );
    let mut r = agent()
        .post(format!("{}/vedsdk/Workflow/Ticket/Enumerate", server.url))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send("{}")
        .unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    let mut stored: Vec<String> = v["GUIDS"]
        .as_array()
        .expect("GUIDS")
        .iter()
        .map(|g| g.as_str().unwrap().trim_matches(['{', '}']).to_lowercase())
        .collect();
    let count = stored.len();
    stored.sort();
    stored.dedup();
    assert_eq!(stored.len(), count, "no ticket twice");
    for guid in &acknowledged {
        let g = guid.trim_matches(['{', '}']).to_lowercase();
        assert!(
            stored.binary_search(&g).is_ok(),
            "acknowledged ticket {guid} is lost"
        );
    }
    // At most the requests in flight at the kill were stored unanswered.
    assert!(count <= sent.load(Ordering::SeqCst));
}
