//! kfql parses, checks and runs the query strings that certificate-lifecycle
//! platforms use to filter records — Keyfactor Command's `QueryString`
//! (`Status -eq "Failed" AND StartDate -ge "%TODAY-30%"`) and the same
//! language over Venafi workflow tickets — exactly as the vendor does, with
//! errors a person can act on.
//!
//! The pipeline: text → [`parse`] → [`Query`] (an AST with spans, no schema)
//! → [`Query::compile`] against a [`Schema`] and a [`Context`] (clock, time
//! zone, user) → [`Filter`] → [`Filter::matches`] per record → [`Sort`] and
//! [`Page`] → [`PageResult`].
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use kfql::{Direction, keyfactor, Context, Page, Sort};
//!
//! let records: Vec<keyfactor::WorkflowInstance> = serde_json::from_str(r#"[
//!   {"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "Failed", "ReferenceId": 3,
//!    "StartDate": "2024-05-20T08:00:00Z", "Title": "enroll appsrvr14"},
//!   {"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3302", "Status": "Failed", "ReferenceId": 1,
//!    "StartDate": "2024-05-25T09:30:00Z", "Title": "enroll appsrvr15"},
//!   {"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3303", "Status": "Running", "ReferenceId": 2,
//!    "StartDate": "2024-05-26T10:00:00Z"},
//!   {"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3304", "Status": "Failed", "ReferenceId": 4,
//!    "StartDate": "2024-01-02T10:00:00Z"}
//! ]"#)?;
//!
//! let query = kfql::parse(r#"Status -eq "Failed" AND StartDate -ge "%TODAY-30%""#)?;
//! let ctx = Context::new(Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap());
//! let schema = keyfactor::schema();
//! let filter = query.compile(&schema, &ctx)?;
//!
//! let sort = Sort::new(&schema, "StartDate", Direction::Descending)?; // SortAscending=1
//! let page = filter.page(&records, &sort, Page::new(1, 1)?)?;
//! assert_eq!(page.total, 2);
//! assert_eq!(page.records.len(), 1);
//! assert_eq!(page.records[0].reference_id, 1); // the newest failure first
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Syntax
//!
//! `field -op value`, joined by `AND` (binding tighter) and `OR`, grouped
//! with parentheses; the full grammar is in [`syntax`]. Values are
//! double-quoted (`\"` and `\\` escape) or bare; `NULL` bare is the null
//! keyword. [`quote`] turns any text into a safe value. The AST's `Display`
//! is the canonical form, and parsing it gives an equal [`Query`].
//!
//! # Types
//!
//! Each field has a [`FieldType`]: strings compare ignoring case (and
//! trailing spaces for `-eq`/`-ne`); integers, datetimes (with whole-day
//! ranges for dates), GUIDs, enums and booleans convert at compile time,
//! so a bad value is an error before any record is read. `%TODAY±N%` and
//! `%ME%` expand from the [`Context`]. A null field matches only
//! `-eq NULL`.
//!
//! # Sorting and paging
//!
//! [`Sort`] orders by one field (nulls first ascending, last descending),
//! breaking ties by the schema's key and then input order. [`Page`] is
//! Keyfactor's `PageReturned`/`ReturnLimit`; [`Pager`] keeps only the first
//! page × limit matches, so a page never costs a full sort.
//!
//! # What a compiled filter fixes
//!
//! [`Query::compile`] resolves everything the [`Context`] says once, so a
//! [`Filter`] never looks at a clock: `%TODAY%` and `%TODAY±N%` become
//! dates from the context's current instant *in its time zone*
//! ([`Context::today`]); dates and datetimes without an offset are placed
//! in that time zone (a date becomes a day range there); `%ME%` becomes
//! the context's user. The instant itself counts only through its date.
//! A cache of compiled filters must therefore key on the query text, the
//! schema, the parser's [`Limits`], the date in the context's zone, the
//! time zone and the user (for queries that use `%ME%`), and drop entries
//! when the date turns.
//!
//! For Keyfactor's request parameters, [`keyfactor::Request`] reads them
//! the way the server does and compiles them into a filter, a sort and a
//! page in one call.
//!
//! # Limits and input safety
//!
//! [`Parser`] enforces [`Limits`] (64 KiB, depth 64, 1,024 comparisons by
//! default) while parsing, without recursion per clause or parenthesis.
//! Nothing a user sends makes kfql panic; every problem is an [`Error`].
//!
//! # Errors
//!
//! An [`Error`] has a stable [`ErrorKind`], a message, the span of the
//! offending text, a suggestion where one exists, a caret rendering
//! ([`Error::render`]) and a JSON form (`{"error", "error_description"}`).
//!
//! # Records
//!
//! A [`Filter`] runs over anything that implements [`Record`]: the crate's
//! [`keyfactor::WorkflowInstance`], `serde_json::Value` objects, or your
//! own structs. For a struct, `#[derive(kfql::Record)]` (feature `derive`,
//! on by default) declares the schema and the field access at once, from
//! the fields' names (as serde spells them) and Rust types; the example is
//! at [`TypedRecord`], and [`Filter::bind`] evaluates through the generated
//! access. A record a derive cannot see (fields in a map, a type of
//! another crate) implements [`Record`] by hand: one `match` on
//! [`Field::index`] over a schema from [`Schema::builder`]. [`read_records`] reads JSON arrays and JSON Lines into
//! typed records with errors that name the record and the field; [`Scan`]
//! filters, counts and pages such a stream in bounded memory, JSON Lines
//! on every core.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

// The derive's generated code names the crate `::kfql`, inside it too.
extern crate self as kfql;

#[cfg(feature = "arrow")]
pub mod arrow;
mod bytes;
mod compile;
mod context;
mod error;
mod eval;
mod filter;
mod json;
pub mod keyfactor;
mod limits;
mod page;
mod record;
mod render;
mod schema;
#[cfg(feature = "server")]
pub mod server;
mod sort;
#[cfg(feature = "sql")]
pub mod sql;
mod stream;
pub mod syntax;
mod text;
mod typed;
mod value;
pub mod venafi;

pub use context::{Context, parse_time_zone};
pub use error::{Error, ErrorKind, Span};
pub use filter::Filter;
pub use json::{FieldError, FromJson, Obj, Position, read_records};
pub use limits::Limits;
pub use page::{Page, PageResult, Pager};
pub use record::{FieldValue, Record, TextList};
pub use schema::{Field, FieldType, Schema, SchemaBuilder};
pub use sort::{Direction, Sort};
pub use stream::{FromJsonLine, Scan};
pub use syntax::Parser;
pub use syntax::ast::{Comparison, Expr, Op, Query, Value, quote};
#[doc(hidden)]
pub use typed::__private;
pub use typed::{Bound, Enum, FieldKind, TypedRecord};
pub use value::Guid;

/// `#[derive(kfql::Record)]` and `#[derive(kfql::Enum)]` (feature
/// `derive`): see [`TypedRecord`] and [`Enum`].
///
/// A record's fields are its struct's named fields, in order, named as
/// serde names them (`r#` dropped; serde's or kfql's `rename_all` and
/// `rename`, kfql's winning) and typed through [`FieldKind`]. Field
/// attributes, in `#[kfql(…)]`: `rename = "…"`, `key`, `default_sort`,
/// `not_queryable`, `not_sortable`, `skip` (not a field), `object` (a
/// nested value, neither queryable nor sortable), `hint = "…"`, `fallback =
/// "Path.To.Value"` (for `serde_json::Value` records), `with = "method"`
/// (the value is `self.method()`). Struct attributes: `name = "…"` (the
/// schema's name) and `rename_all = "…"`. Enum variants take `rename`, the
/// enum `rename_all`. Mistakes — an unsupported type, a keyword or invalid
/// name, names equal ignoring case, two keys, a key that is not sortable —
/// are compile errors at their spans.
#[cfg(feature = "derive")]
pub use kfql_derive::{Enum, Record};

/// Parse `text` with the default [`Limits`].
///
/// ```
/// let q = kfql::parse(r#"status -EQ Failed and (Title -contains "a\"b" or ReferenceId -gt 5)"#)?;
/// assert_eq!(q.to_string(), r#"status -eq "Failed" AND (Title -contains "a\"b" OR ReferenceId -gt "5")"#);
/// assert_eq!(kfql::parse(&q.to_string())?, q);
/// # Ok::<(), kfql::Error>(())
/// ```
pub fn parse(text: &str) -> Result<Query, Error> {
    Parser::new().parse(text)
}

/// Parse `text` and compile it against `schema` in `ctx`; errors carry the
/// text, so [`Error::render`] can draw the caret.
///
/// ```
/// use kfql::{keyfactor, Context};
///
/// let ctx = Context::new(chrono::DateTime::UNIX_EPOCH);
/// let err = kfql::compile(r#"ReferenceId -contains "5""#, &keyfactor::schema(), &ctx).unwrap_err();
/// assert_eq!(err.kind(), kfql::ErrorKind::OperatorNotAllowed);
/// assert!(err.render().contains("ReferenceId -contains \"5\"\n  |             ^^^^^^^^^"));
/// ```
pub fn compile(text: &str, schema: &Schema, ctx: &Context) -> Result<Filter, Error> {
    parse(text)?
        .compile(schema, ctx)
        .map_err(|e| e.with_input(text))
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
