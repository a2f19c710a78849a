-- Up Migration
-- `workflows export` reads a workflow's kept static data in the caller's tenant transaction, as
-- every other workflow read: the table follows its workflow's row, like workflow_nodes.
GRANT SELECT ON workflow_static_data TO jobsprint_tenant;
ALTER TABLE workflow_static_data ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_static_data FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workflow_static_data TO jobsprint_tenant
  USING (EXISTS (SELECT 1 FROM workflows w WHERE w.id = workflow_id));
CREATE POLICY operator_bypass ON workflow_static_data TO PUBLIC
  USING (current_user <> 'jobsprint_tenant' AND current_setting('jobsprint.bypass_rls', true) = 'on')
  WITH CHECK (current_user <> 'jobsprint_tenant' AND current_setting('jobsprint.bypass_rls', true) = 'on');

-- Down Migration
DROP POLICY IF EXISTS operator_bypass ON workflow_static_data;
DROP POLICY IF EXISTS tenant_isolation ON workflow_static_data;
ALTER TABLE workflow_static_data NO FORCE ROW LEVEL SECURITY;
ALTER TABLE workflow_static_data DISABLE ROW LEVEL SECURITY;
REVOKE SELECT ON workflow_static_data FROM jobsprint_tenant;
