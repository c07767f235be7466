//! Evaluating a compiled [`Filter`] against records: docs/LANGUAGE.md, “Meaning of comparisons”.
//!
//! Everything that can be decided once was decided by `compile.rs`: field
//! slots, typed operands, folded needles, day ranges as nanosecond
//! intervals. Evaluation reads a field, compares, and allocates nothing
//! (non-ASCII text is folded into a reused per-thread buffer).

use chrono::{DateTime, Utc};

use crate::schema::{Field, Schema};
use crate::text::{Needle, trim_spaces};
use crate::value::Nanos;

/// A value read from a record for one field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FieldValue<'a> {
    /// Missing or null.
    Null,
    /// Text, for string fields.
    Str(&'a str),
    /// A list of texts, for string-list fields. Empty is null.
    List(TextList<'a>),
    /// An integer.
    Int(i64),
    /// An instant.
    DateTime(DateTime<Utc>),
    /// A GUID as its 128-bit value.
    Guid(u128),
    /// A boolean.
    Bool(bool),
    /// An enum value: the index of its name in the field's
    /// [`FieldType::Enum`](crate::FieldType::Enum) list.
    Enum(usize),
    /// A value that does not convert to the field's type (only readers of
    /// unchecked data, such as `serde_json::Value`, return it). Every
    /// comparison on it is false, `-eq NULL` and `-ne NULL` included.
    Invalid,
}

/// The elements of a string-list field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TextList<'a> {
    /// Owned strings.
    Strings(&'a [String]),
    /// JSON values, every one a string.
    Json(&'a [serde_json::Value]),
}

impl<'a> TextList<'a> {
    /// Whether the list has no elements.
    pub fn is_empty(&self) -> bool {
        match self {
            TextList::Strings(xs) => xs.is_empty(),
            TextList::Json(xs) => xs.is_empty(),
        }
    }

    /// The elements as text (non-string JSON elements are skipped; the
    /// JSON reader only builds lists of strings).
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + 'a {
        let (a, b) = match *self {
            TextList::Strings(xs) => (Some(xs.iter().map(String::as_str)), None),
            TextList::Json(xs) => (None, Some(xs.iter().filter_map(serde_json::Value::as_str))),
        };
        a.into_iter().flatten().chain(b.into_iter().flatten())
    }
}

/// A record a [`Filter`] can run over: your own struct, the crate's
/// [`WorkflowInstance`](crate::keyfactor::WorkflowInstance), or a
/// `serde_json::Value` object.
///
/// ```
/// use kfql::{Context, Field, FieldType, FieldValue, Record, Schema};
///
/// struct Cert { serial: String, days_left: i64 }
///
/// impl Record for Cert {
///     fn value(&self, field: &Field) -> FieldValue<'_> {
///         match field.index() {
///             0 => FieldValue::Str(&self.serial),
///             1 => FieldValue::Int(self.days_left),
///             _ => FieldValue::Null,
///         }
///     }
/// }
///
/// let schema = Schema::builder("certs")
///     .field("Serial", FieldType::String)
///     .field("DaysLeft", FieldType::Integer)
///     .build()?;
/// let ctx = Context::new(chrono::DateTime::UNIX_EPOCH);
/// let filter = kfql::compile(r#"DaysLeft -lt 30 AND Serial -startswith "ab""#, &schema, &ctx)?;
/// assert!(filter.matches(&Cert { serial: "AB12".into(), days_left: 7 }));
/// assert!(!filter.matches(&Cert { serial: "AB12".into(), days_left: 70 }));
/// # Ok::<(), kfql::Error>(())
/// ```
pub trait Record {
    /// The record's value for `field` (a field of the schema the filter was
    /// compiled against).
    fn value(&self, field: &Field) -> FieldValue<'_>;
}

impl<R: Record + ?Sized> Record for &R {
    #[inline(always)]
    fn value(&self, field: &Field) -> FieldValue<'_> {
        (**self).value(field)
    }
}

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
    /// Whether `record` matches, exactly as docs/LANGUAGE.md, “Meaning of comparisons”, says.
    #[inline(always)]
    pub fn matches<R: Record + ?Sized>(&self, record: &R) -> bool {
        self.root.eval_root(self.schema.fields(), record)
    }

    /// The schema the filter was compiled against.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }
}

impl Node {
    /// The root's own loop is inlined into the caller's loop over records,
    /// so a flat query (the usual shape) costs no call per record at all.
    #[inline(always)]
    fn eval_root<R: Record + ?Sized>(&self, fields: &[Field], record: &R) -> bool {
        match self {
            Node::And(xs) => xs.iter().all(|x| x.eval(fields, record)),
            Node::Or(xs) => xs.iter().any(|x| x.eval(fields, record)),
            Node::All => true,
            Node::Test(slot, test) => test.eval(record, &fields[*slot]),
        }
    }

    /// Leaves are evaluated inline; only chains take a call. Most chains
    /// hold leaves, so a chain's loop runs its tests without a call each.
    #[inline(always)]
    fn eval<R: Record + ?Sized>(&self, fields: &[Field], record: &R) -> bool {
        match self {
            Node::Test(slot, test) => test.eval(record, &fields[*slot]),
            chain => chain.eval_chain(fields, record),
        }
    }

    #[inline(never)]
    fn eval_chain<R: Record + ?Sized>(&self, fields: &[Field], record: &R) -> bool {
        match self {
            Node::And(xs) => {
                for x in xs.iter() {
                    if !x.eval(fields, record) {
                        return false;
                    }
                }
                true
            }
            Node::Or(xs) => {
                for x in xs.iter() {
                    if x.eval(fields, record) {
                        return true;
                    }
                }
                false
            }
            Node::All => true,
            Node::Test(slot, test) => test.eval(record, &fields[*slot]),
        }
    }
}

impl Test {
    /// The test kind is matched first and the record read inside each arm:
    /// once `Record::value` is inlined there, the compiler resolves each of
    /// its field arms against the one value shape the arm accepts, so a
    /// leaf costs one jump on its kind and one on the field, and no
    /// `FieldValue` is built in memory.
    #[inline(always)]
    fn eval<R: Record + ?Sized>(&self, record: &R, field: &Field) -> bool {
        match self {
            Test::IsNull => is_null(record.value(field)),
            Test::NotNull => match record.value(field) {
                FieldValue::Invalid => false,
                v => !is_null(v),
            },
            Test::Text {
                how,
                needle,
                negate,
            } => match record.value(field) {
                FieldValue::Str(s) => text_test(*how, needle, s) != *negate,
                FieldValue::List(xs) if !xs.is_empty() => {
                    xs.iter().any(|s| text_test(*how, needle, s)) != *negate
                }
                _ => false,
            },
            Test::Range {
                lo,
                hi,
                negate,
                time: false,
                ..
            } => match record.value(field) {
                FieldValue::Int(n) => {
                    let n = Nanos::from(n);
                    (*lo <= n && n < *hi) != *negate
                }
                _ => false,
            },
            Test::Range {
                at: Some((lo, hi)),
                negate,
                ..
            } => match record.value(field) {
                FieldValue::DateTime(t) => (*lo <= t && t < *hi) != *negate,
                _ => false,
            },
            // A time range always carries its chrono bounds (compile.rs).
            Test::Range { at: None, .. } => false,
            Test::Guid { value, negate } => match record.value(field) {
                FieldValue::Guid(g) => (g == *value) != *negate,
                _ => false,
            },
            Test::Bool { value, negate } => match record.value(field) {
                FieldValue::Bool(b) => (b == *value) != *negate,
                _ => false,
            },
            Test::Enum { index, negate } => match record.value(field) {
                FieldValue::Enum(i) => (i == *index) != *negate,
                _ => false,
            },
            Test::EnumSet { mask } => match record.value(field) {
                FieldValue::Enum(i) => i < 128 && (mask >> i) & 1 == 1,
                _ => false,
            },
        }
    }
}

fn is_null(v: FieldValue<'_>) -> bool {
    match v {
        FieldValue::Null => true,
        FieldValue::List(xs) => xs.is_empty(),
        _ => false,
    }
}

#[inline]
fn text_test(how: TextOp, needle: &Needle, hay: &str) -> bool {
    match how {
        TextOp::Equals => needle.equals(trim_spaces(hay)),
        TextOp::Contains => needle.within(hay),
        TextOp::StartsWith => needle.prefix_of(hay),
        TextOp::EndsWith => needle.suffix_of(hay),
    }
}
