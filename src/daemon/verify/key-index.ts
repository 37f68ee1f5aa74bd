/**
 * The in-memory verification index: key hash → what verify needs to decide. Loaded once at
 * startup and updated by the key service after every committed write, before the write's
 * response is sent, so verify never reads the store.
 *
 * Compact, for a million keys: one JS object (and a 64-character hex string) per key cost the
 * daemon ~800 bytes of RSS a key. Here each key is a row of typed-array columns: its SHA-256
 * as 32 bytes, its id and name as UTF-8 in one shared text buffer, status and expiry as
 * numbers; two open-addressing tables (probe-table.ts) find a row by hash and by id. About
 * 130 bytes a key, outside the JS heap (docs/performance.md has the measurements). Fields a
 * key rarely has live in a sparse side table keyed by row, so a new rare field costs nothing
 * for the keys without it: add it to `KeyEntry` (decide/policy.ts) and its "none" value to
 * `NO_EXTRAS`.
 *
 * Deleted keys' tombstones are entries too, marked `deletedAt` in the side table (docs/alerts.md):
 * a year of deletions, each one row like a key, and a canary or a rotated-out key is a mark
 * there as well; an ordinary key carries none of them.
 *
 * Whoever keeps a copy elsewhere (the replica hub) is told of every change made after loading,
 * with the key's entry before and after: materialised only for a write, and only when someone
 * listens. Long because the columns, the text buffer and both tables are one structure.
 */
import { randomInt } from 'node:crypto';
import type { IndexedKey } from '../../decide/policy.js';
import type { KeyCounts, KeyStatus } from '../store.js';
import { DIGEST_BYTES, digestHash, fnv1a, grown, parseDigest, sameBytes, writeAscii } from './bytes.js';
import { ProbeTable } from './probe-table.js';
import { Slice } from '../slice.js';

/** The fields every key has, kept in columns. */
type CoreField = 'id' | 'name' | 'hash' | 'status' | 'expiresAt';
export type IndexedCore = Pick<IndexedKey, CoreField>;
/** Everything else an entry carries: rare per key, kept in the side table. */
export type Extras<E extends IndexedCore> = Omit<E, CoreField>;

/**
 * What a key without extras holds in each extra field; such a key takes no side-table room.
 * `undefined` means the field is absent from the entry, as `policy` is for most keys.
 */
const NO_EXTRAS: Extras<IndexedKey> = { policy: undefined, canary: undefined, deletedAt: undefined, rotatedOutBy: undefined };

/**
 * A deleted key's tombstone as the index holds it: found by its hash, answering `not_found`,
 * inactive (so a verifier that does not know tombstones still refuses it), nothing else kept.
 */
/** A key's entry before and after one change; undefined where it does not exist. */
export type IndexListener<E> = (before: E | undefined, after: E | undefined) => void;

export function tombstoneEntry(t: { keyId: string; name: string; hash: string; deletedAt: number; rotationId: string | null }): IndexedKey {
  const entry: IndexedKey = { id: t.keyId, name: t.name, hash: t.hash, status: 'inactive', expiresAt: null, deletedAt: t.deletedAt };
  if (t.rotationId !== null) entry.rotatedOutBy = t.rotationId;
  return entry;
}

const FREE = 0;
const STATUS_CODE: Record<KeyStatus, number> = { active: 1, inactive: 2 };
const STATUS_OF: readonly (KeyStatus | undefined)[] = [undefined, 'active', 'inactive'];
/** Longest id the index takes: ours are 26 characters (`key_` and 22 base62). */
const MAX_ID_BYTES = 255;
const NOT_AN_ID = -2;
const MIN_ROWS = 1024;
const MIN_TEXT = 64 * 1024;
const GROWTH = 1.5;

/** The UTF-8 length of a key's name, which the index keeps in 16 bits. */
function nameByteLength(entry: { id: string; name: string }): number {
  const bytes = Buffer.byteLength(entry.name);
  if (bytes > 0xffff) throw new RangeError(`key ${entry.id}: name too long for the index`);
  return bytes;
}

export class KeyIndex<E extends IndexedCore = IndexedKey> {
  // Columns, one element per row. A row is free when its status is FREE.
  private digests = new Uint8Array(0);
  private textStart = new Uint32Array(0);
  private idLength = new Uint8Array(0);
  private nameLength = new Uint16Array(0);
  private status = new Uint8Array(0);
  /** Milliseconds since the epoch; NaN for a key that never expires. */
  private expiresAt = new Float64Array(0);
  private readonly extras = new Map<number, Extras<E>>();
  private readonly extraFields: (keyof Extras<E>)[];
  /** The "none" values a lookup shows: all but the `undefined` ones, which are absent fields. */
  private readonly shownNone: Partial<Extras<E>> | undefined;

  /** Ids (ASCII) and names (UTF-8), back to back; a freed row's bytes stay as garbage until compacted. */
  private text = Buffer.alloc(0);
  private textEnd = 0;
  private textGarbage = 0;

  /** Rows ever used; those of them that are free again are listed in `freeRows`. */
  private rows = 0;
  private freeRows: number[] = [];
  private live = 0;

  /** What is being looked for, as bytes: reused by every lookup, so a lookup allocates nothing. */
  private readonly digestProbe = new Uint8Array(DIGEST_BYTES);
  private readonly idProbe = new Uint8Array(MAX_ID_BYTES);
  private readonly listeners = new Set<IndexListener<E>>();

  /** Random, so that no one can choose digests that share a probe sequence (`digestHash`). */
  private readonly digestSeed = randomInt(2 ** 32);
  private readonly byDigest = new ProbeTable<Uint8Array>((row, digest) => sameBytes(this.digests, row * DIGEST_BYTES, digest, 0, DIGEST_BYTES));

  /** Keyed by the id's length; its bytes are in `idProbe`. */
  private readonly byId = new ProbeTable<number>(
    (row, length) => this.idLength[row] === length && sameBytes(this.text, this.textStart[row]!, this.idProbe, 0, length),
  );

  /** `noExtras`: the "none" value of each extra field of `E` (for `IndexedKey`, `NO_EXTRAS`). */
  constructor(private readonly noExtras: Extras<E> = NO_EXTRAS as Extras<E>) {
    this.extraFields = Object.keys(noExtras) as (keyof Extras<E>)[];
    const shown = Object.entries(noExtras).filter(([, value]) => value !== undefined);
    this.shownNone = shown.length ? (Object.fromEntries(shown) as Partial<Extras<E>>) : undefined;
    this.reset(0);
  }

  /**
   * Replaces the whole index with `entries`, sized for `expected` keys (more may come by `put`).
   * A snapshot, so it does not go through `put` and tells no listener.
   */
  load(entries: Iterable<E>, expected = Array.isArray(entries) ? entries.length : 0): void {
    this.reset(expected);
    for (const entry of entries) this.place(entry);
  }

  /**
   * `load` from pages read one after another, so a million rows never sit in the heap at once.
   * `expected`, the number of keys to come, sizes the columns up front: growing them on the way
   * left a million keys' worth of outgrown copies for the garbage collector.
   */
  async loadPages(pages: AsyncIterable<readonly E[]>, expected = 0): Promise<void> {
    this.reset(expected);
    for await (const page of pages) for (const entry of page) this.place(entry);
  }

  /**
   * `load` from pages read on demand, giving the event loop a turn every `sliceMs` of work, so
   * the daemon serves meanwhile. Each page is read and placed in one synchronous step: no write
   * comes between, and every write after it reaches the placed rows (see verify/warm-index.ts).
   * Rows already here (put meanwhile) are replaced by the page's, which is as new. An abort
   * (the daemon closing) stops it at the next turn.
   */
  async loadGradually(pages: Iterable<readonly E[]>, expected: number, sliceMs: number, signal?: AbortSignal): Promise<void> {
    this.reset(expected);
    const slice = new Slice(sliceMs);
    for (const page of pages) {
      for (const entry of page) this.place(entry);
      if (!slice.over()) continue;
      await slice.turn();
      if (signal?.aborted) return;
    }
  }

  /** Adds `entry`, or replaces the key with its id (and any key with its hash). */
  put(entry: E): void {
    const before = this.listeners.size > 0 ? this.get(entry.id) : undefined;
    this.place(entry);
    if (this.listeners.size > 0) this.changed(before, this.get(entry.id));
  }

  setStatus(id: string, status: KeyStatus): void {
    const code = STATUS_CODE[status];
    this.edit(id, (row) => this.status[row] !== code && ((this.status[row] = code), true));
  }

  rename(id: string, name: string): void {
    this.edit(id, (row) => (this.renameRow(row, id, name), true));
  }

  private renameRow(row: number, id: string, name: string): void {
    const idBytes = this.idLength[row]!;
    const nameBytes = nameByteLength({ id, name });
    const oldBytes = idBytes + this.nameLength[row]!;
    const start = this.reserveText(idBytes + nameBytes);
    // Read where the row's text is now: reserving may have compacted the buffer.
    const from = this.textStart[row]!;
    this.text.copy(this.text, start, from, from + idBytes);
    this.writeName(name, start + idBytes);
    this.textStart[row] = start;
    this.nameLength[row] = nameBytes;
    this.textGarbage += oldBytes;
  }

  remove(id: string): void {
    const row = this.rowOfId(id);
    if (row < 0) return;
    const before = this.listeners.size > 0 ? this.entryAt(row) : undefined;
    this.release(row);
    if (before) this.changed(before, undefined);
  }

  /** Marks the key `id` as cut over by `rotationId` (null: no longer). */
  markRotatedOut(this: KeyIndex<IndexedKey>, id: string, rotationId: string | null): void {
    this.edit(id, (row) => {
      const { rotatedOutBy: old, ...rest } = this.extras.get(row) ?? {};
      if ((old ?? null) === rotationId) return false;
      this.setExtras(row, rotationId === null ? rest : { ...rest, rotatedOutBy: rotationId });
      return true;
    });
  }

  /**
   * Turns the key `id` into its tombstone (see `tombstoneEntry`), in its row: still found by its
   * hash, inactive, never expiring, with nothing kept of its policy. A deleted canary is a
   * deleted key; a key a rotation cut over keeps saying so.
   */
  bury(this: KeyIndex<IndexedKey>, id: string, deletedAt: number): void {
    this.edit(id, (row) => {
      const rotatedOutBy = this.extras.get(row)?.rotatedOutBy;
      this.status[row] = STATUS_CODE.inactive;
      this.expiresAt[row] = Number.NaN;
      this.setExtras(row, rotatedOutBy === undefined ? { deletedAt } : { deletedAt, rotatedOutBy });
      return true;
    });
  }

  /** The key whose SHA-256 is `hash` (lowercase hex), as a plain object of its own. */
  lookup(hash: string): E | undefined {
    if (!parseDigest(hash, this.digestProbe, 0)) return undefined;
    const row = this.byDigest.find(digestHash(this.digestProbe, 0, this.digestSeed), this.digestProbe);
    return row < 0 ? undefined : this.entryAt(row, hash);
  }

  /** The entry of the key with this id, as a plain object of its own. */
  get(id: string): E | undefined {
    const row = this.rowOfId(id);
    return row < 0 ? undefined : this.entryAt(row);
  }

  /**
   * Every entry, one plain object at a time (a snapshot for a replica reads it chunk by chunk).
   * Safe to pause between items while the index changes: the rows stay where they are, so an
   * entry changed or added meanwhile may or may not be visited, one removed meanwhile is not.
   */
  *entries(): Generator<E> {
    for (let row = 0; row < this.rows; row++) if (this.status[row] !== FREE) yield this.entryAt(row);
  }

  /** Tells `listener` of every change from now on (not of `load`), synchronously; returns the unsubscribe. */
  onChange(listener: IndexListener<E>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Changes the row of `id` in place (`change` answers whether it changed anything); listeners
   * hear of a change with the entry before and after.
   */
  private edit(id: string, change: (row: number) => boolean): void {
    const row = this.rowOfId(id);
    if (row < 0) return;
    const before = this.listeners.size > 0 ? this.entryAt(row) : undefined;
    if (change(row) && before) this.changed(before, this.entryAt(row));
  }

  private changed(before: E | undefined, after: E | undefined): void {
    for (const listener of this.listeners) listener(before, after);
  }

  /** Row `row` as a plain object; `hash` when the caller has it as text already. */
  private entryAt(row: number, hash = Buffer.from(this.digests.buffer, this.digests.byteOffset + row * DIGEST_BYTES, DIGEST_BYTES).toString('hex')): E {
    const start = this.textStart[row]!;
    const idEnd = start + this.idLength[row]!;
    const expiresAt = this.expiresAt[row]!;
    const core: IndexedCore = {
      id: this.text.toString('latin1', start, idEnd),
      name: this.text.toString('utf8', idEnd, idEnd + this.nameLength[row]!),
      hash,
      status: STATUS_OF[this.status[row]!]!,
      expiresAt: Number.isNaN(expiresAt) ? null : expiresAt,
    };
    const extras = this.extras.get(row);
    if (!extras && !this.shownNone) return core as E;
    // Added field by field, not spread: a spread entry was a slow object (each property read
    // of it in the verify decision cost about 0.1 µs, a tenth of a lookup).
    const entry = core as Record<string, unknown>;
    if (this.shownNone) for (const field in this.shownNone) entry[field] = this.shownNone[field as keyof Extras<E>];
    if (extras) for (const field in extras) entry[field] = extras[field as keyof Extras<E>];
    return entry as E;
  }

  get size(): number {
    return this.live;
  }

  /** Whether it holds every key (see warm-index.ts: not while it loads in the background). */
  get complete(): boolean {
    return true;
  }

  /**
   * Keys by status, tombstones left out: what the store's `countKeys()` answers, read from the
   * columns instead (a million rows in about a millisecond, where the store's count took
   * ~120 ms of the event loop at every `/metrics` scrape).
   */
  statusCounts(this: KeyIndex<IndexedKey>): KeyCounts {
    const counts: KeyCounts = { active: 0, inactive: 0 };
    for (let row = 0; row < this.rows; row++) {
      const status = STATUS_OF[this.status[row]!];
      if (status) counts[status]++;
    }
    for (const extras of this.extras.values()) if (extras.deletedAt !== undefined) counts.inactive--;
    return counts;
  }

  /** Bytes the columns, the text and the lookup tables take (the side table not counted). */
  get byteLength(): number {
    const columns = [this.digests, this.textStart, this.idLength, this.nameLength, this.status, this.expiresAt, this.text];
    return columns.reduce((sum, column) => sum + column.byteLength, 0) + this.byDigest.byteLength + this.byId.byteLength;
  }

  private reset(expected: number): void {
    const rows = Math.max(MIN_ROWS, expected);
    this.digests = new Uint8Array(rows * DIGEST_BYTES);
    this.textStart = new Uint32Array(rows);
    this.idLength = new Uint8Array(rows);
    this.nameLength = new Uint16Array(rows);
    this.status = new Uint8Array(rows);
    this.expiresAt = new Float64Array(rows);
    this.extras.clear();
    this.text = Buffer.alloc(Math.max(MIN_TEXT, expected * 48));
    this.textEnd = 0;
    this.textGarbage = 0;
    this.rows = 0;
    this.freeRows = [];
    this.live = 0;
    this.byDigest.clear(expected);
    this.byId.clear(expected);
  }

  private place(entry: E): void {
    if (!parseDigest(entry.hash, this.digestProbe, 0)) throw new TypeError(`key ${entry.id}: hash is not a lowercase hex SHA-256`);
    const hashed = digestHash(this.digestProbe, 0, this.digestSeed);
    const sameHash = this.byDigest.find(hashed, this.digestProbe);
    if (sameHash >= 0) this.release(sameHash);
    const sameId = this.rowOfId(entry.id);
    if (sameId === NOT_AN_ID) throw new TypeError(`key ${entry.id}: ids are ASCII, at most ${MAX_ID_BYTES} characters`);
    if (sameId >= 0) this.release(sameId);

    const status = STATUS_CODE[entry.status];
    if (status === undefined) throw new TypeError(`key ${entry.id}: unknown status ${entry.status}`);
    const idBytes = entry.id.length;
    const nameBytes = nameByteLength(entry);
    const row = this.allocateRow();
    const start = this.reserveText(idBytes + nameBytes);
    for (let i = 0; i < idBytes; i++) this.text[start + i] = this.idProbe[i]!;
    this.writeName(entry.name, start + idBytes);
    this.textStart[row] = start;
    this.idLength[row] = idBytes;
    this.nameLength[row] = nameBytes;
    for (let i = 0; i < DIGEST_BYTES; i++) this.digests[row * DIGEST_BYTES + i] = this.digestProbe[i]!;
    this.status[row] = status;
    this.expiresAt[row] = entry.expiresAt ?? Number.NaN;
    const extras = this.extrasOf(entry);
    if (extras) this.extras.set(row, extras);
    this.byDigest.insert(hashed, row);
    this.byId.insert(fnv1a(this.idProbe, 0, idBytes), row);
    this.live++;
  }

  private writeName(name: string, at: number): void {
    if (!writeAscii(name, this.text, at)) this.text.write(name, at);
  }

  /** The entry's extra fields when any differs from "none"; otherwise it needs no side-table room. */
  private extrasOf(entry: E): Extras<E> | undefined {
    for (const field of this.extraFields) {
      if (entry[field] === this.noExtras[field]) continue;
      const extras = {} as Extras<E>;
      for (const name of this.extraFields) if (entry[name] !== undefined) extras[name] = entry[name];
      return extras;
    }
    return undefined;
  }

  /** A row's side-table entry: `extras`, or none when it has no field. */
  private setExtras(row: number, extras: Extras<E>): void {
    if (Object.keys(extras).length) this.extras.set(row, extras);
    else this.extras.delete(row);
  }

  private release(row: number): void {
    const start = this.textStart[row]!;
    const idLength = this.idLength[row]!;
    this.byDigest.delete(digestHash(this.digests, row * DIGEST_BYTES, this.digestSeed), row);
    this.byId.delete(fnv1a(this.text, start, start + idLength), row);
    this.textGarbage += idLength + this.nameLength[row]!;
    this.status[row] = FREE;
    this.extras.delete(row);
    this.freeRows.push(row);
    this.live--;
  }

  /** The row of the key with `id` (-1: none; NOT_AN_ID: no key could have it). Leaves its bytes in `idProbe`. */
  private rowOfId(id: string): number {
    if (id.length > MAX_ID_BYTES || !writeAscii(id, this.idProbe, 0)) return NOT_AN_ID;
    return this.byId.find(fnv1a(this.idProbe, 0, id.length), id.length);
  }

  private allocateRow(): number {
    const free = this.freeRows.pop();
    if (free !== undefined) return free;
    if (this.rows === this.status.length) {
      const rows = Math.ceil(this.rows * GROWTH);
      this.digests = grown(this.digests, rows * DIGEST_BYTES);
      this.textStart = grown(this.textStart, rows);
      this.idLength = grown(this.idLength, rows);
      this.nameLength = grown(this.nameLength, rows);
      this.status = grown(this.status, rows);
      this.expiresAt = grown(this.expiresAt, rows);
    }
    return this.rows++;
  }

  /** The offset of `bytes` fresh bytes of text: compacts away garbage, or grows, when full. */
  private reserveText(bytes: number): number {
    if (this.textEnd + bytes > this.text.length) {
      const inUse = this.textEnd - this.textGarbage;
      const size = Math.max(MIN_TEXT, Math.ceil((inUse + bytes) * GROWTH));
      // Compacting pays once half is garbage; below that, growing is cheaper over time.
      if (this.textGarbage * 2 >= this.textEnd) this.compactText(Math.max(size, this.text.length));
      else this.text = grown(this.text, Math.max(size, Math.ceil(this.text.length * GROWTH)));
    }
    const start = this.textEnd;
    this.textEnd += bytes;
    return start;
  }

  /** Copies the live rows' text into a fresh buffer of `size` bytes, dropping the garbage. */
  private compactText(size: number): void {
    const text = Buffer.alloc(size);
    let end = 0;
    for (let row = 0; row < this.rows; row++) {
      if (this.status[row] === FREE) continue;
      const start = this.textStart[row]!;
      const length = this.idLength[row]! + this.nameLength[row]!;
      this.text.copy(text, end, start, start + length);
      this.textStart[row] = end;
      end += length;
    }
    this.text = text;
    this.textEnd = end;
    this.textGarbage = 0;
  }
}
