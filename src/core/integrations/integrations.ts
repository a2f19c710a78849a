import type { ActingAs } from '../actor.js';
import { recordAudit } from '../audit.js';
import { actorMetadata } from '../auth/operator.js';
import type { Core } from '../context.js';
import type { Queryable } from '../db/types.js';
import { ConflictError, NotFoundError, UsageError, ValidationError } from '../errors.js';

export const APP_TYPES = ['zapier', 'custom', 'n8n'] as const;
export type AppType = (typeof APP_TYPES)[number];

/** An integrations row (--json uses these column names). */
export interface IntegrationRow {
  id: string;
  user_id: string;
  app_id: string;
  app_name: string;
  app_type: AppType;
  is_active: boolean;
  is_connected: boolean;
  last_verified_at: Date | null;
  capabilities: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
  settings: Record<string, unknown>;
}

const COLUMNS = 'id, user_id, app_id, app_name, app_type, is_active, is_connected, last_verified_at, capabilities, created_at, updated_at, settings';

export interface NewIntegration {
  appId: string;
  appName: string;
  appType: string;
  /** Triggers, actions, webhooks the app offers: a JSON object. */
  capabilities?: unknown;
}

function validate(n: NewIntegration): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,99}$/.test(n.appId)) {
    throw new ValidationError(`app id "${n.appId}" is not valid`, { hint: 'use 1-100 letters, digits and . _ : @ / -' });
  }
  if (!n.appName.trim() || n.appName.length > 255) throw new ValidationError('the app name must be 1-255 characters');
  if (!APP_TYPES.includes(n.appType as AppType)) throw new ValidationError(`unknown app type "${n.appType}"`, { hint: `use one of ${APP_TYPES.join(', ')}` });
  const c = n.capabilities;
  if (c !== undefined && (typeof c !== 'object' || c === null || Array.isArray(c))) {
    throw new ValidationError('capabilities must be a JSON object', { hint: 'e.g. {"triggers":["new_row"],"actions":["create_row"]}' });
  }
}

function audit(tx: Queryable, core: Core, as: ActingAs, event: string, action: string, id: string, changes: Record<string, unknown>) {
  const who = actorMetadata(as.actor);
  return recordAudit(tx, core, {
    userId: as.actor.userId ?? as.scope.userId,
    eventType: event,
    resourceType: 'integration',
    resourceId: id,
    action,
    changes,
    metadata: as.actor.userId === as.scope.userId ? who : { ...who, tenant_user_id: as.scope.userId },
  });
}

export async function listIntegrations(core: Core, as: ActingAs, opts: { type?: string } = {}): Promise<IntegrationRow[]> {
  if (opts.type && !APP_TYPES.includes(opts.type as AppType)) throw new UsageError(`unknown app type "${opts.type}"`, { hint: `use one of ${APP_TYPES.join(', ')}` });
  const db = await core.db();
  return db.tenantTransaction(as.scope, async (tx) => {
    const r = await tx.query<IntegrationRow>(
      `SELECT ${COLUMNS} FROM integrations WHERE user_id = $1 AND ($2::text IS NULL OR app_type = $2) ORDER BY app_name, app_id`,
      [as.scope.userId, opts.type ?? null],
    );
    return r.rows;
  });
}

export async function addIntegration(core: Core, as: ActingAs, n: NewIntegration): Promise<IntegrationRow> {
  validate(n);
  const db = await core.db();
  try {
    return await db.tenantTransaction(as.scope, async (tx) => {
      const r = await tx.query<IntegrationRow>(
        `INSERT INTO integrations (user_id, app_id, app_name, app_type, capabilities) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
        [as.scope.userId, n.appId, n.appName.trim(), n.appType, JSON.stringify(n.capabilities ?? {})],
      );
      const row = r.rows[0]!;
      await audit(tx, core, as, 'integration.created', 'create', row.id, { after: { app_id: row.app_id, app_name: row.app_name, app_type: row.app_type } });
      return row;
    });
  } catch (err) {
    if (err instanceof ConflictError) throw new ConflictError(`an integration with app id "${n.appId}" already exists`, { hint: 'remove it first, or pick another app id' });
    throw err;
  }
}

/**
 * Remove by app id or row id. Credentials linked to it would go with it (ON DELETE CASCADE), so
 * that is refused unless `force`.
 */
export async function removeIntegration(core: Core, as: ActingAs, ref: string, opts: { force?: boolean } = {}): Promise<IntegrationRow & { deleted_credentials: number }> {
  const db = await core.db();
  return db.tenantTransaction(as.scope, async (tx) => {
    const found = await tx.query<IntegrationRow>(
      `SELECT ${COLUMNS} FROM integrations WHERE user_id = $1 AND (app_id = $2 OR id::text = $2) FOR UPDATE`,
      [as.scope.userId, ref],
    );
    const row = found.rows[0];
    if (!row) throw new NotFoundError(`integration "${ref}" not found`, { hint: 'list them with `jobsprint integrations list`' });
    const creds = await tx.query<{ n: string }>('SELECT count(*) AS n FROM credentials WHERE integration_id = $1', [row.id]);
    const n = Number(creds.rows[0]?.n ?? 0);
    if (n && !opts.force) {
      throw new ConflictError(`${n} credential${n > 1 ? 's use' : ' uses'} integration "${row.app_id}"`, { hint: 'pass --force to delete them with it' });
    }
    await tx.query('DELETE FROM integrations WHERE id = $1', [row.id]);
    await audit(tx, core, as, 'integration.deleted', 'delete', row.id, {
      before: { app_id: row.app_id, app_name: row.app_name, app_type: row.app_type },
      deleted_credentials: n,
    });
    return { ...row, deleted_credentials: n };
  });
}
