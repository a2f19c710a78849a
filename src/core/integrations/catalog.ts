import { loadEngineSupport } from '../workflows/engine-support.js';

export interface CatalogEntry {
  node_type: string;
  trigger: boolean;
  /** typeVersions the engine implements; null when it accepts any. */
  versions: number[] | null;
  /** n8n credential type names the node can use (node.credentials keys). */
  credential_types: string[];
}

/**
 * n8n's credential types for the supported core nodes that take credentials, used when the
 * engine's registry does not declare them itself (NodeType.credentialTypes).
 * Source: n8n-io/n8n HttpRequestV3.node.ts, Webhook.node.ts, RespondToWebhook.node.ts.
 */
const N8N_CREDENTIAL_TYPES: Record<string, string[]> = {
  'n8n-nodes-base.httpRequest': ['httpBasicAuth', 'httpDigestAuth', 'httpHeaderAuth', 'httpQueryAuth', 'httpCustomAuth', 'oAuth1Api', 'oAuth2Api'],
  'n8n-nodes-base.webhook': ['httpBasicAuth', 'httpHeaderAuth', 'jwtAuth'],
  'n8n-nodes-base.respondToWebhook': ['jwtAuth'],
};

/** The node types the engine runs, and the credential types each can use. */
export async function integrationCatalog(): Promise<CatalogEntry[]> {
  const support = await loadEngineSupport();
  return support.listSupportedNodeTypes().map((type) => {
    const d = support.describe(type);
    const declared = support.credentialTypesOf(type);
    return { node_type: type, trigger: d.trigger, versions: d.versions, credential_types: declared.length ? declared : (N8N_CREDENTIAL_TYPES[type] ?? []) };
  });
}
