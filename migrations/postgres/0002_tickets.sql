-- 0002_tickets (postgres): Venafi workflow tickets, the records of kfql's
-- workflow-ticket schema. The columns are kfql::sql::Mapping::new(
-- &venafi::schema(), "workflow_tickets").input_order("seq"), so the sql
-- module can query them (GUIDs and datetimes COLLATE "C", as it expects);
-- Approvers, a string list, is a JSON array of strings. Explanation and
-- the schedule are what UpdateStatus was given.
CREATE TABLE workflow_tickets (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guid TEXT COLLATE "C" NOT NULL UNIQUE,
    object_dn TEXT,
    workflow_dn TEXT,
    approvers TEXT NOT NULL DEFAULT '[]',
    reason BIGINT,
    user_data TEXT,
    status TEXT NOT NULL,
    created TEXT COLLATE "C",
    updated TEXT COLLATE "C",
    explanation TEXT,
    scheduled_start TEXT COLLATE "C",
    scheduled_stop TEXT COLLATE "C"
);
CREATE INDEX workflow_tickets_object_dn ON workflow_tickets (lower(object_dn));
CREATE INDEX workflow_tickets_created ON workflow_tickets (created NULLS FIRST);
CREATE INDEX workflow_tickets_status ON workflow_tickets (status);
