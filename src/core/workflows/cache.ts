import type { Cache } from '../services/types.js';

/**
 * The workflow cache (`cache:workflow:{id}`, TTL 1 h per the seed) and how writers keep it
 * from ever serving a definition older than the last commit.
 *
 * Deleting the key after commit is not enough on its own: a reader that fetched the old row
 * just before the commit can write it back just after the delete. So every write also sets a
 * version floor, `cache:workflow:{id}:version`, *before* its transaction commits (the row lock
 * orders concurrent writers, so the floor only grows), and a reader accepts a cached value only
 * if its version is at least the floor; it writes a row back only if the row is not older than
 * the floor. A stale entry that slips in is therefore never returned, and the delete after
 * commit just frees the space. The floor lives twice as long as an entry, so it outlives any
 * entry written before it was set. If a transaction fails after setting the floor, the floor is
 * one version ahead and readers go to PostgreSQL until the next successful write: slower, never
 * stale.
 */
export const WORKFLOW_CACHE_TTL_SECONDS = 3600;
const FLOOR_TTL_SECONDS = 2 * WORKFLOW_CACHE_TTL_SECONDS;
/** Floor after a delete: no cached version can satisfy it. */
const DELETED_FLOOR = 2_147_483_647;

export function workflowCacheKey(id: string): string {
  return `cache:workflow:${id}`;
}

export function workflowVersionFloorKey(id: string): string {
  return `cache:workflow:${id}:version`;
}

/** Call inside the writing transaction, after its UPDATE, before it commits. */
export async function raiseVersionFloor(cache: Cache, id: string, version: number | 'deleted'): Promise<void> {
  await cache.set(workflowVersionFloorKey(id), String(version === 'deleted' ? DELETED_FLOOR : version), FLOOR_TTL_SECONDS);
}

/** Call after the writing transaction committed (or failed: a spare delete is harmless). */
export async function evictWorkflow(cache: Cache, id: string): Promise<void> {
  await cache.del(workflowCacheKey(id));
}

/** Cached value if it is not older than the floor, else null; also returns the floor seen. */
export async function readCachedWorkflow<T extends { version: number }>(cache: Cache, id: string): Promise<{ value: T | null; floor: number }> {
  const [raw, floorRaw] = await Promise.all([cache.get(workflowCacheKey(id)), cache.get(workflowVersionFloorKey(id))]);
  const floor = floorRaw ? Number(floorRaw) : 0;
  if (!raw) return { value: null, floor };
  try {
    const value = JSON.parse(raw) as T;
    return { value: typeof value?.version === 'number' && value.version >= floor ? value : null, floor };
  } catch {
    return { value: null, floor };
  }
}

export async function writeCachedWorkflow<T extends { version: number }>(cache: Cache, id: string, value: T, floor: number): Promise<void> {
  if (value.version < floor) return;
  await cache.set(workflowCacheKey(id), JSON.stringify(value), WORKFLOW_CACHE_TTL_SECONDS);
}
