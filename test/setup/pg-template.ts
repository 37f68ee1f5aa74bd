/**
 * vitest global setup: when a PostgreSQL server is given, migrates one template database once
 * per run. Tests that only need a migrated store (every daemon of the `daemon-postgres`
 * project, the store contract) clone it with `CREATE DATABASE … TEMPLATE`, which takes a
 * fraction of running every migration again for each test (test/pg/database.ts).
 */
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { openPgDatabase } from '../../src/daemon/db/pg/open.js';
import { CREATE_STRATEGY, databaseUrl, onServer, TEST_DATABASE_URL } from '../pg/database.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The migrated template database's name, or '' without a PostgreSQL server. */
    pgTemplate: string;
  }
}

export default async function migratedTemplate(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const server = TEST_DATABASE_URL;
  if (!server) {
    project.provide('pgTemplate', '');
    return undefined;
  }
  const name = `keyward_template_${randomBytes(6).toString('hex')}`;
  await onServer(server, (c) => c.query(`create database ${name} ${CREATE_STRATEGY}`));
  const { pool } = await openPgDatabase(databaseUrl(server, name));
  await pool.end();
  project.provide('pgTemplate', name);
  return async () => {
    // The copies the workers kept for reuse (test/pg/database.ts), then the template.
    await onServer(server, async (c) => {
      const { rows } = await c.query<{ datname: string }>('select datname from pg_database where starts_with(datname, $1)', [`${name}_`]);
      for (const { datname } of rows) await c.query(`drop database if exists ${datname} with (force)`);
      await c.query(`drop database if exists ${name} with (force)`);
    });
  };
}
