//! Keyfactor Command workflow instances (GET /Workflow/Instances): the
//! record type with the API's exact PascalCase names, its schema (docs/LANGUAGE.md, “Workflow instances”),
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
use crate::schema::Schema;
use crate::{Enum, Guid, TypedRecord};

/// The names of [`Status`], in schema order.
pub const STATUS_NAMES: &[&str] = <Status as Enum>::NAMES;

/// A workflow instance's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, kfql_derive::Enum)]
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
        STATUS_NAMES[self.index()]
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

/// One workflow instance, as GET /Workflow/Instances returns it. Its
/// schema ([`schema`]) and field access come from the derive: each field is
/// declared here once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, kfql_derive::Record)]
#[serde(rename_all = "PascalCase")]
#[kfql(name = "workflow instances")]
pub struct WorkflowInstance {
    /// The instance GUID.
    pub id: Guid,
    /// Its status.
    pub status: Status,
    /// The current step's GUID.
    #[kfql(not_queryable)]
    pub current_step_id: Option<Guid>,
    /// A status message.
    #[kfql(not_queryable)]
    pub status_message: Option<String>,
    /// The definition.
    #[kfql(object, hint = "query or sort by DefinitionId or WorkflowType instead")]
    pub definition: Option<Definition>,
    /// The current step's display name: the default sort field.
    #[kfql(not_queryable, default_sort)]
    pub current_step_display_name: Option<String>,
    /// The current step's unique name.
    #[kfql(not_queryable)]
    pub current_step_unique_name: Option<String>,
    /// The title.
    pub title: Option<String>,
    /// When the instance last changed.
    #[serde(serialize_with = "crate::value::serialize_utc")]
    pub last_modified: Option<DateTime<Utc>>,
    /// When it started.
    #[serde(serialize_with = "crate::value::serialize_utc")]
    pub start_date: Option<DateTime<Utc>>,
    /// The reference id: the key.
    #[kfql(key)]
    pub reference_id: i64,
    /// The definition's GUID (read from `Definition.Id` when absent).
    #[kfql(fallback = "Definition.Id", with = "effective_definition_id")]
    pub definition_id: Option<Guid>,
    /// `DOMAIN\username` of who started it.
    pub initiating_user_name: Option<String>,
    /// The workflow type (read from `Definition.WorkflowType` when absent).
    #[kfql(fallback = "Definition.WorkflowType", with = "effective_workflow_type")]
    pub workflow_type: Option<String>,
}

/// The workflow-instance schema (docs/LANGUAGE.md, “Workflow instances”):
/// nine queryable fields, every field but `Definition` sortable, key
/// `ReferenceId`, default sort `CurrentStepDisplayName`.
///
/// ```
/// let schema = kfql::keyfactor::schema();
/// assert_eq!(schema.key().unwrap().name(), "ReferenceId");
/// assert_eq!(schema.fields().iter().filter(|f| f.queryable()).count(), 9);
/// ```
pub fn schema() -> Schema {
    WorkflowInstance::schema()
}

impl WorkflowInstance {
    /// `DefinitionId`, or `Definition.Id` when that is absent.
    #[inline] // read in bound filters' loops over records
    pub fn effective_definition_id(&self) -> Option<Guid> {
        self.definition_id.or_else(|| self.definition.as_ref()?.id)
    }

    /// `WorkflowType`, or `Definition.WorkflowType` when that is absent.
    #[inline] // read in bound filters' loops over records
    pub fn effective_workflow_type(&self) -> Option<&str> {
        self.workflow_type
            .as_deref()
            .or_else(|| self.definition.as_ref()?.workflow_type.as_deref())
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
                .required(o.enumeration("Status", STATUS_NAMES)?, "Status")
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
