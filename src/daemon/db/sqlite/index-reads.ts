/**
 * What the verification index reads from SQLite: every key, page by page, for the load; and
 * one key's entry by hash or id, read synchronously, so the daemon can answer from the store
 * for keys its index has not loaded yet (verify/warm-index.ts). Both build entries the same
 * way: a key's row with its policy and marks, else the tombstone of a deleted key.
 */
import type Database from 'better-sqlite3';
import { eq, inArray, sql } from 'drizzle-orm';
import type { IndexedKey } from '../../../decide/policy.js';
import type { KeyStatus, LocalIndexReads } from '../../store.js';
import { tombstoneEntry } from '../../verify/key-index.js';
import { attachExtras, extrasById, HAS_EXTRAS_SQL, indexedKey, policyColumnsOf, withFields } from '../key-columns.js';
import type { Db } from './open.js';
import { keys, keyTombstones } from './schema.js';
import { tombstoneEntries, tombstoneEntryColumns } from './trouble.js';

/**
 * Keys a page of the index load. What survives a scavenge while a page is being indexed makes
 * V8 grow its young generation, which it keeps: pages of 10,000 left the heap 70 MB larger
 * after loading a million keys; pages of 250 still grew it by ~18 MB at 100,000 keys; pages of
 * 50 did not, at no cost in CPU (the statement is prepared once).
 */
const INDEX_PAGE_ROWS = 50;
/** SQLite's page cache during the index scan, in its units (negative: KiB). */
const SCAN_CACHE_SIZE = -2000;

/** A key's policy and marks: read for the keys that have some (`extrasById`). */
const extraColumns = { id: keys.id, canary: keys.canary, rotatedOutBy: keys.rotatedOutBy, ...policyColumnsOf(keys) };
/** Everything the index keeps of one key. */
const entryColumns = { ...extraColumns, name: keys.name, hash: keys.hash, status: keys.status, expiresAt: keys.expiresAt };

/**
 * Every key as the index holds it, a page at a time; each page is read when it is asked for,
 * so a caller that places a page before asking for the next sees every write committed before
 * that page was read. Tombstones come first: a key that has a deleted key's hash (an import)
 * is the one found.
 */
function* indexPages(sqlite: Database.Database, db: Db): Generator<IndexedKey[]> {
  // better-sqlite3's raw rows (arrays), made into objects here: its own row objects cost half
  // as much CPU again and, loading 100,000 keys, grew the heap by ~40 MB; drizzle's mapping
  // cost more still. Pages by rowid, so a million keys never sit in the heap at once. Each
  // row says whether the key has a policy or a mark; only those are read in full, page by page.
  const tombstones = tombstoneEntries(db);
  if (tombstones.length) yield tombstones;
  const page = sqlite
    .prepare<[number, number], [number, string, string, string, KeyStatus, number | null, 0 | 1]>(
      `select rowid, id, name, hash, status, expires_at, (${HAS_EXTRAS_SQL}) from keys where rowid > ? order by rowid limit ?`,
    )
    .raw(true);
  // A scan of every key would leave better-sqlite3's 16 MB page cache full of pages nothing
  // reads again (16 MB of RSS at 100,000 keys); SQLite's own 2 MB default holds it meanwhile.
  const cacheSize = sqlite.pragma('cache_size', { simple: true }) as number;
  sqlite.pragma(`cache_size = ${SCAN_CACHE_SIZE}`);
  try {
    for (let after = 0; ; ) {
      const rows = page.all(after, INDEX_PAGE_ROWS);
      if (rows.length === 0) return;
      after = rows[rows.length - 1]![0];
      const entries = rows.map(([, id, name, hash, status, expiresAt]) => ({ id, name, hash, status, expiresAt }));
      const withExtras = rows.filter((row) => row[6] === 1).map((row) => row[1]);
      if (withExtras.length === 0) yield entries;
      else yield attachExtras(entries, extrasById(db.select(extraColumns).from(keys).where(inArray(keys.id, withExtras)).all()));
    }
  } finally {
    // A load given up because the daemon closes may end after the database did.
    if (sqlite.open) sqlite.pragma(`cache_size = ${cacheSize}`);
  }
}

/** One key's entry by hash or id, each a prepared statement on an index. */
export function entryReads(sqlite: Database.Database, db: Db): LocalIndexReads {
  const value = sql.placeholder('value');
  const keyByHash = db.select(entryColumns).from(keys).where(eq(keys.hash, value)).prepare();
  const keyById = db.select(entryColumns).from(keys).where(eq(keys.id, value)).prepare();
  const graveByHash = db.select(tombstoneEntryColumns).from(keyTombstones).where(eq(keyTombstones.hash, value)).prepare();
  const graveById = db.select(tombstoneEntryColumns).from(keyTombstones).where(eq(keyTombstones.keyId, value)).prepare();
  const entry = (key: typeof keyByHash, grave: typeof graveByHash, search: string): IndexedKey | undefined => {
    const row = key.get({ value: search });
    if (row) return indexedKey(withFields(row));
    const tombstone = grave.get({ value: search });
    return tombstone && tombstoneEntry(tombstone);
  };
  return {
    pages: () => indexPages(sqlite, db),
    byHash: (hash) => entry(keyByHash, graveByHash, hash),
    byId: (id) => entry(keyById, graveById, id),
  };
}
