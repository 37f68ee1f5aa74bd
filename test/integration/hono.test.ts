/**
 * Issue 7: the `keyward/hono` middleware in front of a Hono app, checking keys against a real
 * daemon: a valid key passes with its id and name on the context and the caller recorded;
 * missing, unknown, inactive and expired keys get 401; a daemon that cannot answer gets 503.
 */
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret } from '../../src/daemon/secrets/format.js';
import { keyward, type KeywardOptions, type KeywardVariables } from '../../src/integration/hono.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let t: TestDaemon;
let offset = 0;
let serviceToken: string;

beforeAll(async () => {
  t = await startTestDaemon({ now: () => Date.now() + offset });
  serviceToken = (await t.client.createOperator('api-gateway', 'service')).token;
});
afterAll(() => t.stop());

function protectedApp(options: Partial<KeywardOptions> = {}) {
  const app = new Hono<{ Variables: KeywardVariables }>();
  app.use('/api/*', keyward({ url: t.url, token: serviceToken, caller: (c) => c.req.header('x-caller'), ...options }));
  app.get('/api/whoami', (c) => c.json(c.get('apiKey')));
  return app;
}

const call = (app: Hono<{ Variables: KeywardVariables }>, headers: Record<string, string> = {}) => app.request('/api/whoami', { headers });
const bearer = (key: string, caller?: string) => ({ authorization: `Bearer ${key}`, ...(caller ? { 'x-caller': caller } : {}) });

describe('keyward() middleware', () => {
  it('lets a valid key through with its id and name, and records the caller', async () => {
    const { key, secret } = await t.client.createKey('mobile-app');
    const res = await call(protectedApp(), bearer(secret, 'ios-build-42'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: key.id, name: 'mobile-app', owner: null, meta: null, scopes: null });
    const { callers } = await t.client.usage(key.id);
    expect(callers).toEqual([expect.objectContaining({ caller: 'ios-build-42', ok: 1, rejected: 0 })]);
  });

  it('answers 401 with the reason for a missing, malformed, unknown, inactive or expired key', async () => {
    const app = protectedApp();
    const { key: inactive, secret: inactiveSecret } = await t.client.createKey('retired');
    await t.client.deactivateKey(inactive.id);
    const { key: expiring, secret: expiringSecret } = await t.client.createKey('short-lived', new Date(Date.now() + offset + 60_000).toISOString());
    offset += 120_000;
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'missing'],
      [{ authorization: 'Basic dXNlcjpwYXNz' }, 'missing'],
      [bearer('kw_short'), 'malformed'],
      [bearer(`kw_${'a'.repeat(600)}`), 'malformed'],
      [bearer(generateSecret('kw_')), 'not_found'],
      [bearer(inactiveSecret, 'old-cron'), 'inactive'],
      [bearer(expiringSecret), 'expired'],
    ];
    for (const [headers, reason] of cases) {
      const res = await call(app, headers);
      expect(res.status, reason).toBe(401);
      expect(res.headers.get('www-authenticate'), reason).toMatch(/^Bearer /);
      expect(await res.json(), reason).toMatchObject({ error: { code: 'unauthorized', reason } });
    }
    const { callers } = await t.client.usage(inactive.id);
    expect(callers).toEqual([expect.objectContaining({ caller: 'old-cron', ok: 0, rejected: 1 })]);
    expect((await t.client.getKey(expiring.id)).key.uses24h).toBe(1);
  });

  it('labels the caller with its network address by default', async () => {
    const { key, secret } = await t.client.createKey('server-to-server');
    const app = new Hono<{ Variables: KeywardVariables }>();
    app.use('*', keyward({ url: t.url, token: serviceToken }));
    app.get('/', (c) => c.text(c.get('apiKey').name));
    const server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { headers: bearer(secret) });
      expect(await res.text()).toBe('server-to-server');
    } finally {
      server.close();
    }
    const { callers } = await t.client.usage(key.id);
    expect(callers.map((c) => c.caller)).toEqual([expect.stringMatching(/127\.0\.0\.1$/)]);
  });

  it('fails closed with 503 when the daemon cannot answer or refuses its token', async () => {
    const { secret } = await t.client.createKey('during-outage');
    const viewerToken = (await t.client.createOperator('not-a-service', 'viewer')).token;
    for (const options of [{ url: 'http://127.0.0.1:9' }, { token: viewerToken }]) {
      const problems: Error[] = [];
      const res = await call(protectedApp({ ...options, onUnavailable: (e) => problems.push(e) }), bearer(secret));
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toMatchObject({ error: { code: 'unavailable' } });
      expect(problems).toHaveLength(1);
      expect(problems[0]!.message).not.toContain(secret);
    }
  });

  it('checks its options up front', () => {
    expect(() => keyward({ url: 'localhost:7420', token: serviceToken })).toThrow(/url must be an http\(s\) URL/);
    expect(() => keyward({ url: t.url, token: 'kw_notAnOperatorToken' })).toThrow(/operator token/);
  });
});
