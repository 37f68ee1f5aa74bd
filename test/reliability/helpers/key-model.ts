/**
 * What a client knows about its keys while the daemon may die under it: the last state the
 * daemon acknowledged and, at most, one change sent without an answer. `reconcile` compares
 * that with the store file after a kill. Pure: no I/O.
 */

/** Where a key can be; `never` is a create that did not happen. */
export type Fate = 'never' | 'active' | 'inactive' | 'deleted';
export type KeyOp = 'create' | 'deactivate' | 'delete';

const AFTER: Record<KeyOp, Fate> = { create: 'active', deactivate: 'inactive', delete: 'deleted' };

/** The audit actions a key in each state must have: a row and its events commit together. */
const TRAIL: Record<Fate, string[]> = {
  never: [],
  active: ['key.create'],
  inactive: ['key.create', 'key.deactivate'],
  deleted: ['key.create', 'key.deactivate', 'key.delete'],
};

export type ModelKey = {
  name: string;
  id?: string;
  /** Known only when the create's answer arrived. */
  secret?: string;
  acked: Fate;
  /** A change sent whose answer never came: it may or may not have happened. */
  pending?: KeyOp;
};

export type StoredKey = { id: string; name: string; status: string; hash: string };
export type StoredEvent = { action: string; targetType: string; targetId: string; targetName: string };

export type Reconciled = {
  problems: string[];
  /** Unanswered changes found applied, and found not applied. */
  applied: number;
  dropped: number;
};

/**
 * Checks every key against the store: acknowledged changes are all there, each unanswered
 * change either happened whole or not at all, the audit trail matches the row, and the store
 * holds no key the client never asked for. Updates `keys` to what was found.
 */
export function reconcile(keys: ModelKey[], rows: StoredKey[], audit: StoredEvent[], hashOf: (secret: string) => string): Reconciled {
  const problems: string[] = [];
  let applied = 0;
  let dropped = 0;
  const rowByName = new Map(rows.map((r) => [r.name, r]));
  const trails = new Map<string, string[]>();
  const createdIdByName = new Map<string, string>();
  for (const e of audit) {
    if (e.targetType !== 'key') continue;
    trails.set(e.targetId, [...(trails.get(e.targetId) ?? []), e.action]);
    if (e.action === 'key.create') createdIdByName.set(e.targetName, e.targetId);
  }
  for (const key of keys) {
    const row = rowByName.get(key.name);
    rowByName.delete(key.name);
    const id = key.id ?? row?.id ?? createdIdByName.get(key.name);
    const trail = id ? (trails.get(id) ?? []) : [];
    const found: Fate = row ? (row.status as Fate) : trail.length ? 'deleted' : 'never';
    const allowed = key.pending ? [key.acked, AFTER[key.pending]] : [key.acked];
    const label = `key "${key.name}" (${id ?? 'no id'})`;
    if (!allowed.includes(found)) problems.push(`${label}: acknowledged ${key.acked}${key.pending ? ` + unanswered ${key.pending}` : ''}, found ${found}`);
    if (trail.join() !== TRAIL[found].join()) problems.push(`${label}: the row says ${found} but the audit trail is [${trail.join(', ')}]`);
    if (row && key.id && row.id !== key.id) problems.push(`${label}: stored under another id ${row.id}`);
    if (row && key.secret && row.hash !== hashOf(key.secret)) problems.push(`${label}: stored hash is not the hash of its secret`);
    if (key.pending) {
      if (found === AFTER[key.pending]) applied++;
      else dropped++;
    }
    key.id = id;
    key.acked = found;
    key.pending = undefined;
  }
  for (const row of rowByName.values()) problems.push(`key "${row.name}" (${row.id}) is stored but was never asked for`);
  return { problems, applied, dropped };
}

/** What `verify` must answer for a key in this state. */
export function expectedVerify(fate: Fate): { valid: true } | { valid: false; code: 'inactive' | 'not_found' } {
  if (fate === 'active') return { valid: true };
  return { valid: false, code: fate === 'inactive' ? 'inactive' : 'not_found' };
}
