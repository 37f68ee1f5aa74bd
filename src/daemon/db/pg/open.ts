/**
 * Opens the PostgreSQL key store: a connection pool and the drizzle migrations from
 * `drizzle/pg/`, applied under an advisory lock so daemons starting together on one database
 * migrate it once. A missing migrations folder is a startup error, never an empty store.
 */
import { sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { LOCKS, lockKey } from './locks.js';
import { describeDatabase } from './url.js';
import { backfillSkeletons } from '../../names.js';
import * as schema from './schema.js';

export type PgDb = NodePgDatabase<typeof schema>;

/** `drizzle/pg/` at the package root, for both `src/` (tests) and `dist/` (built). */
export const DEFAULT_PG_MIGRATIONS = fileURLToPath(new URL('../../../../drizzle/pg', import.meta.url));

/** Connections per daemon: writes are serialized by the audit lock, reads are short. */
const POOL_SIZE = 8;
const CONNECT_TIMEOUT_MS = 5000;

/** The database could not be reached or migrated; the message names it without its password. */
export class PgOpenError extends Error {}

/** The connection settings every keyward connection uses, from a `postgres://` URL. */
export function clientConfig(url: string): pg.ClientConfig {
  return { connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true, application_name: 'keyward' };
}

export async function openPgDatabase(url: string, migrationsFolder = DEFAULT_PG_MIGRATIONS): Promise<{ pool: pg.Pool; db: PgDb }> {
  if (!existsSync(`${migrationsFolder}/meta/_journal.json`)) {
    throw new Error(`migrations folder not found at ${migrationsFolder}: the installation is incomplete`);
  }
  const pool = new pg.Pool({ ...clientConfig(url), max: POOL_SIZE });
  // Without a listener an idle connection dropped by the server would crash the process. The
  // change feed reports the outage once, and the next query on the pool fails with it.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    try {
      const session = drizzle({ client, schema });
      await session.execute(sql`select pg_advisory_lock(${lockKey(LOCKS.migrate)})`);
      try {
        await migrate(session, { migrationsFolder });
        await backfillNameSkeletons(client);
      } finally {
        await session.execute(sql`select pg_advisory_unlock(${lockKey(LOCKS.migrate)})`);
      }
    } finally {
      client.release();
    }
    return { pool, db: drizzle({ client: pool, schema }) };
  } catch (err) {
    await pool.end();
    throw new PgOpenError(`cannot open the PostgreSQL store at ${describeDatabase(url)}: ${rootCause(err)}`);
  }
}

/** Gives rows stored before look-alike names were refused their skeleton (see `backfillSkeletons`). */
async function backfillNameSkeletons(client: pg.PoolClient): Promise<void> {
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

/** What the server or the network said, without drizzle's wrapping (which quotes the query). */
function rootCause(err: unknown): string {
  let e = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
