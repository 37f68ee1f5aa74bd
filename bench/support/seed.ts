/**
 * Fills a home's store with keys fast: migrations as the daemon runs them, then one
 * transaction of prepared inserts carrying the hash and hint the daemon would compute.
 * Creating 100,000 keys through HTTP would take minutes of fsyncs and measure nothing about
 * verify. The seeded keys have no audit events; that is fine for a throwaway benchmark home.
 * Only the keys whose secrets are returned get a real secret; the others get the SHA-256 of
 * random bytes, which is what a thrown-away secret's hash looks like to the daemon, and skips
 * the base62 and checksum work that made seeding a million keys take minutes.
 */
import { randomBytes } from 'node:crypto';
import { getTableColumns } from 'drizzle-orm';
import { closeSync, openSync } from 'node:fs';
import { fieldsToColumns, type PolicyColumns } from '../../src/daemon/db/key-columns.js';
import { openDatabase } from '../../src/daemon/db/sqlite/open.js';
import { keys } from '../../src/daemon/db/sqlite/schema.js';
import { nameColumns } from '../../src/daemon/names.js';
import { generateSecret, hashSecret, KEY_PREFIX, newId } from '../../src/daemon/secrets/format.js';
import { hintOf } from '../../src/secret-text.js';
import type { KeyEdit } from '../../src/daemon/store.js';
import { ensureHome, homeFiles } from '../../src/home.js';

export type SeededKey = { id: string; name: string; secret: string };

type SeedRow = {
  id: string;
  name: string;
  nameFolded: string;
  nameSkeleton: string;
  hash: string;
  hint: string;
  status: 'active';
  createdAt: number;
  createdBy: string;
  canary: boolean;
  uses24h: number;
} & Partial<PolicyColumns>;

/**
 * Inserts `total` active keys named `<prefix>-<n>` and returns the secrets of the first
 * `keep` of them (the rest are thrown away, as a real store would). Every key gets `fields`
 * (policy and labels; none by default).
 */
export function seedKeys(home: string, total: number, keep: number, prefix = 'seed', fields: KeyEdit = {}): SeededKey[] {
  const policy = fieldsToColumns(fields);
  ensureHome(home);
  const file = homeFiles(home).db;
  closeSync(openSync(file, 'a', 0o600));
  const { sqlite, db } = openDatabase(file);
  const kept: SeededKey[] = [];
  const width = String(total).length;
  const firstCreatedAt = Date.now() - total;
  const row = (n: number): SeedRow => {
    const name = `${prefix}-${String(n).padStart(width, '0')}`;
    const id = newId('key_');
    let hash: string;
    let hint: string;
    if (n < keep) {
      const secret = generateSecret(KEY_PREFIX);
      kept.push({ id, name, secret });
      hash = hashSecret(secret);
      hint = hintOf(secret, KEY_PREFIX);
    } else {
      hash = randomBytes(32).toString('hex');
      hint = `${KEY_PREFIX}${hash.slice(0, 4)}…${hash.slice(-4)}`;
    }
    return {
      id,
      name,
      // The daemon's own name columns: without a skeleton, the first start would backfill them all.
      ...nameColumns(name),
      hash,
      hint,
      status: 'active',
      // Distinct, increasing times keep the list order (createdAt, id) stable.
      createdAt: firstCreatedAt + n,
      createdBy: 'bench',
      canary: false,
      uses24h: 0,
      ...policy,
    };
  };
  try {
    // drizzle writes the statement (so column names come from the schema); better-sqlite3
    // runs it prepared: ~2 s for 100k rows here against ~8 s through the query builder.
    const first = row(0);
    const insert = sqlite.prepare(db.insert(keys).values(first).toSQL().sql);
    // drizzle binds the given values in the table's column order, each as its column stores it (a flag as 0/1).
    const columns = getTableColumns(keys);
    const fields = Object.keys(columns).filter((f): f is keyof SeedRow => f in first);
    const values = (r: SeedRow) => fields.map((f) => columns[f].mapToDriverValue(r[f]));
    sqlite.transaction(() => {
      insert.run(values(first));
      for (let n = 1; n < total; n++) insert.run(values(row(n)));
    }).immediate();
  } finally {
    sqlite.close();
  }
  return kept;
}
