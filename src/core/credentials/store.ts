import { randomUUID } from 'node:crypto';
import type { ActingAs } from '../actor.js';
import { recordAudit, type AuditContext } from '../audit.js';
import { actingAudit } from '../auth/operator.js';
import type { Db, Queryable, TenantScope } from '../db/types.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import { openCredential, sealCredential } from './envelope.js';
import type { KeySet } from './keys.js';
import { isUuid } from '../ids.js';
import {
  maskCredentialData,
  oauthExpiry,
  parseCredentialType,
  validateCredentialData,
  type CredentialData,
  type CredentialType,
} from './types.js';

/** What the credential functions need: the database, the keys (loaded only when used), audit context. */
export interface CredentialDeps {
  db: Db;
  keys: () => Promise<KeySet>;
  audit: AuditContext;
}

/** A credential as listed: never any secret, not even masked. */
export interface CredentialSummary {
  id: string;
  name: string;
  type: CredentialType;
  integration_id: string | null;
  app_id: string | null;
  key_id: string | null;
  is_active: boolean;
  oauth_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
  last_used_at: Date | null;
}

/** `show`: the summary plus each field, secret ones masked (••••c9f2). */
export interface CredentialDetail extends CredentialSummary {
  user_id: string;
  data: Record<string, string>;
}

/** A CredentialSummary from `credentials c` (also in a RETURNING: no join, so writes return it too). */
const SUMMARY_COLUMNS = `c.id, c.name, c.type, c.integration_id, (SELECT i.app_id FROM integrations i WHERE i.id = c.integration_id) AS app_id,
  c.key_id, c.is_active, c.oauth_expires_at, c.created_at, c.updated_at, c.last_used_at`;
/** A CredentialDetail: what getCredential returns, and what a write returns in the same statement. */
const DETAIL_COLUMNS = `${SUMMARY_COLUMNS}, c.user_id, c.masked_data AS data`;

/** WHERE clause matching a credential by id (UUID-shaped refs) or by name. */
function refClause(ref: string, param: number): string {
  return isUuid(ref) ? `c.id = $${param}::uuid` : `c.name = $${param}`;
}

function notFound(ref: string): NotFoundError {
  return new NotFoundError(`credential "${ref}" not found`, { hint: 'see `jobsprint credentials list`' });
}

function validateName(name: unknown): string {
  if (typeof name !== 'string' || !name.trim()) throw new ValidationError('credential name must not be empty', { hint: 'pass --name' });
  const n = name.trim();
  if (n.length > 255) throw new ValidationError('credential name is longer than 255 characters');
  return n;
}

/**
 * Audit rows of a credential change have the shape workflows and integrations use: user_id is
 * who acted, metadata.tenant_user_id the owner when an admin acted on someone else's
 * credential. Callers add field names only, never values.
 */
function audited(as: ActingAs, extra: Record<string, unknown> = {}): { userId: string; metadata: Record<string, unknown> } {
  const { userId, metadata } = actingAudit(as);
  return { userId, metadata: { ...metadata, ...extra } };
}

async function integrationId(tx: Queryable, userId: string, appId: string | undefined | null): Promise<string | null> {
  if (!appId) return null;
  const r = await tx.query<{ id: string }>(`SELECT id FROM integrations WHERE user_id = $1 AND app_id = $2`, [userId, appId]);
  if (!r.rows[0]) throw new NotFoundError(`integration "${appId}" not found`, { hint: 'see `jobsprint integrations list`' });
  return r.rows[0].id;
}

function rephraseDuplicate(err: unknown, name: string): unknown {
  if (err instanceof ConflictError && /name/.test(err.message)) {
    return new ConflictError(`credential "${name}" already exists`, {
      hint: `choose another --name, or change it with \`jobsprint credentials update "${name}"\``,
      cause: err,
    });
  }
  return err;
}

export interface CreateCredentialInput {
  name: string;
  type: string;
  data: unknown;
  /** Integration app id (integrations.app_id) of the owner. */
  integration?: string | null;
}

export async function createCredential(deps: CredentialDeps, as: ActingAs, input: CreateCredentialInput): Promise<CredentialDetail> {
  const name = validateName(input.name);
  const type = parseCredentialType(input.type);
  const data = validateCredentialData(type, input.data);
  // Keys first: with none configured the command fails (exit 6) before anything is written.
  const keys = await deps.keys();
  const ownerId = as.scope.userId;
  // The id is made here, not by the database, because the envelope's AAD binds to it.
  const id = randomUUID();
  const { envelope, keyId } = sealCredential(keys, { credentialId: id, userId: ownerId }, data);
  try {
    // One transaction: the row, its audit record and the result returned by the INSERT itself.
    return await deps.db.tenantTransaction(as.scope, async (tx) => {
      const integ = await integrationId(tx, ownerId, input.integration);
      const r = await tx.query<CredentialDetail>(
        `INSERT INTO credentials AS c (id, user_id, integration_id, name, encrypted_data, key_id, oauth_expires_at, type, masked_data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING ${DETAIL_COLUMNS}`,
        [id, ownerId, integ, name, envelope, keyId, oauthExpiry(type, data), type, JSON.stringify(maskCredentialData(type, data))],
      );
      await recordAudit(tx, deps.audit, {
        ...audited(as),
        eventType: 'credential.created',
        resourceType: 'credential',
        resourceId: id,
        action: 'create',
        changes: { name, type, integration_id: integ, fields: Object.keys(data) },
      });
      return r.rows[0]!;
    });
  } catch (err) {
    throw rephraseDuplicate(err, name);
  }
}

export async function listCredentials(deps: CredentialDeps, scope: TenantScope, filter: { type?: string } = {}): Promise<CredentialSummary[]> {
  const type = filter.type ? parseCredentialType(filter.type) : null;
  return deps.db.tenantTransaction(scope, async (tx) => {
    const r = await tx.query<CredentialSummary>(
      `SELECT ${SUMMARY_COLUMNS} FROM credentials c WHERE c.user_id = $1 AND ($2::text IS NULL OR c.type = $2) ORDER BY c.name`,
      [scope.userId, type],
    );
    return r.rows;
  });
}

export async function getCredential(deps: CredentialDeps, as: ActingAs, ref: string): Promise<CredentialDetail> {
  return deps.db.tenantTransaction(as.scope, async (tx) => {
    const r = await tx.query<CredentialDetail>(
      `SELECT ${DETAIL_COLUMNS} FROM credentials c WHERE c.user_id = $1 AND ${refClause(ref, 2)}`,
      [as.scope.userId, ref],
    );
    if (!r.rows[0]) throw notFound(ref);
    return r.rows[0];
  });
}

interface SecretRow {
  id: string;
  user_id: string;
  name: string;
  type: CredentialType;
  key_id: string | null;
  encrypted_data: Buffer;
  integration_id: string | null;
  is_active: boolean;
}

async function lockRow(tx: Queryable, scope: TenantScope, ref: string): Promise<SecretRow> {
  const r = await tx.query<SecretRow>(
    `SELECT c.id, c.user_id, c.name, c.type, c.key_id, c.encrypted_data, c.integration_id, c.is_active
       FROM credentials c WHERE c.user_id = $1 AND ${refClause(ref, 2)} FOR UPDATE`,
    [scope.userId, ref],
  );
  if (!r.rows[0]) throw notFound(ref);
  return r.rows[0];
}

function decrypt(keys: KeySet, row: Pick<SecretRow, 'id' | 'user_id' | 'key_id' | 'encrypted_data'>): CredentialData {
  return openCredential(keys, { credentialId: row.id, userId: row.user_id }, row.key_id, row.encrypted_data) as CredentialData;
}

/** `show --reveal`: the owner only, and every reveal leaves a credential.revealed audit row. */
export async function revealCredential(
  deps: CredentialDeps,
  as: ActingAs,
  ref: string,
): Promise<Omit<CredentialDetail, 'data'> & { data: CredentialData }> {
  const keys = await deps.keys();
  // One transaction reads the row (summary and envelope together), checks the owner, decrypts
  // and records the reveal.
  return deps.db.tenantTransaction(as.scope, async (tx) => {
    const r = await tx.query<CredentialDetail & { encrypted_data: Buffer }>(
      `SELECT ${SUMMARY_COLUMNS}, c.user_id, c.encrypted_data FROM credentials c WHERE c.user_id = $1 AND ${refClause(ref, 2)}`,
      [as.scope.userId, ref],
    );
    const row = r.rows[0];
    if (!row) throw notFound(ref);
    if (as.actor.kind !== 'user' || as.actor.userId !== row.user_id) {
      throw new ForbiddenError(`only the owner can reveal credential "${row.name}"`, { hint: 'log in as its owner' });
    }
    const data = decrypt(keys, row);
    const { encrypted_data: _, ...detail } = row;
    await recordAudit(tx, deps.audit, {
      ...audited(as),
      eventType: 'credential.revealed',
      resourceType: 'credential',
      resourceId: row.id,
      action: 'read',
      changes: null,
    });
    return { ...detail, data };
  });
}

export interface UpdateCredentialInput {
  name?: string;
  /** Fields to change; null removes an optional field. */
  data?: Record<string, unknown>;
  /** Use `data` as the whole new data instead of merging (no decryption needed: works when the old key is lost). */
  replace?: boolean;
  integration?: string | null;
}

export async function updateCredential(deps: CredentialDeps, as: ActingAs, ref: string, input: UpdateCredentialInput): Promise<CredentialDetail> {
  const newName = input.name !== undefined ? validateName(input.name) : undefined;
  if (input.data !== undefined && (!input.data || typeof input.data !== 'object' || Array.isArray(input.data))) {
    throw new ValidationError('credential data must be a JSON object');
  }
  if (newName === undefined && input.data === undefined && input.integration === undefined) {
    throw new ValidationError('nothing to update', { hint: 'pass --name, --integration, --data-stdin or --data-file' });
  }
  const keys = input.data !== undefined ? await deps.keys() : null;
  try {
    // One transaction: lock, change, audit, and the result comes back from the UPDATE itself.
    return await deps.db.tenantTransaction(as.scope, async (tx) => {
      // The row lock makes a concurrent rotation batch wait for (or skip) this row, so neither
      // write is lost: rotation re-wraps what it read under the lock, this writes a new envelope.
      const row = await lockRow(tx, as.scope, ref);
      const changes: Record<string, unknown> = {};
      const sets: string[] = [];
      const params: unknown[] = [row.id];
      const set = (col: string, v: unknown) => {
        params.push(v);
        sets.push(`${col} = $${params.length}`);
      };
      if (newName !== undefined && newName !== row.name) {
        set('name', newName);
        changes.name = { from: row.name, to: newName };
      }
      if (input.integration !== undefined) {
        const integ = await integrationId(tx, row.user_id, input.integration);
        if (integ !== row.integration_id) {
          set('integration_id', integ);
          changes.integration_id = { from: row.integration_id, to: integ };
        }
      }
      if (input.data !== undefined && keys) {
        const merged: Record<string, unknown> = input.replace ? { ...input.data } : { ...decrypt(keys, row), ...input.data };
        for (const k of Object.keys(merged)) if (merged[k] === null) delete merged[k];
        const data = validateCredentialData(row.type, merged);
        const sealed = sealCredential(keys, { credentialId: row.id, userId: row.user_id }, data);
        set('encrypted_data', sealed.envelope);
        set('key_id', sealed.keyId);
        set('masked_data', JSON.stringify(maskCredentialData(row.type, data)));
        set('oauth_expires_at', oauthExpiry(row.type, data));
        // Field names only: values, even masked, stay out of the audit log.
        changes.fields = Object.keys(input.data);
        if (input.replace) changes.replaced = true;
      }
      if (!sets.length) {
        // Nothing differs (e.g. the same name again): the current record, from the same transaction.
        const r = await tx.query<CredentialDetail>(`SELECT ${DETAIL_COLUMNS} FROM credentials c WHERE c.id = $1`, [row.id]);
        return r.rows[0]!;
      }
      const r = await tx.query<CredentialDetail>(`UPDATE credentials c SET ${sets.join(', ')} WHERE c.id = $1 RETURNING ${DETAIL_COLUMNS}`, params);
      await recordAudit(tx, deps.audit, {
        ...audited(as),
        eventType: 'credential.updated',
        resourceType: 'credential',
        resourceId: row.id,
        action: 'update',
        changes,
      });
      return r.rows[0]!;
    });
  } catch (err) {
    throw rephraseDuplicate(err, newName ?? ref);
  }
}

export interface WorkflowRef {
  id: string;
  name: string;
}

/**
 * Active workflows of the owner whose nodes reference the credential: by id, or by name when
 * the node's reference has no id (n8n exports may carry names only).
 */
export async function referencingWorkflows(tx: Queryable, cred: { id: string; name: string; user_id: string }): Promise<WorkflowRef[]> {
  const r = await tx.query<WorkflowRef>(
    `SELECT id, name FROM workflows
      WHERE user_id = $1 AND is_active
        AND jsonb_path_exists(definition, '$.nodes[*].credentials.* ? (@.id == $id || ((!exists(@.id) || @.id == null) && @.name == $name))',
                              jsonb_build_object('id', $2::text, 'name', $3::text))
      ORDER BY name`,
    [cred.user_id, cred.id, cred.name],
  );
  return r.rows;
}

export async function deleteCredential(
  deps: CredentialDeps,
  as: ActingAs,
  ref: string,
  opts: { force?: boolean } = {},
): Promise<{ id: string; name: string; workflows: WorkflowRef[] }> {
  return deps.db.tenantTransaction(as.scope, async (tx) => {
    const row = await lockRow(tx, as.scope, ref);
    const workflows = await referencingWorkflows(tx, row);
    if (workflows.length && !opts.force) {
      const list = workflows.slice(0, 3).map((w) => `"${w.name}" (${w.id})`).join(', ');
      throw new ConflictError(
        `credential "${row.name}" is used by ${workflows.length} active workflow${workflows.length > 1 ? 's' : ''}: ${list}${workflows.length > 3 ? ', …' : ''}`,
        { hint: 'deactivate those workflows first, or pass --force' },
      );
    }
    await tx.query(`DELETE FROM credentials WHERE id = $1`, [row.id]);
    await recordAudit(tx, deps.audit, {
      ...audited(as, workflows.length ? { forced: true, workflow_ids: workflows.map((w) => w.id) } : {}),
      eventType: 'credential.deleted',
      resourceType: 'credential',
      resourceId: row.id,
      action: 'delete',
      changes: { name: row.name, type: row.type },
    });
    return { id: row.id, name: row.name, workflows };
  });
}

/**
 * The execution path: decrypt a credential of the scope's user for a running node and record
 * the use. One statement both finds the row and stamps last_used_at.
 */
export async function useCredential(deps: CredentialDeps, scope: TenantScope, ref: string): Promise<{ row: Omit<SecretRow, 'encrypted_data'>; data: CredentialData }> {
  const keys = await deps.keys();
  return deps.db.tenantTransaction(scope, async (tx) => {
    const r = await tx.query<SecretRow>(
      `UPDATE credentials c SET last_used_at = NOW() WHERE c.user_id = $1 AND ${refClause(ref, 2)}
       RETURNING c.id, c.user_id, c.name, c.type, c.key_id, c.encrypted_data, c.integration_id, c.is_active`,
      [scope.userId, ref],
    );
    const row = r.rows[0];
    if (!row) throw notFound(ref);
    if (!row.is_active) throw new ConflictError(`credential "${row.name}" is disabled`, { hint: 'enable it or choose another credential' });
    const data = decrypt(keys, row);
    const { encrypted_data: _, ...meta } = row;
    return { row: meta, data };
  });
}

/**
 * Persist a refreshed OAuth2 token bundle (the engine refreshes during an execution). The
 * tokens stay inside the encrypted payload; only their expiry is kept in plain.
 */
export async function saveOAuthTokenData(deps: CredentialDeps, scope: TenantScope, ref: string, tokenData: Record<string, unknown>): Promise<void> {
  const keys = await deps.keys();
  await deps.db.tenantTransaction(scope, async (tx) => {
    const row = await lockRow(tx, scope, ref);
    if (row.type !== 'oauth2') throw new ValidationError(`credential "${row.name}" is not an oauth2 credential`);
    const data = validateCredentialData(row.type, { ...decrypt(keys, row), oauthTokenData: tokenData });
    const sealed = sealCredential(keys, { credentialId: row.id, userId: row.user_id }, data);
    await tx.query(`UPDATE credentials SET encrypted_data = $2, key_id = $3, masked_data = $4, oauth_expires_at = $5 WHERE id = $1`, [
      row.id,
      sealed.envelope,
      sealed.keyId,
      JSON.stringify(maskCredentialData(row.type, data)),
      oauthExpiry(row.type, data),
    ]);
    await recordAudit(tx, deps.audit, {
      userId: row.user_id,
      eventType: 'credential.token_refreshed',
      resourceType: 'credential',
      resourceId: row.id,
      action: 'update',
      changes: { fields: ['oauthTokenData'] },
      metadata: { by: 'execution' },
    });
  });
}
