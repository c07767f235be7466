//! Running a checked query in your database: a [`Filter`], a [`Sort`] and a
//! [`Page`] become SQL text and bound parameters for SQLite or PostgreSQL,
//! with exactly the meaning they have in memory (docs/LANGUAGE.md, “Meaning
//! of comparisons” and “Sorting and paging”; behind the `sql` cargo
//! feature), within every limit of the engine (see
//! [Engine limits](#engine-limits)).
//!
//! The SQL is built from the compiled filter, so field names, types,
//! tokens and day ranges are resolved once, by [`Query::compile`]. No
//! value ever appears in the SQL text, only placeholders; identifiers come
//! only from the [`Mapping`], never from the query.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use kfql::{Direction, keyfactor, sql, Context, Page, Sort};
//!
//! let schema = keyfactor::schema();
//! let ctx = Context::new(Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap());
//! let filter = kfql::compile(r#"Status -eq "Failed" AND Title -contains "50%""#, &schema, &ctx)?;
//! let sort = Sort::new(&schema, "StartDate", Direction::Descending)?;
//! let mapping = sql::Mapping::new(&schema, "workflow_instances").input_order("seq");
//!
//! let stmt = sql::Statement::new(&filter, &sort, Page::new(2, 10)?, &mapping, &sql::Postgres)?;
//! assert_eq!(stmt.condition(),
//!     r#"("status" = $1::text AND lower("title") COLLATE "C" LIKE $2::text ESCAPE E'\\')"#);
//! assert_eq!(stmt.params()[..2], [sql::Param::Text("Failed".into()), sql::Param::Text(r"%50\%%".into())]);
//! assert_eq!(stmt.count(),
//!     format!(r#"SELECT count(*) FROM "workflow_instances" WHERE {}"#, stmt.condition()));
//! assert_eq!(stmt.order_by(),
//!     r#""start_date" COLLATE "C" DESC NULLS LAST, "reference_id" ASC NULLS FIRST, "seq" ASC"#);
//! assert_eq!(stmt.limit_offset(), "LIMIT $3::bigint OFFSET $4::bigint");
//! assert_eq!(stmt.params()[2..], [sql::Param::Int(10), sql::Param::Int(10)]);
//! # Ok::<(), kfql::Error>(())
//! ```
//!
//! # Storage
//!
//! The SQL compares the columns as kfql stores them; [`stored`] converts a
//! record's value, and [`Mapping::create_table`] writes a matching table.
//!
//! | field type | column | comparisons |
//! |---|---|---|
//! | string | `TEXT` | folded, `rtrim(…, ' ')` for `-eq`/`-ne`; `LIKE … ESCAPE` with `%`, `_` and the escape character escaped |
//! | integer | `BIGINT` | `>=`/`<` against i64 bounds |
//! | datetime | `TEXT`, `YYYY-MM-DDThh:mm:ss.nnnnnnnnnZ` (UTC, always nine fraction digits) | in code-point order, which is time order for years 0001–9999; exact to the nanosecond |
//! | guid | `TEXT`, lower-case hyphenated | equality; sorts in code-point order, which is the 128-bit order |
//! | enum | `TEXT`, the canonical name | equality with the name; sorts by a `CASE` on the names |
//! | boolean | `BOOLEAN` (0/1 in SQLite) | equality |
//!
//! String lists (Venafi's `Approvers`) have no SQL form yet: a query or
//! sort on one is an [`ErrorKind::Unsupported`] error. Stored text must not
//! contain U+0000 ([`stored`] refuses it); a query value containing it
//! matches no text.
//!
//! # Case folding
//!
//! docs/LANGUAGE.md, “Meaning of comparisons”, folds with Rust's `str::to_lowercase`. [`Sqlite`] calls
//! [`FOLD_FUNCTION`], `kfql_fold`, which the connection registers to call
//! [`fold`]: exact. [`Postgres`] calls `lower()`, which agrees with Rust
//! except for `Σ` at the end of a word, `İ`, and letters newer than the C
//! library's tables, and folds only ASCII under a `C` locale; the
//! [`Postgres`] docs list the limits. Sorting compares folded text in
//! code-point order (`COLLATE BINARY`, `COLLATE "C"`), as kfql does.
//!
//! # Indexes
//!
//! The SQL compares expressions an index can hold: in SQLite
//! `kfql_fold(rtrim(title, ' '))` (for `-eq`/`-ne` and sorting) and the
//! datetime and GUID columns themselves; in PostgreSQL
//! `(lower(rtrim(title, ' ')) COLLATE "C")`, and datetime and GUID columns
//! declared `COLLATE "C"` (as [`Mapping::create_table`] does); an index
//! meant for ascending sorts there needs `NULLS FIRST` (PostgreSQL's
//! default puts nulls last). Checked with `EXPLAIN` on both engines.
//!
//! # Sorting and paging
//!
//! `ORDER BY` names the sort field with explicit `NULLS FIRST` (ascending)
//! or `NULLS LAST` (descending), then the schema's key ascending, then the
//! [`Mapping::input_order`] column. `LIMIT` and `OFFSET` are i64
//! parameters; an offset past i64::MAX saturates (no table is that long).
//!
//! # Engine limits
//!
//! SQL engines refuse statements past limits of their own. These are all
//! that a query within kfql's [`Limits`] can reach, with what kfql does
//! about each. The defaults (64 KiB, nesting 64, 1,024 comparisons) stay
//! inside every one; so does a large configuration tested alongside them
//! (nesting at the cap of 1,024, 10,000 comparisons, 1 MiB of text),
//! except where a limit below says otherwise.
//!
//! - **Expression depth.** SQLite refuses an expression nested deeper
//!   than `SQLITE_MAX_EXPR_DEPTH`: 1,000 unless compiled otherwise, and
//!   an application may lower it. SQLite nests `a OR b OR c …` one level
//!   per term, so kfql writes a group of more than 16 parts as nested
//!   groups of at most 16 (`((a OR … OR p) OR (q OR …))`): the depth
//!   grows by at most 16 each time a group grows sixteenfold, whatever
//!   the number of comparisons (measured: 36–39 for 1,024, about 50 for
//!   10,000). A nested group sits at most two levels below its parent's
//!   group of 16 (`(a OR b) AND (nested) AND (c OR d)`), so each level
//!   of nesting adds two levels per level of groups of 16 it sits in
//!   (two in a group of up to 16 parts, four in one of up to 256;
//!   measured: 137 for 1,024 comparisons nested 64 deep). A condition that
//!   would still pass a depth of 200 is written as one `CASE WHEN … END`
//!   whose branches each test the parts beside one nested group
//!   (`WHEN (others) IS NOT TRUE THEN 1 = 0` inside AND, `WHEN others
//!   THEN 1 = 1` inside OR), which turns the nesting into a flat list
//!   (measured: under 200 for nesting 1,024 deep). A null takes no
//!   `WHEN` branch, as a null comparison matches nothing, so the meaning
//!   is unchanged. In that form placeholders may appear out of numeric
//!   order in the text; each still names its parameter, and
//!   [`Statement::params`] keeps the query's order. PostgreSQL has no
//!   fixed ceiling, only the server's `max_stack_depth` (2 MB by
//!   default), which runs these shapes, and ran 1,024 plainly nested
//!   levels too.
//! - **Parameters.** SQLite binds at most `SQLITE_MAX_VARIABLE_NUMBER`
//!   parameters (32,766 since SQLite 3.32, 999 before), PostgreSQL 65,535.
//!   A comparison takes at most two, except an OR of comparisons on one
//!   enum field, which becomes one list of the names it matches (one
//!   parameter each); the sort takes one per enum name and the page two.
//!   With the built-in schemas that is at most about 3,100 at the
//!   default limits. A configuration with many more comparisons can need
//!   more than the engine binds: [`Statement::new`] then refuses the
//!   query with [`ErrorKind::TooManyComparisons`], naming the engine's
//!   limit ([`Dialect::max_params`]). SQLite prepares statements with
//!   many numbered parameters slowly (seconds for 20,000).
//! - **Statement length.** SQLite refuses SQL longer than
//!   `SQLITE_MAX_SQL_LENGTH` (1,000,000,000 bytes by default), PostgreSQL
//!   a message over 1 GB. Values travel as parameters, so the SQL grows
//!   with the number of comparisons, not with the values' length: 1,024
//!   comparisons made 56–108 KB of SQL in testing, 10,000 made 570–730 KB
//!   (longer column names make it longer).
//! - **`LIKE` pattern length.** SQLite refuses a `LIKE` pattern longer
//!   than `SQLITE_MAX_LIKE_PATTERN_LENGTH` (50,000 bytes by default); a
//!   64 KiB query can hold a longer needle, and escaping doubles `%`, `_`
//!   and `\`. A needle whose pattern would be longer is matched without
//!   `LIKE`: `instr(…, ?) > 0` (contains), `= 0` (does not contain),
//!   `= 1` (starts with), and `substr(…, -?) = ?` (ends with: the last
//!   that many characters), on the same folded text, for a needle of any
//!   length ([`Dialect::max_like_pattern`]). PostgreSQL has no such
//!   limit.
//!
//! [`Query::compile`]: crate::Query::compile
//! [`Limits`]: crate::Limits
//! [`ErrorKind::TooManyComparisons`]: crate::ErrorKind::TooManyComparisons
//! [`ErrorKind::Unsupported`]: crate::ErrorKind::Unsupported

mod build;
mod dialect;
mod mapping;

pub use dialect::{Dialect, Postgres, Sqlite};
pub use mapping::Mapping;

use chrono::{DateTime, Datelike, Timelike, Utc};

use crate::schema::{Field, FieldType};
use crate::value::{Nanos, format_guid, nanos_of};
use crate::{Error, ErrorKind, FieldValue, Filter, Page, Sort};

/// The SQL function [`Sqlite`] folds text with. Register it on every
/// connection that runs kfql's SQL, calling [`fold`]; with `rusqlite`
/// (its `functions` feature):
///
/// ```
/// use rusqlite::{Connection, functions::FunctionFlags};
///
/// let conn = Connection::open_in_memory()?;
/// conn.create_scalar_function(
///     kfql::sql::FOLD_FUNCTION,
///     1,
///     FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
///     |ctx| Ok(ctx.get::<Option<String>>(0)?.map(|s| kfql::sql::fold(&s))),
/// )?;
/// let folded: String = conn.query_row("SELECT kfql_fold('ΟΔΟΣ Straße')", [], |r| r.get(0))?;
/// assert_eq!(folded, "οδος straße");
/// # Ok::<(), rusqlite::Error>(())
/// ```
///
/// Being deterministic, it may appear in an index
/// (`CREATE INDEX … ON t (kfql_fold(rtrim(title, ' ')))`).
pub const FOLD_FUNCTION: &str = "kfql_fold";

/// Text folded as kfql folds it (`str::to_lowercase`): what
/// [`FOLD_FUNCTION`] must return.
pub fn fold(text: &str) -> String {
    crate::text::fold(text)
}

/// A bound parameter. Values never appear in the SQL text; bind these in
/// order to the placeholders `?1`, `?2`, … (SQLite) or `$1`, `$2`, …
/// (PostgreSQL).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Param {
    /// Text: strings, patterns, enum names, GUIDs, datetimes.
    Text(String),
    /// A 64-bit integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
}

/// The SQL for one page of a query, and the count of all its matches.
///
/// Placeholders are numbered in the order of [`params`](Statement::params):
/// first those of the condition (all that [`count`](Statement::count)
/// uses), then those of `ORDER BY`, then `LIMIT` and `OFFSET`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    table: String,
    condition: String,
    order_by: String,
    limit_offset: String,
    params: Vec<Param>,
    condition_params: usize,
}

impl Statement {
    /// The SQL for `filter`, sorted by `sort`, cut to `page`, over the
    /// table that `mapping` describes, in `dialect`. An error when the
    /// filter was compiled against another schema than the mapping's, or
    /// uses a field the mapping does not store or SQL cannot express.
    pub fn new(
        filter: &Filter,
        sort: &Sort,
        page: Page,
        mapping: &Mapping,
        dialect: &dyn Dialect,
    ) -> Result<Statement, Error> {
        if filter.schema() != mapping.schema() {
            return Err(Error::new(
                ErrorKind::InvalidSchema,
                format!(
                    "the query was compiled for {}, but the SQL mapping is for {}",
                    filter.schema().name(),
                    mapping.schema().name()
                ),
            ));
        }
        let mut b = build::Builder {
            mapping,
            dialect,
            params: Vec::new(),
        };
        let condition = b.condition(filter)?;
        let condition_params = b.params.len();
        let order_by = b.order_by(sort)?;
        let limit_offset = b.limit(page);
        // Only a configuration with many more comparisons than the default
        // limits allow gets here (see "Engine limits" above).
        if b.params.len() > dialect.max_params() {
            return Err(Error::new(
                ErrorKind::TooManyComparisons,
                format!(
                    "the query needs {} SQL parameters, and {} takes at most {}",
                    b.params.len(),
                    dialect.name(),
                    dialect.max_params()
                ),
            ));
        }
        Ok(Statement {
            table: mapping.quoted_table(dialect),
            condition,
            order_by,
            limit_offset,
            params: b.params,
            condition_params,
        })
    }

    /// The `WHERE` condition, without the keyword.
    pub fn condition(&self) -> &str {
        &self.condition
    }

    /// The `ORDER BY` list, without the keywords.
    pub fn order_by(&self) -> &str {
        &self.order_by
    }

    /// `LIMIT … OFFSET …`.
    pub fn limit_offset(&self) -> &str {
        &self.limit_offset
    }

    /// Every parameter, for [`select`](Statement::select).
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// The condition's parameters, for [`count`](Statement::count) (and
    /// for [`condition`](Statement::condition) used alone).
    pub fn condition_params(&self) -> &[Param] {
        &self.params[..self.condition_params]
    }

    /// `SELECT columns FROM table WHERE … ORDER BY … LIMIT … OFFSET …`:
    /// the page. `columns` is your own SQL (`*`, or a list of columns).
    pub fn select(&self, columns: &str) -> String {
        format!(
            "SELECT {columns} FROM {} WHERE {} ORDER BY {} {}",
            self.table, self.condition, self.order_by, self.limit_offset
        )
    }

    /// [`select`](Statement::select) reading the table through `index`,
    /// your own SQL: SQLite's `INDEXED BY`, for a caller that knows more
    /// than the planner (one that has counted the matches, say).
    pub fn select_indexed_by(&self, columns: &str, index: &str) -> String {
        format!(
            "SELECT {columns} FROM {} INDEXED BY {index} WHERE {} ORDER BY {} {}",
            self.table, self.condition, self.order_by, self.limit_offset
        )
    }

    /// `SELECT count(*) FROM table WHERE …`: the total, with
    /// [`condition_params`](Statement::condition_params).
    pub fn count(&self) -> String {
        format!(
            "SELECT count(*) FROM {} WHERE {}",
            self.table, self.condition
        )
    }
}

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999999Z: the instants a
/// datetime column holds.
const MIN_NANOS: Nanos = -62_135_596_800 * 1_000_000_000;
const MAX_NANOS: Nanos = 253_402_300_799 * 1_000_000_000 + 999_999_999;

fn datetime_text_of_nanos(n: Nanos) -> Option<String> {
    if !(MIN_NANOS..=MAX_NANOS).contains(&n) {
        return None;
    }
    let secs = i64::try_from(n.div_euclid(1_000_000_000)).ok()?;
    let sub = u32::try_from(n.rem_euclid(1_000_000_000)).ok()?;
    let t = DateTime::from_timestamp(secs, sub)?;
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond()
    ))
}

/// How a datetime is stored: `YYYY-MM-DDThh:mm:ss.nnnnnnnnnZ`, in UTC,
/// always with nine fraction digits, so that text order is time order.
/// `None` outside years 0001–9999.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// let t = Utc.with_ymd_and_hms(2024, 6, 1, 8, 30, 0).unwrap();
/// assert_eq!(kfql::sql::datetime_text(&t).as_deref(), Some("2024-06-01T08:30:00.000000000Z"));
/// ```
pub fn datetime_text(t: &DateTime<Utc>) -> Option<String> {
    datetime_text_of_nanos(nanos_of(t))
}

/// A record's value for `field` as the SQL expects it stored (see the
/// module docs): `None` for null. An error for values SQL cannot hold
/// exactly: text with U+0000, datetimes outside years 0001–9999, string
/// lists, and unchecked values of the wrong type.
///
/// ```
/// use kfql::{keyfactor, sql::{self, Param}, FieldValue};
///
/// let schema = keyfactor::schema();
/// let status = schema.field("Status").unwrap();
/// assert_eq!(sql::stored(status, FieldValue::Enum(2))?, Some(Param::Text("Failed".into())));
/// assert_eq!(sql::stored(status, FieldValue::Null)?, None);
/// # Ok::<(), kfql::Error>(())
/// ```
pub fn stored(field: &Field, value: FieldValue<'_>) -> Result<Option<Param>, Error> {
    let bad = |why: &str| {
        Err(Error::new(
            ErrorKind::InvalidRecord,
            format!("`{}` {why}", field.name()),
        ))
    };
    Ok(Some(match value {
        FieldValue::Null => return Ok(None),
        FieldValue::List(xs) if xs.is_empty() => return Ok(None),
        FieldValue::List(_) => return bad("is a string list, which SQL storage does not support"),
        FieldValue::Str(s) if s.contains('\0') => {
            return bad("holds U+0000, which SQL text cannot hold");
        }
        FieldValue::Str(s) => Param::Text(s.to_owned()),
        FieldValue::Int(n) => Param::Int(n),
        FieldValue::DateTime(t) => match datetime_text(&t) {
            Some(text) => Param::Text(text),
            None => return bad("is a datetime outside years 0001–9999"),
        },
        FieldValue::Guid(g) => Param::Text(format_guid(g)),
        FieldValue::Bool(b) => Param::Bool(b),
        FieldValue::Enum(i) => match field.ty() {
            FieldType::Enum(names) if i < names.len() => Param::Text(names[i].clone()),
            _ => return bad("has an enum index outside its names"),
        },
        FieldValue::Invalid => return bad("holds a value of the wrong type"),
    }))
}
