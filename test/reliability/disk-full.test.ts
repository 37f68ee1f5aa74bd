/**
 * A full disk, simulated portably with SQLite's `max_page_count`: the store is capped at its
 * current size, with a filler table taking part of it. Writes must fail with 507
 * `storage_full` and change nothing, reads and verifications must go on (also while usage
 * counts cannot be flushed), and once the filler is deleted — space is back — writes and the
 * delayed usage flush must succeed without a restart.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeFiles } from '../../src/home.js';
import { FLUSH_INTERVAL_MS } from '../../src/daemon/usage/tracker.js';
import { manualClock } from '../helpers/clock.js';
import { startTestApp, type TestApp } from '../helpers/daemon.js';
import { openStoreFile, type StoreFile } from './helpers/store-file.js';

const FILLER_ROWS = 64;

let t: TestApp;
/** The daemon that fills the home before `t` opens it, stopped last for a setup that failed before `t` took over. */
let first: TestApp | undefined;
/** The daemon's clock: the timed usage flush runs when the test says. */
const clock = manualClock(Date.now());
let file: StoreFile;
let active: { id: string; secret: string };
let inactive: { id: string; secret: string };
/** A rotation at double_check: its old key's rejections while full must still reach the guard. */
let rotation: { id: string; oldSecret: string };

/** Adds a table of 4 KiB blobs to a stopped store: the space that comes back later. */
function addFiller(home: string): void {
  const db = new Database(homeFiles(home).db);
  db.exec('create table filler (b blob)');
  const insert = db.prepare('insert into filler values (randomblob(4096))');
  for (let i = 0; i < FILLER_ROWS; i++) insert.run();
  db.close();
}

/** Frees the filler's pages from another connection, as another program freeing disk space would. */
function freeSpace(home: string): void {
  const db = new Database(homeFiles(home).db);
  db.pragma('busy_timeout = 5000');
  db.exec('delete from filler');
  db.close();
}

beforeAll(async () => {
  first = await startTestApp({ clock });
  const { home } = first;
  const a = await first.client.createKey('disk-active');
  const b = await first.client.createKey('disk-inactive');
  await first.client.deactivateKey(b.key.id);
  active = { id: a.key.id, secret: a.secret };
  inactive = { id: b.key.id, secret: b.secret };
  const old = await first.client.createKey('disk-rotated');
  const started = await first.client.startRotation(old.key.id);
  await first.client.advance(started.rotation.id, { from: 'update_systems' });
  await first.client.advance(started.rotation.id, { from: 'verify_new', force: true });
  await first.client.advance(started.rotation.id, { from: 'deactivate_old' });
  rotation = { id: started.rotation.id, oldSecret: old.secret };
  await first.daemon.close();
  addFiller(home);
  // A cap below the current size is raised to it: the store cannot grow by a single page.
  t = await startTestApp({ home, maxPageCount: 1, clock });
  file = openStoreFile(home);
});

afterAll(async () => {
  file?.close();
  await t?.stop();
  // Closed and its home removed by now, unless the setup failed before `t` started.
  await first?.stop();
});

describe('disk full', () => {
  const fillers: string[] = [];
  let activeOk = 0;

  it('refuses writes with 507 storage_full once the store is full, changing nothing', async () => {
    let refusal: Awaited<ReturnType<TestApp['api']>> | undefined;
    while (!refusal && fillers.length < 1000) {
      const before = file.snapshot();
      const res = await t.api('POST', '/v1/keys', { name: `filler-${fillers.length}` });
      if (res.status === 201) fillers.push(res.body.secret);
      else {
        refusal = res;
        expect(file.snapshot(), 'the refused create changed the store').toBe(before);
      }
    }
    expect(refusal?.status, `after ${fillers.length} creates: ${JSON.stringify(refusal?.body)}`).toBe(507);
    expect(refusal!.body.error.code).toBe('storage_full');
    expect(refusal!.body.error.message).toMatch(/out of space.*nothing was changed/i);
    const before = file.snapshot();
    const writes = await Promise.all([
      t.api('POST', '/v1/keys', { name: 'one-more' }),
      t.api('POST', '/v1/operators', { name: 'one-more-operator', role: 'viewer' }),
      t.api('POST', `/v1/keys/${active.id}/rotations`, {}),
      // Stored by the write worker, on a connection of its own held to the same limit.
      t.api('POST', '/v1/keys/import', { keys: Array.from({ length: 200 }, (_, i) => ({ name: `imported-${i}`, sha256: createHash('sha256').update(`imported-${i}`).digest('hex') })) }),
    ]);
    for (const res of writes) {
      expect(res.status, JSON.stringify(res.body)).toBe(507);
      expect(res.body.error.code).toBe('storage_full');
    }
    expect(file.snapshot(), 'refused writes changed the store').toBe(before);
    expect(await t.client.verify(active.secret), 'the index is as before the refusals').toMatchObject({ valid: true });
    activeOk++;
  });

  let inactiveRejected = 0;

  it('keeps serving reads and verifications while full, also with usage it cannot flush', async () => {
    // Usage of every filler key, each with its own caller row, until a flush finds no room.
    const caller = 'c'.repeat(120);
    const flushFails = () => t.daemon.core.usage.flush().then(
      () => false,
      () => true,
    );
    for (let round = 0; ; round++) {
      // How many rounds fill it depends on the pages the schema leaves free (a few dozen at most).
      expect(round, 'rounds of usage before a flush fails for lack of space').toBeLessThan(100);
      for (const secret of fillers) expect(await t.client.verify(secret, `${caller}-${round}`)).toMatchObject({ valid: true });
      expect(await t.client.verify(active.secret, 'while-full')).toMatchObject({ valid: true, keyId: active.id });
      expect(await t.client.verify(inactive.secret, 'while-full')).toEqual({ valid: false, code: 'inactive' });
      expect(await t.client.verify(rotation.oldSecret, 'still-on-the-old-key')).toEqual({ valid: false, code: 'inactive' });
      activeOk++;
      inactiveRejected++;
      if (await flushFails()) break;
    }
    clock.add(FLUSH_INTERVAL_MS);
    await clock.runDue();
    expect(t.logs.filter((l) => /usage flush failed/.test(l)), 'the timed flush fails and says so').toHaveLength(1);
    // Every read below runs while verifications wait in memory for a flush that cannot happen.
    const reads = [
      '/v1/keys',
      `/v1/keys/${active.id}`,
      `/v1/keys/${active.id}/usage?minutes=5`,
      '/v1/rotations?state=all',
      '/v1/audit?limit=5',
      '/v1/operators',
      '/v1/me',
      '/v1/health',
    ];
    for (const path of reads) {
      const res = await t.api('GET', path);
      expect(res.status, `GET ${path} while full: ${JSON.stringify(res.body)}`).toBe(200);
    }
    expect((await t.client.allKeys()).length).toBe(4 + fillers.length);
    const advanced = await t.api('POST', `/v1/rotations/${rotation.id}/advance`, { from: 'double_check' });
    expect(advanced.status, 'no guard decision on usage that could not be written').toBe(507);
    expect(t.logs.filter((l) => /internal error/.test(l))).toEqual([]);
  });

  it('keeps the reserve file when the store\'s cap, not the disk, has no room for a deactivation', async () => {
    // Deactivations (each an audit event more) until one finds the store full.
    const ids = (await t.client.allKeys()).filter((k) => k.name.startsWith('filler-')).map((k) => k.id);
    let refused: Awaited<ReturnType<TestApp['api']>> | undefined;
    for (const id of ids) {
      const res = await t.api('POST', `/v1/keys/${id}/deactivate`);
      if (res.status !== 200) {
        refused = res;
        break;
      }
    }
    expect(refused?.status, JSON.stringify(refused?.body)).toBe(507);
    expect(t.logs.filter((l) => /reserve file/.test(l)), 'the disk has room: its reserve is not spent').toEqual([]);
    expect(existsSync(homeFiles(t.home).reserve)).toBe(true);
  });

  it('writes again once space is back, and flushes the usage counted while full', async () => {
    freeSpace(t.home);
    const created = await t.api('POST', '/v1/keys', { name: 'after-space-is-back' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(await t.client.verify(created.body.secret)).toMatchObject({ valid: true });
    const usage = await t.client.usage(active.id, 5);
    expect(usage.buckets.reduce((sum, b) => sum + b.ok, 0), 'verifications counted while the disk was full').toBe(activeOk);
    const inactiveUsage = await t.client.usage(inactive.id, 5);
    expect(inactiveUsage.buckets.reduce((sum, b) => sum + b.rejected, 0)).toBe(inactiveRejected);
    const guarded = await t.api('POST', `/v1/rotations/${rotation.id}/advance`, { from: 'double_check' });
    expect(guarded.status, 'the old key was presented while the disk was full').toBe(409);
    expect(guarded.body.error.code).toBe('rotation_guard');
    expect(guarded.body.error.message).toMatch(`presented ${inactiveRejected} time`);
    expect(await file.problems()).toEqual([]);
    console.log(`disk full: ${fillers.length} creates filled the store; reads and verifications served while full, usage flushed once space was back`);
  });
});
