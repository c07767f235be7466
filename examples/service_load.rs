//! The load client behind BENCHMARKS.md's “kfql serve under load”
//! (benches/service_load.py runs it): a fixed number of keep-alive HTTP/1.1
//! connections, each sending its next request as soon as the last answer
//! has been read whole, for a fixed time; then requests per second, p50
//! and p99 latency and the errors, as one JSON line.
//!
//! ```sh
//! cargo run --release --features server --example service_load -- data 100000 /tmp/instances.jsonl
//! cargo run --release --features server --example service_load -- load \
//!     --connections 8 --seconds 10 \
//!     --header 'Authorization: Basic …' --header 'X-Keyfactor-Requested-With: APIClient' \
//!     'http://127.0.0.1:8080/KeyfactorAPI/Workflow/Instances?QueryString=Status%20-eq%20Running'
//! ```
//!
//! `direct --database URL --query Q [--sort F] [--descending] [--limit N]
//! --connections C --seconds S` runs the page and count the service would
//! run for that request straight on the database, from C tasks: the
//! baseline the service is measured against.
//!
//! `data N FILE` writes the benchmarks' N workflow instances (Q1–Q4 of
//! BENCHMARKS.md, reference ids spread over 1..=1,000,000) as JSON Lines
//! for `kfql import`. `load` takes `--method`, `--body FILE` (sent with
//! `Content-Type: application/json`), any number of `--header`, and one
//! or more URLs used in turn. Only HTTP: TLS would measure rustls.
//! Any answer but 2xx, and any broken connection, is an error.

use std::error::Error;
use std::io::{BufWriter, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

#[path = "../benches/common/mod.rs"]
mod common;

struct Load {
    method: hyper::Method,
    urls: Vec<hyper::Uri>,
    headers: Vec<(String, String)>,
    body: Bytes,
    connections: usize,
    duration: Duration,
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: u64,
    first_error: Option<String>,
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("data") => data(&args[1..]),
        Some("direct") => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(direct(&args[1..]))
        }
        Some("load") => {
            let load = parse_load(&args[1..])?;
            // One thread: the client needs about a tenth of a core even at
            // 64 connections, and on the two cores it shares with the
            // service a second thread only adds wake-ups between threads
            // (a third less system time per request, BENCHMARKS.md).
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(run(load))
        }
        _ => Err("usage: service_load data N FILE | load [options] URL… | direct [options]".into()),
    }
}

fn data(args: &[String]) -> Result<(), Box<dyn Error>> {
    let [n, path] = args else {
        return Err("usage: service_load data N FILE".into());
    };
    let n: usize = n
        .parse()
        .map_err(|e| format!("`{n}` is not a count: {e}"))?;
    let mut out = BufWriter::new(std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?);
    for r in common::records(n) {
        serde_json::to_writer(&mut out, &r)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

fn parse_load(args: &[String]) -> Result<Load, Box<dyn Error>> {
    let mut load = Load {
        method: hyper::Method::GET,
        urls: Vec::new(),
        headers: Vec::new(),
        body: Bytes::new(),
        connections: 1,
        duration: Duration::from_secs(10),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--method" => load.method = value()?.parse()?,
            "--connections" => load.connections = value()?.parse()?,
            "--seconds" => load.duration = Duration::from_secs_f64(value()?.parse()?),
            "--header" => {
                let h = value()?;
                let (name, v) = h
                    .split_once(':')
                    .ok_or_else(|| format!("--header {h:?}: expected `Name: value`"))?;
                load.headers
                    .push((name.trim().to_owned(), v.trim().to_owned()));
            }
            "--body" => {
                let path = value()?;
                load.body = std::fs::read(path)
                    .map_err(|e| format!("{path}: {e}"))?
                    .into();
            }
            url if !url.starts_with("--") => load.urls.push(url.parse()?),
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    if load.urls.is_empty() || load.connections == 0 {
        return Err("give at least one URL and one connection".into());
    }
    Ok(load)
}

/// `direct --database URL --query Q [--sort FIELD] [--descending]
/// [--limit N] --connections C --seconds S`: the page and count the
/// service runs for that request, straight on the database (through
/// `kfql::server::keyfactor::page`, the same statements and the same
/// pool), from C tasks for S seconds.
async fn direct(args: &[String]) -> Result<(), Box<dyn Error>> {
    use kfql::{Context, Direction, Page, Sort, keyfactor, server};
    let (mut database, mut query, mut sort) = (None, String::new(), None);
    let (mut descending, mut limit, mut connections, mut seconds) = (false, 50u64, 1usize, 10.0);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--database" => database = Some(value()?.clone()),
            "--query" => query = value()?.clone(),
            "--sort" => sort = Some(value()?.clone()),
            "--descending" => descending = true,
            "--limit" => limit = value()?.parse()?,
            "--connections" => connections = value()?.parse()?,
            "--seconds" => seconds = value()?.parse()?,
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    let database = database.ok_or("--database is required")?;
    let db = server::Db::open(&database).await?;
    let schema = keyfactor::schema();
    let ctx = Context::new(std::time::SystemTime::now().into());
    let filter = Arc::new(kfql::compile(&query, &schema, &ctx)?);
    let direction = Direction::descending_if(descending);
    let sort = Arc::new(match sort {
        Some(field) => Sort::new(&schema, &field, direction)?,
        None => Sort::new(&schema, "CurrentStepDisplayName", direction)?,
    });
    let page = Page::new(1, limit)?;
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (db, filter, sort) = (db.clone(), filter.clone(), sort.clone());
            tokio::spawn(async move {
                let mut tally = Tally::default();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match server::keyfactor::page(&db, &filter, &sort, page).await {
                        Ok(_) => tally.latencies.push(t.elapsed()),
                        Err(e) => {
                            tally.errors += 1;
                            tally.first_error.get_or_insert(e.to_string());
                        }
                    }
                }
                tally
            })
        })
        .collect();
    let mut all = Tally::default();
    for t in tasks {
        all.add(t.await?);
    }
    all.report(connections, start.elapsed().as_secs_f64());
    Ok(())
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    /// Prints the one JSON line.
    fn report(mut self, connections: usize, elapsed: f64) {
        self.latencies.sort();
        let n = self.latencies.len();
        let pct = |p: f64| {
            self.latencies
                .get(((n as f64 * p) as usize).min(n.saturating_sub(1)))
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        let line = serde_json::json!({
            "connections": connections,
            "requests": n,
            "errors": self.errors,
            "first_error": self.first_error,
            "rps": n as f64 / elapsed,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "mean_ms": self.latencies.iter().map(Duration::as_secs_f64).sum::<f64>() * 1000.0
                / n.max(1) as f64,
        });
        println!("{line}");
    }
}

async fn run(load: Load) -> Result<(), Box<dyn Error>> {
    let load = Arc::new(load);
    let start = Instant::now();
    let deadline = start + load.duration;
    let tasks: Vec<_> = (0..load.connections)
        .map(|i| tokio::spawn(connection(load.clone(), i, deadline)))
        .collect();
    let mut all = Tally::default();
    for t in tasks {
        all.add(t.await?);
    }
    all.report(load.connections, start.elapsed().as_secs_f64());
    Ok(())
}

/// One keep-alive connection sending requests until `deadline`; a broken
/// connection counts as an error and is opened again.
async fn connection(load: Arc<Load>, index: usize, deadline: Instant) -> Tally {
    let mut tally = Tally::default();
    let mut turn = index;
    let fail = |tally: &mut Tally, what: String| {
        tally.errors += 1;
        tally.first_error.get_or_insert(what);
    };
    while Instant::now() < deadline {
        let uri = &load.urls[0];
        let authority = uri
            .authority()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default();
        let stream = match TcpStream::connect(&authority).await {
            Ok(s) => s,
            Err(e) => {
                fail(&mut tally, format!("connect {authority}: {e}"));
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (mut sender, conn) =
            match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
                Ok(x) => x,
                Err(e) => {
                    fail(&mut tally, format!("handshake: {e}"));
                    continue;
                }
            };
        tokio::spawn(conn);
        while Instant::now() < deadline {
            let uri = &load.urls[turn % load.urls.len()];
            turn += 1;
            let mut req = Request::builder()
                .method(load.method.clone())
                .uri(uri.path_and_query().map_or("/", |pq| pq.as_str()))
                .header(hyper::header::HOST, authority.as_str());
            for (name, value) in &load.headers {
                req = req.header(name.as_str(), value.as_str());
            }
            if !load.body.is_empty() {
                req = req.header(hyper::header::CONTENT_TYPE, "application/json");
            }
            let req = match req.body(Full::new(load.body.clone())) {
                Ok(r) => r,
                Err(e) => {
                    fail(&mut tally, format!("request: {e}"));
                    return tally;
                }
            };
            let sent = Instant::now();
            let answer = match sender.send_request(req).await {
                Ok(response) => {
                    let status = response.status();
                    match response.into_body().collect().await {
                        Ok(_) if status.is_success() => Ok(()),
                        Ok(body) => Err(format!(
                            "HTTP {status}: {}",
                            String::from_utf8_lossy(&body.to_bytes()[..])
                        )),
                        Err(e) => Err(format!("body: {e}")),
                    }
                }
                Err(e) => Err(format!("send: {e}")),
            };
            match answer {
                Ok(()) => tally.latencies.push(sent.elapsed()),
                Err(e) => {
                    let broken = e.starts_with("send") || e.starts_with("body");
                    fail(&mut tally, e);
                    if broken {
                        break;
                    }
                }
            }
        }
    }
    tally
}
