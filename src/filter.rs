//! The compiled form of a query: what [`Query::compile`](crate::Query::compile)
//! produces and the evaluator, the SQL builder and the typed binding read.
//! Resolved and typed (field slots, typed operands, folded needles, day
//! ranges as nanosecond intervals), with no spans: errors were all raised
//! while compiling.

use chrono::{DateTime, Utc};

use crate::schema::Schema;
use crate::text::Needle;
use crate::value::Nanos;

/// A compiled query: resolved against a schema and a context, ready to run
/// over any number of records. Cheap to share across threads.
#[derive(Clone, Debug)]
pub struct Filter {
    pub(crate) schema: Schema,
    pub(crate) root: Node,
}

#[derive(Clone, Debug)]
pub(crate) enum Node {
    /// The empty query.
    All,
    And(Box<[Node]>),
    Or(Box<[Node]>),
    Test(usize, Test),
}

/// One comparison, typed. `negate` turns `-eq` into `-ne` and `-contains`
/// into `-notcontains`: both still require a non-null value.
#[derive(Clone, Debug)]
pub(crate) enum Test {
    IsNull,
    NotNull,
    Text {
        how: TextOp,
        needle: Needle,
        negate: bool,
    },
    /// Integers and instants: the stored value lies in `[lo, hi)`. For
    /// instants `at` holds the same bounds as chrono values, so a stored
    /// instant is compared as it is, without converting it to nanoseconds.
    Range {
        lo: Nanos,
        hi: Nanos,
        negate: bool,
        time: bool,
        at: Option<(DateTime<Utc>, DateTime<Utc>)>,
    },
    /// An OR of `-eq` tests on one enum field, folded at compile time: the
    /// value's index is one of the set bits.
    EnumSet {
        mask: u128,
    },
    Guid {
        value: u128,
        negate: bool,
    },
    Bool {
        value: bool,
        negate: bool,
    },
    Enum {
        index: usize,
        negate: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TextOp {
    /// Equality ignoring trailing spaces (the needle is already trimmed).
    Equals,
    Contains,
    StartsWith,
    EndsWith,
}

impl Filter {
    /// The schema the filter was compiled against.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }
}
