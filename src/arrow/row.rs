//! One row of a record batch as a [`Record`]: what the pager compares
//! when its cached keys cannot decide, and what the CLI prints.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_buffer::ArrowNativeType;
use arrow_schema::{DataType, Schema as ArrowSchema};

use super::kernel::{Texts, guid_of, instant, list_items, text_value, unit_nanos};
use crate::record::TextList;
use crate::schema::{Field, FieldType, Schema};
use crate::value::format_guid;
use crate::{Error, FieldValue, Record};

/// Where each field of a schema is in batches of one Arrow schema: the
/// column index per field slot, `None` for fields the data lacks (read as
/// null).
#[derive(Clone, Debug)]
pub(crate) struct Columns {
    pub(crate) schema: Schema,
    pub(crate) slots: Vec<Option<usize>>,
}

impl Columns {
    /// Bind every field of `schema` that `arrow` has a column for,
    /// checking its type; `needed` fields must be there.
    pub(crate) fn bind(
        schema: &Schema,
        arrow: &ArrowSchema,
        needed: &[(usize, &str)],
    ) -> Result<Columns, Error> {
        let mut slots = Vec::with_capacity(schema.fields().len());
        for f in schema.fields() {
            let slot = match needed.iter().find(|(s, _)| *s == f.index()) {
                Some((_, role)) => Some(super::fit::required(arrow, schema, f, role)?),
                None if f.ty() == &FieldType::Object => None,
                None => super::fit::optional(arrow, f)?,
            };
            slots.push(slot);
        }
        Ok(Columns {
            schema: schema.clone(),
            slots,
        })
    }
}

/// The columns of one batch, ready to read row by row.
#[derive(Debug)]
pub(crate) struct Source {
    batch: RecordBatch,
    schema: Schema,
    cols: Vec<Col>,
}

#[derive(Debug)]
enum Col {
    Absent,
    /// A column read as it is.
    Plain(ArrayRef),
    /// A dictionary of texts: each entry's value resolved once (an enum
    /// index or a GUID; `None` for text fields, read from the values).
    Dict {
        array: ArrayRef,
        resolved: Vec<Option<Resolved>>,
    },
    /// A list column, copied out: `FieldValue::List` borrows `String`s.
    List(Vec<Option<Vec<String>>>),
}

#[derive(Clone, Copy, Debug)]
enum Resolved {
    Enum(usize),
    Guid(u128),
    Invalid,
}

impl Source {
    pub(crate) fn new(columns: &Columns, batch: &RecordBatch) -> Source {
        let cols = columns
            .schema
            .fields()
            .iter()
            .zip(&columns.slots)
            .map(|(f, slot)| match slot {
                None => Col::Absent,
                Some(i) => match batch.columns().get(*i) {
                    Some(a) => Col::new(f.ty(), a),
                    None => Col::Absent,
                },
            })
            .collect();
        Source {
            batch: batch.clone(),
            schema: columns.schema.clone(),
            cols,
        }
    }

    pub(crate) fn batch(&self) -> &RecordBatch {
        &self.batch
    }

    pub(crate) fn value(&self, field: &Field, row: usize) -> FieldValue<'_> {
        match self.cols.get(field.index()) {
            Some(c) => c.value(field.ty(), row),
            None => FieldValue::Null,
        }
    }

    /// Row `row` as a JSON object in the form the JSON reader accepts:
    /// the schema's fields in order, those the data lacks left out.
    pub(crate) fn to_json(&self, row: usize) -> serde_json::Map<String, serde_json::Value> {
        use serde_json::Value as J;
        let mut out = serde_json::Map::new();
        for (f, c) in self.schema.fields().iter().zip(&self.cols) {
            if matches!(c, Col::Absent) {
                continue;
            }
            let v = match c.value(f.ty(), row) {
                FieldValue::Null | FieldValue::Invalid => J::Null,
                FieldValue::Str(s) => J::from(s),
                FieldValue::Int(n) => J::from(n),
                FieldValue::DateTime(t) => {
                    J::from(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
                }
                FieldValue::Guid(g) => J::from(format_guid(g)),
                FieldValue::Bool(b) => J::from(b),
                FieldValue::Enum(i) => match f.ty() {
                    FieldType::Enum(names) => names.get(i).map_or(J::Null, |n| J::from(n.as_str())),
                    _ => J::Null,
                },
                FieldValue::List(xs) => J::from(xs.iter().map(J::from).collect::<Vec<_>>()),
            };
            out.insert(f.name().to_owned(), v);
        }
        out
    }
}

impl Col {
    fn new(ty: &FieldType, a: &ArrayRef) -> Col {
        match a.data_type() {
            DataType::Dictionary(..) => {
                let resolved = a
                    .as_any_dictionary_opt()
                    .and_then(|d| {
                        let values = Texts::of(d.values().as_ref())?;
                        let entries = values.array();
                        Some(
                            (0..entries.len())
                                .map(|e| {
                                    if entries.is_null(e) {
                                        return None;
                                    }
                                    match text_value(ty, values.value(e)) {
                                        FieldValue::Enum(i) => Some(Resolved::Enum(i)),
                                        FieldValue::Guid(g) => Some(Resolved::Guid(g)),
                                        FieldValue::Invalid => Some(Resolved::Invalid),
                                        _ => None,
                                    }
                                })
                                .collect(),
                        )
                    })
                    .unwrap_or_default();
                Col::Dict {
                    array: a.clone(),
                    resolved,
                }
            }
            DataType::List(_) => Col::List(copy_list(a.as_list_opt::<i32>())),
            DataType::LargeList(_) => Col::List(copy_list(a.as_list_opt::<i64>())),
            _ => Col::Plain(a.clone()),
        }
    }

    fn value(&self, ty: &FieldType, row: usize) -> FieldValue<'_> {
        match self {
            Col::Absent => FieldValue::Null,
            Col::List(rows) => match rows.get(row) {
                Some(Some(xs)) => FieldValue::List(TextList::Strings(xs)),
                _ => FieldValue::Null,
            },
            Col::Dict { array, resolved } => {
                if row >= array.len() || array.is_null(row) {
                    return FieldValue::Null;
                }
                let Some(d) = array.as_any_dictionary_opt() else {
                    return FieldValue::Invalid;
                };
                let Some(entry) = key(array.as_ref(), row) else {
                    return FieldValue::Null;
                };
                match resolved.get(entry) {
                    Some(Some(Resolved::Enum(i))) => FieldValue::Enum(*i),
                    Some(Some(Resolved::Guid(g))) => FieldValue::Guid(*g),
                    Some(Some(Resolved::Invalid)) => FieldValue::Invalid,
                    Some(None) => {
                        let values = d.values();
                        match Texts::of(values.as_ref()) {
                            Some(t) if values.is_valid(entry) => text_value(ty, t.value(entry)),
                            _ => FieldValue::Null,
                        }
                    }
                    None => FieldValue::Null,
                }
            }
            Col::Plain(a) => {
                if row >= a.len() || a.is_null(row) {
                    return FieldValue::Null;
                }
                plain(ty, a.as_ref(), row)
            }
        }
    }
}

/// The dictionary entry of row `row`.
fn key(a: &dyn Array, row: usize) -> Option<usize> {
    macro_rules! keys {
        ($($t:ty),*) => {
            $(if let Some(d) = a.as_dictionary_opt::<$t>() {
                return d.keys().values().get(row).map(|k| k.as_usize());
            })*
        };
    }
    keys!(
        Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type
    );
    None
}

fn plain<'a>(ty: &FieldType, a: &'a dyn Array, row: usize) -> FieldValue<'a> {
    fn int<T: arrow_array::ArrowPrimitiveType>(a: &dyn Array, row: usize) -> Option<i64>
    where
        T::Native: Into<i64>,
    {
        Some(a.as_primitive_opt::<T>()?.value(row).into())
    }
    let int = match a.data_type() {
        DataType::Int64 => int::<Int64Type>(a, row),
        DataType::Int32 => int::<Int32Type>(a, row),
        DataType::Int16 => int::<Int16Type>(a, row),
        DataType::Int8 => int::<Int8Type>(a, row),
        DataType::UInt32 => int::<UInt32Type>(a, row),
        DataType::UInt16 => int::<UInt16Type>(a, row),
        DataType::UInt8 => int::<UInt8Type>(a, row),
        DataType::Timestamp(unit, _) => match unit {
            arrow_schema::TimeUnit::Second => int::<TimestampSecondType>(a, row),
            arrow_schema::TimeUnit::Millisecond => int::<TimestampMillisecondType>(a, row),
            arrow_schema::TimeUnit::Microsecond => int::<TimestampMicrosecondType>(a, row),
            arrow_schema::TimeUnit::Nanosecond => int::<TimestampNanosecondType>(a, row),
        },
        DataType::Date32 => int::<Date32Type>(a, row),
        DataType::Date64 => int::<Date64Type>(a, row),
        DataType::Boolean => {
            return a
                .as_boolean_opt()
                .map_or(FieldValue::Invalid, |b| FieldValue::Bool(b.value(row)));
        }
        DataType::FixedSizeBinary(16) => {
            return a
                .as_fixed_size_binary_opt()
                .and_then(|b| guid_of(b.value(row)))
                .map_or(FieldValue::Invalid, FieldValue::Guid);
        }
        _ => {
            return Texts::of(a).map_or(FieldValue::Invalid, |t| text_value(ty, t.value(row)));
        }
    };
    match (int, unit_nanos(a.data_type())) {
        (None, _) => FieldValue::Invalid,
        (Some(v), Some(unit)) => instant(v, unit).map_or(FieldValue::Invalid, FieldValue::DateTime),
        (Some(v), None) => FieldValue::Int(v),
    }
}

fn copy_list<O: arrow_array::OffsetSizeTrait>(
    a: Option<&arrow_array::GenericListArray<O>>,
) -> Vec<Option<Vec<String>>> {
    let Some(a) = a else { return Vec::new() };
    let Some(items) = Texts::of(a.values().as_ref()) else {
        return vec![None; a.len()];
    };
    (0..a.len())
        .map(|i| {
            if a.is_null(i) {
                return None;
            }
            Some(list_items(a, items, i).map(str::to_owned).collect())
        })
        .collect()
}

/// A row borrowed while a batch is evaluated: what the pager reads to
/// decide whether to keep a match.
pub(crate) struct RowRef<'a> {
    pub(crate) source: &'a Source,
    pub(crate) row: usize,
}

impl Record for RowRef<'_> {
    #[inline]
    fn value(&self, field: &Field) -> FieldValue<'_> {
        self.source.value(field, self.row)
    }
}

/// One row of a record batch, kept by a pager: the batch is shared, not
/// copied. A [`Record`], so it can be compared and read like any other.
#[derive(Clone, Debug)]
pub struct BatchRow {
    pub(crate) source: Arc<Source>,
    pub(crate) row: usize,
    pub(crate) position: u64,
}

impl BatchRow {
    /// The batch the row belongs to.
    pub fn batch(&self) -> &RecordBatch {
        self.source.batch()
    }

    /// The row's index in [`batch`](BatchRow::batch).
    pub fn row(&self) -> usize {
        self.row
    }

    /// The row's input position: its index among all rows pushed (what
    /// [`ArrowPager::push_at`](super::ArrowPager::push_at) was told, plus
    /// its row).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The row as a JSON object in the form kfql's JSON reader accepts:
    /// the schema's fields in order (those the data lacks left out),
    /// instants in RFC 3339 with `Z`, GUIDs in lower-case hyphenated text,
    /// enums by name.
    pub fn to_json(&self) -> serde_json::Map<String, serde_json::Value> {
        self.source.to_json(self.row)
    }
}

impl Record for BatchRow {
    #[inline]
    fn value(&self, field: &Field) -> FieldValue<'_> {
        self.source.value(field, self.row)
    }
}
