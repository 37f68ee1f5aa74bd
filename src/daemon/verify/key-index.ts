/**
 * The in-memory verification index: key hash → what verify needs to decide. Loaded once at
 * startup and updated by the key service after every committed write, before the write's
 * response is sent, so verify never reads the store.
 */
import type { IndexedKey, KeyStatus } from '../store.js';

export class KeyIndex {
  private readonly byHash = new Map<string, IndexedKey>();
  private readonly byId = new Map<string, IndexedKey>();

  load(entries: Iterable<IndexedKey>): void {
    this.byHash.clear();
    this.byId.clear();
    for (const entry of entries) this.put(entry);
  }

  put(entry: IndexedKey): void {
    const copy = { ...entry };
    this.byHash.set(copy.hash, copy);
    this.byId.set(copy.id, copy);
  }

  setStatus(id: string, status: KeyStatus): void {
    const entry = this.byId.get(id);
    if (entry) entry.status = status;
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
