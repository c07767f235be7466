//! Keyfactor Command workflow instances (GET /Workflow/Instances): the
//! record type with the API's exact PascalCase names, its schema (SPEC §6),
//! and its checked conversion from JSON.

mod borrowed;
mod request;
mod sample;

pub use borrowed::InstanceRef;
pub use request::{Parameter, Plan, Request};
pub use sample::sample;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::json::{FromJson, Obj};
use crate::schema::{Field, FieldType, Schema};
use crate::{FieldValue, Guid, Record};

/// The names of [`Status`], in schema order.
pub const STATUS_NAMES: [&str; 6] = [
    "CanceledForRestart",
    "Complete",
    "Failed",
    "Rejected",
    "Running",
    "Suspended",
];

/// A workflow instance's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    /// `CanceledForRestart`
    CanceledForRestart,
    /// `Complete`
    Complete,
    /// `Failed`
    Failed,
    /// `Rejected`
    Rejected,
    /// `Running`
    Running,
    /// `Suspended`
    Suspended,
}

impl Status {
    /// Every status, in schema order.
    pub const ALL: [Status; 6] = [
        Status::CanceledForRestart,
        Status::Complete,
        Status::Failed,
        Status::Rejected,
        Status::Running,
        Status::Suspended,
    ];

    /// The API's name for the status.
    pub fn name(self) -> &'static str {
        STATUS_NAMES[self as usize]
    }
}

/// The workflow definition an instance runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Definition {
    /// The definition's GUID.
    pub id: Option<Guid>,
    /// Its display name.
    pub display_name: Option<String>,
    /// Its version.
    pub version: Option<i64>,
    /// Enrollment, Revocation, CertificateEnteredCollection, …
    pub workflow_type: Option<String>,
}

/// One workflow instance, as GET /Workflow/Instances returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WorkflowInstance {
    /// The instance GUID.
    pub id: Guid,
    /// Its status.
    pub status: Status,
    /// The current step's GUID.
    pub current_step_id: Option<Guid>,
    /// A status message.
    pub status_message: Option<String>,
    /// The definition.
    pub definition: Option<Definition>,
    /// The current step's display name: the default sort field.
    pub current_step_display_name: Option<String>,
    /// The current step's unique name.
    pub current_step_unique_name: Option<String>,
    /// The title.
    pub title: Option<String>,
    /// When the instance last changed.
    pub last_modified: Option<DateTime<Utc>>,
    /// When it started.
    pub start_date: Option<DateTime<Utc>>,
    /// The reference id: the key.
    pub reference_id: i64,
    /// The definition's GUID (read from `Definition.Id` when absent).
    pub definition_id: Option<Guid>,
    /// `DOMAIN\username` of who started it.
    pub initiating_user_name: Option<String>,
    /// The workflow type (read from `Definition.WorkflowType` when absent).
    pub workflow_type: Option<String>,
}

/// Field positions in [`schema`], which [`WorkflowInstance`]'s
/// [`Record`] implementation dispatches on.
mod slot {
    pub const ID: usize = 0;
    pub const STATUS: usize = 1;
    pub const CURRENT_STEP_ID: usize = 2;
    pub const STATUS_MESSAGE: usize = 3;
    pub const DEFINITION: usize = 4;
    pub const CURRENT_STEP_DISPLAY_NAME: usize = 5;
    pub const CURRENT_STEP_UNIQUE_NAME: usize = 6;
    pub const TITLE: usize = 7;
    pub const LAST_MODIFIED: usize = 8;
    pub const START_DATE: usize = 9;
    pub const REFERENCE_ID: usize = 10;
    pub const DEFINITION_ID: usize = 11;
    pub const INITIATING_USER_NAME: usize = 12;
    pub const WORKFLOW_TYPE: usize = 13;
}

/// The workflow-instance schema of SPEC §6: nine queryable fields, every
/// field but `Definition` sortable, key `ReferenceId`, default sort
/// `CurrentStepDisplayName`.
///
/// ```
/// let schema = kfql::keyfactor::schema();
/// assert_eq!(schema.key().unwrap().name(), "ReferenceId");
/// assert_eq!(schema.fields().iter().filter(|f| f.queryable()).count(), 9);
/// ```
pub fn schema() -> Schema {
    static SCHEMA: std::sync::OnceLock<Schema> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(build_schema).clone()
}

fn build_schema() -> Schema {
    use FieldType::*;
    Schema::builder("workflow instances")
        .field("Id", Guid)
        .field("Status", FieldType::enumeration(STATUS_NAMES))
        .field("CurrentStepId", Guid)
        .not_queryable()
        .field("StatusMessage", String)
        .not_queryable()
        .field("Definition", Object)
        .hint("query or sort by DefinitionId or WorkflowType instead")
        .field("CurrentStepDisplayName", String)
        .not_queryable()
        .field("CurrentStepUniqueName", String)
        .not_queryable()
        .field("Title", String)
        .field("LastModified", DateTime)
        .field("StartDate", DateTime)
        .field("ReferenceId", Integer)
        .field("DefinitionId", Guid)
        .fallback("Definition.Id")
        .field("InitiatingUserName", String)
        .field("WorkflowType", String)
        .fallback("Definition.WorkflowType")
        .key("ReferenceId")
        .default_sort("CurrentStepDisplayName")
        .build()
        .expect("the built-in schema is valid")
}

fn opt_str(s: &Option<String>) -> FieldValue<'_> {
    s.as_deref().map_or(FieldValue::Null, FieldValue::Str)
}

fn opt_guid(g: Option<Guid>) -> FieldValue<'static> {
    g.map_or(FieldValue::Null, |g| FieldValue::Guid(g.0))
}

fn opt_time(t: Option<DateTime<Utc>>) -> FieldValue<'static> {
    t.map_or(FieldValue::Null, FieldValue::DateTime)
}

impl WorkflowInstance {
    /// `DefinitionId`, or `Definition.Id` when that is absent.
    pub fn effective_definition_id(&self) -> Option<Guid> {
        self.definition_id.or_else(|| self.definition.as_ref()?.id)
    }

    /// `WorkflowType`, or `Definition.WorkflowType` when that is absent.
    pub fn effective_workflow_type(&self) -> Option<&str> {
        self.workflow_type
            .as_deref()
            .or_else(|| self.definition.as_ref()?.workflow_type.as_deref())
    }
}

impl Record for WorkflowInstance {
    /// Dispatches on [`Field::index`]: use with [`schema`]. Inlined into the
    /// evaluator so that the `FieldValue` never exists in memory.
    #[inline(always)]
    fn value(&self, field: &Field) -> FieldValue<'_> {
        match field.index() {
            slot::ID => FieldValue::Guid(self.id.0),
            slot::STATUS => FieldValue::Enum(self.status as usize),
            slot::CURRENT_STEP_ID => opt_guid(self.current_step_id),
            slot::STATUS_MESSAGE => opt_str(&self.status_message),
            slot::CURRENT_STEP_DISPLAY_NAME => opt_str(&self.current_step_display_name),
            slot::CURRENT_STEP_UNIQUE_NAME => opt_str(&self.current_step_unique_name),
            slot::TITLE => opt_str(&self.title),
            slot::LAST_MODIFIED => opt_time(self.last_modified),
            slot::START_DATE => opt_time(self.start_date),
            slot::REFERENCE_ID => FieldValue::Int(self.reference_id),
            slot::DEFINITION_ID => opt_guid(self.effective_definition_id()),
            slot::INITIATING_USER_NAME => opt_str(&self.initiating_user_name),
            slot::WORKFLOW_TYPE => self
                .effective_workflow_type()
                .map_or(FieldValue::Null, FieldValue::Str),
            slot::DEFINITION => FieldValue::Invalid,
            _ => FieldValue::Invalid,
        }
    }
}

impl FromJson for WorkflowInstance {
    fn from_json(o: &Obj<'_>) -> Result<WorkflowInstance, crate::json::FieldError> {
        let definition = match o.object("Definition")? {
            None => None,
            Some(d) => Some(Definition {
                id: d.guid("Id")?,
                display_name: d.string("DisplayName")?,
                version: d.integer("Version")?,
                workflow_type: d.string("WorkflowType")?,
            }),
        };
        Ok(WorkflowInstance {
            id: o.required(o.guid("Id")?, "Id")?,
            status: o
                .required(o.enumeration("Status", &STATUS_NAMES)?, "Status")
                .map(|i| Status::ALL[i])?,
            current_step_id: o.guid("CurrentStepId")?,
            status_message: o.string("StatusMessage")?,
            definition,
            current_step_display_name: o.string("CurrentStepDisplayName")?,
            current_step_unique_name: o.string("CurrentStepUniqueName")?,
            title: o.string("Title")?,
            last_modified: o.datetime("LastModified")?,
            start_date: o.datetime("StartDate")?,
            reference_id: o.required(o.integer("ReferenceId")?, "ReferenceId")?,
            definition_id: o.guid("DefinitionId")?,
            initiating_user_name: o.string("InitiatingUserName")?,
            workflow_type: o.string("WorkflowType")?,
        })
    }
}
