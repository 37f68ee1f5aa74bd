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

beforeAll(async () => {
  t = await startTestApp();
  secret = (await t.client.createKey('fast')).secret;
  const off = await t.client.createKey('fast-off');
  await t.client.deactivateKey(off.key.id);
  inactive = off.secret;
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
    ['a token without keys:verify', () => JSON.stringify({ key: secret }), () => ({ authorization: `Bearer ${viewer}` })],
    ['no token', () => JSON.stringify({ key: secret }), () => ({})],
    ['an API key as the token', () => JSON.stringify({ key: secret }), () => ({ authorization: `Bearer ${secret}` })],
  ];
  for (const [what, body, headers] of cases) {
    it(`answers ${what} as the full route does`, async () => {
      const fast = await send(body(), headers(), false);
      const full = await send(body(), headers(), true);
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
