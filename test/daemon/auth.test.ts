/** Issue 3: operators, permissions, and the tamper-evident audit log. */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, storeQuery, type TestApp } from '../helpers/daemon.js';

type Role = 'admin' | 'manager' | 'viewer' | 'service';
const ROLES: Role[] = ['admin', 'manager', 'viewer', 'service'];

describe('every route × every role', () => {
  let t: TestApp;
  const tokens = {} as Record<Role, string>;

  beforeAll(async () => {
    t = await startTestApp();
    tokens.admin = t.adminToken;
    for (const role of ['manager', 'viewer', 'service'] as const) {
      tokens[role] = (await t.api('POST', '/v1/operators', { name: `${role}-op`, role })).body.token;
    }
  });
  afterAll(async () => {
    await t.stop();
  });

  /** Fixtures no allowed change has touched yet, so an allowed call always has something valid to act on. */
  async function fixtures() {
    const key = (await t.api('POST', '/v1/keys', { name: `k-${Math.random().toString(36).slice(2)}` })).body;
    const inactive = (await t.api('POST', '/v1/keys', { name: `i-${Math.random().toString(36).slice(2)}` })).body.key;
    await t.api('POST', `/v1/keys/${inactive.id}/deactivate`);
    const rotKey = (await t.api('POST', '/v1/keys', { name: `r-${Math.random().toString(36).slice(2)}` })).body.key;
    const rotation = (await t.api('POST', `/v1/keys/${rotKey.id}/rotations`, {})).body.rotation;
    const victim = (await t.api('POST', '/v1/operators', { name: `v-${Math.random().toString(36).slice(2)}`, role: 'viewer' })).body.operator;
    return { key: key.key, secret: key.secret as string, inactive, rotation, victim };
  }

  type F = Awaited<ReturnType<typeof fixtures>>;
  const routes: { method: string; path: (f: F) => string; body?: (f: F) => unknown; permission: string | null; ok: number }[] = [
    { method: 'GET', path: () => '/v1/me', permission: null, ok: 200 },
    { method: 'GET', path: () => '/v1/openapi.json', permission: null, ok: 200 },
    { method: 'GET', path: () => '/v1/keys', permission: 'keys:read', ok: 200 },
    { method: 'POST', path: () => '/v1/keys', body: () => ({ name: `n-${Math.random()}` }), permission: 'keys:write', ok: 201 },
    { method: 'GET', path: (f) => `/v1/keys/${f.key.id}`, permission: 'keys:read', ok: 200 },
    { method: 'PATCH', path: (f) => `/v1/keys/${f.key.id}`, body: () => ({ description: `d-${Math.random()}` }), permission: 'keys:write', ok: 200 },
    { method: 'POST', path: (f) => `/v1/keys/${f.key.id}/deactivate`, permission: 'keys:write', ok: 200 },
    { method: 'POST', path: (f) => `/v1/keys/${f.inactive.id}/activate`, permission: 'keys:write', ok: 200 },
    { method: 'DELETE', path: (f) => `/v1/keys/${f.inactive.id}`, permission: 'keys:write', ok: 204 },
    { method: 'GET', path: (f) => `/v1/keys/${f.key.id}/usage`, permission: 'keys:read', ok: 200 },
    { method: 'POST', path: () => '/v1/keys/lookup', body: (f) => ({ sha256: [createHash('sha256').update(f.secret).digest('hex')] }), permission: 'keys:read', ok: 200 },
    { method: 'POST', path: () => '/v1/keys/leaks', body: (f) => ({ leaks: [{ sha256: createHash('sha256').update(f.secret).digest('hex'), where: 'a.env:1' }] }), permission: 'keys:read', ok: 200 },
    { method: 'POST', path: () => '/v1/verify', body: (f) => ({ key: f.secret }), permission: 'keys:verify', ok: 200 },
    { method: 'POST', path: (f) => `/v1/keys/${f.key.id}/rotations`, body: () => ({}), permission: 'keys:write', ok: 201 },
    { method: 'GET', path: () => '/v1/rotations', permission: 'keys:read', ok: 200 },
    { method: 'GET', path: (f) => `/v1/rotations/${f.rotation.id}`, permission: 'keys:read', ok: 200 },
    { method: 'POST', path: (f) => `/v1/rotations/${f.rotation.id}/advance`, body: () => ({ from: 'update_systems' }), permission: 'keys:write', ok: 200 },
    { method: 'POST', path: (f) => `/v1/rotations/${f.rotation.id}/rollback`, permission: 'keys:write', ok: 409 },
    { method: 'POST', path: (f) => `/v1/rotations/${f.rotation.id}/cancel`, permission: 'keys:write', ok: 200 },
    { method: 'GET', path: () => '/v1/audit', permission: 'keys:read', ok: 200 },
    { method: 'GET', path: () => '/v1/operators', permission: 'operators:manage', ok: 200 },
    { method: 'POST', path: () => '/v1/operators', body: () => ({ name: `o-${Math.random()}`, role: 'viewer' }), permission: 'operators:manage', ok: 201 },
    { method: 'POST', path: (f) => `/v1/operators/${f.victim.id}/disable`, permission: 'operators:manage', ok: 200 },
    { method: 'GET', path: () => '/v1/webhooks', permission: 'operators:manage', ok: 200 },
    { method: 'POST', path: () => '/v1/webhooks', body: () => ({ url: 'http://127.0.0.1:9/hook' }), permission: 'operators:manage', ok: 201 },
    { method: 'DELETE', path: () => '/v1/webhooks/whk_none', permission: 'operators:manage', ok: 404 },
    { method: 'GET', path: () => '/v1/webhooks/whk_none/deliveries', permission: 'operators:manage', ok: 404 },
    { method: 'GET', path: () => '/metrics', permission: 'keys:read', ok: 200 },
    { method: 'GET', path: () => '/v1/alerts?state=all', permission: 'keys:read', ok: 200 },
    { method: 'POST', path: () => '/v1/alerts/alr_none/ack', permission: 'keys:write', ok: 404 },
    { method: 'GET', path: () => '/v1/tombstones', permission: 'keys:read', ok: 200 },
  ];
  const grants: Record<Role, string[]> = {
    admin: ['keys:read', 'keys:write', 'keys:verify', 'operators:manage'],
    manager: ['keys:read', 'keys:write', 'keys:verify'],
    viewer: ['keys:read'],
    service: ['keys:verify'],
  };

  it('answers each with success, 403 or 401 as the role table says', async () => {
    const mismatches: string[] = [];
    let f = await fixtures();
    for (const route of routes) {
      for (const role of ROLES) {
        const path = route.path(f);
        const allowed = route.permission === null || grants[role].includes(route.permission);
        const res = await t.api(route.method, path, route.body?.(f), tokens[role]);
        const want = allowed ? route.ok : 403;
        if (res.status !== want) mismatches.push(`${role} ${route.method} ${path}: ${res.status}, want ${want}`);
        if (!allowed && res.body.error.code !== 'forbidden') mismatches.push(`${role} ${route.method} ${path}: code ${res.body.error.code}`);
        const anon = await t.api(route.method, path, route.body?.(f), null);
        if (anon.status !== 401) mismatches.push(`anonymous ${route.method} ${path}: ${anon.status}`);
        // A refusal changed nothing, so the same fixtures serve the next request; an allowed
        // change may have used them up (a key deactivated, a rotation advanced).
        if (res.status < 300 && route.method !== 'GET') f = await fixtures();
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('answers the event stream by role', async () => {
    for (const role of ROLES) {
      const ctl = new AbortController();
      const res = await t.fetch(`${t.url}/v1/events`, { headers: { authorization: `Bearer ${tokens[role]}` }, signal: ctl.signal });
      expect(res.status, role).toBe(grants[role].includes('keys:read') ? 200 : 403);
      ctl.abort();
    }
  });

  it('refuses missing, malformed, unknown tokens and API keys as tokens with 401', async () => {
    const { secret } = (await t.api('POST', '/v1/keys', { name: 'an-api-key' })).body;
    const fakeOperator = 'kwo_' + t.adminToken.slice(4, -1) + (t.adminToken.endsWith('a') ? 'b' : 'a');
    for (const header of [undefined, '', 'Bearer', `Bearer${t.adminToken}`, `Bearer\t${t.adminToken}`, `Basic ${t.adminToken}`, `Bearer ${secret}`, `Bearer ${fakeOperator}`, `Bearer ${t.adminToken} extra`, 'Bearer kwo_123']) {
      const res = await t.fetch(`${t.url}/v1/keys`, { headers: header === undefined ? {} : { authorization: header } });
      expect(res.status, String(header)).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
  });

  it('reads the scheme in any case (RFC 7235) on every kind of route: a request, the metrics, the replica stream', async () => {
    for (const scheme of ['bearer', 'BEARER', 'bEaReR', 'Bearer ']) {
      for (const [path, token] of [['/v1/me', tokens.viewer], ['/metrics', tokens.viewer], ['/v1/replica', tokens.service]] as const) {
        const ctl = new AbortController();
        const res = await t.fetch(`${t.url}${path}`, { headers: { authorization: `${scheme} ${token}` }, signal: ctl.signal });
        expect(res.status, `${scheme} on ${path}`).toBe(200);
        ctl.abort();
      }
    }
  });

  it('never accepts an operator token as an API key', async () => {
    for (const role of ROLES) {
      const res = await t.api('POST', '/v1/verify', { key: tokens[role] }, tokens.service);
      expect(res.body).toEqual({ valid: false, code: 'malformed' });
    }
  });

  it('describes the caller in /v1/me', async () => {
    const res = await t.api('GET', '/v1/me', undefined, tokens.viewer);
    expect(res.body.operator).toMatchObject({ name: 'viewer-op', role: 'viewer', permissions: ['keys:read'] });
    expect(JSON.stringify(res.body)).not.toContain(tokens.viewer);
  });
});

describe('operators', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(async () => {
    await t.stop();
  });

  it('stops a disabled operator on its next request', async () => {
    const { operator, token } = (await t.api('POST', '/v1/operators', { name: 'bob', role: 'manager' })).body;
    expect(token).toMatch(/^kwo_/);
    expect((await t.api('GET', '/v1/keys', undefined, token)).status).toBe(200);
    const disabled = await t.api('POST', `/v1/operators/${operator.id}/disable`);
    expect(disabled.body.operator.disabledAt).not.toBeNull();
    expect((await t.api('GET', '/v1/keys', undefined, token)).status).toBe(401);
    await t.restart();
    expect((await t.api('GET', '/v1/keys', undefined, token)).status).toBe(401);
  });

  it('never lists a token and refuses duplicate operator names', async () => {
    const { token } = (await t.api('POST', '/v1/operators', { name: 'Carol', role: 'viewer' })).body;
    const list = await t.api('GET', '/v1/operators');
    expect(list.body.operators.map((o) => o.name)).toEqual(['admin', 'Carol']);
    expect(JSON.stringify(list.body)).not.toContain(token);
    const dup = await t.api('POST', '/v1/operators', { name: 'carol', role: 'admin' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('name_taken');
    expect((await t.api('POST', '/v1/operators', { name: 'x', role: 'root' })).status).toBe(400);
  });

  it('refuses to disable the last active admin', async () => {
    const me = (await t.api('GET', '/v1/me')).body.operator;
    const res = await t.api('POST', `/v1/operators/${me.id}/disable`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('last_admin');
    expect((await t.api('GET', '/v1/me')).status).toBe(200);
    const second = (await t.api('POST', '/v1/operators', { name: 'admin2', role: 'admin' })).body;
    expect((await t.api('POST', `/v1/operators/${me.id}/disable`, undefined, second.token)).status).toBe(200);
    expect((await t.api('POST', `/v1/operators/${second.operator.id}/disable`, undefined, second.token)).body.error.code).toBe('last_admin');
  });

  it('writes admin.token 0600 once and never rewrites it on restart', async () => {
    const file = join(t.home, 'admin.token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(t.home).mode & 0o777).toBe(0o700);
    const before = readFileSync(file, 'utf8');
    const mtime = statSync(file).mtimeMs;
    await t.restart();
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(statSync(file).mtimeMs).toBe(mtime);
    expect((await t.api('GET', '/v1/me')).status).toBe(200);
  });
});

describe('audit log', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(async () => {
    await t.stop();
  });

  it('records exactly one event per key change with the acting operator', async () => {
    const bob = (await t.api('POST', '/v1/operators', { name: 'bob', role: 'manager' })).body;
    const start = (await t.api('GET', '/v1/audit')).body.events.length;
    const { key, secret } = (await t.api('POST', '/v1/keys', { name: 'audited' }, bob.token)).body;
    await t.api('POST', `/v1/keys/${key.id}/deactivate`, undefined, bob.token);
    await t.api('POST', `/v1/keys/${key.id}/deactivate`, undefined, bob.token); // no change, no event
    await t.api('POST', `/v1/keys/${key.id}/activate`);
    await t.api('POST', `/v1/keys/${key.id}/deactivate`);
    await t.api('DELETE', `/v1/keys/${key.id}`, undefined, bob.token);
    await t.api('POST', '/v1/keys', { name: 'AUDITED' }); // the name is free again once deleted
    const events = (await t.api('GET', '/v1/audit')).body.events.slice(0, -start).reverse();
    expect(events.map((e) => [e.action, e.operatorName, e.targetName])).toEqual([
      ['key.create', 'bob', 'audited'],
      ['key.deactivate', 'bob', 'audited'],
      ['key.activate', 'admin', 'audited'],
      ['key.deactivate', 'admin', 'audited'],
      ['key.delete', 'bob', 'audited'],
      ['key.create', 'admin', 'AUDITED'],
    ]);
    expect(events.every((e) => e.targetType === 'key' && e.operatorId.startsWith('op_'))).toBe(true);
    expect(JSON.stringify(events)).not.toContain(secret);
    expect(JSON.stringify(events)).not.toContain(bob.token);
  });

  it('pages newest first with before', async () => {
    for (let i = 0; i < 5; i++) await t.api('POST', '/v1/keys', { name: `p${i}` });
    const first = (await t.api('GET', '/v1/audit?limit=2')).body.events;
    expect(first.map((e) => e.targetName)).toEqual(['p4', 'p3']);
    const next = (await t.api('GET', `/v1/audit?limit=2&before=${first[1]!.seq}`)).body.events;
    expect(next.map((e) => e.targetName)).toEqual(['p2', 'p1']);
  });

  it('detects an edited row and names it', async () => {
    for (const name of ['one', 'two', 'three']) await t.api('POST', '/v1/keys', { name });
    expect(await t.daemon.core.verifyAudit()).toMatchObject({ ok: true, events: 4 });
    const events = (await t.api('GET', '/v1/audit')).body.events;
    const target = events.find((e) => e.targetName === 'two')!;
    await storeQuery(t, 'UPDATE audit_events SET operator_name = ? WHERE seq = ?', ['mallory', target.seq]);
    const report = await t.daemon.core.verifyAudit();
    expect(report.ok).toBe(false);
    if (!report.ok) {
      expect(report.brokenAt?.seq).toBe(target.seq);
      expect(report.reason).toMatch(/edited/);
    }
  });

  it('detects a removed row', async () => {
    for (const name of ['one', 'two', 'three']) await t.api('POST', '/v1/keys', { name });
    const events = (await t.api('GET', '/v1/audit')).body.events;
    const two = events.find((e) => e.targetName === 'two')!;
    await storeQuery(t, 'DELETE FROM audit_events WHERE seq = ?', [two.seq]);
    const report = await t.daemon.core.verifyAudit();
    expect(report.ok).toBe(false);
    if (!report.ok) expect(report.brokenAt?.targetName).toBe('three');
  });
});
