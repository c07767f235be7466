-- 0001_instances (postgres): Keyfactor workflow instances.
--
-- The columns are those of kfql::sql::Mapping for the workflow-instance
-- schema, as src/server/keyfactor/store.rs builds it, plus what a response
-- needs that no query reads: the Definition object's display name and
-- version, and whether the record had a Definition at all. Datetimes and
-- GUIDs are text in the "C" collation, so that text order is their order.
CREATE TABLE workflow_instances (
    -- Input order, the sort's last tie-break: increasing as rows arrive.
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT COLLATE "C" NOT NULL,
    status TEXT NOT NULL,
    current_step_id TEXT COLLATE "C",
    status_message TEXT,
    current_step_display_name TEXT,
    current_step_unique_name TEXT,
    title TEXT,
    last_modified TEXT COLLATE "C",
    start_date TEXT COLLATE "C",
    reference_id BIGINT NOT NULL,
    definition_id TEXT COLLATE "C",
    -- Definition.Id, read when DefinitionId is null.
    def_id TEXT COLLATE "C",
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
-- Status -eq / -ne / an OR of them: `status = $1` and `status IN (…)`.
CREATE INDEX workflow_instances_status ON workflow_instances (status);
-- Status with the default sort and with StartDate, the most common filter
-- and sort (`Status -eq "Failed" AND StartDate -ge "%TODAY-30%"`, newest
-- first): a page walks one status's entries in the sort's order, and the
-- count of a time range reads the index alone.
CREATE INDEX workflow_instances_status_step ON workflow_instances
    (status, (lower(rtrim(current_step_display_name, ' ')) COLLATE "C") NULLS FIRST,
     reference_id NULLS FIRST, seq);
CREATE INDEX workflow_instances_status_start ON workflow_instances
    (status, start_date NULLS FIRST, reference_id NULLS FIRST, seq);
CREATE INDEX workflow_instances_status_start_desc ON workflow_instances
    (status, start_date DESC NULLS LAST, reference_id NULLS FIRST, seq);
-- The sorts, on the expressions the SQL sorts by, with its tie-breaks
-- (ReferenceId, then input order, both ascending): NULLS FIRST ascending,
-- NULLS LAST descending, as the SQL asks. A descending sort keeps its
-- tie-breaks ascending, which a backward scan does not give: one index
-- each way.
CREATE INDEX workflow_instances_step ON workflow_instances
    ((lower(rtrim(current_step_display_name, ' ')) COLLATE "C") NULLS FIRST,
     reference_id NULLS FIRST, seq);
CREATE INDEX workflow_instances_step_desc ON workflow_instances
    ((lower(rtrim(current_step_display_name, ' ')) COLLATE "C") DESC NULLS LAST,
     reference_id NULLS FIRST, seq);
CREATE INDEX workflow_instances_start ON workflow_instances
    (start_date NULLS FIRST, reference_id NULLS FIRST, seq);
CREATE INDEX workflow_instances_start_desc ON workflow_instances
    (start_date DESC NULLS LAST, reference_id NULLS FIRST, seq);
CREATE INDEX workflow_instances_modified ON workflow_instances
    (last_modified NULLS FIRST, reference_id NULLS FIRST, seq);
CREATE INDEX workflow_instances_modified_desc ON workflow_instances
    (last_modified DESC NULLS LAST, reference_id NULLS FIRST, seq);
CREATE INDEX workflow_instances_reference ON workflow_instances (reference_id NULLS FIRST, seq);
CREATE INDEX workflow_instances_reference_desc ON workflow_instances
    (reference_id DESC NULLS LAST, seq);
-- /Workflow/Instances/My and InitiatingUserName -eq: folded, trimmed text.
CREATE INDEX workflow_instances_user ON workflow_instances
    ((lower(rtrim(initiating_user_name, ' ')) COLLATE "C"));
