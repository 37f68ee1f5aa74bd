/** The store contract on PostgreSQL: a fresh database per test, migrated as the daemon does. */
import { describe } from 'vitest';
import { openPgStore } from '../../src/daemon/db/pg/store.js';
import { createTestDatabase, pgTitle, TEST_DATABASE_URL } from '../pg/database.js';
import { runStoreContract } from './contract.js';

describe.skipIf(!TEST_DATABASE_URL)(pgTitle('PostgreSQL store'), () => {
  runStoreContract('PostgreSQL', async () => {
    const database = await createTestDatabase();
    const store = await openPgStore(database.url);
    return {
      store,
      async cleanup() {
        await store.close();
        await database.drop();
      },
    };
  });
});
