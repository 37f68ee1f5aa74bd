/**
 * A replica's copy of the daemon's verification index, built from the `/v1/replica` stream,
 * in the daemon's own compact index (columns of typed arrays, ~130 bytes a key), so a million
 * keys cost a service what they cost the daemon. A snapshot goes chunk by chunk into a fresh
 * index that replaces the copy only once it is complete, so the old copy keeps answering
 * meanwhile under the lease it holds; changes apply in `seq` order, each
 * carrying a key's whole new state. What a valid verify hands to the service (scopes, meta) is
 * frozen: a handler that changes it must not change the copy.
 */
import type { IndexedKey } from '../../decide/policy.js';
import { KeyIndex } from '../../daemon/verify/key-index.js';
import { decodeChunk, fromWire, resumeToken, type Change, type Hello, type SnapshotChunk } from '../../replica/wire.js';

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function frozen(entry: IndexedKey): IndexedKey {
  if (entry.policy) {
    deepFreeze(entry.policy.scopes);
    deepFreeze(entry.policy.meta);
  }
  return entry;
}

export class ReplicaCopy {
  private index: KeyIndex | undefined;
  private building: KeyIndex | undefined;
  private session: Hello | undefined;
  /** The daemon run and the newest change the copy holds: where a new stream may resume. */
  private epoch: string | undefined;
  private seq = -1;

  /** The copy is complete and may answer (while a lease holds). */
  get complete(): boolean {
    return this.index !== undefined;
  }

  /** The newest change the copy holds. */
  get applied(): number {
    return this.seq;
  }

  get size(): number {
    return this.index?.size ?? 0;
  }

  lookup(hash: string): IndexedKey | undefined {
    return this.index?.lookup(hash);
  }

  /** What to send to resume from this copy, if it has one. */
  resumeFrom(): string | undefined {
    return this.index && this.epoch !== undefined ? resumeToken(this.epoch, this.seq) : undefined;
  }

  hello(hello: Hello): void {
    this.session = hello;
    this.building = undefined;
    if (hello.resumed) return;
    this.building = new KeyIndex();
    // Sized for the whole snapshot at once: growing on the way leaves outgrown copies behind.
    this.building.load([], hello.keys);
  }

  snapshot(chunk: SnapshotChunk): void {
    if (!this.building) throw new TypeError('a snapshot chunk outside a snapshot');
    for (const entry of decodeChunk(chunk)) this.building.put(frozen(entry));
  }

  /** The stream has sent the whole snapshot (or every missed change): the copy is as of `seq`. */
  ready(seq: number): void {
    if (this.building) {
      this.index = this.building;
      this.building = undefined;
    }
    this.epoch = this.session?.epoch;
    this.seq = seq;
  }

  /** Applies one change; answers the id of a key that went away (deleted: its tombstone stays). */
  change(change: Change): string | undefined {
    if (!this.index) throw new TypeError('a change before the copy was complete');
    this.seq = Math.max(this.seq, change.seq);
    if ('key' in change) {
      this.index.put(frozen(fromWire(change.key)));
      return change.key.deletedAt === undefined ? undefined : change.key.id;
    }
    this.index.remove(change.removed);
    return change.removed;
  }
}
