/**
 * Import without I/O: the rows a batch of validated items becomes (hash, hint, fields), and the
 * refusals a batch earns on its own — a name or a secret twice in it, an expiry in the past —
 * each naming the item by its index (`keys.<i>` in the issue path) and never quoting a secret.
 * What the store already holds is checked by the store, in the transaction that inserts.
 */
import { setImmediate as turn } from 'node:timers/promises';
import { nameTaken } from '../db/dialects.js';
import { KeywardError } from '../errors.js';
import { nameColumns } from '../names.js';
import { hashSecret, KEY_PREFIX, newIds } from '../secrets/format.js';
import { hintOf } from '../../secret-text.js';
import type { Actor, ImportRow, KeyFields } from '../store.js';
import type { ImportItemInput } from './import-schemas.js';

/**
 * A hint for humans that tells keys apart without helping to guess one: a `kw_` key's as
 * created; another format's first and last four characters once it is long enough that eight
 * shown leave 24 or more unknown, else its last four; a key known only by hash, the hash's start.
 */
function importedHint(item: { secret?: string; sha256?: string }, hash: string): string {
  const secret = item.secret;
  if (secret === undefined) return `sha256:${hash.slice(0, 8)}`;
  if (secret.startsWith(KEY_PREFIX)) return hintOf(secret, KEY_PREFIX);
  return secret.length >= 32 ? `${secret.slice(0, 4)}…${secret.slice(-4)}` : `…${secret.slice(-4)}`;
}

/** The refusal of the `index`th key of a batch: every issue path starts with `keys.<index>`. */
function atItem(index: number, err: KeywardError): KeywardError {
  const issues = err.issues?.length ? err.issues : [{ path: '', message: err.message }];
  return new KeywardError(
    err.code,
    `keys.${index}: ${err.message}`,
    issues.map((issue) => ({ path: issue.path ? `keys.${index}.${issue.path}` : `keys.${index}`, message: issue.message })),
  );
}

/** The refusal of a secret the store (or the batch) already has: it names the other key, never the secret. */
function secretTaken(other: string): KeywardError {
  return new KeywardError('invalid_request', `This secret is already ${other}`, [{ path: '', message: `is already ${other}` }]);
}

function inBatchName(index: number, name: string, other: number): KeywardError {
  const err = new KeywardError('name_taken', `The name "${name}" is given to keys.${other} too (or one that looks like it)`, [{ path: 'name', message: `is also keys.${other}'s` }]);
  return atItem(index, err);
}

export type ImportContext = {
  actor: Actor;
  now: number;
  fieldsOf: (item: ImportItemInput, at: number) => KeyFields;
  /** Whether a hash is an operator token's, which a `kwo_` secret is refused for by the schema and a hash here. */
  isOperatorToken: (sha256: string) => boolean;
};

/**
 * Keys of a batch handled between two turns of the event loop, as rows here and as index puts
 * after the commit: 10,000 at once were a task of 40–90 ms each, in which the daemon answered no
 * verify (docs/performance.md, "An import's tasks on the event loop").
 */
export const KEYS_PER_TURN = 1_000;

/**
 * The rows of a batch, in order, or the refusal of its first faulty item. Names are unique in
 * the batch the way the stores make them unique (case-folded and by look-alike skeleton).
 */
export async function importRows(items: readonly ImportItemInput[], context: ImportContext): Promise<ImportRow[]> {
  const taken: Taken = { folded: new Map(), skeletons: new Map(), hashes: new Map() };
  const ids = newIds('key_', items.length);
  const rows: ImportRow[] = [];
  for (const [index, item] of items.entries()) {
    if (index > 0 && index % KEYS_PER_TURN === 0) await turn();
    rows.push(rowOf(item, index, ids[index]!, taken, context));
  }
  return rows;
}

/** What the batch's earlier items took: their names (case-folded and by skeleton) and hashes, by index. */
type Taken = { folded: Map<string, number>; skeletons: Map<string, number>; hashes: Map<string, number> };

/** The `index`th item's row, or its refusal; what it takes goes into `taken`. */
function rowOf(item: ImportItemInput, index: number, id: string, { folded, skeletons, hashes }: Taken, { actor, now, fieldsOf, isOperatorToken }: ImportContext): ImportRow {
  const { nameFolded, nameSkeleton } = nameColumns(item.name);
  const sameName = folded.get(nameFolded) ?? skeletons.get(nameSkeleton);
  if (sameName !== undefined) throw inBatchName(index, item.name, sameName);
  folded.set(nameFolded, index);
  skeletons.set(nameSkeleton, index);
  const hash = item.sha256 ?? hashSecret(item.secret!);
  if (isOperatorToken(hash)) {
    throw atItem(index, new KeywardError('invalid_request', 'sha256 is an operator token\'s (kwo_…), which is never an API key', [{ path: 'sha256', message: "is an operator token's (kwo_…), which is never an API key" }]));
  }
  const sameHash = hashes.get(hash);
  if (sameHash !== undefined) throw atItem(index, secretTaken(`keys.${sameHash}'s in this batch`));
  hashes.set(hash, index);
  const expiresAt = item.expiresAt ? Date.parse(item.expiresAt) : null;
  if (expiresAt !== null && expiresAt <= now) {
    throw atItem(index, new KeywardError('invalid_request', 'expiresAt must be in the future', [{ path: 'expiresAt', message: 'must be in the future' }]));
  }
  return {
    id,
    name: item.name,
    nameFolded,
    nameSkeleton,
    hint: importedHint(item, hash),
    hash,
    status: 'active' as const,
    createdAt: now,
    createdBy: actor.name,
    deactivatedAt: null,
    deactivationReason: null,
    expiresAt,
    lastUsedAt: null,
    canary: false,
    rotatedOutBy: null,
    ...fieldsOf(item, now),
  };
}

/** What a store holds that an import's rows ask for: keys with one of their names or hashes. */
export type StoredClashes = {
  names: readonly { name: string; nameFolded: string; nameSkeleton: string | null }[];
  hashes: readonly { id: string; name: string; hash: string }[];
};

/** The refusal of the first row whose name or secret a stored key already has, if any. */
export function firstClash(rows: readonly ImportRow[], stored: StoredClashes): KeywardError | undefined {
  if (stored.names.length === 0 && stored.hashes.length === 0) return undefined;
  const byFolded = new Map(stored.names.map((k) => [k.nameFolded, k.name]));
  const bySkeleton = new Map(stored.names.map((k) => [k.nameSkeleton, k.name]));
  const byHash = new Map(stored.hashes.map((k) => [k.hash, k]));
  for (const [index, row] of rows.entries()) {
    const taken = byFolded.get(row.nameFolded) ?? bySkeleton.get(row.nameSkeleton);
    if (taken !== undefined) return atItem(index, nameTaken('key', row.name, taken));
    const other = byHash.get(row.hash);
    if (other) return atItem(index, secretTaken(`key ${other.id}'s ("${other.name}")`));
  }
  return undefined;
}
