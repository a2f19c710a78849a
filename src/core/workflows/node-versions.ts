/**
 * typeVersions n8n has shipped for its core nodes (n8n-nodes-base, up to n8n 1.123), so an
 * import can reject a version n8n itself would not know (`typeVersion 7` on a Set node is a
 * typo or a corrupted file, and running it would silently pick other parameter semantics).
 * Node types not listed here (community nodes, the langchain package, the hundreds of service
 * nodes) are checked only for a well-formed number: rejecting a valid workflow is worse than
 * letting an odd version through to the engine, which refuses what it cannot run.
 * Sources: n8n-io/n8n packages/nodes-base/nodes/<Node>/<Node>.node.ts (`version` /
 * `nodeVersions`), cross-checked with the typeVersions seen in ../shared/n8n-corpus/stats.
 */
const KNOWN: Record<string, number[]> = {
  manualTrigger: [1],
  start: [1],
  scheduleTrigger: [1, 1.1, 1.2, 1.3],
  cron: [1],
  interval: [1],
  webhook: [1, 1.1, 2, 2.1],
  respondToWebhook: [1, 1.1, 1.2, 1.3, 1.4, 1.5],
  errorTrigger: [1],
  executeWorkflowTrigger: [1, 1.1],
  executeWorkflow: [1, 1.1, 1.2, 1.3],
  httpRequest: [1, 2, 3, 4, 4.1, 4.2, 4.3, 4.4],
  set: [1, 2, 3, 3.1, 3.2, 3.3, 3.4],
  if: [1, 2, 2.1, 2.2, 2.3],
  switch: [1, 2, 3, 3.1, 3.2, 3.3],
  merge: [1, 2, 2.1, 3, 3.1, 3.2],
  filter: [1, 2, 2.1, 2.2, 2.3],
  code: [1, 2],
  function: [1],
  functionItem: [1],
  noOp: [1],
  wait: [1, 1.1],
  splitInBatches: [1, 2, 3],
  splitOut: [1],
  aggregate: [1],
  itemLists: [1, 2, 2.1, 2.2, 3, 3.1],
  sort: [1],
  limit: [1],
  removeDuplicates: [1, 1.1, 2],
  summarize: [1, 1.1],
  renameKeys: [1],
  compareDatasets: [1, 2, 2.1, 2.2, 2.3],
  dateTime: [1, 2],
  crypto: [1, 2],
  html: [1, 1.1, 1.2],
  xml: [1],
  markdown: [1],
  stickyNote: [1],
  stopAndError: [1],
};

const PREFIX = 'n8n-nodes-base.';

/** The versions n8n knows for this node type, or undefined when we do not track the type. */
export function knownTypeVersions(type: string): number[] | undefined {
  if (!type.startsWith(PREFIX)) return undefined;
  return KNOWN[type.slice(PREFIX.length)];
}
