import type { INodeExecutionData, NodeType } from '../types.js';
import { NodeOperationError } from '../errors.js';

export const simpleNodes: NodeType[] = [
  {
    type: 'n8n-nodes-base.noOp',
    versions: [1],
    async execute(ctx) {
      return [ctx.getInputData()];
    },
  },
  {
    type: 'n8n-nodes-base.stickyNote',
    versions: [1],
    ignored: true,
    inputs: () => 0,
    outputs: () => 0,
    async execute() {
      return null;
    },
  },
  {
    // n8n's test helper node: outputs its `data` parameter as items
    type: 'n8n-nodes-testing.testData',
    async execute(ctx) {
      let data = ctx.getNodeParameter('data', 0, []);
      if (typeof data === 'string') data = JSON.parse(data);
      const arr = Array.isArray(data) ? data : [data];
      return [arr.map((d: any) => (d && typeof d === 'object' && 'json' in d ? d : { json: d }))];
    },
  },
  {
    type: 'n8n-nodes-base.stopAndError',
    versions: [1],
    async execute(ctx) {
      const errorType = ctx.getNodeParameter('errorType', 0, 'errorMessage');
      let message: string;
      let obj: any;
      if (errorType === 'errorObject') {
        obj = ctx.getNodeParameter('errorObject', 0, {});
        if (typeof obj === 'string') {
          try {
            obj = JSON.parse(obj);
          } catch {
            /* keep as string */
          }
        }
        message = (obj && (obj.message || obj.description || obj.error)) || (typeof obj === 'string' ? obj : JSON.stringify(obj)) || 'Error';
      } else message = String(ctx.getNodeParameter('errorMessage', 0, ''));
      const err = new NodeOperationError(ctx.node, message);
      if (obj && typeof obj === 'object' && obj.description) err.description = String(obj.description);
      throw err;
    },
  },
];

export type { INodeExecutionData };

const TRAINING_PEOPLE = [
  { id: '23423532', name: 'Jay Gatsby', email: 'gatsby@west-egg.com', notes: 'Keeps asking about a green light??', country: 'US', created: '1925-04-10' },
  { id: '23423533', name: 'José Arcadio Buendía', email: 'jab@macondo.co', notes: 'Lots of people named after him. Very confusing', country: 'CO', created: '1967-05-05' },
  { id: '23423534', name: 'Max Sendak', email: 'info@in-and-out-of-weeks.org', notes: 'Keeps rolling his terrible eyes', country: 'US', created: '1963-04-09' },
  { id: '23423535', name: 'Zaphod Beeblebrox', email: 'captain@heartofgold.com', notes: 'Felt like I was talking to more than one person', country: null, created: '1979-10-12' },
  { id: '23423536', name: 'Edmund Pevensie', email: 'edmund@narnia.gov', notes: 'Passionate sailor', country: 'UK', created: '1950-10-16' },
];

/** n8n's training node "Customer Datastore (n8n training)": fixed fake customers. */
simpleNodes.push({
  type: 'n8n-nodes-base.n8nTrainingCustomerDatastore',
  versions: [1],
  async execute(ctx) {
    const items = ctx.getInputData();
    const out: INodeExecutionData[] = [];
    for (let i = 0; i < items.length; i++) {
      const op = ctx.getNodeParameter('operation', i, 'getOnePerson');
      if (op === 'getOnePerson') out.push({ json: { ...TRAINING_PEOPLE[0] }, pairedItem: { item: i } });
      else {
        const all = ctx.getNodeParameter('returnAll', i, false);
        const limit = Number(ctx.getNodeParameter('limit', i, 5));
        for (const p of all ? TRAINING_PEOPLE : TRAINING_PEOPLE.slice(0, limit)) out.push({ json: { ...p }, pairedItem: { item: i } });
      }
    }
    return [out];
  },
});
