-- Up Migration
-- Executions pipeline: workflow counters without a hot row, and the sweeper's index.
--
-- Counters. The seed keeps total/successful/failed_executions and last_execution_at on the
-- workflows row. Updating that row from every finishing execution makes every worker queue on
-- one row lock until commit (n8n's complaint; n8n moved them to a separate upserted
-- workflow_statistics table). Here:
--   * workflow_statistics holds the counters in up to 16 shards per workflow; the shard is
--     chosen by the writing backend (pg_backend_pid() % 16), so concurrent writers almost
--     never touch the same row, yet SUM over the shards is exact at every commit.
--   * Statement-level triggers with transition tables maintain it from the executions table
--     itself, so every code path (enqueue, worker, cancel, retry, retention deletes, manual
--     SQL) keeps it right, and a batched UPDATE of 100 executions costs one upsert per workflow.
--   * workflow_execution_counters (a view) is the exact value; the daemon's sweeper copies it
--     into the legacy workflows columns (jobsprint_fold_workflow_counters) every few seconds,
--     without touching workflows.updated_at.
-- Measured (bench/counters-contention.mjs: 16 clients finishing executions of one workflow,
-- one per transaction, on the shared 2-core CI box): sharded trigger 1,339–1,826 tx/s, counters
-- on the workflows row 386–529 tx/s, no counters at all 1,548–3,093 tx/s. The hot row costs
-- ~3.5x; the shards cost 15–40 %, and the worker batches its final writes so the trigger runs
-- once per batch, not once per execution.

CREATE TABLE workflow_statistics (
    workflow_id UUID NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
    shard SMALLINT NOT NULL,
    total_executions BIGINT NOT NULL DEFAULT 0,
    successful_executions BIGINT NOT NULL DEFAULT 0,
    failed_executions BIGINT NOT NULL DEFAULT 0,
    last_execution_at TIMESTAMPTZ,
    PRIMARY KEY (workflow_id, shard)
);
COMMENT ON TABLE workflow_statistics IS 'Execution counters per workflow, sharded by writer; sum the shards (view workflow_execution_counters)';

CREATE VIEW workflow_execution_counters AS
SELECT workflow_id,
       SUM(total_executions)::BIGINT AS total_executions,
       SUM(successful_executions)::BIGINT AS successful_executions,
       SUM(failed_executions)::BIGINT AS failed_executions,
       MAX(last_execution_at) AS last_execution_at
FROM workflow_statistics
GROUP BY workflow_id;

-- The triggers run as the table owner (SECURITY DEFINER) because tenant transactions insert
-- executions as jobsprint_tenant, which has no rights on workflow_statistics.
CREATE FUNCTION jobsprint_executions_stats_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO workflow_statistics AS s (workflow_id, shard, total_executions, successful_executions, failed_executions, last_execution_at)
  SELECT workflow_id, (pg_backend_pid() % 16)::smallint, COUNT(*),
         COUNT(*) FILTER (WHERE status = 'success'), COUNT(*) FILTER (WHERE status = 'failed'), MAX(started_at)
  FROM new_rows GROUP BY workflow_id ORDER BY workflow_id
  ON CONFLICT (workflow_id, shard) DO UPDATE SET
    total_executions = s.total_executions + EXCLUDED.total_executions,
    successful_executions = s.successful_executions + EXCLUDED.successful_executions,
    failed_executions = s.failed_executions + EXCLUDED.failed_executions,
    last_execution_at = GREATEST(s.last_execution_at, EXCLUDED.last_execution_at);
  RETURN NULL;
END;
$$;

CREATE FUNCTION jobsprint_executions_stats_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  -- Claims and heartbeats change no status that counts: the HAVING drops them before any write.
  INSERT INTO workflow_statistics AS s (workflow_id, shard, successful_executions, failed_executions)
  SELECT workflow_id, (pg_backend_pid() % 16)::smallint, SUM(ds), SUM(df)
  FROM (
    SELECT workflow_id, (status = 'success')::int AS ds, (status = 'failed')::int AS df FROM new_rows
    UNION ALL
    SELECT workflow_id, -((status = 'success')::int), -((status = 'failed')::int) FROM old_rows
  ) d
  GROUP BY workflow_id HAVING SUM(ds) <> 0 OR SUM(df) <> 0 ORDER BY workflow_id
  ON CONFLICT (workflow_id, shard) DO UPDATE SET
    successful_executions = s.successful_executions + EXCLUDED.successful_executions,
    failed_executions = s.failed_executions + EXCLUDED.failed_executions;
  RETURN NULL;
END;
$$;

CREATE FUNCTION jobsprint_executions_stats_delete() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO workflow_statistics AS s (workflow_id, shard, total_executions, successful_executions, failed_executions)
  SELECT workflow_id, (pg_backend_pid() % 16)::smallint, -COUNT(*),
         -COUNT(*) FILTER (WHERE status = 'success'), -COUNT(*) FILTER (WHERE status = 'failed')
  -- A workflow (or user) delete cascades here after its row is gone: nothing left to count.
  FROM old_rows o WHERE EXISTS (SELECT 1 FROM workflows w WHERE w.id = o.workflow_id)
  GROUP BY workflow_id ORDER BY workflow_id
  ON CONFLICT (workflow_id, shard) DO UPDATE SET
    total_executions = s.total_executions + EXCLUDED.total_executions,
    successful_executions = s.successful_executions + EXCLUDED.successful_executions,
    failed_executions = s.failed_executions + EXCLUDED.failed_executions;
  -- Deletes are rare (retention): recompute the latest start exactly rather than keep a stale one.
  UPDATE workflow_statistics s SET last_execution_at =
    CASE WHEN s.shard = (SELECT MIN(shard) FROM workflow_statistics m WHERE m.workflow_id = s.workflow_id)
         THEN (SELECT MAX(e.started_at) FROM executions e WHERE e.workflow_id = s.workflow_id) END
  WHERE s.workflow_id IN (SELECT DISTINCT workflow_id FROM old_rows);
  RETURN NULL;
END;
$$;

CREATE TRIGGER executions_stats_insert AFTER INSERT ON executions
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION jobsprint_executions_stats_insert();
CREATE TRIGGER executions_stats_update AFTER UPDATE ON executions
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION jobsprint_executions_stats_update();
CREATE TRIGGER executions_stats_delete AFTER DELETE ON executions
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION jobsprint_executions_stats_delete();

-- Copying the counters into the workflows row must not look like an edit of the workflow.
-- Runs after workflows_updated_at (triggers of one kind fire in name order).
CREATE FUNCTION jobsprint_workflows_keep_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (to_jsonb(NEW) - ARRAY['total_executions', 'successful_executions', 'failed_executions', 'last_execution_at', 'updated_at'])
     = (to_jsonb(OLD) - ARRAY['total_executions', 'successful_executions', 'failed_executions', 'last_execution_at', 'updated_at']) THEN
    NEW.updated_at := OLD.updated_at;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER workflows_zz_counters_keep_updated_at BEFORE UPDATE ON workflows
  FOR EACH ROW EXECUTE FUNCTION jobsprint_workflows_keep_updated_at();

CREATE FUNCTION jobsprint_fold_workflow_counters() RETURNS INTEGER
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH changed AS (
    UPDATE workflows w SET
      total_executions = c.total_executions,
      successful_executions = c.successful_executions,
      failed_executions = c.failed_executions,
      last_execution_at = c.last_execution_at
    FROM workflow_execution_counters c
    WHERE w.id = c.workflow_id
      AND (w.total_executions, w.successful_executions, w.failed_executions, w.last_execution_at)
          IS DISTINCT FROM (c.total_executions, c.successful_executions, c.failed_executions, c.last_execution_at)
    RETURNING 1
  )
  SELECT COUNT(*)::int FROM changed
$$;
COMMENT ON FUNCTION jobsprint_fold_workflow_counters() IS 'Copies workflow_execution_counters into the workflows row; run by the daemon sweeper';

-- Existing executions (a database migrated with data) start the counters right.
INSERT INTO workflow_statistics (workflow_id, shard, total_executions, successful_executions, failed_executions, last_execution_at)
SELECT workflow_id, 0, COUNT(*), COUNT(*) FILTER (WHERE status = 'success'), COUNT(*) FILTER (WHERE status = 'failed'), MAX(started_at)
FROM executions GROUP BY workflow_id;

-- The sweeper looks only at unfinished executions: a small, hot subset of a large table.
CREATE INDEX idx_executions_unfinished ON executions (started_at) WHERE status IN ('pending', 'running');

-- Down Migration
DROP INDEX IF EXISTS idx_executions_unfinished;
DROP FUNCTION IF EXISTS jobsprint_fold_workflow_counters();
DROP TRIGGER IF EXISTS workflows_zz_counters_keep_updated_at ON workflows;
DROP FUNCTION IF EXISTS jobsprint_workflows_keep_updated_at();
DROP TRIGGER IF EXISTS executions_stats_delete ON executions;
DROP TRIGGER IF EXISTS executions_stats_update ON executions;
DROP TRIGGER IF EXISTS executions_stats_insert ON executions;
DROP FUNCTION IF EXISTS jobsprint_executions_stats_delete();
DROP FUNCTION IF EXISTS jobsprint_executions_stats_update();
DROP FUNCTION IF EXISTS jobsprint_executions_stats_insert();
DROP VIEW IF EXISTS workflow_execution_counters;
DROP TABLE IF EXISTS workflow_statistics;
