/**
 * The compact verification index (src/daemon/verify/key-index.ts) against a plain Map model,
 * its side table for rare fields, and one index of 100,000 keys.
 */
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { newId } from '../../src/daemon/secrets/format.js';
import type { IndexedKey } from '../../src/decide/policy.js';
import type { KeyStatus } from '../../src/daemon/store.js';
import { digestHash } from '../../src/daemon/verify/bytes.js';
import { KeyIndex } from '../../src/daemon/verify/key-index.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

function key(n: number, overrides: Partial<IndexedKey> = {}): IndexedKey {
  return { id: `key_${n}`, name: `key-${n}`, hash: sha(`secret-${n}`), status: 'active', expiresAt: null, ...overrides };
}

async function* pages<T>(items: T[], size: number): AsyncIterable<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

describe('KeyIndex', () => {
  it('finds a key by hash and answers a plain object of its own', () => {
    const index = new KeyIndex();
    index.put(key(1, { name: 'Zahlungsdienst ✓ 支付', expiresAt: 1_900_000_000_123 }));
    index.put(key(2, { status: 'inactive' }));
    const found = index.lookup(sha('secret-1'))!;
    expect(found).toEqual(key(1, { name: 'Zahlungsdienst ✓ 支付', expiresAt: 1_900_000_000_123 }));
    found.status = 'inactive';
    expect(index.lookup(sha('secret-1'))?.status).toBe('active');
    expect(index.lookup(sha('secret-2'))).toEqual(key(2, { status: 'inactive' }));
    expect(index.size).toBe(2);
  });

  it('finds nothing for an unknown, short, or non-hex hash', () => {
    const index = new KeyIndex();
    index.put(key(1));
    expect(index.lookup(sha('secret-9'))).toBeUndefined();
    expect(index.lookup(sha('secret-1').slice(0, 62))).toBeUndefined();
    expect(index.lookup('zz' + sha('secret-1').slice(2))).toBeUndefined();
    expect(index.lookup('')).toBeUndefined();
  });

  it('changes status by id and forgets a removed key', () => {
    const index = new KeyIndex();
    index.load([key(1), key(2)]);
    index.setStatus('key_1', 'inactive');
    index.remove('key_2');
    index.remove('key_404');
    index.setStatus('key_404', 'active');
    expect(index.lookup(sha('secret-1'))?.status).toBe('inactive');
    expect(index.lookup(sha('secret-2'))).toBeUndefined();
    expect(index.size).toBe(1);
  });

  it('replaces the key with the same id, and the key with the same hash', () => {
    const index = new KeyIndex();
    index.load([key(1), key(2)]);
    index.put(key(1, { name: 'renamed', hash: sha('other') }));
    expect(index.lookup(sha('secret-1'))).toBeUndefined();
    expect(index.lookup(sha('other'))?.name).toBe('renamed');
    index.put(key(3, { hash: sha('secret-2') }));
    expect(index.lookup(sha('secret-2'))?.id).toBe('key_3');
    index.remove('key_2');
    expect(index.lookup(sha('secret-2'))?.id).toBe('key_3');
    expect(index.size).toBe(2);
  });

  it('load replaces everything', () => {
    const index = new KeyIndex();
    index.load([key(1), key(2)]);
    index.load([key(3)]);
    expect(index.lookup(sha('secret-1'))).toBeUndefined();
    expect(index.lookup(sha('secret-3'))?.id).toBe('key_3');
    expect(index.size).toBe(1);
  });

  it('refuses an entry whose hash is not a hex SHA-256', () => {
    expect(() => new KeyIndex().put(key(1, { hash: 'abc' }))).toThrow(TypeError);
  });

  it('keeps names right while replaced names pile up and are compacted away', () => {
    const index = new KeyIndex();
    // ~5,000 replacements of 10 keys write several times the text buffer's first size.
    for (let round = 0; round < 500; round++) {
      for (let n = 0; n < 10; n++) index.put(key(n, { name: `key-${n}-round-${round}-${'é'.repeat(round % 7)}` }));
    }
    for (let n = 0; n < 10; n++) expect(index.lookup(sha(`secret-${n}`))?.name).toBe(`key-${n}-round-499-${'é'.repeat(499 % 7)}`);
    expect(index.size).toBe(10);
    expect(index.byteLength).toBeLessThan(200_000);
  });

  it('renames a key, also when making room for the name compacts the text', () => {
    const index = new KeyIndex();
    index.load([key(1), key(2)]);
    for (let round = 0; round < 3000; round++) index.rename('key_1', `renamed-${round}-${'ü'.repeat(round % 5)}`);
    index.rename('key_404', 'nobody');
    expect(index.lookup(sha('secret-1'))).toEqual(key(1, { name: `renamed-2999-${'ü'.repeat(2999 % 5)}` }));
    expect(index.lookup(sha('secret-2'))).toEqual(key(2));
    index.remove('key_1');
    index.put(key(1));
    expect(index.lookup(sha('secret-1'))?.name).toBe('key-1');
  });

  it('keeps a key’s policy in the side table, and no policy field on the keys without one', () => {
    const index = new KeyIndex();
    const policy = { owner: 'team-a', meta: null, scopes: ['orders:*'], allowedIps: null, rateLimit: null, quota: null };
    index.load([key(1, { policy }), key(2)]);
    expect(index.lookup(sha('secret-1'))).toEqual(key(1, { policy }));
    expect(Object.keys(index.lookup(sha('secret-2'))!)).not.toContain('policy');
    index.put(key(1));
    expect(Object.keys(index.lookup(sha('secret-1'))!)).not.toContain('policy');
  });

  it('answers as a Map of the same writes would', () => {
    const id = fc.integer({ min: 0, max: 7 });
    const op = fc.oneof(
      fc.record({ op: fc.constant('put' as const), id, secret: fc.integer({ min: 0, max: 7 }), name: fc.string({ maxLength: 12 }), inactive: fc.boolean(), expiresAt: fc.option(fc.nat()) }),
      fc.record({ op: fc.constant('status' as const), id, inactive: fc.boolean() }),
      fc.record({ op: fc.constant('rename' as const), id, name: fc.string({ maxLength: 12 }) }),
      fc.record({ op: fc.constant('remove' as const), id }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const index = new KeyIndex();
        const model = new Map<string, IndexedKey>();
        for (const o of ops) {
          const keyId = `key_${o.id}`;
          const status: KeyStatus = 'inactive' in o && o.inactive ? 'inactive' : 'active';
          if (o.op === 'put') {
            const entry = { id: keyId, name: o.name, hash: sha(`secret-${o.secret}`), status, expiresAt: o.expiresAt };
            for (const [other, e] of model) if (e.hash === entry.hash) model.delete(other);
            model.set(keyId, entry);
            index.put(entry);
          } else if (o.op === 'status') {
            const e = model.get(keyId);
            if (e) model.set(keyId, { ...e, status });
            index.setStatus(keyId, status);
          } else if (o.op === 'rename') {
            const e = model.get(keyId);
            if (e) model.set(keyId, { ...e, name: o.name });
            index.rename(keyId, o.name);
          } else {
            model.delete(keyId);
            index.remove(keyId);
          }
        }
        for (let s = 0; s < 8; s++) {
          const hash = sha(`secret-${s}`);
          expect(index.lookup(hash)).toEqual([...model.values()].find((e) => e.hash === hash));
        }
        expect(index.size).toBe(model.size);
      }),
    );
  });

  describe('rare fields in the side table', () => {
    type OwnedKey = IndexedKey & { owner: string | null; scopes: string[] | null };
    const owned = (n: number, owner: string | null, scopes: string[] | null = null): OwnedKey => ({ ...key(n), owner, scopes });

    it('keeps a field only for the keys that have one, and "none" for the rest', () => {
      const index = new KeyIndex<OwnedKey>({ owner: null, scopes: null });
      index.load([owned(1, 'team-a', ['read']), owned(2, null)]);
      expect(index.lookup(sha('secret-1'))).toEqual(owned(1, 'team-a', ['read']));
      expect(index.lookup(sha('secret-2'))).toEqual(owned(2, null));
    });

    it('drops a removed key’s fields, so a key reusing its row has none', () => {
      const index = new KeyIndex<OwnedKey>({ owner: null, scopes: null });
      index.put(owned(1, 'team-a'));
      index.remove('key_1');
      index.put(owned(2, null));
      expect(index.lookup(sha('secret-2'))?.owner).toBeNull();
      index.put(owned(2, 'team-b'));
      index.put(owned(2, null, ['write']));
      expect(index.lookup(sha('secret-2'))).toEqual(owned(2, null, ['write']));
    });
  });

  it('holds 100,000 keys in a few MB and finds each of them', async () => {
    const total = 100_000;
    const entries = Array.from({ length: total }, (_, n) => ({
      id: newId('key_'),
      name: `service-${n}`,
      hash: sha(`secret-${n}`),
      status: (n % 10 === 0 ? 'inactive' : 'active') as KeyStatus,
      expiresAt: n % 3 === 0 ? 1_900_000_000_000 + n : null,
    }));
    const index = new KeyIndex();
    await index.loadPages(pages(entries, 7_000), total);
    expect(index.size).toBe(total);
    // A Map of objects took ~800 bytes a key in the daemon's RSS; the columns take a sixth.
    expect(index.byteLength / total).toBeLessThan(150);
    // Checked in plain loops, one assertion per pass: 250,000 calls of expect() took ~12 s.
    expect(entries.filter((entry) => !isDeepStrictEqual(index.lookup(entry.hash), entry))).toEqual([]);
    expect(Array.from({ length: 1000 }, (_, n) => index.lookup(sha(`absent-${n}`))).filter(Boolean)).toEqual([]);

    for (let n = 0; n < total; n += 2) index.remove(entries[n]!.id);
    expect(index.size).toBe(total / 2);
    expect(entries.filter((entry, n) => index.lookup(entry.hash)?.id !== (n % 2 ? entry.id : undefined))).toEqual([]);
    for (let n = 0; n < total; n += 2) index.put({ ...entries[n]!, name: `again-${n}` });
    expect(entries.filter((entry, n) => n % 2 === 0 && index.lookup(entry.hash)?.name !== `again-${n}`)).toEqual([]);
    expect(index.size).toBe(total);
  });
});

describe('KeyIndex marks and tombstones (docs/alerts.md)', () => {
  const policy = { scopes: ['a:*'], allowedIps: null, rateLimit: null, quota: null, owner: 'team', meta: null };

  describe('digests an importer chose', () => {
    /** 10,000 digests alike but for four bytes at `at`, as a hostile `sha256` import could send. */
    const alike = (at: number) =>
      Array.from({ length: 10_000 }, (_, i) => {
        const bytes = new Uint8Array(32).fill(0xab);
        new DataView(bytes.buffer).setUint32(at, i);
        return bytes;
      });

    it('spread over a table\'s buckets whichever bytes they share', () => {
      const buckets = 16_384;
      for (const at of [0, 12, 28]) {
        for (const seed of [0, 0x5eed, 0xffffffff]) {
          const used = new Set(alike(at).map((d) => digestHash(d, 0, seed) & (buckets - 1)));
          // Random hashes of 10,000 keys fill ~7,500 of 16,384 buckets; a hash of the first
          // four bytes alone put the digests differing only at 12 or 28 in one.
          expect(used.size, `differing at byte ${at}, seed ${seed}`).toBeGreaterThan(6_500);
        }
      }
      expect(digestHash(alike(0)[1]!, 0, 1), 'the seed changes the hash').not.toBe(digestHash(alike(0)[1]!, 0, 2));
    });

    it('are each found, by hash and by id', () => {
      const index = new KeyIndex();
      const hex = (d: Uint8Array) => Buffer.from(d).toString('hex');
      const digests = alike(28);
      index.load(digests.map((d, i) => key(i, { hash: hex(d) })));
      let wrong = 0;
      digests.forEach((d, i) => {
        if (index.lookup(hex(d))?.id !== `key_${i}` || index.get(`key_${i}`)?.hash !== hex(d)) wrong++;
      });
      expect(wrong).toBe(0);
      index.remove('key_7');
      expect(index.lookup(hex(digests[7]!))).toBeUndefined();
      expect(index.lookup(hex(digests[8]!))?.id).toBe('key_8');
    });
  });

  it('keeps a canary and a rotated-out key as marks, and an ordinary key without any', () => {
    const index = new KeyIndex();
    index.load([key(1), key(2, { canary: true }), key(3, { status: 'inactive', rotatedOutBy: 'rot_1' })]);
    expect(index.lookup(sha('secret-1')), 'no mark shown on an ordinary key').toEqual(key(1));
    expect(index.lookup(sha('secret-2'))).toEqual(key(2, { canary: true }));
    expect(index.lookup(sha('secret-3'))).toEqual(key(3, { status: 'inactive', rotatedOutBy: 'rot_1' }));
    index.markRotatedOut('key_1', 'rot_2');
    expect(index.lookup(sha('secret-1'))).toEqual(key(1, { rotatedOutBy: 'rot_2' }));
    index.markRotatedOut('key_1', null);
    expect(index.lookup(sha('secret-1'))).toEqual(key(1));
    index.markRotatedOut('key_9', 'rot_3');
    expect(index.size).toBe(3);
  });

  it('buries a key in its row: found by hash, inactive, never expiring, its policy and canary gone, its rotation kept', () => {
    const index = new KeyIndex();
    index.load([key(1, { expiresAt: 1_900_000_000_000, policy, canary: true }), key(2, { status: 'inactive', rotatedOutBy: 'rot_1' }), key(3)]);
    index.bury('key_1', 1_800_000_000_000);
    index.bury('key_2', 1_800_000_000_001);
    index.bury('key_404', 1);
    expect(index.lookup(sha('secret-1'))).toEqual({ id: 'key_1', name: 'key-1', hash: sha('secret-1'), status: 'inactive', expiresAt: null, deletedAt: 1_800_000_000_000 });
    expect(index.lookup(sha('secret-2'))).toEqual({ ...key(2, { status: 'inactive' }), deletedAt: 1_800_000_000_001, rotatedOutBy: 'rot_1' });
    expect(index.lookup(sha('secret-3'))).toEqual(key(3));
    expect(index.size).toBe(3);
    index.remove('key_1');
    expect(index.lookup(sha('secret-1'))).toBeUndefined();
  });
});

describe('KeyIndex for whoever keeps a copy (the replica hub)', () => {
  it('tells listeners of each change after loading, with the entry before and after, and of nothing that changed nothing', () => {
    const index = new KeyIndex();
    index.load([key(1), key(2), key(3, { policy: { scopes: ['a:*'], allowedIps: null, rateLimit: null, quota: null, owner: null, meta: null } })]);
    const heard: [IndexedKey | undefined, IndexedKey | undefined][] = [];
    const stop = index.onChange((before, after) => heard.push([before, after]));
    index.put(key(4));
    index.setStatus('key_1', 'inactive');
    index.setStatus('key_1', 'inactive');
    index.markRotatedOut('key_1', 'rot_1');
    index.markRotatedOut('key_1', 'rot_1');
    index.rename('key_2', 'two');
    index.bury('key_1', 1_800_000_000_000);
    index.remove('key_3');
    index.setStatus('key_404', 'inactive');
    stop();
    index.remove('key_2');
    expect(heard).toEqual([
      [undefined, key(4)],
      [key(1), key(1, { status: 'inactive' })],
      [key(1, { status: 'inactive' }), key(1, { status: 'inactive', rotatedOutBy: 'rot_1' })],
      [key(2), key(2, { name: 'two' })],
      [key(1, { status: 'inactive', rotatedOutBy: 'rot_1' }), key(1, { status: 'inactive', rotatedOutBy: 'rot_1', deletedAt: 1_800_000_000_000 })],
      [expect.objectContaining({ id: 'key_3', policy: expect.objectContaining({ scopes: ['a:*'] }) }), undefined],
    ]);
  });

  it('lists every entry by row, also while it changes between items, and finds one by id', () => {
    const index = new KeyIndex();
    index.load(Array.from({ length: 10 }, (_, n) => key(n)));
    const seen: string[] = [];
    for (const entry of index.entries()) {
      seen.push(entry.id);
      if (entry.id === 'key_2') {
        index.remove('key_5');
        index.put(key(10));
      }
    }
    // key_10 took the row key_5 left: visited in its place.
    expect(seen).toEqual(['key_0', 'key_1', 'key_2', 'key_3', 'key_4', 'key_10', 'key_6', 'key_7', 'key_8', 'key_9']);
    expect(index.get('key_7')).toEqual(key(7));
    expect(index.get('key_5')).toBeUndefined();
  });
});
