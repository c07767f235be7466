//! The API's instance JSON against the record's own `Serialize`: the
//! [`Instance`] adapter below writes a record through serde with its nulls
//! left out and Status as asked, and `serde_json` turns that into the
//! bytes [`super::page_json`] and [`super::instance_json`] must write.

use chrono::TimeZone;
use serde::ser::{self, Impossible, Serialize, SerializeStruct, Serializer};
use serde_json::Value;

use super::*;

/// An instance through the record's own `Serialize` (its members in its
/// order) and [`Members`], which leaves null members out and writes
/// Status as an integer when asked.
struct Instance<'a> {
    record: &'a WorkflowInstance,
    format: StatusFormat,
}

impl Instance<'_> {
    fn new(record: &WorkflowInstance, format: StatusFormat) -> Instance<'_> {
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

/// A page through [`Instance`].
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
}

/// Whether `value` serializes as null (`None` or `()`). Through
/// `serde_json::Value`: a test's oracle can afford it.
fn is_null<T: Serialize + ?Sized>(value: &T) -> bool {
    serde_json::to_value(value).is_ok_and(|v| v.is_null())
}

fn serde_page(records: &[WorkflowInstance], format: StatusFormat) -> String {
    serde_json::to_string(&Page { records, format }).expect("records serialize")
}

#[test]
fn members_keep_the_records_order_without_nulls() {
    let now = chrono::Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
    let mut r = crate::keyfactor::sample(1, now, 1).remove(0);
    r.title = None;
    if let Some(d) = r.definition.as_mut() {
        d.display_name = None;
    }
    let text = String::from_utf8(instance_json(&r, StatusFormat::Name)).unwrap();
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
    let text = String::from_utf8(instance_json(&r, StatusFormat::Integer)).unwrap();
    assert!(text.contains(&format!(r#","Status":{},"#, status::integer(r.status))));
}

/// The writer against the record's own `Serialize` through serde_json,
/// byte for byte, in both Status formats: sample records, text that
/// needs escapes, and each optional member (and each of Definition's)
/// absent in turn, then all of them at once.
#[test]
fn pages_are_the_bytes_serde_writes() {
    let now = chrono::Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
    let mut records = crate::keyfactor::sample(200, now, 7);
    records[0].title = Some("quote \" back \\ tab \t bell \u{7} é €".into());
    records[1].status_message = Some("\u{0}\n\r".into());
    records[2].last_modified = Some(chrono::Utc.with_ymd_and_hms(12_000, 1, 1, 0, 0, 0).unwrap());
    records[3].start_date = Some(now + chrono::Duration::nanoseconds(123_456_789));
    records[4].reference_id = i64::MIN;
    let base = records[5].clone();
    type Clear = fn(&mut WorkflowInstance);
    let clears: [Clear; 15] = [
        |r| r.current_step_id = None,
        |r| r.status_message = None,
        |r| r.definition = None,
        |r| r.current_step_display_name = None,
        |r| r.current_step_unique_name = None,
        |r| r.title = None,
        |r| r.last_modified = None,
        |r| r.start_date = None,
        |r| r.definition_id = None,
        |r| r.initiating_user_name = None,
        |r| r.workflow_type = None,
        |r| r.definition.get_or_insert_default().id = None,
        |r| r.definition.get_or_insert_default().display_name = None,
        |r| r.definition.get_or_insert_default().version = None,
        |r| r.definition.get_or_insert_default().workflow_type = None,
    ];
    let mut bare = base.clone();
    for clear in clears {
        let mut r = base.clone();
        clear(&mut r);
        records.push(r);
        clear(&mut bare);
    }
    records.push(bare.clone());
    bare.definition = None;
    records.push(bare);
    for format in [StatusFormat::Name, StatusFormat::Integer] {
        let got = page_json(&records, format);
        assert_eq!(String::from_utf8_lossy(&got), serde_page(&records, format));
        for r in &records {
            let got = instance_json(r, format);
            let want = serde_json::to_string(&Instance::new(r, format)).unwrap();
            assert_eq!(String::from_utf8_lossy(&got), want);
        }
    }
    assert_eq!(page_json(&[], StatusFormat::Name), b"[]");
}
