//! An instance as the API returns it: the record's PascalCase JSON, its
//! members in the record's order (Id first, as Keyfactor sends them),
//! null members left out, Status as a name or, in integer mode, as its
//! integer.
//!
//! Nulls are left out because a missing member means null (kfql reads
//! records so) and the vendor's generated client cannot decode a null
//! datetime, Definition or Status.
//!
//! The members are written one by one through [`json::Object`], not
//! through the record's `Serialize`: that was the larger part of the
//! service's own work on a page (server/json.rs says why). The names and
//! their order are the record's serde names and order, written out here;
//! the tests hold the two to the same bytes for records with every
//! member present, absent and holding text to escape.

use super::status;
use crate::keyfactor::WorkflowInstance;
use crate::server::{StatusFormat, json};

/// A page of instances as the JSON array the API answers with, in a
/// buffer sized for it up front (growing one from a few bytes copied each
/// answer several times over).
pub(crate) fn page_json(records: &[WorkflowInstance], format: StatusFormat) -> Vec<u8> {
    /// About what one instance takes (640 bytes for the benchmarks' ones).
    const PER_RECORD: usize = 768;
    let mut out = Vec::with_capacity(2 + records.len() * PER_RECORD);
    out.push(b'[');
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_instance(&mut out, r, format);
    }
    out.push(b']');
    out
}

/// One instance, as `GET /Workflow/Instances/{id}` answers.
pub(crate) fn instance_json(record: &WorkflowInstance, format: StatusFormat) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    write_instance(&mut out, record, format);
    out
}

fn write_instance(out: &mut Vec<u8>, r: &WorkflowInstance, format: StatusFormat) {
    let mut o = json::Object::new(out);
    o.guid("Id", Some(r.id));
    match format {
        StatusFormat::Name => o.str("Status", Some(r.status.name())),
        StatusFormat::Integer => o.uint("Status", status::integer(r.status)),
    }
    o.guid("CurrentStepId", r.current_step_id);
    o.str("StatusMessage", r.status_message.as_deref());
    if let Some(d) = &r.definition {
        o.object("Definition", |o| {
            o.guid("Id", d.id);
            o.str("DisplayName", d.display_name.as_deref());
            o.int("Version", d.version);
            o.str("WorkflowType", d.workflow_type.as_deref());
        });
    }
    o.str(
        "CurrentStepDisplayName",
        r.current_step_display_name.as_deref(),
    );
    o.str(
        "CurrentStepUniqueName",
        r.current_step_unique_name.as_deref(),
    );
    o.str("Title", r.title.as_deref());
    o.utc("LastModified", r.last_modified.as_ref());
    o.utc("StartDate", r.start_date.as_ref());
    o.int("ReferenceId", Some(r.reference_id));
    o.guid("DefinitionId", r.definition_id);
    o.str("InitiatingUserName", r.initiating_user_name.as_deref());
    o.str("WorkflowType", r.workflow_type.as_deref());
    o.end();
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
