//! kfql: Keyfactor-style query strings, parsed, checked, evaluated.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod limits;
mod render;
pub mod syntax;

pub use error::{Error, ErrorKind, Span};
pub use limits::Limits;
pub use syntax::Parser;
pub use syntax::ast::{Comparison, Expr, Op, Query, Value, quote};

/// Parse `text` with the default [`Limits`].
pub fn parse(text: &str) -> Result<Query, Error> {
    Parser::new().parse(text)
}
