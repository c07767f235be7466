-- 0005_instances_version (sqlite): a number that moves on with every
-- change to workflow_instances, from any connection or program (`kfql
-- import`, a tool of the user's), so that the service can remember a
-- query's count for as long as the instances stay as they were (see
-- src/server/keyfactor/store.rs). Counting is most of a page's time: the
-- matches of one status among 100,000 instances take milliseconds to
-- count, the page itself a tenth of that.
CREATE TABLE kfql_instances_version (
    only INTEGER PRIMARY KEY CHECK (only = 1),
    n INTEGER NOT NULL
);
INSERT INTO kfql_instances_version VALUES (1, 0);
-- SQLite's triggers are per row: an import of 100,000 instances bumps it
-- 100,000 times, inside its own transaction.
CREATE TRIGGER workflow_instances_inserted AFTER INSERT ON workflow_instances
BEGIN UPDATE kfql_instances_version SET n = n + 1; END;
CREATE TRIGGER workflow_instances_updated AFTER UPDATE ON workflow_instances
BEGIN UPDATE kfql_instances_version SET n = n + 1; END;
-- A trigger also keeps `DELETE FROM workflow_instances` from taking
-- SQLite's truncate shortcut, which fires none.
CREATE TRIGGER workflow_instances_deleted AFTER DELETE ON workflow_instances
BEGIN UPDATE kfql_instances_version SET n = n + 1; END;
