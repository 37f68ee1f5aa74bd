/**
 * Issue 15 over HTTP: the policy fields of a key (validated, stored, shown), editing with
 * PATCH (audited, in force when it returns), the owner filter, every verify outcome in its
 * order, rejections counted as uses, and quotas that refill and survive a restart.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_MIGRATIONS, openDatabase } from '../../src/daemon/db/sqlite/open.js';
import { generateSecret, hashSecret, KEY_PREFIX } from '../../src/daemon/secrets/format.js';
import { startTestApp, tempHome, testBackend, type TestApp } from '../helpers/daemon.js';

let t: TestApp;
afterEach(async () => {
  await t?.stop();
});

/** A clock the test moves by hand, starting on a minute boundary. */
function manualClock(start = Date.parse('2030-03-04T10:00:00Z')) {
  let now = start;
  return { now: () => now, add: (ms: number) => (now += ms), get: () => now };
}

const POLICY = {
  description: 'Checkout service, EU',
  owner: 'team-orders',
  meta: { plan: 'pro', region: 'eu' },
  scopes: ['orders:*', 'billing:read'],
  allowedIps: ['10.0.0.0/8', '2001:db8::/32'],
  rateLimit: { limit: 100, windowSeconds: 60 },
  quota: { remaining: 1000, refill: { amount: 1000, intervalSeconds: 86_400 } },
};

const NO_POLICY = { description: null, owner: null, meta: null, scopes: null, allowedIps: null, rateLimit: null, quota: null };

async function serviceToken(): Promise<string> {
  return (await t.api('POST', '/v1/operators', { name: `svc-${Math.random()}`, role: 'service' })).body.token;
}

async function auditActions(): Promise<Array<{ action: string; detail: Record<string, unknown> }>> {
  return (await t.api('GET', '/v1/audit?limit=1000')).body.events.map((e) => ({ action: e.action, detail: e.detail }));
}

describe('policy fields', () => {
  it('are stored, shown in Key JSON canonical, and returned by a valid verify', async () => {
    const clock = manualClock();
    t = await startTestApp({ now: clock.now });
    const created = await t.api('POST', '/v1/keys', { name: 'checkout', ...POLICY, allowedIps: ['10.0.0.0/8', '2001:0DB8::/32', '10.0.0.0/8'] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // Canonical: the CIDRs written as networks, the duplicate gone; the quota with its next refill.
    const expected = { ...POLICY, quota: { ...POLICY.quota, nextRefillAt: '2030-03-05T10:00:00.000Z' } };
    expect(created.body.key).toMatchObject(expected);
    expect((await t.api('GET', `/v1/keys/${created.body.key.id}`)).body.key).toMatchObject(expected);
    await t.restart();
    expect((await t.api('GET', `/v1/keys/${created.body.key.id}`)).body.key).toMatchObject(expected);

    const svc = await serviceToken();
    const verified = await t.api('POST', '/v1/verify', { key: created.body.secret, scope: 'orders:write', ip: '10.1.2.3' }, svc);
    expect(verified.body).toEqual({
      valid: true,
      keyId: created.body.key.id,
      name: 'checkout',
      owner: 'team-orders',
      meta: { plan: 'pro', region: 'eu' },
      scopes: ['orders:*', 'billing:read'],
      rateLimit: { limit: 100, windowSeconds: 60, remaining: 99, resetSeconds: 60 },
      quota: { remaining: 999 },
    });
  });

  it('default to no restriction for a new key', async () => {
    t = await startTestApp();
    const { key } = (await t.api('POST', '/v1/keys', { name: 'plain' })).body;
    expect(key).toMatchObject(NO_POLICY);
  });

  it.skipIf(testBackend !== 'sqlite')('migrate a key stored before the policy columns to no restriction', async () => {
    // The daemon's stop removes the home too, but nothing does if the test fails before it starts.
    const home = tempHome();
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    const secret = generateSecret(KEY_PREFIX);
    // The store as the migrations before this feature left it, holding one key.
    const oldMigrations = mkdtempSync(join(tmpdir(), 'keyward-migrations-'));
    onTestFinished(() => rmSync(oldMigrations, { recursive: true, force: true }));
    cpSync(DEFAULT_MIGRATIONS, oldMigrations, { recursive: true });
    const journalFile = join(oldMigrations, 'meta', '_journal.json');
    const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
    journal.entries = journal.entries.slice(0, journal.entries.findIndex((e) => e.tag.endsWith('_key_policy')));
    writeFileSync(journalFile, JSON.stringify(journal));
    const { sqlite } = openDatabase(join(home, 'keyward.db'), { migrationsFolder: oldMigrations });
    expect(sqlite.prepare("select count(*) as n from pragma_table_info('keys') where name = 'owner'").get()).toEqual({ n: 0 });
    sqlite
      .prepare('insert into keys (id, name, name_folded, hash, hint, status, created_at, created_by) values (?, ?, ?, ?, ?, ?, ?, ?)')
      .run('key_legacy', 'legacy', 'legacy', hashSecret(secret), 'kw_…', 'active', Date.now(), 'admin');
    sqlite.close();

    t = await startTestApp({ home });
    expect((await t.api('GET', '/v1/keys/key_legacy')).body.key).toMatchObject({ name: 'legacy', ...NO_POLICY });
    const verified = await t.api('POST', '/v1/verify', { key: secret, scope: 'anything:at:all', ip: '203.0.113.9' });
    expect(verified.body).toEqual({ valid: true, keyId: 'key_legacy', name: 'legacy', owner: null, meta: null, scopes: null });
  });

  it('are refused with an issue naming the field, and nothing is created', async () => {
    t = await startTestApp();
    // Every operator reads a key's meta and scopes, and every service verifying it: no secret there.
    const secret = generateSecret(KEY_PREFIX);
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ meta: { note: `the old one was ${secret}` } }, 'meta', /shaped like an API key/],
      [{ meta: { [secret]: 1 } }, 'meta', /shaped like an API key/],
      [{ meta: { a: [{ b: secret }] } }, 'meta', /shaped like an API key/],
      [{ scopes: ['orders:read', secret] }, 'scopes.1', /shaped like an API key/],
      [{ owner: '' }, 'owner', /must not be empty; send null/],
      [{ owner: 'x'.repeat(129) }, 'owner', /at most 128/],
      [{ owner: 'team\u001b[2J' }, 'owner', /control/],
      [{ description: 'd'.repeat(513) }, 'description', /at most 512/],
      [{ meta: ['a'] }, 'meta', /JSON object/],
      [{ meta: 'text' }, 'meta', /JSON object/],
      [{ meta: { blob: 'x'.repeat(4100) } }, 'meta', /4096 bytes/],
      [{ scopes: 'orders:read' }, 'scopes', /list of scopes/],
      [{ scopes: ['orders read'] }, 'scopes.0', /segments of letters/],
      [{ scopes: ['orders:*:read'] }, 'scopes.0', /segments of letters/],
      [{ scopes: Array.from({ length: 65 }, (_, i) => `s${i}`) }, 'scopes', /at most 64/],
      [{ allowedIps: [] }, 'allowedIps', /must not be empty; send null/],
      [{ allowedIps: ['10.0.0.1/8'] }, 'allowedIps.0', /host bits set; the network is 10\.0\.0\.0\/8/],
      [{ allowedIps: ['example.com'] }, 'allowedIps.0', /IPv4 or IPv6/],
      [{ allowedIps: ['10.0.0.0/33'] }, 'allowedIps.0', /prefix length over 32/],
      [{ allowedIps: Array.from({ length: 65 }, (_, i) => `10.0.0.${i}`) }, 'allowedIps', /at most 64/],
      [{ rateLimit: { limit: 0, windowSeconds: 60 } }, 'rateLimit.limit', /at least 1/],
      [{ rateLimit: { limit: 1_000_001, windowSeconds: 60 } }, 'rateLimit.limit', /at most 1,000,000/],
      [{ rateLimit: { limit: 10, windowSeconds: 86_401 } }, 'rateLimit.windowSeconds', /at most 86,400/],
      [{ rateLimit: { limit: 1.5, windowSeconds: 60 } }, 'rateLimit.limit', /whole number/],
      [{ rateLimit: { limit: 10, windowSeconds: 60, burst: 3 } }, 'rateLimit', /burst/],
      [{ quota: { remaining: -1 } }, 'quota.remaining', /at least 0/],
      [{ quota: { remaining: 5, refill: { amount: 0, intervalSeconds: 60 } } }, 'quota.refill.amount', /at least 1/],
      [{ quota: { remaining: 5, refill: { amount: 5, intervalSeconds: 0 } } }, 'quota.refill.intervalSeconds', /at least 1/],
      [{ quota: { refill: { amount: 5, intervalSeconds: 60 } } }, 'quota.remaining', /whole number/],
    ];
    for (const [fields, path, message] of cases) {
      const res = await t.api('POST', '/v1/keys', { name: 'refused', ...fields });
      const where = JSON.stringify(fields).slice(0, 80);
      expect(res.status, where).toBe(400);
      expect(res.body.error.code, where).toBe('invalid_request');
      const issue = res.body.error.issues.find((i) => i.path === path);
      expect(issue?.message, `${where}: ${JSON.stringify(res.body.error.issues)}`).toMatch(message);
    }
    expect((await t.api('GET', '/v1/keys')).body.keys).toEqual([]);
  });

  it('refuse a body naming "__proto__" as a key, at any depth or spelled with escapes, on create, edit and import: nothing changes', async () => {
    t = await startTestApp();
    const { id } = (await t.api('POST', '/v1/keys', { name: 'kept', meta: { plan: 'pro' } })).body.key;
    const metas = ['{"__proto__":{"x":1},"y":2}', '{"a":{"__proto__":{"x":1}}}', '{"\\u005f_proto__":{"x":1}}', '{"a":[{"__pr\\u006fto__":1}]}'];
    for (const meta of metas) {
      for (const [method, path, body] of [
        ['POST', '/v1/keys', `{"name":"proto","meta":${meta}}`],
        ['PATCH', `/v1/keys/${id}`, `{"meta":${meta}}`],
        ['POST', '/v1/keys/import', `{"keys":[{"name":"proto","sha256":"${'a'.repeat(64)}","meta":${meta}}]}`],
      ] as const) {
        const res = await t.api(method, path, body);
        expect(res.status, `${method} ${path} ${meta}`).toBe(400);
        expect(res.body.error.code).toBe('invalid_request');
        expect(res.body.error.message).toMatch(/uses "__proto__" as a key, which no field takes/);
      }
    }
    expect((await t.api('GET', '/v1/keys')).body.keys.map((k) => [k.name, k.meta])).toEqual([['kept', { plan: 'pro' }]]);
    // A value that only mentions it is a value like any other.
    const mention = await t.api('POST', '/v1/keys', { name: 'mention', meta: { note: '__proto__ is a key name', esc: '\u0041' } });
    expect(mention.status, JSON.stringify(mention.body)).toBe(201);
    expect(mention.body.key.meta).toEqual({ note: '__proto__ is a key name', esc: '\u0041' });
  });

  it('refuse a meta nested deeper than 8 levels on create, edit and import, however deep, and take 8', async () => {
    t = await startTestApp();
    // `{"x":[[…[1]…]]}` as text: JSON.stringify itself overflows the stack on the deepest.
    const meta = (levels: number) => `{"x":${'['.repeat(levels - 1)}1${']'.repeat(levels - 1)}}`;
    const { id } = (await t.api('POST', '/v1/keys', { name: 'kept' })).body.key;
    for (const levels of [9, 1_500, 5_000]) {
      for (const [method, path, body, field] of [
        ['POST', '/v1/keys', `{"name":"deep","meta":${meta(levels)}}`, 'meta'],
        ['PATCH', `/v1/keys/${id}`, `{"meta":${meta(levels)}}`, 'meta'],
        ['POST', '/v1/keys/import', `{"keys":[{"name":"deep","sha256":"${'a'.repeat(64)}","meta":${meta(levels)}}]}`, 'keys.0.meta'],
      ] as const) {
        const res = await t.api(method, path, body);
        expect(res.status, `${method} ${path} ${levels}`).toBe(400);
        expect(res.body.error.issues, `${method} ${path} ${levels}`).toEqual([{ path: field, message: 'must nest objects and arrays at most 8 levels deep (meta itself is the first)' }]);
      }
    }
    expect((await t.api('GET', '/v1/keys')).body.keys.map((k) => [k.name, k.meta])).toEqual([['kept', null]]);
    const eight = await t.api('POST', '/v1/keys', `{"name":"eight","meta":${meta(8)}}`);
    expect(eight.status, JSON.stringify(eight.body)).toBe(201);
    expect(t.logs.filter((line) => line.includes('internal error'))).toEqual([]);
  });
});

describe('PATCH /v1/keys/{id}', () => {
  it('changes each field, clears with null, and audits the fields it really changed', async () => {
    t = await startTestApp();
    const { key } = (await t.api('POST', '/v1/keys', { name: 'billing', ...POLICY })).body;
    const before = (await auditActions()).length;

    const renamed = await t.api('PATCH', `/v1/keys/${key.id}`, { name: ' billing-eu ', owner: 'team-billing', scopes: ['billing:*'], description: POLICY.description });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(renamed.body.key).toMatchObject({ name: 'billing-eu', owner: 'team-billing', scopes: ['billing:*'], allowedIps: POLICY.allowedIps, meta: POLICY.meta });

    const cleared = await t.api('PATCH', `/v1/keys/${key.id}`, { ...NO_POLICY, expiresAt: '2031-01-01T00:00:00Z' });
    expect(cleared.body.key).toMatchObject({ ...NO_POLICY, expiresAt: '2031-01-01T00:00:00.000Z' });
    expect((await t.api('PATCH', `/v1/keys/${key.id}`, { expiresAt: null })).body.key.expiresAt).toBeNull();

    // Nothing to change: no event.
    const same = await t.api('PATCH', `/v1/keys/${key.id}`, { name: 'billing-eu', owner: null });
    expect(same.status).toBe(200);
    expect(same.body.key.name).toBe('billing-eu');

    const events = (await auditActions()).slice(0, -before).reverse();
    expect(events).toEqual([
      { action: 'key.update', detail: { fields: ['name', 'owner', 'scopes'], name: { from: 'billing', to: 'billing-eu' } } },
      { action: 'key.update', detail: { fields: ['allowedIps', 'description', 'expiresAt', 'meta', 'owner', 'quota', 'rateLimit', 'scopes'] } },
      { action: 'key.update', detail: { fields: ['expiresAt'] } },
    ]);
    const list = await t.api('GET', '/v1/audit?limit=3');
    expect(list.body.events[0]).toMatchObject({ targetId: key.id, targetName: 'billing-eu', operatorName: 'admin' });
  });

  it('refuses a taken name (any case), a bad field, an unknown key, and changes nothing', async () => {
    t = await startTestApp();
    const { key } = (await t.api('POST', '/v1/keys', { name: 'alpha', owner: 'a' })).body;
    await t.api('POST', '/v1/keys', { name: 'beta' });
    const taken = await t.api('PATCH', `/v1/keys/${key.id}`, { name: 'BETA', owner: 'b' });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatchObject({ code: 'name_taken', issues: [{ path: 'name', message: 'is already taken' }] });
    const bad = await t.api('PATCH', `/v1/keys/${key.id}`, { owner: 'b', allowedIps: ['300.0.0.1'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i) => i.path)).toEqual(['allowedIps.0']);
    expect((await t.api('PATCH', `/v1/keys/${key.id}`, { name: null })).status).toBe(400);
    expect((await t.api('PATCH', `/v1/keys/${key.id}`, { unknown: 1 })).status).toBe(400);
    expect((await t.api('PATCH', '/v1/keys/key_nope', { owner: 'b' })).status).toBe(404);
    expect((await t.api('GET', `/v1/keys/${key.id}`)).body.key).toMatchObject({ name: 'alpha', owner: 'a' });
    // Renaming to its own name in another case is no conflict.
    expect((await t.api('PATCH', `/v1/keys/${key.id}`, { name: 'Alpha' })).body.key.name).toBe('Alpha');
  });

  it('puts a narrower policy in force by the time it returns', async () => {
    const clock = manualClock();
    t = await startTestApp({ now: clock.now });
    const svc = await serviceToken();
    const { key, secret } = (await t.api('POST', '/v1/keys', { name: 'narrowed' })).body;
    const verify = async (extra: Record<string, unknown> = {}) => {
      const body = (await t.api('POST', '/v1/verify', { key: secret, ip: '192.0.2.1', scope: 'orders:write', ...extra }, svc)).body;
      return body.valid ? 'valid' : body.code;
    };
    const edit = (fields: Record<string, unknown>) => t.api('PATCH', `/v1/keys/${key.id}`, fields);
    expect(await verify()).toBe('valid');
    await edit({ allowedIps: ['198.51.100.0/24'] });
    expect(await verify()).toBe('ip_not_allowed');
    await edit({ allowedIps: ['192.0.2.0/24'], scopes: ['orders:read'] });
    expect(await verify()).toBe('insufficient_scope');
    await edit({ scopes: ['orders:*'], quota: { remaining: 1 } });
    expect(await verify()).toBe('valid');
    expect(await verify()).toBe('quota_exhausted');
    await edit({ quota: { remaining: 5 }, rateLimit: { limit: 1, windowSeconds: 60 } });
    expect(await verify()).toBe('valid');
    expect(await verify()).toBe('rate_limited');
    await edit({ rateLimit: null, expiresAt: new Date(clock.get() + 1000).toISOString() });
    expect(await verify()).toBe('valid');
    clock.add(1000);
    expect(await verify()).toBe('expired');
    const past = await edit({ expiresAt: new Date(clock.get() - 1).toISOString() });
    expect(past.status).toBe(400);
    expect(past.body.error.issues).toEqual([{ path: 'expiresAt', message: 'must be in the future' }]);
  });
});

describe('GET /v1/keys?owner=', () => {
  it('lists only the keys of that owner', async () => {
    t = await startTestApp();
    for (const [name, owner] of [['a1', 'team-a'], ['b1', 'team-b'], ['a2', 'team-a'], ['none', null]] as const) {
      await t.api('POST', '/v1/keys', { name, owner });
    }
    expect((await t.api('GET', '/v1/keys?owner=team-a')).body.keys.map((k) => k.name)).toEqual(['a1', 'a2']);
    expect((await t.api('GET', '/v1/keys?owner=team-b&q=b')).body.keys.map((k) => k.name)).toEqual(['b1']);
    expect((await t.api('GET', '/v1/keys?owner=TEAM-A')).body.keys).toEqual([]);
    expect((await t.api('GET', `/v1/keys?owner=${'x'.repeat(129)}`)).status).toBe(400);
  });
});

describe('POST /v1/verify with policy', () => {
  it('answers every outcome, first failing check first, and counts each refusal as a rejected use', async () => {
    const clock = manualClock();
    t = await startTestApp({ now: clock.now });
    const svc = await serviceToken();
    const make = async (name: string, fields: Record<string, unknown>) => (await t.api('POST', '/v1/keys', { name, ...fields })).body;
    const strict = { allowedIps: ['192.0.2.0/24'], scopes: ['orders:read'], rateLimit: { limit: 1, windowSeconds: 60 }, quota: { remaining: 1 } };
    const good = await make('good', strict);
    const off = await make('off', { ...strict, expiresAt: '2030-03-04T10:00:01Z' });
    await t.api('POST', `/v1/keys/${off.key.id}/deactivate`);
    const expired = await make('expired', { ...strict, expiresAt: '2030-03-04T10:00:01Z' });
    const quotaOnly = await make('quota-only', { ...strict, rateLimit: null, quota: { remaining: 0 } });
    clock.add(1000); // both expired; `off` answers inactive, checked first
    const verify = async (key: string, extra: Record<string, unknown>) => {
      const res = await t.api('POST', '/v1/verify', { key, caller: 'checker', ...extra }, svc);
      expect(res.status).toBe(200);
      return res.body.valid ? 'valid' : res.body.code;
    };
    const everything = { ip: '10.0.0.1', scope: ['orders:read', 'orders:write'] };
    const allowed = { ip: '192.0.2.5', scope: 'orders:read' };
    expect(await verify('kw_nope', everything)).toBe('malformed');
    expect(await verify(off.secret.replace(/^kw_./, 'kw_A').slice(0, -1) + 'x', everything)).toBe('malformed');
    expect(await verify(off.secret, everything)).toBe('inactive');
    expect(await verify(expired.secret, everything)).toBe('expired');
    expect(await verify(good.secret, everything)).toBe('ip_not_allowed');
    expect(await verify(good.secret, { scope: 'orders:read' })).toBe('ip_not_allowed');
    expect(await verify(good.secret, { ...everything, ip: '192.0.2.5' })).toBe('insufficient_scope');
    expect(await verify(good.secret, allowed)).toBe('valid');
    expect(await verify(good.secret, allowed)).toBe('rate_limited');
    expect(await verify(quotaOnly.secret, allowed)).toBe('quota_exhausted');
    await t.api('DELETE', `/v1/keys/${off.key.id}`);
    expect(await verify(off.secret, everything)).toBe('not_found');

    const usage = await t.api('GET', `/v1/keys/${good.key.id}/usage?minutes=1`);
    expect(usage.body.buckets).toEqual([expect.objectContaining({ ok: 1, rejected: 4 })]);
    expect(usage.body.callers).toEqual([expect.objectContaining({ caller: 'checker', ok: 1, rejected: 4 })]);
    expect((await t.api('GET', `/v1/keys/${quotaOnly.key.id}/usage?minutes=1`)).body.buckets[0]).toMatchObject({ ok: 0, rejected: 1 });
  });

  it('refuses a bad scope or ip in the request as 400, not a decision', async () => {
    t = await startTestApp();
    for (const extra of [{ scope: 'orders read' }, { scope: [''] }, { scope: 7 }, { ip: '10.1' }, { ip: 'localhost' }, { ip: 5 }, { scope: Array(65).fill('a') }]) {
      const res = await t.api('POST', '/v1/verify', { key: 'kw_x', ...extra });
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
  });

  it('limits the rate per key in a sliding window and says when to retry', async () => {
    const clock = manualClock();
    t = await startTestApp({ now: clock.now });
    const svc = await serviceToken();
    const { secret } = (await t.api('POST', '/v1/keys', { name: 'limited', rateLimit: { limit: 3, windowSeconds: 10 } })).body;
    const verify = async () => (await t.api('POST', '/v1/verify', { key: secret }, svc)).body as unknown as Record<string, unknown>;
    expect(await verify()).toMatchObject({ valid: true, rateLimit: { limit: 3, windowSeconds: 10, remaining: 2, resetSeconds: 10 } });
    await verify();
    clock.add(9_999);
    expect(await verify()).toMatchObject({ valid: true, rateLimit: { remaining: 0, resetSeconds: 1 } });
    expect(await verify()).toEqual({ valid: false, code: 'rate_limited', retryAfterSeconds: 4, rateLimit: { limit: 3, windowSeconds: 10, remaining: 0, resetSeconds: 1 } });
    clock.add(1 + 3_334); // 3.334 s into the next window: 3 × (10 − 3.334)/10 = 1.9998, one fits
    expect(await verify()).toMatchObject({ valid: true });
    expect(await verify()).toMatchObject({ valid: false, code: 'rate_limited' });
  });

  it('takes quota per accepted use, refills on schedule, never below zero', async () => {
    const clock = manualClock();
    t = await startTestApp({ now: clock.now });
    const svc = await serviceToken();
    const { key, secret } = (await t.api('POST', '/v1/keys', { name: 'metered', quota: { remaining: 2, refill: { amount: 3, intervalSeconds: 3600 } } })).body;
    const verify = async () => (await t.api('POST', '/v1/verify', { key: secret }, svc)).body as unknown as Record<string, unknown>;
    expect(await verify()).toMatchObject({ valid: true, quota: { remaining: 1 } });
    expect(await verify()).toMatchObject({ valid: true, quota: { remaining: 0 } });
    for (let i = 0; i < 3; i++) expect(await verify()).toEqual({ valid: false, code: 'quota_exhausted', retryAfterSeconds: 3600 });
    expect((await t.api('GET', `/v1/keys/${key.id}`)).body.key.quota).toEqual({ remaining: 0, refill: { amount: 3, intervalSeconds: 3600 }, nextRefillAt: '2030-03-04T11:00:00.000Z' });
    clock.add(3_600_000);
    expect((await t.api('GET', `/v1/keys/${key.id}`)).body.key.quota).toMatchObject({ remaining: 3, nextRefillAt: '2030-03-04T12:00:00.000Z' });
    expect(await verify()).toMatchObject({ valid: true, quota: { remaining: 2 } });
  });

  it('keeps quota used across a restart', async () => {
    t = await startTestApp();
    const svc = await serviceToken();
    const { key, secret } = (await t.api('POST', '/v1/keys', { name: 'durable-quota', quota: { remaining: 10 } })).body;
    for (let i = 0; i < 4; i++) await t.api('POST', '/v1/verify', { key: secret }, svc);
    await t.restart();
    const svcAgain = await serviceToken();
    expect((await t.api('GET', `/v1/keys/${key.id}`)).body.key.quota?.remaining).toBe(6);
    expect((await t.api('POST', '/v1/verify', { key: secret }, svcAgain)).body).toMatchObject({ quota: { remaining: 5 } });
  });
});
