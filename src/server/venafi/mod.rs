//! Venafi TPP's workflow tickets under `/vedsdk` and the OAuth endpoints
//! under `/vedauth` (SERVICE.md §3).

use axum::Router;

use super::AppState;

/// The Venafi routes (`/vedauth/…`, `/vedsdk/…`).
pub fn routes() -> Router<AppState> {
    Router::new()
}

/// Stores `tickets` in one transaction: all of them, or none and the error.
/// `kfql import --schema workflow-tickets` calls it.
pub async fn import(
    db: &super::Db,
    tickets: Vec<crate::venafi::WorkflowTicket>,
) -> Result<usize, super::DbError> {
    let _ = (db, tickets);
    Err(super::DbError::Task(
        "ticket import is not written yet".into(),
    ))
}
