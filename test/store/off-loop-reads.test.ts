/**
 * Key lists matched by text are read off the event loop on SQLite (off-loop-reads.ts), not
 * on the daemon's connection, so its loop keeps turning (verifications, replicas' acks); what it reads is
 * what the daemon's own connection reads, writes just made included; a closed store fails the
 * reads still waiting instead of leaving them hanging.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../src/daemon/audit/trail.js';
import { openDatabase } from '../../src/daemon/db/sqlite/open.js';
import { OffLoopReads } from '../../src/daemon/db/sqlite/off-loop-reads.js';
import { SqliteStore } from '../../src/daemon/db/sqlite/store.js';
import type { Actor } from '../../src/daemon/store.js';
import { keyRow } from './contract.js';

const actor: Actor = { id: 'op_reads', name: 'admin' };
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
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
  cleanups.push(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, sqlite };
}

/**
 * The statements the daemon's own connection prepares from now on. drizzle prepares every
 * query it runs through the connection's `prepare` (better-sqlite3 caches nothing itself), so
 * a read that happens on the event loop shows here; one off it does not. Which thread reads
 * is a fact of the code, where timing the loop would depend on how fast the worker is.
 */
function preparedOn(sqlite: Database.Database): string[] {
  const seen: string[] = [];
  const prepare = sqlite.prepare.bind(sqlite);
  sqlite.prepare = ((source: string) => {
    seen.push(source);
    return prepare(source);
  }) as typeof sqlite.prepare;
  return seen;
}

describe('key lists matched by text, on SQLite', () => {
  // A one-letter filter is a scan of every row (no trigram to look up).
  const COUNT = 2_000;

  it('are read off the event loop, and count and list what the store holds', async () => {
    const { store, sqlite } = storeWith(COUNT);
    const scanned = (sqlite.prepare(`select count(*) as n from keys where name_folded like '%9%' or lower(owner) like '%9%' or lower(hint) like '%9%'`).get() as { n: number }).n;
    const prepared = preparedOn(sqlite);
    const since24h = Date.now() - 86_400_000;

    const counted = await store.countKeys({ filter: '9' });
    expect(counted.active + counted.inactive).toBe(scanned);
    const listed = await store.listKeys({ filter: 'team-3', sort: 'name', limit: 50, since24h });
    expect(listed).toHaveLength(50);
    expect(listed.every((k) => k.owner === 'team-3')).toBe(true);
    const named = await store.listKeys({ q: 'k-19', sort: 'name', limit: 5, since24h });
    expect(named.map((k) => k.name)).toEqual(['k-19', 'k-190', 'k-1900', 'k-1901', 'k-1902']);
    expect(prepared.filter((source) => /from "keys"/.test(source))).toEqual([]);

    // A page by an index range stays on the loop: about a millisecond, less than a trip to the worker.
    await store.listKeys({ sort: 'name', limit: 5, since24h });
    expect(prepared.filter((source) => /from "keys"/.test(source))).toHaveLength(1);
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
    cleanups.push(async () => {
      await reads.close();
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
    const closing = store.close();
    await expect(reading).rejects.toThrow(/closed/);
    await closing;
  });
});
