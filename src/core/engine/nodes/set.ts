import type { IDataObject, INodeExecutionData, NodeExecuteContext, NodeType } from '../types.js';
import { NodeOperationError } from '../errors.js';
import { getPath, setPath, unsetPath } from './shared/path.js';
import { deepCopy } from './shared/copy.js';
import { jsonParseLoose, validateFieldType, valueDescription } from './shared/validate.js';
import { perItem, prepareFieldsArray } from './extra/util.js';

/** Set / Edit Fields: v1-v2 (values.string/number/boolean) and v3-v3.4 (fields / assignments / raw JSON). */
export const setNode: NodeType = {
  type: 'n8n-nodes-base.set',
  versions: [1, 2, 3, 3.1, 3.2, 3.3, 3.4],
  async execute(ctx) {
    return ctx.node.typeVersion < 3 ? executeV1(ctx) : executeV3(ctx);
  },
};

async function executeV1(ctx: NodeExecuteContext): Promise<INodeExecutionData[][]> {
  const items = ctx.getInputData();
  const out: INodeExecutionData[] = [];
  for (let i = 0; i < items.length; i++) {
    const keepOnlySet = ctx.getNodeParameter('keepOnlySet', i, false);
    const options = ctx.getNodeParameter('options', i, {}) as IDataObject;
    const newItem: INodeExecutionData = { json: {}, pairedItem: { item: i } };
    if (!keepOnlySet) {
      if (items[i].binary !== undefined) newItem.binary = { ...items[i].binary };
      newItem.json = deepCopy(items[i].json);
    }
    const put = (name: string, value: unknown) => {
      if (options.dotNotation === false) newItem.json[name] = value;
      else setPath(newItem.json, name, value);
    };
    for (const v of (ctx.getNodeParameter('values.boolean', i, []) as IDataObject[]) ?? []) put(String(v.name ?? 'propertyName'), !!('value' in v ? v.value : false));
    for (const v of (ctx.getNodeParameter('values.number', i, []) as IDataObject[]) ?? []) put(String(v.name ?? 'propertyName'), 'value' in v ? v.value : 0);
    for (const v of (ctx.getNodeParameter('values.string', i, []) as IDataObject[]) ?? []) put(String(v.name ?? 'propertyName'), 'value' in v ? v.value : '');
    out.push(newItem);
  }
  return [out];
}

function validateEntry(name: string, type: string, value: unknown, ctx: NodeExecuteContext, i: number, ignoreErrors: boolean): { name: string; value: unknown } {
  const version = ctx.node.typeVersion;
  if (version >= 3.3 && (value === undefined || value === null)) return { name, value: null };
  const description = `To fix the error try to change the type for the field "${name}" or activate the option “Ignore Type Conversion Errors” to apply a less strict type validation`;
  let v = value;
  if (type === 'string') {
    if (version > 3 && (v === undefined || v === null)) {
      if (ignoreErrors) return { name, value: null };
      throw new NodeOperationError(ctx.node, `'${name}' expects a ${type} but we got ${valueDescription(v)} [item ${i}]`, { description, itemIndex: i });
    } else if (typeof v === 'object') v = JSON.stringify(v);
    else v = String(v);
  }
  const r = validateFieldType(name, v, type);
  if (!r.valid) {
    if (ignoreErrors) return { name, value: v ?? null };
    throw new NodeOperationError(ctx.node, `${r.errorMessage} [item ${i}]`, { itemIndex: i, description });
  }
  return { name, value: r.newValue === undefined ? null : r.newValue };
}

function composeItem(ctx: NodeExecuteContext, i: number, input: INodeExecutionData, fields: IDataObject, options: IDataObject): INodeExecutionData {
  const version = ctx.node.typeVersion;
  const newItem: INodeExecutionData = { json: {}, pairedItem: { item: i } };
  const includeBinary = (version >= 3.4 && !options.stripBinary) || (version < 3.4 && !!options.includeBinary);
  if (includeBinary && input.binary !== undefined) newItem.binary = { ...input.binary };
  let include: string;
  if (version >= 3.3) include = ctx.getNodeParameter('includeOtherFields', i, false) ? ctx.getNodeParameter('include', i, 'all') : 'none';
  else include = ctx.getNodeParameter('include', i, 'all');
  switch (include) {
    case 'all':
      newItem.json = deepCopy(input.json);
      break;
    case 'selected':
      for (const key of prepareFieldsArray(ctx.getNodeParameter('includeFields', i, ''), 'Fields to Include')) {
        const v = options.dotNotation === false ? input.json[key] : getPath(input.json, key);
        if (v === undefined) continue;
        const k = options.dotNotation !== false && key.includes('.') ? key.split('.').pop()! : key;
        newItem.json[k] = deepCopy(v);
      }
      break;
    case 'except': {
      const data = deepCopy(input.json);
      for (const key of prepareFieldsArray(ctx.getNodeParameter('excludeFields', i, ''), 'Fields to Exclude')) {
        if (options.dotNotation === false) delete data[key];
        else unsetPath(data, key);
      }
      newItem.json = data;
      break;
    }
    case 'none':
      break;
    default:
      throw new NodeOperationError(ctx.node, `The include option "${include}" is not known!`);
  }
  for (const key of Object.keys(fields)) {
    if (options.dotNotation === false) newItem.json[key] = fields[key];
    else setPath(newItem.json, key, fields[key]);
  }
  return newItem;
}

async function executeV3(ctx: NodeExecuteContext): Promise<INodeExecutionData[][]> {
  const items = ctx.getInputData();
  const mode = ctx.getNodeParameter('mode', 0, 'manual');
  const out = await perItem(ctx, items, (item, i) => {
    const options = (ctx.getNodeParameter('options', i, {}) ?? {}) as IDataObject;
    const ignore = !!options.ignoreConversionErrors;
    let fields: IDataObject = {};
    if (mode === 'raw') {
      let json = ctx.getNodeParameter('jsonOutput', i, '{}');
      if (typeof json === 'string') {
        try {
          json = jsonParseLoose(json);
        } catch {
          throw new NodeOperationError(ctx.node, `The 'JSON Output' in item ${i} contains invalid JSON`, { itemIndex: i });
        }
      }
      if (!json || typeof json !== 'object' || Array.isArray(json))
        throw new NodeOperationError(ctx.node, `The 'JSON Output' in item ${i} does not contain a valid JSON object`, { itemIndex: i });
      fields = json as IDataObject;
    } else if (ctx.node.typeVersion < 3.3) {
      const values = (ctx.getNodeParameter('fields.values', i, []) ?? []) as IDataObject[];
      for (const e of values) {
        const t = String(e.type ?? 'stringValue');
        let value = e[t];
        if (t === 'objectValue' && typeof value === 'string') {
          try {
            value = jsonParseLoose(value);
          } catch {
            /* validated below */
          }
        }
        const r = validateEntry(String(e.name ?? ''), t.replace('Value', ''), value, ctx, i, ignore);
        fields[r.name] = r.value;
      }
    } else {
      const col = (ctx.getNodeParameter('assignments', i, {}) ?? {}) as IDataObject;
      for (const a of ((col.assignments as IDataObject[]) ?? [])) {
        const r = validateEntry(String(a.name ?? ''), String(a.type ?? 'string'), a.value, ctx, i, ignore);
        fields[r.name] = r.value;
      }
    }
    return composeItem(ctx, i, item, fields, options);
  });
  return [out];
}
