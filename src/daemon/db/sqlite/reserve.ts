/**
 * Room kept for the writes that take access away. Usage (chosen by whoever verifies) or a run
 * of creates can fill a store; an admin must still be able to deactivate, delete and disable
 * then. So writes that add may not use the last `RESERVE_FRACTION` of a store capped with
 * `max_page_count` (SQLite's own limit, lowered for them and raised again for the others), nor,
 * on an uncapped store, the last `DISK_RESERVE_BYTES` of its disk. Beyond that room, which only
 * keyward keeps, the home's reserve file (reserve-file.ts) holds space on the disk itself.
 */
import type Database from 'better-sqlite3';
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { KeywardError } from '../../errors.js';
import { storageError } from '../storage-errors.js';
import type { ReserveFile } from './reserve-file.js';

const RESERVE_FRACTION = 0.05;
const DISK_RESERVE_BYTES = 32 * 1024 * 1024;
/** SQLite's own `max_page_count` when none was set (2^32 − 2 since 3.45; 2^30 − 1 before). */
const UNCAPPED_PAGES = 0x3fffffff;

export class SpaceReserve {
  /** The store's size cap in pages, when one was set; else the disk is the cap. */
  private readonly pageCap: number | undefined;
  private pageLimit: number | undefined;

  constructor(
    private readonly sqlite: Database.Database,
    private readonly file?: ReserveFile,
  ) {
    const cap = Number(sqlite.pragma('max_page_count', { simple: true }));
    this.pageCap = cap < UNCAPPED_PAGES ? cap : undefined;
    file?.place(this.roomForFile(this.diskFree()));
  }

  /** Before a write that adds: refuses it when only the reserve is left; puts the reserve file back when there is room. */
  keep(): void {
    const missing = this.file?.placed === false ? this.file : undefined;
    if (this.pageCap === undefined || missing) {
      const free = this.diskFree();
      if (this.pageCap === undefined && free < DISK_RESERVE_BYTES) {
        throw new KeywardError('storage_full', 'The disk holding the key store is nearly full (the rest is kept for deactivations and deletions); nothing was changed');
      }
      if (missing && this.roomForFile(free)) missing.place(true);
    }
    if (this.pageCap !== undefined) this.limit(Math.floor(this.pageCap * (1 - RESERVE_FRACTION)));
  }

  /**
   * After a write that takes access away found no room: gives the reserve file's space to the
   * disk when the disk is what is full — with more free than the file holds, the store's cap
   * refused the write, and the file would be spent for nothing. Whether to try the write again.
   */
  spendFile(): boolean {
    return this.file !== undefined && this.file.placed && this.diskFree() < this.file.bytes && this.file.release();
  }

  /** The `max_page_count` the last `keep` or `release` set, for another connection's write; none on an uncapped store. */
  get currentLimit(): number | undefined {
    return this.pageLimit;
  }

  /** Before a write that takes access away or removes: it may use the reserve. */
  release(): void {
    if (this.pageCap !== undefined) this.limit(this.pageCap);
  }

  /** The file goes back only where writes that add still have their room after it: it holds space for the others. */
  private roomForFile(free: number): boolean {
    return free >= DISK_RESERVE_BYTES + (this.file?.bytes ?? 0);
  }

  private diskFree(): number {
    const fs = statfsSync(dirname(this.sqlite.name));
    return fs.bavail * fs.bsize;
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
