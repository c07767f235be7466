//! What differs between SQL engines: placeholders, identifier quoting, how
//! text is folded, how text is compared code point by code point, and the
//! escape character of `LIKE`.

use super::Param;

/// The SQL one engine speaks. [`Sqlite`] and [`Postgres`] are provided;
/// implement the trait for another engine (every method but the first
/// three has a default that suits most of them).
///
/// Each method writes a fragment around SQL that kfql built itself
/// (`expr` is a quoted column or an expression over one); none of them
/// ever receives text from a query.
///
/// ```
/// use kfql::sql::{Dialect, Param, Postgres, Sqlite};
///
/// assert_eq!(Sqlite.placeholder(3, &Param::Int(7)), "?3");
/// assert_eq!(Postgres.placeholder(3, &Param::Int(7)), "$3::bigint");
/// assert_eq!(Postgres.quote_identifier(r#"odd"name"#), r#""odd""name""#);
/// assert_eq!(Sqlite.fold("\"title\""), "kfql_fold(\"title\")");
/// ```
pub trait Dialect {
    /// The engine's name, for messages.
    fn name(&self) -> &'static str;

    /// The placeholder for the `index`-th parameter (1-based), whose value
    /// is `param` (only its type matters).
    fn placeholder(&self, index: usize, param: &Param) -> String;

    /// `expr` folded as `str::to_lowercase` folds (as closely as the engine
    /// can: see [`Postgres`]).
    fn fold(&self, expr: &str) -> String;

    /// `ident` as a quoted identifier: double quotes, inner ones doubled.
    fn quote_identifier(&self, ident: &str) -> String {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }

    /// `expr` without trailing U+0020 spaces.
    fn trim_spaces(&self, expr: &str) -> String {
        format!("rtrim({expr}, ' ')")
    }

    /// `expr` in a collation that compares code point by code point (UTF-8
    /// byte order), for text that sorts or compares as kfql does.
    fn code_point_order(&self, expr: &str) -> String {
        format!("{expr} COLLATE BINARY")
    }

    /// The escape character of `LIKE` patterns.
    fn like_escape_char(&self) -> char {
        '\\'
    }

    /// The escape character as an SQL string literal, for `ESCAPE …`.
    fn like_escape_literal(&self) -> &'static str {
        "'\\'"
    }

    /// The longest `LIKE` pattern the engine accepts, in bytes; `None`
    /// (the default) when any length works. A `-contains`,
    /// `-notcontains`, `-startswith` or `-endswith` whose pattern would be
    /// longer is written with [`position`](Dialect::position) and
    /// [`suffix`](Dialect::suffix) instead, which take needles of any
    /// length and mean the same.
    fn max_like_pattern(&self) -> Option<usize> {
        None
    }

    /// The 1-based character position of the first occurrence of `needle`
    /// in `haystack` (both text), 0 when there is none.
    fn position(&self, haystack: &str, needle: &str) -> String {
        format!("strpos({haystack}, {needle})")
    }

    /// The last `count` characters of `expr`, where `count` is the
    /// placeholder of a positive integer parameter.
    fn suffix(&self, expr: &str, count: &str) -> String {
        format!("right({expr}, CAST({count} AS INTEGER))")
    }

    /// The most parameters one statement may bind. [`Statement::new`]
    /// refuses a query that needs more, naming the limit, rather than
    /// write SQL the engine would refuse.
    ///
    /// [`Statement::new`]: super::Statement::new
    fn max_params(&self) -> usize {
        32_766
    }
}

/// SQLite 3.32 or later (3.30 for `NULLS FIRST`/`NULLS LAST`, 3.32 for
/// more than 999 parameters in one statement).
///
/// Folding calls `kfql_fold`, an application-defined SQL function that the
/// connection must register: SQLite's own `lower()` folds only ASCII.
/// See [`FOLD_FUNCTION`](super::FOLD_FUNCTION) for the registration (three
/// lines with `rusqlite`). With it, every rule of docs/LANGUAGE.md, “Meaning of comparisons” and
/// “Sorting and paging”, holds exactly.
///
/// SQLite refuses `LIKE` patterns longer than
/// `SQLITE_MAX_LIKE_PATTERN_LENGTH` (50,000 bytes unless compiled
/// otherwise), so longer needles are matched with `instr` and `substr`
/// instead (see [`Dialect::max_like_pattern`]); the [`sql`](super) module
/// lists every SQLite limit a query can reach. Stored text must not
/// contain U+0000, where SQLite's string functions stop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sqlite;

impl Dialect for Sqlite {
    fn name(&self) -> &'static str {
        "SQLite"
    }

    fn placeholder(&self, index: usize, _: &Param) -> String {
        format!("?{index}")
    }

    fn fold(&self, expr: &str) -> String {
        format!("{}({expr})", super::FOLD_FUNCTION)
    }

    fn max_like_pattern(&self) -> Option<usize> {
        Some(50_000)
    }

    fn position(&self, haystack: &str, needle: &str) -> String {
        format!("instr({haystack}, {needle})")
    }

    fn suffix(&self, expr: &str, count: &str) -> String {
        // A negative start counts from the end; a text shorter than
        // `count` comes back whole, so it cannot equal the needle.
        format!("substr({expr}, -{count})")
    }
}

/// PostgreSQL 9.1 or later, and the engines that speak its dialect.
///
/// Placeholders carry their type (`$1::text`, `$2::bigint`,
/// `$3::boolean`), so clients that check types bind [`Param`]s as plain
/// `String`, `i64` and `bool`. Text sorts and compares in the `"C"`
/// collation (code point order) whatever the column's collation.
///
/// Folding is `lower()`, which is where PostgreSQL can differ from Rust's
/// `str::to_lowercase`:
///
/// - With a database or column `LC_CTYPE` of `C` or `POSIX`, `lower()`
///   folds only ASCII. Create the database with a UTF-8 locale
///   (`initdb -E UTF8 --locale=C.UTF-8`, or `en_US.UTF-8`).
/// - With a libc locale, `lower()` maps one character to one character
///   with the C library's tables. It differs for `Σ` at the end of a word
///   (Rust: `ς`, PostgreSQL: `σ`), for `İ` U+0130 (Rust: `i̇`, two
///   characters; PostgreSQL: `i`), and for letters newer than the C
///   library's Unicode tables. Every other character both tables know
///   (ASCII, Latin, Greek, Cyrillic, …) folds the same: Rust's only other
///   full (multi-character or contextual) lowercase mappings are these two.
/// - Text cannot hold U+0000 in PostgreSQL; a query value containing it
///   matches no stored text (kfql compiles it so, rather than sending it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Postgres;

impl Dialect for Postgres {
    fn name(&self) -> &'static str {
        "PostgreSQL"
    }

    fn placeholder(&self, index: usize, param: &Param) -> String {
        let ty = match param {
            Param::Text(_) => "text",
            Param::Int(_) => "bigint",
            Param::Bool(_) => "boolean",
        };
        format!("${index}::{ty}")
    }

    fn fold(&self, expr: &str) -> String {
        format!("lower({expr})")
    }

    fn code_point_order(&self, expr: &str) -> String {
        format!("{expr} COLLATE \"C\"")
    }

    fn like_escape_literal(&self) -> &'static str {
        // E'' reads the same whatever standard_conforming_strings says.
        "E'\\\\'"
    }

    fn max_params(&self) -> usize {
        // The wire protocol counts parameters in 16 bits.
        65_535
    }
}
