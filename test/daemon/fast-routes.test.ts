/**
 * The fast routes (src/daemon/http/fast-routes.ts: verify and the replicas' ack) answer at the
 * node:http layer, below the app, so this suite needs a real listening daemon. Each request is
 * sent both ways (a client-chosen X-Request-Id sends it down the full route) and the answers
 * must match; the daemon's count of fast answers says which path answered each.
 */
import { Buffer } from 'node:buffer';
import type { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { handReplica, type HandReplica } from '../helpers/replica-stream.js';
import { rawAgent, sendRaw, type RawRequest } from '../reliability/helpers/raw-http.js';
import { openConnection, parseResponse, requestHead } from '../reliability/helpers/raw-socket.js';

let t: TestDaemon;
let agent: Agent;
let secret: string;
let inactive: string;
let service: string;
let viewer: string;
let policed: string;

beforeAll(async () => {
  t = await startTestDaemon();
  agent = rawAgent();
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
  agent.destroy();
  await t.stop();
});

type Answer = { status: number; contentType: unknown; headerNames: string[]; body: unknown; path: 'fast' | 'full' };

/** Headers every answer has with a value of its own. */
const VARYING = new Set(['date', 'x-request-id']);

async function send(req: RawRequest, fullRoute: boolean): Promise<Answer> {
  const before = t.daemon.fastRoutes.answered;
  const res = await sendRaw(t.url, { ...req, headers: { ...req.headers, ...(fullRoute ? { 'x-request-id': 'full-route' } : {}) } }, agent);
  const body = JSON.parse(res.body) as { error?: { requestId?: string } };
  if (body.error) delete body.error.requestId;
  return {
    status: res.status,
    contentType: res.headers['content-type'],
    headerNames: Object.keys(res.headers).filter((h) => !VARYING.has(h)).sort(),
    body,
    path: t.daemon.fastRoutes.answered > before ? 'fast' : 'full',
  };
}

function verify(body: string | Buffer, headers: RawRequest['headers'], more: Partial<RawRequest> = {}): RawRequest {
  return { method: 'POST', path: '/v1/verify', headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(body), ...more };
}

type Counted = { rateLimit?: { remaining: number; resetSeconds?: number }; quota?: { remaining: number } };

/**
 * Rate-limit and quota counters go down by one between the two answers to the same request,
 * and the window's countdown may tick down a second meanwhile (on a loaded machine the two
 * answers can straddle a second): checks that, then evens them so the rest of the answers can
 * be compared whole.
 */
function countedOnce(fast: Counted, full: Counted): boolean {
  for (const field of ['rateLimit', 'quota'] as const) {
    const [a, b] = [fast[field], full[field]];
    if (!a || !b) continue;
    if (b.remaining !== a.remaining - 1) return false;
    b.remaining = a.remaining;
  }
  const [a, b] = [fast.rateLimit, full.rateLimit];
  if (a?.resetSeconds !== undefined && b?.resetSeconds !== undefined) {
    const ticked = a.resetSeconds - b.resetSeconds;
    if (ticked !== 0 && ticked !== 1) return false;
    b.resetSeconds = a.resetSeconds;
  }
  return true;
}

const as = (token: string) => ({ authorization: `Bearer ${token}` });

type Case = [what: string, path: 'fast' | 'full', request: () => RawRequest];

/**
 * A test per case: the request sent plainly and down the full route, the answers the same once
 * `even` has evened out what differs by when each was answered.
 */
function answersAsTheFullRoute(cases: Case[], even: (fast: Answer, full: Answer) => void): void {
  for (const [what, path, request] of cases) {
    it(`answers ${what} as the full route does (on the ${path} path)`, async () => {
      const fast = await send(request(), false);
      const full = await send(request(), true);
      expect(full.path).toBe('full');
      expect(fast.path).toBe(path);
      even(fast, full);
      expect({ ...fast, path: undefined }).toEqual({ ...full, path: undefined });
    });
  }
}

describe('verify fast path', () => {
  const cases: Case[] = [
    ['a valid key', 'fast', () => verify(JSON.stringify({ key: secret }), as(service))],
    ['a valid key with a caller', 'fast', () => verify(JSON.stringify({ key: secret, caller: 'orders \u001b[2J\u202E' }), as(service))],
    ['an inactive key', 'fast', () => verify(JSON.stringify({ key: inactive }), as(service))],
    ['a malformed key', 'fast', () => verify(JSON.stringify({ key: 'kw_nope' }), as(service))],
    ['the scheme in lower case', 'fast', () => verify(JSON.stringify({ key: secret }), { authorization: `bearer ${service}` })],
    ['JSON with a charset', 'fast', () => verify(JSON.stringify({ key: secret }), { ...as(service), 'content-type': 'application/json; charset=UTF-8' })],
    ['localhost as the Host', 'fast', () => verify(JSON.stringify({ key: secret }), { ...as(service), host: 'localhost' })],
    ['a Host the daemon does not serve', 'full', () => verify(JSON.stringify({ key: secret }), { ...as(service), host: 'rebound.example:7420' })],
    ['a key with policy, in scope and range', 'fast', () => verify(JSON.stringify({ key: policed, scope: ['orders:write', 'billing:read'], ip: '192.0.2.9' }), as(service))],
    ['a key with policy, from an IPv4-mapped address', 'fast', () => verify(JSON.stringify({ key: policed, scope: 'orders:read', ip: '::ffff:192.0.2.9' }), as(service))],
    ['a key with policy, outside its range', 'fast', () => verify(JSON.stringify({ key: policed, ip: '198.51.100.1' }), as(service))],
    ['a key with policy, without an ip', 'fast', () => verify(JSON.stringify({ key: policed, scope: 'orders:read' }), as(service))],
    ['a key with policy, out of scope', 'fast', () => verify(JSON.stringify({ key: policed, scope: 'billing:write', ip: '2001:db8::1' }), as(service))],
    ['a plain key asked for a scope and ip', 'fast', () => verify(JSON.stringify({ key: secret, scope: 'x:y', ip: '10.0.0.1' }), as(service))],
    ['a bad scope', 'full', () => verify(JSON.stringify({ key: policed, scope: 'no spaces' }), as(service))],
    ['a bad ip', 'full', () => verify(JSON.stringify({ key: policed, ip: '10.1' }), as(service))],
    ['a missing key', 'full', () => verify(JSON.stringify({ caller: 'x' }), as(service))],
    ['a misspelt field', 'full', () => verify(JSON.stringify({ key: policed, scopes: 'billing:write' }), as(service))],
    ['a key of the wrong type', 'full', () => verify(JSON.stringify({ key: 42 }), as(service))],
    ['an over-long caller', 'full', () => verify(JSON.stringify({ key: secret, caller: 'c'.repeat(129) }), as(service))],
    ['broken JSON', 'full', () => verify('{"key":', as(service))],
    ['a body that is not UTF-8', 'full', () => verify(Buffer.from([0x7b, 0x22, 0x6b, 0x65, 0x79, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), as(service))],
    ['an empty body', 'full', () => verify('', as(service))],
    ['a body over the limit', 'full', () => verify(JSON.stringify({ key: secret, caller: 'x'.repeat(70_000) }), as(service))],
    ['a chunked body', 'full', () => verify(JSON.stringify({ key: secret }), as(service), { chunked: true })],
    ['a body that is not JSON', 'full', () => verify(JSON.stringify({ key: secret }), { ...as(service), 'content-type': 'text/plain' })],
    ['a JSON-suffixed media type', 'full', () => verify(JSON.stringify({ key: secret }), { ...as(service), 'content-type': 'application/vnd.api+json' })],
    ['a query string', 'full', () => verify(JSON.stringify({ key: secret }), as(service), { path: '/v1/verify?x=1' })],
    ['a token without keys:verify', 'full', () => verify(JSON.stringify({ key: secret }), as(viewer))],
    ['no token', 'full', () => verify(JSON.stringify({ key: secret }), {})],
    ['an API key as the token', 'full', () => verify(JSON.stringify({ key: secret }), as(secret))],
    ['the token sent twice', 'full', () => verify(JSON.stringify({ key: secret }), { authorization: [`Bearer ${service}`, `Bearer ${service}`] })],
    ['a GET', 'full', () => ({ method: 'GET', path: '/v1/verify', headers: as(service) })],
  ];
  answersAsTheFullRoute(cases, (fast, full) => {
    expect(countedOnce(fast.body as Counted, full.body as Counted), 'the full route answered one use later').toBe(true);
  });

  // What no HTTP client library sends: written on a bare socket.
  const rawHosts: [string, string | null, Record<string, string>][] = [
    ['no Host', null, {}],
    ['the Host sent twice', '127.0.0.1', { Host: '127.0.0.1' }],
  ];
  for (const [what, host, extra] of rawHosts) {
    it(`answers a request with ${what} as the full route does (on the full path)`, async () => {
      const body = JSON.stringify({ key: secret });
      const sendBytes = async (fullRoute: boolean) => {
        const before = t.daemon.fastRoutes.answered;
        const headers = {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${service}`,
          'Content-Length': String(Buffer.byteLength(body)),
          Connection: 'close',
          ...extra,
          ...(fullRoute ? { 'X-Request-Id': 'full-route' } : {}),
        };
        const connection = await openConnection(t.url, requestHead('POST', '/v1/verify', headers, host) + body);
        await connection.closed;
        const res = parseResponse(connection.received());
        delete (res.body as { error?: { requestId?: string } }).error?.requestId;
        return { status: res.status, body: res.body, path: t.daemon.fastRoutes.answered > before ? 'fast' : 'full' };
      };
      const fast = await sendBytes(false);
      const full = await sendBytes(true);
      expect(fast).toEqual(full);
      expect(fast.path).toBe('full');
      expect(fast.status).toBeGreaterThanOrEqual(400);
    });
  }

  it('keeps the connection usable after each answer', async () => {
    for (const [, , request] of cases) await send(request(), false);
    expect((await send(cases[0]![2](), false)).body).toMatchObject({ valid: true });
  });

  it('counts uses on the fast path like the full route', async () => {
    const { key, secret: s } = await t.client.createKey('fast-count');
    await send(verify(JSON.stringify({ key: s, caller: 'a' }), as(service)), false);
    await send(verify(JSON.stringify({ key: s, caller: 'a' }), as(service)), true);
    const usage = await t.client.usage(key.id, 1);
    expect(usage.buckets[0]!.ok).toBe(2);
    expect(usage.callers).toMatchObject([{ caller: 'a', ok: 2 }]);
  });
});

describe('verify fast path with --allow-host', () => {
  it('serves the allowed name on the fast path, as the full route serves it', async () => {
    const d = await startTestDaemon({ allowHosts: ['keys.internal'] });
    const own = rawAgent();
    try {
      const { token } = await d.client.createOperator('svc', 'service');
      const { secret: key } = await d.client.createKey('allowed');
      const request = (fullRoute: boolean): RawRequest => ({
        method: 'POST',
        path: '/v1/verify',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, host: 'keys.internal:7420', ...(fullRoute ? { 'x-request-id': 'full-route' } : {}) },
        body: Buffer.from(JSON.stringify({ key })),
      });
      const before = d.daemon.fastRoutes.answered;
      const fast = await sendRaw(d.url, request(false), own);
      expect(d.daemon.fastRoutes.answered).toBe(before + 1);
      const full = await sendRaw(d.url, request(true), own);
      expect(d.daemon.fastRoutes.answered).toBe(before + 1);
      expect([fast.status, JSON.parse(fast.body)]).toEqual([full.status, JSON.parse(full.body)]);
      expect(fast.status).toBe(200);
    } finally {
      own.destroy();
      await d.stop();
    }
  });
});

describe('replica ack fast path', () => {
  let replica: HandReplica;
  let replicaId: string;
  let keyId: string;
  /** What the replica's copy holds: the stream's `ready`. */
  let seq: number;
  /** A service token that does not own the replica. */
  let stranger: string;
  beforeAll(async () => {
    stranger = (await t.client.createOperator('svc-stranger', 'service')).token;
    replica = await handReplica(t, service);
    replicaId = (await replica.hello()).replicaId;
    seq = (await replica.next<{ seq: number }>('ready')).seq;
    keyId = (await t.client.createKey('fast-ack')).key.id;
  });
  afterAll(() => replica.close());

  const ack = (body: unknown, headers: RawRequest['headers'], more: Partial<RawRequest> = {}): RawRequest => ({
    method: 'POST',
    path: '/v1/replica/ack',
    headers: { 'content-type': 'application/json', ...headers },
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    ...more,
  });
  const usageOf = (minute: number) => ({ buckets: [{ keyId, minute, ok: 2, rejected: 1 }], callers: [{ keyId, caller: 'ack-caller', at: minute * 60_000, ok: 2, rejected: 1 }], lastUsed: [{ keyId, at: minute * 60_000 }], quotas: [] });
  const cases: Case[] = [
    ['an ack of this stream', 'fast', () => ack({ replicaId, seq }, as(service))],
    ['an ack of a replica the daemon does not know', 'fast', () => ack({ replicaId: 'rep_gone', seq: 3 }, as(service))],
    ["an ack of this stream by another operator's token", 'fast', () => ack({ replicaId, seq }, as(stranger))],
    ['an ack before the copy is complete', 'fast', () => ack({ replicaId }, as(service))],
    ['an ack with usage', 'fast', () => ack({ replicaId, seq, usage: usageOf(Math.floor(Date.now() / 60_000)) }, as(service))],
    ['a negative seq', 'full', () => ack({ replicaId, seq: -1 }, as(service))],
    ['no replica id', 'full', () => ack({ seq: 0 }, as(service))],
    ['a usage report without its lists', 'full', () => ack({ replicaId, usage: {} }, as(service))],
    ['JSON that is not an object', 'full', () => ack('[1]', as(service))],
    ['broken JSON', 'full', () => ack('{"replicaId":', as(service))],
    ['a body that is not JSON', 'full', () => ack({ replicaId }, { ...as(service), 'content-type': 'text/plain' })],
    ['a query string', 'full', () => ack({ replicaId }, as(service), { path: '/v1/replica/ack?x=1' })],
    ['a body over the limit', 'full', () => ack({ replicaId, pad: 'x'.repeat(70_000) }, as(service))],
    ['a token without keys:verify', 'full', () => ack({ replicaId }, as(viewer))],
    ['no token', 'full', () => ack({ replicaId }, {})],
    ['a GET', 'full', () => ({ method: 'GET', path: '/v1/replica/ack', headers: as(service) })],
  ];
  answersAsTheFullRoute(cases, (fast, full) => {
    // The daemon's clock is in every answer: the two were given a millisecond or more apart.
    for (const answer of [fast, full]) delete (answer.body as { now?: number }).now;
  });

  it("renews no lease for another operator's ack of the stream, on either path", async () => {
    for (const fullRoute of [false, true]) {
      expect((await send(ack({ replicaId, seq }, as(stranger)), fullRoute)).body).toMatchObject({ lease: 'unknown', leaseMs: 0 });
    }
  });

  it('renews the lease and counts the usage on the fast path like the full route', async () => {
    const minute = Math.floor(Date.now() / 60_000);
    for (const fullRoute of [false, true]) {
      const answer = await send(ack({ replicaId, seq, usage: usageOf(minute) }, as(service)), fullRoute);
      expect(answer.body).toMatchObject({ lease: 'granted', leaseMs: 1000 });
    }
    await t.daemon.core.usage.flush();
    const usage = await t.client.usage(keyId, 1);
    // Twice from this test and twice from the cases above that sent usage (each both ways).
    expect(usage.buckets.reduce((n, b) => n + b.ok, 0)).toBe(8);
    expect(usage.callers).toMatchObject([{ caller: 'ack-caller', ok: 8, rejected: 4 }]);
  });
});
