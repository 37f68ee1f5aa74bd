/**
 * The in-memory verification index: key hash → what verify needs to decide. Loaded once at
 * startup and updated by the key service after every committed write, before the write's
 * response is sent, so verify never reads the store.
 */
import type { IndexedKey, KeyStatus } from '../store.js';

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
