/**
 * The store contract: what every `Store` implementation must do, run against each dialect
 * (test/store/sqlite.test.ts, test/store/pg.test.ts), as Auth.js runs one adapter suite
 * against every database. A behaviour the daemon relies on belongs here, so the two stores
 * cannot drift apart again. Cases call the store directly, without services or HTTP.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { AuditTrail } from '../../src/daemon/audit/trail.js';
import { KeywardError, type ErrorCode } from '../../src/daemon/errors.js';
import { nameColumns } from '../../src/daemon/names.js';
import { generateSecret, hashSecret, KEY_PREFIX, newId } from '../../src/daemon/secrets/format.js';
import { hintOf } from '../../src/secret-text.js';
import type { IndexedKey } from '../../src/decide/policy.js';
import type { Actor, AlertChange, AlertSighting, AuditQuery, KeyRow, RotationChange, RotationRow, Store } from '../../src/daemon/store.js';

/** A store, and the home-side audit trail it signs with (see src/daemon/audit/trail.ts). */
export type StoreFactory = () => Promise<{ store: Store; audit: AuditTrail; cleanup(): Promise<void> }>;

const ADMIN: Actor = { id: 'op_contract', name: 'contract' };
const T0 = Date.UTC(2030, 0, 1);
const MINUTE = 60_000;

export function keyRow(name: string, overrides: Partial<KeyRow> = {}): KeyRow & { hash: string } {
  const secret = generateSecret(KEY_PREFIX);
  return {
    id: newId('key_'),
    name,
    hint: hintOf(secret, KEY_PREFIX),
    hash: hashSecret(secret),
    status: 'active',
    createdAt: T0,
    createdBy: ADMIN.name,
    deactivatedAt: null,
    deactivationReason: null,
    expiresAt: null,
    lastUsedAt: null,
    canary: false,
    rotatedOutBy: null,
    description: null,
    owner: null,
    meta: null,
    scopes: null,
    allowedIps: null,
    rateLimit: null,
    quota: null,
    ...overrides,
  };
}

/** Every page of `indexedKeys`, flattened. */
export async function allIndexed(store: Store): Promise<IndexedKey[]> {
  const keys: IndexedKey[] = [];
  for await (const page of store.indexedKeys()) keys.push(...page);
  return keys;
}

function rotationRow(old: KeyRow, fresh: KeyRow, overrides: Partial<RotationRow> = {}): RotationRow {
  return {
    id: newId('rot_'),
    oldKeyId: old.id,
    oldKeyName: old.name,
    newKeyId: fresh.id,
    newKeyName: fresh.name,
    step: 'update_systems',
    stepStartedAt: T0,
    createdAt: T0,
    createdBy: ADMIN.name,
    watchMs: 600_000,
    verifyNewAt: null,
    deactivateOldAt: null,
    deactivateAt: null,
    doubleCheckAt: null,
    deleteOldAt: null,
    endedAt: null,
    outcome: null,
    cutNewOk: null,
    cutNewRejected: null,
    cutOldOk: null,
    cutOldRejected: null,
    ...overrides,
  };
}

/** Resolves to the code of the KeywardError `promise` rejects with; fails on anything else. */
async function codeOf(promise: Promise<unknown>): Promise<ErrorCode> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof KeywardError) return err.code;
    throw err;
  }
  throw new Error('expected a KeywardError, but the call succeeded');
}

async function auditActions(store: Store): Promise<string[]> {
  return (await store.listAudit({ limit: 1000 })).map((e) => e.action).reverse();
}

export function runStoreContract(dialect: string, makeStore: StoreFactory): void {
  describe(`store contract (${dialect})`, () => {
    let store: Store;
    let audit: AuditTrail;
    beforeEach(async () => {
      const made = await makeStore();
      store = made.store;
      audit = made.audit;
      return made.cleanup;
    });

    describe('keys', () => {
      it('creates a key, finds it by id and by name in any case, and audits the create', async () => {
        const row = keyRow('Billing');
        const created = await store.createKey(row, ADMIN);
        expect(created).toEqual(Object.fromEntries(Object.entries(row).filter(([k]) => k !== 'hash')));
        expect(await store.getKey(row.id)).toEqual(created);
        expect(await store.getKeyByName('bILLING')).toEqual(created);
        expect(await store.getKey('key_missing')).toBeUndefined();
        const [event] = await store.listAudit({ limit: 10 });
        expect(event).toMatchObject({ action: 'key.create', targetType: 'key', targetId: row.id, targetName: 'Billing', operatorId: ADMIN.id, operatorName: ADMIN.name, at: T0 });
      });

      it('refuses a second key with the same folded name as name_taken, changing nothing', async () => {
        await store.createKey(keyRow('café'), ADMIN);
        const err = await store.createKey(keyRow('CAFÉ'), ADMIN).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(KeywardError);
        expect(err).toMatchObject({ code: 'name_taken', issues: [{ path: 'name', message: 'is already taken' }] });
        expect(await store.countKeys()).toEqual({ active: 1, inactive: 0 });
        expect(await auditActions(store)).toEqual(['key.create']);
      });

      it('refuses a key or operator whose name looks like a taken one (confusable skeleton), naming it', async () => {
        await store.createKey(keyRow('kp1'), ADMIN);
        const err = await store.createKey(keyRow('kр1'), ADMIN).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'name_taken', message: 'A key named "kp1" already exists, and "kр1" looks like it' });
        expect(await store.getKeyByName('KPl')).toMatchObject({ name: 'kp1' });
        await store.createOperator({ id: newId('op_'), name: 'alice', role: 'viewer', createdAt: T0, disabledAt: null, tokenHash: hashSecret(generateSecret('kwo_')) }, ADMIN);
        const op = await store.createOperator({ id: newId('op_'), name: 'аlice', role: 'admin', createdAt: T0, disabledAt: null, tokenHash: hashSecret(generateSecret('kwo_')) }, ADMIN).catch((e: unknown) => e);
        expect(op).toMatchObject({ code: 'name_taken' });
        expect(await auditActions(store)).toEqual(['key.create', 'operator.create']);
      });

      it('imports a batch in one transaction with one audit event, or refuses all of it naming the first row at fault', async () => {
        const stored = keyRow('stored');
        await store.createKey(stored, ADMIN);
        const gone = keyRow('gone');
        await store.createKey(gone, ADMIN);
        await store.setKeyStatus(gone.id, 'inactive', T0 + 1, ADMIN);
        await store.deleteKey(gone.id, T0 + 2, ADMIN);
        const batch = (names: string[], overrides: Partial<KeyRow & { hash: string }>[] = []) =>
          names.map((name, i) => ({ ...keyRow(name, { createdAt: T0 + 5, owner: 'team' }), ...nameColumns(name), ...overrides[i] }));

        for (const [rows, code, path] of [
          [batch(['a', 'STORED', 'b']), 'name_taken', 'keys.1.name'],
          [batch(['a', 'b', 'ѕtored']), 'name_taken', 'keys.2.name'],
          [batch(['a', 'b'], [{}, { hash: stored.hash }]), 'invalid_request', 'keys.1'],
        ] as const) {
          const err = await store.importKeys(rows, ADMIN, T0 + 5).catch((e: unknown) => e);
          expect(err, path).toMatchObject({ code, issues: [{ path }] });
          expect(await store.getKeyByName('a')).toBeUndefined();
        }

        // b takes the deleted key's hash: it takes the tombstone's place, as at create.
        const rows = batch(['a', 'b', 'c'], [{}, { hash: gone.hash }]);
        await store.importKeys(rows, ADMIN, T0 + 5);
        expect(await store.getKeyByName('B')).toMatchObject({ id: rows[1]!.id, owner: 'team', createdAt: T0 + 5 });
        expect(await store.listTombstones(10)).toEqual([]);
        expect((await allIndexed(store)).filter((k) => rows.some((r) => r.id === k.id)).map((k) => k.hash).sort()).toEqual(rows.map((r) => r.hash).sort());
        expect(await auditActions(store)).toEqual(['key.create', 'key.create', 'key.deactivate', 'key.delete', 'key.import']);
        expect((await store.listAudit({ limit: 1 }))[0]).toMatchObject({ targetId: rows[0]!.id, targetName: 'a', at: T0 + 5 });
        expect(await audit.verify(store)).toMatchObject({ ok: true });
      });

      it('changes status with the time it is given, audits only a real change, and answers not_found', async () => {
        const row = keyRow('k');
        await store.createKey(row, ADMIN);
        const off = await store.setKeyStatus(row.id, 'inactive', T0 + 5, ADMIN);
        expect(off).toMatchObject({ status: 'inactive', deactivatedAt: T0 + 5 });
        expect(await store.setKeyStatus(row.id, 'inactive', T0 + 9, ADMIN)).toMatchObject({ deactivatedAt: T0 + 5 });
        const on = await store.setKeyStatus(row.id, 'active', T0 + 10, ADMIN);
        expect(on).toMatchObject({ status: 'active', deactivatedAt: null });
        expect(await auditActions(store)).toEqual(['key.create', 'key.deactivate', 'key.activate']);
        expect((await store.listAudit({ limit: 1 }))[0]?.at).toBe(T0 + 10);
        expect(await codeOf(store.setKeyStatus('key_missing', 'inactive', T0, ADMIN))).toBe('not_found');
      });

      it('deletes only an inactive key, at the time it is given, and answers not_found after', async () => {
        const row = keyRow('k');
        await store.createKey(row, ADMIN);
        expect(await codeOf(store.deleteKey(row.id, T0 + 1, ADMIN))).toBe('key_active');
        await store.setKeyStatus(row.id, 'inactive', T0 + 2, ADMIN);
        expect(await store.deleteKey(row.id, T0 + 3, ADMIN)).toMatchObject({ id: row.id, status: 'inactive' });
        expect(await store.getKey(row.id)).toBeUndefined();
        expect((await store.listAudit({ limit: 1 }))[0]).toMatchObject({ action: 'key.delete', at: T0 + 3, targetName: 'k' });
        expect(await codeOf(store.deleteKey(row.id, T0 + 4, ADMIN))).toBe('not_found');
        // What the index keeps of it now is its tombstone: found by hash, inactive, deleted at T0 + 3.
        expect(await allIndexed(store)).toEqual([{ id: row.id, name: 'k', hash: row.hash, status: 'inactive', expiresAt: null, deletedAt: T0 + 3 }]);
        expect(await store.keyTotal()).toBe(0);
      });

      it('lists oldest first with status and name filters, LIKE characters taken literally, and keyset paging', async () => {
        const names = ['a%b', 'axb', 'a_c', 'abc', 'Zed'];
        // Hints of digits only: a random hint holds "ze" often enough to fail a run in forty.
        const rows = names.map((name, i) => keyRow(name, { createdAt: T0 + i, hint: `kw_000${i}…0000` }));
        for (const row of rows) await store.createKey(row, ADMIN);
        await store.setKeyStatus(rows[4]!.id, 'inactive', T0 + 10, ADMIN);
        const list = (q: Partial<Parameters<Store['listKeys']>[0]>) =>
          store.listKeys({ limit: 100, since24h: T0 - 24 * 60 * MINUTE, ...q }).then((ks) => ks.map((k) => k.name));
        expect(await list({})).toEqual(names);
        expect(await list({ status: 'inactive' })).toEqual(['Zed']);
        expect(await list({ q: '%' })).toEqual(['a%b']);
        expect(await list({ q: '_' })).toEqual(['a_c']);
        expect(await list({ q: 'ZE' })).toEqual(['Zed']);
        expect(await list({ limit: 2 })).toEqual(['a%b', 'axb']);
        expect(await list({ limit: 2, after: [-rows[1]!.createdAt, rows[1]!.id] })).toEqual(['a_c', 'abc']);
        expect(await store.countKeys()).toEqual({ active: 4, inactive: 1 });
        expect(await store.keyTotal()).toBe(5);
      });

      it('sorts by each order both ways and pages by position forward, backward and from the end', async () => {
        const specs = [
          { name: 'delta', owner: 'team-b', createdAt: T0 + 1, lastUsedAt: T0 + 50 },
          { name: 'Alpha', owner: null, createdAt: T0 + 3, lastUsedAt: null },
          { name: 'charlie', owner: 'team-a', createdAt: T0 + 2, lastUsedAt: T0 + 90 },
          { name: 'bravo', owner: 'team-a', createdAt: T0 + 4, lastUsedAt: null },
        ];
        const rows = specs.map(({ name, ...o }) => keyRow(name, o));
        for (const row of rows) await store.createKey(row, ADMIN);
        await store.setKeyStatus(rows[0]!.id, 'inactive', T0 + 10, ADMIN);
        const minute = Math.floor(T0 / MINUTE);
        await store.listKeys({ limit: 1, since24h: T0 - MINUTE }); // opens the uses window at T0 - 1 min
        await store.applyUsage({ buckets: [{ keyId: rows[3]!.id, minute, ok: 7, rejected: 0 }, { keyId: rows[2]!.id, minute, ok: 2, rejected: 1 }], callers: [], lastUsed: [] }, 0);
        const list = (q: Partial<Parameters<Store['listKeys']>[0]>) =>
          store.listKeys({ limit: 100, since24h: T0 - MINUTE, ...q }).then((ks) => ks.map((k) => k.name));
        expect(await list({ sort: 'name' })).toEqual(['Alpha', 'bravo', 'charlie', 'delta']);
        expect(await list({ sort: 'name', reverse: true })).toEqual(['delta', 'charlie', 'bravo', 'Alpha']);
        expect(await list({ sort: 'newest' })).toEqual(['bravo', 'Alpha', 'charlie', 'delta']);
        expect(await list({})).toEqual(['delta', 'charlie', 'Alpha', 'bravo']);
        expect(await list({ sort: 'lastUsed' })).toEqual(['charlie', 'delta', 'Alpha', 'bravo']);
        expect(await list({ sort: 'uses24h' })).toEqual(['bravo', 'charlie', 'Alpha', 'delta']);
        expect(await list({ sort: 'uses24h', reverse: true })).toEqual(['delta', 'Alpha', 'charlie', 'bravo']);
        expect(await list({ sort: 'status' })).toEqual(['Alpha', 'bravo', 'charlie', 'delta']);
        expect(await list({ sort: 'owner' })).toEqual(['Alpha', 'bravo', 'charlie', 'delta']);
        expect(await list({ sort: 'owner', reverse: true })).toEqual(['delta', 'charlie', 'bravo', 'Alpha']);
        // Positions: the sort key of a row (db/key-list.ts).
        expect(await list({ sort: 'name', limit: 2, after: ['bravo'] })).toEqual(['charlie', 'delta']);
        expect(await list({ sort: 'name', limit: 2, before: ['delta'] })).toEqual(['bravo', 'charlie']);
        expect(await list({ sort: 'name', reverse: true, limit: 2, before: ['alpha'] })).toEqual(['charlie', 'bravo']);
        expect(await list({ sort: 'uses24h', limit: 2, after: [-3, 'charlie'] })).toEqual(['Alpha', 'delta']);
        expect(await list({ sort: 'lastUsed', limit: 10, after: [-(T0 + 50), 'delta'] })).toEqual(['Alpha', 'bravo']);
        expect(await list({ sort: 'status', limit: 10, before: ['inactive', 'delta'] })).toEqual(['Alpha', 'bravo', 'charlie']);
        expect(await list({ sort: 'name', limit: 3, fromEnd: true })).toEqual(['bravo', 'charlie', 'delta']);
        expect(await list({ sort: 'name', status: 'active', limit: 1, fromEnd: true })).toEqual(['charlie']);
      });

      it('filters by a substring of the name, owner or hint, or the exact id, with a trigram index kept in step, and counts matches', async () => {
        const a = keyRow('orders-eu', { owner: 'Team-Payments' });
        const b = keyRow('billing', { owner: 'team-orders' });
        const c = keyRow('search "quoted"');
        for (const row of [a, b, c]) await store.createKey(row, ADMIN);
        const names = (filter: string, q: Partial<Parameters<Store['listKeys']>[0]> = {}) =>
          store.listKeys({ limit: 100, since24h: T0, sort: 'name', filter, ...q }).then((ks) => ks.map((k) => k.name));
        expect(await names('ORDERS')).toEqual(['billing', 'orders-eu']);
        expect(await names('payments')).toEqual(['orders-eu']);
        // Two characters (below a trigram), one of them never in a hint, so a random hint cannot match.
        expect(await names('-e')).toEqual(['orders-eu']);
        expect(await names('"quoted"')).toEqual(['search "quoted"']);
        expect(await names(b.hint.slice(-4))).toContain('billing');
        expect(await names(b.id)).toEqual(['billing']);
        expect(await names(b.id.slice(0, -1))).toEqual([]);
        expect(await names('%')).toEqual([]);
        expect(await names('  ')).toEqual(['billing', 'orders-eu', 'search "quoted"']);
        await store.updateKey(a.id, { name: 'invoices', owner: null }, T0 + 1, ADMIN);
        expect(await names('orders')).toEqual(['billing']);
        expect(await names('invoic')).toEqual(['invoices']);
        await store.setKeyStatus(b.id, 'inactive', T0 + 2, ADMIN);
        expect(await store.countKeys()).toEqual({ active: 2, inactive: 1 });
        expect(await store.countKeys({ filter: 'invoices', status: 'active' })).toEqual({ active: 1, inactive: 0 });
        expect(await store.countKeys({ filter: 'orders' })).toEqual({ active: 0, inactive: 1 });
        await store.deleteKey(b.id, T0 + 3, ADMIN);
        expect(await names('orders')).toEqual([]);
        expect(await store.countKeys({ filter: 'orders' })).toEqual({ active: 0, inactive: 0 });
      });

      it('keeps a deactivation reason until the key is activated, and audits it', async () => {
        const row = keyRow('k');
        await store.createKey(row, ADMIN);
        expect(await store.setKeyStatus(row.id, 'inactive', T0 + 1, ADMIN, 'leaked: a.env:3')).toMatchObject({ deactivationReason: 'leaked: a.env:3' });
        expect((await store.listAudit({ limit: 1 }))[0]?.detail).toBe(JSON.stringify({ reason: 'leaked: a.env:3' }));
        expect(await store.getKey(row.id)).toMatchObject({ deactivationReason: 'leaked: a.env:3' });
        expect(await store.setKeyStatus(row.id, 'active', T0 + 2, ADMIN)).toMatchObject({ deactivationReason: null });
        expect(await store.setKeyStatus(row.id, 'inactive', T0 + 3, ADMIN)).toMatchObject({ deactivationReason: null });
      });

      it('finds keys by hash, and operator tokens only when asked', async () => {
        const live = keyRow('live');
        const off = keyRow('off');
        await store.createKey(live, ADMIN);
        await store.createKey(off, ADMIN);
        await store.setKeyStatus(off.id, 'inactive', T0 + 1, ADMIN);
        const tokenHash = hashSecret(generateSecret('kwo_'));
        await store.createOperator({ id: 'op_x', name: 'x', role: 'viewer', tokenHash, createdAt: T0, disabledAt: null }, ADMIN);
        const asked = [live.hash, off.hash, tokenHash, hashSecret('nobody')];
        const byHash = (matches: Awaited<ReturnType<Store['findByHashes']>>) => [...matches].sort((a, b) => asked.indexOf(a.hash) - asked.indexOf(b.hash));
        expect(byHash(await store.findByHashes(asked, false))).toEqual([
          { hash: live.hash, kind: 'key', id: live.id, name: 'live', state: 'active' },
          { hash: off.hash, kind: 'key', id: off.id, name: 'off', state: 'inactive' },
        ]);
        expect((await store.findByHashes(asked, true)).find((m) => m.kind === 'operator')).toEqual({ hash: tokenHash, kind: 'operator', id: 'op_x', name: 'x', state: 'active' });
        expect(await store.findByHashes([], true)).toEqual([]);
      });

      it('indexes every key with what verify needs', async () => {
        const row = keyRow('k', { expiresAt: T0 + MINUTE });
        await store.createKey(row, ADMIN);
        expect(await allIndexed(store)).toEqual([{ id: row.id, name: 'k', hash: row.hash, status: 'active', expiresAt: T0 + MINUTE }]);
      });
    });

    describe('key policy', () => {
      const policy = {
        description: 'checkout',
        owner: 'team-a',
        meta: { plan: 'pro' },
        scopes: ['orders:*'],
        allowedIps: ['10.0.0.0/8'],
        rateLimit: { limit: 10, windowSeconds: 60 },
        quota: { remaining: 100, refill: { amount: 100, intervalSeconds: 3600 }, refilledAt: T0, setAt: T0 },
      };

      it('stores and reads back every policy field, indexes it, and filters lists by owner', async () => {
        const row = keyRow('policed', policy);
        await store.createKey(row, ADMIN);
        await store.createKey(keyRow('plain', { createdAt: T0 + 1 }), ADMIN);
        expect(await store.getKey(row.id)).toMatchObject(policy);
        const [indexed] = (await allIndexed(store)).filter((k) => k.id === row.id);
        expect(indexed?.policy).toMatchObject({ owner: 'team-a', meta: { plan: 'pro' }, scopes: ['orders:*'], rateLimit: policy.rateLimit, quota: policy.quota });
        expect(indexed?.policy?.allowedIps?.cidrs).toHaveLength(1);
        expect((await allIndexed(store)).find((k) => k.name === 'plain')).not.toHaveProperty('policy');
        const owned = await store.listKeys({ limit: 10, since24h: T0, owner: 'team-a' });
        expect(owned.map((k) => k.name)).toEqual(['policed']);
      });

      it('edits, audits only the fields really changed, clears with null, and keeps names unique', async () => {
        const row = keyRow('editable', policy);
        await store.createKey(row, ADMIN);
        await store.createKey(keyRow('taken'), ADMIN);
        const { key, changed } = await store.updateKey(row.id, { name: 'Edited', owner: 'team-a', scopes: null, expiresAt: T0 + 5 }, T0 + 3, ADMIN);
        expect(changed).toEqual(['expiresAt', 'name', 'scopes']);
        expect(key).toMatchObject({ name: 'Edited', owner: 'team-a', scopes: null, expiresAt: T0 + 5, hash: row.hash });
        const [event] = await store.listAudit({ limit: 1 });
        expect(event).toMatchObject({ action: 'key.update', targetName: 'Edited', at: T0 + 3 });
        expect(JSON.parse(event!.detail)).toEqual({ fields: ['expiresAt', 'name', 'scopes'], name: { from: 'editable', to: 'Edited' } });
        expect((await store.updateKey(row.id, { name: 'edited', owner: 'team-a' }, T0 + 4, ADMIN)).changed).toEqual(['name']);
        expect((await store.updateKey(row.id, { owner: 'team-a' }, T0 + 5, ADMIN)).changed).toEqual([]);
        expect(await codeOf(store.updateKey(row.id, { name: 'TAKEN', owner: 'x' }, T0 + 6, ADMIN))).toBe('name_taken');
        expect(await store.getKey(row.id)).toMatchObject({ name: 'edited', owner: 'team-a' });
        expect(await codeOf(store.updateKey('key_missing', { owner: 'x' }, T0, ADMIN))).toBe('not_found');
        expect(await auditActions(store)).toEqual(['key.create', 'key.create', 'key.update', 'key.update']);
      });

      it('stamps a quota set again in the same millisecond after the one it replaces', async () => {
        const row = keyRow('quota', policy);
        await store.createKey(row, ADMIN);
        const again = { ...policy.quota, remaining: 5 };
        const { key } = await store.updateKey(row.id, { quota: again }, T0, ADMIN);
        expect(key.quota).toMatchObject({ remaining: 5, setAt: T0 + 1 });
      });

      it('settles quota uses with the usage flush, never below zero, ignoring uses of an older setting', async () => {
        const row = keyRow('metered', policy);
        await store.createKey(row, ADMIN);
        const minute = Math.floor(T0 / MINUTE);
        const flush = (used: number, setAt = T0) =>
          store.applyUsage({ buckets: [{ keyId: row.id, minute, ok: used, rejected: 0 }], callers: [], lastUsed: [], quotas: [{ keyId: row.id, setAt, period: T0, used }] }, 0);
        await flush(30);
        expect((await store.getKey(row.id))?.quota?.remaining).toBe(70);
        await flush(5, T0 - 1);
        expect((await store.quotas([row.id]))[0]).toMatchObject({ keyId: row.id, remaining: 70 });
        await flush(500);
        expect((await store.getKey(row.id))?.quota?.remaining).toBe(0);
        expect(await store.quotas([])).toEqual([]);
      });

      it('gives a rotation’s new key the old name as the old key is deleted', async () => {
        const old = keyRow('billing');
        await store.createKey(old, ADMIN);
        const fresh = keyRow('billing-2');
        const rotation = rotationRow(old, fresh);
        await store.createRotation(rotation, fresh, ADMIN);
        await store.setKeyStatus(old.id, 'inactive', T0, ADMIN);
        const audit = { action: 'rotation.advance' as const, targetType: 'rotation' as const, targetId: rotation.id, targetName: old.name };
        await store.changeRotation(
          rotation.id,
          { expectStep: 'update_systems', set: { step: 'completed', newKeyName: 'billing' }, deleteOldKey: true, renameNewKey: 'billing', at: T0 + 9, audit },
          ADMIN,
        );
        expect(await store.getKeyByName('billing')).toMatchObject({ id: fresh.id });
        expect((await store.getRotation(rotation.id))?.newKeyName).toBe('billing');
        expect((await store.listAudit({ limit: 3 })).map((e) => e.action).reverse()).toEqual(['key.delete', 'key.update', 'rotation.advance']);
      });
    });

    describe('operators', () => {
      const op = (name: string, role: 'admin' | 'viewer' = 'admin', tokenHash = hashSecret(generateSecret('kwo_'))) => ({
        id: newId('op_'),
        name,
        role,
        createdAt: T0,
        disabledAt: null,
        tokenHash,
      });

      it('creates operators, refuses a taken name, and lists them oldest first', async () => {
        const first = op('Alice');
        expect(await store.createOperator(first, null)).toEqual({ id: first.id, name: 'Alice', role: 'admin', createdAt: T0, disabledAt: null });
        expect(await codeOf(store.createOperator(op('alice'), ADMIN))).toBe('name_taken');
        await store.createOperator({ ...op('bob', 'viewer'), createdAt: T0 + 1 }, ADMIN);
        expect((await store.listOperators()).map((o) => o.name)).toEqual(['Alice', 'bob']);
        expect(await store.countOperators()).toBe(2);
        expect((await store.indexedOperators()).find((o) => o.id === first.id)?.tokenHash).toBe(first.tokenHash);
        const [event] = await store.listAudit({ limit: 1 });
        expect(event).toMatchObject({ action: 'operator.create', targetName: 'bob', detail: JSON.stringify({ role: 'viewer' }) });
      });

      it('does not call a token-hash clash a taken name', async () => {
        const first = op('alice');
        await store.createOperator(first, null);
        const err = await store.createOperator(op('bob', 'viewer', first.tokenHash), ADMIN).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(Error);
        expect((err as Partial<KeywardError>).code).not.toBe('name_taken');
        expect(await store.countOperators()).toBe(1);
      });

      it('disables an operator once, never the last active admin', async () => {
        const admin = op('admin');
        const viewer = op('viewer', 'viewer');
        await store.createOperator(admin, null);
        await store.createOperator(viewer, ADMIN);
        expect(await store.disableOperator(viewer.id, T0 + 5, ADMIN)).toMatchObject({ disabledAt: T0 + 5 });
        expect(await store.disableOperator(viewer.id, T0 + 6, ADMIN)).toMatchObject({ disabledAt: T0 + 5 });
        expect(await codeOf(store.disableOperator(admin.id, T0 + 7, ADMIN))).toBe('last_admin');
        expect(await codeOf(store.disableOperator('op_missing', T0, ADMIN))).toBe('not_found');
        expect((await auditActions(store)).filter((a) => a === 'operator.disable')).toHaveLength(1);
      });
    });

    describe('audit', () => {
      it('pages newest first and chains every event', async () => {
        for (let i = 0; i < 5; i++) await store.createKey(keyRow(`k${i}`, { createdAt: T0 + i }), ADMIN);
        const all = await store.listAudit({ limit: 100 });
        expect(all.map((e) => e.targetName)).toEqual(['k4', 'k3', 'k2', 'k1', 'k0']);
        const page = await store.listAudit({ limit: 2, before: all[1]!.seq });
        expect(page.map((e) => e.targetName)).toEqual(['k2', 'k1']);
        expect(await audit.verify(store)).toMatchObject({ ok: true, events: 5, signed: 5, checkpointSeq: all[0]!.seq });
      });

      it('filters by action or action family, by key (its rotations included) and by operator, and pages the filtered list', async () => {
        const bob = { id: 'op_bob', name: 'bob' };
        const old = keyRow('billing');
        await store.createKey(old, ADMIN);
        for (let i = 0; i < 3; i++) await store.createKey(keyRow(`noise-${i}`, { createdAt: T0 + i }), bob);
        await store.setKeyStatus(old.id, 'inactive', T0 + 5, bob);
        const fresh = keyRow('billing-2');
        const rotation = rotationRow(old, fresh);
        await store.createRotation(rotation, fresh, ADMIN);
        const names = async (query: Omit<AuditQuery, 'limit'>, limit = 100) => (await store.listAudit({ limit, ...query })).map((e) => `${e.action} ${e.targetName}`);
        expect(await names({ action: 'rotation' })).toEqual(['rotation.start billing']);
        expect(await names({ action: 'rot' })).toEqual([]);
        expect(await names({ action: 'key.deactivate' })).toEqual(['key.deactivate billing']);
        expect(await names({ key: 'billing' })).toEqual(['rotation.start billing', 'key.deactivate billing', 'key.create billing']);
        expect(await names({ key: old.id })).toEqual(await names({ key: 'billing' }));
        expect(await names({ key: 'billing-2' })).toEqual(['rotation.start billing', 'key.create billing-2']);
        expect(await names({ operator: 'bob', action: 'key.create' })).toEqual(['key.create noise-2', 'key.create noise-1', 'key.create noise-0']);
        expect(await names({ operator: 'op_bob' })).toHaveLength(4);
        const first = await store.listAudit({ limit: 2, operator: 'bob' });
        const rest = await store.listAudit({ limit: 2, operator: 'bob', before: first[1]!.seq });
        expect([...first, ...rest].map((e) => e.targetName)).toEqual(['billing', 'noise-2', 'noise-1', 'noise-0']);
      });
    });

    describe('usage', () => {
      it('adds counts up across flushes, keeps the latest caller time and last use, and drops usage of deleted keys', async () => {
        const kept = keyRow('kept');
        const gone = keyRow('gone');
        await store.createKey(kept, ADMIN);
        await store.createKey(gone, ADMIN);
        const minute = Math.floor(T0 / MINUTE);
        const flush = (at: number, ok: number, rejected: number) =>
          store.applyUsage(
            {
              buckets: [kept, gone].map((k) => ({ keyId: k.id, minute, ok, rejected })),
              callers: [{ keyId: kept.id, caller: 'svc', at, ok, rejected }],
              lastUsed: [{ keyId: kept.id, at }],
            },
            0,
          );
        await flush(T0 + 2000, 2, 1);
        await store.setKeyStatus(gone.id, 'inactive', T0, ADMIN);
        await store.deleteKey(gone.id, T0, ADMIN);
        await flush(T0 + 1000, 3, 0);
        expect(await store.usageBuckets(kept.id, minute)).toEqual([{ minute, ok: 5, rejected: 1 }]);
        expect(await store.usageBuckets(gone.id, 0)).toEqual([]);
        expect(await store.callers(kept.id)).toEqual([{ caller: 'svc', firstSeenAt: T0 + 2000, lastSeenAt: T0 + 2000, ok: 5, rejected: 1 }]);
        expect((await store.getKey(kept.id))?.lastUsedAt).toBe(T0 + 2000);
        expect(await store.uses24h(kept.id, T0 - MINUTE)).toBe(6);
        const [listed] = await store.listKeys({ limit: 10, since24h: T0 - MINUTE });
        expect(listed).toMatchObject({ name: 'kept', uses24h: 6 });
      });

      it('keeps each key\'s 24-hour count as its window moves: flushes add, minutes leaving subtract, pruning too', async () => {
        const row = keyRow('k');
        const other = keyRow('other');
        await store.createKey(row, ADMIN);
        await store.createKey(other, ADMIN);
        const m = Math.floor(T0 / MINUTE);
        const flush = (minute: number, ok: number, pruneBefore = 0) =>
          store.applyUsage({ buckets: [{ keyId: row.id, minute, ok, rejected: 1 }], callers: [], lastUsed: [] }, pruneBefore);
        await flush(m, 4); // before any list: counted when the window opens
        const uses = async (fromMinute: number) => (await store.listKeys({ limit: 10, since24h: fromMinute * MINUTE, sort: 'uses24h' })).map((k) => [k.name, k.uses24h]);
        expect(await uses(m)).toEqual([['k', 5], ['other', 0]]);
        await flush(m + 1, 2);
        await flush(m - 5, 100); // a late bucket from before the window is not counted
        expect(await uses(m)).toEqual([['k', 8], ['other', 0]]);
        expect(await uses(m + 1)).toEqual([['k', 3], ['other', 0]]);
        expect(await uses(m - 5)).toEqual([['k', 109], ['other', 0]]);
        expect(await uses(m + 2)).toEqual([['k', 0], ['other', 0]]);
        expect(await uses(m)).toEqual([['k', 8], ['other', 0]]);
        await flush(m + 3, 1, (m + 1) * MINUTE); // pruning the window's first minute takes it out of the counts
        expect(await uses(m + 1)).toEqual([['k', 5], ['other', 0]]);
        expect(await store.uses24h(row.id, (m + 1) * MINUTE)).toBe(5);
      });

      it('prunes buckets older than the retention line', async () => {
        const row = keyRow('k');
        await store.createKey(row, ADMIN);
        const minute = Math.floor(T0 / MINUTE);
        await store.applyUsage({ buckets: [{ keyId: row.id, minute, ok: 1, rejected: 0 }], callers: [], lastUsed: [] }, 0);
        await store.applyUsage({ buckets: [{ keyId: row.id, minute: minute + 10, ok: 1, rejected: 0 }], callers: [], lastUsed: [] }, (minute + 5) * MINUTE);
        expect(await store.usageBuckets(row.id, 0)).toEqual([{ minute: minute + 10, ok: 1, rejected: 0 }]);
      });
    });

    describe('rotations', () => {
      async function started() {
        const old = keyRow('billing');
        await store.createKey(old, ADMIN);
        const fresh = keyRow('billing-2');
        const rotation = rotationRow(old, fresh);
        expect(await store.createRotation(rotation, fresh, ADMIN)).toEqual(rotation);
        return { old, fresh, rotation };
      }

      it('starts a rotation with its new key, once per key', async () => {
        const { old, fresh, rotation } = await started();
        expect(await store.getRotation(rotation.id)).toEqual(rotation);
        expect(await store.getKey(fresh.id)).toMatchObject({ name: 'billing-2' });
        expect(await auditActions(store)).toEqual(['key.create', 'key.create', 'rotation.start']);
        const again = rotationRow(old, keyRow('billing-3'));
        expect(await codeOf(store.createRotation(again, keyRow('billing-3'), ADMIN))).toBe('rotation_open');
        expect(await store.getKeyByName('billing-3')).toBeUndefined();
        const taken = keyRow('BILLING-2');
        const other = keyRow('other');
        await store.createKey(other, ADMIN);
        expect(await codeOf(store.createRotation(rotationRow(other, taken), taken, ADMIN))).toBe('name_taken');
        expect(await store.listRotations(true)).toEqual([rotation]);
      });

      it('refuses to delete a key in an open rotation', async () => {
        const { old } = await started();
        await store.setKeyStatus(old.id, 'inactive', T0, ADMIN);
        expect(await codeOf(store.deleteKey(old.id, T0, ADMIN))).toBe('rotation_open');
      });

      it('applies a change only from the expected step, with the old key and audit in the same transaction', async () => {
        const { old, rotation } = await started();
        const audit = { action: 'rotation.advance' as const, targetType: 'rotation' as const, targetId: rotation.id, targetName: old.name };
        expect(await codeOf(store.changeRotation(rotation.id, { expectStep: 'verify_new', set: { step: 'deactivate_old' }, at: T0, audit }, ADMIN))).toBe('step_changed');
        expect(await codeOf(store.changeRotation('rot_missing', { expectStep: 'update_systems', set: {}, at: T0, audit }, ADMIN))).toBe('not_found');
        const cut = await store.changeRotation(
          rotation.id,
          { expectStep: 'update_systems', set: { step: 'double_check', doubleCheckAt: T0 + 7 }, oldKeyStatus: 'inactive', at: T0 + 7, audit },
          ADMIN,
        );
        expect(cut).toMatchObject({ step: 'double_check', doubleCheckAt: T0 + 7 });
        expect(await store.getKey(old.id)).toMatchObject({ status: 'inactive', deactivatedAt: T0 + 7 });
        const done = await store.changeRotation(
          rotation.id,
          { expectStep: 'double_check', set: { step: 'completed', endedAt: T0 + 9, outcome: 'deleted' }, deleteOldKey: true, at: T0 + 9, audit },
          ADMIN,
        );
        expect(done).toMatchObject({ step: 'completed', outcome: 'deleted' });
        expect(await store.getKey(old.id)).toBeUndefined();
        expect(await store.listRotations(true)).toEqual([]);
        expect((await store.listRotations(false)).map((r) => r.id)).toEqual([rotation.id]);
        const tail = (await store.listAudit({ limit: 4 })).map((e) => [e.action, e.at]).reverse();
        expect(tail).toEqual([['key.deactivate', T0 + 7], ['rotation.advance', T0 + 7], ['key.delete', T0 + 9], ['rotation.advance', T0 + 9]]);
      });
    });

    describe('tombstones and alerts', () => {
      const sighting = (overrides: Partial<AlertSighting> & Pick<AlertSighting, 'keyId'>): AlertSighting => ({
        kind: 'deleted_key.presented',
        keyName: 'k',
        caller: 'cron',
        ip: null,
        count: 1,
        firstSeenAt: T0,
        lastSeenAt: T0,
        detail: {},
        ...overrides,
      });

      it('keeps a tombstone of a deleted key (a delete, or a rotation ending), found by hash, marked with the rotation', async () => {
        const plain = keyRow('plain');
        await store.createKey(plain, ADMIN);
        await store.setKeyStatus(plain.id, 'inactive', T0 + 1, ADMIN);
        await store.deleteKey(plain.id, T0 + 2, ADMIN);
        const old = keyRow('old');
        const fresh = keyRow('fresh');
        await store.createKey(old, ADMIN);
        const rotation = rotationRow(old, fresh);
        await store.createRotation(rotation, fresh, ADMIN);
        const step = (expectStep: RotationRow['step'], to: RotationRow['step'], at: number, more: Partial<RotationChange> = {}) =>
          store.changeRotation(rotation.id, { expectStep, at, set: { step: to, stepStartedAt: at }, audit: { action: 'rotation.advance', targetType: 'rotation', targetId: rotation.id, targetName: 'old' }, ...more }, ADMIN);
        await step('update_systems', 'double_check', T0 + 3, { oldKeyStatus: 'inactive' });
        expect(await store.getKey(old.id), 'the cut-over marks the old key').toMatchObject({ status: 'inactive', rotatedOutBy: rotation.id });
        await step('double_check', 'completed', T0 + 4, { deleteOldKey: true });

        expect(await store.listTombstones(10)).toEqual([
          { keyId: old.id, name: 'old', hint: old.hint, deletedAt: T0 + 4, deletedBy: ADMIN.name, rotationId: rotation.id, presentations: 0, lastPresentedAt: null, lastCaller: null, lastIp: null },
          { keyId: plain.id, name: 'plain', hint: plain.hint, deletedAt: T0 + 2, deletedBy: ADMIN.name, rotationId: null, presentations: 0, lastPresentedAt: null, lastCaller: null, lastIp: null },
        ]);
        expect((await store.listTombstones(1, { deletedAt: T0 + 4, keyId: old.id })).map((t) => t.keyId), 'paged').toEqual([plain.id]);
        expect((await store.findByHashes([old.hash, plain.hash], false)).map((m) => [m.id, m.state]).sort()).toEqual([
          [old.id, 'deleted'],
          [plain.id, 'deleted'],
        ].sort());
        const indexed = await allIndexed(store);
        expect(indexed).toContainEqual({ id: old.id, name: 'old', hash: old.hash, status: 'inactive', expiresAt: null, deletedAt: T0 + 4, rotatedOutBy: rotation.id });
        expect(indexed).toContainEqual({ id: plain.id, name: 'plain', hash: plain.hash, status: 'inactive', expiresAt: null, deletedAt: T0 + 2 });
        expect(indexed.find((e) => e.id === fresh.id), 'an ordinary key carries no marks').toEqual({ id: fresh.id, name: 'fresh', hash: fresh.hash, status: 'active', expiresAt: null });

        // A key imported with a deleted key's hash takes its place.
        await store.createKey({ ...keyRow('again'), hash: plain.hash }, ADMIN);
        expect((await store.listTombstones(10)).map((t) => t.keyId)).toEqual([old.id]);
      });

      it('marks a canary in the index and the lookup, and stamps an emergency rotation\'s cut-over in its own transaction', async () => {
        const canary = keyRow('bait', { canary: true });
        await store.createKey(canary, ADMIN);
        expect(await store.getKey(canary.id)).toMatchObject({ canary: true });
        expect((await allIndexed(store)).find((e) => e.id === canary.id)).toMatchObject({ canary: true });
        expect(await store.findByHashes([canary.hash], false)).toEqual([{ hash: canary.hash, kind: 'key', id: canary.id, name: 'bait', state: 'active', canary: true }]);

        const old = keyRow('payments');
        const fresh = keyRow('payments-2');
        await store.createKey(old, ADMIN);
        const rotation = rotationRow(old, fresh, { step: 'double_check', doubleCheckAt: T0 + 5, deactivateAt: T0 + 5, createdAt: T0 + 5 });
        await store.createRotation(rotation, fresh, ADMIN, { reason: 'leaked: pasted in chat' });
        expect(await store.getKey(old.id)).toMatchObject({ status: 'inactive', deactivatedAt: T0 + 5, deactivationReason: 'leaked: pasted in chat', rotatedOutBy: rotation.id });
        expect(await auditActions(store)).toEqual(['key.create', 'key.create', 'key.create', 'rotation.start', 'key.deactivate']);
        expect(await store.openAlert('key.leaked', old.id, 'pasted in chat')).toMatchObject({ kind: 'key.leaked', detail: { reason: 'leaked: pasted in chat' }, count: 1 });
        // Reactivating clears the mark.
        await store.setKeyStatus(old.id, 'active', T0 + 6, ADMIN);
        expect(await store.getKey(old.id)).toMatchObject({ rotatedOutBy: null, deactivationReason: null });
      });

      it('counts sightings on the open alert, raises new ones as REPEAT says, keeps 100 callers a key, and records tombstone presentations', async () => {
        const gone = keyRow('gone');
        await store.createKey(gone, ADMIN);
        await store.setKeyStatus(gone.id, 'inactive', T0, ADMIN);
        await store.deleteKey(gone.id, T0, ADMIN);
        const [raised] = await store.recordSightings([sighting({ keyId: gone.id, count: 3, lastSeenAt: T0 + 10, ip: '192.0.2.1', tombstone: true })], T0 + 10);
        expect(raised).toMatchObject({ raised: true, alert: { kind: 'deleted_key.presented', keyId: gone.id, caller: 'cron', count: 3, ip: '192.0.2.1', ackedAt: null } });
        const counted = await store.recordSightings([sighting({ keyId: gone.id, count: 2, firstSeenAt: T0 + 20, lastSeenAt: T0 + 30, tombstone: true })], T0 + 30);
        expect(counted).toEqual([{ raised: false, alert: expect.objectContaining({ id: raised!.alert.id, count: 5, firstSeenAt: T0, lastSeenAt: T0 + 30, ip: '192.0.2.1' }) }]);
        expect((await store.listTombstones(1))[0]).toMatchObject({ presentations: 5, lastPresentedAt: T0 + 30, lastCaller: 'cron', lastIp: '192.0.2.1' });

        const { alert, acknowledged } = await store.ackAlert(raised!.alert.id, T0 + 40, ADMIN);
        expect(acknowledged).toBe(true);
        expect(alert).toMatchObject({ ackedAt: T0 + 40, ackedBy: ADMIN.name });
        expect((await store.ackAlert(raised!.alert.id, T0 + 50, ADMIN)).acknowledged).toBe(false);
        expect((await store.listAudit({ limit: 1 }))[0]).toMatchObject({ action: 'alert.ack', targetType: 'alert', targetId: raised!.alert.id, at: T0 + 40 });
        expect(await codeOf(store.ackAlert('alr_missing', T0, ADMIN))).toBe('not_found');

        // Within the hour: counted on the acknowledged alert; an hour after it was raised: a new one.
        const [quiet] = await store.recordSightings([sighting({ keyId: gone.id, firstSeenAt: T0 + 30 * MINUTE, lastSeenAt: T0 + 30 * MINUTE })], T0);
        expect(quiet).toMatchObject({ raised: false, alert: { id: raised!.alert.id, count: 6, ackedAt: T0 + 40 } });
        const [again] = await store.recordSightings([sighting({ keyId: gone.id, firstSeenAt: T0 + 61 * MINUTE, lastSeenAt: T0 + 61 * MINUTE })], T0);
        expect(again).toMatchObject({ raised: true, alert: { count: 1, ackedAt: null } });
        expect(again!.alert.id).not.toBe(raised!.alert.id);

        // key.expiring: once per key and expiry, acknowledged or not.
        const expiring = sighting({ kind: 'key.expiring', keyId: gone.id, caller: '', detail: { expiresAt: 'x' } });
        expect(await store.recordSightings([expiring], T0)).toMatchObject([{ raised: true }]);
        expect(await store.recordSightings([expiring], T0)).toEqual([]);

        // 100 callers a key and kind, the rest on the alert without a caller.
        const many = Array.from({ length: 105 }, (_, i) => sighting({ kind: 'canary.tripped', keyId: 'key_bait', caller: `c${i}` }));
        await store.recordSightings(many, T0);
        const canaryAlerts = (await store.listAlerts({ openOnly: true, limit: 1000 })).filter((a) => a.kind === 'canary.tripped');
        expect(canaryAlerts).toHaveLength(101);
        expect(canaryAlerts.find((a) => a.caller === '')).toMatchObject({ count: 5 });

        const open = await store.listAlerts({ openOnly: true, limit: 1000 });
        const all = await store.listAlerts({ openOnly: false, limit: 1000 });
        expect(all.length - open.length).toBe(1);
        expect(all.map((a) => a.lastSeenAt)).toEqual([...all.map((a) => a.lastSeenAt)].sort((a, b) => b - a));
      });

      it('raises a leak in the deactivation\'s transaction, with its webhook delivery, and lists expiring keys', async () => {
        await store.createWebhook({ id: newId('whk_'), url: 'http://127.0.0.1:9/a', events: ['key.leaked'], keyId: 'key-a', sealedSecret: 's', createdAt: T0, createdBy: ADMIN.name }, ADMIN);
        const key = keyRow('ci', { expiresAt: T0 + 3 * MINUTE });
        await store.createKey(key, ADMIN);
        await store.createKey(keyRow('bait', { canary: true, expiresAt: T0 + 3 * MINUTE }), ADMIN);
        await store.createKey(keyRow('later', { expiresAt: T0 + 30 * MINUTE }), ADMIN);
        expect(await store.keysExpiring(T0, T0 + 5 * MINUTE)).toEqual([{ id: key.id, name: 'ci', expiresAt: T0 + 3 * MINUTE }]);
        await store.setKeyStatus(key.id, 'inactive', T0 + 1, ADMIN, 'leaked: a.env:1');
        expect(await store.keysExpiring(T0, T0 + 5 * MINUTE), 'an inactive key does not expire in any way that matters').toEqual([]);
        const claimed = await store.claimDelivery(T0 + 2, T0 + 60, 'key-a', []);
        expect(await store.claimDelivery(T0 + 2, T0 + 60, 'key-a', []), 'one delivery, the leak').toBeUndefined();
        expect(JSON.parse(claimed!.body)).toMatchObject({ type: 'key.leaked', data: { key: { id: key.id, name: 'ci', hint: key.hint }, reason: 'leaked: a.env:1', alert: { kind: 'key.leaked', state: 'open' } } });
      });

      it('forgets tombstones and acknowledged alerts a year old, and answers which keys it forgot', async () => {
        const gone = keyRow('gone');
        await store.createKey(gone, ADMIN);
        await store.setKeyStatus(gone.id, 'inactive', T0, ADMIN);
        await store.deleteKey(gone.id, T0, ADMIN);
        const [{ alert: old }] = (await store.recordSightings([sighting({ keyId: gone.id, tombstone: true })], T0)) as [AlertChange];
        await store.ackAlert(old.id, T0, ADMIN);
        await store.recordSightings([sighting({ keyId: gone.id, caller: 'other', tombstone: true })], T0);
        expect(await store.pruneTombstones(T0)).toEqual([]);
        expect(await store.pruneTombstones(T0 + 1)).toEqual([gone.id]);
        expect(await store.listTombstones(10)).toEqual([]);
        expect((await allIndexed(store)).map((e) => e.id)).not.toContain(gone.id);
        // The acknowledged alert went with it; the open one stays until someone reads it.
        expect((await store.listAlerts({ openOnly: false, limit: 10 })).map((a) => a.caller)).toEqual(['other']);
      });
    });

    describe('webhooks', () => {
      const hook = (events: string[], keyId = 'key-a') => ({
        id: newId('whk_'),
        url: `http://127.0.0.1:9/${events.join('+')}`,
        events,
        keyId,
        sealedSecret: `sealed-${events.join('+')}`,
        createdAt: T0,
        createdBy: ADMIN.name,
      });

      it('queues every audited change, in its transaction, for the webhooks whose patterns match', async () => {
        const all = hook(['*']);
        // Created a moment later: webhooks list oldest first, and ids are random.
        const leaks = { ...hook(['key.leaked', 'operator.*']), createdAt: T0 + 1 };
        await store.createWebhook(all, ADMIN);
        await store.createWebhook(leaks, ADMIN);
        const row = keyRow('k');
        await store.createKey(row, ADMIN);
        await store.setKeyStatus(row.id, 'inactive', T0 + 1, ADMIN, 'leaked: a.env:1');
        // A refused write queues nothing.
        expect(await codeOf(store.createKey(keyRow('K'), ADMIN))).toBe('name_taken');
        const types = async (id: string) => (await store.listDeliveries(id, 100)).map((d) => d.type).sort();
        expect(await types(all.id)).toEqual(['key.create', 'key.deactivate', 'key.leaked', 'webhook.create', 'webhook.create']);
        expect(await types(leaks.id)).toEqual(['key.leaked']);
        const [audit] = await store.listAudit({ limit: 1 });
        expect((await store.listDeliveries(all.id, 100)).find((d) => d.type === 'key.deactivate')).toMatchObject({ eventId: audit!.id, status: 'pending', attempts: 0 });
        expect(await store.listWebhooks()).toEqual([
          { id: all.id, url: all.url, events: ['*'], keyId: 'key-a', createdAt: T0, createdBy: ADMIN.name },
          { id: leaks.id, url: leaks.url, events: ['key.leaked', 'operator.*'], keyId: 'key-a', createdAt: T0 + 1, createdBy: ADMIN.name },
        ]);
        await store.deleteWebhook(leaks.id, T0 + 2, ADMIN);
        expect(await codeOf(store.listDeliveries(leaks.id, 10))).toBe('not_found');
        expect(await codeOf(store.deleteWebhook(leaks.id, T0 + 3, ADMIN))).toBe('not_found');
        expect((await store.listAudit({ limit: 1 }))[0]).toMatchObject({ action: 'webhook.delete', targetId: leaks.id, at: T0 + 2 });
      });

      it('leases claims, records attempts, gives up, hurries the waiting on a success, and prunes the log', async () => {
        const mine = hook(['key.create']);
        const theirs = hook(['key.create'], 'key-b');
        await store.createWebhook(mine, ADMIN);
        await store.createWebhook(theirs, ADMIN);
        for (const name of ['a', 'b', 'c']) await store.createKey(keyRow(name, { createdAt: T0 + 10 }), ADMIN);

        const claim = (at: number, busy: string[] = []) => store.claimDelivery(at, at + 60, 'key-a', busy);
        const first = (await claim(T0 + 10))!;
        const second = (await claim(T0 + 10))!;
        expect(first).toMatchObject({ webhookId: mine.id, url: mine.url, sealedSecret: 'sealed-key.create', type: 'key.create', attempts: 0 });
        expect(JSON.parse(first.body)).toMatchObject({ id: first.eventId, type: 'key.create', at: new Date(T0 + 10).toISOString() });
        // None of a webhook the caller has busy; leased ones are not claimed again before the
        // lease ends, the third one is; never another key's.
        expect(await claim(T0 + 20, [mine.id])).toBeUndefined();
        const third = (await claim(T0 + 20))!;
        expect([first.id, second.id]).not.toContain(third.id);
        expect(await claim(T0 + 20)).toBeUndefined();
        expect([(await claim(T0 + 71))?.id, (await claim(T0 + 71))?.id].sort()).toEqual([first.id, second.id].sort());
        expect(await claim(T0 + 71)).toBeUndefined();

        const fail = { webhookId: mine.id, delivered: false, status: 503, error: 'HTTP 503' };
        await store.finishDelivery(first.id, { ...fail, at: T0 + 100, nextAttemptAt: T0 + 5000 });
        await store.finishDelivery(second.id, { ...fail, at: T0 + 100, nextAttemptAt: null });
        await store.finishDelivery(third.id, { webhookId: mine.id, at: T0 + 200, delivered: true, status: 204, error: null, nextAttemptAt: null });
        const log = new Map((await store.listDeliveries(mine.id, 10)).map((d) => [d.id, d]));
        expect(log.get(second.id)).toMatchObject({ status: 'failed', attempts: 1, lastStatus: 503, lastError: 'HTTP 503' });
        expect(log.get(third.id)).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 204, lastError: null, deliveredAt: T0 + 200 });
        // The success made the one waiting until T0 + 5000 due at once.
        expect(log.get(first.id)).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: T0 + 200, lastAttemptAt: T0 + 100 });
        expect((await claim(T0 + 200))?.id).toBe(first.id);
        expect(await claim(T0 + 200)).toBeUndefined();

        await store.createKey(keyRow('d', { createdAt: T0 + 20 }), ADMIN);
        await store.pruneDeliveries(T0 + 11);
        // Every delivery before the line goes, a pending one too (the first); a newer one stays.
        expect((await store.listDeliveries(mine.id, 10)).map((d) => [d.status, d.createdAt])).toEqual([['pending', T0 + 20]]);
        // Pending for good: sealed under a key nobody claims with.
        expect((await store.listDeliveries(theirs.id, 10)).map((d) => d.createdAt)).toEqual([T0 + 20]);
      });
    });
  });
}
