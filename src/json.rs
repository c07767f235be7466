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

/// A JSON integer within i64. serde_json reads `-0` as the float `-0.0`
/// (it cannot tell `-0` from `-0.0` or `-0e0` afterwards), so a negative
/// zero is the integer 0; every other float, `0.0` included, is not an
/// integer.
fn as_integer(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        let x = v.as_f64()?;
        (x == 0.0 && x.is_sign_negative()).then_some(0)
    })
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

    /// An integer field within i64. JSON `-0` is the integer 0.
    pub fn integer(&self, key: &str) -> Result<Option<i64>, FieldError> {
        self.typed(key, "an integer within 64 bits", as_integer)
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
    /// serde_json's error, and the byte length of the line without its
    /// line end (where "the end of the input" is on the line).
    Json(serde_json::Error, usize),
    Field(FieldError),
}

impl LineError {
    pub(crate) fn at(self, at: Position) -> Error {
        match self {
            LineError::Json(e, len) => {
                // serde_json counts lines and columns in the line alone; the
                // input ending early is an error just past the line's last
                // byte, whether or not the line end was there. Only the
                // file's position is shown.
                let column = if e.line() > 1 || e.is_eof() {
                    len + 1
                } else {
                    e.column()
                };
                Error::new(
                    ErrorKind::InvalidRecord,
                    format!(
                        "{at}, column {column}: not valid JSON: {}",
                        json_message(&e)
                    ),
                )
            }
            LineError::Field(e) => record_error(at, e),
        }
    }
}

/// serde_json's message without its own ` at line L column C`: the
/// readers name the position in the file instead.
fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&position).unwrap_or(&text).to_owned()
}

/// One line of JSON Lines (its line end included or not) as a record: the
/// checked path, whose errors are the ones users see.
pub(crate) fn parse_line<T: FromJson>(line: &[u8]) -> Result<T, LineError> {
    let value: Value = serde_json::from_slice(line).map_err(|e| {
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        LineError::Json(e, text.len())
    })?;
    T::from_value(&value).map_err(LineError::Field)
}

/// The UTF-8 byte-order mark some editors write at the start of a file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `input` without a UTF-8 byte-order mark at its start (decided: skipped,
/// not an error; positions on the first line count from after it).
pub(crate) fn skip_bom<R: Read>(
    mut input: R,
) -> std::io::Result<std::io::Chain<std::io::Cursor<Vec<u8>>, R>> {
    let mut head = Vec::with_capacity(BOM.len());
    let mut byte = [0u8; 3];
    while head.len() < BOM.len() && BOM.starts_with(&head) {
        match input.read(&mut byte[..BOM.len() - head.len()]) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&byte[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if head == BOM {
        head.clear();
    }
    Ok(std::io::Cursor::new(head).chain(input))
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
/// non-blank byte: `[` means an array; a UTF-8 byte-order mark before it
/// is skipped), calling `each` on every record in order. Memory stays
/// bounded by one record; the first malformed record stops the reading
/// with an error naming its position and field. A JSON syntax error names
/// the file's line and column (bytes, counted from 1).
pub fn read_records<T: FromJson, R: BufRead>(
    input: R,
    mut each: impl FnMut(T),
) -> Result<u64, Error> {
    let io = io_error;
    let mut input = skip_bom(input).map_err(io)?;
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
            // Blanks consumed on the first record's own line come back as
            // spaces, so that its columns are the file's (fuzz crash
            // 51d45bb7: they were short by the blanks before the record).
            let mut pad = usize::try_from(skipped_cols).unwrap_or(0);
            loop {
                line.clear();
                line.resize(std::mem::take(&mut pad), b' ');
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
        // serde_json's position is the file's: blank input it did not see
        // was put back as `blank_prefix`.
        (Err(e), None) if e.line() > 0 => Err(Error::new(
            ErrorKind::InvalidRecord,
            format!(
                "line {}, column {}: the data is not a valid JSON array: {}",
                e.line(),
                // At the end of the input serde_json names the last byte
                // read; the lines' reader names the place after it.
                e.column() + usize::from(e.is_eof()),
                json_message(&e)
            ),
        )),
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
            FieldType::Integer => as_integer(v).map_or(invalid, FieldValue::Int),
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
