/**
 * Test databases on the PostgreSQL server named by `KEYWARD_TEST_DATABASE_URL` (.ci/run starts
 * one with test/pg/cluster.sh): each test daemon, or each group of daemons sharing a store,
 * gets a fresh database, dropped when it stops.
 */
import { randomBytes } from 'node:crypto';
import pRetry from 'p-retry';
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
  /** Done with it: dropped, or, a migrated copy, emptied and kept for this worker's next test. */
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

/**
 * Databases are copied file by file: PostgreSQL 15's default (WAL_LOG) writes every block of the
 * template to the WAL, 280 ms a database here against 70 ms, and the run makes hundreds.
 */
export const CREATE_STRATEGY = 'strategy file_copy';
/** PostgreSQL refuses to copy a template another session is copying or connected to, for a moment. */
const TEMPLATE_BUSY = '55006';

/**
 * A new database on the server of `serverUrl` (default: the test server): empty, or with
 * `migrated`, a copy of the run's migrated template (test/setup/pg-template.ts) — the same
 * state a daemon's first start leaves, without paying for the migrations each time.
 */
export async function createTestDatabase(serverUrl = TEST_DATABASE_URL, options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  if (!serverUrl) throw new Error('KEYWARD_TEST_DATABASE_URL is unset');
  const template = options.migrated ? inject('pgTemplate') : '';
  // Only copies on the run's own server are kept to hand out again.
  const reusable = template !== '' && serverUrl === TEST_DATABASE_URL;
  const reused = reusable ? spare.pop() : undefined;
  const name = reused ?? (template ? copyName(template) : `keyward_test_${randomBytes(6).toString('hex')}`);
  if (!reused) await create(serverUrl, name, template);
  const url = databaseUrl(serverUrl, name);
  return {
    url,
    query: (text, values) => onServer(url, async (c) => (await c.query(text, values)).rows),
    async drop() {
      if (!reusable) {
        await onServer(serverUrl, (c) => c.query(`drop database if exists ${name} with (force)`));
        return;
      }
      await empty(url);
      spare.push(name);
    },
  };
}

async function create(serverUrl: string, name: string, template: string): Promise<void> {
  const sql = `create database ${name}${template ? ` template ${template}` : ''} ${CREATE_STRATEGY}`;
  await onServer(serverUrl, (c) =>
    pRetry(() => c.query(sql), {
      retries: 30,
      minTimeout: 20,
      maxTimeout: 500,
      shouldRetry: ({ error }) => (error as { code?: unknown }).code === TEMPLATE_BUSY,
    }),
  );
}

/**
 * Migrated copies a finished test gave back, emptied, for the next test in this worker. Even
 * copied file by file, a database took 0.3-0.5 s of the server's time with the suite running
 * (two checkpoints each), and the daemon suite on PostgreSQL makes one a test; emptying one
 * takes ~14 ms. Tests change rows, never the schema, so an emptied copy is the template again.
 * With both, the daemon suite on PostgreSQL went from 51 to 33 s, and the server's CPU for it
 * from 44 to 16 s.
 */
const spare: string[] = [];

/** The run's copies of `template` are named after it, so the run's teardown finds them all. */
function copyName(template: string): string {
  return `${template}_${randomBytes(6).toString('hex')}`;
}

/** Ends every session on the database (a daemon a test left running must not write into the next test) and empties its tables. */
async function empty(url: string): Promise<void> {
  await onServer(url, async (c) => {
    await c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
    // DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE made new files for every
    // table and index (74 ms of the server's CPU a database, against a few for DELETE).
    await c.query(`do $$ declare t record; begin
      set local session_replication_role = replica;
      for t in select tablename from pg_tables where schemaname = 'public' loop execute format('delete from %I', t.tablename); end loop;
      for t in select sequencename from pg_sequences where schemaname = 'public' loop execute format('alter sequence %I restart', t.sequencename); end loop;
    end $$`);
  });
}
