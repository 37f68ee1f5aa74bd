/** The store contract on PostgreSQL: a fresh database per test, migrated as the daemon does. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { AuditTrail } from '../../src/daemon/audit/trail.js';
import { openPgStore } from '../../src/daemon/db/pg/store.js';
import { createTestDatabase, pgTitle, TEST_DATABASE_URL } from '../pg/database.js';
import { runStoreContract } from './contract.js';

describe.skipIf(!TEST_DATABASE_URL)(pgTitle('PostgreSQL store'), () => {
  runStoreContract('PostgreSQL', async () => {
    const database = await createTestDatabase(undefined, { migrated: true });
    const dir = mkdtempSync(join(tmpdir(), 'keyward-store-'));
    const audit = AuditTrail.open({ auditKey: join(dir, 'audit.key'), auditCheckpoint: join(dir, 'audit.checkpoint') }, () => {});
    const store = await openPgStore(database.url, { audit }).catch(async (error: unknown) => {
      // A store that fails to open leaves neither its database nor its directory behind.
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
      throw error;
    });
    return {
      store,
      audit,
      async cleanup() {
        await audit.settled();
        await store.close();
        await database.drop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});
