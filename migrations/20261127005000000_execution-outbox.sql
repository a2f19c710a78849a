-- Up Migration
-- The publish outbox, one row per batch rather than a mark on every execution.
--
-- Until now the executions row itself was the outbox: enqueue committed the rows, published
-- them, then set execution_metadata.published_at on each. That second UPDATE rewrote every
-- execution row once more (a non-HOT update through the seven indexes of `executions`, plus
-- the statistics trigger) and cost ~0.14 ms per execution of PostgreSQL time, 15 % of the
-- pipeline's database work (pg_stat_statements, bench/throughput.mjs, 5,000 executions).
--
-- Now whoever makes executions pending (enqueue, a retry being scheduled, a manual retry, an
-- embedded run that ended before running everything) inserts ONE outbox row naming them, in
-- the same transaction, and deletes that row once the broker confirmed the publish. Whatever
-- is still here some seconds after `publish_after` was never confirmed (process killed between
-- commit and publish, broker down): the daemon's sweeper publishes it and deletes the row.
CREATE TABLE execution_outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    execution_ids UUID[] NOT NULL,
    -- When the publish is due (a retry's backoff ends later); the sweeper waits a grace
    -- period beyond it before assuming the publish was lost.
    publish_after TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_execution_outbox_publish_after ON execution_outbox(publish_after);

COMMENT ON TABLE execution_outbox IS 'Executions committed as pending whose publish to the queue is not yet confirmed (one row per batch)';

GRANT SELECT, INSERT, DELETE ON execution_outbox TO jobsprint_tenant;
ALTER TABLE execution_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE execution_outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON execution_outbox TO jobsprint_tenant
  USING (user_id = jobsprint_current_user_id()) WITH CHECK (user_id = jobsprint_current_user_id());
CREATE POLICY operator_bypass ON execution_outbox TO PUBLIC
  USING (current_user <> 'jobsprint_tenant' AND current_setting('jobsprint.bypass_rls', true) = 'on')
  WITH CHECK (current_user <> 'jobsprint_tenant' AND current_setting('jobsprint.bypass_rls', true) = 'on');

-- Pending executions the old scheme had not confirmed move to the outbox.
INSERT INTO execution_outbox (user_id, execution_ids, publish_after)
SELECT user_id, array_agg(id), MIN(started_at)
FROM executions
WHERE status = 'pending' AND NOT (execution_metadata ? 'published_at')
GROUP BY user_id;

-- Down Migration
-- Executions still in the outbox become "never confirmed" again under the old scheme: their
-- published_at is removed, and every other pending execution is marked as published.
UPDATE executions SET execution_metadata = COALESCE(execution_metadata, '{}'::jsonb) || jsonb_build_object('published_at', now())
WHERE status = 'pending' AND NOT (execution_metadata ? 'published_at')
  AND id NOT IN (SELECT unnest(execution_ids) FROM execution_outbox);
UPDATE executions SET execution_metadata = execution_metadata - 'published_at'
WHERE id IN (SELECT unnest(execution_ids) FROM execution_outbox);
DROP TABLE execution_outbox;
