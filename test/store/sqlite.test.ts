/** The store contract on SQLite: a real file in a temp dir, migrated as the daemon does. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditTrail } from '../../src/daemon/audit/trail.js';
import { openDatabase } from '../../src/daemon/db/sqlite/open.js';
import { SqliteStore } from '../../src/daemon/db/sqlite/store.js';
import { runStoreContract } from './contract.js';

runStoreContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-store-'));
  const { sqlite, db } = openDatabase(join(dir, 'keyward.db'));
  const audit = AuditTrail.open({ auditKey: join(dir, 'audit.key'), auditCheckpoint: join(dir, 'audit.checkpoint') }, () => {});
  const store = new SqliteStore(sqlite, db, audit);
  return {
    store,
    audit,
    async cleanup() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
