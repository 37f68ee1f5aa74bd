/**
 * A daemon on SQLite answers as soon as it starts and loads its key index in the background
 * (src/daemon/verify/warm-index.ts). Meanwhile every answer must be what the loaded index
 * would give: keys not placed yet are read from the store, writes to them are in force at
 * once, and a delete of a key not placed yet still leaves its tombstone in the index.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hashSecret } from '../../src/daemon/secrets/format.js';
import { KeyIndex } from '../../src/daemon/verify/key-index.js';
import { WarmingKeyIndex } from '../../src/daemon/verify/warm-index.js';
import { startTestApp, storeQuery, testBackend, type TestApp } from '../helpers/daemon.js';
import { parsePrometheusText, sampleValue } from '../helpers/prom-text.js';
import { handReplica } from '../helpers/replica-stream.js';

/** Enough keys that loading them takes many turns of the event loop. */
const BULK = 20_000;
const BATCH = 5_000;

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => {
  await t.stop();
});

async function loadingGauge(): Promise<number | undefined> {
  const res = await t.fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${t.adminToken}` } });
  return sampleValue(parsePrometheusText(await res.text()), 'keyward_key_index_loading');
}

async function verify(key: string) {
  return (await t.api('POST', '/v1/verify', { key })).body;
}

function warmingIndex(): WarmingKeyIndex {
  const index = t.daemon.core.index;
  if (!(index instanceof WarmingKeyIndex)) throw new Error('the daemon on SQLite should load its index in the background');
  return index;
}

/**
 * Holds the next background load once it has placed `placed` keys, until the returned function
 * releases it, so checks meant to run while keys are still loading do so on a box of any speed
 * (left to the clock, a fast load once finished before them). The load is the real one, its
 * pages read and placed as always; it only takes a turn of the event loop after every page, and
 * while held it reads nothing and turns the loop. Closing the daemon stops it as any load.
 */
function holdLoad(placed: number): () => void {
  let held = true;
  const load = KeyIndex.prototype.loadGradually;
  const spy = vi.spyOn(WarmingKeyIndex.prototype, 'loadGradually').mockImplementation(function (this: WarmingKeyIndex, pages, expected, _sliceMs, signal) {
    spy.mockRestore();
    function* paced() {
      let read = 0;
      for (const page of pages) {
        yield page;
        read += page.length;
        while (held && read >= placed) yield [];
      }
    }
    return load.call(this, paced(), expected, 0, signal);
  });
  return () => {
    held = false;
  };
}

type Imported = { keys: { id: string }[] };

const lateSecret = (i: number) => `late-secret-${i}-0123456789abcdef`;

/** Imports `BULK` keys by hash, then `late` by secret (the last rows, the last the load reaches); returns the first key's id and the late ones'. */
async function fill(late: string[]): Promise<[string, string[]]> {
  let firstId = '';
  for (let first = 0; first < BULK; first += BATCH) {
    const keys = Array.from({ length: BATCH }, (_, i) => ({ name: `bulk-${first + i}`, sha256: hashSecret(`bulk-secret-${first + i}`) }));
    const res = await t.api('POST', '/v1/keys/import', { keys });
    expect(res.status).toBe(201);
    firstId ||= (res.body as unknown as Imported).keys[0]!.id;
  }
  if (late.length === 0) return [firstId, []];
  const res = await t.api('POST', '/v1/keys/import', { keys: late.map((name, i) => ({ name, secret: lateSecret(i) })) });
  expect(res.status).toBe(201);
  return [firstId, (res.body as unknown as Imported).keys.map((k) => k.id)];
}

describe.skipIf(testBackend === 'postgres')('the key index loading in the background', () => {
  it('answers exactly for keys not loaded yet, and keeps every write made meanwhile', async () => {
    const [bulkId, [liveId, offId, goneId]] = await fill(['late-live', 'late-off', 'late-gone']);
    const [live, off, gone] = [lateSecret(0), lateSecret(1), lateSecret(2)];
    expect((await t.api('POST', `/v1/keys/${goneId}/deactivate`)).status).toBe(200);
    const service = (await t.client.createOperator('orders-api', 'service')).token;
    const release = holdLoad(2_000);
    await t.restart();

    const index = warmingIndex();
    expect(index.complete, 'the restart returned before the index held every key').toBe(false);
    expect(index.size).toBeLessThan(BULK);
    expect((await t.api('GET', '/v1/health')).status).toBe(200);
    expect(await loadingGauge()).toBe(1);
    // Until the index holds every key the store counts them; a store that cannot leaves the scrape whole.
    const store = t.daemon.core.store;
    const countKeys = store.countKeys;
    store.countKeys = () => Promise.reject(Object.assign(new Error('busy (injected)'), { code: 'SQLITE_BUSY' }));
    expect(await loadingGauge()).toBe(1);
    store.countKeys = countKeys;
    // A replica connecting now gets its snapshot once every key is loaded, with what changed meanwhile after it.
    const replica = await handReplica(t, service);

    // Keys the load has not reached: answered from the store, writes in force at once.
    expect(await verify(live)).toMatchObject({ valid: true, keyId: liveId, name: 'late-live' });
    expect(await verify(off)).toMatchObject({ valid: true });
    expect((await t.api('POST', `/v1/keys/${offId}/deactivate`)).status).toBe(200);
    expect(await verify(off)).toMatchObject({ valid: false, code: 'inactive' });
    expect((await t.api('DELETE', `/v1/keys/${goneId}`)).status).toBe(204);
    expect(await verify(gone)).toMatchObject({ valid: false, code: 'not_found' });
    const made = await t.api('POST', '/v1/keys', { name: 'made-while-loading' });
    expect(made.status).toBe(201);
    expect(await verify(made.body.secret)).toMatchObject({ valid: true, name: 'made-while-loading' });
    // A key the load has placed (the first row): written to in the index itself.
    await vi.waitFor(() => expect(index.size).toBeGreaterThan(1_000));
    expect((await t.api('POST', `/v1/keys/${bulkId}/deactivate`)).status).toBe(200);
    expect(await verify('bulk-secret-0')).toMatchObject({ valid: false, code: 'inactive' });
    expect(index.complete, 'the checks above ran while the index was still loading').toBe(false);

    release();
    await t.daemon.core.indexReady;
    expect(index.complete).toBe(true);
    expect(await loadingGauge()).toBe(0);
    expect((await replica.hello()).keys, 'the snapshot holds every key, the one made meanwhile too').toBe(BULK + 3 + 1);
    await replica.next('ready');
    replica.close();
    expect(index.size, 'every key imported (the deleted one as its tombstone) and the new one').toBe(BULK + 3 + 1);
    expect(t.logs, 'the log counts keys, and the tombstone apart').toContainEqual(expect.stringMatching(/^key index loaded: 20,003 keys and 1 deleted key's tombstone in \d+ ms$/));
    expect(index.lookup(hashSecret(live))).toMatchObject({ id: liveId, status: 'active' });
    expect(index.lookup(hashSecret(off))).toMatchObject({ id: offId, status: 'inactive' });
    expect(index.lookup(hashSecret(gone)), 'the deleted key is a tombstone in the index').toMatchObject({ id: goneId, deletedAt: expect.any(Number) });
    expect(await verify(off)).toMatchObject({ valid: false, code: 'inactive' });
    expect(await verify(gone)).toMatchObject({ valid: false, code: 'not_found' });
    expect(await verify(made.body.secret)).toMatchObject({ valid: true });
    expect(await verify('bulk-secret-0')).toMatchObject({ valid: false, code: 'inactive' });
    expect(await verify('bulk-secret-7')).toMatchObject({ valid: true, name: 'bulk-7' });
  });

  it('stops loading when the daemon closes meanwhile, quietly', async () => {
    await fill([]);
    holdLoad(1);
    await t.restart();
    expect(warmingIndex().complete).toBe(false);
    const closed = t.daemon.core;
    await t.daemon.close();
    await expect(closed.indexReady, 'the load stops, it does not fail on the closed store').resolves.toBeUndefined();
    expect(t.logs.join('\n')).not.toMatch(/loading the key index failed/);
    await t.restart();
    await t.daemon.core.indexReady;
    expect(warmingIndex().size).toBe(BULK);
  });

  it('keeps answering from the store when the load fails, and gives replicas no partial copy', async () => {
    const [, [liveId]] = await fill(['late-live']);
    const service = (await t.client.createOperator('orders-api', 'service')).token;
    // A row the index refuses (its hash is not lowercase hex), in the middle of the load.
    await storeQuery(t, 'update keys set hash = upper(hash) where name = ?', [`bulk-${BULK / 2}`]);
    await t.restart();
    await expect(t.daemon.core.indexReady).rejects.toThrow(/hash/);
    expect(t.logs.join('\n')).toMatch(/loading the key index failed; verify reads the store instead/);
    const index = warmingIndex();
    expect(index.complete, 'the store still answers for the keys not placed').toBe(false);
    expect(await verify(lateSecret(0))).toMatchObject({ valid: true, keyId: liveId });
    expect((await t.api('POST', `/v1/keys/${liveId}/deactivate`)).status).toBe(200);
    expect(await verify(lateSecret(0))).toMatchObject({ valid: false, code: 'inactive' });
    expect(await verify('bulk-secret-1')).toMatchObject({ valid: true, name: 'bulk-1' });
    const replica = await handReplica(t, service);
    await replica.ended;
    expect(replica.events.map((e) => e.event), 'no hello, no snapshot').toEqual([]);
  });
});
