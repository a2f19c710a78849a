-- Up Migration
-- Tenant transactions could read every user's row, password_hash included, and every audit
-- row: the tenant role had plain SELECT on users and audit_logs and neither had row-level
-- security. Now a tenant sees only its own user row (without password_hash, by column grants)
-- and only audit rows by or about itself. Inserting audit rows stays open to the tenant role:
-- an admin acting for another user (--user) writes rows with its own user_id, and only
-- Jobsprint's code reaches this role.

REVOKE SELECT ON users FROM jobsprint_tenant;
GRANT SELECT (id, email, username, full_name, avatar_url, is_active, is_verified, role, created_at, updated_at,
              last_login_at, settings, metadata) ON users TO jobsprint_tenant;

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users TO jobsprint_tenant
  USING (id = jobsprint_current_user_id());
CREATE POLICY operator_bypass ON users TO PUBLIC
  USING (current_user <> 'jobsprint_tenant' AND current_setting('jobsprint.bypass_rls', true) = 'on')
  WITH CHECK (current_user <> 'jobsprint_tenant' AND current_setting('jobsprint.bypass_rls', true) = 'on');

ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON audit_logs FOR SELECT TO jobsprint_tenant
  USING (user_id = jobsprint_current_user_id()
         OR (resource_type = 'user' AND resource_id = jobsprint_current_user_id()));
CREATE POLICY tenant_append ON audit_logs FOR INSERT TO jobsprint_tenant
  WITH CHECK (true);
CREATE POLICY operator_bypass ON audit_logs TO PUBLIC
  USING (current_user <> 'jobsprint_tenant' AND current_setting('jobsprint.bypass_rls', true) = 'on')
  WITH CHECK (current_user <> 'jobsprint_tenant' AND current_setting('jobsprint.bypass_rls', true) = 'on');

-- Down Migration
DROP POLICY IF EXISTS operator_bypass ON audit_logs;
DROP POLICY IF EXISTS tenant_append ON audit_logs;
DROP POLICY IF EXISTS tenant_read ON audit_logs;
ALTER TABLE audit_logs NO FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_logs DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS operator_bypass ON users;
DROP POLICY IF EXISTS tenant_isolation ON users;
ALTER TABLE users NO FORCE ROW LEVEL SECURITY;
ALTER TABLE users DISABLE ROW LEVEL SECURITY;
REVOKE SELECT ON users FROM jobsprint_tenant;
GRANT SELECT ON users TO jobsprint_tenant;
