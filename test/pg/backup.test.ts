/**
 * A backup of the PostgreSQL store is a keyward SQLite store file: a daemon started on a home
 * holding it as `keyward.db` has the same keys, operators, audit chain and usage.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeFiles, writePrivate } from '../../src/home.js';
import { startTestDaemon, tempHome, type TestDaemon } from '../helpers/daemon.js';
import { createTestDatabase, pgTitle, TEST_DATABASE_URL, type TestDatabase } from './database.js';

describe.skipIf(!TEST_DATABASE_URL)(pgTitle('backup of the PostgreSQL store'), () => {
  let database: TestDatabase;
  let t: TestDaemon;
  let dir: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    t = await startTestDaemon({ database: database.url });
    dir = mkdtempSync(join(tmpdir(), 'keyward-pg-backup-'));
  });
  afterAll(async () => {
    await t?.stop();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes an owner-only SQLite store that a daemon opens with everything in it', async () => {
    const kept = await t.client.createKey('kept');
    const off = await t.client.createKey('off');
    await t.client.deactivateKey(off.key.id);
    const gone = await t.client.createKey('gone');
    await t.client.deactivateKey(gone.key.id);
    await t.client.deleteKey(gone.key.id);
    const canary = await t.client.createKey('trap', { canary: true });
    await t.client.createOperator('reader', 'viewer');
    await t.client.verify(kept.secret, 'web');
    await t.daemon.core.usage.flush();
    expect((await t.client.getKey(kept.key.id)).key.uses24h).toBe(1);
    const file = join(dir, 'copy.db');
    await t.daemon.core.store.backup(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const home = tempHome();
    copyFileSync(file, homeFiles(home).db);
    writePrivate(homeFiles(home).adminToken, t.adminToken + '\n');
    // The audit key stays with the home, apart from the store's backups; a restore brings both.
    writePrivate(homeFiles(home).auditKey, readFileSync(homeFiles(t.home).auditKey, 'utf8'));
    const restored = await startTestDaemon({ home });
    try {
      expect(restored.daemon.core.store.shared, 'the restored daemon runs on SQLite').toBeUndefined();
      expect((await restored.client.getKey(kept.key.id)).key.uses24h, 'usage came along').toBe(1);
      expect((await restored.client.verify(kept.secret)).valid).toBe(true);
      expect(await restored.client.verify(off.secret)).toMatchObject({ valid: false, code: 'inactive' });
      expect((await restored.client.tombstones()).tombstones.map((k) => k.name), 'tombstones came along').toEqual(['gone']);
      expect((await restored.client.getKey(canary.key.id)).key.canary, 'the canary mark came along').toBe(true);
      expect((await restored.client.operators()).operators.map((o) => o.name).sort()).toEqual(['admin', 'reader']);
      const original = (await t.client.audit()).events;
      expect((await restored.client.audit()).events).toEqual(original);
      expect(await restored.daemon.core.verifyAudit()).toMatchObject({ ok: true, events: original.length });
    } finally {
      await restored.stop();
    }
  });
});
