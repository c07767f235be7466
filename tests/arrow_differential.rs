//! The columnar engine against the row evaluator (feature `arrow`):
//! generated records (nulls, non-ASCII text, trailing spaces, every enum
//! name in any case, invalid enum and GUID texts, lists, integers at the
//! bounds of every integer type) as rows and as Arrow batches (plain and
//! dictionary-encoded text, three string layouts, every integer type
//! that fits, every timestamp unit, Date32 and Date64, GUIDs as bytes or
//! as text of every layout, lists and large lists of every string
//! layout, several batch sizes, sliced batches), generated queries, sorts
//! and pages in several time zones: the same totals and the same pages,
//! row for row.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use kfql::arrow::arrow_array::builder::{
    FixedSizeBinaryBuilder, LargeListBuilder, LargeStringBuilder, ListBuilder, StringBuilder,
    StringDictionaryBuilder, StringViewBuilder,
};
use kfql::arrow::arrow_array::types::{Int8Type, Int32Type};
use kfql::arrow::arrow_array::{
    Array, ArrayRef, BooleanArray, Date32Array, Date64Array, Int8Array, Int16Array, Int32Array,
    Int64Array, LargeStringArray, RecordBatch, StringArray, StringViewArray,
    TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray,
    TimestampSecondArray, UInt8Array, UInt16Array, UInt32Array, UInt64Array,
};
use kfql::{
    Context, Direction, Field, FieldType, FieldValue, Page, Record, Schema, TextList, quote,
};
use proptest::prelude::*;

const NAMES: [&str; 6] = [
    "CanceledForRestart",
    "Complete",
    "Failed",
    "Rejected",
    "Running",
    "Ünïcode",
];

fn schema() -> Schema {
    Schema::builder("rows")
        .field("S", FieldType::String)
        .field("E", FieldType::enumeration(NAMES))
        .field("I", FieldType::Integer)
        .field("T", FieldType::DateTime)
        .field("G", FieldType::Guid)
        .field("B", FieldType::Boolean)
        .field("L", FieldType::StringList)
        .field("K", FieldType::Integer)
        .key("K")
        .default_sort("S")
        .build()
        .expect("a valid schema")
}

/// One generated record: what the row evaluator reads, and the texts the
/// Arrow columns hold for the enum and the GUID.
#[derive(Clone, Debug)]
struct Row {
    s: Option<String>,
    /// The enum as stored text (any case, trailing spaces, or not a name).
    e: Option<String>,
    i: Option<i64>,
    t: Option<DateTime<Utc>>,
    g: Option<u128>,
    /// How the GUID is written when the column is text.
    g_text: u8,
    /// The GUID column is text and this row's is not a GUID.
    g_bad: bool,
    b: Option<bool>,
    l: Option<Vec<String>>,
    k: i32,
}

impl Record for Row {
    fn value(&self, field: &Field) -> FieldValue<'_> {
        match (field.name(), field.ty()) {
            ("S", _) => self.s.as_deref().map_or(FieldValue::Null, FieldValue::Str),
            ("E", FieldType::Enum(names)) => match &self.e {
                None => FieldValue::Null,
                Some(text) => names
                    .iter()
                    .position(|n| n.to_lowercase() == text.trim_end_matches(' ').to_lowercase())
                    .map_or(FieldValue::Invalid, FieldValue::Enum),
            },
            ("I", _) => self.i.map_or(FieldValue::Null, FieldValue::Int),
            ("T", _) => self.t.map_or(FieldValue::Null, FieldValue::DateTime),
            ("G", _) if self.g_bad && self.g.is_some() => FieldValue::Invalid,
            ("G", _) => self.g.map_or(FieldValue::Null, FieldValue::Guid),
            ("B", _) => self.b.map_or(FieldValue::Null, FieldValue::Bool),
            ("L", _) => self.l.as_deref().map_or(FieldValue::Null, |xs| {
                FieldValue::List(TextList::Strings(xs))
            }),
            ("K", _) => FieldValue::Int(i64::from(self.k)),
            _ => FieldValue::Null,
        }
    }
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[aAbB ]{0,6}",
        "(ab|AB|Ab)[cé\u{212A}kΣς ]{0,3}",
        Just("straße".to_owned()),
        Just("STRASSE  ".to_owned()),
        Just(String::new()),
        Just("abcdefghijklmnopqrstu".to_owned()),
        Just("ABCDEFGHIJKLMNOPQRSTV ".to_owned()),
    ]
}

fn enum_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0..NAMES.len(), any::<bool>(), 0..3usize).prop_map(|(i, upper, spaces)| {
            let n = if upper { NAMES[i].to_uppercase() } else { NAMES[i].to_lowercase() };
            format!("{n}{}", " ".repeat(spaces))
        }),
        1 => Just("Bogus".to_owned()),
    ]
}

/// Integers around zero, at the extremes of i64 and on either side of
/// the bounds of the narrower types.
fn int() -> impl Strategy<Value = i64> {
    prop_oneof![
        2 => prop_oneof![Just(i64::MIN), Just(i64::MAX)],
        4 => -3i64..4,
        3 => prop::sample::select(vec![
            -129,
            -128,
            127,
            128,
            255,
            256,
            -32_769,
            -32_768,
            32_767,
            65_535,
            65_536,
            i64::from(i32::MIN),
            i64::from(i32::MAX),
            i64::from(u32::MAX),
            i64::from(u32::MAX) + 1,
        ]),
    ]
}

fn time() -> impl Strategy<Value = DateTime<Utc>> {
    // Around the days the queries name, at every precision the units can
    // hold (the case truncates to its unit), and far from them.
    let base = Utc
        .with_ymd_and_hms(2024, 6, 1, 0, 0, 0)
        .unwrap()
        .timestamp();
    prop_oneof![
        4 => (-3 * 86_400i64..3 * 86_400, 0u32..1_000_000_000)
            .prop_map(move |(s, n)| Utc.timestamp_opt(base + s, n).unwrap()),
        1 => prop_oneof![Just(-62_135_596_800i64), Just(253_402_300_799i64), Just(0i64)]
            .prop_map(|s| Utc.timestamp_opt(s, 0).unwrap()),
    ]
}

fn row() -> impl Strategy<Value = Row> {
    let o = |p| prop::option::weighted(p, Just(()));
    (
        (
            prop::option::weighted(0.8, text()),
            prop::option::weighted(0.8, enum_text()),
            prop::option::weighted(0.8, int()),
            prop::option::weighted(0.8, time()),
        ),
        (
            prop::option::weighted(0.8, prop_oneof![Just(u128::MAX), 0u128..3]),
            0u8..3,
            prop::option::weighted(0.8, any::<bool>()),
            prop::option::weighted(0.8, prop::collection::vec(text(), 0..3)),
            -2i32..3,
            o(0.5),
        ),
    )
        .prop_map(|((s, e, i, t), (g, g_text, b, l, k, _))| Row {
            s,
            e,
            i,
            t,
            g,
            g_text,
            g_bad: false,
            b,
            l,
            k,
        })
}

/// How one case lays the records out as Arrow columns.
#[derive(Clone, Debug)]
struct Layout {
    /// 0 Utf8, 1 LargeUtf8, 2 Utf8View, 3 dictionary (Int8 keys).
    s: u8,
    /// 0 Utf8, 1 dictionary (Int32 keys), 2 Utf8View, 3 LargeUtf8.
    e: u8,
    /// 0 Int64, 1 Int32, 2 Int16, 3 Int8, 4 UInt32, 5 UInt16, 6 UInt8.
    int: u8,
    /// Timestamps: 0 s, 1 ms, 2 µs, 3 ns; 4 Date32, 5 Date64.
    unit: u8,
    /// A time zone label on the timestamps (none means UTC).
    tz: Option<&'static str>,
    /// GUIDs as FixedSizeBinary(16), else as text.
    g_bytes: bool,
    /// The layout of GUIDs as text, as `s`.
    g_text: u8,
    /// 0 List of Utf8, 1 List of Utf8View, 2 LargeList of LargeUtf8.
    list: u8,
    /// The key as Int32, else Int64.
    k32: bool,
    /// Rows per batch; the last batch is a slice of a larger one.
    batch: usize,
}

fn layout() -> impl Strategy<Value = Layout> {
    (
        0u8..4,
        0u8..4,
        0u8..7,
        0u8..6,
        prop::sample::select(vec![
            None,
            Some("UTC"),
            Some("+05:30"),
            Some("America/New_York"),
        ]),
        (any::<bool>(), 0u8..4),
        0u8..3,
        any::<bool>(),
        prop::sample::select(vec![1usize, 3, 7, 64, 1000]),
    )
        .prop_map(
            |(s, e, int, unit, tz, (g_bytes, g_text), list, k32, batch)| Layout {
                s,
                e,
                int,
                unit,
                tz,
                g_bytes,
                g_text,
                list,
                k32,
                batch,
            },
        )
}

/// The records' times cut to the layout's unit, as the row side sees them.
fn truncate(rows: &mut [Row], unit: u8) {
    if unit >= 4 {
        // Dates: midnight UTC of the day (Date64 holds milliseconds, but
        // Arrow asks for whole days in it too).
        for r in rows {
            r.t = r.t.map(|t| {
                let day = t.timestamp().div_euclid(86_400) * 86_400;
                Utc.timestamp_opt(day, 0).unwrap()
            });
        }
        return;
    }
    let step = [1_000_000_000, 1_000_000, 1_000, 1][usize::from(unit)];
    for r in rows {
        if let Some(t) = r.t {
            let n = t.timestamp_subsec_nanos();
            r.t = Some(Utc.timestamp_opt(t.timestamp(), n - n % step).unwrap());
            // Nanoseconds in an i64 reach only 1677–2262: outside, the
            // column holds a null, and so does the row.
            if unit == 3 && t.timestamp_nanos_opt().is_none() {
                r.t = None;
            }
        }
    }
}

/// The records' integers held to the range of the layout's integer type,
/// as the row side sees the column.
fn clamp(rows: &mut [Row], int: u8) {
    let (lo, hi) = match int {
        0 => (i64::MIN, i64::MAX),
        1 => (i32::MIN.into(), i32::MAX.into()),
        2 => (i16::MIN.into(), i16::MAX.into()),
        3 => (i8::MIN.into(), i8::MAX.into()),
        4 => (0, u32::MAX.into()),
        5 => (0, u16::MAX.into()),
        _ => (0, u8::MAX.into()),
    };
    for r in rows {
        r.i = r.i.map(|i| i.clamp(lo, hi));
    }
}

/// The records' integers as `T`, which `clamp` made them fit.
fn narrow<T: TryFrom<i64>>(rows: &[Row]) -> Vec<Option<T>> {
    rows.iter()
        .map(|r| {
            r.i.map(|i| T::try_from(i).ok().expect("clamped to the type"))
        })
        .collect()
}

fn guid_text(g: u128, form: u8) -> String {
    let h = format!("{g:032x}");
    match form {
        0 => h,
        1 => format!(
            "{{{}-{}-{}-{}-{}}}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
        .to_uppercase(),
        _ => "not-a-guid".to_owned(),
    }
}

fn strings(xs: Vec<Option<&str>>, layout: u8) -> ArrayRef {
    match layout {
        0 => Arc::new(StringArray::from(xs)),
        1 => Arc::new(LargeStringArray::from(xs)),
        2 => Arc::new(StringViewArray::from(xs)),
        _ => {
            let mut b = StringDictionaryBuilder::<Int8Type>::new();
            for x in xs {
                b.append_option(x);
            }
            Arc::new(b.finish())
        }
    }
}

/// All records as one batch, with a `Pos` column (not in the schema, so
/// ignored by binding) to find each row again.
fn batch(rows: &[Row], l: &Layout) -> RecordBatch {
    let s = strings(rows.iter().map(|r| r.s.as_deref()).collect(), l.s);
    let e_texts: Vec<Option<&str>> = rows.iter().map(|r| r.e.as_deref()).collect();
    let e: ArrayRef = match l.e {
        0 => Arc::new(StringArray::from(e_texts)),
        2 => Arc::new(StringViewArray::from(e_texts)),
        3 => Arc::new(LargeStringArray::from(e_texts)),
        _ => {
            let mut b = StringDictionaryBuilder::<Int32Type>::new();
            for x in e_texts {
                b.append_option(x);
            }
            Arc::new(b.finish())
        }
    };
    let i: ArrayRef = match l.int {
        0 => Arc::new(Int64Array::from(narrow::<i64>(rows))),
        1 => Arc::new(Int32Array::from(narrow::<i32>(rows))),
        2 => Arc::new(Int16Array::from(narrow::<i16>(rows))),
        3 => Arc::new(Int8Array::from(narrow::<i8>(rows))),
        4 => Arc::new(UInt32Array::from(narrow::<u32>(rows))),
        5 => Arc::new(UInt16Array::from(narrow::<u16>(rows))),
        _ => Arc::new(UInt8Array::from(narrow::<u8>(rows))),
    };
    let ts = rows.iter().map(|r| r.t);
    let tz = l.tz;
    let t: ArrayRef = match l.unit {
        0 => Arc::new(
            TimestampSecondArray::from(ts.map(|t| t.map(|t| t.timestamp())).collect::<Vec<_>>())
                .with_timezone_opt(tz),
        ),
        1 => Arc::new(
            TimestampMillisecondArray::from(
                ts.map(|t| t.map(|t| t.timestamp_millis()))
                    .collect::<Vec<_>>(),
            )
            .with_timezone_opt(tz),
        ),
        2 => Arc::new(
            TimestampMicrosecondArray::from(
                ts.map(|t| t.map(|t| t.timestamp_micros()))
                    .collect::<Vec<_>>(),
            )
            .with_timezone_opt(tz),
        ),
        3 => Arc::new(
            TimestampNanosecondArray::from(
                ts.map(|t| t.and_then(|t| t.timestamp_nanos_opt()))
                    .collect::<Vec<_>>(),
            )
            .with_timezone_opt(tz),
        ),
        // `truncate` put every date at midnight.
        4 => Arc::new(Date32Array::from(
            ts.map(|t| t.map(|t| i32::try_from(t.timestamp() / 86_400).expect("a day")))
                .collect::<Vec<_>>(),
        )),
        _ => Arc::new(Date64Array::from(
            ts.map(|t| t.map(|t| t.timestamp_millis()))
                .collect::<Vec<_>>(),
        )),
    };
    let g: ArrayRef = if l.g_bytes {
        let mut b = FixedSizeBinaryBuilder::new(16);
        for r in rows {
            match r.g {
                Some(g) => b.append_value(g.to_be_bytes()).expect("16 bytes"),
                None => b.append_null(),
            }
        }
        Arc::new(b.finish())
    } else {
        let texts: Vec<Option<String>> = rows
            .iter()
            .map(|r| r.g.map(|g| guid_text(g, r.g_text)))
            .collect();
        strings(texts.iter().map(Option::as_deref).collect(), l.g_text)
    };
    let b = Arc::new(BooleanArray::from(
        rows.iter().map(|r| r.b).collect::<Vec<_>>(),
    ));
    // The builders of the three layouts share no trait for appending text.
    macro_rules! list {
        ($builder:expr) => {{
            let mut lb = $builder;
            for r in rows {
                match &r.l {
                    Some(xs) => {
                        for x in xs {
                            lb.values().append_value(x);
                        }
                        lb.append(true);
                    }
                    None => lb.append(false),
                }
            }
            Arc::new(lb.finish()) as ArrayRef
        }};
    }
    let list = match l.list {
        0 => list!(ListBuilder::new(StringBuilder::new())),
        1 => list!(ListBuilder::new(StringViewBuilder::new())),
        _ => list!(LargeListBuilder::new(LargeStringBuilder::new())),
    };
    let k: ArrayRef = if l.k32 {
        Arc::new(Int32Array::from(
            rows.iter().map(|r| r.k).collect::<Vec<_>>(),
        ))
    } else {
        Arc::new(Int64Array::from(
            rows.iter().map(|r| i64::from(r.k)).collect::<Vec<_>>(),
        ))
    };
    let pos = Arc::new(Int64Array::from((0..rows.len() as i64).collect::<Vec<_>>()));
    RecordBatch::try_from_iter([
        ("Pos", pos as ArrayRef),
        ("s", s),
        ("E", e),
        ("I", i as ArrayRef),
        ("T", t),
        ("G", g),
        ("B", b as ArrayRef),
        ("L", list),
        ("K", k),
    ])
    .expect("a valid batch")
}

/// The batch cut into slices of `size` rows (slices share the buffers, so
/// every column is read at an offset).
fn slices(all: &RecordBatch, size: usize) -> Vec<RecordBatch> {
    let n = all.num_rows();
    (0..n.div_ceil(size))
        .map(|b| all.slice(b * size, size.min(n - b * size)))
        .collect()
}

fn comparison() -> impl Strategy<Value = String> {
    let ops = |xs: &'static [&'static str]| prop::sample::select(xs.to_vec());
    const TEXT_OPS: &[&str] = &[
        "-eq",
        "-ne",
        "-contains",
        "-notcontains",
        "-startswith",
        "-endswith",
    ];
    const ORD_OPS: &[&str] = &["-eq", "-ne", "-lt", "-le", "-gt", "-ge"];
    const EQ_OPS: &[&str] = &["-eq", "-ne"];
    let null = (
        prop::sample::select(vec!["S", "E", "I", "T", "G", "B", "L", "K"]),
        ops(EQ_OPS),
    )
        .prop_map(|(f, op)| format!("{f} {op} NULL"));
    prop_oneof![
        2 => null,
        3 => (ops(TEXT_OPS), text()).prop_map(|(op, v)| format!("S {op} {}", quote(&v))),
        3 => (ops(TEXT_OPS), text()).prop_map(|(op, v)| format!("L {op} {}", quote(&v))),
        3 => (ops(EQ_OPS), enum_text().prop_filter("a name", |t| t != "Bogus"))
            .prop_map(|(op, v)| format!("E {op} {}", quote(&v))),
        2 => (ops(ORD_OPS), int()).prop_map(|(op, v)| format!("I {op} {v}")),
        2 => (ops(ORD_OPS), -2i64..3).prop_map(|(op, v)| format!("K {op} {v}")),
        4 => (ops(ORD_OPS), prop_oneof![
                (29u32..31).prop_map(|d| format!("2024-05-{d}")),
                (1u32..4).prop_map(|d| format!("2024-06-0{d}")),
                (0u32..24, prop::sample::select(vec!["", "Z", "+05:30", ".5", ".000000001-08:00"]))
                    .prop_map(|(h, z)| format!("2024-06-01T{h:02}:00:00{z}")),
                Just("%TODAY%".to_owned()),
                Just("%TODAY-1%".to_owned()),
                Just("0001-01-01".to_owned()),
                Just("9999-12-31".to_owned()),
            ])
            .prop_map(|(op, v)| format!("T {op} {}", quote(&v))),
        2 => (ops(EQ_OPS), prop_oneof![Just(u128::MAX), 0u128..3], 0u8..2)
            .prop_map(|(op, g, form)| format!("G {op} {}", quote(&guid_text(g, form)))),
        2 => (ops(EQ_OPS), any::<bool>()).prop_map(|(op, b)| format!("B {op} {b}")),
    ]
}

fn query() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![1 => Just(String::new()), 12 => comparison()];
    leaf.prop_recursive(3, 12, 4, |inner| {
        (prop::collection::vec(inner, 2..4), any::<bool>()).prop_map(|(xs, and)| {
            let xs: Vec<String> = xs
                .into_iter()
                .filter(|x| !x.is_empty())
                .map(|x| format!("({x})"))
                .collect();
            xs.join(if and { " AND " } else { " OR " })
        })
    })
}

fn context(zone: i32) -> Context {
    let now = Utc.with_ymd_and_hms(2024, 6, 2, 22, 30, 0).unwrap();
    Context::new(now).with_time_zone(FixedOffset::east_opt(zone).expect("a zone"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn columns_agree_with_rows(
        mut rows in prop::collection::vec(row(), 0..40),
        l in layout(),
        q in query(),
        zone in prop::sample::select(vec![0, 5 * 3600 + 1800, -8 * 3600, 14 * 3600]),
        sort_field in prop::sample::select(vec!["S", "E", "I", "T", "G", "B", "L", "K"]),
        desc in any::<bool>(),
        number in 1u64..4,
        limit in 1u64..8,
    ) {
        truncate(&mut rows, l.unit);
        clamp(&mut rows, l.int);
        for r in &mut rows {
            r.g_bad = !l.g_bytes && r.g_text == 2;
        }
        let schema = schema();
        let filter = kfql::compile(&q, &schema, &context(zone)).expect("a valid query");
        let all = batch(&rows, &l);
        let bound = filter.bind_arrow(&all.schema()).expect("the columns fit");
        let sort = filter.sort(sort_field, Direction::descending_if(desc)).expect("sortable");
        let page = Page::new(number, limit).expect("a page");

        // Per row: the mask of each batch against `matches`.
        let mut want_mask = Vec::new();
        for r in &rows {
            want_mask.push(filter.matches(r));
        }
        let mut got_mask = Vec::new();
        let mut pager = kfql::arrow::ArrowPager::new(&bound, &sort, page).expect("bound");
        let parts = slices(&all, l.batch);
        for b in &parts {
            let mask = bound.select(b).expect("same schema");
            got_mask.extend(mask.iter().map(|m| m == Some(true)));
            prop_assert_eq!(bound.count(b).expect("same schema"), mask.true_count() as u64);
        }
        prop_assert_eq!(&got_mask, &want_mask, "query {}", q);

        // Pages, pushed as one pager and as two merged ones.
        for b in &parts {
            pager.push(b).expect("same schema");
        }
        let got = pager.finish();
        let want = filter.page(rows.iter().enumerate().map(|(i, r)| Indexed(i, r)), &sort, page).expect("same schema");
        let pos = |r: &kfql::arrow::BatchRow| {
            r.batch().column(0).as_any().downcast_ref::<Int64Array>().expect("Pos").value(r.row()) as usize
        };
        prop_assert_eq!(got.total, want.total);
        let got_rows: Vec<usize> = got.records.iter().map(pos).collect();
        let want_rows: Vec<usize> = want.records.iter().map(|r| r.0).collect();
        prop_assert_eq!(&got_rows, &want_rows, "query {} sort {} desc {}", q, sort_field, desc);

        let (left, right) = parts.split_at(parts.len() / 2);
        let mut a = kfql::arrow::ArrowPager::new(&bound, &sort, page).expect("bound");
        let mut b = kfql::arrow::ArrowPager::new(&bound, &sort, page).expect("bound");
        let mut first = 0u64;
        for p in left { a.push_at(p, first).expect("same"); first += p.num_rows() as u64; }
        for p in right { b.push_at(p, first).expect("same"); first += p.num_rows() as u64; }
        b.merge(a);
        let merged: Vec<usize> = b.finish().records.iter().map(pos).collect();
        prop_assert_eq!(&merged, &want_rows);
    }
}

/// A record with its position, for comparing pages.
struct Indexed<'a>(usize, &'a Row);

impl Record for Indexed<'_> {
    fn value(&self, field: &Field) -> FieldValue<'_> {
        self.1.value(field)
    }
}

fn bind_err(name: &str, col: ArrayRef, q: &str) -> String {
    let batch = RecordBatch::try_from_iter([(name, col)]).expect("a batch");
    kfql::compile(q, &schema(), &context(0))
        .expect("valid")
        .bind_arrow(&batch.schema())
        .expect_err("refused")
        .to_string()
}

#[test]
fn wrong_types_and_missing_columns_are_errors_that_name_them() {
    let e = bind_err("I", Arc::new(StringArray::from(vec!["1"])), "I -gt 0");
    assert!(
        e.contains("column `I` is Utf8") && e.contains("Int64"),
        "{e}"
    );
    let e = bind_err(
        "T",
        Arc::new(Int64Array::from(vec![1])),
        r#"T -ge "2024-01-01""#,
    );
    assert!(
        e.contains("column `T` is Int64") && e.contains("Timestamp of any unit"),
        "{e}"
    );
    let e = bind_err(
        "G",
        Arc::new(Int64Array::from(vec![1])),
        r#"G -eq "00000000000000000000000000000000""#,
    );
    assert!(e.contains("FixedSizeBinary(16)"), "{e}");
    // UInt64 is refused: values past i64::MAX are no integer of the
    // language, and checking every value when binding would not be once.
    let e = bind_err("I", Arc::new(UInt64Array::from(vec![1])), "I -gt 0");
    assert!(
        e.contains("column `I` is UInt64") && e.contains("cast it to Int64"),
        "{e}"
    );
    let e = bind_err("X", Arc::new(Int64Array::from(vec![1])), "I -gt 0");
    assert!(
        e.contains("no column `I`") && e.contains("its columns are: X"),
        "{e}"
    );
    let batch = RecordBatch::try_from_iter([
        ("i", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
        ("I", Arc::new(Int64Array::from(vec![2])) as ArrayRef),
        ("S", Arc::new(StringArray::from(vec!["x"])) as ArrayRef),
    ])
    .expect("a batch");
    // An exact name wins over one that differs in case.
    let f = kfql::compile("I -eq 2", &schema(), &context(0)).expect("valid");
    assert_eq!(
        f.bind_arrow(&batch.schema())
            .expect("exact")
            .count(&batch)
            .expect("ok"),
        1
    );
    // A sort field needs a column too.
    let bound = kfql::compile("S -eq x", &schema(), &context(0))
        .expect("valid")
        .bind_arrow(&batch.schema())
        .expect("S is there");
    let sort = schema();
    let sort = kfql::Sort::new(&sort, "T", Direction::Ascending).expect("sortable");
    let e = kfql::arrow::ArrowPager::new(&bound, &sort, Page::default())
        .err()
        .expect("no T")
        .to_string();
    assert!(e.contains("no column `T`, which the sort needs"), "{e}");
}

#[test]
fn a_batch_of_another_shape_is_an_error_not_a_panic() {
    let f = kfql::compile("I -gt 0", &schema(), &context(0)).expect("valid");
    let a = RecordBatch::try_from_iter([("I", Arc::new(Int64Array::from(vec![1])) as ArrayRef)])
        .expect("batch");
    let b = RecordBatch::try_from_iter([("I", Arc::new(Int32Array::from(vec![1])) as ArrayRef)])
        .expect("batch");
    let bound = f.bind_arrow(&a.schema()).expect("fits");
    let e = bound.count(&b).unwrap_err().to_string();
    assert!(
        e.contains("bound to column 0 `I` of type Int64, but this batch has `I` of type Int32"),
        "{e}"
    );
}

#[test]
fn a_dictionary_runs_the_test_once_per_entry_and_nulls_are_nulls() {
    // Null keys and null dictionary entries are both null rows.
    let keys = Int32Array::from(vec![Some(0), None, Some(1), Some(2), Some(0)]);
    let values = Arc::new(StringArray::from(vec![
        Some("Failed  "),
        None,
        Some("bogus"),
    ]));
    let dict = kfql::arrow::arrow_array::DictionaryArray::<Int32Type>::try_new(keys, values)
        .expect("valid");
    let batch = RecordBatch::try_from_iter([("E", Arc::new(dict) as ArrayRef)]).expect("batch");
    let count = |q: &str| {
        kfql::compile(q, &schema(), &context(0))
            .expect("valid")
            .bind_arrow(&batch.schema())
            .expect("fits")
            .count(&batch)
            .expect("ok")
    };
    assert_eq!(count("E -eq failed"), 2);
    assert_eq!(count("E -eq NULL"), 2);
    // "bogus" is not a name: neither null nor a value.
    assert_eq!(count("E -ne NULL"), 2);
    assert_eq!(count("E -ne Failed"), 0);
}
