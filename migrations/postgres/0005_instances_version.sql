-- 0005_instances_version (postgres): nothing. On SQLite this migration
-- lets the service remember counts between changes to the instances;
-- on PostgreSQL every count is run (a repeatable-read snapshot, and
-- counting there is not what limits the service; see BENCHMARKS.md).
SELECT 1;
