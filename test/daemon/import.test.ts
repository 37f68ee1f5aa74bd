/**
 * Issue 16: `POST /v1/keys/import`: by secret or by SHA-256, all or none per call, refusals
 * naming the item, secrets never kept or echoed, foreign formats verifying by hash, the body
 * limit of this route alone.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StreamEvent } from '../../src/client/client.js';
import { generateSecret, hashSecret } from '../../src/daemon/secrets/format.js';
import { startTestApp, storeQuery, storeText, testBackend, type TestApp } from '../helpers/daemon.js';
import { countTurns } from '../helpers/loop-turns.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => {
  await t.stop();
});

type Imported = { imported: number; keys: { id: string; name: string }[] };

async function importKeys(keys: unknown[], token?: string | null) {
  const res = await t.api('POST', '/v1/keys/import', { keys }, token);
  return { status: res.status, body: res.body as typeof res.body & Imported };
}

async function verify(key: string) {
  return (await t.api('POST', '/v1/verify', { key })).body;
}

async function keyCount(): Promise<number> {
  const [row] = await storeQuery<{ n: number | string }>(t, 'select count(*) as n from keys');
  return Number(row!.n);
}

const FOREIGN = 'sk_live_51HfQ2eK8vXmP0aLrT9bNc3dWq';

describe('POST /v1/keys/import', () => {
  it('puts imported keys in the list\'s filter index, and keys created afterwards too, also after a refused batch', async () => {
    const names = async (filter: string) => ((await t.api('GET', `/v1/keys?filter=${encodeURIComponent(filter)}`)).body.keys as { name: string }[]).map((k) => k.name).sort();
    await t.api('POST', '/v1/keys', { name: 'made-before', owner: 'team-zeta' });
    const batch = Array.from({ length: 50 }, (_, i) => ({ name: `legacy-${String(i).padStart(2, '0')}`, sha256: hashSecret(`old-${i}`), owner: i === 7 ? 'team-zeta' : 'team-x' }));
    expect((await importKeys(batch)).status).toBe(201);
    expect(await names('acy-4')).toEqual(['legacy-40', 'legacy-41', 'legacy-42', 'legacy-43', 'legacy-44', 'legacy-45', 'legacy-46', 'legacy-47', 'legacy-48', 'legacy-49']);
    expect(await names('zeta'), 'by owner, imported and created alike').toEqual(['legacy-07', 'made-before']);
    expect((await importKeys([{ name: 'fresh-one', sha256: hashSecret('new-1') }, { name: 'legacy-01', sha256: hashSecret('new-2') }])).status).toBe(409);
    expect(await names('fresh'), 'nothing of a refused batch').toEqual([]);
    await t.api('POST', '/v1/keys', { name: 'made-after' });
    expect(await names('made-'), 'the per-key index is back after each batch').toEqual(['made-after', 'made-before']);
  });

  it('imports by secret (kw_ and foreign) and by SHA-256 (hex and base64url), and each verifies', async () => {
    const ours = generateSecret('kw_');
    const byHex = 'legacy-hex-0123456789abcdef';
    const byB64 = '3f1c2a9e-7b4d-4e21-9c55-0a8f6d2b1e70';
    const b64 = createHash('sha256').update(byB64).digest('base64url');
    const res = await importKeys([
      { name: 'ours', secret: ours, owner: 'team-a', scopes: ['orders:read'] },
      { name: 'stripe-like', secret: FOREIGN, expiresAt: '2099-01-01T00:00:00Z' },
      { name: 'by-hex', sha256: hashSecret(byHex).toUpperCase(), description: 'from the old table' },
      { name: 'by-b64', sha256: b64, rateLimit: { limit: 5, windowSeconds: 60 } },
    ]);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.imported).toBe(4);
    expect(res.body.keys.map((k) => k.name)).toEqual(['ours', 'stripe-like', 'by-hex', 'by-b64']);

    expect(await verify(ours)).toMatchObject({ valid: true, name: 'ours', owner: 'team-a', scopes: ['orders:read'] });
    expect(await verify(FOREIGN)).toMatchObject({ valid: true, name: 'stripe-like' });
    expect(await verify(byHex)).toMatchObject({ valid: true, name: 'by-hex' });
    expect(await verify(byB64)).toMatchObject({ valid: true, name: 'by-b64', rateLimit: { limit: 5 } });
    expect(await verify('sk_live_51HfQ2eK8vXmP0aLrT9bNc3dWx')).toEqual({ valid: false, code: 'not_found' });

    const shown = (await t.api('GET', `/v1/keys/${res.body.keys[1]!.id}`)).body.key;
    expect(shown).toMatchObject({ name: 'stripe-like', hint: 'sk_l…3dWq', expiresAt: '2099-01-01T00:00:00.000Z', createdBy: 'admin' });
    expect((await t.api('GET', `/v1/keys/${res.body.keys[2]!.id}`)).body.key.hint).toBe(`sha256:${hashSecret(byHex).slice(0, 8)}`);
  });

  it('keeps every field as a create does, whatever characters its text holds', async () => {
    // PostgreSQL takes a batch as one array literal a column: quotes, backslashes, braces, commas and "NULL" must come back as sent.
    const text = 'a "quoted", {braced} \\ back\\slashed NULL ünïcødé 🔑';
    const fields = {
      description: text,
      owner: `${text} owner`,
      meta: { note: text, nested: { list: [1, null, 'x"y'] } },
      scopes: ['orders:read', 'billing:*'],
      allowedIps: ['10.0.0.0/8', '2001:db8::/32'],
      rateLimit: { limit: 7, windowSeconds: 60 },
      quota: { remaining: 1_000_000_000_000, refill: { amount: 500, intervalSeconds: 3600 } },
      expiresAt: '2099-01-01T00:00:00.000Z',
    };
    const created = (await t.api('POST', '/v1/keys', { name: `${text} made`, ...fields })).body.key;
    const imported = await importKeys([{ name: `${text} imported`, sha256: hashSecret('round-trip-0001'), ...fields }, { name: 'NULL', sha256: hashSecret('round-trip-0002') }]);
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    const shown = (await t.api('GET', `/v1/keys/${imported.body.keys[0]!.id}`)).body.key;
    const comparable = ({ id: _id, name: _name, hint: _hint, createdAt: _at, quota, ...rest }: Record<string, unknown>) => ({ ...rest, quota: { ...(quota as object), nextRefillAt: undefined } });
    expect(comparable(shown)).toEqual(comparable(created));
    expect(shown.name).toBe(`${text} imported`);
    expect((await t.api('GET', `/v1/keys/${imported.body.keys[1]!.id}`)).body.key).toMatchObject({ name: 'NULL', owner: null, meta: null, quota: null });
  });

  it('writes one audit event and publishes one keys.imported event for the batch, and never keeps a secret', async () => {
    const events: StreamEvent[] = [];
    const ctl = new AbortController();
    await new Promise<void>((resolve) => void t.client.events((e) => events.push(e), ctl.signal, resolve));
    const secrets = [FOREIGN, generateSecret('kw_'), 'a-home-grown-secret-0001'];
    const res = await importKeys(secrets.map((secret, i) => ({ name: `k${i}`, secret })));
    expect(res.status).toBe(201);
    const dupe = await importKeys([{ name: 'again', secret: secrets[2] }]);
    expect(dupe.status).toBe(400);
    await expect.poll(() => events.filter((e) => e.event === 'keys.imported')).toHaveLength(1);
    ctl.abort();
    expect(events.find((e) => e.event === 'keys.imported')?.data).toMatchObject({ count: 3, first: { name: 'k0' }, last: { name: 'k2' } });
    expect(events.filter((e) => e.event === 'key.created')).toEqual([]);

    const audit = (await t.api('GET', '/v1/audit?action=key.import')).body.events;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'key.import', targetName: 'k0' });
    expect(JSON.parse(JSON.stringify(audit[0]))).toMatchObject({ detail: { count: 3, first: { name: 'k0' }, last: { name: 'k2' } } });

    const everywhere = [...(await storeText(t)), ...t.logs, JSON.stringify(events), JSON.stringify(audit), JSON.stringify(res.body), JSON.stringify(dupe.body)];
    for (const secret of secrets) for (const text of everywhere) expect(text.includes(secret)).toBe(false);
  });

  it('refuses a batch with a bad item, naming its index, and imports nothing of it', async () => {
    await t.api('POST', '/v1/keys', { name: 'billing' });
    const stored = (await t.api('POST', '/v1/keys', { name: 'stored' })).body.secret;
    const good = (i: number) => ({ name: `good-${i}`, sha256: hashSecret(`good-secret-number-${i}`) });
    const real = generateSecret('kw_');
    const badSecret = real.slice(0, -1) + (real.endsWith('x') ? 'y' : 'x');
    const cases: { item: object; status: number; code: string; path: string }[] = [
      { item: { name: 'Billing', sha256: hashSecret('another-secret-0001') }, status: 409, code: 'name_taken', path: 'keys.2.name' },
      { item: { name: 'good-0', sha256: hashSecret('another-secret-0002') }, status: 409, code: 'name_taken', path: 'keys.2.name' },
      // A look-alike of a stored name (a Cyrillic о): refused by the skeleton's unique index, then named.
      { item: { name: 'st\u043ered', sha256: hashSecret('another-secret-0006') }, status: 409, code: 'name_taken', path: 'keys.2.name' },
      { item: { name: 'x', secret: badSecret }, status: 400, code: 'invalid_request', path: 'keys.2.secret' },
      { item: { name: 'x', secret: generateSecret('kwo_') }, status: 400, code: 'invalid_request', path: 'keys.2.secret' },
      { item: { name: 'x', secret: 'short' }, status: 400, code: 'invalid_request', path: 'keys.2.secret' },
      { item: { name: 'x', sha256: 'abc123' }, status: 400, code: 'invalid_request', path: 'keys.2.sha256' },
      { item: { name: 'x', sha256: 'A'.repeat(42) + 'B' }, status: 400, code: 'invalid_request', path: 'keys.2.sha256' },
      { item: { name: 'x', secret: FOREIGN, sha256: hashSecret(FOREIGN) }, status: 400, code: 'invalid_request', path: 'keys.2' },
      { item: { name: 'x' }, status: 400, code: 'invalid_request', path: 'keys.2' },
      { item: { name: 'x', secret: stored }, status: 400, code: 'invalid_request', path: 'keys.2' },
      { item: { name: 'x', sha256: hashSecret('good-secret-number-1') }, status: 400, code: 'invalid_request', path: 'keys.2' },
      { item: { name: 'x', sha256: hashSecret('another-secret-0003'), rateLimit: { limit: 0, windowSeconds: 60 } }, status: 400, code: 'invalid_request', path: 'keys.2.rateLimit.limit' },
      { item: { name: 'x', sha256: hashSecret('another-secret-0004'), expiresAt: '2001-01-01T00:00:00Z' }, status: 400, code: 'invalid_request', path: 'keys.2.expiresAt' },
      { item: { name: 'x', sha256: hashSecret('another-secret-0005'), canary: true }, status: 400, code: 'invalid_request', path: 'keys.2' },
      // The admin's token by its hash, as a kwo_ secret is refused: it could never verify.
      { item: { name: 'x', sha256: hashSecret(t.adminToken) }, status: 400, code: 'invalid_request', path: 'keys.2.sha256' },
    ];
    for (const { item, status, code, path } of cases) {
      const res = await importKeys([good(0), good(1), item, good(3)]);
      expect(res.status, JSON.stringify(item)).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.issues.map((i) => i.path.startsWith(path)), JSON.stringify(res.body.error.issues)).toEqual(res.body.error.issues.map(() => true));
      expect(res.body.error.message).toContain('keys.2');
      if ('secret' in item) expect(JSON.stringify(res.body)).not.toContain(item.secret);
    }
    expect(await keyCount()).toBe(2);
    expect(await verify('good-secret-number-0')).toEqual({ valid: false, code: 'not_found' });
  });

  it('names only the first item at fault when many are', async () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ name: `k${i}`, sha256: i % 2 ? 'nope' : hashSecret(`secret-number-${i}-xxxx`) }));
    const res = await importKeys(items);
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toEqual([{ path: 'keys.1.sha256', message: expect.any(String) }]);
  });

  it('refuses an empty batch and one over 10,000 keys', async () => {
    expect((await importKeys([])).status).toBe(400);
    const many = Array.from({ length: 10_001 }, (_, i) => ({ name: `k${i}`, sha256: hashSecret(`s${i}`) }));
    const res = await importKeys(many);
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0]!.path).toBe('keys');
  });

  it('needs keys:write', async () => {
    const viewer = (await t.api('POST', '/v1/operators', { name: 'v', role: 'viewer' })).body.token;
    const res = await importKeys([{ name: 'x', sha256: hashSecret('some-secret-value-1') }], viewer);
    expect(res.status).toBe(403);
    expect(await keyCount()).toBe(0);
  });

  it('takes a body up to 4 MiB here, while every other route still refuses 65 KiB', async () => {
    // Few keys with large meta: the size is what is tested, and 10,000 keys took ~9 s here.
    const items = Array.from({ length: 600 }, (_, i) => ({ name: `bulk-${i}`, sha256: hashSecret(`bulk-${i}`), meta: { note: 'm'.repeat(4000) } }));
    const body = JSON.stringify({ keys: items });
    expect(body.length).toBeGreaterThan(2 * 1024 * 1024);
    const res = await importKeys(items);
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(201);
    expect(await keyCount()).toBe(600);
    expect(await verify('bulk-599')).toMatchObject({ valid: true, name: 'bulk-599' });

    const tooBig = await t.api('POST', '/v1/keys/import', { keys: [{ name: 'x', sha256: hashSecret('x'), description: 'd'.repeat(4 * 1024 * 1024) }] });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.code).toBe('payload_too_large');
    const other = await t.api('POST', '/v1/keys', { name: 'y', description: 'd'.repeat(65 * 1024) });
    expect(other.status).toBe(413);
    expect(other.body.error.message).toContain('64 KiB');
  });
});

describe('an import batch beside other work', () => {
  const batch = (prefix: string, count: number) =>
    Array.from({ length: count }, (_, i) => ({ name: `${prefix}-${i}`, sha256: createHash('sha256').update(`${prefix}-${i}`).digest('hex') }));

  it('lets the event loop turn while it is stored: its longest stall is a fraction of the call', async () => {
    const keys = batch('bulk', 10_000);
    const { secret } = await t.client.createKey('serving');
    const started = performance.now();
    const { result, longestGapMs: stallMs } = await countTurns(() => importKeys(keys));
    const tookMs = performance.now() - started;
    expect(result.status, JSON.stringify(result.body).slice(0, 300)).toBe(201);
    // Stored on the loop, the batch's transaction was nearly all of the call (~1 s here), one
    // stall; off it, what is left on the loop are its smaller steps (the body's checks, the
    // rows' names and ids, the index).
    expect(stallMs, `longest stall ${stallMs.toFixed(0)} ms of an import taking ${tookMs.toFixed(0)} ms`).toBeLessThan(tookMs / 2);
    expect(await keyCount()).toBe(10_001);
    expect(await verify(secret)).toMatchObject({ valid: true });
  }, 60_000);

  // PostgreSQL orders concurrent writes by its audit lock instead, whichever takes it first.
  it.skipIf(testBackend !== 'sqlite')('holds the writes asked for meanwhile until it commits, then makes them in turn (SQLite)', async () => {
    const target = await t.client.createKey('target');
    // The batch's rows are built a slice at a time first; the store holds the writes from the
    // moment it is given them.
    const storing = vi.spyOn(t.daemon.core.store, 'importKeys');
    const importing = importKeys(batch('held', 2000));
    await vi.waitFor(() => expect(storing).toHaveBeenCalled(), { interval: 1 });
    storing.mockRestore();
    // Both asked for while the batch is being stored: each waits for it, then sees its keys.
    const [deactivated, taken] = await Promise.all([t.api('POST', `/v1/keys/${target.key.id}/deactivate`), t.api('POST', '/v1/keys', { name: 'held-7' })]);
    expect((await importing).status).toBe(201);
    expect(deactivated.status, JSON.stringify(deactivated.body)).toBe(200);
    expect(taken.status, JSON.stringify(taken.body)).toBe(409);
    expect(taken.body.error.code).toBe('name_taken');
    const actions = (await t.api('GET', '/v1/audit?limit=3')).body.events.map((e: { action: string }) => e.action);
    expect(actions).toEqual(['key.deactivate', 'key.import', 'key.create']);
    // The batch's event was chained and signed in the worker's transaction, the next one after it.
    expect((await t.api('GET', '/v1/audit/verify')).body).toMatchObject({ ok: true });
    expect(await verify(target.secret)).toMatchObject({ valid: false, code: 'inactive' });
  });
});
