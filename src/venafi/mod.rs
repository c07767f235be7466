//! Venafi Trust Protection Platform workflow tickets (docs/LANGUAGE.md,
//! “Workflow tickets”): the
//! `POST /vedsdk/Workflow/Ticket/Create` request and responses with the
//! API's exact JSON names, the request's validation, and ticket records with
//! their [`schema`], filtered, sorted and paged by the same compiled
//! [`Filter`](crate::Filter) as Keyfactor's workflow instances.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use kfql::venafi::{self, CreateRequest, TicketStatus};
//! use kfql::{Context, Guid, Page, Sort};
//!
//! let ctx = Context::new(Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap());
//! let request = CreateRequest::parse(br#"{
//!     "ObjectDN": "\\VED\\Policy\\Certificates\\web01.example.com",
//!     "WorkflowDN": "\\VED\\Policy\\Workflows\\Approval",
//!     "Approvers": ["local:{7b3e6b0a-1c1f-4f3e-9a53-2b1d0c4e5f60}",
//!                   {"Prefix": "AD+corp", "Name": "jsmith"}],
//!     "Reason": 12,
//!     "UserData": null
//! }"#)?;
//! let guid: Guid = "0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0".parse()?;
//! let ticket = venafi::create_ticket(&request, &ctx, guid)?;
//! assert_eq!(ticket.status, TicketStatus::Pending);
//! assert_eq!(ticket.approvers[1], "AD+corp:jsmith");
//! assert_eq!(serde_json::to_value(&ticket)?["GUID"], "{0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0}");
//!
//! // A malformed request: every problem, each with its field path.
//! let err = CreateRequest::parse(br#"{"ObjectDN": "\\VED\\Certs\\x", "Approvers": []}"#)
//!     .unwrap_err();
//! assert_eq!(err.problems().len(), 3);
//! assert_eq!(err.body().error, "invalid_request");
//!
//! // Tickets are records: `-eq` on Approvers holds when any approver matches.
//! let schema = venafi::schema();
//! let filter = kfql::compile(r#"Approvers -eq "AD+corp:JSMITH" AND Status -eq "pending""#, &schema, &ctx)?;
//! let page = filter.page([&ticket], &Sort::default_for(&schema), Page::default())?;
//! assert_eq!(page.total, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod identity;
pub(crate) mod strict;
mod ticket;
mod validate;

pub use ticket::{STATUS_NAMES, TicketStatus, WorkflowTicket, create_ticket, fresh_guid, schema};
pub use validate::{InvalidRequest, Problem};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Guid;

/// The body of `POST /vedsdk/Workflow/Ticket/Create`.
///
/// Build one with [`CreateRequest::parse`] (or `serde_json::from_*`, which
/// applies the same checks); a request built by hand is checked by
/// [`create_ticket`]. It serializes with the API's names; a string
/// `Reason` comes back as an integer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreateRequest {
    /// `ObjectDN`: the object the ticket is about, a Policy-tree DN
    /// (`\VED\Policy\…`).
    #[serde(rename = "ObjectDN")]
    pub object_dn: String,
    /// `Approvers`: one identity or several.
    #[serde(rename = "Approvers")]
    pub approvers: Approvers,
    /// `Reason`: a code from 0 to 999, if given.
    #[serde(rename = "Reason", skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// `UserData`: free text, if given.
    #[serde(rename = "UserData", skip_serializing_if = "Option::is_none")]
    pub user_data: Option<String>,
    /// `WorkflowDN`: the workflow object, a Policy-tree DN.
    #[serde(rename = "WorkflowDN")]
    pub workflow_dn: String,
}

impl CreateRequest {
    /// Read and validate a request body: UTF-8 JSON, one object, no
    /// duplicate or unknown keys, every rule of docs/LANGUAGE.md, “Workflow tickets”. The error lists
    /// every problem found, each with its field path.
    pub fn parse(body: &[u8]) -> Result<CreateRequest, InvalidRequest> {
        validate::parse(body)
    }

    /// Check a request built in code against the same rules as
    /// [`parse`](CreateRequest::parse): it is valid when its JSON is.
    pub fn validate(&self) -> Result<(), InvalidRequest> {
        match serde_json::to_vec(self) {
            Ok(body) => validate::parse(&body).map(drop),
            Err(e) => Err(InvalidRequest::single("", e.to_string())),
        }
    }
}

impl<'de> Deserialize<'de> for CreateRequest {
    /// Validates as [`CreateRequest::parse`] does; the error message is the
    /// HTTP-400 `error_description`.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<CreateRequest, D::Error> {
        let tree = strict::Json::deserialize(d)?;
        validate::from_tree(&tree).map_err(serde::de::Error::custom)
    }
}

/// `Approvers`: the API takes a single identity or an array of them, and
/// this keeps the shape it was given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Approvers {
    /// A single identity.
    One(Identity),
    /// A non-empty array of identities.
    Many(Vec<Identity>),
}

impl Approvers {
    /// The identities, in request order.
    pub fn iter(&self) -> impl Iterator<Item = &Identity> {
        match self {
            Approvers::One(one) => std::slice::from_ref(one).iter(),
            Approvers::Many(many) => many.iter(),
        }
    }
}

/// One approver: a prefixed string (`local:{…}`, `AD+corp:jsmith`) or an
/// identity object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Identity {
    /// `<prefix>:<universal or name>`.
    Prefixed(String),
    /// Venafi's Identity object.
    Object(IdentityObject),
}

impl Identity {
    /// The prefixed string a ticket records for this identity: the string
    /// itself, or the object's first present form among PrefixedUniversal,
    /// `Prefix:Universal`, PrefixedName and `Prefix:Name`.
    pub fn prefixed(&self) -> Option<String> {
        match self {
            Identity::Prefixed(s) => Some(s.clone()),
            Identity::Object(o) => {
                let joined = |rest: &Option<String>| {
                    Some(format!("{}:{}", o.prefix.as_ref()?, rest.as_ref()?))
                };
                o.prefixed_universal
                    .clone()
                    .or_else(|| joined(&o.universal))
                    .or_else(|| o.prefixed_name.clone())
                    .or_else(|| joined(&o.name))
            }
        }
    }
}

/// Venafi's Identity object. `FullName`, `IsContainer`, `IsGroup` and
/// `Type` are accepted and kept, but play no part in a ticket.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct IdentityObject {
    /// `PrefixedUniversal`: `<prefix>:<universal>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefixed_universal: Option<String>,
    /// `PrefixedName`: `<prefix>:<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefixed_name: Option<String>,
    /// `Prefix`: `local`, `AD+<name>` or `LDAP+<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// `Universal`: the identity's unique id (a braced GUID for `local`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub universal: Option<String>,
    /// `Name`: the identity's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `FullName` (ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// `IsContainer` (ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_container: Option<bool>,
    /// `IsGroup` (ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_group: Option<bool>,
    /// `Type` (ignored).
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub identity_type: Option<i64>,
}

/// `Reason`: a code from 0 to 999. It reads from a JSON integer or a
/// string of ASCII digits and writes as an integer.
///
/// ```
/// use kfql::venafi::Reason;
/// assert_eq!(serde_json::from_str::<Reason>(r#""007""#)?, Reason::new(7).unwrap());
/// assert!(serde_json::from_str::<Reason>("5.0").is_err());
/// assert!(Reason::new(1000).is_none());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reason(u16);

impl Reason {
    /// The largest reason code.
    pub const MAX: u16 = 999;

    /// `code`, if it is at most 999.
    pub fn new(code: u16) -> Option<Reason> {
        (code <= Reason::MAX).then_some(Reason(code))
    }

    /// The code.
    pub fn get(self) -> u16 {
        self.0
    }

    /// A non-empty string of ASCII digits (leading zeros allowed) within
    /// 0–999.
    pub(crate) fn from_digits(text: &str) -> Option<Reason> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let significant = text.trim_start_matches('0');
        if significant.len() > 3 {
            return None;
        }
        Reason::new(significant.parse().unwrap_or(0))
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u16(self.0)
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Reason, D::Error> {
        let bad = || serde::de::Error::custom("expected a reason code: an integer from 0 to 999");
        match strict::Json::deserialize(d)? {
            strict::Json::Int(n) => u16::try_from(n).ok().and_then(Reason::new).ok_or_else(bad),
            strict::Json::Str(s) => Reason::from_digits(&s).ok_or_else(bad),
            _ => Err(bad()),
        }
    }
}

/// The success body of Ticket/Create: `{"GUID": "{…}", "Result": 1}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateResponse {
    /// `GUID`: the new ticket's GUID, braced.
    #[serde(rename = "GUID", with = "braced")]
    pub guid: Guid,
    /// `Result`: [`ResultCode::Success`] when the ticket was created.
    #[serde(rename = "Result")]
    pub result: ResultCode,
}

impl CreateResponse {
    /// The body that reports `ticket` created.
    pub fn success(ticket: &WorkflowTicket) -> CreateResponse {
        CreateResponse {
            guid: ticket.guid,
            result: ResultCode::Success,
        }
    }
}

/// The HTTP-400 body: `{"error": "invalid_request", "error_description": "…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// `error`: `invalid_request`.
    pub error: String,
    /// `error_description`: every problem, `; `-separated.
    pub error_description: String,
}

/// The `Result` codes of Venafi's workflow-ticket API, written as their
/// integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ResultCode {
    /// 0
    None = 0,
    /// 1
    Success = 1,
    /// 2
    GenericFailure = 2,
    /// 3
    TicketDoesNotExist = 3,
    /// 4
    InsufficientPrivileges = 4,
    /// 5
    BadArguments = 5,
    /// 6
    ObjectDoesNotExist = 6,
    /// 7
    RemoteError = 7,
    /// 8
    WorkflowObjectDoesNotExist = 8,
}

impl ResultCode {
    /// Every code, in numeric order.
    pub const ALL: [ResultCode; 9] = [
        ResultCode::None,
        ResultCode::Success,
        ResultCode::GenericFailure,
        ResultCode::TicketDoesNotExist,
        ResultCode::InsufficientPrivileges,
        ResultCode::BadArguments,
        ResultCode::ObjectDoesNotExist,
        ResultCode::RemoteError,
        ResultCode::WorkflowObjectDoesNotExist,
    ];

    /// The code's number.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The code with this number, if there is one.
    pub fn from_code(code: u64) -> Option<ResultCode> {
        usize::try_from(code)
            .ok()
            .and_then(|i| ResultCode::ALL.get(i).copied())
    }

    /// The API's name for the code.
    pub fn name(self) -> &'static str {
        [
            "None",
            "Success",
            "GenericFailure",
            "TicketDoesNotExist",
            "InsufficientPrivileges",
            "BadArguments",
            "ObjectDoesNotExist",
            "RemoteError",
            "WorkflowObjectDoesNotExist",
        ][self as usize]
    }
}

impl std::fmt::Display for ResultCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for ResultCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.code())
    }
}

impl<'de> Deserialize<'de> for ResultCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ResultCode, D::Error> {
        let n = u64::deserialize(d)?;
        ResultCode::from_code(n)
            .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a Result code (0–8)")))
    }
}

/// Serde for GUIDs written braced and lower-case (`{0f1e…}`), read in any
/// form docs/LANGUAGE.md, “Types and operators”, accepts.
pub(crate) mod braced {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::Guid;

    pub(crate) fn serialize<S: Serializer>(g: &Guid, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{{{g}}}"))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Guid, D::Error> {
        Guid::deserialize(d)
    }
}
