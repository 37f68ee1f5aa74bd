/** The store contract on SQLite: a real file in a temp dir, migrated as the daemon does. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditTrail } from '../../src/daemon/audit/trail.js';
import { openDatabase } from '../../src/daemon/db/sqlite/open.js';
import { SqliteStore } from '../../src/daemon/db/sqlite/store.js';
import { keys } from '../../src/daemon/db/sqlite/schema.js';
import { expiringWhere } from '../../src/daemon/db/key-columns.js';
import { keyListWhere, keyPaging } from '../../src/daemon/db/key-list.js';
import { and } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { countTurns } from '../helpers/loop-turns.js';
import { nameColumns } from '../../src/daemon/names.js';
import { allIndexed, keyRow, runStoreContract } from './contract.js';

/** What `open` returns; `dir` removed if it throws, so a store that fails to open leaves nothing behind. */
function removingOnThrow<T>(dir: string, open: () => T): T {
  try {
    return open();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function openStore() {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-store-'));
  const { sqlite, db, audit, store } = removingOnThrow(dir, () => {
    const { sqlite, db } = openDatabase(join(dir, 'keyward.db'));
    const audit = AuditTrail.open({ auditKey: join(dir, 'audit.key'), auditCheckpoint: join(dir, 'audit.checkpoint') }, () => {});
    return { sqlite, db, audit, store: new SqliteStore(sqlite, db, audit) };
  });
  return {
    dir,
    sqlite,
    db,
    store,
    audit,
    async cleanup() {
      // The checkpoint is written off the loop: a write still on its way would land in a removed dir.
      await audit.settled();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

runStoreContract('SQLite', openStore);

describe('SQLite audit chain', () => {
  it('reads the chain in pages with the event loop turning between them', async () => {
    const { sqlite, store, cleanup } = await openStore();
    try {
      const insert = sqlite.prepare("insert into audit_events (id, at, operator_id, operator_name, action, target_type, target_id, target_name, prev_hash, hash) values (?, 0, 'op', 'op', 'key.create', 'key', 'k', 'k', 'p', 'h')");
      sqlite.transaction(() => Array.from({ length: 3_500 }, (_, i) => insert.run(`evt_${i}`)))();
      const { result: events, turns } = await countTurns(async () => {
        let n = 0;
        for await (const event of store.auditChain()) n += event.seq > 0 ? 1 : 0;
        return n;
      });
      expect(events).toBe(3_500);
      expect(turns).toBeGreaterThanOrEqual(3);
    } finally {
      await cleanup();
    }
  });
});

describe('SQLite import and close', () => {
  it('copies the log into the database on close, right after an import', async () => {
    const { dir, store, audit } = await openStore();
    try {
      const rows = Array.from({ length: 3_000 }, (_, i) => ({ ...keyRow(`imported-${i}`), ...nameColumns(`imported-${i}`) }));
      await store.importKeys(rows, { id: 'op_import', name: 'import' }, Date.now());
      await audit.settled();
      expect(statSync(join(dir, 'keyward.db-wal')).size, 'the batch went through the log').toBeGreaterThan(0);
      // At once: the write worker may still be copying the log (it does so after answering).
      await store.close();
      const wal = join(dir, 'keyward.db-wal');
      expect(statSync(wal, { throwIfNoEntry: false })?.size ?? 0, 'nothing left in the log for the next start').toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite index load', () => {
  it('reads every key once, in pages, however many pages it takes', async () => {
    const { sqlite, store, cleanup } = await openStore();
    try {
      const rows = Array.from({ length: 2_500 }, (_, i) => keyRow(`k-${i}`));
      // One transaction: 2,500 audited creates would take a fsync each.
      const insert = sqlite.prepare('insert into keys (id, name, name_folded, hash, hint, status, created_at, created_by) values (?, ?, ?, ?, ?, ?, ?, ?)');
      sqlite.transaction(() => rows.forEach((r) => insert.run(r.id, r.name, r.name.toLowerCase(), r.hash, r.hint, r.status, r.createdAt, r.createdBy)))();
      sqlite.prepare('delete from keys where name = ?').run('k-1000');
      const pages: number[] = [];
      for await (const page of store.indexedKeys()) pages.push(page.length);
      expect(pages.length).toBeGreaterThan(2);
      expect(pages.reduce((a, b) => a + b, 0)).toBe(2_499);
      const ids = (await allIndexed(store)).map((k) => k.id);
      expect(new Set(ids).size).toBe(2_499);
      expect(ids).not.toContain(rows[1000]!.id);
      expect(await store.keyTotal()).toBe(2_499);
    } finally {
      await cleanup();
    }
  });
});

describe('SQLite query plans', () => {
  it('finds the keys about to expire through their own index, not by reading every key', async () => {
    // Without stats SQLite took `keys_sort_status` for `status = 'active'`, which every key
    // matches: each expiry check read the whole table (and left 15 MB of it in the page cache at 100,000 keys).
    const { sqlite, db, cleanup } = await openStore();
    try {
      const query = db.select({ id: keys.id }).from(keys).where(expiringWhere(keys, 0, Date.now())).toSQL();
      const plan = sqlite.prepare(`explain query plan ${query.sql}`).all(...query.params) as { detail: string }[];
      expect(plan.map((step) => step.detail)).toEqual([expect.stringMatching(/^SEARCH keys USING INDEX keys_expiring \(status=\? AND expires_at>\? AND expires_at<\?\)$/)]);
    } finally {
      await cleanup();
    }
  });

  it("lists one owner's keys by name, or by owner, as a range of the owner sort's index: no sort of all that owner's keys a page", async () => {
    // With an index on the owner alone, SQLite read every key of the owner and sorted them
    // for each page: at a million keys of one owner, a second a page of `keys list --owner`.
    const { sqlite, db, cleanup } = await openStore();
    try {
      const pages = [
        { sort: 'name', after: undefined },
        { sort: 'name', after: ['seed-5'] },
        { sort: 'owner', after: undefined },
        // The page's first step, the rest of the owner's tie; the second (owners after this one) finds none with the owner filter.
        { sort: 'owner', after: ['team-a', 'seed-5'] },
      ] as const;
      for (const page of pages) {
        const query = { owner: 'team-a', sort: page.sort, after: page.after && [...page.after], limit: 50, since24h: 0 };
        const step = keyPaging(keys, query).steps[0]!;
        const built = db.select({ id: keys.id }).from(keys).where(and(keyListWhere(keys, query, undefined), step.where)).orderBy(...step.orderBy).limit(50).toSQL();
        const plan = (sqlite.prepare(`explain query plan ${built.sql}`).all(...built.params) as { detail: string }[]).map((row) => row.detail);
        expect(plan, built.sql).toEqual([expect.stringMatching(/^SEARCH keys USING INDEX keys_sort_owner \(<expr>=\?/)]);
      }
    } finally {
      await cleanup();
    }
  });
});
