//! One comparison over one column, to a bitmap of the rows it holds for.
//!
//! Every result is defined by the row evaluator's own functions
//! (`Test::eval_value`, `text_test`): a column's value is turned into the
//! `FieldValue` a record would return, and the fast paths below (integer
//! and instant ranges, GUID bytes, booleans, dictionary tables) are the
//! same comparisons written over a whole array, checked against the row
//! evaluator by tests/arrow_differential.rs.
//!
//! Arrow's own compute kernels are used only where their meaning is
//! exactly the language's: bitmap AND, OR and NOT (arrow-buffer's
//! `BooleanBuffer` operators) and selection (arrow-select). The string
//! kernels of arrow-string are not: `ilike` and `contains` fold case
//! per character (or by regex case-insensitivity) rather than with
//! `str::to_lowercase` (final sigma, `İ`), know nothing of trailing
//! spaces, and cannot run once per dictionary entry; the comparison
//! kernels of arrow-ord would need the day ranges converted per time unit
//! anyway. Those loops are written here.

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{
    Array, ArrowPrimitiveType, BooleanArray, DictionaryArray, FixedSizeBinaryArray,
    GenericListArray, OffsetSizeTrait, PrimitiveArray,
};
use arrow_buffer::{ArrowNativeType, BooleanBuffer, NullBuffer};
use arrow_schema::{DataType, TimeUnit};
use chrono::{DateTime, Utc};

use crate::FieldValue;
use crate::eval::text_test;
use crate::filter::{Test, TextOp};
use crate::schema::FieldType;
use crate::text::Needle;
use crate::value::{Nanos, enum_index, parse_guid};

/// A plain text array of any of Arrow's three layouts.
#[derive(Clone, Copy)]
pub(crate) enum Texts<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
}

impl<'a> Texts<'a> {
    pub(crate) fn of(a: &'a dyn Array) -> Option<Texts<'a>> {
        match a.data_type() {
            DataType::Utf8 => a.as_string_opt::<i32>().map(Texts::Utf8),
            DataType::LargeUtf8 => a.as_string_opt::<i64>().map(Texts::Large),
            DataType::Utf8View => a.as_string_view_opt().map(Texts::View),
            _ => None,
        }
    }

    pub(crate) fn array(self) -> &'a dyn Array {
        match self {
            Texts::Utf8(a) => a,
            Texts::Large(a) => a,
            Texts::View(a) => a,
        }
    }

    /// The text at `i` (of a null slot: whatever text the slot holds).
    #[inline]
    pub(crate) fn value(self, i: usize) -> &'a str {
        match self {
            Texts::Utf8(a) => a.value(i),
            Texts::Large(a) => a.value(i),
            Texts::View(a) => a.value(i),
        }
    }

    /// `f` of every slot's text, as a bitmap. The match is outside the
    /// loop, so each layout gets its own tight loop.
    fn each(self, mut f: impl FnMut(&'a str) -> bool) -> BooleanBuffer {
        match self {
            Texts::Utf8(a) => BooleanBuffer::collect_bool(a.len(), |i| f(a.value(i))),
            Texts::Large(a) => BooleanBuffer::collect_bool(a.len(), |i| f(a.value(i))),
            Texts::View(a) => BooleanBuffer::collect_bool(a.len(), |i| f(a.value(i))),
        }
    }
}

/// What a text means in a field of type `ty`: the value a record reader
/// would produce, or `Invalid` when it does not convert (an enum name that
/// is not one of the field's, a malformed GUID), which every test,
/// `-eq NULL` and `-ne NULL` included, rejects.
#[inline]
pub(crate) fn text_value<'a>(ty: &FieldType, s: &'a str) -> FieldValue<'a> {
    match ty {
        FieldType::String => FieldValue::Str(s),
        FieldType::Enum(names) => {
            enum_index(names, s).map_or(FieldValue::Invalid, FieldValue::Enum)
        }
        FieldType::Guid => parse_guid(s).map_or(FieldValue::Invalid, FieldValue::Guid),
        _ => FieldValue::Invalid,
    }
}

/// How many nanoseconds one step of a temporal column is, or `None` when
/// the column is not temporal.
pub(crate) fn unit_nanos(dt: &DataType) -> Option<i128> {
    Some(match dt {
        DataType::Timestamp(TimeUnit::Second, _) => 1_000_000_000,
        DataType::Timestamp(TimeUnit::Millisecond, _) | DataType::Date64 => 1_000_000,
        DataType::Timestamp(TimeUnit::Microsecond, _) => 1_000,
        DataType::Timestamp(TimeUnit::Nanosecond, _) => 1,
        DataType::Date32 => 86_400 * 1_000_000_000,
        _ => return None,
    })
}

/// A temporal column's value `v` (in steps of `unit` nanoseconds since
/// the epoch, UTC) as an instant, or `None` outside chrono's range. In i64
/// arithmetic: the pager reads a sort field's instant for every match,
/// and an i128 division costs more than the rest of that read.
pub(crate) fn instant(v: i64, unit: i128) -> Option<DateTime<Utc>> {
    let unit = i64::try_from(unit).ok().filter(|&u| u > 0)?;
    let (secs, nanos) = if unit >= 1_000_000_000 {
        (v.checked_mul(unit / 1_000_000_000)?, 0)
    } else {
        let per_second = 1_000_000_000 / unit;
        (v.div_euclid(per_second), v.rem_euclid(per_second) * unit)
    };
    DateTime::from_timestamp(secs, u32::try_from(nanos).ok()?)
}

/// The rows of `col` for which `test` holds. `ty` is the field's type
/// (already checked to fit the column's).
pub(crate) fn eval(test: &Test, ty: &FieldType, col: &dyn Array) -> BooleanBuffer {
    // What the test says of a null row: true only for `-eq NULL`.
    let on_null = test.eval_value(FieldValue::Null);
    let values = match col.data_type() {
        DataType::Dictionary(..) => return dictionary(test, ty, col, on_null),
        DataType::List(_) => return list(test, col.as_list_opt::<i32>(), on_null),
        DataType::LargeList(_) => return list(test, col.as_list_opt::<i64>(), on_null),
        DataType::Int64 => ints(test, col.as_primitive_opt::<Int64Type>()),
        DataType::Int32 => ints(test, col.as_primitive_opt::<Int32Type>()),
        DataType::Int16 => ints(test, col.as_primitive_opt::<Int16Type>()),
        DataType::Int8 => ints(test, col.as_primitive_opt::<Int8Type>()),
        DataType::UInt32 => ints(test, col.as_primitive_opt::<UInt32Type>()),
        DataType::UInt16 => ints(test, col.as_primitive_opt::<UInt16Type>()),
        DataType::UInt8 => ints(test, col.as_primitive_opt::<UInt8Type>()),
        dt @ DataType::Timestamp(unit, _) => {
            let u = unit_nanos(dt).unwrap_or(1);
            match unit {
                TimeUnit::Second => times(test, col.as_primitive_opt::<TimestampSecondType>(), u),
                TimeUnit::Millisecond => {
                    times(test, col.as_primitive_opt::<TimestampMillisecondType>(), u)
                }
                TimeUnit::Microsecond => {
                    times(test, col.as_primitive_opt::<TimestampMicrosecondType>(), u)
                }
                TimeUnit::Nanosecond => {
                    times(test, col.as_primitive_opt::<TimestampNanosecondType>(), u)
                }
            }
        }
        dt @ DataType::Date32 => times(
            test,
            col.as_primitive_opt::<Date32Type>(),
            unit_nanos(dt).unwrap_or(1),
        ),
        dt @ DataType::Date64 => times(
            test,
            col.as_primitive_opt::<Date64Type>(),
            unit_nanos(dt).unwrap_or(1),
        ),
        DataType::Boolean => bools(test, col.as_boolean_opt()),
        DataType::FixedSizeBinary(16) => guids(test, col.as_fixed_size_binary_opt()),
        _ => match Texts::of(col) {
            Some(t) => texts(test, ty, t),
            // Binding refused every other type; should one get here, it
            // holds no value the test could accept.
            None => BooleanBuffer::new_unset(col.len()),
        },
    };
    with_nulls(values, col.logical_nulls().as_ref(), on_null)
}

/// `values` on valid rows, `on_null` on null ones.
fn with_nulls(values: BooleanBuffer, nulls: Option<&NullBuffer>, on_null: bool) -> BooleanBuffer {
    match nulls {
        None => values,
        Some(n) if on_null => &(&values & n.inner()) | &!n.inner(),
        Some(n) => &values & n.inner(),
    }
}

/// A text column (plain layout). Text tests on string fields call
/// `text_test` directly; the rest goes through `Test::eval_value`.
fn texts(test: &Test, ty: &FieldType, t: Texts<'_>) -> BooleanBuffer {
    match (test, ty) {
        (
            Test::Text {
                how: TextOp::Contains,
                needle,
                negate,
            },
            FieldType::String,
        ) => {
            let found = match t {
                Texts::Utf8(a) => contains_scan(a, needle),
                Texts::Large(a) => contains_scan(a, needle),
                Texts::View(_) => None,
            };
            match found {
                Some(bits) if *negate => !&bits,
                Some(bits) => bits,
                None => t.each(|s| needle.within(s) != *negate),
            }
        }
        (
            Test::Text {
                how,
                needle,
                negate,
            },
            FieldType::String,
        ) => t.each(|s| text_test(*how, needle, s) != *negate),
        _ => t.each(|s| test.eval_value(text_value(ty, s))),
    }
}

/// `-contains` with an ASCII needle over a whole text buffer at once:
/// the buffer is ASCII-lower-cased (bytes past ASCII left alone, so
/// positions keep their rows) and searched with memchr's SIMD substring
/// search, each hit giving the row it lies inside. A hit is a match by
/// docs/LANGUAGE.md's folding too: ASCII letters fold to themselves
/// whatever surrounds them. A row without a hit can still match when it
/// holds non-ASCII text that folds to ASCII (`K`, KELVIN SIGN, is `k`):
/// those rows take `Needle::within`, the exact row path. `None` when the
/// needle is not ASCII or empty (the row path decides those).
fn contains_scan<O: OffsetSizeTrait>(
    a: &arrow_array::GenericStringArray<O>,
    needle: &Needle,
) -> Option<BooleanBuffer> {
    let folded = needle.as_str().as_bytes();
    if folded.is_empty() || !folded.is_ascii() {
        return None;
    }
    let n = a.len();
    let offsets = a.value_offsets();
    let base = offsets.first()?.as_usize();
    let ends: Vec<usize> = offsets[1..].iter().map(|o| o.as_usize() - base).collect();
    let bytes = a
        .values()
        .as_slice()
        .get(base..base + *ends.last().unwrap_or(&0))?;
    // Lower-case 64 bytes at a time, noting which blocks hold a byte past
    // ASCII: only rows that touch those need the exact path.
    let mut lower: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut wide_blocks = Vec::new();
    for (b, block) in bytes.chunks(64).enumerate() {
        lower.extend(block.iter().map(u8::to_ascii_lowercase));
        if block.iter().fold(0u8, |acc, &x| acc | x) >= 0x80 {
            wide_blocks.push(b);
        }
    }
    let finder = memchr::memmem::Finder::new(folded);
    let mut hit = vec![false; n];
    let mut row = 0usize;
    for p in finder.find_iter(&lower) {
        // Hits come in increasing order, and so do row ends: walk to the
        // row holding `p`. A hit that crosses into the next row is none.
        while row < n && ends[row] <= p {
            row += 1;
        }
        match ends.get(row) {
            Some(&end) if p + folded.len() <= end => hit[row] = true,
            Some(_) => {}
            None => break,
        }
    }
    let mut row = 0usize;
    for b in wide_blocks {
        let (lo, hi) = (b * 64, (b + 1) * 64);
        while row < n && ends[row] <= lo {
            row += 1;
        }
        let mut r = row;
        // Every row that overlaps the block [lo, hi).
        while r < n && (r == 0 || ends[r - 1] < hi) {
            if !hit[r] {
                let s = a.value(r);
                hit[r] = !s.is_ascii() && needle.within(s);
            }
            r += 1;
        }
    }
    Some(BooleanBuffer::collect_bool(n, |i| hit[i]))
}

/// A dictionary-encoded text column: the test runs once per dictionary
/// entry, then each row looks its entry's answer up.
fn dictionary(test: &Test, ty: &FieldType, col: &dyn Array, on_null: bool) -> BooleanBuffer {
    let len = col.len();
    let Some(d) = col.as_any_dictionary_opt() else {
        return BooleanBuffer::new_unset(len);
    };
    let Some(values) = Texts::of(d.values().as_ref()) else {
        return BooleanBuffer::new_unset(len);
    };
    let entries = values.array();
    let table: Vec<bool> = (0..entries.len())
        .map(|e| {
            if entries.is_null(e) {
                on_null
            } else {
                test.eval_value(text_value(ty, values.value(e)))
            }
        })
        .collect();
    macro_rules! keys {
        ($($t:ty),*) => {
            $(if let Some(d) = col.as_dictionary_opt::<$t>() {
                return lookup(d, &table, on_null);
            })*
        };
    }
    keys!(
        Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type
    );
    BooleanBuffer::new_unset(len)
}

fn lookup<K: arrow_array::types::ArrowDictionaryKeyType>(
    d: &DictionaryArray<K>,
    table: &[bool],
    on_null: bool,
) -> BooleanBuffer {
    let keys = d.keys().values();
    // A null row's key may be any number: `get` keeps it from indexing
    // past the table, and the null mask decides the row anyway.
    let values = BooleanBuffer::collect_bool(keys.len(), |i| {
        table.get(keys[i].as_usize()).copied().unwrap_or(false)
    });
    with_nulls(values, d.keys().nulls(), on_null)
}

/// The closed range `[lo, hi]` of i64 that the half-open `[lo, hi)` of
/// i128 holds, or `None` when it holds none.
fn i64_range(lo: Nanos, hi: Nanos) -> Option<(i64, i64)> {
    let lo = lo.max(Nanos::from(i64::MIN));
    let hi = hi.min(Nanos::from(i64::MAX) + 1);
    (lo < hi).then(|| (lo as i64, (hi - 1) as i64))
}

/// Rows whose value `v` lies in `range` (closed), or outside it when
/// `negate`. Branch-free: `lo ≤ v ≤ hi` is one unsigned comparison of
/// `v − lo` with `hi − lo` (both wrapping), since a `&&` over random data
/// mispredicts half the time and costs five times the loop.
fn in_range<N: Copy>(
    vals: &[N],
    range: Option<(i64, i64)>,
    negate: bool,
    as_i64: impl Fn(N) -> i64,
) -> BooleanBuffer {
    match range {
        None if negate => BooleanBuffer::new_set(vals.len()),
        None => BooleanBuffer::new_unset(vals.len()),
        Some((lo, hi)) => {
            let width = hi.wrapping_sub(lo) as u64;
            BooleanBuffer::collect_bool(vals.len(), |i| {
                (as_i64(vals[i]).wrapping_sub(lo) as u64 <= width) != negate
            })
        }
    }
}

fn ints<T>(test: &Test, a: Option<&PrimitiveArray<T>>) -> BooleanBuffer
where
    T: ArrowPrimitiveType,
    T::Native: Into<i64>,
{
    let Some(a) = a else {
        return BooleanBuffer::new_unset(0);
    };
    let vals = a.values();
    match test {
        Test::Range {
            lo,
            hi,
            negate,
            time: false,
            ..
        } => in_range(vals, i64_range(*lo, *hi), *negate, Into::into),
        _ => BooleanBuffer::collect_bool(vals.len(), |i| {
            test.eval_value(FieldValue::Int(vals[i].into()))
        }),
    }
}

/// `ceil(n / d)` for d > 0.
fn ceil_div(n: Nanos, d: Nanos) -> Nanos {
    n.div_euclid(d) + Nanos::from(n.rem_euclid(d) != 0)
}

/// Instants in steps of `unit` nanoseconds. The stored value `v` means
/// `v · unit`; `lo ≤ v · unit < hi` is `ceil(lo / unit) ≤ v < ceil(hi /
/// unit)`, so the day ranges of the language become one integer range per
/// column, whatever its unit. (Arrow's time zone only labels a timestamp:
/// the value is UTC with or without it.)
fn times<T>(test: &Test, a: Option<&PrimitiveArray<T>>, unit: i128) -> BooleanBuffer
where
    T: ArrowPrimitiveType,
    T::Native: Into<i64>,
{
    let Some(a) = a else {
        return BooleanBuffer::new_unset(0);
    };
    let vals = a.values();
    match test {
        Test::Range {
            lo,
            hi,
            negate,
            time: true,
            ..
        } => {
            // Nanos::MIN and MAX stand for no bound: keep them unbounded.
            let lo = if *lo == Nanos::MIN {
                Nanos::MIN
            } else {
                ceil_div(*lo, unit)
            };
            let hi = if *hi == Nanos::MAX {
                Nanos::MAX
            } else {
                ceil_div(*hi, unit)
            };
            in_range(vals, i64_range(lo, hi), *negate, Into::into)
        }
        _ => BooleanBuffer::collect_bool(vals.len(), |i| {
            test.eval_value(
                instant(vals[i].into(), unit).map_or(FieldValue::Invalid, FieldValue::DateTime),
            )
        }),
    }
}

fn bools(test: &Test, a: Option<&BooleanArray>) -> BooleanBuffer {
    let Some(a) = a else {
        return BooleanBuffer::new_unset(0);
    };
    match test {
        Test::Bool { value, negate } if value != negate => a.values().clone(),
        Test::Bool { .. } => !a.values(),
        _ => {
            BooleanBuffer::collect_bool(a.len(), |i| test.eval_value(FieldValue::Bool(a.value(i))))
        }
    }
}

/// A GUID's 16 bytes, in the order of its text (RFC 4122's, and Arrow's
/// `arrow.uuid` extension type's).
pub(crate) fn guid_of(bytes: &[u8]) -> Option<u128> {
    Some(u128::from_be_bytes(bytes.try_into().ok()?))
}

fn guids(test: &Test, a: Option<&FixedSizeBinaryArray>) -> BooleanBuffer {
    let Some(a) = a else {
        return BooleanBuffer::new_unset(0);
    };
    match test {
        Test::Guid { value, negate } => {
            let want = value.to_be_bytes();
            BooleanBuffer::collect_bool(a.len(), |i| (a.value(i) == want) != *negate)
        }
        _ => BooleanBuffer::collect_bool(a.len(), |i| {
            test.eval_value(guid_of(a.value(i)).map_or(FieldValue::Invalid, FieldValue::Guid))
        }),
    }
}

/// The texts of row `i` of a list column, null elements skipped (decided:
/// as the JSON reader skips non-text elements; a list of only nulls is
/// empty, hence null).
pub(crate) fn list_items<'a, O: OffsetSizeTrait>(
    a: &'a GenericListArray<O>,
    items: Texts<'a>,
    i: usize,
) -> impl Iterator<Item = &'a str> + 'a {
    let offsets = a.value_offsets();
    let (start, end) = (offsets[i].as_usize(), offsets[i + 1].as_usize());
    let inner = items.array();
    (start..end)
        .filter(move |&j| inner.is_valid(j))
        .map(move |j| items.value(j))
}

/// A list of texts: docs/LANGUAGE.md's list rules (any element for the
/// positive tests, no element and not empty for `-ne`/`-notcontains`, an
/// empty list is null), as `eval.rs`'s `text` applies them.
fn list<O: OffsetSizeTrait>(
    test: &Test,
    a: Option<&GenericListArray<O>>,
    on_null: bool,
) -> BooleanBuffer {
    let Some(a) = a else {
        return BooleanBuffer::new_unset(0);
    };
    let Some(items) = Texts::of(a.values().as_ref()) else {
        return BooleanBuffer::new_unset(a.len());
    };
    BooleanBuffer::collect_bool(a.len(), |i| {
        if a.is_null(i) {
            return on_null;
        }
        let mut xs = list_items(a, items, i).peekable();
        if xs.peek().is_none() {
            return on_null;
        }
        match test {
            Test::Text {
                how,
                needle,
                negate,
            } => xs.any(|s| text_test(*how, needle, s)) != *negate,
            Test::NotNull => true,
            _ => false,
        }
    })
}
