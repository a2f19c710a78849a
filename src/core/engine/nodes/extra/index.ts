import type { NodeType } from '../../types.js';
import { aggregateNode } from './aggregate.js';
import { chatCompletionNode } from './ai/chatCompletion.js';
import { compareDatasetsNode } from './compareDatasets.js';
import { cryptoNode } from './crypto.js';
import { dateTimeNode } from './dateTime.js';
import { htmlNode } from './html.js';
import { httpRequestNode } from './httpRequest/index.js';
import { itemListsNode } from './itemLists.js';
import { limitNode } from './limit.js';
import { markdownNode } from './markdown.js';
import { removeDuplicatesNode } from './removeDuplicates.js';
import { renameKeysNode } from './renameKeys.js';
import { respondToWebhookNode } from './respondToWebhook.js';
import { sortNode } from './sort.js';
import { splitOutNode } from './splitOut.js';
import { summarizeNode } from './summarize.js';
import { xmlNode } from './xml.js';

export { mapLangChainNodes } from './ai/langchainImport.js';
export { buildWebhookResponse, type WebhookResponse } from './respondToWebhook.js';

/** Data-transformation, utility, HTTP and AI nodes (registered by nodes/registry.ts). */
export const extraNodes: NodeType[] = [
  splitOutNode,
  aggregateNode,
  itemListsNode,
  sortNode,
  limitNode,
  removeDuplicatesNode,
  summarizeNode,
  renameKeysNode,
  compareDatasetsNode,
  dateTimeNode,
  cryptoNode,
  htmlNode,
  xmlNode,
  markdownNode,
  respondToWebhookNode,
  httpRequestNode,
  chatCompletionNode,
];
