-- Up Migration
-- Jobsprint schema, following shared/seed/database-design.md table by table.
-- Deviations from the seed are commented where they are made.


-- Keeps updated_at honest for every table that has one.
CREATE FUNCTION jobsprint_set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := NOW();
  RETURN NEW;
END;
$$;

-- 1. users
CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email VARCHAR(255) UNIQUE NOT NULL,
    username VARCHAR(100) UNIQUE NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    full_name VARCHAR(255),
    avatar_url TEXT,
    is_active BOOLEAN DEFAULT true,
    is_verified BOOLEAN DEFAULT false,
    role VARCHAR(50) DEFAULT 'user',
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW(),
    last_login_at TIMESTAMPTZ,
    settings JSONB DEFAULT '{}',
    metadata JSONB DEFAULT '{}',
    CONSTRAINT email_format CHECK (email ~* '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$'),
    -- Not in the seed: the seed's comment names the only two roles; the database enforces it.
    CONSTRAINT valid_role CHECK (role IN ('admin', 'user'))
);
CREATE INDEX idx_users_email ON users(email);
CREATE INDEX idx_users_username ON users(username);
CREATE INDEX idx_users_is_active ON users(is_active);
CREATE INDEX idx_users_created_at ON users(created_at);
CREATE INDEX idx_users_settings ON users USING GIN(settings);
CREATE INDEX idx_users_metadata ON users USING GIN(metadata);
COMMENT ON TABLE users IS 'User accounts and authentication data';
COMMENT ON COLUMN users.settings IS 'User preferences and settings (JSONB)';
COMMENT ON COLUMN users.metadata IS 'Extensible metadata field';
CREATE TRIGGER users_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION jobsprint_set_updated_at();

-- 2. workflows
CREATE TABLE workflows (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name VARCHAR(255) NOT NULL,
    description TEXT,
    definition JSONB NOT NULL,
    version INTEGER DEFAULT 1,
    is_active BOOLEAN DEFAULT true,
    category VARCHAR(100),
    tags TEXT[] DEFAULT '{}',
    icon_url TEXT,
    total_executions BIGINT DEFAULT 0,
    successful_executions BIGINT DEFAULT 0,
    failed_executions BIGINT DEFAULT 0,
    last_execution_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW(),
    settings JSONB DEFAULT '{}',
    CONSTRAINT valid_definition CHECK (definition ? 'nodes')
);
CREATE INDEX idx_workflows_user_id ON workflows(user_id);
CREATE INDEX idx_workflows_is_active ON workflows(is_active);
CREATE INDEX idx_workflows_category ON workflows(category);
CREATE INDEX idx_workflows_tags ON workflows USING GIN(tags);
CREATE INDEX idx_workflows_created_at ON workflows(created_at);
CREATE INDEX idx_workflows_definition ON workflows USING GIN(definition);
CREATE INDEX idx_workflows_name_search ON workflows USING GIN(to_tsvector('english', name));
CREATE INDEX idx_workflows_description_search ON workflows USING GIN(to_tsvector('english', description));
COMMENT ON TABLE workflows IS 'Workflow definitions and metadata';
COMMENT ON COLUMN workflows.definition IS 'n8n-compatible workflow JSON';
CREATE TRIGGER workflows_updated_at BEFORE UPDATE ON workflows FOR EACH ROW EXECUTE FUNCTION jobsprint_set_updated_at();

-- 3. integrations
CREATE TABLE integrations (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    app_id VARCHAR(100) NOT NULL,
    app_name VARCHAR(255) NOT NULL,
    app_type VARCHAR(50) NOT NULL,
    is_active BOOLEAN DEFAULT true,
    is_connected BOOLEAN DEFAULT false,
    last_verified_at TIMESTAMPTZ,
    capabilities JSONB DEFAULT '{}',
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW(),
    settings JSONB DEFAULT '{}',
    UNIQUE(user_id, app_id),
    -- Not in the seed: its comment lists the three app types.
    CONSTRAINT valid_app_type CHECK (app_type IN ('zapier', 'custom', 'n8n'))
);
CREATE INDEX idx_integrations_user_id ON integrations(user_id);
CREATE INDEX idx_integrations_app_id ON integrations(app_id);
CREATE INDEX idx_integrations_is_active ON integrations(is_active);
CREATE INDEX idx_integrations_app_type ON integrations(app_type);
COMMENT ON TABLE integrations IS 'Third-party app integrations';
COMMENT ON COLUMN integrations.capabilities IS 'Available triggers and actions (JSONB)';
CREATE TRIGGER integrations_updated_at BEFORE UPDATE ON integrations FOR EACH ROW EXECUTE FUNCTION jobsprint_set_updated_at();

-- 4. credentials
CREATE TABLE credentials (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    integration_id UUID REFERENCES integrations(id) ON DELETE CASCADE,
    name VARCHAR(255) NOT NULL,
    encrypted_data BYTEA NOT NULL,
    key_id VARCHAR(100),
    -- These two stay NULL: OAuth tokens are secrets and live inside the encrypted payload
    -- (encrypted_data). The columns are kept only so the schema matches the seed.
    oauth_access_token TEXT,
    oauth_refresh_token TEXT,
    oauth_expires_at TIMESTAMPTZ,
    type VARCHAR(50) NOT NULL,
    is_active BOOLEAN DEFAULT true,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW(),
    last_used_at TIMESTAMPTZ,
    CONSTRAINT oauth_tokens_encrypted CHECK (oauth_access_token IS NULL AND oauth_refresh_token IS NULL)
);
CREATE INDEX idx_credentials_user_id ON credentials(user_id);
CREATE INDEX idx_credentials_integration_id ON credentials(integration_id);
CREATE INDEX idx_credentials_type ON credentials(type);
CREATE INDEX idx_credentials_is_active ON credentials(is_active);
COMMENT ON TABLE credentials IS 'Encrypted third-party credentials';
COMMENT ON COLUMN credentials.encrypted_data IS 'AES-256-GCM encrypted credential data';
COMMENT ON COLUMN credentials.oauth_access_token IS 'Always NULL: OAuth tokens are stored inside encrypted_data';
COMMENT ON COLUMN credentials.oauth_refresh_token IS 'Always NULL: OAuth tokens are stored inside encrypted_data';
CREATE TRIGGER credentials_updated_at BEFORE UPDATE ON credentials FOR EACH ROW EXECUTE FUNCTION jobsprint_set_updated_at();

-- 5. executions
CREATE TABLE executions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    workflow_id UUID NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status VARCHAR(50) NOT NULL,
    trigger_type VARCHAR(50) NOT NULL,
    input_data JSONB,
    output_data JSONB,
    error_message TEXT,
    started_at TIMESTAMPTZ DEFAULT NOW(),
    completed_at TIMESTAMPTZ,
    duration_ms INTEGER,
    execution_metadata JSONB DEFAULT '{}',
    retry_count INTEGER DEFAULT 0,
    max_retries INTEGER DEFAULT 3,
    CONSTRAINT valid_status CHECK (status IN ('pending', 'running', 'success', 'failed', 'cancelled'))
);
CREATE INDEX idx_executions_workflow_id ON executions(workflow_id);
CREATE INDEX idx_executions_user_id ON executions(user_id);
CREATE INDEX idx_executions_status ON executions(status);
CREATE INDEX idx_executions_started_at ON executions(started_at DESC);
CREATE INDEX idx_executions_trigger_type ON executions(trigger_type);
CREATE INDEX idx_executions_workflow_status ON executions(workflow_id, status, started_at DESC);
COMMENT ON TABLE executions IS 'Workflow execution records';

-- 6. audit_logs
-- The seed's DDL cannot work as written: a partitioned table's primary key must include the
-- partition key, so `id UUID PRIMARY KEY` on a table partitioned by created_at is rejected,
-- and the seed never says PARTITION BY at all (its PARTITION OF would fail on a plain
-- table). Here the key is (id, created_at), the table is PARTITION BY RANGE (created_at),
-- monthly partitions are created ahead (current month + 2) and a DEFAULT partition takes
-- anything else, so an insert never fails for lack of a partition.
CREATE TABLE audit_logs (
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    user_id UUID REFERENCES users(id) ON DELETE SET NULL,
    event_type VARCHAR(100) NOT NULL,
    resource_type VARCHAR(100) NOT NULL,
    resource_id UUID,
    action VARCHAR(50) NOT NULL,
    changes JSONB,
    metadata JSONB DEFAULT '{}',
    ip_address INET,
    user_agent TEXT,
    request_id UUID,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX idx_audit_logs_user_id ON audit_logs(user_id);
CREATE INDEX idx_audit_logs_event_type ON audit_logs(event_type);
CREATE INDEX idx_audit_logs_resource_type ON audit_logs(resource_type);
CREATE INDEX idx_audit_logs_resource_id ON audit_logs(resource_id);
CREATE INDEX idx_audit_logs_created_at ON audit_logs(created_at DESC);
CREATE INDEX idx_audit_logs_user_type ON audit_logs(user_id, resource_type, created_at DESC);
COMMENT ON TABLE audit_logs IS 'Audit trail for compliance and debugging';

CREATE TABLE audit_logs_default PARTITION OF audit_logs DEFAULT;

-- Creates the monthly partitions from this month through `months_ahead` months ahead.
-- Rows already in the DEFAULT partition for a new month's range are moved into it.
CREATE FUNCTION jobsprint_ensure_audit_partitions(months_ahead INTEGER DEFAULT 2) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
  m DATE;
  part TEXT;
  created INTEGER := 0;
BEGIN
  FOR i IN 0..months_ahead LOOP
    m := (date_trunc('month', NOW() AT TIME ZONE 'UTC') + make_interval(months => i))::date;
    part := format('audit_logs_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM'));
    IF to_regclass(part) IS NULL THEN
      EXECUTE format('CREATE TEMP TABLE IF NOT EXISTS jobsprint_audit_move (LIKE audit_logs) ON COMMIT DROP');
      EXECUTE format('WITH moved AS (DELETE FROM audit_logs_default WHERE created_at >= %L AND created_at < %L RETURNING *) INSERT INTO jobsprint_audit_move SELECT * FROM moved',
                     m, (m + INTERVAL '1 month')::date);
      EXECUTE format('CREATE TABLE %I PARTITION OF audit_logs FOR VALUES FROM (%L) TO (%L)',
                     part, m::timestamptz, (m + INTERVAL '1 month')::date::timestamptz);
      EXECUTE 'INSERT INTO audit_logs SELECT * FROM jobsprint_audit_move';
      EXECUTE 'TRUNCATE jobsprint_audit_move';
      created := created + 1;
    END IF;
  END LOOP;
  RETURN created;
END;
$$;
COMMENT ON FUNCTION jobsprint_ensure_audit_partitions(INTEGER) IS 'Creates monthly audit_logs partitions ahead; run by migrations and the daemon';
SELECT jobsprint_ensure_audit_partitions(2);

-- 7. sessions
CREATE TABLE sessions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash VARCHAR(255) UNIQUE NOT NULL,
    session_data JSONB DEFAULT '{}',
    device_type VARCHAR(50),
    device_name VARCHAR(255),
    ip_address INET,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    expires_at TIMESTAMPTZ NOT NULL,
    last_activity_at TIMESTAMPTZ DEFAULT NOW(),
    is_active BOOLEAN DEFAULT true
);
CREATE INDEX idx_sessions_user_id ON sessions(user_id);
CREATE INDEX idx_sessions_token_hash ON sessions(token_hash);
CREATE INDEX idx_sessions_expires_at ON sessions(expires_at);
CREATE INDEX idx_sessions_is_active ON sessions(is_active);
CREATE INDEX idx_sessions_cleanup ON sessions(expires_at) WHERE is_active = true;
COMMENT ON TABLE sessions IS 'User session management';

-- 8. workflow_nodes
CREATE TABLE workflow_nodes (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    workflow_id UUID NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
    node_id VARCHAR(100) NOT NULL,
    node_type VARCHAR(100) NOT NULL,
    node_name VARCHAR(255) NOT NULL,
    config JSONB DEFAULT '{}',
    position INTEGER,
    UNIQUE(workflow_id, node_id)
);
CREATE INDEX idx_workflow_nodes_workflow_id ON workflow_nodes(workflow_id);
CREATE INDEX idx_workflow_nodes_node_type ON workflow_nodes(node_type);
COMMENT ON TABLE workflow_nodes IS 'Workflow node definitions';

-- 9. execution_nodes
CREATE TABLE execution_nodes (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    execution_id UUID NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    node_id VARCHAR(100) NOT NULL,
    node_name VARCHAR(255) NOT NULL,
    node_type VARCHAR(100) NOT NULL,
    status VARCHAR(50) NOT NULL,
    started_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    duration_ms INTEGER,
    input_data JSONB,
    output_data JSONB,
    error_message TEXT,
    retry_count INTEGER DEFAULT 0,
    UNIQUE(execution_id, node_id)
);
CREATE INDEX idx_execution_nodes_execution_id ON execution_nodes(execution_id);
CREATE INDEX idx_execution_nodes_status ON execution_nodes(status);
CREATE INDEX idx_execution_nodes_node_type ON execution_nodes(node_type);
COMMENT ON TABLE execution_nodes IS 'Per-node execution logs';

-- Tables the seed's diagram names without defining, in the same style. Each carries user_id
-- so row-level security can scope it without a join.
CREATE TABLE webhooks (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    workflow_id UUID NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    integration_id UUID REFERENCES integrations(id) ON DELETE SET NULL,
    node_id VARCHAR(100),
    path VARCHAR(255) NOT NULL,
    http_method VARCHAR(10) NOT NULL DEFAULT 'POST',
    is_active BOOLEAN DEFAULT true,
    -- A credential holding the signing secret (never the secret itself).
    signing_secret_credential_id UUID REFERENCES credentials(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW(),
    UNIQUE(http_method, path),
    CONSTRAINT valid_http_method CHECK (http_method IN ('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS')),
    CONSTRAINT valid_path CHECK (path ~ '^[A-Za-z0-9._~:/@!$&''()*+,;=%-]+$')
);
CREATE INDEX idx_webhooks_workflow_id ON webhooks(workflow_id);
CREATE INDEX idx_webhooks_user_id ON webhooks(user_id);
CREATE INDEX idx_webhooks_active_path ON webhooks(path) WHERE is_active = true;
COMMENT ON TABLE webhooks IS 'HTTP endpoints a workflow exposes';
COMMENT ON COLUMN webhooks.signing_secret_credential_id IS 'Credential holding the HMAC signing secret, if requests are signed';
CREATE TRIGGER webhooks_updated_at BEFORE UPDATE ON webhooks FOR EACH ROW EXECUTE FUNCTION jobsprint_set_updated_at();

CREATE TABLE webhook_subscriptions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    webhook_id UUID NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    credential_id UUID REFERENCES credentials(id) ON DELETE SET NULL,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    external_subscription_id VARCHAR(255),
    status VARCHAR(50) NOT NULL DEFAULT 'pending',
    metadata JSONB DEFAULT '{}',
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW(),
    CONSTRAINT valid_subscription_status CHECK (status IN ('pending', 'active', 'failed', 'revoked'))
);
CREATE INDEX idx_webhook_subscriptions_webhook_id ON webhook_subscriptions(webhook_id);
CREATE INDEX idx_webhook_subscriptions_credential_id ON webhook_subscriptions(credential_id);
CREATE INDEX idx_webhook_subscriptions_user_id ON webhook_subscriptions(user_id);
CREATE INDEX idx_webhook_subscriptions_status ON webhook_subscriptions(status);
COMMENT ON TABLE webhook_subscriptions IS 'Subscriptions registered with third-party services for a webhook';
CREATE TRIGGER webhook_subscriptions_updated_at BEFORE UPDATE ON webhook_subscriptions FOR EACH ROW EXECUTE FUNCTION jobsprint_set_updated_at();

CREATE TABLE trigger_events (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    webhook_id UUID NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    payload JSONB,
    headers JSONB DEFAULT '{}',
    status VARCHAR(50) NOT NULL DEFAULT 'received',
    execution_id UUID REFERENCES executions(id) ON DELETE SET NULL,
    error_message TEXT,
    received_at TIMESTAMPTZ DEFAULT NOW(),
    processed_at TIMESTAMPTZ,
    CONSTRAINT valid_trigger_event_status CHECK (status IN ('received', 'processed', 'failed', 'ignored'))
);
CREATE INDEX idx_trigger_events_webhook_id ON trigger_events(webhook_id, received_at DESC);
CREATE INDEX idx_trigger_events_user_id ON trigger_events(user_id);
CREATE INDEX idx_trigger_events_execution_id ON trigger_events(execution_id);
CREATE INDEX idx_trigger_events_pending ON trigger_events(received_at) WHERE status = 'received';
COMMENT ON TABLE trigger_events IS 'Requests received by webhooks and the executions they started';

-- Down Migration
DROP TABLE IF EXISTS trigger_events;
DROP TABLE IF EXISTS webhook_subscriptions;
DROP TABLE IF EXISTS webhooks;
DROP TABLE IF EXISTS execution_nodes;
DROP TABLE IF EXISTS workflow_nodes;
DROP TABLE IF EXISTS sessions;
DROP FUNCTION IF EXISTS jobsprint_ensure_audit_partitions(INTEGER);
DROP TABLE IF EXISTS audit_logs;
DROP TABLE IF EXISTS executions;
DROP TABLE IF EXISTS credentials;
DROP TABLE IF EXISTS integrations;
DROP TABLE IF EXISTS workflows;
DROP TABLE IF EXISTS users;
DROP FUNCTION IF EXISTS jobsprint_set_updated_at();
