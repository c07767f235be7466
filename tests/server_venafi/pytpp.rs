//! Venafi's Python client, pytpp, over HTTPS.

use std::time::Duration;

use kfql::server::{self, Config};

use crate::support::*;
use crate::venv::python_or_skip;

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
