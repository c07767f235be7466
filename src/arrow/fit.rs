//! Which Arrow types hold which field types, checked once when a filter
//! or a pager is bound to a batch schema.

use arrow_schema::{DataType, Field as ArrowField, Schema as ArrowSchema};

use crate::schema::{Field, FieldType, Schema};
use crate::{Error, ErrorKind};

/// A plain text array: Utf8, LargeUtf8 or Utf8View.
pub(crate) fn is_plain_text(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    )
}

/// Plain text, or a dictionary of plain text.
pub(crate) fn is_text(dt: &DataType) -> bool {
    match dt {
        DataType::Dictionary(key, values) => key.is_dictionary_key_type() && is_plain_text(values),
        dt => is_plain_text(dt),
    }
}

/// Whether a column of type `dt` can hold values of `ty`.
pub(crate) fn fits(ty: &FieldType, dt: &DataType) -> bool {
    use DataType::*;
    match ty {
        FieldType::String | FieldType::Enum(_) => is_text(dt),
        FieldType::Guid => is_text(dt) || *dt == FixedSizeBinary(16),
        FieldType::Integer => matches!(dt, Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32),
        FieldType::DateTime => matches!(dt, Timestamp(..) | Date32 | Date64),
        FieldType::Boolean => *dt == Boolean,
        FieldType::StringList => match dt {
            List(item) | LargeList(item) => is_plain_text(item.data_type()),
            _ => false,
        },
        FieldType::Object => false,
    }
}

/// The Arrow types that hold `ty`, for error messages.
pub(crate) fn what_fits(ty: &FieldType) -> &'static str {
    match ty {
        FieldType::String | FieldType::Enum(_) => {
            "Utf8, LargeUtf8, Utf8View, or a dictionary of one of them"
        }
        FieldType::Guid => {
            "FixedSizeBinary(16) (the bytes in text order), or its text as Utf8, LargeUtf8, Utf8View or a dictionary of one of them"
        }
        FieldType::Integer => {
            "Int64, Int32, Int16, Int8, UInt32, UInt16 or UInt8 (a UInt64 column: cast it to Int64 when its values fit)"
        }
        FieldType::DateTime => {
            "Timestamp of any unit, with or without a time zone (none means UTC), Date32 or Date64"
        }
        FieldType::Boolean => "Boolean",
        FieldType::StringList => "List or LargeList of Utf8, LargeUtf8 or Utf8View",
        FieldType::Object => "no Arrow type (objects cannot be queried or sorted)",
    }
}

/// The column for `field`: the one whose name equals the field's exactly,
/// else the one that equals it ignoring ASCII case (two such columns are
/// an error: the match would be a guess). `None` when there is none.
pub(crate) fn find_column(arrow: &ArrowSchema, field: &Field) -> Result<Option<usize>, Error> {
    let fields = arrow.fields();
    if let Some(i) = fields.iter().position(|f| f.name() == field.name()) {
        return Ok(Some(i));
    }
    let mut found = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.name().eq_ignore_ascii_case(field.name()));
    match (found.next(), found.next()) {
        (None, _) => Ok(None),
        (Some((i, _)), None) => Ok(Some(i)),
        (Some((_, a)), Some((_, b))) => Err(Error::new(
            ErrorKind::InvalidRecord,
            format!(
                "the columns `{}` and `{}` both name the field {} (names ignore case); rename one",
                a.name(),
                b.name(),
                field.name()
            ),
        )),
    }
}

/// Find and type-check the column of `field`, which must exist.
pub(crate) fn required(
    arrow: &ArrowSchema,
    schema: &Schema,
    field: &Field,
    role: &str,
) -> Result<usize, Error> {
    match optional(arrow, field)? {
        Some(i) => Ok(i),
        None => {
            let names: Vec<&str> = arrow.fields().iter().map(|f| f.name().as_str()).collect();
            let err = Error::new(
                ErrorKind::InvalidRecord,
                format!(
                    "the data has no column `{}`, which {role} needs (a field of {}); its columns are: {}",
                    field.name(),
                    schema.name(),
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                ),
            );
            Err(
                match crate::error::closest(field.name(), names.iter().copied()) {
                    Some(s) => err.with_suggestion(format!(
                        "is `{s}` the column? rename it to `{}`",
                        field.name()
                    )),
                    None => err,
                },
            )
        }
    }
}

/// Find and type-check the column of `field`, if the data has one.
pub(crate) fn optional(arrow: &ArrowSchema, field: &Field) -> Result<Option<usize>, Error> {
    let Some(i) = find_column(arrow, field)? else {
        return Ok(None);
    };
    check(&arrow.fields()[i], field)?;
    Ok(Some(i))
}

fn check(column: &ArrowField, field: &Field) -> Result<(), Error> {
    if fits(field.ty(), column.data_type()) {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::InvalidRecord,
        format!(
            "column `{}` is {}, which cannot hold the {} field {}: it takes {}",
            column.name(),
            column.data_type(),
            field.ty().name(),
            field.name(),
            what_fits(field.ty())
        ),
    ))
}
