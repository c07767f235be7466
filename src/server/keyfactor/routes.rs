//! The three handlers: check the caller and the headers, turn the
//! parameters into a filter, a sort and a page, run them as one SQL
//! statement for the page and one for the count, and answer in
//! Keyfactor's shape.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Extensions, HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::access::{self, query_pairs};
use super::errors::{self, Refusal};
use super::wire;
use super::{status, store};
use crate::keyfactor::Request;
use crate::server::{AppState, Db, StatusFormat};
use crate::sql::{self, Dialect};
use crate::{Context, Error, ErrorKind, Filter, Guid, Parser};

/// Which instances a list route covers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    All,
    /// Those the caller started: `/My`.
    Mine,
}

pub(crate) async fn instances(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    RawQuery(query): RawQuery,
) -> Response {
    list(&state, &headers, &extensions, query.as_deref(), Scope::All)
        .await
        .unwrap_or_else(|r| *r.0)
}

pub(crate) async fn my_instances(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    RawQuery(query): RawQuery,
) -> Response {
    list(&state, &headers, &extensions, query.as_deref(), Scope::Mine)
        .await
        .unwrap_or_else(|r| *r.0)
}

pub(crate) async fn instance(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    // A path segment that is not UTF-8 is as malformed as any other.
    let id = id.map(|Path(id)| id).unwrap_or_default();
    one(&state, &headers, &extensions, &id)
        .await
        .unwrap_or_else(|r| *r.0)
}

async fn list(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &Extensions,
    query: Option<&str>,
    scope: Scope,
) -> Result<Response, Refusal> {
    let user = access::caller(state, headers, extensions).await?;
    access::keyfactor_headers(headers)?;
    let config = state.config();
    let mut request = Request::new().max_return_limit(config.max_return_limit);
    for (name, value) in query_pairs(query.unwrap_or("")) {
        // The vendor's client sends /My's parameters as
        // `instanceQuery.queryString`: ASP.NET binds a prefix named after
        // the action's argument, which on /My is `instanceQuery`.
        let name = match name.get(..14) {
            Some(p) if scope == Scope::Mine && p.eq_ignore_ascii_case("instanceQuery.") => {
                &name[14..]
            }
            _ => name.as_str(),
        };
        let value = match value {
            Ok(v) => v,
            Err(()) if crate::keyfactor::Parameter::from_name(name).is_some() => {
                return Err(Error::new(
                    ErrorKind::InvalidUtf8,
                    format!("{name} is not UTF-8 text once percent-decoded"),
                )
                .into());
            }
            Err(()) => continue,
        };
        request.add(name, &value)?;
    }
    let schema = store::mapping().schema();
    let now: DateTime<Utc> = std::time::SystemTime::now().into();
    let ctx = Context::new(now).with_user(user.name.clone());
    // The order of Request::compile: the query, the sort, the page.
    let mut filter = compile_query(request.query_string(), state, &ctx)?;
    let sort = request.sort(schema)?;
    let page = request.page()?;
    if scope == Scope::Mine {
        filter = filter
            .and(mine(&user.name, &ctx)?)
            .ok_or_else(|| Refusal::new(errors::internal()))?;
    }
    let db = state.db();
    let stmt = sql::Statement::new(&filter, &sort, page, store::mapping(), dialect(db))?;
    let format = config.status_format;
    let (body, total) =
        store::page(db, &stmt, &sort, page, move |r| wire::page_json(&r, format)).await?;
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                HeaderName::from_static("x-total-count"),
                HeaderValue::from(total),
            ),
        ],
        body,
    )
        .into_response())
}

async fn one(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &Extensions,
    id: &str,
) -> Result<Response, Refusal> {
    access::caller(state, headers, extensions).await?;
    access::keyfactor_headers(headers)?;
    let Ok(guid) = id.parse::<Guid>() else {
        return Err(Refusal::new(errors::bad_request(
            errors::MALFORMED_ID,
            format!("`{}` is not a GUID.", shorten(id)),
        )));
    };
    match store::get(state.db(), guid).await? {
        Some(r) => Ok((
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            wire::instance_json(&r, state.config().status_format),
        )
            .into_response()),
        None => Err(Refusal::new(super::super::http::keyfactor_error(
            StatusCode::NOT_FOUND,
            errors::NOT_FOUND,
            format!("No workflow instance has the id {guid}."),
        ))),
    }
}

/// `QueryString` parsed with the service's limits and compiled; in
/// integer mode, Status integers become names first. Errors carry the
/// text, so they point into what the caller wrote.
fn compile_query(text: &str, state: &AppState, ctx: &Context) -> Result<Filter, Error> {
    let config = state.config();
    let schema = store::mapping().schema();
    Parser::new()
        .limits(config.limits)
        .parse(text)
        .and_then(|mut q| {
            if config.status_format == StatusFormat::Integer {
                status::names_for_integers(&mut q)?;
            }
            q.compile(schema, ctx)
        })
        .map_err(|e| e.with_input(text))
}

/// `InitiatingUserName -eq <the caller>`, compiled on its own: the
/// caller's name is quoted, never spliced into the user's text.
fn mine(name: &str, ctx: &Context) -> Result<Filter, Refusal> {
    let text = format!("InitiatingUserName -eq {}", crate::quote(name));
    crate::compile(&text, store::mapping().schema(), ctx).map_err(|e| {
        tracing::error!(target: "kfql::server", error = %e, "the /My filter did not compile");
        Refusal::new(errors::internal())
    })
}

pub(crate) fn dialect(db: &Db) -> &'static dyn Dialect {
    match db {
        Db::Sqlite(_) => &sql::Sqlite,
        Db::Postgres(_) => &sql::Postgres,
    }
}

/// At most 60 characters of `text`, for a message.
fn shorten(text: &str) -> String {
    let mut out: String = text.chars().take(60).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// Any other path under `/KeyfactorAPI`, in Keyfactor's error shape.
pub(crate) async fn no_route() -> Response {
    super::super::http::keyfactor_error(
        StatusCode::NOT_FOUND,
        errors::NOT_FOUND,
        "No such resource: the service has GET /Workflow/Instances, /Workflow/Instances/My and /Workflow/Instances/{id}.",
    )
}

/// A method other than GET on one of the routes.
pub(crate) async fn wrong_method() -> Response {
    super::super::http::keyfactor_error(
        StatusCode::METHOD_NOT_ALLOWED,
        errors::METHOD_NOT_ALLOWED,
        "These resources answer GET only.",
    )
}
