/** Which credential an HTTP Request node uses, and how it is applied (see transport.applyAuth). */
import { NodeOperationError } from '../../../errors.js';
import type { IDataObject, NodeExecuteContext } from '../../../types.js';
import type { Auth } from './transport.js';

const GENERIC = new Set(['httpBasicAuth', 'httpHeaderAuth', 'httpQueryAuth', 'httpBearerAuth', 'oAuth2Api', 'httpCustomAuth']);
const LEGACY: Record<string, string> = {
  basicAuth: 'httpBasicAuth',
  headerAuth: 'httpHeaderAuth',
  queryAuth: 'httpQueryAuth',
  oAuth2: 'oAuth2Api',
  digestAuth: 'httpDigestAuth',
  oAuth1: 'oAuth1Api',
};

/**
 * Service credentials ("predefined credential type") that reduce to a header or
 * bearer token. Others are reported as unsupported rather than sent unauthenticated.
 */
const PREDEFINED: Record<string, (d: IDataObject) => { kind: string; data: IDataObject }> = {
  openAiApi: (d) => ({ kind: 'httpCustomAuth', data: { json: { headers: { authorization: `Bearer ${d.apiKey}`, ...(d.organizationId ? { 'OpenAI-Organization': d.organizationId } : {}) } } } }),
  anthropicApi: (d) => ({ kind: 'httpCustomAuth', data: { json: { headers: { 'x-api-key': d.apiKey, 'anthropic-version': '2023-06-01' } } } }),
  notionApi: (d) => ({ kind: 'httpCustomAuth', data: { json: { headers: { authorization: `Bearer ${d.apiKey}`, 'Notion-Version': '2022-02-22' } } } }),
  slackApi: (d) => ({ kind: 'httpBearerAuth', data: { token: d.accessToken } }),
  airtableTokenApi: (d) => ({ kind: 'httpBearerAuth', data: { token: d.accessToken } }),
  githubApi: (d) => ({ kind: 'httpCustomAuth', data: { json: { headers: { authorization: `token ${d.accessToken}` } } } }),
  googlePalmApi: (d) => ({ kind: 'httpCustomAuth', data: { json: { headers: { 'x-goog-api-key': d.apiKey } } } }),
  mistralCloudApi: (d) => ({ kind: 'httpBearerAuth', data: { token: d.apiKey } }),
  groqApi: (d) => ({ kind: 'httpBearerAuth', data: { token: d.apiKey } }),
  openRouterApi: (d) => ({ kind: 'httpBearerAuth', data: { token: d.apiKey } }),
  deepSeekApi: (d) => ({ kind: 'httpBearerAuth', data: { token: d.apiKey } }),
  telegramApi: () => ({ kind: 'none', data: {} }),
};

function unsupported(ctx: NodeExecuteContext, type: string): NodeOperationError {
  return new NodeOperationError(ctx.node, `The credential type "${type}" is not supported by the HTTP Request node in Jobsprint`, {
    description: 'Use a generic credential instead (Header Auth, Query Auth, Basic Auth, Bearer Auth or OAuth2)',
  });
}

async function load(ctx: NodeExecuteContext, kind: string, credentialType: string): Promise<Auth> {
  const data = await ctx.getCredentials(credentialType);
  return { kind, credentialType, data };
}

export async function resolveAuth(ctx: NodeExecuteContext, itemIndex: number, mode: 'v1' | 'v3'): Promise<Auth> {
  const authentication = String(ctx.getNodeParameter('authentication', itemIndex, 'none') ?? 'none');
  if (authentication === 'none') return { kind: 'none' };
  if (authentication === 'genericCredentialType') {
    const type = String(ctx.getNodeParameter('genericAuthType', 0, ''));
    if (!GENERIC.has(type)) throw unsupported(ctx, type);
    return load(ctx, type, type);
  }
  if (authentication === 'predefinedCredentialType') {
    const type = String(ctx.getNodeParameter('nodeCredentialType', itemIndex, ''));
    if (/OAuth2Api$/.test(type)) return load(ctx, 'oAuth2Api', type);
    const map = PREDEFINED[type];
    if (!map) throw unsupported(ctx, type);
    const data = await ctx.getCredentials(type);
    const mapped = map(data);
    // Keep the original data for secret redaction.
    return { kind: mapped.kind, credentialType: type, data: { ...mapped.data, __source: data } };
  }
  const legacy = LEGACY[authentication];
  if (mode === 'v1' && legacy) {
    if (legacy === 'httpDigestAuth' || legacy === 'oAuth1Api') throw unsupported(ctx, legacy);
    return load(ctx, legacy, legacy);
  }
  throw unsupported(ctx, authentication);
}
