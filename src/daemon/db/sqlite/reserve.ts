/**
 * Room kept for the writes that take access away. Usage (chosen by whoever verifies) or a run
 * of creates can fill a store; an admin must still be able to deactivate, delete and disable
 * then. So writes that add may not use the last `RESERVE_FRACTION` of a store capped with
 * `max_page_count` (SQLite's own limit, lowered for them and raised again for the others), nor,
 * on an uncapped store, the last `DISK_RESERVE_BYTES` of its disk.
 */
import type Database from 'better-sqlite3';
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { KeywardError } from '../../errors.js';
import { storageError } from '../storage-errors.js';

const RESERVE_FRACTION = 0.05;
const DISK_RESERVE_BYTES = 32 * 1024 * 1024;
/** SQLite's own `max_page_count` when none was set (2^32 − 2 since 3.45; 2^30 − 1 before). */
const UNCAPPED_PAGES = 0x3fffffff;

export class SpaceReserve {
  /** The store's size cap in pages, when one was set; else the disk is the cap. */
  private readonly pageCap: number | undefined;
  private pageLimit: number | undefined;

  constructor(private readonly sqlite: Database.Database) {
    const cap = Number(sqlite.pragma('max_page_count', { simple: true }));
    this.pageCap = cap < UNCAPPED_PAGES ? cap : undefined;
  }

  /** Before a write that adds: refuses it when only the reserve is left. */
  keep(): void {
    if (this.pageCap === undefined) {
      const fs = statfsSync(dirname(this.sqlite.name));
      if (fs.bavail * fs.bsize < DISK_RESERVE_BYTES) {
        throw new KeywardError('storage_full', 'The disk holding the key store is nearly full (the rest is kept for deactivations and deletions); nothing was changed');
      }
      return;
    }
    this.limit(Math.floor(this.pageCap * (1 - RESERVE_FRACTION)));
  }

  /** The `max_page_count` the last `keep` or `release` set, for another connection's write; none on an uncapped store. */
  get currentLimit(): number | undefined {
    return this.pageLimit;
  }

  /** Before a write that takes access away or removes: it may use the reserve. */
  release(): void {
    if (this.pageCap !== undefined) this.limit(this.pageCap);
  }

  private limit(pages: number): void {
    // Below the store's current size SQLite takes its current size: writes may only reuse free pages.
    if (pages !== this.pageLimit) this.sqlite.pragma(`max_page_count = ${pages}`);
    this.pageLimit = pages;
  }
}

/** Whether a write failed for want of room: the reserve's refusal, or the store's own (as the HTTP layer reads it). */
export function isOutOfSpace(err: unknown): boolean {
  return (err instanceof KeywardError ? err : storageError(err))?.code === 'storage_full';
}
