-- 0002_tickets (sqlite): Venafi workflow tickets, the records of kfql's
-- workflow-ticket schema. The columns are kfql::sql::Mapping::new(
-- &venafi::schema(), "workflow_tickets").input_order("seq"), so the sql
-- module can query them; Approvers, a string list, is a JSON array of
-- strings. Explanation and the schedule are what UpdateStatus was given.
CREATE TABLE workflow_tickets (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    guid TEXT NOT NULL UNIQUE,
    object_dn TEXT,
    workflow_dn TEXT,
    approvers TEXT NOT NULL DEFAULT '[]',
    reason BIGINT,
    user_data TEXT,
    status TEXT NOT NULL,
    created TEXT,
    updated TEXT,
    explanation TEXT,
    scheduled_start TEXT,
    scheduled_stop TEXT
);
CREATE INDEX workflow_tickets_object_dn ON workflow_tickets (kfql_fold(object_dn));
CREATE INDEX workflow_tickets_created ON workflow_tickets (created);
CREATE INDEX workflow_tickets_status ON workflow_tickets (status);
