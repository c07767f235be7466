//! Records from JSON: the checked conversion that names the record and the
//! field when data is malformed, the streaming reader for JSON arrays and
//! JSON Lines, and [`Record`] for unchecked `serde_json::Value` objects.

use std::io::{BufRead, Read};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::record::TextList;
use crate::schema::{Field, FieldType};
use crate::value::enum_index;
use crate::value::{parse_guid, parse_stored_datetime};
use crate::{Error, ErrorKind, FieldValue, Guid, Record};

/// A problem with one field of one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field's path: `StartDate`, `Definition.Id`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// Types that convert from a JSON object with checks that name the field.
pub trait FromJson: Sized {
    /// Convert one record.
    fn from_json(object: &Obj<'_>) -> Result<Self, FieldError>;

    /// Convert a JSON value, which must be an object.
    fn from_value(value: &Value) -> Result<Self, FieldError> {
        match value {
            Value::Object(map) => Self::from_json(&Obj {
                map,
                path: String::new(),
            }),
            other => Err(FieldError {
                field: String::new(),
                message: format!("expected an object, found {}", kind(other)),
            }),
        }
    }
}

/// A JSON object being converted, with its path for messages.
pub struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'a> Obj<'a> {
    fn error(&self, key: &str, message: String) -> FieldError {
        FieldError {
            field: format!("{}{key}", self.path),
            message,
        }
    }

    /// The value at `key`, `None` when missing or null.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn typed<T>(
        &self,
        key: &str,
        what: &str,
        f: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Result<Option<T>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => f(v)
                .map(Some)
                .ok_or_else(|| self.error(key, format!("expected {what}, found {}", kind(v)))),
        }
    }

    /// A required value: an error naming `key` when it is `None`.
    pub fn required<T>(&self, v: Option<T>, key: &str) -> Result<T, FieldError> {
        v.ok_or_else(|| self.error(key, "is required but missing or null".into()))
    }

    /// A string field.
    pub fn string(&self, key: &str) -> Result<Option<String>, FieldError> {
        self.typed(key, "a string", |v| v.as_str().map(str::to_owned))
    }

    /// An integer field within i64.
    pub fn integer(&self, key: &str) -> Result<Option<i64>, FieldError> {
        self.typed(key, "an integer within 64 bits", Value::as_i64)
    }

    /// A GUID field, given as a string.
    pub fn guid(&self, key: &str) -> Result<Option<Guid>, FieldError> {
        let Some(s) = self.typed(key, "a GUID string", Value::as_str)? else {
            return Ok(None);
        };
        parse_guid(s)
            .map(|g| Some(Guid(g)))
            .ok_or_else(|| self.error(key, format!("`{s}` is not a GUID")))
    }

    /// A datetime field, given as a string; no offset means UTC.
    pub fn datetime(&self, key: &str) -> Result<Option<DateTime<Utc>>, FieldError> {
        let Some(s) = self.typed(key, "a datetime string", Value::as_str)? else {
            return Ok(None);
        };
        parse_stored_datetime(s)
            .map(Some)
            .map_err(|m| self.error(key, m))
    }

    /// An enum field: the index of its name (any case, trailing spaces ignored).
    pub fn enumeration(&self, key: &str, names: &[&str]) -> Result<Option<usize>, FieldError> {
        let Some(s) = self.typed(key, "a string", Value::as_str)? else {
            return Ok(None);
        };
        enum_index(names, s)
            .map(Some)
            .ok_or_else(|| self.error(key, format!("`{s}` is not one of {}", names.join(", "))))
    }

    /// A nested object field.
    pub fn object(&self, key: &str) -> Result<Option<Obj<'a>>, FieldError> {
        let path = format!("{}{key}.", self.path);
        self.typed(key, "an object", |v| {
            v.as_object().map(|map| Obj { map, path })
        })
    }
}

/// Where a record came from, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Position {
    /// The element at this 0-based index of a JSON array.
    Index(u64),
    /// This 1-based line of a JSON Lines file.
    Line(u64),
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Position::Index(i) => write!(f, "record {i} (0-based index in the array)"),
            Position::Line(l) => write!(f, "line {l}"),
        }
    }
}

fn record_error(at: Position, e: FieldError) -> Error {
    let what = if e.field.is_empty() {
        String::new()
    } else {
        format!(", field `{}`", e.field)
    };
    Error::new(
        ErrorKind::InvalidRecord,
        format!("{at}{what}: {}", e.message),
    )
}

pub(crate) fn io_error(e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::InvalidRecord,
        format!("cannot read the data: {e}"),
    )
}

/// Why one JSON line is not a record, before its line number is known.
pub(crate) enum LineError {
    Json(serde_json::Error),
    Field(FieldError),
}

impl LineError {
    pub(crate) fn at(self, at: Position) -> Error {
        match self {
            LineError::Json(e) => Error::new(
                ErrorKind::InvalidRecord,
                format!("{at}: not valid JSON: {e}"),
            ),
            LineError::Field(e) => record_error(at, e),
        }
    }
}

/// One line of JSON Lines (its line end included or not) as a record: the
/// checked path, whose errors are the ones users see.
pub(crate) fn parse_line<T: FromJson>(line: &[u8]) -> Result<T, LineError> {
    let value: Value = serde_json::from_slice(line).map_err(LineError::Json)?;
    T::from_value(&value).map_err(LineError::Field)
}

/// Whether a line holds only JSON Lines' blank bytes.
pub(crate) fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&b| is_blank_byte(b))
}

fn is_blank_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Blank input before the first record, as one buffer of it shows it.
pub(crate) enum Blank {
    /// The first byte that is not blank is at this index.
    Until(usize),
    /// Nothing but blanks: `lines` line breaks, then `rest` bytes after the
    /// last one (all of them when there is none).
    All { lines: u64, rest: usize },
}

/// Where blank input at the start of `buf` ends. Both readers drop blank
/// input before the first record (its first byte tells an array from JSON
/// Lines) but count its lines, so that positions in errors stay counted
/// from the start of the input.
pub(crate) fn blank_start(buf: &[u8]) -> Blank {
    if let Some(i) = buf.iter().position(|&b| !is_blank_byte(b)) {
        return Blank::Until(i);
    }
    Blank::All {
        lines: buf.iter().filter(|&&b| b == b'\n').count() as u64,
        rest: buf.iter().rev().take_while(|&&b| b != b'\n').count(),
    }
}

/// Read records from a JSON array or JSON Lines (decided by the first
/// non-blank byte: `[` means an array), calling `each` on every record in
/// order. Memory stays bounded by one record; the first malformed record
/// stops the reading with an error naming its position and field.
pub fn read_records<T: FromJson, R: BufRead>(
    mut input: R,
    mut each: impl FnMut(T),
) -> Result<u64, Error> {
    let io = io_error;
    // Blank buffers before the first record are consumed, but their line
    // breaks (and the blanks after the last one) are remembered, so that
    // positions in errors stay counted from the start of the input.
    let (mut skipped_lines, mut skipped_cols) = (0u64, 0u64);
    let first = loop {
        let buf = input.fill_buf().map_err(io)?;
        match blank_start(buf) {
            Blank::Until(i) => break Some(buf[i]),
            Blank::All { .. } if buf.is_empty() => break None,
            Blank::All { lines, rest } => {
                if lines > 0 {
                    skipped_cols = 0;
                }
                skipped_lines += lines;
                skipped_cols += rest as u64;
                let n = buf.len();
                input.consume(n);
            }
        }
    };
    match first {
        None => Ok(0),
        Some(b'[') => read_array(blank_prefix(skipped_lines, skipped_cols).chain(input), each),
        Some(_) => {
            let mut count = 0;
            let mut line = Vec::new();
            let mut number = skipped_lines;
            loop {
                line.clear();
                if input.read_until(b'\n', &mut line).map_err(io)? == 0 {
                    return Ok(count);
                }
                number += 1;
                if is_blank(&line) {
                    continue;
                }
                each(parse_line(&line).map_err(|e| e.at(Position::Line(number)))?);
                count += 1;
            }
        }
    }
}

/// Stands in for blank input already consumed: `lines` line breaks, then
/// `cols` spaces, so that serde_json's line and column numbers are the
/// input's own.
pub(crate) fn blank_prefix(lines: u64, cols: u64) -> impl Read {
    std::io::repeat(b'\n')
        .take(lines)
        .chain(std::io::repeat(b' ').take(cols))
}

fn read_array<T: FromJson, R: Read>(input: R, each: impl FnMut(T)) -> Result<u64, Error> {
    use serde::de::{Deserializer, SeqAccess, Visitor};

    struct Each<F, T> {
        each: F,
        failed: Option<Error>,
        _t: std::marker::PhantomData<T>,
    }
    impl<'de, T: FromJson, F: FnMut(T)> Visitor<'de> for &mut Each<F, T> {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an array of records")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
            let mut i = 0u64;
            while let Some(value) = seq.next_element::<Value>()? {
                match T::from_value(&value) {
                    Ok(rec) => (self.each)(rec),
                    Err(e) => {
                        self.failed = Some(record_error(Position::Index(i), e));
                        return Err(serde::de::Error::custom("stopped at a malformed record"));
                    }
                }
                i += 1;
            }
            Ok(i)
        }
    }

    let mut visitor = Each {
        each,
        failed: None,
        _t: std::marker::PhantomData,
    };
    let mut de = serde_json::Deserializer::from_reader(input);
    let result = (&mut de)
        .deserialize_seq(&mut visitor)
        .and_then(|n| de.end().map(|()| n));
    match (result, visitor.failed) {
        (_, Some(e)) => Err(e),
        (Ok(n), None) => Ok(n),
        (Err(e), None) => Err(Error::new(
            ErrorKind::InvalidRecord,
            format!("the data is not a valid JSON array: {e}"),
        )),
    }
}

/// Unchecked JSON objects as records: fields are read by name (a dotted
/// name walks into nested objects; a field's
/// [`fallback`](crate::Field::fallback) is read when it is missing or
/// null) and converted on every access. A value that does not convert to
/// the field's type is [`FieldValue::Invalid`], which matches nothing:
/// check data with [`read_records`] into typed records when that matters.
impl Record for Value {
    fn value(&self, field: &Field) -> FieldValue<'_> {
        let found =
            lookup(self, field.name()).or_else(|| field.fallback().and_then(|p| lookup(self, p)));
        let Some(v) = found else {
            return FieldValue::Null;
        };
        let invalid = FieldValue::Invalid;
        match field.ty() {
            FieldType::String => v.as_str().map_or(invalid, FieldValue::Str),
            FieldType::StringList => match v.as_array() {
                Some(xs) if xs.iter().all(Value::is_string) => FieldValue::List(TextList::Json(xs)),
                _ => invalid,
            },
            FieldType::Integer => v.as_i64().map_or(invalid, FieldValue::Int),
            FieldType::DateTime => v
                .as_str()
                .and_then(|s| parse_stored_datetime(s).ok())
                .map_or(invalid, FieldValue::DateTime),
            FieldType::Guid => v
                .as_str()
                .and_then(parse_guid)
                .map_or(invalid, FieldValue::Guid),
            FieldType::Boolean => v.as_bool().map_or(invalid, FieldValue::Bool),
            FieldType::Enum(names) => v
                .as_str()
                .and_then(|s| enum_index(names, s))
                .map_or(invalid, FieldValue::Enum),
            FieldType::Object => invalid,
        }
    }
}

fn lookup<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    let direct = v.get(path);
    let found = match direct {
        Some(x) => Some(x),
        None if path.contains('.') => path.split('.').try_fold(v, |v, k| v.get(k)),
        None => None,
    };
    found.filter(|x| !x.is_null())
}
