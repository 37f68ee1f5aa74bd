/**
 * The in-memory verification index: key hash → what verify needs to decide. Loaded once at
 * startup and updated by the key service after every committed write, before the write's
 * response is sent, so verify never reads the store. Whoever keeps a copy elsewhere (the
 * replica hub) is told of every change to a key with its state before and after.
 */
import type { IndexedKey, KeyStatus } from '../store.js';

/** A key's entry before and after one change; undefined where it does not exist. */
export type IndexListener = (before: IndexedKey | undefined, after: IndexedKey | undefined) => void;

export class KeyIndex {
  private readonly byHash = new Map<string, IndexedKey>();
  private readonly byId = new Map<string, IndexedKey>();
  private readonly listeners = new Set<IndexListener>();

  /**
   * Replaces the whole index with `entries` and keeps those objects: they are the store's
   * fresh rows, and copying 100,000 of them doubled the startup garbage. A snapshot, so it
   * does not go through `put` and tells no listener.
   */
  load(entries: Iterable<IndexedKey>): void {
    this.byHash.clear();
    this.byId.clear();
    for (const entry of entries) this.add(entry);
  }

  put(entry: IndexedKey): void {
    const before = this.byId.get(entry.id);
    const after = { ...entry };
    this.add(after);
    this.changed(before, after);
  }

  private add(entry: IndexedKey): void {
    this.byHash.set(entry.hash, entry);
    this.byId.set(entry.id, entry);
  }

  setStatus(id: string, status: KeyStatus): void {
    this.edit(id, (entry) => (entry.status = status));
  }

  rename(id: string, name: string): void {
    this.edit(id, (entry) => (entry.name = name));
  }

  /** Changes an entry in place; listeners get a copy of how it was. */
  private edit(id: string, change: (entry: IndexedKey) => void): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    const before = this.listeners.size > 0 ? { ...entry } : undefined;
    change(entry);
    this.changed(before, entry);
  }

  remove(id: string): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    this.byId.delete(id);
    this.byHash.delete(entry.hash);
    this.changed(entry, undefined);
  }

  lookup(hash: string): IndexedKey | undefined {
    return this.byHash.get(hash);
  }

  /** The entry of the key with this id. */
  get(id: string): IndexedKey | undefined {
    return this.byId.get(id);
  }

  /**
   * Every entry. Safe to pause between items while the index changes: an entry changed or
   * added meanwhile may or may not be visited, one removed meanwhile is not.
   */
  entries(): IterableIterator<IndexedKey> {
    return this.byId.values();
  }

  get size(): number {
    return this.byId.size;
  }

  /** Tells `listener` of every change from now on, synchronously; returns the unsubscribe. */
  onChange(listener: IndexListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(before: IndexedKey | undefined, after: IndexedKey | undefined): void {
    for (const listener of this.listeners) listener(before, after);
  }
}
