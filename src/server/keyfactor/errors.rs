//! Keyfactor's error bodies, `{"ErrorCode": "0x…", "Message": "…"}`, and
//! the one table of codes: each kfql [`ErrorKind`] and each refusal of the
//! service has a fixed code.
//!
//! Keyfactor publishes codes of its own but no list that a query error
//! could be matched to, so these are kfql's: `0xA011` then a group
//! (`01` the query text, `02` the other parameters, `03` the request's
//! form) and a number, or the HTTP status for the service's own refusals.
//!
//! | code | HTTP | meaning |
//! |---|---|---|
//! | `0xA0110101` | 400 | syntax error |
//! | `0xA0110102` | 400 | unterminated string |
//! | `0xA0110103` | 400 | unbalanced parenthesis |
//! | `0xA0110104` | 400 | missing value |
//! | `0xA0110105` | 400 | unknown operator |
//! | `0xA0110106` | 400 | syntax Keyfactor does not accept (`NOT`, `=`, `-in`, single quotes) |
//! | `0xA0110107` | 400 | `NULL` with an operator other than `-eq`/`-ne` |
//! | `0xA0110108` | 400 | a keyword where a field belongs |
//! | `0xA0110109` | 400 | query longer than the limit |
//! | `0xA011010A` | 400 | nesting deeper than the limit |
//! | `0xA011010B` | 400 | more comparisons than the limit (or than the database binds) |
//! | `0xA011010C` | 400 | a parameter that is not UTF-8 |
//! | `0xA011010D` | 400 | unknown field |
//! | `0xA011010E` | 400 | field that cannot be queried |
//! | `0xA011010F` | 400 | operator not allowed for the field's type |
//! | `0xA0110110` | 400 | value that does not fit the field |
//! | `0xA0110111` | 400 | malformed token (`%TODAY+%`) |
//! | `0xA0110112` | 400 | `%ME%` without a user (not reachable: every caller is a user) |
//! | `0xA0110201` | 400 | unknown sort field |
//! | `0xA0110202` | 400 | sort field without an order (`Definition`) |
//! | `0xA0110203` | 400 | PageReturned not a whole number from 1 to 2^63−1 |
//! | `0xA0110204` | 400 | ReturnLimit not a whole number from 1 to 2^63−1, or above the cap |
//! | `0xA0110205` | 400 | SortAscending not `0` or `1` |
//! | `0xA0110206` | 400 | a parameter given twice, in any spelling |
//! | `0xA0110301` | 400 | `X-Keyfactor-Requested-With` missing or empty |
//! | `0xA0110302` | 400 | `x-keyfactor-api-version` other than `1` |
//! | `0xA0110303` | 400 | an instance id that is not a GUID |
//! | `0xA0110401` | 401 | no, malformed or wrong credentials |
//! | `0xA0110403` | 403 | the user lacks `/workflows/instances/read/` |
//! | `0xA0110404` | 404 | no instance has the id, or no such route |
//! | `0xA0110405` | 405 | a method other than GET |
//! | `0xA0110413` | 413 | request body over the limit |
//! | `0xA0110414` | 414 | request URL over the limit |
//! | `0xA0110500` | 500 | the service failed (details only in its log) |

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::{Error, ErrorKind};

pub(crate) const MISSING_REQUESTED_WITH: u32 = 0xA011_0301;
pub(crate) const BAD_API_VERSION: u32 = 0xA011_0302;
pub(crate) const MALFORMED_ID: u32 = 0xA011_0303;
pub(crate) const UNAUTHORIZED: u32 = 0xA011_0401;
pub(crate) const FORBIDDEN: u32 = 0xA011_0403;
pub(crate) const NOT_FOUND: u32 = 0xA011_0404;
pub(crate) const METHOD_NOT_ALLOWED: u32 = 0xA011_0405;
pub(crate) const INTERNAL: u32 = 0xA011_0500;

/// The code of a kfql error kind.
pub fn code(kind: ErrorKind) -> u32 {
    use ErrorKind::*;
    match kind {
        Syntax => 0xA011_0101,
        UnterminatedString => 0xA011_0102,
        UnbalancedParenthesis => 0xA011_0103,
        MissingValue => 0xA011_0104,
        UnknownOperator => 0xA011_0105,
        Unsupported => 0xA011_0106,
        NullOperator => 0xA011_0107,
        KeywordAsField => 0xA011_0108,
        QueryTooLong => 0xA011_0109,
        NestingTooDeep => 0xA011_010A,
        TooManyComparisons => 0xA011_010B,
        InvalidUtf8 => 0xA011_010C,
        UnknownField => 0xA011_010D,
        FieldNotQueryable => 0xA011_010E,
        OperatorNotAllowed => 0xA011_010F,
        InvalidValue => 0xA011_0110,
        InvalidToken => 0xA011_0111,
        MissingUser => 0xA011_0112,
        UnknownSortField => 0xA011_0201,
        FieldNotSortable => 0xA011_0202,
        InvalidPage => 0xA011_0203,
        InvalidLimit => 0xA011_0204,
        InvalidSortDirection => 0xA011_0205,
        DuplicateParameter => 0xA011_0206,
        // Not the client's doing: a record or schema the service holds.
        InvalidRecord | InvalidSchema | SchemaMismatch => INTERNAL,
    }
}

/// The response for a kfql error: 400 with its code and its plain
/// message and suggestion; the service's own errors are 500.
pub(crate) fn query_error(err: &Error) -> Response {
    if err.kind().http_status() != 400 {
        tracing::error!(target: "kfql::server", error = %err, "kfql refused the service's own schema or records");
        return internal();
    }
    super::super::http::keyfactor_error(
        StatusCode::BAD_REQUEST,
        code(err.kind()),
        err.description(),
    )
}

/// 400 with one of the service's own codes.
pub(crate) fn bad_request(code: u32, message: impl Into<String>) -> Response {
    super::super::http::keyfactor_error(StatusCode::BAD_REQUEST, code, message)
}

/// 401 with the challenge a client needs to send Basic credentials.
pub(crate) fn unauthorized(message: &str) -> Response {
    let mut response =
        super::super::http::keyfactor_error(StatusCode::UNAUTHORIZED, UNAUTHORIZED, message);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Basic realm=\"Keyfactor\", charset=\"UTF-8\""),
    );
    response
}

/// 500 with a message that gives nothing away; the cause goes to the log.
pub(crate) fn internal() -> Response {
    super::super::http::keyfactor_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        INTERNAL,
        "The service could not complete the request; its log has the details.",
    )
}

/// A database failure: logged, answered with [`internal`].
pub(crate) fn database(err: &super::super::DbError) -> Response {
    tracing::error!(target: "kfql::server", error = %err, "Keyfactor request failed in the database");
    internal()
}

/// Any of the above, for handlers that return `Result<_, Refusal>`
/// (boxed: a response is large, and the happy path should not pay).
pub(crate) struct Refusal(pub(crate) Box<Response>);

impl Refusal {
    pub(crate) fn new(response: Response) -> Refusal {
        Refusal(Box::new(response))
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<Error> for Refusal {
    fn from(err: Error) -> Refusal {
        Refusal::new(query_error(&err))
    }
}

impl From<super::super::DbError> for Refusal {
    fn from(err: super::super::DbError) -> Refusal {
        Refusal::new(database(&err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each kind its own code; only the service's own errors share one.
    #[test]
    fn codes_are_distinct() {
        use ErrorKind::*;
        let kinds = [
            Syntax,
            UnterminatedString,
            UnbalancedParenthesis,
            MissingValue,
            UnknownOperator,
            Unsupported,
            NullOperator,
            KeywordAsField,
            QueryTooLong,
            NestingTooDeep,
            TooManyComparisons,
            InvalidUtf8,
            UnknownField,
            FieldNotQueryable,
            OperatorNotAllowed,
            InvalidValue,
            InvalidToken,
            MissingUser,
            UnknownSortField,
            FieldNotSortable,
            InvalidPage,
            InvalidLimit,
            InvalidSortDirection,
            DuplicateParameter,
        ];
        let mut codes: Vec<u32> = kinds.iter().map(|k| code(*k)).collect();
        codes.extend([
            MISSING_REQUESTED_WITH,
            BAD_API_VERSION,
            MALFORMED_ID,
            UNAUTHORIZED,
            FORBIDDEN,
            NOT_FOUND,
            METHOD_NOT_ALLOWED,
            INTERNAL,
        ]);
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), n);
        for k in [InvalidRecord, InvalidSchema, SchemaMismatch] {
            assert_eq!(code(k), INTERNAL);
        }
    }
}
