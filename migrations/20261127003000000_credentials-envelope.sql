-- Up Migration
-- Credentials: what envelope encryption and online key rotation need from the schema.
-- encrypted_data holds the versioned envelope described in src/core/credentials/envelope.ts;
-- key_id names the key-encryption key that wraps the credential's data key. OAuth access and
-- refresh tokens live inside encrypted_data; the seed's plaintext oauth_access_token /
-- oauth_refresh_token columns stay NULL (enforced by oauth_tokens_encrypted).

-- Rotation finds rows not yet on the target key, and `keys list --usage` counts rows per key.
CREATE INDEX idx_credentials_key_id ON credentials(key_id);

-- What `credentials show` prints without decrypting: non-secret fields as they are, secret
-- fields as ••••<last 4> (computed when the data is written). Never the secrets themselves.
ALTER TABLE credentials ADD COLUMN masked_data JSONB NOT NULL DEFAULT '{}';
COMMENT ON COLUMN credentials.masked_data IS 'Non-secret fields and masked secret fields (••••abcd), for display without decrypting';

-- Names identify credentials on the command line and in n8n workflows (credentials.<type>.name).
CREATE UNIQUE INDEX idx_credentials_user_name ON credentials(user_id, name);

-- updated_at means "the owner changed this credential": recording a use (last_used_at) does
-- not bump it, nor does re-wrapping the data key during rotation (which sets
-- jobsprint.preserve_updated_at locally in its transaction).
CREATE FUNCTION jobsprint_credentials_set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('jobsprint.preserve_updated_at', true) = 'on' THEN
    RETURN NEW;
  END IF;
  NEW.updated_at := NOW();
  RETURN NEW;
END;
$$;
DROP TRIGGER credentials_updated_at ON credentials;
CREATE TRIGGER credentials_updated_at
  BEFORE UPDATE OF name, type, integration_id, encrypted_data, key_id, is_active, oauth_expires_at, masked_data
  ON credentials FOR EACH ROW EXECUTE FUNCTION jobsprint_credentials_set_updated_at();

-- Down Migration
DROP TRIGGER credentials_updated_at ON credentials;
CREATE TRIGGER credentials_updated_at BEFORE UPDATE ON credentials FOR EACH ROW EXECUTE FUNCTION jobsprint_set_updated_at();
DROP FUNCTION jobsprint_credentials_set_updated_at();
DROP INDEX idx_credentials_user_name;
ALTER TABLE credentials DROP COLUMN masked_data;
DROP INDEX idx_credentials_key_id;
