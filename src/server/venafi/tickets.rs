//! `POST /vedsdk/Workflow/Ticket/*`. The bearer token is checked first
//! (401, 403), then the body (415, 413, 400), then the ticket: a GUID that
//! names no ticket is Result 3 with HTTP 200, as Venafi answers; a GUID,
//! status or schedule that does not parse is Result 5 (BadArguments).
//!
//! Dates in bodies are RFC 3339 in UTC with `Z`
//! (`2024-06-01T12:00:00.123456Z`), which Venafi's Python client parses
//! into datetimes.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::oauth::{Need, authenticate, route};
use super::store::{self, StatusChange, Updated};
use super::{Fields, Shape, internal, json_bytes, oauth_error};
use crate::server::AppState;
use crate::venafi::{
    CreateRequest, CreateResponse, InvalidRequest, ResultCode, TicketStatus, WorkflowTicket,
};
use crate::{Context, Guid};

pub(crate) fn routes() -> Router<AppState> {
    let r = Router::new();
    let r = route(r, "/vedsdk/Workflow/Ticket/Create", post(create));
    let r = route(r, "/vedsdk/Workflow/Ticket/Details", post(details));
    let r = route(r, "/vedsdk/Workflow/Ticket/Status", post(status));
    let r = route(r, "/vedsdk/Workflow/Ticket/Exists", post(exists));
    let r = route(r, "/vedsdk/Workflow/Ticket/Enumerate", post(enumerate));
    let r = route(
        r,
        "/vedsdk/Workflow/Ticket/UpdateStatus",
        post(update_status),
    );
    route(r, "/vedsdk/Workflow/Ticket/Delete", post(delete))
}

fn result(code: ResultCode) -> Response {
    Json(json!({"Result": code})).into_response()
}

fn date(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| {
        Value::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    })
}

/// A date a client sent: RFC 3339, or an ISO 8601 date and time without an
/// offset (what Python's `datetime.isoformat()` writes for a naive
/// datetime), read as UTC.
fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// The body's fields, after the token has been checked.
async fn fields(
    state: &AppState,
    headers: &HeaderMap,
    ext: &Extensions,
    need: Need,
    body: Result<Bytes, BytesRejection>,
) -> Result<Fields, Response> {
    authenticate(state, headers, ext, need).await?;
    let bytes = json_bytes(headers, body, Shape::Sdk)?;
    Fields::parse(&bytes, Shape::Sdk)
}

/// The body's `GUID`: Err(Result 5) when it is not a GUID.
fn guid(fields: &Fields) -> Result<Guid, Response> {
    let text = fields.required("GUID", Shape::Sdk)?;
    text.parse().map_err(|_| result(ResultCode::BadArguments))
}

/// `Create`: the request of [`crate::venafi::CreateRequest`]; the ticket
/// is committed before the 200. Text holding U+0000, which PostgreSQL
/// cannot store, is refused like any other malformed field.
async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    ext: Extensions,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let run = async {
        authenticate(
            &state,
            &headers,
            &ext,
            Need::Privilege("configuration", "manage"),
        )
        .await?;
        let bytes = json_bytes(&headers, body, Shape::OAuth)?;
        let request = CreateRequest::parse(&bytes).map_err(invalid)?;
        let ticket = WorkflowTicket::create(&request, &Context::new(now())).map_err(invalid)?;
        if let Some(field) = nul_field(&ticket) {
            let description = format!("{field}: the text contains U+0000, which cannot be stored");
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                description,
            ));
        }
        store::insert_ticket(state.db(), &ticket)
            .await
            .map_err(internal)?;
        Ok::<_, Response>(Json(CreateResponse::success(&ticket)).into_response())
    };
    run.await.unwrap_or_else(|e| e)
}

/// The most problems a 400 lists: a 1 MiB body of unknown keys would
/// otherwise be answered with several megabytes.
const MAX_PROBLEMS: usize = 50;

/// Create's 400: `invalid_request` with the problems, the first
/// [`MAX_PROBLEMS`] of them and how many more there are.
fn invalid(e: InvalidRequest) -> Response {
    let problems = e.problems();
    if problems.len() <= MAX_PROBLEMS {
        return (StatusCode::BAD_REQUEST, Json(e.body())).into_response();
    }
    let mut texts: Vec<String> = problems[..MAX_PROBLEMS]
        .iter()
        .map(ToString::to_string)
        .collect();
    texts.push(format!(
        "and {} more problems",
        problems.len() - MAX_PROBLEMS
    ));
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", texts.join("; "))
}

/// The first field of a new ticket whose text holds U+0000.
fn nul_field(t: &WorkflowTicket) -> Option<String> {
    let has = |s: &Option<String>| s.as_deref().is_some_and(|s| s.contains('\0'));
    if has(&t.object_dn) {
        return Some("ObjectDN".into());
    }
    if has(&t.workflow_dn) {
        return Some("WorkflowDN".into());
    }
    if let Some(i) = t.approvers.iter().position(|a| a.contains('\0')) {
        return Some(format!("Approvers[{i}]"));
    }
    has(&t.user_data).then(|| "UserData".into())
}

/// `Details`: Venafi's names (Blocking is the ObjectDN, IssuedDueTo the
/// WorkflowDN, ApprovalExplanation the last Explanation) and the record's.
async fn details(
    State(state): State<AppState>,
    headers: HeaderMap,
    ext: Extensions,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let run = async {
        let fields = fields(&state, &headers, &ext, Need::Any, body).await?;
        let guid = guid(&fields)?;
        let Some(found) = store::find_ticket(state.db(), guid)
            .await
            .map_err(internal)?
        else {
            return Ok(result(ResultCode::TicketDoesNotExist));
        };
        let t = &found.ticket;
        Ok::<_, Response>(
            Json(json!({
                "GUID": format!("{{{}}}", t.guid),
                "Approvers": t.approvers,
                "ApprovalExplanation": found.explanation,
                "Blocking": t.object_dn,
                "IssuedDueTo": t.workflow_dn,
                "ObjectDN": t.object_dn,
                "WorkflowDN": t.workflow_dn,
                "Reason": t.reason,
                "UserData": t.user_data,
                "Status": t.status.name(),
                "ScheduledStart": date(found.scheduled_start),
                "ScheduledStop": date(found.scheduled_stop),
                "Created": date(t.created),
                "Updated": date(t.updated),
                "Result": ResultCode::Success,
            }))
            .into_response(),
        )
    };
    run.await.unwrap_or_else(|e| e)
}

/// `Status`: `{Status, Result}`.
async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    ext: Extensions,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let run = async {
        let fields = fields(&state, &headers, &ext, Need::Any, body).await?;
        let guid = guid(&fields)?;
        let found = store::find_ticket(state.db(), guid)
            .await
            .map_err(internal)?;
        Ok::<_, Response>(match found {
            Some(found) => Json(json!({
                "Status": found.ticket.status.name(),
                "Result": ResultCode::Success,
            }))
            .into_response(),
            None => result(ResultCode::TicketDoesNotExist),
        })
    };
    run.await.unwrap_or_else(|e| e)
}

/// `Exists`: Result 1 or 3.
async fn exists(
    State(state): State<AppState>,
    headers: HeaderMap,
    ext: Extensions,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let run = async {
        let fields = fields(&state, &headers, &ext, Need::Any, body).await?;
        let guid = guid(&fields)?;
        let found = store::exists(state.db(), guid).await.map_err(internal)?;
        Ok::<_, Response>(result(if found {
            ResultCode::Success
        } else {
            ResultCode::TicketDoesNotExist
        }))
    };
    run.await.unwrap_or_else(|e| e)
}

/// `Enumerate`: the GUIDs of the tickets on ObjectDN and with UserData
/// (each compared ignoring case; absent matches all), oldest first.
async fn enumerate(
    State(state): State<AppState>,
    headers: HeaderMap,
    ext: Extensions,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let run = async {
        let fields = fields(&state, &headers, &ext, Need::Any, body).await?;
        let object_dn = fields.string("ObjectDN", Shape::Sdk)?;
        let user_data = fields.string("UserData", Shape::Sdk)?;
        let guids = store::enumerate(state.db(), object_dn, user_data)
            .await
            .map_err(internal)?;
        Ok::<_, Response>(
            (
                [(header::CONTENT_TYPE, "application/json")],
                enumerated_json(&guids),
            )
                .into_response(),
        )
    };
    run.await.unwrap_or_else(|e| e)
}

/// `{"GUIDS":["{…}",…],"Result":1}`, written straight from the GUIDs
/// (41 bytes each, comma included) rather than through a
/// `serde_json::Value` of a `String` each: an Enumerate may name every
/// ticket there is.
fn enumerated_json(guids: &[Guid]) -> Vec<u8> {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(32 + guids.len() * 41);
    out.push_str("{\"GUIDS\":[");
    for (i, g) in guids.iter().enumerate() {
        let comma = if i == 0 { "" } else { "," };
        // Writing to a String cannot fail.
        let _ = write!(out, "{comma}\"{{{g}}}\"");
    }
    let _ = write!(out, "],\"Result\":{}}}", ResultCode::Success.code());
    out.into_bytes()
}

/// `UpdateStatus`: only an approver of the ticket (its identity compared
/// ignoring case) may change it, else Result 4. `Approved After` needs
/// ScheduledStart, `Approved Between` ScheduledStart before ScheduledStop;
/// other statuses keep no schedule. The other keys Venafi's Python client
/// may send (Approvers, ObjectDN, Reason, UserData) are ignored.
async fn update_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    ext: Extensions,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let run = async {
        let caller = authenticate(&state, &headers, &ext, Need::Anywhere("approve")).await?;
        let bytes = json_bytes(&headers, body, Shape::Sdk)?;
        let fields = Fields::parse(&bytes, Shape::Sdk)?;
        let guid = guid(&fields)?;
        let status = fields.required("Status", Shape::Sdk)?;
        let explanation = fields.string("Explanation", Shape::Sdk)?;
        let start = fields.string("ScheduledStart", Shape::Sdk)?;
        let stop = fields.string("ScheduledStop", Shape::Sdk)?;
        let bad = || result(ResultCode::BadArguments);
        let status: TicketStatus = status.parse().map_err(|_| bad())?;
        let when = |t: Option<String>| t.map(|t| parse_date(&t).ok_or_else(bad)).transpose();
        let (start, stop) = (when(start)?, when(stop)?);
        let (start, stop) = match status {
            TicketStatus::ApprovedAfter => (Some(start.ok_or_else(bad)?), None),
            TicketStatus::ApprovedBetween => match (start, stop) {
                (Some(a), Some(b)) if a < b => (Some(a), Some(b)),
                _ => return Err(bad()),
            },
            _ => (None, None),
        };
        let change = StatusChange {
            status,
            explanation,
            scheduled_start: start,
            scheduled_stop: stop,
            now: now(),
        };
        let done = store::update_status(state.db(), guid, caller.user.identity(), change)
            .await
            .map_err(internal)?;
        Ok::<_, Response>(result(match done {
            Updated::Done => ResultCode::Success,
            Updated::NoTicket => ResultCode::TicketDoesNotExist,
            Updated::NotApprover => ResultCode::InsufficientPrivileges,
        }))
    };
    run.await.unwrap_or_else(|e| e)
}

/// `Delete`: Result 1 or 3.
async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    ext: Extensions,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let run = async {
        let need = Need::Privilege("configuration", "delete");
        let fields = fields(&state, &headers, &ext, need, body).await?;
        let guid = guid(&fields)?;
        let gone = store::delete_ticket(state.db(), guid)
            .await
            .map_err(internal)?;
        Ok::<_, Response>(result(if gone {
            ResultCode::Success
        } else {
            ResultCode::TicketDoesNotExist
        }))
    };
    run.await.unwrap_or_else(|e| e)
}

/// The clock (chrono's `clock` feature is off in this crate).
fn now() -> DateTime<Utc> {
    DateTime::from(std::time::SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes the `serde_json::Value` it replaced wrote, for none, one
    /// and several GUIDs.
    #[test]
    fn enumerated_guids_are_the_json_serde_writes() {
        let guids: Vec<Guid> = (0..5u128)
            .map(|n| Guid(n.wrapping_mul(0x0123_4567_89ab_cdef_fedc_ba98_7654_3211)))
            .collect();
        for n in [0, 1, 5] {
            let braced: Vec<String> = guids[..n].iter().map(|g| format!("{{{g}}}")).collect();
            let want = json!({"GUIDS": braced, "Result": ResultCode::Success});
            assert_eq!(
                String::from_utf8(enumerated_json(&guids[..n])).unwrap(),
                serde_json::to_string(&want).unwrap()
            );
        }
    }
}
