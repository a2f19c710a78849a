import { ValidationError } from '../errors.js';

/**
 * Credential types and the fields each one holds. Field names follow n8n's credential data
 * (httpBasicAuth {user, password}, httpHeaderAuth {name, value}, httpBearerAuth {token},
 * oAuth2Api {clientId, clientSecret, …, oauthTokenData}) so ported nodes can use the data as is.
 */
export const CREDENTIAL_TYPES = ['api_key', 'basic_auth', 'oauth2', 'header_auth', 'bearer'] as const;
export type CredentialType = (typeof CREDENTIAL_TYPES)[number];

export interface FieldSpec {
  name: string;
  required: boolean;
  /** Secret fields are shown masked and prompted for without echo. */
  secret: boolean;
  /** 'object' only for oauth2's token bundle. */
  kind?: 'string' | 'object';
  description: string;
}

export const CREDENTIAL_FIELDS: Record<CredentialType, FieldSpec[]> = {
  api_key: [{ name: 'apiKey', required: true, secret: true, description: 'API key' }],
  basic_auth: [
    { name: 'user', required: true, secret: false, description: 'user name' },
    { name: 'password', required: true, secret: true, description: 'password' },
  ],
  header_auth: [
    { name: 'name', required: true, secret: false, description: 'header name, e.g. X-Api-Key' },
    { name: 'value', required: true, secret: true, description: 'header value' },
  ],
  bearer: [{ name: 'token', required: true, secret: true, description: 'bearer token' }],
  oauth2: [
    { name: 'clientId', required: true, secret: false, description: 'client id' },
    { name: 'clientSecret', required: true, secret: true, description: 'client secret' },
    { name: 'accessTokenUrl', required: true, secret: false, description: 'token endpoint URL' },
    { name: 'authUrl', required: false, secret: false, description: 'authorization endpoint URL' },
    { name: 'scope', required: false, secret: false, description: 'scopes, space-separated' },
    { name: 'grantType', required: false, secret: false, description: 'authorizationCode (default) or clientCredentials' },
    { name: 'authentication', required: false, secret: false, description: 'client authentication: header (default) or body' },
    // Access and refresh tokens live here, inside the encrypted payload, never in the
    // oauth_access_token / oauth_refresh_token columns.
    { name: 'oauthTokenData', required: false, secret: true, kind: 'object', description: 'token bundle {access_token, refresh_token, expires_at}' },
  ],
};

/** n8n credential type names mapped to ours, so imported workflows find their credentials. */
export const N8N_TYPE_ALIASES: Record<string, CredentialType> = {
  httpBasicAuth: 'basic_auth',
  httpHeaderAuth: 'header_auth',
  httpBearerAuth: 'bearer',
  oAuth2Api: 'oauth2',
  // n8n's query auth holds the same {name, value} pair, sent as a query parameter.
  httpQueryAuth: 'header_auth',
};

export type CredentialData = Record<string, unknown>;

export function isCredentialType(t: string): t is CredentialType {
  return (CREDENTIAL_TYPES as readonly string[]).includes(t);
}

export function parseCredentialType(t: string): CredentialType {
  if (!isCredentialType(t)) {
    throw new ValidationError(`unknown credential type "${t}"`, { hint: `one of: ${CREDENTIAL_TYPES.join(', ')}` });
  }
  return t;
}

/**
 * Check a data object against its type: every required field present and non-empty, no
 * unknown fields, strings where strings belong. Messages name fields, never values.
 */
export function validateCredentialData(type: CredentialType, data: unknown): CredentialData {
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new ValidationError('credential data must be a JSON object', { hint: `fields for ${type}: ${fieldList(type)}` });
  }
  const specs = CREDENTIAL_FIELDS[type];
  const obj = data as Record<string, unknown>;
  const unknown = Object.keys(obj).filter((k) => !specs.some((s) => s.name === k));
  if (unknown.length) {
    throw new ValidationError(`unknown field${unknown.length > 1 ? 's' : ''} for ${type}: ${unknown.join(', ')}`, {
      hint: `fields for ${type}: ${fieldList(type)}`,
    });
  }
  const out: CredentialData = {};
  for (const spec of specs) {
    const v = obj[spec.name];
    if (v === undefined || v === null || v === '') {
      if (spec.required) {
        throw new ValidationError(`missing field "${spec.name}" for ${type}`, { hint: `fields for ${type}: ${fieldList(type)}` });
      }
      continue;
    }
    if ((spec.kind ?? 'string') === 'string' && typeof v !== 'string') {
      throw new ValidationError(`field "${spec.name}" must be a string`);
    }
    if (spec.kind === 'object' && (typeof v !== 'object' || Array.isArray(v))) {
      throw new ValidationError(`field "${spec.name}" must be a JSON object`);
    }
    out[spec.name] = v;
  }
  return out;
}

export function fieldList(type: CredentialType): string {
  return CREDENTIAL_FIELDS[type].map((s) => (s.required ? s.name : `${s.name}?`)).join(', ');
}

/**
 * What `show` prints without decrypting: non-secret fields as they are, secret strings as
 * `••••` plus their last four characters (only when long enough that four characters give
 * little away), secret objects as `••••`. Computed once at write time and stored in plain
 * (masked_data), so showing a credential never needs its key.
 */
export function maskCredentialData(type: CredentialType, data: CredentialData): Record<string, string> {
  const masked: Record<string, string> = {};
  for (const spec of CREDENTIAL_FIELDS[type]) {
    const v = data[spec.name];
    if (v === undefined) continue;
    if (!spec.secret) masked[spec.name] = String(v);
    else masked[spec.name] = maskSecret(v);
  }
  return masked;
}

export function maskSecret(v: unknown): string {
  if (typeof v === 'string' && v.length >= 12) return `••••${v.slice(-4)}`;
  return '••••';
}

/** The token expiry kept in plain (oauth_expires_at) so refresh can be scheduled without decrypting. */
export function oauthExpiry(type: CredentialType, data: CredentialData): Date | null {
  if (type !== 'oauth2') return null;
  const tok = data.oauthTokenData as Record<string, unknown> | undefined;
  const at = tok?.expires_at;
  if (typeof at === 'string' || typeof at === 'number') {
    const d = new Date(at);
    if (!Number.isNaN(d.getTime())) return d;
  }
  return null;
}
