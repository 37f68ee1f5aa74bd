/**
 * The in-memory verification index: key hash → what verify needs to decide. Loaded once at
 * startup and updated by the key service after every committed write, before the write's
 * response is sent, so verify never reads the store. It holds deleted keys' tombstones too, as
 * entries with `deletedAt` (docs/alerts.md): a year of deletions, rarely many.
 */
import type { IndexedKey, KeyStatus } from '../store.js';

/**
 * A deleted key's tombstone as the index holds it: found by its hash, answering `not_found`,
 * inactive (so a verifier that does not know tombstones still refuses it), nothing else kept.
 */
export function tombstoneEntry(t: { keyId: string; name: string; hash: string; deletedAt: number; rotationId: string | null }): IndexedKey {
  const entry: IndexedKey = { id: t.keyId, name: t.name, hash: t.hash, status: 'inactive', expiresAt: null, deletedAt: t.deletedAt };
  if (t.rotationId !== null) entry.rotatedOutBy = t.rotationId;
  return entry;
}

export class KeyIndex {
  private readonly byHash = new Map<string, IndexedKey>();
  private readonly byId = new Map<string, IndexedKey>();

  /**
   * Replaces the whole index with `entries` and keeps those objects: they are the store's
   * fresh rows, and copying 100,000 of them doubled the startup garbage. A snapshot, so it
   * does not go through `put`.
   */
  load(entries: Iterable<IndexedKey>): void {
    this.byHash.clear();
    this.byId.clear();
    for (const entry of entries) this.add(entry);
  }

  put(entry: IndexedKey): void {
    this.add({ ...entry });
  }

  private add(entry: IndexedKey): void {
    this.byHash.set(entry.hash, entry);
    this.byId.set(entry.id, entry);
  }

  setStatus(id: string, status: KeyStatus): void {
    const entry = this.byId.get(id);
    if (entry) entry.status = status;
  }

  rename(id: string, name: string): void {
    const entry = this.byId.get(id);
    if (entry) entry.name = name;
  }

  /** Marks the key `id` as cut over by `rotationId` (null: no longer). */
  markRotatedOut(id: string, rotationId: string | null): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    if (rotationId === null) delete entry.rotatedOutBy;
    else entry.rotatedOutBy = rotationId;
  }

  /**
   * Turns the key `id` into its tombstone (docs/alerts.md): still found by its hash, to answer
   * `not_found` and be noticed, with nothing kept of its policy. A deleted canary is a deleted key.
   */
  bury(id: string, deletedAt: number): void {
    const entry = this.byId.get(id);
    if (entry) this.put(tombstoneEntry({ keyId: entry.id, name: entry.name, hash: entry.hash, deletedAt, rotationId: entry.rotatedOutBy ?? null }));
  }

  remove(id: string): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    this.byId.delete(id);
    this.byHash.delete(entry.hash);
  }

  lookup(hash: string): IndexedKey | undefined {
    return this.byHash.get(hash);
  }

  get size(): number {
    return this.byId.size;
  }
}
