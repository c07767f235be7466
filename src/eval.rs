//! Evaluating a compiled [`Filter`] against records: docs/LANGUAGE.md, “Meaning of comparisons”.
//!
//! Everything that can be decided once was decided by `compile.rs`: field
//! slots, typed operands, folded needles, day ranges as nanosecond
//! intervals. Evaluation reads a field, compares, and allocates nothing
//! (non-ASCII text is folded into a reused per-thread buffer).

use crate::filter::{Filter, Node, Test, TextOp};
use crate::schema::Field;
use crate::text::{Needle, trim_spaces};
use crate::value::Nanos;
use crate::{FieldValue, Record};

impl Filter {
    /// Whether `record` matches, exactly as docs/LANGUAGE.md, “Meaning of comparisons”, says.
    #[inline(always)]
    pub fn matches<R: Record + ?Sized>(&self, record: &R) -> bool {
        self.root.eval_root(self.schema.fields(), record)
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
