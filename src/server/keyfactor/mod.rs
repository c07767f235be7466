//! Keyfactor Command's workflow instances under `/KeyfactorAPI`:
//! `GET /Workflow/Instances`, `/Workflow/Instances/My` and
//! `/Workflow/Instances/{id}`, over the `workflow_instances` table.
//!
//! - Parameters: [`crate::keyfactor::Request`]'s rules (any case, the
//!   `pq.` prefix, and on `/My` also `instanceQuery.`, which the vendor's
//!   client sends there; duplicates refused; the `max_return_limit` cap).
//! - Headers: `X-Keyfactor-Requested-With` required, any value;
//!   `x-keyfactor-api-version` absent or `1`.
//! - HTTP Basic as `DOMAIN\user:password`; the permission
//!   `/workflows/instances/read/`; the caller is `%ME%`. `/My` adds
//!   `InitiatingUserName -eq <caller>` to the query as a compiled filter.
//! - 200: a JSON array of instances (null members left out; Status a name,
//!   or an integer under [`StatusFormat::Integer`](super::StatusFormat),
//!   see [`status`]) and `x-total-count`, the matches before paging.
//! - Errors: `{"ErrorCode", "Message"}` with the codes of [`errors`].

use axum::Router;
use axum::routing::get;

use super::AppState;

mod access;
pub mod errors;
mod routes;
pub mod status;
mod store;
mod wire;

/// The Keyfactor routes, relative to `/KeyfactorAPI`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/Workflow/Instances", get(routes::instances))
        .route("/Workflow/Instances/My", get(routes::my_instances))
        .route("/Workflow/Instances/{id}", get(routes::instance))
        .fallback(routes::no_route)
        .method_not_allowed_fallback(routes::wrong_method)
}

/// Stores `records` in one transaction: all of them, or none and the error.
/// `kfql import` and `kfql serve --sample` call it. Records keep their
/// order (the sort's last tie-break); an instance id that is already
/// stored, or twice in `records`, fails the whole import.
pub async fn import(
    db: &super::Db,
    records: Vec<crate::keyfactor::WorkflowInstance>,
) -> Result<usize, super::DbError> {
    store::insert(db, records).await
}

/// How many instances are stored.
pub async fn count(db: &super::Db) -> Result<u64, super::DbError> {
    store::count(db).await
}

/// What [`page`] can fail with: the query (its SQL form; see
/// [`crate::sql::Statement::new`]) or the database.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The filter, sort or page has no SQL form within the engine's limits.
    #[error(transparent)]
    Query(#[from] crate::Error),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] super::DbError),
}

/// One page of the stored instances `filter` matches, in `sort`'s order,
/// and how many match: the two statements `GET /Workflow/Instances` runs,
/// without HTTP (benches/service_load.py measures the service against it).
pub async fn page(
    db: &super::Db,
    filter: &crate::Filter,
    sort: &crate::Sort,
    page: crate::Page,
) -> Result<(Vec<crate::keyfactor::WorkflowInstance>, u64), PageError> {
    let stmt =
        crate::sql::Statement::new(filter, sort, page, store::mapping(), routes::dialect(db))?;
    Ok(store::page(db, &stmt, sort, page, |records| records).await?)
}
