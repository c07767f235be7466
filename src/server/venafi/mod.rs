//! Venafi TPP's workflow tickets under `/vedsdk` and the OAuth endpoints
//! under `/vedauth`.
//!
//! | route | scope |
//! |---|---|
//! | `POST /vedauth/authorize/oauth`, `POST /vedauth/authorize/token` | – |
//! | `GET /vedauth/revoke/token`, `GET /vedsdk/SystemStatus/Version` | any |
//! | `POST /vedsdk/Workflow/Ticket/{Details,Status,Exists,Enumerate}` | any |
//! | `POST /vedsdk/Workflow/Ticket/Create` | `configuration:manage` |
//! | `POST /vedsdk/Workflow/Ticket/UpdateStatus` | any area with `approve` |
//! | `POST /vedsdk/Workflow/Ticket/Delete` | `configuration:delete` |
//!
//! Each path answers in its documented spelling
//! (`/vedauth/Authorize/OAuth`, which Venafi's Python client sends) and in
//! lower case. Tokens are random and stored only as SHA-256 hashes, with
//! their expiry, in the database, so that several servers can share one
//! PostgreSQL database ([`oauth`]). Tickets are the records of
//! [`crate::venafi`], stored in `workflow_tickets`, whose columns are
//! [`ticket_mapping`]'s, so the [`crate::sql`] module can query them.
//!
//! Error bodies: a 400 or 415 from the OAuth routes is OAuth's
//! `{"error": "invalid_request" | "invalid_grant" | "invalid_scope",
//! "error_description": "…"}`, and from Ticket/Create
//! `{"error": "invalid_request", "error_description": "…"}` as the Create
//! documentation has it; from the other `/vedsdk` routes it is
//! `{"Error": "…"}`, the field Venafi's clients read. 401 (with
//! `WWW-Authenticate: Bearer`), 403, 413 and 500 are `{"Error": "…"}`
//! everywhere. A ticket that does not exist is not an error: HTTP 200
//! with `{"Result": 3}`.

// Helpers return the response a handler answers with as their error, so
// that handlers read as `?` chains; boxing each would only add noise.
#![allow(clippy::result_large_err)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::http::venafi_error;
use super::{AppState, Db, DbError};
use crate::venafi::strict::Json;

mod grants;
pub mod oauth;
mod scope;
mod store;
mod tickets;

/// The Venafi routes (`/vedauth/…`, `/vedsdk/…`).
pub fn routes() -> Router<AppState> {
    oauth::routes().merge(tickets::routes())
}

/// Where each ticket field is stored: `workflow_tickets`, snake-case
/// columns, input order in `seq`. `Approvers` holds a JSON array of
/// strings.
pub fn ticket_mapping() -> crate::sql::Mapping {
    crate::sql::Mapping::new(&crate::venafi::schema(), "workflow_tickets").input_order("seq")
}

/// Stores `tickets` in one transaction: all of them, or none and the error.
/// `kfql import --schema workflow-tickets` calls it.
pub async fn import(
    db: &super::Db,
    tickets: Vec<crate::venafi::WorkflowTicket>,
) -> Result<usize, super::DbError> {
    store::import(db, tickets).await
}

/// How many tickets are stored.
pub async fn count(db: &Db) -> Result<u64, DbError> {
    store::count(db).await
}

/// Which error shape a route answers with.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `{"error": …, "error_description": …}`: OAuth and Ticket/Create.
    OAuth,
    /// `{"Error": …}`: the other `/vedsdk` routes.
    Sdk,
}

pub(crate) fn oauth_error(
    status: StatusCode,
    error: &str,
    description: impl Into<String>,
) -> Response {
    let body = json!({"error": error, "error_description": description.into()});
    (status, axum::Json(body)).into_response()
}

fn error(shape: Shape, status: StatusCode, message: String) -> Response {
    match shape {
        Shape::OAuth => oauth_error(status, "invalid_request", message),
        Shape::Sdk => venafi_error(status, message),
    }
}

/// A database failure: logged, and a 500 that says nothing more.
pub(crate) fn internal(e: DbError) -> Response {
    tracing::error!(target: "kfql::server", error = %e, "database");
    venafi_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal error.")
}

/// The body's bytes, if the request says it is JSON and it fits.
pub(crate) fn json_bytes(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    shape: Shape,
) -> Result<Bytes, Response> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    if media.as_deref() != Some("application/json") {
        return Err(error(
            shape,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The request body must be JSON, with Content-Type: application/json.".into(),
        ));
    }
    body.map_err(|e| {
        let status = e.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            venafi_error(status, "The request body is larger than the limit.")
        } else {
            error(
                shape,
                status,
                format!("The request body could not be read: {e}"),
            )
        }
    })
}

/// A JSON object body of a `/vedsdk` or `/vedauth` route other than
/// Create: names match ignoring case (as ASP.NET binds them), a name given
/// twice is an error, unknown names are ignored.
pub(crate) struct Fields(Vec<(String, Json)>);

impl Fields {
    pub(crate) fn parse(bytes: &[u8], shape: Shape) -> Result<Fields, Response> {
        let bad = |m: String| error(shape, StatusCode::BAD_REQUEST, m);
        let tree: Json = serde_json::from_slice(bytes)
            .map_err(|e| bad(format!("The request body is not JSON: {e}")))?;
        let Json::Object(entries) = tree else {
            return Err(bad(format!(
                "The request body must be a JSON object, found {}.",
                tree.found()
            )));
        };
        let mut seen = std::collections::HashSet::with_capacity(entries.len());
        for (k, _) in &entries {
            if !seen.insert(k.to_ascii_lowercase()) {
                return Err(bad(format!("`{k}` is given twice.")));
            }
        }
        Ok(Fields(entries))
    }

    fn get(&self, name: &str) -> Option<&Json> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .filter(|v| **v != Json::Null)
    }

    /// An optional string field (absent and null are None). Text holding
    /// U+0000, which PostgreSQL cannot take, is refused.
    pub(crate) fn string(&self, name: &str, shape: Shape) -> Result<Option<String>, Response> {
        match self.get(name) {
            None => Ok(None),
            Some(Json::Str(s)) if s.contains('\0') => Err(error(
                shape,
                StatusCode::BAD_REQUEST,
                format!("`{name}` contains U+0000."),
            )),
            Some(Json::Str(s)) => Ok(Some(s.clone())),
            Some(other) => Err(error(
                shape,
                StatusCode::BAD_REQUEST,
                format!("`{name}` must be a string, found {}.", other.found()),
            )),
        }
    }

    /// A required string field.
    pub(crate) fn required(&self, name: &str, shape: Shape) -> Result<String, Response> {
        self.string(name, shape)?.ok_or_else(|| {
            error(
                shape,
                StatusCode::BAD_REQUEST,
                format!("`{name}` is required."),
            )
        })
    }
}
