/**
 * Opens the PostgreSQL key store: a connection pool and the drizzle migrations from
 * `drizzle/pg/`, applied under an advisory lock so daemons starting together on one database
 * migrate it once. A missing migrations folder is a startup error, never an empty store.
 */
import { sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { rootCause } from '../../../root-cause.js';
import { LOCKS, lockKey } from './locks.js';
import { describeDatabase } from './url.js';
import { PACKAGE_ROOT } from '../../../package-root.js';
import { backfillSkeletons } from '../../names.js';
import { checkMigrationHistory, shippedMigrations } from '../migration-history.js';

// Without the schema, as the SQLite store's `Db`: no relational `db.query`.
export type PgDb = NodePgDatabase;

/** `drizzle/pg/` at the package root. */
export const DEFAULT_PG_MIGRATIONS = join(PACKAGE_ROOT, 'drizzle', 'pg');

/** Connections per daemon: writes are serialized by the audit lock, reads are short. */
const POOL_SIZE = 8;
const CONNECT_TIMEOUT_MS = 5000;
/**
 * How long a query of the pool may wait for an answer. Without a limit a server that stops
 * answering (a network partition drops packets, nothing resets the connection) holds every
 * request until TCP keepalive gives up, hours later; with it the request fails with 503.
 */
const QUERY_TIMEOUT_MS = 10_000;

/** The database could not be reached or migrated; the message names it without its password. */
export class PgOpenError extends Error {}

/** The connection settings every keyward connection uses, from a `postgres://` URL. */
export function clientConfig(url: string, connectTimeoutMs = CONNECT_TIMEOUT_MS): pg.ClientConfig {
  return { connectionString: url, connectionTimeoutMillis: connectTimeoutMs, keepAlive: true, application_name: 'keyward' };
}

/** How long the pool waits for the server: to connect, and for each query's answer. */
export type PgTimeouts = { connectMs?: number; queryMs?: number };

export async function openPgDatabase(url: string, migrationsFolder = DEFAULT_PG_MIGRATIONS, timeouts: PgTimeouts = {}): Promise<{ pool: pg.Pool; db: PgDb }> {
  if (!existsSync(`${migrationsFolder}/meta/_journal.json`)) {
    throw new Error(`migrations folder not found at ${migrationsFolder}: the installation is incomplete`);
  }
  const pool = new pg.Pool({ ...clientConfig(url, timeouts.connectMs), max: POOL_SIZE, query_timeout: timeouts.queryMs ?? QUERY_TIMEOUT_MS });
  // Without a listener an idle connection dropped by the server would crash the process. The
  // change feed reports the outage once, and the next query on the pool fails with it.
  pool.on('error', () => {});
  // The pool listens only to its idle connections: one checked out (a transaction's, between
  // its statements) that the server drops emitted an 'error' nothing heard, and the process
  // died of it (PostgreSQL stopped during an import). Its query fails with the error anyway.
  pool.on('connect', (client) => client.on('error', () => {}));
  try {
    // Migrating (and backfilling) may take longer than a query may: its own connection, no limit.
    const client = new pg.Client(clientConfig(url, timeouts.connectMs));
    await client.connect();
    try {
      const session = drizzle({ client });
      await session.execute(sql`select pg_advisory_lock(${lockKey(LOCKS.migrate)})`);
      try {
        checkMigrationHistory('the database', await recordedMigrations(client), shippedMigrations(migrationsFolder));
        await migrate(session, { migrationsFolder });
        await backfillNameSkeletons(client);
      } finally {
        await session.execute(sql`select pg_advisory_unlock(${lockKey(LOCKS.migrate)})`);
      }
    } finally {
      await client.end();
    }
    return { pool, db: drizzle({ client: pool }) };
  } catch (err) {
    await pool.end();
    throw new PgOpenError(`cannot open the PostgreSQL store at ${describeDatabase(url)}: ${rootCause(err)}`);
  }
}

/** The times of the migrations the database has run (drizzle's table, in its schema); none in a new one. */
async function recordedMigrations(client: pg.Client): Promise<number[]> {
  const { rows } = await client.query<{ present: boolean }>("select to_regclass('drizzle.__drizzle_migrations') is not null as present");
  if (!rows[0]?.present) return [];
  const recorded = await client.query<{ created_at: string }>('select created_at from drizzle.__drizzle_migrations');
  return recorded.rows.map((row) => Number(row.created_at));
}

/** Gives rows stored before look-alike names were refused their skeleton (see `backfillSkeletons`). */
async function backfillNameSkeletons(client: pg.Client): Promise<void> {
  for (const table of ['keys', 'operators']) {
    const { rows } = await client.query<{ id: string; name: string }>(`select id, name from ${table} where name_skeleton is null order by created_at, id`);
    if (rows.length === 0) continue;
    const taken = await client.query<{ s: string }>(`select name_skeleton as s from ${table} where name_skeleton is not null`);
    const filled = backfillSkeletons(rows, new Set(taken.rows.map((r) => r.s)));
    await client.query(`update ${table} set name_skeleton = v.s from unnest($1::text[], $2::text[]) as v(id, s) where ${table}.id = v.id`, [
      filled.map((r) => r.id),
      filled.map((r) => r.nameSkeleton),
    ]);
  }
}
