-- Up Migration
-- Row-level security: the second layer of tenant isolation. The core scopes every tenant
-- query itself; underneath, tenant transactions run as the non-superuser role
-- jobsprint_tenant (SET LOCAL ROLE) with jobsprint.user_id set locally, and these policies
-- filter every row by it. FORCE applies them to the table owner too. Operator paths
-- (migrations, daemon, maintenance) do not switch role; when the owner is not a superuser they
-- pass the explicit bypass policy, which the operator connection enables with
-- jobsprint.bypass_rls = 'on' and which never applies to the tenant role itself.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'jobsprint_tenant') THEN
    CREATE ROLE jobsprint_tenant NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
  END IF;
END
$$;
-- The connecting (migrating) role must be able to SET ROLE to it.
DO $$
BEGIN
  EXECUTE format('GRANT jobsprint_tenant TO %I', current_user);
EXCEPTION WHEN OTHERS THEN
  NULL; -- superusers need no grant; a repeated grant is harmless
END
$$;

GRANT USAGE ON SCHEMA public TO jobsprint_tenant;
GRANT SELECT ON users TO jobsprint_tenant;
GRANT SELECT, INSERT, UPDATE, DELETE ON workflows, integrations, credentials, executions, execution_nodes,
  workflow_nodes, webhooks, webhook_subscriptions, trigger_events, sessions TO jobsprint_tenant;
GRANT SELECT, INSERT ON audit_logs TO jobsprint_tenant;

CREATE FUNCTION jobsprint_current_user_id() RETURNS UUID LANGUAGE sql STABLE AS $$
  SELECT NULLIF(current_setting('jobsprint.user_id', true), '')::uuid
$$;
GRANT EXECUTE ON FUNCTION jobsprint_current_user_id() TO jobsprint_tenant;

DO $$
DECLARE
  t TEXT;
BEGIN
  FOREACH t IN ARRAY ARRAY['workflows', 'integrations', 'credentials', 'executions', 'webhooks',
                           'webhook_subscriptions', 'trigger_events', 'sessions']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I TO jobsprint_tenant USING (user_id = jobsprint_current_user_id()) WITH CHECK (user_id = jobsprint_current_user_id())', t);
    EXECUTE format('CREATE POLICY operator_bypass ON %I TO PUBLIC USING (current_user <> ''jobsprint_tenant'' AND current_setting(''jobsprint.bypass_rls'', true) = ''on'') WITH CHECK (current_user <> ''jobsprint_tenant'' AND current_setting(''jobsprint.bypass_rls'', true) = ''on'')', t);
  END LOOP;
END
$$;

-- Child tables without user_id follow their parent row.
ALTER TABLE execution_nodes ENABLE ROW LEVEL SECURITY;
ALTER TABLE execution_nodes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON execution_nodes TO jobsprint_tenant
  USING (EXISTS (SELECT 1 FROM executions e WHERE e.id = execution_id))
  WITH CHECK (EXISTS (SELECT 1 FROM executions e WHERE e.id = execution_id));
CREATE POLICY operator_bypass ON execution_nodes TO PUBLIC
  USING (current_user <> 'jobsprint_tenant' AND current_setting('jobsprint.bypass_rls', true) = 'on')
  WITH CHECK (current_user <> 'jobsprint_tenant' AND current_setting('jobsprint.bypass_rls', true) = 'on');

ALTER TABLE workflow_nodes ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_nodes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workflow_nodes TO jobsprint_tenant
  USING (EXISTS (SELECT 1 FROM workflows w WHERE w.id = workflow_id))
  WITH CHECK (EXISTS (SELECT 1 FROM workflows w WHERE w.id = workflow_id));
CREATE POLICY operator_bypass ON workflow_nodes TO PUBLIC
  USING (current_user <> 'jobsprint_tenant' AND current_setting('jobsprint.bypass_rls', true) = 'on')
  WITH CHECK (current_user <> 'jobsprint_tenant' AND current_setting('jobsprint.bypass_rls', true) = 'on');

-- Down Migration
DO $$
DECLARE
  t TEXT;
BEGIN
  FOREACH t IN ARRAY ARRAY['workflows', 'integrations', 'credentials', 'executions', 'webhooks',
                           'webhook_subscriptions', 'trigger_events', 'sessions', 'execution_nodes', 'workflow_nodes']
  LOOP
    EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', t);
    EXECUTE format('DROP POLICY IF EXISTS operator_bypass ON %I', t);
    EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);
  END LOOP;
END
$$;
DROP FUNCTION IF EXISTS jobsprint_current_user_id();
REVOKE ALL ON users, workflows, integrations, credentials, executions, execution_nodes, workflow_nodes,
  webhooks, webhook_subscriptions, trigger_events, sessions, audit_logs FROM jobsprint_tenant;
REVOKE USAGE ON SCHEMA public FROM jobsprint_tenant;
-- The role is cluster-wide: other databases of this server may still use it, so it is dropped
-- only when nothing depends on it any more.
DO $$
BEGIN
  DROP ROLE IF EXISTS jobsprint_tenant;
EXCEPTION WHEN dependent_objects_still_exist OR object_in_use THEN
  RAISE NOTICE 'role jobsprint_tenant kept: other databases still use it';
END
$$;
