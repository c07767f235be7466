//! A workflow instance borrowed from one line of JSON: the fast path of
//! [`Scan`](crate::Scan). Text without escapes points into the line; GUIDs,
//! datetimes and the status are converted once, by the same functions the
//! checked path uses. The decoder gives up (returns `None`) on anything it
//! is not sure of — a malformed field, a duplicate key, a value
//! `serde_json::Value` would reject — and the scanner then reads the line
//! again through [`FromJson`](crate::FromJson), which gives the record or the
//! error that names the line and the field.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{Definition, STATUS_NAMES, Status, WorkflowInstance, slot};
use crate::compile::enum_index;
use crate::schema::Field;
use crate::value::{parse_guid, parse_stored_datetime};
use crate::{FieldValue, FromJsonLine, Guid, Record};

/// A [`WorkflowInstance`] read from one JSON line, borrowing its text from
/// the line: what [`Scan`](crate::Scan) filters, so that only the records a
/// page keeps are copied. It reads exactly the records
/// [`FromJson`](crate::FromJson) reads, with the same field values.
///
/// ```
/// use kfql::keyfactor::InstanceRef;
///
/// let line = br#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "failed ",
///                "ReferenceId": 7, "Definition": {"WorkflowType": "Enrollment"}}"#;
/// let record = InstanceRef::from_line(line).unwrap();
/// let owned = record.into_owned();
/// assert_eq!(owned.reference_id, 7);
/// assert_eq!(owned.effective_workflow_type(), Some("Enrollment"));
/// // Not an instance: the checked reader says why.
/// assert!(InstanceRef::from_line(br#"{"Id": "x", "Status": "Failed", "ReferenceId": 7}"#).is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceRef<'a> {
    id: u128,
    status: Status,
    current_step_id: Option<u128>,
    status_message: Option<Cow<'a, str>>,
    definition: Option<DefinitionRef<'a>>,
    current_step_display_name: Option<Cow<'a, str>>,
    current_step_unique_name: Option<Cow<'a, str>>,
    title: Option<Cow<'a, str>>,
    last_modified: Option<DateTime<Utc>>,
    start_date: Option<DateTime<Utc>>,
    reference_id: i64,
    definition_id: Option<u128>,
    initiating_user_name: Option<Cow<'a, str>>,
    workflow_type: Option<Cow<'a, str>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct DefinitionRef<'a> {
    id: Option<u128>,
    display_name: Option<Cow<'a, str>>,
    version: Option<i64>,
    workflow_type: Option<Cow<'a, str>>,
}

impl<'a> InstanceRef<'a> {
    /// Decode one line of JSON Lines (its line end may be included), or
    /// `None` when it is not a well-formed workflow instance — or merely
    /// one this decoder leaves to the checked path, such as a record with
    /// a duplicate key.
    pub fn from_line(line: &'a [u8]) -> Option<InstanceRef<'a>> {
        // One check of the whole line spares serde_json one per string.
        let line = std::str::from_utf8(line).ok()?;
        let mut de = serde_json::Deserializer::from_str(line);
        let record = (&mut de).deserialize_map(InstanceVisitor).ok()?;
        de.end().ok()?;
        Some(record)
    }

    /// The owned record.
    pub fn into_owned(self) -> WorkflowInstance {
        let text = |t: Option<Cow<'_, str>>| t.map(Cow::into_owned);
        WorkflowInstance {
            id: Guid(self.id),
            status: self.status,
            current_step_id: self.current_step_id.map(Guid),
            status_message: text(self.status_message),
            definition: self.definition.map(|d| Definition {
                id: d.id.map(Guid),
                display_name: text(d.display_name),
                version: d.version,
                workflow_type: text(d.workflow_type),
            }),
            current_step_display_name: text(self.current_step_display_name),
            current_step_unique_name: text(self.current_step_unique_name),
            title: text(self.title),
            last_modified: self.last_modified,
            start_date: self.start_date,
            reference_id: self.reference_id,
            definition_id: self.definition_id.map(Guid),
            initiating_user_name: text(self.initiating_user_name),
            workflow_type: text(self.workflow_type),
        }
    }
}

fn opt_str<'s>(s: &'s Option<Cow<'_, str>>) -> FieldValue<'s> {
    s.as_deref().map_or(FieldValue::Null, FieldValue::Str)
}

fn opt_guid(g: Option<u128>) -> FieldValue<'static> {
    g.map_or(FieldValue::Null, FieldValue::Guid)
}

fn opt_time(t: Option<DateTime<Utc>>) -> FieldValue<'static> {
    t.map_or(FieldValue::Null, FieldValue::DateTime)
}

/// The same values as [`WorkflowInstance`]'s implementation, fallbacks
/// included.
impl Record for InstanceRef<'_> {
    #[inline]
    fn value(&self, field: &Field) -> FieldValue<'_> {
        match field.index() {
            slot::ID => FieldValue::Guid(self.id),
            slot::STATUS => FieldValue::Enum(self.status as usize),
            slot::CURRENT_STEP_ID => opt_guid(self.current_step_id),
            slot::STATUS_MESSAGE => opt_str(&self.status_message),
            slot::CURRENT_STEP_DISPLAY_NAME => opt_str(&self.current_step_display_name),
            slot::CURRENT_STEP_UNIQUE_NAME => opt_str(&self.current_step_unique_name),
            slot::TITLE => opt_str(&self.title),
            slot::LAST_MODIFIED => opt_time(self.last_modified),
            slot::START_DATE => opt_time(self.start_date),
            slot::REFERENCE_ID => FieldValue::Int(self.reference_id),
            slot::DEFINITION_ID => {
                opt_guid(self.definition_id.or_else(|| self.definition.as_ref()?.id))
            }
            slot::INITIATING_USER_NAME => opt_str(&self.initiating_user_name),
            slot::WORKFLOW_TYPE => self
                .workflow_type
                .as_deref()
                .or_else(|| self.definition.as_ref()?.workflow_type.as_deref())
                .map_or(FieldValue::Null, FieldValue::Str),
            _ => FieldValue::Invalid,
        }
    }
}

/// Workflow instances are scanned through [`InstanceRef`].
impl FromJsonLine for WorkflowInstance {
    type Borrowed<'a> = InstanceRef<'a>;

    fn decode(line: &[u8]) -> Option<InstanceRef<'_>> {
        InstanceRef::from_line(line)
    }

    fn into_owned(record: InstanceRef<'_>) -> WorkflowInstance {
        record.into_owned()
    }
}

// The decoder. Its errors carry no message: any error sends the line to
// the checked path, which explains it.

fn give_up<E: de::Error>() -> E {
    E::custom("left to the checked reader")
}

/// A string, borrowed when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

fn text(t: Option<Text<'_>>) -> Option<Cow<'_, str>> {
    t.map(|t| t.0)
}

fn guid<E: de::Error>(t: Option<Text<'_>>) -> Result<Option<u128>, E> {
    t.map(|t| parse_guid(&t.0).ok_or_else(give_up)).transpose()
}

fn datetime<E: de::Error>(t: Option<Text<'_>>) -> Result<Option<DateTime<Utc>>, E> {
    t.map(|t| parse_stored_datetime(&t.0).map_err(|_| give_up()))
        .transpose()
}

/// Any JSON value, skipped — but parsed as fully as `serde_json::Value`
/// parses it (numbers in range, strings valid UTF-8), unlike
/// `serde::de::IgnoredAny`, so that a line this decoder accepts is never
/// one the checked path rejects.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(Skip)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = Skip;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_key::<Skip>()?.is_some() {
            map.next_value::<Skip>()?;
        }
        Ok(Skip)
    }
}

/// An object key: the position of its name in a list, `None` for others.
struct Key(fn(&str) -> Option<usize>);

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E>(self, s: &str) -> Result<Option<usize>, E> {
        Ok((self.0)(s))
    }
}

/// The record's keys, as their schema slots.
fn instance_key(name: &str) -> Option<usize> {
    Some(match name {
        "Id" => slot::ID,
        "Status" => slot::STATUS,
        "CurrentStepId" => slot::CURRENT_STEP_ID,
        "StatusMessage" => slot::STATUS_MESSAGE,
        "Definition" => slot::DEFINITION,
        "CurrentStepDisplayName" => slot::CURRENT_STEP_DISPLAY_NAME,
        "CurrentStepUniqueName" => slot::CURRENT_STEP_UNIQUE_NAME,
        "Title" => slot::TITLE,
        "LastModified" => slot::LAST_MODIFIED,
        "StartDate" => slot::START_DATE,
        "ReferenceId" => slot::REFERENCE_ID,
        "DefinitionId" => slot::DEFINITION_ID,
        "InitiatingUserName" => slot::INITIATING_USER_NAME,
        "WorkflowType" => slot::WORKFLOW_TYPE,
        _ => return None,
    })
}

fn definition_key(name: &str) -> Option<usize> {
    ["Id", "DisplayName", "Version", "WorkflowType"]
        .iter()
        .position(|k| *k == name)
}

/// Marks each key as seen; a second occurrence gives up (the checked path
/// keeps the last value, as `serde_json::Value` does).
fn first_time<E: de::Error>(seen: &mut u32, key: usize) -> Result<(), E> {
    let bit = 1 << key;
    if *seen & bit != 0 {
        return Err(give_up());
    }
    *seen |= bit;
    Ok(())
}

struct InstanceVisitor;

impl<'de> Visitor<'de> for InstanceVisitor {
    type Value = InstanceRef<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a workflow instance object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<InstanceRef<'de>, A::Error> {
        let mut seen = 0;
        let (mut id, mut status, mut reference_id) = (None, None, None);
        let mut r = InstanceRef {
            id: 0,
            status: Status::Complete,
            current_step_id: None,
            status_message: None,
            definition: None,
            current_step_display_name: None,
            current_step_unique_name: None,
            title: None,
            last_modified: None,
            start_date: None,
            reference_id: 0,
            definition_id: None,
            initiating_user_name: None,
            workflow_type: None,
        };
        while let Some(key) = map.next_key_seed(Key(instance_key))? {
            let Some(key) = key else {
                map.next_value::<Skip>()?;
                continue;
            };
            first_time(&mut seen, key)?;
            match key {
                slot::ID => id = guid(map.next_value()?)?,
                slot::STATUS => {
                    status = match map.next_value::<Option<Text<'de>>>()? {
                        None => None,
                        // The canonical name, or the general rule.
                        Some(t) => match STATUS_NAMES.iter().position(|n| *n == t.0) {
                            Some(i) => Some(i),
                            None => Some(enum_index(&STATUS_NAMES, &t.0).ok_or_else(give_up)?),
                        },
                    }
                }
                slot::CURRENT_STEP_ID => r.current_step_id = guid(map.next_value()?)?,
                slot::STATUS_MESSAGE => r.status_message = text(map.next_value()?),
                slot::DEFINITION => r.definition = map.next_value()?,
                slot::CURRENT_STEP_DISPLAY_NAME => {
                    r.current_step_display_name = text(map.next_value()?)
                }
                slot::CURRENT_STEP_UNIQUE_NAME => {
                    r.current_step_unique_name = text(map.next_value()?)
                }
                slot::TITLE => r.title = text(map.next_value()?),
                slot::LAST_MODIFIED => r.last_modified = datetime(map.next_value()?)?,
                slot::START_DATE => r.start_date = datetime(map.next_value()?)?,
                slot::REFERENCE_ID => reference_id = map.next_value::<Option<i64>>()?,
                slot::DEFINITION_ID => r.definition_id = guid(map.next_value()?)?,
                slot::INITIATING_USER_NAME => r.initiating_user_name = text(map.next_value()?),
                _ => r.workflow_type = text(map.next_value()?),
            }
        }
        // Required, as in the checked path: missing or null gives up.
        r.id = id.ok_or_else(give_up)?;
        r.status = Status::ALL[status.ok_or_else(give_up)?];
        r.reference_id = reference_id.ok_or_else(give_up)?;
        Ok(r)
    }
}

impl<'de> Deserialize<'de> for DefinitionRef<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<DefinitionRef<'de>, D::Error> {
        // `deserialize_map`, not a derived struct: serde_json would also
        // accept an array for a struct, which the checked path rejects.
        d.deserialize_map(DefinitionVisitor)
    }
}

struct DefinitionVisitor;

impl<'de> Visitor<'de> for DefinitionVisitor {
    type Value = DefinitionRef<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a definition object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DefinitionRef<'de>, A::Error> {
        let mut seen = 0;
        let mut d = DefinitionRef {
            id: None,
            display_name: None,
            version: None,
            workflow_type: None,
        };
        while let Some(key) = map.next_key_seed(Key(definition_key))? {
            let Some(key) = key else {
                map.next_value::<Skip>()?;
                continue;
            };
            first_time(&mut seen, key)?;
            match key {
                0 => d.id = guid(map.next_value()?)?,
                1 => d.display_name = text(map.next_value()?),
                2 => d.version = map.next_value()?,
                _ => d.workflow_type = text(map.next_value()?),
            }
        }
        Ok(d)
    }
}
