import type { Core } from '../context.js';
import type { TenantScope } from '../db/types.js';
import type { CredentialsProvider, IDataObject, INode } from '../engine/types.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { keySet } from './keys.js';
import { isUuid } from '../ids.js';
import { saveOAuthTokenData, useCredential, type CredentialDeps } from './store.js';
import { N8N_TYPE_ALIASES, isCredentialType, type CredentialData } from './types.js';

/** Deps for a CLI run or a worker: the core's database, its keys (loaded on first use), its audit context. */
export async function credentialDeps(core: Core): Promise<CredentialDeps> {
  return {
    db: await core.db(),
    keys: () => keySet(core.config),
    audit: { requestId: core.requestId, userAgent: core.userAgent },
  };
}

/**
 * Credentials for the engine and the worker. Decryption happens here, at the moment a node
 * asks, and the plaintext goes only to that node: never into logs, run data or caches.
 */
export class StoreCredentialsProvider {
  constructor(private readonly deps: CredentialDeps) {}

  /**
   * Decrypted data of the scope user's credential `ref` (id or name), checked against the
   * requested type (ours, e.g. basic_auth, or an n8n alias such as httpBasicAuth). Stamps last_used_at.
   */
  async getCredential(scope: TenantScope, ref: string, type?: string): Promise<CredentialData> {
    const { row, data } = await useCredential(this.deps, scope, ref);
    const wanted = type ? (isCredentialType(type) ? type : N8N_TYPE_ALIASES[type]) : undefined;
    if (wanted && wanted !== row.type) {
      throw new ValidationError(`credential "${row.name}" is of type ${row.type}, not ${type}`, {
        hint: `choose a ${wanted} credential`,
      });
    }
    return data;
  }

  /**
   * The engine's interface, for one execution of `scope`'s workflow. `updateOAuthTokenData`
   * is an addition the engine may call after refreshing an OAuth2 token, so the new tokens
   * survive the execution.
   */
  forExecution(scope: TenantScope): CredentialsProvider & { updateOAuthTokenData(type: string, node: INode, tokenData: IDataObject): Promise<void> } {
    const resolve = async <T>(type: string, node: INode, fn: (ref: string) => Promise<T>): Promise<T> => {
      const ref = node.credentials?.[type];
      if (!ref || (!ref.id && !ref.name)) {
        throw new NotFoundError(`node "${node.name}" has no ${type} credential`, {
          hint: `set credentials.${type} on the node to a credential id or name`,
        });
      }
      // n8n exports carry n8n's own ids; those are not ours, so fall back to the name.
      if (ref.id && isUuid(ref.id)) {
        try {
          return await fn(ref.id);
        } catch (err) {
          if (!(err instanceof NotFoundError) || !ref.name) throw err;
        }
      }
      if (!ref.name) throw new NotFoundError(`credential ${ref.id} of node "${node.name}" not found`, { hint: 'see `jobsprint credentials list`' });
      return fn(ref.name);
    };
    return {
      getCredentials: (type, node) => resolve(type, node, (ref) => this.getCredential(scope, ref, type)),
      updateOAuthTokenData: (type, node, tokenData) => resolve(type, node, (ref) => saveOAuthTokenData(this.deps, scope, ref, tokenData)),
    };
  }
}

export async function credentialsProvider(core: Core): Promise<StoreCredentialsProvider> {
  return new StoreCredentialsProvider(await credentialDeps(core));
}
