/**
 * `keyward/express` (issue 14): the same verifier and the same HTTP answers as `keyward/hono`,
 * in an Express 5 app and in a bare `node:http` server (Connect's calling convention), with
 * the verified key on `req.apiKey`.
 */
import express from 'express';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { createServer, request, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret } from '../../src/daemon/secrets/format.js';
import { apiKeyOf, keyward, requireScope, type KeywardHandler } from '../../src/integration/express.js';
import { keyward as keywardHono } from '../../src/integration/hono.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let t: TestDaemon;
let token: string;
const handlers: KeywardHandler[] = [];
const servers: Server[] = [];

beforeAll(async () => {
  t = await startTestDaemon();
  token = (await t.client.createOperator('express-api', 'service')).token;
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await Promise.all(handlers.map((h) => h.verifier.close()));
  await t.stop();
});

function mounted(options: Partial<Parameters<typeof keyward>[0]> = {}): KeywardHandler {
  const handler = keyward({ url: t.url, token, caller: (req) => req.headers['x-caller'] as string | undefined, ...options });
  handlers.push(handler);
  return handler;
}

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A GET with headers as given: an array is one header line a value, which fetch cannot send. */
function rawGet(target: string, headers: Record<string, string | string[]>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // Typed as one string for `authorization`; node sends an array as one line a value.
    request(target, { headers: headers as OutgoingHttpHeaders }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    })
      .on('error', reject)
      .end();
  });
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}`, 'x-caller': 'express-test' });

/** After keys were created: every middleware's copy holds them (a replica not ready asks the daemon, which counts apart). */
const synced = () => Promise.all(handlers.map((h) => h.verifier.sync()));

describe('keyward() for Express', () => {
  let url: string;
  beforeAll(async () => {
    const app = express();
    app.use('/orders', mounted());
    app.get('/orders', (req, res) => void res.json(apiKeyOf(req)));
    // Under the `app.use('/orders', …)` above as well: both run for POST /orders.
    app.post('/orders', mounted({ scope: 'orders:write' }), (req, res) => void res.json(apiKeyOf(req)?.rateLimit ?? null));
    app.delete('/orders/:id', requireScope('orders:delete'), (_req, res) => void res.sendStatus(204));
    app.post('/refunds', mounted({ scope: 'refunds:write' }), (_req, res) => void res.sendStatus(201));
    url = await listen(createServer(app));
  });

  it('lets a valid key through with the key on the request and the RateLimit fields', async () => {
    const { key, secret } = await t.client.createKey('express-ok', { owner: 'team-orders', rateLimit: { limit: 10, windowSeconds: 60 } });
    const res = await fetch(`${url}/orders`, { headers: bearer(secret) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: key.id, name: 'express-ok', owner: 'team-orders', rateLimit: { limit: 10 } });
    expect(res.headers.get('ratelimit-policy')).toBe('"key";q=10;w=60');
    await expect.poll(async () => (await t.client.usage(key.id)).callers, { timeout: 5000 }).toEqual([expect.objectContaining({ caller: 'express-test', ok: 1 })]);
  });

  it('answers refusals as keyward/hono does', async () => {
    const { key, secret } = await t.client.createKey('express-refused', { scopes: ['orders:read'] });
    const missing = await fetch(`${url}/orders`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate'), 'no credentials: the scheme, no error code').toBe('Bearer');
    expect(await missing.json()).toMatchObject({ error: { code: 'unauthorized', reason: 'missing' } });

    const scoped = await fetch(`${url}/refunds`, { method: 'POST', headers: bearer(secret) });
    expect(scoped.status).toBe(403);
    expect(scoped.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="refunds:write"');

    const local = await fetch(`${url}/orders/7`, { method: 'DELETE', headers: bearer(secret) });
    expect(local.status).toBe(403);
    expect(await local.json()).toMatchObject({ error: { reason: 'insufficient_scope' } });

    await t.client.deactivateKey(key.id);
    const inactive = await fetch(`${url}/orders`, { headers: bearer(secret) });
    expect(await inactive.json()).toMatchObject({ error: { code: 'unauthorized', reason: 'inactive' } });
  });

  it('refuses two Authorization headers as keyward/hono does, not taking the first (node keeps only the first)', async () => {
    const { secret } = await t.client.createKey('express-two-headers');
    await synced();
    const hono = new Hono();
    const honoGuard = keywardHono({ url: t.url, token });
    hono.use('/orders', honoGuard);
    hono.get('/orders', (c) => c.json({ ok: true }));
    const honoServer = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: hono.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    try {
      await honoGuard.verifier.sync();
      const honoUrl = `http://127.0.0.1:${(honoServer.address() as AddressInfo).port}`;
      for (const base of [url, honoUrl]) {
        expect((await rawGet(`${base}/orders`, { authorization: `Bearer ${secret}` })).status, base).toBe(200);
        const twice = await rawGet(`${base}/orders`, { authorization: [`Bearer ${secret}`, 'Bearer kw_other'] });
        expect(twice.status, base).toBe(401);
        expect(JSON.parse(twice.body), base).toMatchObject({ error: { code: 'unauthorized', reason: 'missing' } });
      }
    } finally {
      // Its verifier is the Express handlers' (one a daemon and token), closed with theirs.
      await new Promise((resolve) => honoServer.close(resolve));
    }
  });

  it('verifies once when two keyward() match one request, the second checking its scopes', async () => {
    const { secret } = await t.client.createKey('express-twice', { scopes: ['orders:*'], rateLimit: { limit: 2, windowSeconds: 3600 } });
    const { secret: reader } = await t.client.createKey('express-twice-reader', { scopes: ['orders:read'] });
    await synced();
    const post = (key: string) => fetch(`${url}/orders`, { method: 'POST', headers: bearer(key) });
    for (const remaining of [1, 0]) expect(await (await post(secret)).json(), `remaining ${remaining}`).toMatchObject({ remaining });
    expect((await post(secret)).status, 'the third is over the limit').toBe(429);
    const refused = await post(reader);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="orders:write"');
  });

  it('answers every refusal as keyward/hono does: key, address, rate limit and quota', async () => {
    const { secret: limited } = await t.client.createKey('express-limited', { rateLimit: { limit: 1, windowSeconds: 3600 } });
    const { secret: metered } = await t.client.createKey('express-metered', { quota: { remaining: 1 } });
    const { secret: elsewhere } = await t.client.createKey('express-elsewhere', { allowedIps: ['192.0.2.0/24'] });
    const { secret: local } = await t.client.createKey('express-local', { allowedIps: ['127.0.0.1'] });
    await synced();
    const get = (key: string) => fetch(`${url}/orders`, { headers: bearer(key) });
    const refusal = async (res: Response) => [res.status, ((await res.json()) as { error: { reason: string } }).error.reason];

    expect(await refusal(await get('kw_short'))).toEqual([401, 'malformed']);
    expect(await refusal(await get(generateSecret('kw_')))).toEqual([401, 'not_found']);
    expect((await get(local)).status, 'the address is read from the connection').toBe(200);
    expect(await refusal(await get(elsewhere))).toEqual([403, 'ip_not_allowed']);

    expect((await get(limited)).status).toBe(200);
    const slowDown = await get(limited);
    expect(slowDown.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(slowDown.headers.get('ratelimit')).toMatch(/^"key";r=0;t=\d+$/);
    expect(await refusal(slowDown)).toEqual([429, 'rate_limited']);

    expect((await get(metered)).status).toBe(200);
    expect(await refusal(await get(metered))).toEqual([429, 'quota_exhausted']);
  });

  it('reads the client address from a trusted proxy\'s header, the right hop', async () => {
    const app = express();
    app.get('/', mounted({ trustedProxy: { header: 'x-forwarded-for' } }), (_req, res) => void res.send('ok'));
    const proxied = await listen(createServer(app));
    const { secret } = await t.client.createKey('express-proxied', { allowedIps: ['192.0.2.0/24'] });
    await synced();
    const from = (forwarded?: string) => fetch(`${proxied}/`, { headers: { ...bearer(secret), ...(forwarded && { 'x-forwarded-for': forwarded }) } });
    expect((await from('203.0.113.9, 192.0.2.7')).status, 'the proxy appended the client it saw').toBe(200);
    expect((await from('192.0.2.7, 203.0.113.9')).status, 'a client-written entry before it does not count').toBe(403);
    expect((await from()).status, 'no header: no address to allow').toBe(403);
  });

  it('fails closed with 503 when neither a copy nor the daemon can answer', async () => {
    const { secret } = await t.client.createKey('express-outage');
    const problems: Error[] = [];
    const app = express();
    const unreachable = keyward({ url: 'http://127.0.0.1:9', token, onUnavailable: (e) => problems.push(e) });
    app.get('/', unreachable, (_req, res) => void res.send('never'));
    const res = await fetch(`${await listen(createServer(app))}/`, { headers: bearer(secret) });
    await unreachable.verifier.close();
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(problems).toHaveLength(1);
  });
});

describe('keyward() in a bare node:http server', () => {
  it('works with nothing but a request, a response and a next', async () => {
    const auth = mounted();
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      auth(req, res, (err) => {
        if (err) {
          res.statusCode = 500;
          res.end();
          return;
        }
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ hello: apiKeyOf(req)?.name }));
      });
    });
    const url = await listen(server);
    const { secret } = await t.client.createKey('plain-node');
    const res = await fetch(url, { headers: bearer(secret) });
    expect(await res.json()).toEqual({ hello: 'plain-node' });
    expect((await fetch(url)).status).toBe(401);
  });
});
