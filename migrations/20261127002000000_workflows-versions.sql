-- Up Migration
-- Workflow history: one row per version of a workflow's definition, written in the same
-- transaction as the change that made it (import, update, rename, tag change, rollback), so
-- `workflows history` and `workflows rollback` never miss a version. user_id is copied from the
-- workflow so row-level security scopes the table without a join, like the other tenant tables.
CREATE TABLE workflow_versions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    workflow_id UUID NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    name VARCHAR(255) NOT NULL,
    definition JSONB NOT NULL,
    -- What made this version: created, updated, renamed, tagged, rolled_back.
    change VARCHAR(50) NOT NULL,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    -- The acting user (an admin acting for the owner, or NULL for the operator).
    created_by UUID REFERENCES users(id) ON DELETE SET NULL,
    UNIQUE(workflow_id, version),
    CONSTRAINT valid_version_definition CHECK (definition ? 'nodes')
);
CREATE INDEX idx_workflow_versions_user_id ON workflow_versions(user_id);
COMMENT ON TABLE workflow_versions IS 'Every version of every workflow definition (history and rollback)';

GRANT SELECT, INSERT, DELETE ON workflow_versions TO jobsprint_tenant;
ALTER TABLE workflow_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workflow_versions TO jobsprint_tenant
  USING (user_id = jobsprint_current_user_id())
  WITH CHECK (user_id = jobsprint_current_user_id());
CREATE POLICY operator_bypass ON workflow_versions TO PUBLIC
  USING (current_user <> 'jobsprint_tenant' AND current_setting('jobsprint.bypass_rls', true) = 'on')
  WITH CHECK (current_user <> 'jobsprint_tenant' AND current_setting('jobsprint.bypass_rls', true) = 'on');

-- Down Migration
DROP POLICY IF EXISTS tenant_isolation ON workflow_versions;
DROP POLICY IF EXISTS operator_bypass ON workflow_versions;
REVOKE ALL ON workflow_versions FROM jobsprint_tenant;
DROP TABLE IF EXISTS workflow_versions;
