/** n8n-shaped binary entries for items (`prepareBinaryData`), kept in the item as base64. */
import { extname } from 'node:path';
import type { IBinaryData, INodeExecutionData } from '../../types.js';
import { nodeError } from './util.js';
import type { INode } from '../../types.js';

const EXT_BY_MIME: Record<string, string> = {
  'application/json': 'json', 'application/pdf': 'pdf', 'application/xml': 'xml', 'application/zip': 'zip',
  'application/gzip': 'gz', 'application/octet-stream': 'bin', 'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif',
  'image/webp': 'webp', 'image/svg+xml': 'svg', 'text/plain': 'txt', 'text/html': 'html', 'text/csv': 'csv',
  'text/xml': 'xml', 'audio/mpeg': 'mp3', 'video/mp4': 'mp4', 'text/markdown': 'md',
};
const MIME_BY_EXT: Record<string, string> = Object.fromEntries(Object.entries(EXT_BY_MIME).map(([m, e]) => [e, m]));
MIME_BY_EXT.jpeg = 'image/jpeg';
MIME_BY_EXT.htm = 'text/html';

export function humanFileSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let u = -1;
  do {
    n /= 1000;
    u++;
  } while (n >= 1000 && u < units.length - 1);
  return `${Number(n.toFixed(1))} ${units[u]}`;
}

function fileTypeOf(mime: string): string | undefined {
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime.startsWith('video/')) return 'video';
  if (mime.startsWith('text/') || mime === 'application/json' || mime === 'application/xml') return mime === 'application/json' ? 'json' : 'text';
  if (mime === 'application/pdf') return 'pdf';
  return undefined;
}

export function prepareBinaryData(data: Buffer | string, fileName?: string, mimeType?: string): IBinaryData {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let mime = (mimeType ?? '').split(';')[0].trim();
  const ext = fileName ? extname(fileName).slice(1).toLowerCase() : '';
  if (!mime) mime = MIME_BY_EXT[ext] ?? (typeof data === 'string' ? 'text/plain' : 'application/octet-stream');
  const out: IBinaryData = { data: buf.toString('base64'), mimeType: mime };
  const type = fileTypeOf(mime);
  if (type) out.fileType = type;
  const extension = ext || EXT_BY_MIME[mime];
  if (extension) out.fileExtension = extension;
  if (fileName) out.fileName = fileName;
  out.fileSize = humanFileSize(buf.length);
  return out;
}

export function assertBinaryData(node: INode, item: INodeExecutionData, property: string, itemIndex: number): IBinaryData {
  const bin = item.binary?.[property];
  if (!item.binary) throw nodeError(node, 'This operation expects the node\'s input data to contain a binary file, but none was found [item ' + itemIndex + ']', { itemIndex, description: 'Make sure that the previous node outputs a binary file' });
  if (!bin) throw nodeError(node, `The item has no binary field '${property}' [item ${itemIndex}]`, { itemIndex, description: `Check that the parameter where you specified the input binary field name is correct, and that it matches a field in the binary input` });
  return bin;
}

export function binaryBuffer(bin: IBinaryData): Buffer {
  return Buffer.from(bin.data, 'base64');
}
