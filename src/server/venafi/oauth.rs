//! OAuth under `/vedauth` and the bearer-token check of every other route.
//!
//! **Tokens.** An access or refresh token is 22 random bytes from the
//! operating system (176 bits) in standard padded base64: 32 characters
//! ending in `==`. The ending matters: Venafi's Python client sends a token
//! as `Authorization: Bearer` only when it ends in `==` (Venafi's own
//! tokens do), and otherwise as the long-deprecated `X-Venafi-API-Key`.
//! The database holds only the SHA-256 of each token (hex), with the user,
//! identity, scope and client id, and the times in Unix milliseconds, so
//! any server on the same database can check a token and none can recover
//! one. Anything that is not such a token is refused before the database
//! is asked.
//!
//! **Lifetimes.** An access token lives [`Config::token_lifetime`]; its
//! refresh token 24 times as long. Refreshing deletes the grant and issues
//! a new pair (both old tokens stop working); of two refreshes with one
//! token, exactly one succeeds, also across servers sharing PostgreSQL.
//! Revoking deletes the grant.
//!
//! [`Config::token_lifetime`]: crate::server::Config::token_lifetime

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::grants::{self, Grant};
use super::scope::Scope;
use super::{Fields, Shape, internal, json_bytes, oauth_error};
use crate::server::http::{note_user, venafi_error};
use crate::server::{AppState, User};

/// What `GET /vedsdk/SystemStatus/Version` reports: a TPP release number,
/// since clients parse it as one (Venafi's Python client with
/// `packaging.version`); the API served is that of the 2x releases.
pub const VERSION: &str = "24.1.0";

/// Random bytes in a token: 22 give 176 bits and a base64 text that ends
/// in `==`.
const TOKEN_BYTES: usize = 22;

/// How many access-token lifetimes a refresh token lives.
const REFRESH_FACTOR: u32 = 24;

/// A route under its documented spelling and in lower case.
pub(crate) fn route(
    router: Router<AppState>,
    path: &str,
    method: MethodRouter<AppState>,
) -> Router<AppState> {
    let lower = path.to_ascii_lowercase();
    let router = router.route(path, method.clone());
    if lower == path {
        router
    } else {
        router.route(&lower, method)
    }
}

pub(crate) fn routes() -> Router<AppState> {
    let r = Router::new();
    let r = route(r, "/vedauth/Authorize/OAuth", post(authorize));
    let r = route(r, "/vedauth/Authorize/Token", post(refresh));
    let r = route(r, "/vedauth/Revoke/Token", get(revoke));
    route(r, "/vedsdk/SystemStatus/Version", get(version))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn new_token() -> Result<String, Response> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| {
        tracing::error!(target: "kfql::server", error = %e, "no random bytes for a token");
        venafi_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal error.")
    })?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// The stored form of a token, if it is one this service could have
/// issued.
fn token_hash(token: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()?;
    if bytes.len() != TOKEN_BYTES {
        return None;
    }
    Some(
        Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

/// A fresh grant for `user` with `scope` (hashes stored, tokens returned);
/// `None` leaves user, identity and scope empty for [`grants::refresh`] to
/// fill from the grant it replaces.
fn issue(
    state: &AppState,
    client_id: &str,
    user: Option<(&User, String)>,
) -> Result<(Grant, String, String), Response> {
    let (access, refresh) = (new_token()?, new_token()?);
    let lifetime = state.config().token_lifetime;
    let life_ms = i64::try_from(lifetime.as_millis())
        .unwrap_or(i64::MAX)
        .max(1);
    let now = now_ms();
    let grant = Grant {
        access_hash: token_hash(&access).unwrap_or_default(),
        refresh_hash: token_hash(&refresh).unwrap_or_default(),
        client_id: client_id.to_owned(),
        username: user
            .as_ref()
            .map(|(u, _)| u.name.clone())
            .unwrap_or_default(),
        identity: user.as_ref().map(|(u, _)| u.identity()).unwrap_or_default(),
        scope: user.map(|(_, s)| s).unwrap_or_default(),
        issued: now,
        expires: now.saturating_add(life_ms),
        refresh_until: now.saturating_add(life_ms.saturating_mul(i64::from(REFRESH_FACTOR))),
    };
    Ok((grant, access, refresh))
}

/// The token pair's body: times in Unix seconds (rounded down), as Venafi
/// writes them and its Python client parses them into datetimes.
fn pair_body(state: &AppState, grant: &Grant, access: &str, refresh: &str) -> Response {
    let lifetime = state.config().token_lifetime.as_secs();
    Json(json!({
        "access_token": access,
        "refresh_token": refresh,
        "expires": grant.expires.div_euclid(1000),
        "expires_in": lifetime,
        "refresh_until": grant.refresh_until.div_euclid(1000),
        "identity": grant.identity,
        "scope": grant.scope,
        "token_type": "Bearer",
    }))
    .into_response()
}

/// `POST /vedauth/authorize/oauth`: username, password and scope for a
/// token pair.
async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    ext: Extensions,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let bytes = json_bytes(&headers, body, Shape::OAuth)?;
        let fields = Fields::parse(&bytes, Shape::OAuth)?;
        let client_id = fields.required("client_id", Shape::OAuth)?;
        let username = fields.required("username", Shape::OAuth)?;
        let password = fields.required("password", Shape::OAuth)?;
        let scope = fields.required("scope", Shape::OAuth)?;
        fields.string("state", Shape::OAuth)?;
        let Some(user) = state.users().verify(&username, &password).await else {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "Username/password combination not valid.",
            ));
        };
        note_user(&ext, &user.name);
        let scope = Scope::parse(&scope).map_err(|e| {
            oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                format!("{}.", e.0),
            )
        })?;
        if !scope.within(&Scope::allowed(&user.scopes)) {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                format!("The user may not have the scope `{scope}`."),
            ));
        }
        let (grant, access, refresh) = issue(&state, &client_id, Some((&user, scope.to_string())))?;
        grants::insert(state.db(), grant.clone())
            .await
            .map_err(internal)?;
        Ok(pair_body(&state, &grant, &access, &refresh))
    };
    result.await.unwrap_or_else(|e| e)
}

/// `POST /vedauth/authorize/token`: a refresh token for a new pair.
async fn refresh(
    State(state): State<AppState>,
    headers: HeaderMap,
    ext: Extensions,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let bytes = json_bytes(&headers, body, Shape::OAuth)?;
        let fields = Fields::parse(&bytes, Shape::OAuth)?;
        let client_id = fields.required("client_id", Shape::OAuth)?;
        let token = fields.required("refresh_token", Shape::OAuth)?;
        let invalid = || {
            oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "The refresh token is not valid, was used already, or has expired.",
            )
        };
        let hash = token_hash(&token).ok_or_else(invalid)?;
        // The new pair takes the old grant's user, identity and scope in
        // the same transaction that deletes the old grant.
        let (fresh, access, refresh) = issue(&state, &client_id, None)?;
        let grant = grants::refresh(state.db(), hash, client_id, fresh)
            .await
            .map_err(internal)?
            .ok_or_else(invalid)?;
        if state.users().find(&grant.username).is_none() {
            let _ = grants::revoke(state.db(), grant.access_hash.clone()).await;
            return Err(invalid());
        }
        note_user(&ext, &grant.username);
        Ok(pair_body(&state, &grant, &access, &refresh))
    };
    result.await.unwrap_or_else(|e| e)
}

/// The caller of a `/vedsdk` route (or of revoke), by bearer token.
pub(crate) struct Caller {
    pub(crate) user: User,
    access_hash: String,
}

/// What a route asks of the token's scope.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Need {
    /// Any valid token.
    Any,
    /// This privilege in this area (`configuration`, `manage`).
    Privilege(&'static str, &'static str),
    /// This privilege in any area (`approve`).
    Anywhere(&'static str),
}

fn unauthorized(message: &str) -> Response {
    let mut r = venafi_error(StatusCode::UNAUTHORIZED, message);
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"kfql\""),
    );
    r
}

/// The caller, if the request carries a live bearer token whose user
/// still exists (else 401) and whose scope has `need` (else 403).
pub(crate) async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    ext: &Extensions,
    need: Need,
) -> Result<Caller, Response> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized(
            "No bearer token: send Authorization: Bearer <access_token>.",
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    let Some(hash) = token.and_then(token_hash) else {
        return Err(unauthorized(
            "The Authorization header is not Bearer with an access token.",
        ));
    };
    let grant = grants::find(state.db(), hash).await.map_err(internal)?;
    let invalid = || unauthorized("The access token is not valid, was revoked, or has expired.");
    let grant = grant.ok_or_else(invalid)?;
    if now_ms() >= grant.expires {
        return Err(invalid());
    }
    let user = state
        .users()
        .find(&grant.username)
        .ok_or_else(invalid)?
        .clone();
    note_user(ext, &user.name);
    let scope = Scope::parse(&grant.scope).unwrap_or_default();
    let (ok, wanted) = match need {
        Need::Any => (true, String::new()),
        Need::Privilege(area, privilege) => {
            (scope.has(area, privilege), format!("{area}:{privilege}"))
        }
        Need::Anywhere(privilege) => (
            scope.has_anywhere(privilege),
            format!("a scope with :{privilege}"),
        ),
    };
    if !ok {
        return Err(venafi_error(
            StatusCode::FORBIDDEN,
            format!("The token's scope does not include {wanted}."),
        ));
    }
    Ok(Caller {
        user,
        access_hash: grant.access_hash,
    })
}

/// `GET /vedauth/revoke/token`: the bearer token (and its refresh token)
/// stop working. 200 with an empty body, as Venafi answers.
async fn revoke(State(state): State<AppState>, headers: HeaderMap, ext: Extensions) -> Response {
    match authenticate(&state, &headers, &ext, Need::Any).await {
        Ok(caller) => match grants::revoke(state.db(), caller.access_hash).await {
            Ok(_) => StatusCode::OK.into_response(),
            Err(e) => internal(e),
        },
        Err(r) => r,
    }
}

/// `GET /vedsdk/SystemStatus/Version`.
async fn version(State(state): State<AppState>, headers: HeaderMap, ext: Extensions) -> Response {
    match authenticate(&state, &headers, &ext, Need::Any).await {
        Ok(_) => Json(json!({"Version": VERSION})).into_response(),
        Err(r) => r,
    }
}
