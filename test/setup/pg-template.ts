/**
 * vitest global setup: when a PostgreSQL server is given, migrates one template database once
 * per run. Tests that only need a migrated store (every daemon of the `daemon-postgres`
 * project, the store contract) clone it with `CREATE DATABASE … TEMPLATE`, which takes a
 * fraction of running every migration again for each test (test/pg/database.ts).
 */
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { openPgDatabase } from '../../src/daemon/db/pg/open.js';
import { databaseUrl, onServer, TEST_DATABASE_URL } from '../pg/database.js';

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
  await onServer(server, (c) => c.query(`create database ${name}`));
  const { pool } = await openPgDatabase(databaseUrl(server, name));
  await pool.end();
  project.provide('pgTemplate', name);
  return () => onServer(server, (c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined);
}
