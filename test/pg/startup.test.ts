/**
 * Starting daemons on PostgreSQL: an unreachable database is a one-line startup error that
 * does not show the password, daemons starting together on an empty database migrate it
 * once and create one `admin` between them, and a database a newer keyward migrated is refused.
 */
import { existsSync, rmSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { shippedMigrations } from '../../src/daemon/db/migration-history.js';
import { DEFAULT_PG_MIGRATIONS } from '../../src/daemon/db/pg/open.js';
import { startDaemon, StartupError } from '../../src/daemon/main.js';
import { homeFiles } from '../../src/home.js';
import { startTestDaemon, tempHome } from '../helpers/daemon.js';
import { createTestDatabase, pgTitle, TEST_DATABASE_URL } from './database.js';

describe('a daemon on an unreachable PostgreSQL', () => {
  it('refuses to start, naming the database without its password, and leaves the home free', async () => {
    const home = tempHome();
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const url = 'postgres://keyward:s3cret-pw@127.0.0.1:1/keyward';
    const lines: string[] = [];
    const start = startDaemon({ home, port: 0, database: url, log: (line) => lines.push(line) });
    await expect(start).rejects.toThrow(StartupError);
    const message = await start.catch((err: Error) => err.message);
    expect(message).toContain('postgres://keyward@127.0.0.1:1/keyward');
    expect(message).toContain('ECONNREFUSED');
    expect([message, ...lines].join('\n')).not.toContain('s3cret-pw');
    expect(existsSync(homeFiles(home).daemonJson)).toBe(false);
    // The home lock was released: the same home starts on SQLite right after.
    const d = await startDaemon({ home, port: 0, log: () => {} });
    await d.close();
  });
});

describe.skipIf(!TEST_DATABASE_URL)(pgTitle('daemons starting together on an empty PostgreSQL database'), () => {
  it('migrate it once and create one admin between them', async () => {
    const database = await createTestDatabase();
    // Settled, not all: a daemon that started beside one that failed is stopped too.
    const started = await Promise.allSettled([startTestDaemon({ database: database.url }), startTestDaemon({ database: database.url })]);
    const daemons = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    try {
      for (const s of started) if (s.status === 'rejected') throw s.reason;
      const withToken = daemons.filter((d) => existsSync(homeFiles(d.home).adminToken));
      expect(withToken, 'exactly one daemon wrote admin.token').toHaveLength(1);
      const admin = withToken[0]!;
      const operators = (await admin.client.operators()).operators;
      expect(operators.map((o) => o.name)).toEqual(['admin']);
      expect(await admin.daemon.core.verifyAudit()).toMatchObject({ ok: true, events: 1 });
      // The other daemon learns of admin from the change feed, like any change, within a second.
      for (const d of daemons) await expect.poll(async () => (await d.api('GET', '/v1/me', undefined, admin.adminToken)).status, { timeout: 1000 }).toBe(200);
    } finally {
      for (const d of daemons) await d.stop();
      await database.drop();
    }
  });
});

describe.skipIf(!TEST_DATABASE_URL)(pgTitle('a daemon on a database a newer keyward migrated'), () => {
  it('refuses to start (an older daemon of a shared store is never started on a newer schema)', async () => {
    const database = await createTestDatabase(undefined, { migrated: true });
    const home = tempHome();
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    try {
      const newest = shippedMigrations(DEFAULT_PG_MIGRATIONS).at(-1)!;
      await database.query('insert into drizzle.__drizzle_migrations (hash, created_at) values ($1, $2)', ['from a newer build', newest.when + 60_000]);
      const start = startDaemon({ home, port: 0, database: database.url, log: () => {} });
      await expect(start).rejects.toThrow(StartupError);
      await expect(start).rejects.toThrow(/the database was migrated by a newer keyward \(1 migration after this build's newest/);
      expect(existsSync(homeFiles(home).daemonJson)).toBe(false);
    } finally {
      // The copy goes back to this worker's spares, emptied of rows in public only.
      await database.query('delete from drizzle.__drizzle_migrations where hash = $1', ['from a newer build']);
      await database.drop();
    }
  });
});
