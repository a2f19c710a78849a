/**
 * What the engine can run, from its node registry. Loaded lazily: the registry imports every
 * node implementation, which only `validate`, `import` warnings and `integrations catalog` need.
 */
export interface EngineSupport {
  isSupportedNodeType(type: string): boolean;
  listSupportedNodeTypes(): string[];
  /** Credential types a node type can use, when the registry knows them. */
  credentialTypesOf(type: string): string[];
  describe(type: string): { trigger: boolean; versions: number[] | null };
  /** The run-time LangChain mapping: which LangChain nodes cannot run, and why. */
  mapLangChain(doc: unknown): { unsupported: Array<{ node: string; type: string; reason: string }> };
}

export async function loadEngineSupport(): Promise<EngineSupport> {
  const registry = await import('../engine/nodes/registry.js');
  const { mapLangChainNodes } = await import('../engine/nodes/extra/index.js');
  const info = (t: string) => registry.getNodeType(t) as (ReturnType<typeof registry.getNodeType> & { credentialTypes?: string[] }) | undefined;
  return {
    isSupportedNodeType: (t) => registry.isSupportedNodeType(t),
    listSupportedNodeTypes: () => registry.listSupportedNodeTypes(),
    credentialTypesOf: (t) => [...(info(t)?.credentialTypes ?? [])],
    describe: (t) => ({ trigger: !!info(t)?.trigger, versions: info(t)?.versions ?? null }),
    mapLangChain: (doc) => mapLangChainNodes(doc as Parameters<typeof mapLangChainNodes>[0]),
  };
}
