/**
 * The index of a daemon on a shared store (src/daemon/sync/follower.ts) brought to the change
 * feed's snapshot: keys a newer change settled are left as they are, and a large snapshot
 * gives the event loop turns instead of holding it.
 */
import { createHash } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { IndexedKey } from '../../src/decide/policy.js';
import type { SharedStore } from '../../src/daemon/store.js';
import { FollowedKeyIndex } from '../../src/daemon/sync/follower.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

function key(n: number, overrides: Partial<IndexedKey> = {}): IndexedKey {
  return { id: `key_${n}`, name: `key-${n}`, hash: sha(`secret-${n}`), status: 'active', expiresAt: null, ...overrides };
}

async function* pages<T>(items: T[], size: number): AsyncIterable<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** A feed that is live: only the feed's own calls change the index. */
const live: SharedStore = { live: true, follow: async () => {} };

describe('FollowedKeyIndex.followAll', () => {
  it("applies the snapshot's rows and removes what it lacks, except keys a newer change settled", async () => {
    const index = new FollowedKeyIndex(live);
    const start = [key(1), key(2), key(3), key(4)];
    await index.followAll(pages(start, 2), () => false);
    expect([...index.entries()].map((e) => e.id).sort()).toEqual(['key_1', 'key_2', 'key_3', 'key_4']);

    // The snapshot was read before: key 1 was deactivated since (settled); key 3 was created
    // since, so the snapshot lacks it (settled); key 4 is gone; key 2 changed and nobody said.
    index.followKey('key_1', key(1, { status: 'inactive' }));
    const snapshot = [key(1), key(2, { name: 'renamed' })];
    const settled = new Set(['key_1', 'key_3']);
    await index.followAll(pages(snapshot, 1), (id) => settled.has(id));
    expect(index.get('key_1')?.status).toBe('inactive');
    expect(index.get('key_2')?.name).toBe('renamed');
    expect(index.get('key_3')).toEqual(key(3));
    expect(index.get('key_4')).toBeUndefined();
  });

  it('leaves the index as it is outside the feed while the feed is live', () => {
    const index = new FollowedKeyIndex(live);
    index.put(key(1));
    expect(index.get('key_1')).toBeUndefined();
  });

  it('places the first snapshot at once, and later ones key by key', async () => {
    const index = new FollowedKeyIndex(live, 2);
    const changes: string[] = [];
    index.onChange((before, after) => changes.push((after ?? before)!.id));
    await index.followAll(pages([key(1), key(2)], 1), () => false);
    expect(index.size).toBe(2);
    expect(changes, 'the startup load tells no listener: nobody follows yet').toEqual([]);
    await index.followAll(pages([key(1, { status: 'inactive' }), key(2), key(3)], 1), () => false);
    expect(changes, 'what a later snapshot changed, and only that').toEqual(['key_1', 'key_3']);
  });

  it('gives the event loop turns while following a large snapshot', async () => {
    const index = new FollowedKeyIndex(live);
    await index.followAll(pages([], 1), () => false);
    const many = Array.from({ length: 200_000 }, (_, n) => key(n));
    let turns = 0;
    let following = true;
    const counting = (async () => {
      while (following) {
        await setImmediate();
        turns++;
      }
    })();
    // One page: without slices the walk over it is one synchronous step.
    await index.followAll(pages(many, many.length), () => false);
    following = false;
    await counting;
    expect(index.size).toBe(many.length);
    expect(turns).toBeGreaterThan(3);
  });
});
