//! Text → [`Query`]: the grammar, with no schema (docs/LANGUAGE.md, “Syntax”,
//! explains it).
//!
//! ```text
//! query      := ws* ( or_expr ws* )? EOF          -- empty or blank: every record
//! or_expr    := and_expr ( ws* OR and_expr )*
//! and_expr   := primary ( ws* AND primary )*      -- AND binds tighter than OR
//! primary    := ws* ( "(" ws* or_expr ws* ")" | comparison )
//! comparison := field ws+ operator ( ws* quoted | ws+ NULL | ws+ bare )
//! field      := letter ( letter | digit | "_" | "." )*     -- not a keyword
//! operator   := "-eq" | "-ne" | "-contains" | "-notcontains" | "-startswith"
//!             | "-endswith" | "-lt" | "-le" | "-gt" | "-ge"
//! quoted     := '"' ( '\"' | '\\' | '\' c | c )* '"'     -- c: any char but " and \
//! bare       := number &(keyword) | ( any char but ws, "(", ")" )+
//! number     := ( "+" | "-" )? digit+
//! keyword    := ( AND | OR | NOT | NULL ) &( ws | "(" | ")" | EOF )   -- any case
//! ws := space, tab, CR, LF, FF, VT      letter := A–Z a–z      digit := 0–9
//! ```
//!
//! `lexer.rs` holds the leaf productions (`ws`, `keyword`, `field`,
//! `operator`, `quoted`, `bare`, `number`); `parser.rs` the chains and
//! groups, driven by an explicit stack; `ast.rs` the tree and its canonical
//! printing.

pub mod ast;
mod lexer;
mod parser;

pub(crate) use lexer::{is_field_name, is_keyword};

use crate::{Error, ErrorKind, Limits, Span};
use ast::Query;

/// A query parser with configurable [`Limits`].
///
/// ```
/// use kfql::{Limits, Parser};
///
/// let parser = Parser::new().limits(Limits { max_comparisons: 2, ..Limits::default() });
/// assert!(parser.parse(r#"Status -eq "Failed" OR Status -eq "Rejected""#).is_ok());
/// assert!(parser.parse(r#"Status -eq "Failed" OR Status -eq "Rejected" OR ReferenceId -eq 1"#).is_err());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Parser {
    limits: Limits,
}

impl Parser {
    /// A parser with the default limits.
    pub fn new() -> Parser {
        Parser::default()
    }

    /// Use `limits` instead of the defaults.
    pub fn limits(mut self, limits: Limits) -> Parser {
        self.limits = limits;
        self
    }

    /// The limits this parser enforces.
    pub fn get_limits(&self) -> Limits {
        self.limits
    }

    /// Parse `text` into a [`Query`].
    pub fn parse(&self, text: &str) -> Result<Query, Error> {
        self.check_length(text.len())?;
        parser::Driver::new(text, self.limits).parse_query()
    }

    /// Parse raw bytes, as they arrive from a file or an HTTP request: the
    /// length limit is checked first, then UTF-8.
    ///
    /// ```
    /// let err = kfql::Parser::new().parse_bytes(b"Title -eq \"\xff\"").unwrap_err();
    /// assert_eq!(err.kind(), kfql::ErrorKind::InvalidUtf8);
    /// assert_eq!(err.span(), Some(kfql::Span::new(11, 12)));
    /// ```
    pub fn parse_bytes(&self, bytes: &[u8]) -> Result<Query, Error> {
        self.check_length(bytes.len())?;
        match std::str::from_utf8(bytes) {
            Ok(text) => self.parse(text),
            Err(e) => {
                let at = e.valid_up_to();
                let bad = e.error_len().unwrap_or(bytes.len() - at);
                let shown = String::from_utf8_lossy(bytes);
                Err(Error::new(
                    ErrorKind::InvalidUtf8,
                    format!("the query is not valid UTF-8 at byte {at}"),
                )
                .with_span(Span::new(at, at + bad))
                .with_input(&shown))
            }
        }
    }

    fn check_length(&self, len: usize) -> Result<(), Error> {
        if len > self.limits.max_bytes {
            // The input is not copied into the error: it may be huge.
            return Err(Error::new(
                ErrorKind::QueryTooLong,
                format!(
                    "the query is {len} bytes long, past the limit of {} bytes",
                    self.limits.max_bytes
                ),
            )
            .with_span(Span::new(self.limits.max_bytes, len)));
        }
        Ok(())
    }
}
