//! What a [`Filter`](crate::Filter) reads from a record: the [`Record`]
//! trait and the [`FieldValue`] it returns for one field.

use chrono::{DateTime, Utc};

use crate::schema::Field;

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

/// A record a [`Filter`](crate::Filter) can run over: your own struct, the crate's
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
