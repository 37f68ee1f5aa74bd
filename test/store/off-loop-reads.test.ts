/**
 * Key lists matched by text are read off the event loop on SQLite (off-loop-reads.ts): while
 * one reads, the daemon's loop keeps turning (verifications, replicas' acks); what it reads is
 * what the daemon's own connection reads, writes just made included; a closed store fails the
 * reads still waiting instead of leaving them hanging.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../src/daemon/audit/trail.js';
import { openDatabase } from '../../src/daemon/db/sqlite/open.js';
import { OffLoopReads } from '../../src/daemon/db/sqlite/off-loop-reads.js';
import { SqliteStore } from '../../src/daemon/db/sqlite/store.js';
import type { Actor } from '../../src/daemon/store.js';
import { keyRow } from './contract.js';

const actor: Actor = { id: 'op_reads', name: 'admin' };
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A store in a temp file holding `count` keys `k-<i>` (owners `team-<i % 7>`), written in one transaction. */
function storeWith(count: number) {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-reads-'));
  const { sqlite, db } = openDatabase(join(dir, 'keyward.db'));
  const audit = AuditTrail.open({ auditKey: join(dir, 'audit.key'), auditCheckpoint: join(dir, 'audit.checkpoint') }, () => {});
  const store = new SqliteStore(sqlite, db, audit);
  const insert = sqlite.prepare('insert into keys (id, name, name_folded, name_skeleton, hash, hint, status, created_at, created_by, owner) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  sqlite.transaction(() => {
    for (let i = 0; i < count; i++) {
      const name = `k-${i}`;
      insert.run(`key_seed${i}`, name, name, name, i.toString(16).padStart(64, '0'), 'kw_seed…0000', i % 10 === 0 ? 'inactive' : 'active', Date.now(), 'admin', `team-${i % 7}`);
    }
  })();
  cleanups.push(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, sqlite };
}

/** Turns of the event loop while `read` runs: none when it holds the loop. */
async function turnsDuring<T>(read: () => Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let done = false;
  const spin = () => {
    if (done) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  const pending = read();
  const value = await pending;
  done = true;
  return { value, turns };
}

describe('key lists matched by text, on SQLite', () => {
  // A one-letter filter is a scan of every row (no trigram to look up).
  const COUNT = 2_000;

  it('leave the event loop free while they read, and count what the store holds', async () => {
    const { store, sqlite } = storeWith(COUNT);
    const scanned = (sqlite.prepare(`select count(*) as n from keys where name_folded like '%9%' or lower(owner) like '%9%' or lower(hint) like '%9%'`).get() as { n: number }).n;
    const counted = await turnsDuring(() => store.countKeys({ filter: '9' }));
    expect(counted.value.active + counted.value.inactive).toBe(scanned);
    expect(counted.turns).toBeGreaterThan(5);

    const listed = await turnsDuring(() => store.listKeys({ filter: 'team-3', sort: 'name', limit: 50, since24h: Date.now() - 86_400_000 }));
    expect(listed.value).toHaveLength(50);
    expect(listed.value.every((k) => k.owner === 'team-3')).toBe(true);
    expect(listed.turns).toBeGreaterThan(5);
  });

  it('see a write the moment it has returned, and page on from where they were', async () => {
    const { store } = storeWith(200);
    const since24h = Date.now() - 86_400_000;
    await store.createKey(keyRow('zebra-unique'), actor);
    expect((await store.listKeys({ filter: 'zebra', limit: 10, since24h })).map((k) => k.name)).toEqual(['zebra-unique']);
    expect(await store.countKeys({ filter: 'zebra' })).toEqual({ active: 1, inactive: 0 });

    const first = await store.listKeys({ filter: 'k-1', sort: 'name', limit: 5, since24h });
    const last = first.at(-1)!;
    const next = await store.listKeys({ filter: 'k-1', sort: 'name', limit: 5, since24h, after: [last.name.toLowerCase()] });
    expect(first.map((k) => k.name)).toEqual(['k-1', 'k-10', 'k-100', 'k-101', 'k-102']);
    expect(next.map((k) => k.name)).toEqual(['k-103', 'k-104', 'k-105', 'k-106', 'k-107']);
    expect(first[0]).toMatchObject({ canary: false, status: 'active', owner: 'team-1', uses24h: 0 });
  });

  it('are read on the store\'s own connection when the worker cannot run, then and after', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-reads-'));
    const lost: string[] = [];
    const reads = new OffLoopReads(join(dir, 'not-there.db'), (reason) => lost.push(reason));
    cleanups.push(() => {
      reads.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const query = { toSQL: () => ({ sql: 'select 1', params: [] }) };
    let here = 0;
    const readHere = () => [[[`here ${++here}`]]];
    expect(await reads.read([query], readHere)).toEqual([[['here 1']]]);
    expect(await reads.read([query], readHere)).toEqual([[['here 2']]]);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatch(/CANTOPEN|unable to open/i);
  });

  it('fail when the store closes under them, rather than wait for ever', async () => {
    const { store } = storeWith(200);
    const reading = store.countKeys({ filter: '9' });
    store.close();
    await expect(reading).rejects.toThrow(/closed/);
  });
});
