//! The Venafi half of `kfql serve` over real HTTP on loopback: the server
//! runs in-process on an ephemeral port (`axum::serve` on a background
//! runtime) and the tests call it with a blocking client. Every route's
//! success and errors; tokens (missing, malformed, tampered, expired,
//! revoked, without the scope, refreshed twice); SQL metacharacters in
//! every body field; bodies that are not JSON, of the wrong type or too
//! large; tickets stored as records the `sql` module can query; two
//! servers on one PostgreSQL taking creates at once; and Venafi's own
//! Python client (pytpp) over HTTPS.

mod oauth;
mod postgres;
mod pytpp;
mod support;
mod throughput;
mod tickets;
#[path = "../python/venv.rs"]
mod venv;

#[allow(dead_code)] // connect() is for the SQL tests
#[path = "../sql_support/pg.rs"]
mod pg;
