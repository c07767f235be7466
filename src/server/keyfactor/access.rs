//! What a request must bring before its parameters are read: Basic
//! credentials of a user with the read permission, and Keyfactor's two
//! headers. Also the query string's pairs, decoded as ASP.NET decodes
//! them, in order and with duplicates kept (so that they can be refused).

use axum::http::{HeaderMap, header};
use base64::Engine as _;

use super::errors::{self, Refusal};
use crate::server::{AppState, User, http::note_user};

/// The permission the three routes need.
pub(crate) const PERMISSION: &str = "/workflows/instances/read/";

/// The caller, checked: 401 without valid Basic credentials, 403 without
/// the permission. The name goes into the request's log line.
pub(crate) async fn caller(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &axum::http::Extensions,
) -> Result<User, Refusal> {
    let Some((name, password)) = basic_credentials(headers) else {
        return Err(Refusal::new(errors::unauthorized(
            "The request needs HTTP Basic credentials: DOMAIN\\user and password.",
        )));
    };
    let Some(user) = state.users().verify(&name, &password).await else {
        // The same answer for an unknown user and a wrong password.
        return Err(Refusal::new(errors::unauthorized(
            "The user name or password is incorrect.",
        )));
    };
    note_user(extensions, &user.name);
    if !user.has_permission(PERMISSION) {
        return Err(Refusal::new(super::super::http::keyfactor_error(
            axum::http::StatusCode::FORBIDDEN,
            errors::FORBIDDEN,
            format!("The user does not hold the permission {PERMISSION}."),
        )));
    }
    Ok(user)
}

/// `Authorization: Basic base64(name:password)`: the scheme in any case,
/// standard base64, UTF-8, split at the first `:`. `None` for anything
/// else.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("Basic") {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (name, password) = text.split_once(':')?;
    (!name.is_empty()).then(|| (name.to_owned(), password.to_owned()))
}

/// `X-Keyfactor-Requested-With` present and not blank (any value: the
/// vendor's clients send `APIClient`); `x-keyfactor-api-version` absent
/// or `1`.
pub(crate) fn keyfactor_headers(headers: &HeaderMap) -> Result<(), Refusal> {
    let requested_with = headers
        .get("x-keyfactor-requested-with")
        .is_some_and(|v| !v.as_bytes().iter().all(u8::is_ascii_whitespace));
    if !requested_with {
        return Err(Refusal::new(errors::bad_request(
            errors::MISSING_REQUESTED_WITH,
            "The header X-Keyfactor-Requested-With is required (for example `APIClient`).",
        )));
    }
    if let Some(v) = headers.get("x-keyfactor-api-version")
        && v.as_bytes().trim_ascii() != b"1"
    {
        return Err(Refusal::new(errors::bad_request(
            errors::BAD_API_VERSION,
            format!(
                "x-keyfactor-api-version `{}` is not supported; this service speaks version 1.",
                String::from_utf8_lossy(v.as_bytes())
                    .chars()
                    .take(40)
                    .collect::<String>()
            ),
        )));
    }
    Ok(())
}

/// A query string's `name=value` pairs, in order: `+` is a space, `%XX`
/// a byte. A name that is not UTF-8 is read loosely (it matches no
/// parameter anyway); a value that is not UTF-8 is kept as `Err` with its
/// name, for the caller to refuse if the name is a parameter.
pub(crate) fn query_pairs(query: &str) -> Vec<(String, Result<String, ()>)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = String::from_utf8_lossy(&decode(name)).into_owned();
            (name, String::from_utf8(decode(value)).map_err(|_| ()))
        })
        .collect()
}

fn decode(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() && hex(b[i + 1]).is_some() && hex(b[i + 2]).is_some() => {
                out.push((hex(b[i + 1]).unwrap_or(0) << 4) | hex(b[i + 2]).unwrap_or(0));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    out
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_decode_as_forms_do() {
        let pairs = query_pairs("pq.queryString=Title+-eq+%22a%26b%22&&x&ReturnLimit=%zz%4&v=%FF");
        assert_eq!(
            pairs[0],
            ("pq.queryString".into(), Ok(r#"Title -eq "a&b""#.into()))
        );
        assert_eq!(pairs[1], ("x".into(), Ok(String::new())));
        assert_eq!(pairs[2], ("ReturnLimit".into(), Ok("%zz%4".into())));
        assert_eq!(pairs[3], ("v".into(), Err(())));
    }

    #[test]
    fn basic_credentials_are_strict() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, v.parse().unwrap());
            basic_credentials(&h)
        };
        let token = base64::engine::general_purpose::STANDARD.encode("CORP\\alice:pa:ss");
        assert_eq!(
            with(&format!("basic {token}")),
            Some(("CORP\\alice".into(), "pa:ss".into()))
        );
        assert_eq!(with("Basic !!!"), None);
        assert_eq!(with(&format!("Bearer {token}")), None);
        assert_eq!(with("Basic"), None);
        let no_colon = base64::engine::general_purpose::STANDARD.encode("alice");
        assert_eq!(with(&format!("Basic {no_colon}")), None);
    }
}
