//! Keyfactor Command's workflow instances under `/KeyfactorAPI`
//! (SERVICE.md §2): `GET /Workflow/Instances`, `/My` and `/{id}`.

use axum::Router;

use super::AppState;

/// The Keyfactor routes, relative to `/KeyfactorAPI`.
pub fn routes() -> Router<AppState> {
    Router::new()
}

/// Stores `records` in one transaction: all of them, or none and the error.
/// `kfql import` and `kfql serve --sample` call it.
pub async fn import(
    db: &super::Db,
    records: Vec<crate::keyfactor::WorkflowInstance>,
) -> Result<usize, super::DbError> {
    let _ = (db, records);
    Err(super::DbError::Task(
        "instance import is not written yet".into(),
    ))
}

/// How many instances are stored.
pub async fn count(db: &super::Db) -> Result<u64, super::DbError> {
    let _ = db;
    Err(super::DbError::Task(
        "instance count is not written yet".into(),
    ))
}
