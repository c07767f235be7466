//! What every route shares: the limits on a request's size and time, the
//! error bodies those limits answer with, and one log line per request.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Config;

/// Keyfactor's error codes for the limits enforced here (the rest are in
/// [`super::keyfactor`]; the README lists them all).
pub(crate) const CODE_BODY_TOO_LARGE: u32 = 0xA011_0413;
pub(crate) const CODE_URI_TOO_LONG: u32 = 0xA011_0414;
pub(crate) const CODE_REQUEST_TIMEOUT: u32 = 0xA011_0408;

/// Keyfactor's error shape: `{"ErrorCode": "0x…", "Message": "…"}`.
pub(crate) fn keyfactor_error(
    status: StatusCode,
    code: u32,
    message: impl Into<String>,
) -> Response {
    let body = json!({"ErrorCode": format!("0x{code:08X}"), "Message": message.into()});
    (status, axum::Json(body)).into_response()
}

/// The error shape of Venafi's `/vedsdk` and `/vedauth` routes outside
/// the ones SERVICE.md gives bodies for: `{"Error": "…"}`.
pub(crate) fn venafi_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({"Error": message.into()}))).into_response()
}

/// The authenticated caller's name, for the request's log line. The
/// logging layer puts an empty slot in each request's extensions;
/// authentication fills it ([`note_user`]).
#[derive(Clone, Default)]
pub(crate) struct UserSlot(Arc<OnceLock<String>>);

/// Records `name` as the caller in the request's log line.
pub(crate) fn note_user(extensions: &axum::http::Extensions, name: &str) {
    if let Some(slot) = extensions.get::<UserSlot>() {
        let _ = slot.0.set(name.to_owned());
    }
}

/// The layers around both APIs, outermost first: the log line, then the
/// URI and body limits and the timeout.
pub(crate) fn layers(app: Router, config: &Config) -> Router {
    let limits = Limits {
        max_uri: config.max_uri,
        max_body: config.max_body,
        timeout: config.request_timeout,
    };
    app.layer(DefaultBodyLimit::max(limits.max_body))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            limits.enforce(req, next)
        }))
        .layer(middleware::from_fn(log))
}

/// A refusal in the error shape of the API the request was for.
fn refuse(keyfactor: bool, status: StatusCode, code: u32, message: String) -> Response {
    if keyfactor {
        keyfactor_error(status, code, message)
    } else {
        venafi_error(status, message)
    }
}

#[derive(Clone, Copy)]
struct Limits {
    max_uri: usize,
    max_body: usize,
    timeout: std::time::Duration,
}

impl Limits {
    async fn enforce(self, req: Request, next: Next) -> Response {
        let keyfactor = req.uri().path().starts_with("/KeyfactorAPI");
        let timeout = self.timeout;
        match tokio::time::timeout(timeout, self.check(req, next)).await {
            Ok(response) => response,
            // The handler (reading the body, or the database) took too long;
            // dropping its future cancels it.
            Err(_) => {
                let message = format!(
                    "The request was not answered within {} s.",
                    timeout.as_secs_f64()
                );
                refuse(
                    keyfactor,
                    StatusCode::REQUEST_TIMEOUT,
                    CODE_REQUEST_TIMEOUT,
                    message,
                )
            }
        }
    }

    async fn check(self, req: Request, next: Next) -> Response {
        let Limits {
            max_uri, max_body, ..
        } = self;
        let keyfactor = req.uri().path().starts_with("/KeyfactorAPI");
        let uri_len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
        if uri_len > max_uri {
            let message = format!("The request URL is {uri_len} bytes; the limit is {max_uri}.");
            return refuse(
                keyfactor,
                StatusCode::URI_TOO_LONG,
                CODE_URI_TOO_LONG,
                message,
            );
        }
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > max_body as u64) {
            let message = format!("The request body is larger than the limit of {max_body} bytes.");
            return refuse(
                keyfactor,
                StatusCode::PAYLOAD_TOO_LARGE,
                CODE_BODY_TOO_LARGE,
                message,
            );
        }
        next.run(req).await
    }
}

/// One line per request: method, path (never the query string, whose
/// values may be anything), status, duration and the caller. Never a
/// header: Authorization and tokens stay out of the log.
async fn log(mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let slot = UserSlot::default();
    req.extensions_mut().insert(slot.clone());
    let response = next.run(req).await;
    tracing::info!(
        target: "kfql::server",
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        duration_ms = start.elapsed().as_secs_f64() * 1000.0,
        user = slot.0.get().map(String::as_str).unwrap_or("-"),
        "request"
    );
    response
}
