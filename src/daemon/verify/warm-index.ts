/**
 * The verification index of a store this process reads synchronously (SQLite), loaded in the
 * background: the daemon is healthy and answers at once, and until the load is done a key the
 * index does not hold yet is read from the store, in the same turn of the event loop. A
 * million keys take seconds to read; nobody waits for them.
 *
 * Why the answers are exact meanwhile: the store is the truth, and the index only adds to it
 * what the store says. A row the load has placed is the store's row as of when its page was
 * read, plus every write since (each write reaches the index after it commits, as always). A
 * key not placed yet is read from the store itself. The one write that needs care is a delete
 * of a key not placed yet: its page will never come (the row is gone) and the tombstones were
 * loaded first, so the tombstone is placed from the store at once.
 *
 * A snapshot for a replica waits for the load (the `indexReady` the core gives the replica
 * hub): until then a replica answers through the daemon, as it does before its copy is complete.
 */
import type { IndexedKey } from '../../decide/policy.js';
import type { LocalIndexReads } from '../store.js';
import { KeyIndex } from './key-index.js';

/** Work between two turns of the event loop while loading: a request waits at most about this long. */
const SLICE_MS = 5;

export class WarmingKeyIndex extends KeyIndex {
  /** The store, while the load runs; undefined once every key is placed. */
  private source: LocalIndexReads | undefined;

  /**
   * Starts loading every key from `source`; resolves when all are placed. If the load fails
   * (or `signal` stops it), the store keeps answering for the keys not placed: still exact,
   * only slower.
   */
  async warmUp(source: LocalIndexReads, expected: number, signal?: AbortSignal): Promise<void> {
    this.source = source;
    await this.loadGradually(source.pages(), expected, SLICE_MS, signal);
    if (!signal?.aborted) this.source = undefined;
  }

  /** False while keys are still being loaded (answers may come from the store). */
  override get complete(): boolean {
    return this.source === undefined;
  }

  override lookup(hash: string): IndexedKey | undefined {
    const found = super.lookup(hash);
    // A placed key is current. A tombstone may stand for a hash a key not yet placed has since
    // taken (an import), so the store decides, as it does for a hash not found.
    if (!this.source || (found && found.deletedAt === undefined)) return found;
    return this.source.byHash(hash);
  }

  override get(id: string): IndexedKey | undefined {
    return super.get(id) ?? this.source?.byId(id);
  }

  override bury(id: string, deletedAt: number): void {
    if (!this.source || super.get(id)) return super.bury(id, deletedAt);
    const tombstone = this.source.byId(id);
    if (tombstone?.deletedAt !== undefined) this.put(tombstone);
  }
}
