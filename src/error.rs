//! One error type for everything a caller can get wrong: query text,
//! schema checks, sort and paging parameters, and records.
//!
//! An [`Error`] is a stable [`ErrorKind`], a message in plain words, the
//! byte [`Span`] of the offending text (when the error is about the query),
//! and, where one exists, a suggestion. [`Error::render`] draws the query
//! with a caret under the span; the serde form is the OAuth-style body
//! `{"error": "<kind>", "error_description": "<message>"}` that HTTP
//! services return.

use std::fmt;

use serde::ser::SerializeStruct;

/// A byte range `start..end` in the query text.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (byte offsets).
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The empty span at `at`, used for "expected … here" errors.
    pub const fn at(at: usize) -> Span {
        Span { start: at, end: at }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// What went wrong, stable across releases: match on it, or send
/// [`ErrorKind::code`] to a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text does not follow the grammar: `Status -eq "x" Title`.
    Syntax,
    /// A quoted value has no closing quote: `Title -eq "abc`.
    UnterminatedString,
    /// A `(` without its `)`, or a `)` without its `(`: `(Status -eq "x"`.
    UnbalancedParenthesis,
    /// A comparison without a value: `Status -eq`.
    MissingValue,
    /// An operator kfql does not know: `Status -equals "x"`.
    UnknownOperator,
    /// A construct from another query language that Keyfactor does not
    /// accept, with what to write instead: `NOT Status -eq "x"`,
    /// `Status = "x"`, `Status -in "a,b"`, `Title -eq 'x'`.
    Unsupported,
    /// `NULL` with an operator other than `-eq`/`-ne`: `Title -contains NULL`.
    NullOperator,
    /// A keyword where a field name belongs: `AND -eq "x"`.
    KeywordAsField,
    /// The query is longer than [`Limits::max_bytes`](crate::Limits).
    QueryTooLong,
    /// Parentheses nest deeper than [`Limits::max_depth`](crate::Limits).
    NestingTooDeep,
    /// More comparisons than [`Limits::max_comparisons`](crate::Limits).
    TooManyComparisons,
    /// The query bytes are not UTF-8.
    InvalidUtf8,
    /// The schema has no such field: `StartDat -ge "2024-01-01"`.
    UnknownField,
    /// The field exists but cannot be queried: `StatusMessage -eq "x"`.
    FieldNotQueryable,
    /// The operator does not apply to the field's type: `ReferenceId -contains "5"`.
    OperatorNotAllowed,
    /// The value does not convert to the field's type: `ReferenceId -eq "five"`.
    InvalidValue,
    /// A malformed or out-of-range token: `StartDate -ge "%TODAY+%"`.
    InvalidToken,
    /// `%ME%` was used but the context has no current user.
    MissingUser,
    /// The sort field is not in the schema: `--sort StartDat`.
    UnknownSortField,
    /// The sort field exists but has no order: `--sort Definition`.
    FieldNotSortable,
    /// `PageReturned` is not an integer from 1 to 2^63−1.
    InvalidPage,
    /// `ReturnLimit` is not an integer from 1 to 2^63−1.
    InvalidLimit,
    /// A record does not fit its schema (missing key field, wrong JSON type, …).
    InvalidRecord,
    /// A schema built with [`SchemaBuilder`](crate::SchemaBuilder) is
    /// inconsistent: a duplicate field, a key that is not a field.
    InvalidSchema,
    /// Two pieces resolved against different schemas were used together:
    /// a [`Sort`](crate::Sort) of one schema passed to a
    /// [`Filter`](crate::Filter) of another, or a filter bound to a record
    /// type whose schema is not the filter's. A programming error, not
    /// the user's.
    SchemaMismatch,
    /// `SortAscending` is not `0` (ascending) or `1` (descending):
    /// `SortAscending=true`.
    InvalidSortDirection,
    /// A request parameter was given twice, in any spelling:
    /// `QueryString=a&pq.queryString=b`.
    DuplicateParameter,
}

impl ErrorKind {
    /// The stable snake_case code, used as the JSON `error` field.
    pub fn code(self) -> &'static str {
        use ErrorKind::*;
        match self {
            Syntax => "syntax_error",
            UnterminatedString => "unterminated_string",
            UnbalancedParenthesis => "unbalanced_parenthesis",
            MissingValue => "missing_value",
            UnknownOperator => "unknown_operator",
            Unsupported => "unsupported_syntax",
            NullOperator => "null_operator",
            KeywordAsField => "keyword_as_field",
            QueryTooLong => "query_too_long",
            NestingTooDeep => "nesting_too_deep",
            TooManyComparisons => "too_many_comparisons",
            InvalidUtf8 => "invalid_utf8",
            UnknownField => "unknown_field",
            FieldNotQueryable => "field_not_queryable",
            OperatorNotAllowed => "operator_not_allowed",
            InvalidValue => "invalid_value",
            InvalidToken => "invalid_token",
            MissingUser => "missing_user",
            UnknownSortField => "unknown_sort_field",
            FieldNotSortable => "field_not_sortable",
            InvalidPage => "invalid_page",
            InvalidLimit => "invalid_limit",
            InvalidRecord => "invalid_record",
            InvalidSchema => "invalid_schema",
            SchemaMismatch => "schema_mismatch",
            InvalidSortDirection => "invalid_sort_direction",
            DuplicateParameter => "duplicate_parameter",
        }
    }

    /// True for errors in the query text or its parameters (the CLI's exit
    /// code 2), false for errors in records and in the program's own
    /// schemas (exit code 1).
    pub fn is_query_error(self) -> bool {
        !matches!(
            self,
            ErrorKind::InvalidRecord | ErrorKind::InvalidSchema | ErrorKind::SchemaMismatch
        )
    }

    /// The HTTP status a service answers with: 400 for everything in the
    /// request (query text, parameters), 422 for a record that does not
    /// fit its schema (a request body or an import), 500 for a schema or
    /// API misuse in the service itself, which the client cannot fix.
    ///
    /// ```
    /// let err = kfql::parse("Status -eq").unwrap_err();
    /// assert_eq!(err.kind().http_status(), 400);
    /// ```
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::InvalidRecord => 422,
            ErrorKind::InvalidSchema | ErrorKind::SchemaMismatch => 500,
            _ => 400,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An error in a query, its parameters or a record.
///
/// ```
/// let err = kfql::parse(r#"Status -eq "Failed" AND Title -equals "x""#).unwrap_err();
/// assert_eq!(err.kind(), kfql::ErrorKind::UnknownOperator);
/// assert_eq!(err.span(), Some(kfql::Span::new(30, 37)));
/// assert_eq!(err.suggestion(), Some("did you mean `-eq`?"));
/// assert!(err.render().ends_with(" ^^^^^^^\n"));
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.description())]
pub struct Error(Box<Inner>);

impl fmt::Debug for Error {
    /// Like a derived `Debug`, but the query text is cut short: errors end
    /// up in logs, and the text may be as long as the length limit.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let input = self.0.input.as_deref().map(|t| {
            let short = crate::render::cut(t, 80);
            if short.len() < t.len() {
                format!("{short}… ({} bytes)", t.len())
            } else {
                short.to_owned()
            }
        });
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("message", &self.0.message)
            .field("span", &self.0.span)
            .field("secondary", &self.0.secondary)
            .field("suggestion", &self.0.suggestion)
            .field("input", &input)
            .finish()
    }
}

// Boxed so that `Result<T, Error>` stays one pointer wide on the happy path.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    message: String,
    span: Option<Span>,
    secondary: Option<(Span, String)>,
    suggestion: Option<String>,
    input: Option<String>,
}

impl Error {
    /// A new error of `kind` with a plain-words `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            span: None,
            secondary: None,
            suggestion: None,
            input: None,
        }))
    }

    /// Attach the span of the offending text.
    pub fn with_span(mut self, span: Span) -> Error {
        self.0.span = Some(span);
        self
    }

    /// Attach a suggestion, shown after the message: `did you mean "StartDate"?`.
    pub fn with_suggestion(mut self, suggestion: impl Into<String>) -> Error {
        self.0.suggestion = Some(suggestion.into());
        self
    }

    /// Attach a second, labelled span (`( opened here`).
    pub fn with_secondary(mut self, span: Span, label: impl Into<String>) -> Error {
        self.0.secondary = Some((span, label.into()));
        self
    }

    /// Attach the query text, so that [`Error::render`] can draw it.
    pub fn with_input(mut self, input: &str) -> Error {
        self.0.input = Some(input.to_owned());
        self
    }

    /// What went wrong, stable and matchable.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The message without the suggestion.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The byte span of the offending text in the query, if the error is
    /// about the query text.
    pub fn span(&self) -> Option<Span> {
        self.0.span
    }

    /// A second span with its label, such as where an unclosed `(` opened.
    pub fn secondary(&self) -> Option<(Span, &str)> {
        self.0.secondary.as_ref().map(|(s, l)| (*s, l.as_str()))
    }

    /// The suggestion, if one exists: `did you mean "StartDate"?`.
    pub fn suggestion(&self) -> Option<&str> {
        self.0.suggestion.as_deref()
    }

    /// The query text this error refers to, when known.
    pub fn input(&self) -> Option<&str> {
        self.0.input.as_deref()
    }

    /// The message followed by the suggestion: the JSON
    /// `error_description` and the [`Display`](fmt::Display) form.
    pub fn description(&self) -> String {
        match &self.0.suggestion {
            Some(s) => format!("{}; {}", self.0.message, s),
            None => self.0.message.clone(),
        }
    }

    /// The error for a person: the message, then the query with a caret
    /// line under the span. Columns count characters, not bytes; control
    /// characters are shown as `�` so the terminal stays sane.
    ///
    /// ```
    /// let err = kfql::parse("Status -eq \"Failed\" OR").unwrap_err();
    /// assert_eq!(
    ///     err.render(),
    ///     "error: expected a comparison or `(` after OR, found the end of the query\n\
    ///      \x20 |\n\
    ///      1 | Status -eq \"Failed\" OR\n\
    ///      \x20 |                       ^\n"
    /// );
    /// ```
    pub fn render(&self) -> String {
        crate::render::render(self)
    }
}

/// The OAuth-style body `{"error": code, "error_description": message and
/// suggestion}`, plus `"span": {"start", "end"}` (byte offsets in the
/// query) when the error points into the query text, so a client can mark
/// the spot itself.
///
/// ```
/// let err = kfql::parse(r#"Title -equals "x""#).unwrap_err();
/// assert_eq!(
///     serde_json::to_string(&err).unwrap(),
///     r#"{"error":"unknown_operator","error_description":"`-equals` is not an operator; did you mean `-eq`?","span":{"start":6,"end":13}}"#
/// );
/// ```
impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Error", 3)?;
        st.serialize_field("error", self.0.kind.code())?;
        st.serialize_field("error_description", &self.description())?;
        match self.0.span {
            Some(span) => st.serialize_field("span", &span)?,
            None => st.skip_field("span")?,
        }
        st.end()
    }
}

/// The closest candidate to `word` by edit distance, ignoring ASCII case,
/// if it is close enough to be a plausible typo.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| {
            let c = c.to_ascii_lowercase();
            *d <= limit
                || word.len() >= 3 && c.len() >= 3 && (c.starts_with(&word) || word.starts_with(&c))
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance where a swap of two neighbouring characters counts as
/// one edit, as an insertion, a deletion or a substitution does (optimal
/// string alignment): `Titel` is one edit from `Title`, the typo people
/// make most.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: two back for the swap, one back for the rest.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 0..a.len() {
        cur[0] = i + 1;
        for j in 0..b.len() {
            let sub = prev[j] + usize::from(a[i] != b[j]);
            let mut d = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                d = d.min(before[j - 1] + 1);
            }
            cur[j + 1] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos_and_ignores_case() {
        let fields = ["StartDate", "Status", "Title"];
        assert_eq!(closest("startdat", fields), Some("StartDate"));
        assert_eq!(closest("STATS", fields), Some("Status"));
        assert_eq!(closest("Zebra", fields), None);
    }

    #[test]
    fn a_swap_of_neighbours_is_one_edit() {
        assert_eq!(edit_distance("titel", "title"), 1);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("abc", "ca"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(closest("Titel", ["Title", "Status"]), Some("Title"));
    }
}
