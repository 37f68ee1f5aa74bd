/**
 * An open-addressing hash table from a 32-bit hash to entry numbers (indexes into the columns
 * of a compact table), over one `Int32Array`: 8 bytes a slot instead of a JS object a key.
 * Linear probing over a power-of-two capacity; the keys themselves live in the owner's
 * columns, which `matches` reads. Each slot keeps its entry's hash beside the
 * entry number, so a probe only reads the owner's columns (a cache miss at a million keys)
 * when the hashes agree: loading a million keys spent a fifth of its time in those reads.
 * A deleted slot becomes a marker that lookups probe past and inserts reuse, so a delete never
 * breaks the probe sequence of another key; markers are cleared when the table is rebuilt.
 * Pure: no I/O.
 */

const EMPTY = -1;
const DELETED = -2;
/** Rebuild once live entries and deleted markers fill this share of the slots. */
const MAX_LOAD = 0.7;
/** After a rebuild, live entries fill at most this share: probe sequences stay short. */
const TARGET_LOAD = 0.5;
const MIN_CAPACITY = 16;

/** True when `entry` holds `key` (read from the owner's columns). */
export type Matches<K> = (entry: number, key: K) => boolean;

/** Slot `i` is `slots[2i]` (entry number, or EMPTY / DELETED) and `slots[2i + 1]` (its hash). */
export class ProbeTable<K> {
  private slots = emptySlots(MIN_CAPACITY);
  private live = 0;
  /** Live entries plus deleted markers: what lengthens probe sequences. */
  private used = 0;

  constructor(private readonly matches: Matches<K>) {}

  /** The entry holding `key` (whose hash is `hash`), or -1. */
  find(hash: number, key: K): number {
    const slots = this.slots;
    const tag = hash | 0;
    const mask = this.capacity - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const entry = slots[2 * i]!;
      if (entry === EMPTY) return -1;
      if (entry >= 0 && slots[2 * i + 1] === tag && this.matches(entry, key)) return entry;
    }
  }

  /** Adds `entry` under `hash`. The caller has made sure no entry holds the same key. */
  insert(hash: number, entry: number): void {
    if (this.used + 1 > this.capacity * MAX_LOAD) this.rebuild(this.live + 1);
    const slots = this.slots;
    const mask = this.capacity - 1;
    let i = hash & mask;
    while (slots[2 * i]! >= 0) i = (i + 1) & mask;
    if (slots[2 * i] === EMPTY) this.used++;
    slots[2 * i] = entry;
    slots[2 * i + 1] = hash;
    this.live++;
  }

  /** Removes `entry`, stored under `hash`; false if it was not there. */
  delete(hash: number, entry: number): boolean {
    const slots = this.slots;
    const mask = this.capacity - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const at = slots[2 * i]!;
      if (at === EMPTY) return false;
      if (at === entry) {
        slots[2 * i] = DELETED;
        this.live--;
        return true;
      }
    }
  }

  /** Empties the table, keeping room for `expected` entries. */
  clear(expected = 0): void {
    this.slots = emptySlots(capacityFor(expected));
    this.live = 0;
    this.used = 0;
  }

  get size(): number {
    return this.live;
  }

  get capacity(): number {
    return this.slots.length / 2;
  }

  /** Bytes the slots take. */
  get byteLength(): number {
    return this.slots.byteLength;
  }

  /** Deleted markers in the table now (for tests of their reuse and clearing). */
  get deleted(): number {
    return this.used - this.live;
  }

  /** Moves every live entry into a fresh array with room for `expected`; markers are dropped. */
  private rebuild(expected: number): void {
    const old = this.slots;
    this.clear(expected);
    const slots = this.slots;
    const mask = this.capacity - 1;
    for (let j = 0; j < old.length; j += 2) {
      const entry = old[j]!;
      if (entry < 0) continue;
      const hash = old[j + 1]!;
      let i = hash & mask;
      while (slots[2 * i] !== EMPTY) i = (i + 1) & mask;
      slots[2 * i] = entry;
      slots[2 * i + 1] = hash;
      this.live++;
    }
    this.used = this.live;
  }
}

function emptySlots(capacity: number): Int32Array {
  const slots = new Int32Array(2 * capacity);
  for (let i = 0; i < slots.length; i += 2) slots[i] = EMPTY;
  return slots;
}

/** The smallest power of two that holds `entries` at the target load. */
function capacityFor(entries: number): number {
  let capacity = MIN_CAPACITY;
  while (entries > capacity * TARGET_LOAD) capacity *= 2;
  return capacity;
}
