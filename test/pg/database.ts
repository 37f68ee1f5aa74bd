/**
 * Test databases on the PostgreSQL server named by `KEYWARD_TEST_DATABASE_URL` (.ci/run starts
 * one with test/pg/cluster.sh): each test daemon, or each group of daemons sharing a store,
 * gets a fresh database, dropped when it stops.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

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

async function onServer<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database on the server of `serverUrl` (default: the test server). */
export async function createTestDatabase(serverUrl = TEST_DATABASE_URL): Promise<TestDatabase> {
  if (!serverUrl) throw new Error('KEYWARD_TEST_DATABASE_URL is unset');
  const name = `keyward_test_${randomBytes(6).toString('hex')}`;
  await onServer(serverUrl, (c) => c.query(`create database ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    query: (text, values) => onServer(url.toString(), async (c) => (await c.query(text, values)).rows),
    drop: () => onServer(serverUrl, (c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}
