//! The record kinds the CLI serves, behind one trait so that querying,
//! paging and printing are written once.

use clap::ValueEnum;
use kfql::keyfactor::{self, WorkflowInstance};
use kfql::venafi::{self, WorkflowTicket};
use kfql::{Context, FromJsonLine, Schema};
use serde::Serialize;
use serde_json::Value;

/// `--schema`: which records a command is about.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum SchemaName {
    /// Keyfactor Command workflow instances (GET /Workflow/Instances).
    #[default]
    WorkflowInstances,
    /// Venafi TPP workflow tickets (POST /vedsdk/Workflow/Ticket/Create).
    WorkflowTickets,
}

impl SchemaName {
    pub fn schema(self) -> Schema {
        match self {
            SchemaName::WorkflowInstances => WorkflowInstance::schema(),
            SchemaName::WorkflowTickets => WorkflowTicket::schema(),
        }
    }
}

impl SchemaName {
    /// Whether the first bytes of a data file look like records of this
    /// kind: keys that only this kind has. A guess, used only to explain a
    /// record that does not fit the schema asked for.
    fn looks_like(self, head: &[u8]) -> bool {
        let has = |key: &str| {
            let key = format!("\"{key}\"");
            head.windows(key.len()).any(|w| w == key.as_bytes())
        };
        match self {
            SchemaName::WorkflowInstances => {
                has("ReferenceId") || has("CurrentStepDisplayName") || has("InitiatingUserName")
            }
            SchemaName::WorkflowTickets => {
                has("GUID") && (has("ObjectDN") || has("Approvers") || has("WorkflowDN"))
            }
        }
    }

    /// The `--schema` value.
    fn flag(self) -> &'static str {
        match self {
            SchemaName::WorkflowInstances => "workflow-instances",
            SchemaName::WorkflowTickets => "workflow-tickets",
        }
    }
}

/// When records of kind `T` could not be read and their first bytes look
/// like the other kind: which `--schema` to pass.
pub fn schema_hint<T: Kind>(head: &[u8]) -> Option<String> {
    if T::NAME.looks_like(head) {
        return None;
    }
    let other = [SchemaName::WorkflowInstances, SchemaName::WorkflowTickets]
        .into_iter()
        .find(|s| *s != T::NAME && s.looks_like(head))?;
    Some(format!(
        "these look like {}: pass --schema {}",
        other.flag().replace('-', " "),
        other.flag()
    ))
}

/// A record type the CLI can read, filter, sort, page and print.
pub trait Kind: FromJsonLine + Serialize + Send + Sized {
    /// Its `--schema`.
    const NAME: SchemaName;
    /// The schema queries compile against.
    fn schema() -> Schema;
    /// The built-in records used when no `--data` is given, if any.
    fn sample(ctx: &Context) -> Option<Vec<Self>>;
    /// The columns of `--format table`.
    const COLUMNS: &'static [&'static str];
    /// The record as the table shows it: its JSON, keyed by column.
    fn row(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl Kind for WorkflowInstance {
    const NAME: SchemaName = SchemaName::WorkflowInstances;

    fn schema() -> Schema {
        keyfactor::schema()
    }

    fn sample(ctx: &Context) -> Option<Vec<Self>> {
        Some(keyfactor::sample(1200, ctx.now(), 2026))
    }

    const COLUMNS: &'static [&'static str] = &[
        "ReferenceId",
        "Status",
        "StartDate",
        "WorkflowType",
        "InitiatingUserName",
        "CurrentStepDisplayName",
        "Title",
    ];

    fn row(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        // Show the effective value the query language sees.
        v["WorkflowType"] = self
            .effective_workflow_type()
            .map_or(Value::Null, |t| Value::String(t.into()));
        v
    }
}

impl Kind for WorkflowTicket {
    const NAME: SchemaName = SchemaName::WorkflowTickets;

    fn schema() -> Schema {
        venafi::schema()
    }

    /// Tickets have no built-in sample: storing them belongs to a service.
    fn sample(_: &Context) -> Option<Vec<Self>> {
        None
    }

    const COLUMNS: &'static [&'static str] = &[
        "GUID",
        "Status",
        "Created",
        "ObjectDN",
        "Approvers",
        "Reason",
    ];
}
