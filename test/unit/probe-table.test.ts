/**
 * The open-addressing table under the verification index: collisions, growth, deletes that
 * leave markers in the probe sequence, and inserts that reuse them.
 */
import { describe, expect, it } from 'vitest';
import { ProbeTable } from '../../src/daemon/verify/probe-table.js';

/** A table over entry numbers whose keys are strings in `keys`, hashed by `hash`. */
function table(hash: (key: string) => number) {
  const keys: string[] = [];
  const t = new ProbeTable<string>((entry, key) => keys[entry] === key);
  return {
    t,
    add(key: string): number {
      const entry = keys.push(key) - 1;
      t.insert(hash(key), entry);
      return entry;
    },
    find: (key: string) => t.find(hash(key), key),
    remove: (key: string) => t.delete(hash(key), keys.indexOf(key)),
  };
}

const sameHash = () => 7;
/** Hashes that agree in their low bits (the slot) but not in the rest. */
const sameSlot = (key: string) => 7 + 1024 * key.charCodeAt(0);

describe('ProbeTable', () => {
  it('finds every key when all of them collide', () => {
    const { add, find } = table(sameHash);
    const entries = ['a', 'b', 'c', 'd', 'e'].map(add);
    expect(['a', 'b', 'c', 'd', 'e'].map(find)).toEqual(entries);
    expect(find('z')).toBe(-1);
  });

  it('finds every key when their hashes differ but their slots collide', () => {
    const { add, find } = table(sameSlot);
    const entries = ['a', 'b', 'c'].map(add);
    expect(['a', 'b', 'c'].map(find)).toEqual(entries);
    expect(find('z')).toBe(-1);
  });

  it('wraps around the end of the slots', () => {
    // Hash 15 is the last slot of the initial 16: the chain continues at slot 0.
    const { add, find } = table(() => 15);
    const entries = ['a', 'b', 'c'].map(add);
    expect(['a', 'b', 'c'].map(find)).toEqual(entries);
  });

  it('grows and keeps every entry findable', () => {
    const { t, add, find } = table((key) => Number(key));
    const initial = t.capacity;
    for (let i = 0; i < 1000; i++) add(String(i * 31));
    expect(t.capacity).toBeGreaterThan(initial);
    expect(t.size).toBe(1000);
    expect(t.size / t.capacity).toBeLessThanOrEqual(0.7);
    for (let i = 0; i < 1000; i++) expect(find(String(i * 31))).toBe(i);
    expect(find('5')).toBe(-1);
  });

  it('finds keys past a deleted one in the same probe sequence', () => {
    const { t, add, find, remove } = table(sameHash);
    const [, b, c] = ['a', 'b', 'c'].map(add);
    expect(remove('a')).toBe(true);
    expect(t.deleted).toBe(1);
    expect(find('a')).toBe(-1);
    // Without the marker, the lookup would stop at a's empty slot and miss b and c.
    expect(find('b')).toBe(b);
    expect(find('c')).toBe(c);
    expect(remove('a')).toBe(false);
  });

  it('reuses a deleted slot for the next insert', () => {
    const { t, add, find, remove } = table(sameHash);
    add('a');
    add('b');
    remove('a');
    const again = add('a');
    expect(t.deleted).toBe(0);
    expect(find('a')).toBe(again);
    expect(find('b')).toBe(1);
  });

  it('drops deleted markers when it rebuilds', () => {
    const { t, add, remove, find } = table((key) => Number(key));
    for (let i = 0; i < 11; i++) add(String(i));
    for (let i = 0; i < 10; i++) remove(String(i));
    expect(t.deleted).toBe(10);
    // 11 used of 16 slots: the next insert passes the load limit and rebuilds.
    add('100');
    expect(t.deleted).toBe(0);
    expect(t.size).toBe(2);
    expect(find('10')).toBe(10);
    expect(find('100')).toBe(11);
    expect(find('3')).toBe(-1);
  });

  it('clears to an empty table sized for what comes next', () => {
    const { t, add, find } = table(sameHash);
    add('a');
    t.clear(1000);
    expect(t.size).toBe(0);
    expect(t.capacity).toBeGreaterThanOrEqual(2000);
    expect(find('a')).toBe(-1);
  });
});
