import type { IConnection, INode, WorkflowDefinition } from '../types.js';

export interface ConnIn { node: string; type: string; index: number; sourceIndex: number }

/**
 * What every run of one frozen definition shares (see freezeDefinition): its shape cannot change,
 * so the worker, which runs the same cached definition thousands of times a second, indexes and
 * validates it once. Undefined for any other definition: it is indexed and checked on every run.
 */
export interface SharedByRuns {
  graph?: WorkflowGraph;
  /** It passed validateWorkflow. */
  valid?: boolean;
}

export function sharedByRuns(def: WorkflowDefinition): SharedByRuns | undefined {
  if (!isFrozenDefinition(def)) return undefined;
  // A copy of the definition ({ ...def, staticData }) shares its frozen parts, and so this entry.
  let entry = shared.get(def.nodes);
  if (!entry || entry.connections !== def.connections || entry.settings !== def.settings) {
    entry = { connections: def.connections, settings: def.settings };
    shared.set(def.nodes, entry);
  }
  return entry;
}
const shared = new WeakMap<object, SharedByRuns & { connections: unknown; settings: unknown }>();

/** The definition's connection graph: shared by its runs when it is frozen. */
export function graphOf(def: WorkflowDefinition): WorkflowGraph {
  const entry = sharedByRuns(def);
  return entry ? (entry.graph ??= new WorkflowGraph(def)) : new WorkflowGraph(def);
}

/**
 * Freeze what a run reads of a definition's shape (its node list, each node's own fields,
 * connections and settings), so runs may share what they derive from it (sharedByRuns).
 * Node parameters stay as they are (the engine never writes them). Returns the definition.
 */
export function freezeDefinition<T extends WorkflowDefinition>(def: T): T {
  if (!Array.isArray(def.nodes)) return def;
  for (const n of def.nodes) if (n && typeof n === 'object') Object.freeze(n);
  Object.freeze(def.nodes);
  if (def.connections && typeof def.connections === 'object') deepFreeze(def.connections);
  if (def.settings && typeof def.settings === 'object') deepFreeze(def.settings);
  frozenNodeLists.add(def.nodes);
  return def;
}
/** Node lists frozen by freezeDefinition (not merely frozen by someone: their nodes are frozen too). */
const frozenNodeLists = new WeakSet<object>();

/** Whether runs may share what they derive from this definition's shape (see freezeDefinition). */
function isFrozenDefinition(def: WorkflowDefinition): boolean {
  return (
    Array.isArray(def.nodes) &&
    frozenNodeLists.has(def.nodes) &&
    (def.connections === undefined || def.connections === null || Object.isFrozen(def.connections)) &&
    (def.settings === undefined || def.settings === null || Object.isFrozen(def.settings))
  );
}

function deepFreeze(v: unknown): void {
  if (!v || typeof v !== 'object' || Object.isFrozen(v)) return;
  Object.freeze(v);
  for (const x of Object.values(v)) deepFreeze(x);
}

/** Indexed view of a workflow's main connections (n8n's connectionsBySourceNode / ByDestinationNode). */
export class WorkflowGraph {
  readonly nodes = new Map<string, INode>();
  /** source → outputIndex → targets */
  readonly bySource = new Map<string, IConnection[][]>();
  /** destination → inputIndex → sources (node = source node, index = source output) */
  readonly byDest = new Map<string, IConnection[][]>();

  constructor(readonly def: WorkflowDefinition) {
    for (const n of def.nodes ?? []) this.nodes.set(n.name, n);
    for (const [src, types] of Object.entries(def.connections ?? {})) {
      const main = types?.main;
      if (!Array.isArray(main)) continue;
      const outs: IConnection[][] = [];
      main.forEach((targets, outIdx) => {
        outs[outIdx] = [];
        for (const c of targets ?? []) {
          if (!c || typeof c.node !== 'string') continue;
          outs[outIdx].push(c);
          let ins = this.byDest.get(c.node);
          if (!ins) this.byDest.set(c.node, (ins = []));
          for (let i = 0; i <= c.index; i++) ins[i] ??= [];
          ins[c.index].push({ node: src, type: 'main', index: outIdx });
        }
      });
      for (let i = 0; i < outs.length; i++) outs[i] ??= [];
      this.bySource.set(src, outs);
    }
  }

  getNode(name: string): INode | undefined {
    return this.nodes.get(name);
  }

  /** Number of main inputs with connections (n8n: connectionsByDestinationNode[x].main.length). */
  inputCount(name: string): number {
    return this.byDest.get(name)?.length ?? 0;
  }

  /** All ancestors (main), nearest first, breadth-first like n8n's getParentNodes(depth -1). */
  getParentNodes(name: string): string[] {
    return this.walk(name, (n) => (this.byDest.get(n) ?? []).flat().map((c) => c.node));
  }

  getChildNodes(name: string): string[] {
    return this.walk(name, (n) => (this.bySource.get(n) ?? []).flat().map((c) => c.node));
  }

  private walk(start: string, next: (n: string) => string[]): string[] {
    const seen = new Set<string>([start]);
    const out: string[] = [];
    let frontier = [start];
    while (frontier.length) {
      const nf: string[] = [];
      for (const n of frontier) {
        for (const p of next(n)) {
          if (seen.has(p)) continue;
          seen.add(p);
          out.push(p);
          nf.push(p);
        }
      }
      frontier = nf;
    }
    return out;
  }

  /** Output index of `source` on the path that leads into `dest` (n8n getNodeConnectionIndexes). */
  getConnectionIndexes(dest: string, source: string): { sourceIndex: number; destinationIndex: number } | undefined {
    const seen = new Set<string>();
    let queue = [dest];
    while (queue.length) {
      const nq: string[] = [];
      for (const cur of queue) {
        if (seen.has(cur)) continue;
        seen.add(cur);
        const ins = this.byDest.get(cur) ?? [];
        for (let di = 0; di < ins.length; di++) {
          for (const c of ins[di] ?? []) {
            if (c.node === source) return { sourceIndex: c.index, destinationIndex: di };
            nq.push(c.node);
          }
        }
      }
      queue = nq;
    }
    return undefined;
  }

  /** n8n getHighestNode: enabled root ancestors reachable through the given input. */
  getHighestNode(name: string, inputIndex: number, checked: Set<string> = new Set()): string[] {
    const ins = this.byDest.get(name);
    if (!ins || !ins[inputIndex]) return [];
    const out: string[] = [];
    for (const c of ins[inputIndex]) {
      if (checked.has(c.node)) continue;
      checked.add(c.node);
      const n = this.nodes.get(c.node);
      if (!n) continue;
      const grand = this.byDest.get(c.node) ?? [];
      let found: string[] = [];
      for (let i = 0; i < grand.length; i++) found = found.concat(this.getHighestNode(c.node, i, checked));
      if (found.length === 0) {
        if (!n.disabled) out.push(c.node);
      } else out.push(...found);
    }
    return out;
  }
}
