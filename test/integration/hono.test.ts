/**
 * Issue 7: the `keyward/hono` middleware in front of a Hono app, checking keys against a real
 * daemon: a valid key passes with its id and name on the context and the caller recorded;
 * missing, unknown, inactive and expired keys get 401; a daemon that cannot answer gets 503.
 * Every test runs in both modes (issue 14): `replica`, the default, verifying from an
 * in-process copy, and `remote`, asking the daemon per request. The same answers, the same
 * usage — a replica's arrives with its next report, so the tests wait for it.
 */
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateSecret } from '../../src/daemon/secrets/format.js';
import { SCOPES_MAX } from '../../src/decide/scopes.js';
import { keyward, protect, requireScope, type KeywardOptions, type KeywardVariables } from '../../src/integration/hono.js';
import type { Verifier } from '../../src/integration/verifier/index.js';
import { writePrivate } from '../../src/private-files.js';
import { startTestDaemon, tempHome, type TestDaemon } from '../helpers/daemon.js';

let t: TestDaemon;
let offset = 0;
let serviceToken: string;

/** The verifiers the middlewares made (one per daemon, token and mode: they share them). */
const verifiers = new Set<Verifier>();


/** The middleware, its verifier noted for `synced()` and the clean-up. */
function mounted(options: KeywardOptions) {
  const middleware = keyward(options);
  verifiers.add(middleware.verifier);
  return middleware;
}

/** After a write that widened access: the verifiers see it (a replica's copy catches up). */
const synced = () => Promise.all([...verifiers].filter((v) => v.state !== 'closed').map((v) => v.sync().catch(() => undefined)));

/** A key's callers, as they become what the test expects (a replica reports about once a second). */
const callersOf = (id: string) => expect.poll(async () => (await t.client.usage(id)).callers, { timeout: 5000 });

const call = (app: Hono<{ Variables: KeywardVariables }>, headers: Record<string, string> = {}) => app.request('/api/whoami', { headers });
const bearer = (key: string, caller?: string) => ({ authorization: `Bearer ${key}`, ...(caller ? { 'x-caller': caller } : {}) });

describe.each(['replica', 'remote'] as const)('keyward() in %s mode', (mode) => {
  beforeAll(async () => {
    t = await startTestDaemon({ now: () => Date.now() + offset });
    serviceToken = (await t.client.createOperator('api-gateway', 'service')).token;
  });
  afterAll(async () => {
    await Promise.all([...verifiers].map((v) => v.close()));
    verifiers.clear();
    await t.stop();
  });

  function protectedApp(options: Partial<KeywardOptions> = {}) {
    const app = new Hono<{ Variables: KeywardVariables }>();
    app.use('/api/*', mounted({ url: t.url, token: serviceToken, mode, caller: (c) => c.req.header('x-caller'), ...options }));
    app.get('/api/whoami', (c) => c.json(c.get('apiKey')));
    return app;
  }

  describe('keyward() middleware', () => {
    it('lets a valid key through with its id and name, and records the caller', async () => {
      const { key, secret } = await t.client.createKey('mobile-app');
      const res = await call(protectedApp(), bearer(secret, 'ios-build-42'));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id: key.id, name: 'mobile-app', owner: null, meta: null, scopes: null });
      await callersOf(key.id).toEqual([expect.objectContaining({ caller: 'ios-build-42', ok: 1, rejected: 0 })]);
    });

    it('answers 401 with the reason for a missing, malformed, unknown, inactive or expired key', async () => {
      const app = protectedApp();
      const { key: inactive, secret: inactiveSecret } = await t.client.createKey('retired');
      await t.client.deactivateKey(inactive.id);
      const { key: expiring, secret: expiringSecret } = await t.client.createKey('short-lived', new Date(Date.now() + offset + 60_000).toISOString());
      offset += 120_000;
      // A replica reads the daemon's clock with each ack.
      await synced();
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
        expect(res.headers.get('www-authenticate'), reason).toBe(reason === 'missing' ? 'Bearer' : 'Bearer error="invalid_token"');
        expect(await res.json(), reason).toMatchObject({ error: { code: 'unauthorized', reason } });
      }
      await callersOf(inactive.id).toEqual([expect.objectContaining({ caller: 'old-cron', ok: 0, rejected: 1 })]);
      await expect.poll(async () => (await t.client.getKey(expiring.id)).key.uses24h).toBe(1);
    });

    it('labels the caller with its network address by default, an IPv4-mapped one as IPv4', async () => {
      const { key, secret } = await t.client.createKey('server-to-server');
      const app = new Hono<{ Variables: KeywardVariables }>();
      app.use('*', mounted({ url: t.url, token: serviceToken, mode }));
      app.get('/', (c) => c.text(c.get('apiKey').name));
      // An IPv6 socket, as a dual-stack server has: its IPv4 clients arrive as ::ffff:127.0.0.1.
      const server = await new Promise<ServerType>((resolve) => {
        const s = serve({ fetch: app.fetch, port: 0, hostname: '::ffff:127.0.0.1' }, () => resolve(s));
      });
      try {
        const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { headers: bearer(secret) });
        expect(await res.text()).toBe('server-to-server');
      } finally {
        server.close();
      }
      await expect.poll(async () => (await t.client.usage(key.id)).callers.map((c) => c.caller), { timeout: 5000 }).toEqual(['127.0.0.1']);
    });

    it('fails closed with 503 when the daemon cannot answer or refuses its token', async () => {
      const { secret } = await t.client.createKey('during-outage');
      const viewerToken = (await t.client.createOperator('not-a-service', 'viewer')).token;
      for (const options of [{ url: 'http://127.0.0.1:9' }, { token: viewerToken }]) {
        const problems: Error[] = [];
        const middleware = keyward({ url: t.url, token: serviceToken, mode, ...options, onUnavailable: (e) => problems.push(e) });
        const app = new Hono<{ Variables: KeywardVariables }>().use('*', middleware).get('/api/whoami', (c) => c.text('never'));
        const res = await call(app, bearer(secret));
        await middleware.verifier.close();
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('1');
        expect(await res.json()).toMatchObject({ error: { code: 'unavailable' } });
        expect(problems).toHaveLength(1);
        expect(problems[0]!.message).not.toContain(secret);
      }
    });

    it('says so on stderr once, not once a request, by default', async () => {
      const { secret } = await t.client.createKey(`outage-log-${mode}`);
      const middleware = keyward({ url: 'http://127.0.0.1:9', token: serviceToken, mode });
      const app = new Hono<{ Variables: KeywardVariables }>().use('*', middleware).get('/api/whoami', (c) => c.text('never'));
      const lines: string[] = [];
      const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0);
      try {
        for (let i = 0; i < 20; i++) expect((await call(app, bearer(secret))).status).toBe(503);
      } finally {
        write.mockRestore();
        await middleware.verifier.close();
      }
      expect(lines.filter((l) => l.startsWith('keyward: cannot verify API keys'))).toEqual([expect.stringMatching(/^keyward: cannot verify API keys: the daemon at http:\/\/127\.0\.0\.1:9 could not verify: /)]);
    });

    it('protect() guards a route as its one handler, with the same answers', async () => {
      const { key, secret } = await t.client.createKey('protected-route', { rateLimit: { limit: 5, windowSeconds: 60 } });
      await synced();
      const route = protect({ url: t.url, token: serviceToken, mode }, (c) => c.json({ id: c.get('apiKey').id }));
      verifiers.add(route.verifier);
      const app = new Hono<{ Variables: KeywardVariables }>().get('/orders', route);
      const ok = await app.request('/orders', { headers: bearer(secret) });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ id: key.id });
      expect(ok.headers.get('ratelimit-policy')).toBe('"key";q=5;w=60');
      const refused = await app.request('/orders', { headers: bearer(generateSecret('kw_')) });
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ error: { reason: 'not_found' } });
    });

    it('checks its options up front', () => {
      expect(() => keyward({ url: 'localhost:7420', token: serviceToken })).toThrow(/url must be an http\(s\) origin/);
      for (const url of [`${t.url}/../v1/keys#`, `${t.url}/v1`, t.url.replace('//', '//user:pw@'), 'file:///etc/passwd']) {
        expect(() => keyward({ url, token: serviceToken }), url).toThrow(/url must be an http\(s\) origin/);
      }
      expect(() => keyward({ url: `${t.url}/`, token: serviceToken })).not.toThrow();
      expect(() => keyward({ url: t.url, token: 'kw_notAnOperatorToken' })).toThrow(/operator token/);
      expect(() => keyward({ url: t.url, token: `${serviceToken}\r\nX-Injected: 1` })).toThrow(/operator token/);
    });

    it('does not repeat a token pasted where the url goes in the error it throws', () => {
      let thrown: unknown;
      try {
        keyward({ url: serviceToken, token: serviceToken });
      } catch (err) {
        thrown = err;
      }
      expect(String(thrown)).toMatch(/url must be an http\(s\) origin .*kwo_…\(secret removed\)/);
      expect(String(thrown)).not.toContain(serviceToken);
    });

    it('refuses at once a lease the daemon would refuse at every connect, and a time-out fetch would refuse at every request', () => {
      for (const leaseMs of [0, 50, 99, 60_001, 1.5, Number.NaN]) {
        expect(() => keyward({ url: t.url, token: serviceToken, leaseMs }), String(leaseMs)).toThrow(/leaseMs must be a whole number of milliseconds from 100 to 60000/);
      }
      for (const timeoutMs of [0, -1, 2.5, Number.POSITIVE_INFINITY, 'abc' as unknown as number]) {
        expect(() => keyward({ url: t.url, token: serviceToken, mode: 'remote', timeoutMs }), String(timeoutMs)).toThrow(/timeoutMs must be a whole number of milliseconds above 0/);
      }
    });

    it("never borrows the home's admin token, and checks KEYWARD_URL as it checks url", () => {
      const saved = { token: process.env.KEYWARD_TOKEN, url: process.env.KEYWARD_URL };
      delete process.env.KEYWARD_TOKEN;
      const home = tempHome();
      try {
        writePrivate(join(home, 'admin.token'), `${serviceToken}\n`);
        // As `token: process.env.KEYWARD_SERVICE_TOKEN!` gives with that variable unset.
        expect(() => keyward({ url: t.url, home, token: undefined })).toThrow(/token is required/);
        process.env.KEYWARD_URL = 'file:///etc/passwd';
        expect(() => keyward({ token: serviceToken })).toThrow(/url must be an http\(s\) origin/);
      } finally {
        for (const [name, value] of [['KEYWARD_TOKEN', saved.token], ['KEYWARD_URL', saved.url]] as const) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
        rmSync(home, { recursive: true, force: true });
      }
    });
  });

  describe('keyward() with key policy', () => {
    type App = Hono<{ Variables: KeywardVariables }>;
    const proxied = { trustedProxy: { header: 'x-forwarded-for' } };

    function policyApp(routes: (app: App, options: KeywardOptions) => void): App {
      const app = new Hono<{ Variables: KeywardVariables }>();
      routes(app, { url: t.url, token: serviceToken, mode, caller: () => 'policy-test', ...proxied });
      return app;
    }

    const from = (ip: string, key: string) => ({ authorization: `Bearer ${key}`, 'x-forwarded-for': `203.0.113.50, ${ip}` });

    it('puts owner, meta and scopes on the context and sends the RateLimit fields', async () => {
      const { key, secret } = await t.client.createKey('policy-ok', {
        owner: 'team-orders',
        meta: { plan: 'pro' },
        scopes: ['orders:*'],
        allowedIps: ['192.0.2.0/24'],
        rateLimit: { limit: 5, windowSeconds: 60 },
        quota: { remaining: 10 },
      });
      await synced();
      const app = policyApp((a, o) => a.post('/orders', mounted({ ...o, scope: 'orders:write' }), (c) => c.json(c.get('apiKey'))));
      const res = await app.request('/orders', { method: 'POST', headers: from('192.0.2.10', secret) });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        id: key.id,
        name: 'policy-ok',
        owner: 'team-orders',
        meta: { plan: 'pro' },
        scopes: ['orders:*'],
        rateLimit: { limit: 5, windowSeconds: 60, remaining: 4, resetSeconds: expect.any(Number) },
        quota: { remaining: 9 },
      });
      expect(res.headers.get('ratelimit-policy')).toBe('"key";q=5;w=60');
      expect(res.headers.get('ratelimit')).toMatch(/^"key";r=4;t=\d+$/);
    });

    it('answers each refusal with its status, reason and headers, and the daemon counts them', async () => {
      const { key, secret } = await t.client.createKey('policy-refused', {
        scopes: ['orders:read'],
        allowedIps: ['192.0.2.0/24', '2001:db8::/32'],
        rateLimit: { limit: 2, windowSeconds: 3600 },
        quota: { remaining: 3 },
      });
      await synced();
      const app = policyApp((a, o) => {
        a.get('/orders', mounted({ ...o, scope: 'orders:read' }), (c) => c.text('list'));
        a.post('/orders', mounted({ ...o, scope: ['orders:read', 'orders:write'] }), (c) => c.text('created'));
      });
      const get = (ip: string) => app.request('/orders', { headers: from(ip, secret) });

      const outside = await get('198.51.100.7');
      expect(outside.status).toBe(403);
      expect(await outside.json()).toMatchObject({ error: { code: 'forbidden', reason: 'ip_not_allowed' } });
      expect(outside.headers.get('www-authenticate')).toBeNull();

      const scoped = await app.request('/orders', { method: 'POST', headers: from('192.0.2.1', secret) });
      expect(scoped.status).toBe(403);
      expect(scoped.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="orders:read orders:write"');
      expect(await scoped.json()).toMatchObject({ error: { code: 'forbidden', reason: 'insufficient_scope' } });

      expect((await get('::ffff:192.0.2.1')).status).toBe(200);
      expect((await get('2001:db8::5')).status).toBe(200);
      const limited = await get('192.0.2.1');
      expect(limited.status).toBe(429);
      expect(await limited.json()).toMatchObject({ error: { code: 'too_many_requests', reason: 'rate_limited' } });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.headers.get('ratelimit-policy')).toBe('"key";q=2;w=3600');
      expect(limited.headers.get('ratelimit')).toMatch(/^"key";r=0;t=\d+$/);

      await t.client.editKey(key.id, { rateLimit: null });
      await synced();
      expect((await get('192.0.2.1')).status).toBe(200);
      const exhausted = await get('192.0.2.1');
      expect(exhausted.status).toBe(429);
      expect(await exhausted.json()).toMatchObject({ error: { code: 'too_many_requests', reason: 'quota_exhausted' } });
      expect(exhausted.headers.get('retry-after')).toBeNull();

      await callersOf(key.id).toEqual([expect.objectContaining({ caller: 'policy-test', ok: 3, rejected: 4 })]);
    });

    it('sends no address a client could forge when the proxy header is missing or garbage', async () => {
      const { secret } = await t.client.createKey('policy-proxy', { allowedIps: ['192.0.2.0/24'] });
      const app = policyApp((a, o) => a.get('/x', mounted(o), (c) => c.text('ok')));
      const status = async (headers: Record<string, string>) => (await app.request('/x', { headers: { authorization: `Bearer ${secret}`, ...headers } })).status;
      expect(await status({})).toBe(403);
      expect(await status({ 'x-forwarded-for': 'not-an-ip' })).toBe(403);
      // The entry the trusted proxy appended (the last) counts, not one the client put first.
      expect(await status({ 'x-forwarded-for': '192.0.2.1, 198.51.100.1' })).toBe(403);
      expect(await status({ 'x-forwarded-for': '198.51.100.1, 192.0.2.1' })).toBe(200);
      expect(await status({ 'x-forwarded-for': '[::ffff:192.0.2.1]:4711' })).toBe(200);
      const twoProxies = new Hono<{ Variables: KeywardVariables }>();
      twoProxies.get('/x', mounted({ url: t.url, token: serviceToken, mode, trustedProxy: { header: 'x-forwarded-for', hops: 2 } }), (c) => c.text('ok'));
      const viaTwo = await twoProxies.request('/x', { headers: { authorization: `Bearer ${secret}`, 'x-forwarded-for': '192.0.2.1, 10.0.0.2' } });
      expect(viaTwo.status).toBe(200);
    });

    it('sends the connection’s address by default', async () => {
      const { secret } = await t.client.createKey('policy-socket', { allowedIps: ['127.0.0.0/8'] });
      const { secret: elsewhere } = await t.client.createKey('policy-socket-elsewhere', { allowedIps: ['192.0.2.0/24'] });
      const app = new Hono<{ Variables: KeywardVariables }>();
      app.get('/', mounted({ url: t.url, token: serviceToken, mode }), (c) => c.text(c.get('apiKey').name));
      const server = await new Promise<ServerType>((resolve) => {
        const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
      });
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
        expect((await fetch(url, { headers: bearer(secret) })).status).toBe(200);
        // A forwarded-for header means nothing without trustedProxy.
        expect((await fetch(url, { headers: { ...bearer(elsewhere), 'x-forwarded-for': '192.0.2.1' } })).status).toBe(403);
      } finally {
        server.close();
      }
    });

    it('lets requireScope decide from the scopes the verify returned', async () => {
      const { secret: reader } = await t.client.createKey('scope-reader', { scopes: ['orders:read'] });
      const { secret: admin } = await t.client.createKey('scope-admin', { scopes: ['orders:*'] });
      const { secret: unrestricted } = await t.client.createKey('scope-any');
      const app = new Hono<{ Variables: KeywardVariables }>();
      app.use('/orders/*', mounted({ url: t.url, token: serviceToken, mode }));
      app.delete('/orders/:id', requireScope('orders:delete'), (c) => c.text('deleted'));
      const status = async (key: string) => {
        const res = await app.request('/orders/7', { method: 'DELETE', headers: bearer(key) });
        return [res.status, res.headers.get('www-authenticate')];
      };
      expect(await status(reader)).toEqual([403, 'Bearer error="insufficient_scope", scope="orders:delete"']);
      expect(await status(admin)).toEqual([200, null]);
      expect(await status(unrestricted)).toEqual([200, null]);
      expect((await app.request('/orders/7', { method: 'DELETE' })).status).toBe(401);
    });

    it('verifies once when two keyward() match one request, the second checking its scopes', async () => {
      const { key, secret } = await t.client.createKey('mounted-twice', { scopes: ['orders:*'], rateLimit: { limit: 3, windowSeconds: 3600 } });
      const { secret: reader } = await t.client.createKey('mounted-twice-reader', { scopes: ['orders:read'] });
      // `/orders/*` matches `/orders` too: both middlewares run for POST /orders.
      const app = policyApp((a, o) => {
        a.use('/orders/*', mounted(o));
        a.post('/orders', mounted({ ...o, scope: 'orders:write' }), (c) => c.json(c.get('apiKey').rateLimit));
      });
      // A replica not yet ready asks the daemon, which counts apart from it: ready it first.
      await synced();
      const post = (k: string) => app.request('/orders', { method: 'POST', headers: from('192.0.2.10', k) });
      // Three requests within a limit of three: each counted once, not twice.
      for (const remaining of [2, 1, 0]) {
        const res = await post(secret);
        expect(res.status, `remaining ${remaining}`).toBe(200);
        expect(await res.json()).toMatchObject({ remaining });
      }
      expect((await post(secret)).status, 'the fourth is over the limit').toBe(429);
      const refused = await post(reader);
      expect(refused.status, 'the route\'s scope, checked against the key the first let through').toBe(403);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="orders:write"');
      await expect.poll(async () => (await t.client.getKey(key.id)).key.uses24h, { timeout: 5000 }).toBe(4);
    });

    it('protect() behind a keyward() that already verified the request checks its scopes only', async () => {
      const { key, secret } = await t.client.createKey('protected-twice', { scopes: ['orders:read'], rateLimit: { limit: 3, windowSeconds: 3600 } });
      const app = policyApp((a, o) => {
        a.use('/orders/*', mounted(o));
        a.get('/orders', protect({ ...o, scope: 'orders:read' }, (c) => c.json(c.get('apiKey').rateLimit)));
        a.post('/orders', protect({ ...o, scope: 'orders:write' }, (c) => c.text('created')));
      });
      await synced();
      const call = (method: string) => app.request('/orders', { method, headers: from('192.0.2.10', secret) });
      for (const remaining of [2, 1]) expect(await (await call('GET')).json(), `remaining ${remaining}`).toMatchObject({ remaining });
      expect((await call('POST')).status, 'orders:write is not granted').toBe(403);
      expect((await call('GET')).status, 'three requests so far, each counted once: the fourth is over the limit').toBe(429);
      await expect.poll(async () => (await t.client.getKey(key.id)).key.uses24h, { timeout: 5000 }).toBe(4);
    });

    it('checks scope options up front and refuses requireScope without keyward() before it', async () => {
      expect(() => keyward({ url: t.url, token: serviceToken, scope: 'orders write' })).toThrow(/scope "orders write" must be segments/);
      expect(() => requireScope()).toThrow(/at least one scope/);
      expect(() => keyward({ url: t.url, token: serviceToken, trustedProxy: { header: 'x-forwarded-for', hops: 0 } })).toThrow(/hops/);
      // More scopes than the daemon's verify takes: refused alike whether the replica or the daemon would answer.
      const many = Array.from({ length: SCOPES_MAX + 1 }, (_, i) => `orders:${i}`);
      expect(() => keyward({ url: t.url, token: serviceToken, mode, scope: many })).toThrow(/at most 64 scopes/);
      const { verifier } = mounted({ url: t.url, token: serviceToken, mode });
      await expect(verifier.verify(generateSecret('kw_'), { scope: many })).rejects.toThrow(/at most 64 scopes/);
      const app = new Hono<{ Variables: KeywardVariables }>();
      app.get('/', requireScope('a:b'), (c) => c.text('never'));
      expect((await app.request('/')).status).toBe(500);
    });
  });
});
