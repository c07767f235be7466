//! Workflow-ticket records (docs/LANGUAGE.md, “Workflow tickets”): the record type with the API's
//! names, its schema, its checked conversion from JSON, and the creation of
//! a ticket from a valid request.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::{CreateRequest, Identity, InvalidRequest, braced};
use crate::json::{FieldError, FromJson, Obj, parse_line};
use crate::schema::Schema;
use crate::value::enum_index;
use crate::{Context, Enum, FromJsonLine, Guid, TypedRecord};

/// The names of [`TicketStatus`], in schema order, spelled as the API
/// spells them.
pub const STATUS_NAMES: &[&str] = <TicketStatus as Enum>::NAMES;

/// A ticket's status. It reads in any case with trailing spaces ignored,
/// and writes as the API spells it.
///
/// ```
/// use kfql::venafi::TicketStatus;
/// assert_eq!("approved after  ".parse::<TicketStatus>()?, TicketStatus::ApprovedAfter);
/// assert_eq!(TicketStatus::ApprovedBetween.to_string(), "Approved Between");
/// assert!("Approved  After".parse::<TicketStatus>().is_err()); // one inner space
/// # Ok::<(), kfql::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, kfql_derive::Enum)]
pub enum TicketStatus {
    /// `Pending`: every new ticket.
    Pending,
    /// `Approved`
    Approved,
    /// `Approved After`
    #[kfql(rename = "Approved After")]
    ApprovedAfter,
    /// `Approved Between`
    #[kfql(rename = "Approved Between")]
    ApprovedBetween,
    /// `Rejected`
    Rejected,
}

impl TicketStatus {
    /// Every status, in schema order.
    pub const ALL: [TicketStatus; 5] = [
        TicketStatus::Pending,
        TicketStatus::Approved,
        TicketStatus::ApprovedAfter,
        TicketStatus::ApprovedBetween,
        TicketStatus::Rejected,
    ];

    /// The API's name for the status.
    pub fn name(self) -> &'static str {
        STATUS_NAMES[self.index()]
    }
}

impl fmt::Display for TicketStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for TicketStatus {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<TicketStatus, crate::Error> {
        enum_index(STATUS_NAMES, s)
            .map(|i| TicketStatus::ALL[i])
            .ok_or_else(|| {
                crate::Error::new(
                    crate::ErrorKind::InvalidValue,
                    format!("`{s}` is not one of {}", STATUS_NAMES.join(", ")),
                )
            })
    }
}

impl Serialize for TicketStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for TicketStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TicketStatus, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One workflow ticket, with exactly the names of docs/LANGUAGE.md, “Workflow tickets”. Every key is
/// written, null when absent; `Approvers` is always an array.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, kfql_derive::Record)]
#[kfql(name = "workflow tickets")]
pub struct WorkflowTicket {
    /// `GUID`: the key, written braced and lower-case.
    #[serde(rename = "GUID", with = "braced")]
    #[kfql(key)]
    pub guid: Guid,
    /// `ObjectDN`
    #[serde(rename = "ObjectDN", default)]
    pub object_dn: Option<String>,
    /// `WorkflowDN`
    #[serde(rename = "WorkflowDN", default)]
    pub workflow_dn: Option<String>,
    /// `Approvers`: prefixed strings in request order, duplicates kept. An
    /// empty list (also what null or missing reads as) queries as null.
    #[serde(rename = "Approvers", default, deserialize_with = "null_as_empty")]
    pub approvers: Vec<String>,
    /// `Reason`
    #[serde(rename = "Reason", default)]
    pub reason: Option<i64>,
    /// `UserData`
    #[serde(rename = "UserData", default)]
    pub user_data: Option<String>,
    /// `Status`
    #[serde(rename = "Status")]
    pub status: TicketStatus,
    /// `Created`: RFC 3339 in UTC with `Z`.
    #[serde(rename = "Created", default)]
    #[kfql(default_sort)]
    pub created: Option<DateTime<Utc>>,
    /// `Updated`: RFC 3339 in UTC with `Z`.
    #[serde(rename = "Updated", default)]
    pub updated: Option<DateTime<Utc>>,
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

/// A new ticket for a valid `request`: status Pending, created and updated
/// at the context's now, with the GUID `guid` (pass [`fresh_guid`]`()`
/// outside tests). A request that fails [`CreateRequest::validate`] is
/// refused with its problems.
pub fn create_ticket(
    request: &CreateRequest,
    ctx: &Context,
    guid: Guid,
) -> Result<WorkflowTicket, InvalidRequest> {
    request.validate()?;
    Ok(WorkflowTicket {
        guid,
        object_dn: Some(request.object_dn.clone()),
        workflow_dn: Some(request.workflow_dn.clone()),
        approvers: request
            .approvers
            .iter()
            .filter_map(Identity::prefixed)
            .collect(),
        reason: request.reason.map(|r| i64::from(r.get())),
        user_data: request.user_data.clone(),
        status: TicketStatus::Pending,
        created: Some(ctx.now()),
        updated: Some(ctx.now()),
    })
}

impl WorkflowTicket {
    /// [`create_ticket`] with a [`fresh_guid`].
    pub fn create(
        request: &CreateRequest,
        ctx: &Context,
    ) -> Result<WorkflowTicket, InvalidRequest> {
        create_ticket(request, ctx, fresh_guid())
    }
}

/// A random version-4 GUID, from the operating system's generator when it
/// can be read and otherwise from std's randomly keyed hasher over a
/// counter, the clock and the process id.
pub fn fresh_guid() -> Guid {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    let from_os = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok();
    let g = if from_os {
        u128::from_be_bytes(bytes)
    } else {
        hashed_bits()
    };
    // RFC 4122: version 4 in bits 76–79, variant 10 in bits 62–63.
    let g = (g & !(0xf << 76)) | (0x4 << 76);
    Guid((g & !(0x3 << 62)) | (0x2 << 62))
}

fn hashed_bits() -> u128 {
    use std::collections::hash_map::RandomState;
    use std::hash::BuildHasher;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let half =
        |salt: u8| u128::from(RandomState::new().hash_one((salt, n, nanos, std::process::id())));
    (half(0) << 64) | half(1)
}

/// The workflow-ticket schema of docs/LANGUAGE.md, “Workflow tickets”: every field queryable and
/// sortable, `Approvers` a string list, key `GUID`, default sort `Created`.
///
/// ```
/// let schema = kfql::venafi::schema();
/// assert_eq!(schema.key().unwrap().name(), "GUID");
/// assert_eq!(schema.default_sort().unwrap().name(), "Created");
/// assert!(schema.fields().iter().all(|f| f.queryable() && f.sortable()));
/// ```
pub fn schema() -> Schema {
    WorkflowTicket::schema()
}

impl FromJson for WorkflowTicket {
    /// GUID and Status are required; other fields may be missing or null;
    /// unknown keys are ignored.
    fn from_json(o: &Obj<'_>) -> Result<WorkflowTicket, FieldError> {
        Ok(WorkflowTicket {
            guid: o.required(o.guid("GUID")?, "GUID")?,
            object_dn: o.string("ObjectDN")?,
            workflow_dn: o.string("WorkflowDN")?,
            approvers: string_list(o.get("Approvers"), "Approvers")?,
            reason: o.integer("Reason")?,
            user_data: o.string("UserData")?,
            status: o
                .required(o.enumeration("Status", STATUS_NAMES)?, "Status")
                .map(|i| TicketStatus::ALL[i])?,
            created: o.datetime("Created")?,
            updated: o.datetime("Updated")?,
        })
    }
}

/// An array of strings; missing or null is the empty list. (Ticket
/// records are top-level objects, so `key` is the whole field path.)
fn string_list(v: Option<&Value>, key: &str) -> Result<Vec<String>, FieldError> {
    let kind = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    match v {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                item.as_str().map(str::to_owned).ok_or_else(|| FieldError {
                    field: format!("{key}[{i}]"),
                    message: format!("expected a string, found {}", kind(item)),
                })
            })
            .collect(),
        Some(other) => Err(FieldError {
            field: key.to_owned(),
            message: format!("expected an array of strings, found {}", kind(other)),
        }),
    }
}

/// Venafi tickets have no borrowed form: `decode` is the checked path.
impl FromJsonLine for WorkflowTicket {
    type Borrowed<'a> = WorkflowTicket;

    fn decode(line: &[u8]) -> Option<WorkflowTicket> {
        parse_line(line).ok()
    }

    fn into_owned(record: WorkflowTicket) -> WorkflowTicket {
        record
    }
}
