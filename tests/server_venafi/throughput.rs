//! Ticket creates per second over loopback, 8 client threads (ignored: a
//! measurement, not a check; run it in release with `--ignored --nocapture`).

use std::time::Instant;

use kfql::server::{Config, Db};
use serde_json::json;

use crate::support::*;

fn creates_per_second(s: &Service, threads: usize, per_thread: usize) -> f64 {
    let token = s.login("CORP\\alice", ALL).access;
    let started = Instant::now();
    let ok: usize = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let token = &token;
                sc.spawn(move || {
                    (0..per_thread)
                        .filter(|i| {
                            let body = json!({"ObjectDN": format!("\\VED\\Policy\\t{t}\\c{i}"),
                                "WorkflowDN": "\\VED\\Policy\\W", "Approvers": "local:CORP\\alice"});
                            s.sdk("Create", token, &body).status == 200
                        })
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let elapsed = started.elapsed();
    assert_eq!(ok, threads * per_thread, "every create answered 200");
    ok as f64 / elapsed.as_secs_f64()
}

#[test]
#[ignore = "a measurement: cargo test --release --features server --test server_venafi -- --ignored --nocapture"]
fn throughput_of_ticket_creates() {
    let dir = std::env::temp_dir().join(format!("kfql-venafi-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rt = runtime();
    let db = rt
        .block_on(Db::open(&format!("sqlite:{}", dir.join("t.db").display())))
        .unwrap();
    let s = Service::on(rt.clone(), db, Config::default());
    let rate = creates_per_second(&s, 8, 500);
    println!("SQLite file (synchronous=FULL), 8 clients: {rate:.0} creates/s");
    assert_eq!(s.count(), 4000);
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
    if let Ok(pg) = crate::pg::Server::start() {
        let url = format!("postgres://postgres@127.0.0.1:{}/postgres", pg.port);
        let db = rt.block_on(Db::open(&url)).unwrap();
        let s = Service::on(rt.clone(), db, Config::default());
        let rate = creates_per_second(&s, 8, 500);
        println!("PostgreSQL (fsync off, test server), 8 clients: {rate:.0} creates/s");
    }
}
