/**
 * Test databases on the PostgreSQL server named by `KEYWARD_TEST_DATABASE_URL` (.ci/run starts
 * one with test/pg/cluster.sh): each test daemon, or each group of daemons sharing a store,
 * gets a fresh database, dropped when it stops.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/** The server the PostgreSQL tests run on; unset, they are skipped. */
export const TEST_DATABASE_URL = process.env.KEYWARD_TEST_DATABASE_URL;

/** A describe title that says why it is skipped, when it is; the reason is printed too. */
export function pgTitle(title: string): string {
  if (TEST_DATABASE_URL) return title;
  const reason = 'skipped: KEYWARD_TEST_DATABASE_URL is unset (.ci/run starts a PostgreSQL server and sets it)';
  console.warn(`${title}: ${reason}`);
  return `${title} (${reason})`;
}

export type TestDatabase = {
  url: string;
  /** Runs SQL on this database directly, around the daemons (e.g. a change they are not told of). */
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
};

export async function onServer<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** The URL of database `name` on the server of `serverUrl`. */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** PostgreSQL refuses to copy a template another session is copying or connected to, for a moment. */
const TEMPLATE_BUSY = '55006';

/**
 * A new database on the server of `serverUrl` (default: the test server): empty, or with
 * `migrated`, a copy of the run's migrated template (test/setup/pg-template.ts) — the same
 * state a daemon's first start leaves, without paying for the migrations each time.
 */
export async function createTestDatabase(serverUrl = TEST_DATABASE_URL, options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  if (!serverUrl) throw new Error('KEYWARD_TEST_DATABASE_URL is unset');
  const name = `keyward_test_${randomBytes(6).toString('hex')}`;
  const template = options.migrated ? inject('pgTemplate') : '';
  await onServer(serverUrl, async (c) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await c.query(template ? `create database ${name} template ${template}` : `create database ${name}`);
      } catch (err) {
        if ((err as { code?: unknown }).code !== TEMPLATE_BUSY || attempt >= 50) throw err;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
  });
  const url = databaseUrl(serverUrl, name);
  return {
    url,
    query: (text, values) => onServer(url, async (c) => (await c.query(text, values)).rows),
    drop: () => onServer(serverUrl, (c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}
