-- 0001_instances (sqlite): Keyfactor workflow instances.
--
-- The columns are those of kfql::sql::Mapping for the workflow-instance
-- schema, as src/server/keyfactor/store.rs builds it (a test compares them
-- with Mapping::create_table), plus what a response needs that no query
-- reads: the Definition object's display name and version, and whether the
-- record had a Definition at all. Datetimes are UTC text with nine fraction
-- digits and GUIDs lower-case text, so that text order is their order.
CREATE TABLE workflow_instances (
    -- Input order, the sort's last tie-break: the rowid, increasing as
    -- rows arrive.
    seq INTEGER PRIMARY KEY,
    id TEXT COLLATE BINARY NOT NULL,
    status TEXT NOT NULL,
    current_step_id TEXT COLLATE BINARY,
    status_message TEXT,
    current_step_display_name TEXT,
    current_step_unique_name TEXT,
    title TEXT,
    last_modified TEXT COLLATE BINARY,
    start_date TEXT COLLATE BINARY,
    reference_id BIGINT NOT NULL,
    definition_id TEXT COLLATE BINARY,
    -- Definition.Id, read when DefinitionId is null.
    def_id TEXT COLLATE BINARY,
    initiating_user_name TEXT,
    workflow_type TEXT,
    -- Definition.WorkflowType, read when WorkflowType is null.
    def_workflow_type TEXT,
    has_definition BOOLEAN NOT NULL,
    def_display_name TEXT,
    def_version BIGINT
);

-- GET /Workflow/Instances/{id}; an instance GUID names one instance.
CREATE UNIQUE INDEX workflow_instances_id ON workflow_instances (id);
-- Status -eq / -ne / an OR of them: `status = ?` and `status IN (…)`.
CREATE INDEX workflow_instances_status ON workflow_instances (status);
-- Status with the default sort and with StartDate, the most common filter
-- and sort (`Status -eq "Failed" AND StartDate -ge "%TODAY-30%"`, newest
-- first): a page walks one status's entries in the sort's order, and
-- the count of a time range reads the index alone. Without them SQLite
-- 3.54 sorted every match of the status for a page of 50 (measured over
-- 100,000 instances: 30 ms against 0.07 ms), statistics or not.
CREATE INDEX workflow_instances_status_step ON workflow_instances
    (status, kfql_fold(rtrim(current_step_display_name, ' ')), reference_id, seq);
CREATE INDEX workflow_instances_status_start ON workflow_instances
    (status, start_date, reference_id, seq);
CREATE INDEX workflow_instances_status_start_desc ON workflow_instances
    (status, start_date DESC, reference_id, seq);
-- The sorts, each with the tie-breaks the SQL adds (ReferenceId, then
-- input order, both ascending), on the expressions the SQL sorts by:
-- folded, trimmed text for strings, the column itself for datetimes and
-- integers. A descending sort keeps its tie-breaks ascending, which a
-- backward scan of an ascending index does not give: one index each way.
CREATE INDEX workflow_instances_step ON workflow_instances
    (kfql_fold(rtrim(current_step_display_name, ' ')), reference_id, seq);
CREATE INDEX workflow_instances_step_desc ON workflow_instances
    (kfql_fold(rtrim(current_step_display_name, ' ')) DESC, reference_id, seq);
CREATE INDEX workflow_instances_start ON workflow_instances (start_date, reference_id, seq);
CREATE INDEX workflow_instances_start_desc ON workflow_instances (start_date DESC, reference_id, seq);
CREATE INDEX workflow_instances_modified ON workflow_instances (last_modified, reference_id, seq);
CREATE INDEX workflow_instances_modified_desc ON workflow_instances
    (last_modified DESC, reference_id, seq);
-- Sorting by ReferenceId, the key, repeats it as the tie-break
-- (`reference_id DESC, reference_id ASC, seq`); SQLite uses an index for
-- that ORDER BY only when the index repeats it too.
CREATE INDEX workflow_instances_reference ON workflow_instances
    (reference_id, reference_id, seq);
CREATE INDEX workflow_instances_reference_desc ON workflow_instances
    (reference_id DESC, reference_id, seq);
-- /Workflow/Instances/My and InitiatingUserName -eq: folded, trimmed text.
CREATE INDEX workflow_instances_user ON workflow_instances
    (kfql_fold(rtrim(initiating_user_name, ' ')));
