/**
 * The reserve file (`keyward.reserve` in the home): `RESERVE_FILE_BYTES` of written zeros, so
 * the disk really holds them, kept for the writes that take access away. The room `SpaceReserve`
 * keeps is only kept by keyward: another program can fill the disk to its last byte. Then a
 * deactivation that finds no room gives this file's space back to the disk and tries once more
 * (store.ts); the file comes back once the disk has room for it again.
 *
 * Whatever has its name is not trusted: it is created with `O_EXCL|O_NOFOLLOW`, an existing one
 * must be this user's regular file with one name (private-files.ts), and giving it up unlinks the
 * name, never what a link points to.
 */
import { closeSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkPrivateFile, openNewPrivate } from '../../../private-files.js';

/**
 * A burst of revocations on a full disk, measured (docs/decisions.md): with its audit event a
 * deactivation writes about 13 pages to the write-ahead log (54 KiB), a deletion 28 (its
 * tombstone, and its name's search index entries go), an operator disable 7. Checkpoints
 * reuse the log once it reaches 1,000 pages (4 MiB, grown from empty after each start), so
 * 8 MiB holds the log's ceiling twice over; if no checkpoint can run at all, about 150
 * deactivations, or 50 keys deactivated and deleted.
 */
export const RESERVE_FILE_BYTES = 8 * 1024 * 1024;
const CHUNK_BYTES = 1024 * 1024;
/** What a start writes before its first request: SQLite's -wal and -shm files, daemon.json. */
const START_ROOM_BYTES = 1024 * 1024;

export class ReserveFile {
  private held = false;
  /** Why it is not in place, as last said (each reason is said once). */
  private missing: string | undefined;

  constructor(
    readonly path: string,
    private readonly log: (line: string) => void,
    readonly bytes = RESERVE_FILE_BYTES,
  ) {}

  get placed(): boolean {
    return this.held;
  }

  /**
   * Puts the file in place if it is not: one already whole (from the last start) is taken as it
   * is, a new one written only when the disk has `room` for it. Says why when it cannot be.
   */
  place(room: boolean): void {
    if (this.held) return;
    try {
      if (!this.whole()) {
        if (!room) return this.notPlaced('the disk has no room for it; it is written once it has');
        this.create();
      }
    } catch (err) {
      this.notPlaced(err instanceof Error ? err.message : String(err));
      return;
    }
    if (this.missing !== undefined) this.log(`the reserve file ${this.path} is in place again`);
    this.held = true;
    this.missing = undefined;
  }

  /** Says why the file is not in place, unless that was said last. */
  private notPlaced(why: string): void {
    if (why !== this.missing) this.log(`the reserve file ${this.path} is not in place: ${why}`);
    this.missing = why;
  }

  /** Gives the file's space back to the disk; whether it held any. */
  release(): boolean {
    if (!this.held) return false;
    this.held = false;
    return this.giveUp('a write that takes access away');
  }

  /**
   * Before the store opens, on a disk with less than `START_ROOM_BYTES` free: gives the file's
   * space back, or a daemon restarted on a full disk (a crash, a reboot) could not open its store
   * at all (SQLite creates its write-ahead log and shared-memory files) to take access away.
   */
  releaseToStart(): void {
    const disk = statfsSync(dirname(this.path));
    if (disk.bavail * disk.bsize < START_ROOM_BYTES && this.whole()) this.giveUp('the daemon to start');
  }

  private giveUp(purpose: string): boolean {
    try {
      unlinkSync(this.path);
    } catch (err) {
      // Gone already, or not ours to remove: no space was given, so the write's own error stands.
      this.notPlaced(`it could not be removed: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
    this.missing = 'released';
    this.log(`released the reserve file ${this.path} (${+(this.bytes / CHUNK_BYTES).toFixed(2)} MiB) for ${purpose}: the disk is full. Free some space; the file comes back once there is room`);
    return true;
  }

  /** Whether the file is there, whole; a short one (a start cut off while writing it) is removed. */
  private whole(): boolean {
    const st = checkPrivateFile(this.path);
    if (!st) return false;
    if (st.size === this.bytes) return true;
    unlinkSync(this.path);
    return false;
  }

  /**
   * Zeros written, not a file's length set: a sparse file holds no blocks. No fsync: the disk
   * counts the blocks at the write, and a file a crash left short is written again at the start.
   */
  private create(): void {
    const fd = openNewPrivate(this.path);
    try {
      const zeros = Buffer.alloc(CHUNK_BYTES);
      for (let done = 0; done < this.bytes; ) done += writeSync(fd, zeros, 0, Math.min(CHUNK_BYTES, this.bytes - done));
    } catch (err) {
      unlinkSync(this.path);
      throw err;
    } finally {
      closeSync(fd);
    }
  }
}
