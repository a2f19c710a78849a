import { createHash, createHmac, createSign, randomBytes, randomUUID } from 'node:crypto';
import type { NodeType } from '../../types.js';
import { assertBinaryData, binaryBuffer } from './binary.js';
import { setPath } from '../shared/path.js';
import { nodeError, perItem } from './util.js';
import { deepCopy } from '../shared/copy.js';

const ALGORITHMS: Record<string, string> = {
  MD5: 'md5', SHA1: 'sha1', SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512',
  'SHA3-256': 'sha3-256', 'SHA3-384': 'sha3-384', 'SHA3-512': 'sha3-512',
};
const ASCII = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function algorithm(type: string): string {
  return ALGORITHMS[type] ?? type.toLowerCase();
}

/** Crypto: hash, HMAC, sign (PEM key) and random generation (v1, v2 adds binary input). */
export const cryptoNode: NodeType = {
  type: 'n8n-nodes-base.crypto',
  versions: [1, 2],
  async execute(ctx) {
    const items = ctx.getInputData();
    const action = ctx.getNodeParameter('action', 0, 'hash') as string;
    const out = await perItem(ctx, items, (item, i) => {
      const field = ctx.getNodeParameter('dataPropertyName', i, 'data') as string;
      let value: string;
      if (action === 'generate') {
        const type = ctx.getNodeParameter('encodingType', i, 'uuid') as string;
        const length = Number(ctx.getNodeParameter('stringLength', i, 32));
        if (type === 'uuid') value = randomUUID();
        else if (type === 'base64') value = randomBytes(length).toString('base64').slice(0, length);
        else if (type === 'hex') value = randomBytes(length).toString('hex').slice(0, length);
        else value = Array.from(randomBytes(length), (b) => ASCII[b % ASCII.length]).join('');
      } else {
        const binaryMode = Number(ctx.node.typeVersion) >= 2 && ctx.getNodeParameter('binaryData', i, false) === true;
        const input: Buffer | string = binaryMode
          ? binaryBuffer(assertBinaryData(ctx.node, item, ctx.getNodeParameter('binaryPropertyName', i, 'data') as string, i))
          : String(ctx.getNodeParameter('value', i, '') ?? '');
        const encoding = ctx.getNodeParameter('encoding', i, 'hex') as 'hex' | 'base64';
        const type = ctx.getNodeParameter('type', i, action === 'sign' ? 'RSA-SHA256' : 'MD5') as string;
        if (action === 'hash') value = createHash(algorithm(type)).update(input).digest(encoding);
        else if (action === 'hmac') value = createHmac(algorithm(type), String(ctx.getNodeParameter('secret', i, ''))).update(input).digest(encoding);
        else if (action === 'sign') {
          const key = String(ctx.getNodeParameter('privateKey', i, ''));
          value = createSign(ctx.getNodeParameter('algorithm', i, type) as string).update(input).sign(key, encoding);
        } else throw nodeError(ctx.node, `The action "${action}" is not supported`);
      }
      const json = deepCopy(item.json);
      setPath(json, field, value);
      return { json, binary: item.binary, pairedItem: { item: i } };
    });
    return [out];
  },
};
