-- Up Migration
-- n8n's workflow static data ($getWorkflowStaticData): state a workflow keeps between its
-- production executions (a polling cursor, a cached token). n8n keeps it in a column of its
-- workflow entity; here it has its own table, so writing it from an execution neither bumps the
-- workflow's version, history and updated_at, nor waits on the workflows row. Workers read it
-- when they claim an execution and write it in the same statement that records the execution's
-- end; as in n8n, manual executions read it but do not save it, and the last writer wins.
CREATE TABLE workflow_static_data (
    workflow_id UUID PRIMARY KEY REFERENCES workflows(id) ON DELETE CASCADE,
    data JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

COMMENT ON TABLE workflow_static_data IS 'Static data of workflows ($getWorkflowStaticData), kept between production executions';

-- Down Migration
DROP TABLE workflow_static_data;
