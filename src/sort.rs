//! The order of docs/LANGUAGE.md, “Sorting and paging”: one sort field, ascending or descending, nulls
//! first ascending and last descending, ties broken by the schema's key
//! ascending and then by input order.

use std::cmp::Ordering;

use crate::error::closest;
use crate::eval::TextList;
use crate::schema::{Field, FieldType, Schema};
use crate::text::{cmp_folded, trim_spaces};
use crate::{Error, ErrorKind, FieldValue, Record};

/// A sort field and direction, resolved against a schema.
///
/// ```
/// let schema = kfql::keyfactor::schema();
/// let sort = kfql::Sort::new(&schema, "startdate", true)?;
/// assert_eq!(sort.field(&schema).name(), "StartDate");
/// let err = kfql::Sort::new(&schema, "Definition", false).unwrap_err();
/// assert_eq!(err.kind(), kfql::ErrorKind::FieldNotSortable);
/// # Ok::<(), kfql::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sort {
    slot: Option<usize>,
    descending: bool,
    /// For an enum sort field: each name's rank in folded-text order.
    ranks: Vec<usize>,
}

impl Sort {
    /// Sort by the field called `name` (ignoring case).
    pub fn new(schema: &Schema, name: &str, descending: bool) -> Result<Sort, Error> {
        let Some(field) = schema.field(name) else {
            let names: Vec<&str> = schema
                .fields()
                .iter()
                .filter(|f| f.sortable())
                .map(Field::name)
                .collect();
            let err = Error::new(
                ErrorKind::UnknownSortField,
                format!("`{name}` is not a field of {}", schema.name()),
            );
            return Err(match closest(name, names.iter().copied()) {
                Some(s) => err.with_suggestion(format!("did you mean `{s}`?")),
                None => err.with_suggestion(format!("the sort fields are {}", names.join(", "))),
            });
        };
        if !field.sortable() {
            let err = Error::new(
                ErrorKind::FieldNotSortable,
                format!("`{}` has no order to sort by", field.name()),
            );
            return Err(match field.hint() {
                Some(h) => err.with_suggestion(h.to_owned()),
                None => err,
            });
        }
        Ok(Sort::on(field, descending))
    }

    /// The schema's default sort field (or its key, or input order when it
    /// has neither), ascending.
    pub fn default_for(schema: &Schema) -> Sort {
        match schema.default_sort().or(schema.key()) {
            Some(f) => Sort::on(f, false),
            None => Sort {
                slot: None,
                descending: false,
                ranks: Vec::new(),
            },
        }
    }

    fn on(field: &Field, descending: bool) -> Sort {
        let ranks = match field.ty() {
            FieldType::Enum(names) => {
                let mut order: Vec<usize> = (0..names.len()).collect();
                order.sort_by(|&a, &b| cmp_folded(&names[a], &names[b]));
                let mut ranks = vec![0; names.len()];
                for (rank, &i) in order.iter().enumerate() {
                    ranks[i] = rank;
                }
                ranks
            }
            _ => Vec::new(),
        };
        Sort {
            slot: Some(field.index()),
            descending,
            ranks,
        }
    }

    /// Reverse the direction.
    pub fn descending(mut self, descending: bool) -> Sort {
        self.descending = descending;
        self
    }

    /// Whether the order is descending.
    pub fn is_descending(&self) -> bool {
        self.descending
    }

    /// The sort field within `schema` (the schema it was resolved against).
    /// For a schema with neither default sort field nor key, the first field.
    pub fn field<'s>(&self, schema: &'s Schema) -> &'s Field {
        &schema.fields()[self.slot.unwrap_or(0)]
    }

    /// The order of two records: the sort field in the chosen direction,
    /// then the key ascending. (Input order, the last tie-break, is the
    /// caller's: [`Pager`](crate::Pager) keeps it.) The two records may be
    /// of different types over the same schema, such as a borrowed record
    /// and an owned one.
    pub fn compare<A, B>(&self, schema: &Schema, a: &A, b: &B) -> Ordering
    where
        A: Record + ?Sized,
        B: Record + ?Sized,
    {
        let fields = schema.fields();
        let by_field = match self.slot {
            Some(slot) => {
                let f = &fields[slot];
                let o = compare_values(a.value(f), b.value(f), &self.ranks);
                if self.descending { o.reverse() } else { o }
            }
            None => Ordering::Equal,
        };
        by_field.then_with(|| match schema.key() {
            Some(k) => compare_values(a.value(k), b.value(k), &[]),
            None => Ordering::Equal,
        })
    }
}

/// A record's sort field and key reduced to integers that order as
/// [`Sort::compare`] does, computed once when the [`Pager`](crate::Pager)
/// keeps a record: selection and the final sort then compare two words in
/// the pager's own buffer instead of reading both records through
/// [`Record::value`] (and chasing a pointer per record) on every
/// comparison. A part that cannot decide (a long or non-ASCII text, a list)
/// sends the comparison back to [`Sort::compare`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct SortKey {
    field: Part,
    key: Part,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    /// Null, an empty list or an unconvertible value: first ascending.
    Null,
    /// A fixed-size value mapped to an unsigned integer of the same order
    /// (as two halves, so that a pager entry stays 8-byte aligned).
    Exact(Wide),
    /// The first `len` bytes of a text, trimmed and ASCII-lowercased,
    /// big-endian and zero-padded; `whole` when that is all of it.
    Text { bits: Wide, len: u8, whole: bool },
    /// A non-null value that the key does not capture.
    Unknown,
}

impl Part {
    fn of(v: FieldValue<'_>, ranks: &[usize]) -> Part {
        match v {
            FieldValue::Null | FieldValue::Invalid => Part::Null,
            FieldValue::List(xs) if xs.is_empty() => Part::Null,
            FieldValue::List(_) => Part::Unknown,
            FieldValue::Int(n) => Part::exact(u128::from(n as u64 ^ (1 << 63))),
            // (seconds, fraction) in chrono's order, so that a leap second's
            // fraction past 10^9 still sorts before the next second.
            FieldValue::DateTime(t) => Part::exact(
                u128::from(t.timestamp() as u64 ^ (1 << 63)) << 32
                    | u128::from(t.timestamp_subsec_nanos()),
            ),
            FieldValue::Guid(g) => Part::exact(g),
            FieldValue::Bool(b) => Part::exact(u128::from(b)),
            FieldValue::Enum(i) => ranks
                .get(i)
                .map_or(Part::Unknown, |&r| Part::exact(r as u128)),
            FieldValue::Str(s) => {
                let s = trim_spaces(s).as_bytes();
                let ascii = s.iter().take(16).take_while(|b| b.is_ascii()).count();
                let mut bits = 0u128;
                for (i, b) in s[..ascii].iter().enumerate() {
                    bits |= u128::from(b.to_ascii_lowercase()) << (120 - 8 * i);
                }
                Part::Text {
                    bits: Wide::from(bits),
                    len: ascii as u8,
                    whole: ascii == s.len(),
                }
            }
        }
    }

    fn exact(x: u128) -> Part {
        Part::Exact(Wide::from(x))
    }

    /// The order of two parts of the same field, when they decide it.
    fn cmp(self, other: Part) -> Option<Ordering> {
        use Part::*;
        match (self, other) {
            (Null, Null) => Some(Ordering::Equal),
            (Null, _) => Some(Ordering::Less),
            (_, Null) => Some(Ordering::Greater),
            (Exact(a), Exact(b)) => Some(a.cmp(&b)),
            (
                Text {
                    bits: a,
                    len: la,
                    whole: wa,
                },
                Text {
                    bits: b,
                    len: lb,
                    whole: wb,
                },
            ) => {
                let (a, b) = (u128::from(a), u128::from(b));
                let known = la.min(lb);
                let mask = match known {
                    0 => 0,
                    n => !0u128 << (128 - 8 * u32::from(n)),
                };
                if a & mask != b & mask {
                    return Some((a & mask).cmp(&(b & mask)));
                }
                // Equal as far as both are known: decided only when one of
                // them ends there.
                match (wa && la == known, wb && lb == known) {
                    (true, true) => Some(Ordering::Equal),
                    (true, false) => Some(Ordering::Less),
                    (false, true) => Some(Ordering::Greater),
                    (false, false) => None,
                }
            }
            _ => None,
        }
    }
}

/// A `u128` stored as two `u64` halves, high first: same order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Wide([u64; 2]);

impl From<u128> for Wide {
    fn from(x: u128) -> Wide {
        Wide([(x >> 64) as u64, x as u64])
    }
}

impl From<Wide> for u128 {
    fn from(w: Wide) -> u128 {
        u128::from(w.0[0]) << 64 | u128::from(w.0[1])
    }
}

impl Sort {
    /// The key the pager keeps with a record.
    pub(crate) fn key_of<R: Record + ?Sized>(&self, schema: &Schema, r: &R) -> SortKey {
        let fields = schema.fields();
        SortKey {
            field: self
                .slot
                .map_or(Part::Null, |s| Part::of(r.value(&fields[s]), &self.ranks)),
            key: schema
                .key()
                .map_or(Part::Null, |k| Part::of(r.value(k), &[])),
        }
    }

    /// The order of two records from their keys, as [`Sort::compare`] would
    /// give it, or `None` when the keys cannot tell.
    pub(crate) fn compare_keys(&self, a: &SortKey, b: &SortKey) -> Option<Ordering> {
        let by_field = a.field.cmp(b.field)?;
        let by_field = if self.descending {
            by_field.reverse()
        } else {
            by_field
        };
        match by_field {
            Ordering::Equal => a.key.cmp(b.key),
            o => Some(o),
        }
    }
}

fn rank(v: FieldValue<'_>) -> u8 {
    match v {
        FieldValue::Null | FieldValue::Invalid => 0,
        FieldValue::List(xs) if xs.is_empty() => 0,
        _ => 1,
    }
}

/// Nulls (and empty lists) first, then values by their type's order.
fn compare_values(a: FieldValue<'_>, b: FieldValue<'_>, ranks: &[usize]) -> Ordering {
    use FieldValue::*;
    match (a, b) {
        (Str(x), Str(y)) => cmp_folded(x, y),
        (Int(x), Int(y)) => x.cmp(&y),
        (DateTime(x), DateTime(y)) => x.cmp(&y),
        (Guid(x), Guid(y)) => x.cmp(&y),
        (Bool(x), Bool(y)) => x.cmp(&y),
        (Enum(x), Enum(y)) => match (ranks.get(x), ranks.get(y)) {
            (Some(rx), Some(ry)) => rx.cmp(ry),
            _ => x.cmp(&y),
        },
        (List(x), List(y)) if !x.is_empty() && !y.is_empty() => compare_lists(x, y),
        (a, b) => rank(a).cmp(&rank(b)),
    }
}

fn compare_lists(x: TextList<'_>, y: TextList<'_>) -> Ordering {
    let mut ys = y.iter();
    for a in x.iter() {
        match ys.next() {
            None => return Ordering::Greater,
            Some(b) => match cmp_folded(a, b) {
                Ordering::Equal => {}
                o => return o,
            },
        }
    }
    if ys.next().is_some() {
        Ordering::Less
    } else {
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};
    use proptest::prelude::*;

    /// A record of one schema-less value per field, as a test generates it.
    #[derive(Clone, Debug)]
    enum Owned {
        Null,
        Str(String),
        Int(i64),
        Time(DateTime<Utc>),
        Guid(u128),
        Bool(bool),
        Enum(usize),
    }

    impl Record for Vec<Owned> {
        fn value(&self, field: &Field) -> FieldValue<'_> {
            match &self[field.index()] {
                Owned::Null => FieldValue::Null,
                Owned::Str(s) => FieldValue::Str(s),
                Owned::Int(n) => FieldValue::Int(*n),
                Owned::Time(t) => FieldValue::DateTime(*t),
                Owned::Guid(g) => FieldValue::Guid(*g),
                Owned::Bool(b) => FieldValue::Bool(*b),
                Owned::Enum(i) => FieldValue::Enum(*i),
            }
        }
    }

    fn schema() -> Schema {
        Schema::builder("keys")
            .field("S", FieldType::String)
            .field("I", FieldType::Integer)
            .field("T", FieldType::DateTime)
            .field("G", FieldType::Guid)
            .field("B", FieldType::Boolean)
            .field("E", FieldType::enumeration(["b", "C", "a", "É"]))
            .field("K", FieldType::Integer)
            .key("K")
            .build()
            .expect("valid")
    }

    fn or_null(v: impl Strategy<Value = Owned>) -> impl Strategy<Value = Owned> {
        prop_oneof![1 => Just(Owned::Null), 4 => v]
    }

    /// Texts that share long prefixes, differ in case and trailing spaces,
    /// and cross the 16-byte and non-ASCII edges of the key.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[aAbB ]{0,20}",
            "(abcdefghijklmnop|ABCDEFGHIJKLMNOP)[a-cé\u{212A}Σς ]{0,4}",
            "[aé\u{212A}kK ]{0,6}",
        ]
    }

    fn record() -> impl Strategy<Value = Vec<Owned>> {
        let leap = Utc
            .with_ymd_and_hms(2016, 12, 31, 23, 59, 59)
            .unwrap()
            .with_nanosecond(1_500_000_000)
            .expect("a leap second");
        let times = prop_oneof![
            (-62_135_596_800i64..253_402_300_799, 0u32..1_000_000_000)
                .prop_map(|(s, n)| Utc.timestamp_opt(s, n).unwrap()),
            Just(leap),
            Just(Utc.with_ymd_and_hms(2017, 1, 1, 0, 0, 0).unwrap()),
            Just(Utc.timestamp_opt(1_483_228_799, 700_000_000).unwrap()),
        ];
        (
            or_null(text().prop_map(Owned::Str)),
            or_null(prop_oneof![Just(i64::MIN), Just(i64::MAX), -3i64..3].prop_map(Owned::Int)),
            or_null(times.prop_map(Owned::Time)),
            or_null(prop_oneof![Just(u128::MAX), 0u128..3].prop_map(Owned::Guid)),
            or_null(any::<bool>().prop_map(Owned::Bool)),
            or_null((0usize..5).prop_map(Owned::Enum)),
            or_null((-2i64..2).prop_map(Owned::Int)),
        )
            .prop_map(|(s, i, t, g, b, e, k)| vec![s, i, t, g, b, e, k])
    }

    use chrono::Timelike;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// Whenever the cached keys decide, they agree with `compare`.
        #[test]
        fn keys_order_as_compare(
            a in record(),
            b in record(),
            field in prop::sample::select(&["S", "I", "T", "G", "B", "E", "K"][..]),
            desc in any::<bool>(),
        ) {
            let schema = schema();
            let sort = Sort::new(&schema, field, desc).expect("sortable");
            let (ka, kb) = (sort.key_of(&schema, &a), sort.key_of(&schema, &b));
            let want = sort.compare(&schema, &a, &b);
            if let Some(got) = sort.compare_keys(&ka, &kb) {
                prop_assert_eq!(got, want, "{:?} {:?}", ka, kb);
            }
            prop_assert_eq!(sort.compare_keys(&kb, &ka).map(Ordering::reverse).unwrap_or(want), want);
        }
    }

    #[test]
    fn keys_decide_short_ascii_texts_and_fixed_size_values() {
        let schema = schema();
        let rec = |s: &str, t: i64| {
            vec![
                Owned::Str(s.into()),
                Owned::Null,
                Owned::Time(Utc.timestamp_opt(t, 0).unwrap()),
                Owned::Null,
                Owned::Null,
                Owned::Null,
                Owned::Int(t),
            ]
        };
        let by_s = Sort::new(&schema, "S", false).expect("sortable");
        let key = |r: &Vec<Owned>| by_s.key_of(&schema, r);
        let (a, b) = (rec("Alpha  ", 1), rec("alphabet", 2));
        assert_eq!(by_s.compare_keys(&key(&a), &key(&b)), Some(Ordering::Less));
        // Equal texts fall through to the key field, which is cached too.
        let (a, b) = (rec("ALPHA", 2), rec("alpha ", 1));
        assert_eq!(
            by_s.compare_keys(&key(&a), &key(&b)),
            Some(Ordering::Greater)
        );
        // Past 16 bytes, or at a non-ASCII letter, the record decides.
        let (a, b) = (rec("abcdefghijklmnopq", 1), rec("abcdefghijklmnopr", 1));
        assert_eq!(by_s.compare_keys(&key(&a), &key(&b)), None);
        let (a, b) = (rec("café", 1), rec("cafÉ", 1));
        assert_eq!(by_s.compare_keys(&key(&a), &key(&b)), None);
        let by_t = Sort::new(&schema, "T", true).expect("sortable");
        let (a, b) = (rec("", -5), rec("", 7));
        assert_eq!(
            by_t.compare_keys(&by_t.key_of(&schema, &a), &by_t.key_of(&schema, &b)),
            Some(Ordering::Greater)
        );
    }
}
