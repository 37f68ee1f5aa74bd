/**
 * Several daemons sharing one fresh PostgreSQL database, each on its own home, as the servers
 * of one service would run them.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import type { DaemonOptions } from '../../src/daemon/main.js';
import { homeFiles } from '../../src/home.js';
import { writePrivate } from '../../src/private-files.js';
import { startTestDaemon, tempHome, type TestDaemon } from '../helpers/daemon.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export type SharedDaemons = { db: TestDatabase; daemons: TestDaemon[]; stop(): Promise<void> };

export async function startSharedDaemons(count: number, options: Partial<DaemonOptions> = {}, serverUrl?: string): Promise<SharedDaemons> {
  const db = await createTestDatabase(serverUrl);
  const daemons: TestDaemon[] = [];
  const stop = async () => {
    for (const d of daemons) await d.stop();
    await db.drop();
  };
  try {
    const first = await startTestDaemon({ ...options, database: db.url });
    daemons.push(first);
    for (let i = 1; i < count; i++) {
      const home = tempHome();
      try {
        // As an admin would: the first daemon created `admin`; its token goes to the other servers.
        writePrivate(homeFiles(home).adminToken, first.adminToken + '\n');
        daemons.push(await startTestDaemon({ ...options, database: db.url, home }));
      } catch (err) {
        // A start that fails leaves a home it was given where it was: this one is ours to remove.
        rmSync(home, { recursive: true, force: true });
        throw err;
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { db, daemons, stop };
}

export type DaemonPair = { shared: SharedDaemons; a: TestDaemon; b: TestDaemon };

/**
 * Two shared daemons for the tests of the calling describe block, started before them and
 * stopped after; `serverUrl` (read when they start) picks another server than the test one.
 */
export function useDaemonPair(options: Partial<DaemonOptions> = {}, serverUrl?: () => string): DaemonPair {
  const pair = {} as DaemonPair;
  beforeAll(async () => {
    pair.shared = await startSharedDaemons(2, options, serverUrl?.());
    [pair.a, pair.b] = pair.shared.daemons as [TestDaemon, TestDaemon];
  }, 60_000);
  afterAll(async () => {
    await pair.shared?.stop();
  }, 60_000);
  return pair;
}

/** What `d` says of `secret`: `valid`, or the code it was refused with. */
export async function verdict(d: TestDaemon, secret: string): Promise<string> {
  const result = await d.client.verify(secret);
  return result.valid ? 'valid' : result.code;
}
