//! Evaluating a compiled [`Filter`] against records: docs/LANGUAGE.md, “Meaning of comparisons”.
//!
//! Everything that can be decided once was decided by `compile.rs`: field
//! slots, typed operands, folded needles, day ranges as nanosecond
//! intervals. Evaluation reads a field, compares, and allocates nothing
//! (non-ASCII text is folded into a reused per-thread buffer).

use chrono::{DateTime, Utc};

use crate::filter::{Filter, Node, Test, TextOp};
use crate::schema::Field;
use crate::text::{Needle, trim_spaces};
use crate::value::Nanos;
use crate::{FieldValue, Record};

impl Filter {
    /// Whether `record` matches, exactly as docs/LANGUAGE.md, “Meaning of comparisons”, says.
    #[inline(always)]
    pub fn matches<R: Record + ?Sized>(&self, record: &R) -> bool {
        let fields = self.schema.fields();
        match &self.deep {
            None => self.root.eval_root(fields, record),
            Some(program) => program.run(|(slot, test)| test.eval(record, &fields[*slot])),
        }
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

/// How many leaf kinds [`Test::kind`] numbers: typed evaluation gives each
/// (field, kind) pair its own code, and `#[derive(kfql::Record)]` one
/// match arm per code.
pub(crate) const KINDS: usize = 12;

impl Test {
    /// The test kind is matched first and the record read inside each arm:
    /// once `Record::value` is inlined there, the compiler resolves each of
    /// its field arms against the one value shape the arm accepts, so a
    /// leaf costs one jump on its kind and one on the field, and no
    /// `FieldValue` is built in memory. (A record type bound with
    /// [`Filter::bind`] saves the second jump: see `typed.rs`.)
    #[inline(always)]
    fn eval<R: Record + ?Sized>(&self, record: &R, field: &Field) -> bool {
        match self {
            Test::IsNull => is_null(record.value(field)),
            Test::NotNull => not_null(record.value(field)),
            Test::Text {
                how,
                needle,
                negate,
            } => text(*how, needle, *negate, record.value(field)),
            Test::Range {
                lo,
                hi,
                negate,
                time: false,
                ..
            } => int_in(*lo, *hi, *negate, record.value(field)),
            Test::Range {
                at: Some(bounds),
                negate,
                ..
            } => time_in(bounds, *negate, record.value(field)),
            // A time range always carries its chrono bounds (compile.rs).
            Test::Range { at: None, .. } => false,
            Test::Guid { value, negate } => guid_is(*value, *negate, record.value(field)),
            Test::Bool { value, negate } => bool_is(*value, *negate, record.value(field)),
            Test::Enum { index, negate } => enum_is(*index, *negate, record.value(field)),
            Test::EnumSet { mask } => enum_in(*mask, record.value(field)),
        }
    }

    /// The kind typed evaluation dispatches on: one number for each arm of
    /// [`Test::eval_kind`].
    pub(crate) fn kind(&self) -> u8 {
        match self {
            Test::IsNull => 0,
            Test::NotNull => 1,
            Test::Text { how, .. } => match how {
                TextOp::Equals => 2,
                TextOp::Contains => 3,
                TextOp::StartsWith => 4,
                TextOp::EndsWith => 5,
            },
            Test::Range { time: false, .. } => 6,
            Test::Range { time: true, .. } => 7,
            Test::Guid { .. } => 8,
            Test::Bool { .. } => 9,
            Test::Enum { .. } => 10,
            Test::EnumSet { .. } => 11,
        }
    }

    /// [`Test::eval`] of a value already read, whatever the test's kind
    /// (for record types without generated field access).
    pub(crate) fn eval_value(&self, v: FieldValue<'_>) -> bool {
        match self.kind() {
            0 => self.eval_kind::<0>(v),
            1 => self.eval_kind::<1>(v),
            2 => self.eval_kind::<2>(v),
            3 => self.eval_kind::<3>(v),
            4 => self.eval_kind::<4>(v),
            5 => self.eval_kind::<5>(v),
            6 => self.eval_kind::<6>(v),
            7 => self.eval_kind::<7>(v),
            8 => self.eval_kind::<8>(v),
            9 => self.eval_kind::<9>(v),
            10 => self.eval_kind::<10>(v),
            _ => self.eval_kind::<11>(v),
        }
    }

    /// [`Test::eval`] of a value already read, for a test whose
    /// [`kind`](Test::kind) is the constant `K`.
    #[inline(always)]
    pub(crate) fn eval_kind<const K: u8>(&self, v: FieldValue<'_>) -> bool {
        self.operands::<K>().is_some_and(|o| o.eval::<K>(v))
    }

    /// The operands of a test of kind `K`, taken out of the test once so
    /// that a loop over records keeps them in registers and does not look
    /// at the test's variant again; `None` when the test is not of kind
    /// `K` (never, for a leaf bound to its kind).
    #[inline(always)]
    pub(crate) fn operands<const K: u8>(&self) -> Option<Operands<'_>> {
        let mut o = Operands::default();
        match (K, self) {
            (0, Test::IsNull) | (1, Test::NotNull) => {}
            (2..=5, Test::Text { needle, negate, .. }) => {
                o.needle = Some(needle);
                o.negate = *negate;
            }
            (6, Test::Range { lo, hi, negate, .. }) => {
                (o.ints, o.negate) = (i64_bounds(*lo, *hi), *negate);
            }
            (
                7,
                Test::Range {
                    at: Some(at),
                    negate,
                    ..
                },
            ) => (o.at, o.negate) = (*at, *negate),
            (8, Test::Guid { value, negate }) => (o.bits, o.negate) = (*value, *negate),
            (9, Test::Bool { value, negate }) => (o.flag, o.negate) = (*value, *negate),
            (10, Test::Enum { index, negate }) => (o.index, o.negate) = (*index, *negate),
            (11, Test::EnumSet { mask }) => o.bits = *mask,
            _ => return None,
        }
        Some(o)
    }
}

/// A test's operands by kind: each kind reads the ones it set in
/// [`Test::operands`].
#[derive(Clone, Copy)]
pub(crate) struct Operands<'t> {
    needle: Option<&'t Needle>,
    /// An integer range as inclusive `i64` bounds: a stored integer is an
    /// `i64`, and comparing it as one spares the `i128` arithmetic of
    /// [`Nanos`] in the loop over records.
    ints: (i64, i64),
    at: (DateTime<Utc>, DateTime<Utc>),
    bits: u128,
    index: usize,
    flag: bool,
    negate: bool,
}

impl Default for Operands<'_> {
    fn default() -> Self {
        Operands {
            needle: None,
            ints: (1, 0),
            at: (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MIN_UTC),
            bits: 0,
            index: 0,
            flag: false,
            negate: false,
        }
    }
}

impl Operands<'_> {
    /// The comparison of kind `K`: with `K` a constant, one arm.
    #[inline(always)]
    pub(crate) fn eval<const K: u8>(&self, v: FieldValue<'_>) -> bool {
        let text_op = |how| match self.needle {
            Some(needle) => text(how, needle, self.negate, v),
            None => false,
        };
        match K {
            0 => is_null(v),
            1 => not_null(v),
            2 => text_op(TextOp::Equals),
            3 => text_op(TextOp::Contains),
            4 => text_op(TextOp::StartsWith),
            5 => text_op(TextOp::EndsWith),
            6 => match v {
                FieldValue::Int(n) => {
                    let (lo, hi) = self.ints;
                    (lo <= n && n <= hi) != self.negate
                }
                _ => false,
            },
            7 => time_in(&self.at, self.negate, v),
            8 => guid_is(self.bits, self.negate, v),
            9 => bool_is(self.flag, self.negate, v),
            10 => enum_is(self.index, self.negate, v),
            11 => enum_in(self.bits, v),
            _ => false,
        }
    }
}

/// `[lo, hi)` as inclusive `i64` bounds holding the same `i64`s; `(1, 0)`,
/// which holds none, when it holds none.
fn i64_bounds(lo: Nanos, hi: Nanos) -> (i64, i64) {
    let (min, max) = (Nanos::from(i64::MIN), Nanos::from(i64::MAX));
    if lo >= hi || lo > max || hi <= min {
        return (1, 0);
    }
    // Clamped, both are `i64`s (`lo ≤ max` and `hi - 1 ≥ min` now), and
    // the `i64`s between them are those of `[lo, hi)`.
    let clamp = |x: Nanos| i64::try_from(x.clamp(min, max)).unwrap_or_default();
    (clamp(lo), clamp(hi - 1))
}

// One function per comparison, shared by both evaluators. Each takes the
// value by value: inlined after an inlined `Record::value`, its match on
// the value's variant folds away.

#[inline(always)]
fn not_null(v: FieldValue<'_>) -> bool {
    match v {
        FieldValue::Invalid => false,
        v => !is_null(v),
    }
}

#[inline(always)]
fn text(how: TextOp, needle: &Needle, negate: bool, v: FieldValue<'_>) -> bool {
    match v {
        FieldValue::Str(s) => text_test(how, needle, s) != negate,
        FieldValue::List(xs) if !xs.is_empty() => {
            xs.iter().any(|s| text_test(how, needle, s)) != negate
        }
        _ => false,
    }
}

#[inline(always)]
fn int_in(lo: Nanos, hi: Nanos, negate: bool, v: FieldValue<'_>) -> bool {
    match v {
        FieldValue::Int(n) => {
            let n = Nanos::from(n);
            (lo <= n && n < hi) != negate
        }
        _ => false,
    }
}

#[inline(always)]
fn time_in((lo, hi): &(DateTime<Utc>, DateTime<Utc>), negate: bool, v: FieldValue<'_>) -> bool {
    match v {
        FieldValue::DateTime(t) => (*lo <= t && t < *hi) != negate,
        _ => false,
    }
}

#[inline(always)]
fn guid_is(value: u128, negate: bool, v: FieldValue<'_>) -> bool {
    match v {
        FieldValue::Guid(g) => (g == value) != negate,
        _ => false,
    }
}

#[inline(always)]
fn bool_is(value: bool, negate: bool, v: FieldValue<'_>) -> bool {
    match v {
        FieldValue::Bool(b) => (b == value) != negate,
        _ => false,
    }
}

#[inline(always)]
fn enum_is(index: usize, negate: bool, v: FieldValue<'_>) -> bool {
    match v {
        FieldValue::Enum(i) => (i == index) != negate,
        _ => false,
    }
}

#[inline(always)]
fn enum_in(mask: u128, v: FieldValue<'_>) -> bool {
    match v {
        FieldValue::Enum(i) => i < 128 && (mask >> i) & 1 == 1,
        _ => false,
    }
}

#[inline(always)]
fn is_null(v: FieldValue<'_>) -> bool {
    match v {
        FieldValue::Null => true,
        FieldValue::List(xs) => xs.is_empty(),
        _ => false,
    }
}

#[inline]
pub(crate) fn text_test(how: TextOp, needle: &Needle, hay: &str) -> bool {
    match how {
        TextOp::Equals => needle.equals(trim_spaces(hay)),
        TextOp::Contains => needle.within(hay),
        TextOp::StartsWith => needle.prefix_of(hay),
        TextOp::EndsWith => needle.suffix_of(hay),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_ranges_keep_their_i64s_at_the_edges() {
        let (min, max) = (Nanos::from(i64::MIN), Nanos::from(i64::MAX));
        let ranges = [
            (0, 1),
            (5, 5),
            (6, 5),
            (-3, 4),
            (min - 10, min),
            (min - 10, min + 1),
            (max, max + 1),
            (max + 1, max + 5),
            (min - 1, max + 2),
        ];
        let ns = [
            i64::MIN,
            i64::MIN + 1,
            -3,
            -1,
            0,
            1,
            3,
            4,
            5,
            i64::MAX - 1,
            i64::MAX,
        ];
        for (lo, hi) in ranges {
            let (a, b) = i64_bounds(lo, hi);
            for n in ns {
                let want = lo <= Nanos::from(n) && Nanos::from(n) < hi;
                assert_eq!(a <= n && n <= b, want, "{n} in [{lo}, {hi})");
            }
        }
    }
}
