/** Issue 16: the key list sorted, filtered, counted and paged both ways by the daemon. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyJson } from '../../src/client/client.js';
import { startTestApp, testBackend, type TestApp } from '../helpers/daemon.js';

let t: TestApp;
const NAMES = Array.from({ length: 23 }, (_, i) => `svc-${String(i).padStart(2, '0')}`);

beforeAll(async () => {
  t = await startTestApp();
  for (const [i, name] of NAMES.entries()) {
    const created = await t.api('POST', '/v1/keys', { name, owner: i % 2 ? 'team-odd' : 'team-even' });
    expect(created.status).toBe(201);
  }
  const odd = (await t.api('GET', '/v1/keys?filter=svc-07')).body.keys[0]!;
  await t.api('POST', `/v1/keys/${odd.id}/deactivate`);
});
afterAll(async () => {
  await t.stop();
});

const names = (body: { keys: { name: string }[] }) => body.keys.map((k) => k.name);

describe('GET /v1/keys at scale', () => {
  it('pages a sort forward to the end and back to the start, the pages joining up exactly', async () => {
    const forward: string[] = [];
    let page = (await t.api('GET', '/v1/keys?sort=name&reverse=true&limit=5')).body;
    expect(page.prevCursor).toBeNull();
    forward.push(...names(page));
    while (page.nextCursor) {
      page = (await t.api('GET', `/v1/keys?sort=name&reverse=true&limit=5&cursor=${page.nextCursor}`)).body;
      forward.push(...names(page));
    }
    expect(forward).toEqual([...NAMES].reverse());
    const backward: string[] = [];
    page = (await t.api('GET', '/v1/keys?sort=name&reverse=true&limit=5&end=true')).body;
    expect(page.nextCursor).toBeNull();
    expect(names(page)).toEqual(['svc-04', 'svc-03', 'svc-02', 'svc-01', 'svc-00']);
    backward.unshift(...names(page));
    while (page.prevCursor) {
      page = (await t.api('GET', `/v1/keys?sort=name&reverse=true&limit=5&before=${page.prevCursor}`)).body;
      backward.unshift(...names(page));
      expect(page.nextCursor).not.toBeNull();
    }
    expect(backward).toEqual(forward);
  });

  it('filters by name, owner or hint, or the exact id, and counts what matches by status', async () => {
    const all = await t.api('GET', '/v1/keys?counts=true&limit=1');
    expect(all.body.counts).toEqual({ total: 23, active: 22, inactive: 1 });
    const odd = await t.api('GET', '/v1/keys?filter=TEAM-ODD&counts=true&sort=status&limit=100');
    expect(odd.body.counts).toEqual({ total: 11, active: 10, inactive: 1 });
    expect(names(odd.body).at(-1)).toBe('svc-07');
    const one = odd.body.keys[0]!;
    expect(names((await t.api('GET', `/v1/keys?filter=${one.id}`)).body)).toEqual([one.name]);
    expect(names((await t.api('GET', `/v1/keys?filter=${encodeURIComponent(one.hint.slice(-4))}`)).body)).toContain(one.name);
    expect((await t.api('GET', '/v1/keys?filter=no-such-key&counts=true')).body).toEqual({ keys: [], nextCursor: null, prevCursor: null, counts: { total: 0, active: 0, inactive: 0 } });
    // Existing callers: q, status, owner, limit and cursor as before, oldest first.
    const old = await t.api('GET', '/v1/keys?q=svc-1&status=active&owner=team-odd&limit=2');
    expect(names(old.body)).toEqual(['svc-11', 'svc-13']);
    expect(names((await t.api('GET', `/v1/keys?q=svc-1&status=active&owner=team-odd&limit=2&cursor=${old.body.nextCursor}`)).body)).toEqual(['svc-15', 'svc-17']);
    expect(old.body).not.toHaveProperty('counts');
  });

  it('finds a key by its whole name, ignoring case as uniqueness does, and no key by a part of one', async () => {
    expect(names((await t.api('GET', '/v1/keys?name=SVC-01')).body)).toEqual(['svc-01']);
    expect(names((await t.api('GET', `/v1/keys?name=${encodeURIComponent(' svc-12 ')}`)).body)).toEqual(['svc-12']);
    expect((await t.api('GET', '/v1/keys?name=svc-12&counts=true')).body.counts).toEqual({ total: 1, active: 1, inactive: 0 });
    expect((await t.api('GET', '/v1/keys?name=svc-1')).body.keys, 'a part of svc-10 … svc-19 is no name').toEqual([]);
    expect((await t.api('GET', '/v1/keys?name=svc-12&status=inactive')).body.keys).toEqual([]);
  });

  it('sorts by uses in 24 hours from the count the usage flush keeps', async () => {
    const { body } = await t.api('GET', '/v1/keys?filter=svc-1&sort=name&limit=3');
    const [a, b] = body.keys as [KeyJson, KeyJson];
    t.daemon.core.usage.record(a.id, true, 'svc', Date.now());
    for (let i = 0; i < 3; i++) t.daemon.core.usage.record(b.id, i > 0, 'svc', Date.now());
    const busiest = (await t.api('GET', '/v1/keys?sort=uses24h&limit=2')).body.keys;
    expect(busiest.map((k: { name: string; uses24h: number }) => [k.name, k.uses24h])).toEqual([[b.name, 3], [a.name, 1]]);
  });

  it('answers 400 invalid_request, never 500, for a bad sort, limit, flag or cursor, and a cursor of another sort', async () => {
    const byName = (await t.api('GET', '/v1/keys?sort=name&limit=2')).body.nextCursor;
    const forged = Buffer.from(JSON.stringify({ s: 'newest', r: 0, p: ['x', 'y'] })).toString('base64url');
    for (const query of [
      'sort=size',
      'limit=0',
      'limit=1e3',
      'limit=0x10',
      'limit=%201',
      'limit=',
      'counts=yes',
      'reverse=1',
      'cursor=garbage',
      `cursor=${forged}`,
      `sort=newest&cursor=${byName}`,
      `sort=name&reverse=true&cursor=${byName}`,
      `sort=name&before=${byName}&cursor=${byName}`,
      `sort=name&end=true&before=${byName}`,
      `before=${'x'.repeat(500)}`,
      // A NUL ended the trigram index's query string early (a 500 on SQLite).
      'filter=ab%00',
      'filter=%00%00%00',
      'q=ab%00',
      'owner=team%1B%5B2J',
      'filter=abc%E2%80%AE',
      'name=svc%0001',
      `name=${'x'.repeat(201)}`,
    ]) {
      const res = await t.api('GET', `/v1/keys?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code, query).toBe('invalid_request');
    }
    const other = await t.api('GET', `/v1/keys?sort=newest&cursor=${byName}`);
    expect(other.body.error.issues).toEqual([{ path: 'cursor', message: 'belongs to another sort (name)' }]);
    const hex = await t.api('GET', '/v1/keys?limit=0x10');
    expect(hex.body.error.issues).toEqual([{ path: 'limit', message: 'must be a whole number written in decimal digits' }]);
    const nul = await t.api('GET', '/v1/keys?filter=ab%00');
    expect(nul.body.error.issues).toEqual([{ path: 'filter', message: 'must not contain control or invisible formatting characters' }]);
  });

  it("pages one owner's keys by owner and by name, and lists the keys without an owner for `owner=`", async () => {
    const byOwner: string[] = [];
    let page = (await t.api('GET', '/v1/keys?owner=team-odd&sort=owner&limit=4&counts=true')).body;
    expect(page.counts).toEqual({ total: 11, active: 10, inactive: 1 });
    byOwner.push(...names(page));
    while (page.nextCursor) {
      page = (await t.api('GET', `/v1/keys?owner=team-odd&sort=owner&limit=4&cursor=${page.nextCursor}`)).body;
      byOwner.push(...names(page));
    }
    const odd = NAMES.filter((_, i) => i % 2);
    expect(byOwner).toEqual(odd);
    page = (await t.api('GET', '/v1/keys?owner=team-odd&sort=owner&limit=4&end=true')).body;
    expect(names(page)).toEqual(odd.slice(-4));
    expect(names((await t.api('GET', `/v1/keys?owner=team-odd&sort=owner&limit=4&before=${page.prevCursor}`)).body)).toEqual(odd.slice(-8, -4));
    expect(names((await t.api('GET', '/v1/keys?owner=team-odd&sort=name&reverse=true&limit=3')).body)).toEqual(odd.slice(-3).reverse());

    const unowned = (await t.api('POST', '/v1/keys', { name: 'unowned' })).body.key as KeyJson;
    try {
      const none = await t.api('GET', '/v1/keys?owner=&counts=true');
      expect(names(none.body), 'no key has an empty owner: `owner=` is the keys without one').toEqual(['unowned']);
      expect(none.body.counts).toEqual({ total: 1, active: 1, inactive: 0 });
    } finally {
      await t.api('POST', `/v1/keys/${unowned.id}/deactivate`);
      expect((await t.api('DELETE', `/v1/keys/${unowned.id}`)).status).toBe(204);
    }
  });

  it.skipIf(testBackend !== 'sqlite')('counts every key from the index, and only a filtered count in the store', async () => {
    const store = t.daemon.core.store;
    const countKeys = store.countKeys;
    let asked = 0;
    store.countKeys = (query) => (asked++, countKeys.call(store, query));
    try {
      expect((await t.api('GET', '/v1/keys?counts=true&limit=1')).body.counts).toEqual({ total: 23, active: 22, inactive: 1 });
      expect(asked, 'an unfiltered count reads no row of the store').toBe(0);
      expect((await t.api('GET', '/v1/keys?status=inactive&counts=true&limit=1')).body.counts).toEqual({ total: 1, active: 0, inactive: 1 });
      expect(asked).toBe(1);
    } finally {
      store.countKeys = countKeys;
    }
  });
});
