//! Two servers on one PostgreSQL database.

use kfql::server::{Config, Db};
use serde_json::json;

use crate::support::*;

use crate::pg;
use crate::tickets::metacharacters;

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
