//! Limits on what the parser accepts, part of the contract (docs/LANGUAGE.md, “Errors and limits”).

/// Limits that [`Parser`](crate::Parser) enforces while it reads a query.
/// A value equal to a limit is allowed; one past it is an error that names
/// the limit.
///
/// ```
/// use kfql::{ErrorKind, Limits, Parser};
///
/// let parser = Parser::new().limits(Limits { max_depth: 1, ..Limits::default() });
/// assert!(parser.parse(r#"(Status -eq "Failed")"#).is_ok());
/// let err = parser.parse(r#"((Status -eq "Failed"))"#).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::NestingTooDeep);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Query length in UTF-8 bytes. Default 65,536 (64 KiB).
    pub max_bytes: usize,
    /// Nesting depth of parentheses. Default 64, at most
    /// [`Limits::MAX_DEPTH`] (a larger value acts as that cap). Compiling
    /// recurses, one call per level, and so do `Debug` and serializing an
    /// [`Expr`](crate::Expr); the cap keeps them within a 2 MiB thread
    /// stack whatever the configuration. Evaluating a filter nested deeper
    /// than 32 levels does not recurse at all (it runs as a jump program),
    /// and is tested at the cap on a 2 MiB stack in a debug build.
    pub max_depth: usize,
    /// Number of comparisons. Default 1,024.
    pub max_comparisons: usize,
}

impl Limits {
    /// The hard cap on [`max_depth`](Limits::max_depth): 1,024.
    pub const MAX_DEPTH: usize = 1024;

    /// The depth limit actually enforced: `max_depth`, capped at
    /// [`Limits::MAX_DEPTH`].
    pub fn depth(&self) -> usize {
        self.max_depth.min(Limits::MAX_DEPTH)
    }

    /// The defaults (docs/LANGUAGE.md, “Errors and limits”): 64 KiB, depth 64, 1,024 comparisons.
    pub const DEFAULT: Limits = Limits {
        max_bytes: 64 * 1024,
        max_depth: 64,
        max_comparisons: 1024,
    };
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DEFAULT
    }
}
