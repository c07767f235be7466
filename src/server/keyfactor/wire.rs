//! An instance as the API returns it: the record's PascalCase JSON, its
//! members in the record's order (Id first, as Keyfactor sends them; a
//! `serde_json` map would sort them), null members left out, Status as a
//! name or, in integer mode, as its integer.
//!
//! Nulls are left out because a missing member means null (kfql reads
//! records so) and the vendor's generated client cannot decode a null
//! datetime, Definition or Status.

use serde::ser::{self, Impossible, Serialize, SerializeStruct, Serializer};

use super::status;
use crate::keyfactor::WorkflowInstance;
use crate::server::{StatusFormat, json};

/// An instance as the API writes it, serialized straight from the record:
/// the record's own `Serialize` (its members in its order) through
/// [`Members`], which leaves null members out and writes Status as an
/// integer when asked. No `serde_json::Value` in between: building one
/// per record was a third of the service's work per request.
pub(crate) struct Instance<'a> {
    record: &'a WorkflowInstance,
    format: StatusFormat,
}

impl Instance<'_> {
    pub(crate) fn new(record: &WorkflowInstance, format: StatusFormat) -> Instance<'_> {
        Instance { record, format }
    }
}

impl Serialize for Instance<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let status = match self.format {
            StatusFormat::Name => None,
            StatusFormat::Integer => Some(status::integer(self.record.status)),
        };
        self.record.serialize(Members { out: s, status })
    }
}

/// A page of instances as the JSON array the API answers with, written
/// by the service's own writer (`server::json`, serde_json's bytes)
/// into a buffer sized for it up front (growing one from a few bytes
/// copied each answer several times over).
pub(crate) fn page_json(
    records: &[WorkflowInstance],
    format: StatusFormat,
) -> Result<Vec<u8>, json::Error> {
    /// About what one instance takes (640 bytes for the benchmarks' ones).
    const PER_RECORD: usize = 768;
    json::to_vec(&Page { records, format }, 2 + records.len() * PER_RECORD)
}

struct Page<'a> {
    records: &'a [WorkflowInstance],
    format: StatusFormat,
}

impl Serialize for Page<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.records.iter().map(|r| Instance::new(r, self.format)))
    }
}

/// Serializes a struct as a map of its non-null members; `Some(x)` as `x`.
/// Anything else is not a record and is refused (it cannot happen: only
/// `WorkflowInstance` and its `Definition` come through here).
struct Members<S> {
    out: S,
    /// Status's integer, to write instead of its name.
    status: Option<u64>,
}

struct MemberMap<M> {
    map: M,
    status: Option<u64>,
}

/// A member's value: nested structs (Definition) leave their nulls out too.
struct Nested<'a, T: ?Sized>(&'a T);

impl<T: Serialize + ?Sized> Serialize for Nested<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(Members {
            out: s,
            status: None,
        })
    }
}

impl<M: SerializeStruct> SerializeStruct for MemberMap<M> {
    type Ok = M::Ok;
    type Error = M::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), M::Error> {
        if is_null(value) {
            return Ok(());
        }
        match self.status {
            Some(n) if key == "Status" => self.map.serialize_field(key, &n),
            _ => self.map.serialize_field(key, &Nested(value)),
        }
    }

    fn end(self) -> Result<M::Ok, M::Error> {
        self.map.end()
    }
}

fn not_a_record<E: ser::Error>() -> E {
    E::custom("only a record's members are written this way")
}

/// Every `Serializer` method but `serialize_struct` and `serialize_some`
/// writes the value as it is.
macro_rules! plain {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $name(self, $($arg: $ty),*) -> Result<S::Ok, S::Error> {
            self.out.$name($($arg),*)
        })*
    };
}

impl<S: Serializer> Serializer for Members<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = S::SerializeSeq;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = S::SerializeMap;
    type SerializeStruct = MemberMap<S::SerializeStruct>;
    type SerializeStructVariant = Impossible<S::Ok, S::Error>;

    plain! {
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_f32(v: f32);
        serialize_f64(v: f64);
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_bytes(v: &[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.out.serialize_newtype_struct(name, value)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.out
            .serialize_newtype_variant(name, index, variant, value)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<S::SerializeSeq, S::Error> {
        self.out.serialize_seq(len)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, S::Error> {
        Err(not_a_record())
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        Err(not_a_record())
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        Err(not_a_record())
    }

    fn serialize_map(self, len: Option<usize>) -> Result<S::SerializeMap, S::Error> {
        self.out.serialize_map(len)
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        // A struct still, so that the writer sees each member's name as a
        // `&'static str` (the service's writer copies those, serde_json
        // escapes them). The length counts the nulls left out too; JSON
        // writers take it as a hint.
        Ok(MemberMap {
            map: self.out.serialize_struct(name, len)?,
            status: self.status,
        })
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        Err(not_a_record())
    }

    /// Datetimes come here: formatted on the stack rather than in a new
    /// `String` each (serde's default).
    fn collect_str<T: std::fmt::Display + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        use std::fmt::Write as _;
        let mut text = StackText::default();
        match write!(text, "{value}") {
            Ok(()) => self.out.serialize_str(text.as_str()),
            Err(_) => self.out.serialize_str(&value.to_string()),
        }
    }
}

/// Text of up to 64 bytes on the stack; longer text is an error.
struct StackText {
    bytes: [u8; 64],
    len: usize,
}

impl Default for StackText {
    fn default() -> StackText {
        StackText {
            bytes: [0; 64],
            len: 0,
        }
    }
}

impl StackText {
    fn as_str(&self) -> &str {
        // Only whole `str`s are written, so this is UTF-8.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(std::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Whether `value` serializes as null (`None` or `()`), without writing it.
fn is_null<T: Serialize + ?Sized>(value: &T) -> bool {
    matches!(value.serialize(IsNull), Err(Null(true)))
}

/// The answer of [`IsNull`], carried as its error so that every other
/// method can stop at once.
#[derive(Debug)]
struct Null(bool);

impl std::fmt::Display for Null {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "null: {}", self.0)
    }
}

impl std::error::Error for Null {}

impl ser::Error for Null {
    fn custom<T: std::fmt::Display>(_: T) -> Null {
        Null(false)
    }
}

struct IsNull;

macro_rules! not_null {
    ($($name:ident($($ty:ty),*);)*) => {
        $(fn $name(self, $(_: $ty),*) -> Result<(), Null> {
            Err(Null(false))
        })*
    };
}

impl Serializer for IsNull {
    type Ok = ();
    type Error = Null;
    type SerializeSeq = Impossible<(), Null>;
    type SerializeTuple = Impossible<(), Null>;
    type SerializeTupleStruct = Impossible<(), Null>;
    type SerializeTupleVariant = Impossible<(), Null>;
    type SerializeMap = Impossible<(), Null>;
    type SerializeStruct = Impossible<(), Null>;
    type SerializeStructVariant = Impossible<(), Null>;

    not_null! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
        serialize_bytes(&[u8]);
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_none(self) -> Result<(), Null> {
        Err(Null(true))
    }

    fn serialize_unit(self) -> Result<(), Null> {
        Err(Null(true))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Null> {
        Err(Null(false))
    }

    /// Not null, and not worth formatting to find out.
    fn collect_str<T: std::fmt::Display + ?Sized>(self, _: &T) -> Result<(), Null> {
        Err(Null(false))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Null> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Null> {
        Err(Null(false))
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Null> {
        Err(Null(false))
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Null> {
        Err(Null(false))
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Null> {
        Err(Null(false))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Null> {
        Err(Null(false))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Null> {
        Err(Null(false))
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Null> {
        Err(Null(false))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Null> {
        Err(Null(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::Value;

    #[test]
    fn members_keep_the_records_order_without_nulls() {
        let now = chrono::Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
        let mut r = crate::keyfactor::sample(1, now, 1).remove(0);
        r.title = None;
        if let Some(d) = r.definition.as_mut() {
            d.display_name = None;
        }
        let text = serde_json::to_string(&Instance::new(&r, StatusFormat::Name)).unwrap();
        assert!(text.starts_with(r#"{"Id":""#), "{text}");
        assert!(
            text.contains(&format!(r#","Status":"{}","#, r.status.name())),
            "{text}"
        );
        assert!(!text.contains("null") && !text.contains("Title"), "{text}");
        let i = |k: &str| text.find(&format!("\"{k}\"")).unwrap_or(usize::MAX);
        assert!(
            i("Status") < i("Definition") && i("Definition") < i("ReferenceId"),
            "{text}"
        );
        // The same content as the record's own JSON, nulls aside.
        let mut want = serde_json::to_value(&r).unwrap();
        let got: Value = serde_json::from_str(&text).unwrap();
        if let Value::Object(o) = &mut want {
            o.retain(|_, v| !v.is_null());
            if let Some(Value::Object(d)) = o.get_mut("Definition") {
                d.retain(|_, v| !v.is_null());
            }
        }
        assert_eq!(got, want);
        let text = serde_json::to_string(&Instance::new(&r, StatusFormat::Integer)).unwrap();
        assert!(text.contains(&format!(r#","Status":{},"#, status::integer(r.status))));
    }

    /// The service's own JSON writer writes a page as serde_json would,
    /// byte for byte, in both Status formats, with text that needs escapes.
    #[test]
    fn pages_are_the_bytes_serde_json_writes() {
        let now = chrono::Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
        let mut records = crate::keyfactor::sample(200, now, 7);
        records[0].title = Some("quote \" back \\ tab \t bell \u{7} é €".into());
        records[1].status_message = Some("\u{0}\n\r".into());
        for format in [StatusFormat::Name, StatusFormat::Integer] {
            let got = page_json(&records, format).unwrap();
            let want = serde_json::to_vec(&Page {
                records: &records,
                format,
            })
            .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want)
            );
        }
        assert_eq!(page_json(&[], StatusFormat::Name).unwrap(), b"[]");
    }
}
