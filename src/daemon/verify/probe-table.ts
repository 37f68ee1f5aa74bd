/**
 * An open-addressing hash table from a 32-bit hash to entry numbers (indexes into the columns
 * of a compact table), over one `Int32Array`: 4 bytes a slot instead of a JS object a key.
 * Linear probing over a power-of-two capacity; the keys themselves live in the owner's
 * columns, which `matches` and `hashOf` read. A deleted slot becomes a marker that lookups
 * probe past and inserts reuse, so a delete never breaks the probe sequence of another key;
 * markers are cleared when the table is rebuilt. Pure: no I/O.
 */

const EMPTY = -1;
const DELETED = -2;
/** Rebuild once live entries and deleted markers fill this share of the slots. */
const MAX_LOAD = 0.7;
/** After a rebuild, live entries fill at most this share: probe sequences stay short. */
const TARGET_LOAD = 0.5;
const MIN_CAPACITY = 16;

export type ProbeKeys<K> = {
  /** The hash of the key stored at `entry` (read from the owner's columns, for rebuilds). */
  hashOf(entry: number): number;
  /** True when `entry` holds `key`. */
  matches(entry: number, key: K): boolean;
};

export class ProbeTable<K> {
  private slots = new Int32Array(MIN_CAPACITY).fill(EMPTY);
  private live = 0;
  /** Live entries plus deleted markers: what lengthens probe sequences. */
  private used = 0;

  constructor(private readonly keys: ProbeKeys<K>) {}

  /** The entry holding `key` (whose hash is `hash`), or -1. */
  find(hash: number, key: K): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const entry = slots[i]!;
      if (entry === EMPTY) return -1;
      if (entry >= 0 && this.keys.matches(entry, key)) return entry;
    }
  }

  /** Adds `entry` under `hash`. The caller has made sure no entry holds the same key. */
  insert(hash: number, entry: number): void {
    if (this.used + 1 > this.slots.length * MAX_LOAD) this.rebuild(this.live + 1);
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = hash & mask;
    while (slots[i]! >= 0) i = (i + 1) & mask;
    if (slots[i] === EMPTY) this.used++;
    slots[i] = entry;
    this.live++;
  }

  /** Removes `entry`, stored under `hash`; false if it was not there. */
  delete(hash: number, entry: number): boolean {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const at = slots[i]!;
      if (at === EMPTY) return false;
      if (at === entry) {
        slots[i] = DELETED;
        this.live--;
        return true;
      }
    }
  }

  /** Empties the table, keeping room for `expected` entries. */
  clear(expected = 0): void {
    this.slots = new Int32Array(capacityFor(expected)).fill(EMPTY);
    this.live = 0;
    this.used = 0;
  }

  get size(): number {
    return this.live;
  }

  get capacity(): number {
    return this.slots.length;
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
    const mask = slots.length - 1;
    for (const entry of old) {
      if (entry < 0) continue;
      let i = this.keys.hashOf(entry) & mask;
      while (slots[i] !== EMPTY) i = (i + 1) & mask;
      slots[i] = entry;
      this.live++;
    }
    this.used = this.live;
  }
}

/** The smallest power of two that holds `entries` at the target load. */
function capacityFor(entries: number): number {
  let capacity = MIN_CAPACITY;
  while (entries > capacity * TARGET_LOAD) capacity *= 2;
  return capacity;
}
