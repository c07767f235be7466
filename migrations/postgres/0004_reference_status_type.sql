-- 0004_reference_status_type (postgres): nothing. SQLite's migration of
-- the same name adds an index for counting a ReferenceId range with Status
-- and WorkflowType tests; PostgreSQL's parallel scan already counts
-- BENCHMARKS.md's Q4 faster than the service answers (0.93× in
-- BENCHMARKS.md), so it gets no index to keep up on every write.
SELECT 1;
