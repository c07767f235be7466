//! The limits every route shares (SERVICE.md §4 in the README's words):
//! bodies over `max_body` are 413, URLs over `max_uri` are 414, each in
//! its API's error shape, and a client that stalls — sending nothing,
//! half its headers, or half its body — is cut off instead of holding a
//! connection. The server is `kfql::server::serve`, as `kfql serve` runs
//! it, on an ephemeral loopback port.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use kfql::server::{self, AppState, Config, Db, Listen, Tls, Users};

/// The server's timeouts in these tests.
const TIMEOUT: Duration = Duration::from_secs(1);

/// Starts a server with small limits; returns its address.
fn start() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let db = Db::open("sqlite::memory:").await.expect("database");
            let (users, _) = Users::with_random_admin("LOCAL\\admin").unwrap();
            let config = Config {
                max_body: 4096,
                max_uri: 2048,
                request_timeout: TIMEOUT,
                ..Config::default()
            };
            let app = server::router(AppState::new(db, users, config));
            let listen = Listen {
                listener,
                tls: Tls::None,
                header_timeout: TIMEOUT,
                grace: Duration::from_secs(1),
            };
            server::serve(app, listen, |_, _| {}).await.expect("serve");
        });
    });
    // The listener is bound already: connections queue until serve runs.
    addr
}

/// Sends `request` raw and reads the answer until the server closes the
/// connection or 10 s pass; returns the text and how long it took.
fn exchange(addr: &str, request: &[u8]) -> (String, Duration) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let start = Instant::now();
    stream.write_all(request).expect("send");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    (
        String::from_utf8_lossy(&answer).into_owned(),
        start.elapsed(),
    )
}

fn status(answer: &str) -> u16 {
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"))
}

fn body(answer: &str) -> serde_json::Value {
    let text = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    serde_json::from_str(text).unwrap_or_else(|e| panic!("body is not JSON ({e}): {answer:?}"))
}

#[test]
fn a_client_that_sends_nothing_is_disconnected() {
    let addr = start();
    let (answer, took) = exchange(&addr, b"");
    assert!(took < Duration::from_secs(8), "held for {took:?}");
    // hyper closes without an answer, or with 408.
    assert!(answer.is_empty() || status(&answer) == 408, "{answer:?}");
}

#[test]
fn a_client_that_stops_in_its_headers_is_disconnected() {
    let addr = start();
    let (answer, took) = exchange(
        &addr,
        b"GET /KeyfactorAPI/Workflow/Instances HTTP/1.1\r\nHost: x\r\nX-Kf",
    );
    assert!(took < Duration::from_secs(8), "held for {took:?}");
    assert!(answer.is_empty() || status(&answer) == 408, "{answer:?}");
}

#[test]
fn a_client_that_stops_in_its_body_gets_408() {
    let addr = start();
    // The login route reads its body before anything else.
    let (answer, took) = exchange(
        &addr,
        b"POST /vedauth/authorize/oauth HTTP/1.1\r\nHost: x\r\n\
          Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"client_id",
    );
    assert!(took < Duration::from_secs(8), "held for {took:?}");
    assert_eq!(status(&answer), 408, "{answer:?}");
    assert!(
        body(&answer)["Error"].as_str().unwrap().contains("1 s"),
        "{answer:?}"
    );
}

#[test]
fn bodies_over_the_limit_are_413_in_each_apis_shape() {
    let addr = start();
    let big = "x".repeat(5000);
    let venafi = format!(
        "POST /vedsdk/Workflow/Ticket/Create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{big}",
        big.len()
    );
    let (answer, _) = exchange(&addr, venafi.as_bytes());
    assert_eq!(status(&answer), 413, "{answer:?}");
    assert!(
        body(&answer)["Error"].as_str().unwrap().contains("4096"),
        "{answer:?}"
    );

    let keyfactor = format!(
        "GET /KeyfactorAPI/Workflow/Instances HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{big}",
        big.len()
    );
    let (answer, _) = exchange(&addr, keyfactor.as_bytes());
    assert_eq!(status(&answer), 413, "{answer:?}");
    let b = body(&answer);
    assert!(
        b["ErrorCode"].as_str().unwrap().starts_with("0x"),
        "{answer:?}"
    );
    assert!(
        b["Message"].as_str().unwrap().contains("4096"),
        "{answer:?}"
    );
}

#[test]
fn urls_over_the_limit_are_414_in_each_apis_shape() {
    let addr = start();
    let long = "a".repeat(3000);
    let (answer, _) = exchange(
        &addr,
        format!("GET /KeyfactorAPI/Workflow/Instances?QueryString={long} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
    );
    assert_eq!(status(&answer), 414, "{answer:?}");
    let b = body(&answer);
    assert!(b["ErrorCode"].as_str().unwrap().starts_with("0x"));
    assert!(
        b["Message"].as_str().unwrap().contains("2048"),
        "{answer:?}"
    );

    let (answer, _) = exchange(
        &addr,
        format!("GET /vedsdk/SystemStatus/Version?x={long} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
    );
    assert_eq!(status(&answer), 414, "{answer:?}");
    assert!(body(&answer)["Error"].as_str().unwrap().contains("2048"));
}

#[test]
fn just_under_the_limits_is_not_refused_for_size() {
    let addr = start();
    let path = "/KeyfactorAPI/Workflow/Instances?QueryString=";
    let pad = "a".repeat(2048 - path.len());
    let (answer, _) = exchange(
        &addr,
        format!("GET {path}{pad} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
    );
    // No credentials: 401, not 414.
    assert_eq!(status(&answer), 401, "{answer:?}");
}
