/**
 * A PostgreSQL store for a benchmark's daemon: a fresh database on the server a URL names,
 * created for one run and dropped after it, so each run starts as empty as a new home does.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export type BenchDatabase = { url: string; drop(): Promise<void> };

async function onServer(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A new, empty database on the server of `serverUrl`; the daemon migrates it on its first start. */
export async function createBenchDatabase(serverUrl: string): Promise<BenchDatabase> {
  const name = `keyward_bench_${randomBytes(6).toString('hex')}`;
  await onServer(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => onServer(serverUrl, `drop database if exists ${name} with (force)`) };
}
