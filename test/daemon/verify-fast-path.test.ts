/**
 * The verify fast path (src/daemon/verify/fast-path.ts) must answer exactly as the full route.
 * A client-chosen X-Request-Id sends a request down the full route, so each request is sent
 * both ways and the answers compared.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/daemon.js';

let t: TestApp;
let secret: string;
let inactive: string;
let service: string;
let viewer: string;
let policed: string;

beforeAll(async () => {
  t = await startTestApp();
  secret = (await t.client.createKey('fast')).secret;
  const off = await t.client.createKey('fast-off');
  await t.client.deactivateKey(off.key.id);
  inactive = off.secret;
  policed = (
    await t.client.createKey('fast-policy', {
      owner: 'team-fast',
      meta: { plan: 'pro', limits: [1, 2] },
      scopes: ['orders:*', 'billing:read'],
      allowedIps: ['192.0.2.0/24', '2001:db8::/32'],
      // Each case below sends two verifies (fast, then full): room for every accepted one.
      rateLimit: { limit: 1000, windowSeconds: 3600 },
      quota: { remaining: 1000, refill: { amount: 1000, intervalSeconds: 86_400 } },
    })
  ).secret;
  service = (await t.client.createOperator('svc', 'service')).token;
  viewer = (await t.client.createOperator('viewer', 'viewer')).token;
});
afterAll(async () => {
  await t.stop();
});

async function send(body: string, headers: Record<string, string>, fullRoute: boolean) {
  const res = await t.fetch(`${t.url}/v1/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers, ...(fullRoute ? { 'x-request-id': 'full-route' } : {}) },
    body,
  });
  const json = (await res.json()) as { error?: { requestId?: string } };
  if (json.error) delete json.error.requestId;
  return { status: res.status, body: json };
}

type Counted = { rateLimit?: { remaining: number }; quota?: { remaining: number } };

/**
 * Rate-limit and quota counters go down by one between the two answers to the same request:
 * checks that, then evens them so the rest of the answers can be compared whole.
 */
function countedOnce(fast: Counted, full: Counted): boolean {
  for (const field of ['rateLimit', 'quota'] as const) {
    const [a, b] = [fast[field], full[field]];
    if (!a || !b) continue;
    if (b.remaining !== a.remaining - 1) return false;
    b.remaining = a.remaining;
  }
  return true;
}

describe('verify fast path', () => {
  const cases: [string, () => string, () => Record<string, string>][] = [
    ['a valid key', () => JSON.stringify({ key: secret }), () => ({ authorization: `Bearer ${service}` })],
    ['a valid key with a caller', () => JSON.stringify({ key: secret, caller: 'orders \u001b[2J\u202E' }), () => ({ authorization: `Bearer ${service}` })],
    ['an inactive key', () => JSON.stringify({ key: inactive }), () => ({ authorization: `Bearer ${service}` })],
    ['a malformed key', () => JSON.stringify({ key: 'kw_nope' }), () => ({ authorization: `Bearer ${service}` })],
    ['a missing key', () => JSON.stringify({ caller: 'x' }), () => ({ authorization: `Bearer ${service}` })],
    ['a key of the wrong type', () => JSON.stringify({ key: 42 }), () => ({ authorization: `Bearer ${service}` })],
    ['an over-long caller', () => JSON.stringify({ key: secret, caller: 'c'.repeat(129) }), () => ({ authorization: `Bearer ${service}` })],
    ['broken JSON', () => '{"key":', () => ({ authorization: `Bearer ${service}` })],
    ['a key with policy, in scope and range', () => JSON.stringify({ key: policed, scope: ['orders:write', 'billing:read'], ip: '192.0.2.9' }), () => ({ authorization: `Bearer ${service}` })],
    ['a key with policy, from an IPv4-mapped address', () => JSON.stringify({ key: policed, scope: 'orders:read', ip: '::ffff:192.0.2.9' }), () => ({ authorization: `Bearer ${service}` })],
    ['a key with policy, outside its range', () => JSON.stringify({ key: policed, ip: '198.51.100.1' }), () => ({ authorization: `Bearer ${service}` })],
    ['a key with policy, without an ip', () => JSON.stringify({ key: policed, scope: 'orders:read' }), () => ({ authorization: `Bearer ${service}` })],
    ['a key with policy, out of scope', () => JSON.stringify({ key: policed, scope: 'billing:write', ip: '2001:db8::1' }), () => ({ authorization: `Bearer ${service}` })],
    ['a plain key asked for a scope and ip', () => JSON.stringify({ key: secret, scope: 'x:y', ip: '10.0.0.1' }), () => ({ authorization: `Bearer ${service}` })],
    ['a bad scope', () => JSON.stringify({ key: policed, scope: 'no spaces' }), () => ({ authorization: `Bearer ${service}` })],
    ['a bad ip', () => JSON.stringify({ key: policed, ip: '10.1' }), () => ({ authorization: `Bearer ${service}` })],
    ['a token without keys:verify', () => JSON.stringify({ key: secret }), () => ({ authorization: `Bearer ${viewer}` })],
    ['no token', () => JSON.stringify({ key: secret }), () => ({})],
    ['an API key as the token', () => JSON.stringify({ key: secret }), () => ({ authorization: `Bearer ${secret}` })],
  ];
  for (const [what, body, headers] of cases) {
    it(`answers ${what} as the full route does`, async () => {
      const fast = await send(body(), headers(), false);
      const full = await send(body(), headers(), true);
      expect(countedOnce(fast.body as Counted, full.body as Counted), 'the full route answered one use later').toBe(true);
      expect(fast).toEqual(full);
    });
  }

  it('counts uses on the fast path like the full route', async () => {
    const { key, secret: s } = await t.client.createKey('fast-count');
    await send(JSON.stringify({ key: s, caller: 'a' }), { authorization: `Bearer ${service}` }, false);
    await send(JSON.stringify({ key: s, caller: 'a' }), { authorization: `Bearer ${service}` }, true);
    const usage = await t.client.usage(key.id, 1);
    expect(usage.buckets[0]!.ok).toBe(2);
    expect(usage.callers).toMatchObject([{ caller: 'a', ok: 2 }]);
  });
});
