/**
 * Who may follow the replica stream and ack it: `keys:verify` (service, admin). A viewer token
 * is refused with 403 on `GET /v1/replica` (no stream, no hello, no hash) and on
 * `POST /v1/replica/ack`, both through the fast path below the framework and the full route.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/daemon/secrets/format.js';
import type { AckAnswer } from '../../src/daemon/replica/schemas.js';
import { createVerifier, VerifierUnavailable } from '../../src/integration/verifier/index.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { handReplica } from '../helpers/replica-stream.js';

let t: TestDaemon;
let viewer: string;
let service: string;
let secret: string;

beforeAll(async () => {
  t = await startTestDaemon();
  viewer = (await t.client.createOperator('read-only', 'viewer')).token;
  service = (await t.client.createOperator('orders-api', 'service')).token;
  secret = (await t.client.createKey('guarded')).secret;
});
afterAll(() => t.stop());

/**
 * An ack over real HTTP. A plain one (JSON, Content-Length, no X-Request-Id) is what the fast
 * routes answer when the token may; `fullRoute` adds a client-chosen X-Request-Id, which sends
 * it down the app's own route. `path` says which one answered, by the daemon's count.
 */
async function ack(token: string, body: unknown, fullRoute: boolean): Promise<{ status: number; body: unknown; path: 'fast' | 'full' }> {
  const before = t.daemon.fastRoutes.answered;
  const res = await fetch(`${t.url}/v1/replica/ack`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(fullRoute ? { 'x-request-id': 'full-route' } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as unknown, path: t.daemon.fastRoutes.answered > before ? 'fast' : 'full' };
}

describe('the replica routes need keys:verify', () => {
  it('refuses a viewer the stream with 403: no hello, no key hash, no replica', async () => {
    const connected = t.daemon.core.replicas.connected;
    const abort = new AbortController();
    const res = await fetch(`${t.url}/v1/replica`, { headers: { authorization: `Bearer ${viewer}` }, signal: abort.signal });
    let text: string;
    try {
      // Before the body is read: a stream, had it started, would never end.
      expect(res.status).toBe(403);
      text = await res.text();
    } finally {
      abort.abort();
    }
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'forbidden' } });
    const hex = hashSecret(secret);
    for (const leaked of ['event:', 'hello', 'replicaId', hex, Buffer.from(hex, 'hex').toString('base64')]) expect(text).not.toContain(leaked);
    expect(t.daemon.core.replicas.connected).toBe(connected);

    // The same token in keyward/verifier: refused for good, it never holds a copy.
    const states: string[] = [];
    const verifier = createVerifier({ url: t.url, token: viewer, onStateChange: (state) => states.push(state) });
    try {
      const refused = await verifier.ready().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(refused).toBeInstanceOf(VerifierUnavailable);
      expect(String(refused)).toMatch(/refuses this verifier's token.*keys:verify/);
      expect(verifier.state).toBe('starting');
      expect(verifier.verifyNow?.(secret)).toBeUndefined();
      expect(states).toEqual([]);
    } finally {
      await verifier.close();
    }
  });

  it("refuses a viewer's ack with 403 on the fast path and on the full route", async () => {
    // A replica of the service's, whose id the viewer acks: refused before the hub is asked.
    const replica = await handReplica(t, service);
    const { replicaId } = await replica.hello();
    const { seq } = await replica.next<{ seq: number }>('ready');
    try {
      // The shape the fast path answers, shown by the service's own ack.
      expect(await ack(service, { replicaId, seq }, false)).toMatchObject({ status: 200, path: 'fast', body: { lease: 'granted' } });
      const cases = [false, true].flatMap((fullRoute) => [{ replicaId, seq }, { replicaId: 'rep_unknown', seq: 0 }, { replicaId }].map((body) => ({ fullRoute, body })));
      const answers = [];
      for (const { fullRoute, body } of cases) {
        const answer = await ack(viewer, body, fullRoute);
        answers.push({ fullRoute, body, status: answer.status, path: answer.path, code: (answer.body as { error?: { code?: string } }).error?.code });
      }
      // Every case at once, so a failure shows which path let the viewer through.
      expect(answers).toEqual(cases.map((c) => ({ ...c, status: 403, path: 'full', code: 'forbidden' })));
    } finally {
      replica.close();
    }
  });

  it('lets a service and an admin token follow the stream and ack it, both ways', async () => {
    for (const token of [service, t.adminToken]) {
      const replica = await handReplica(t, token);
      try {
        const hello = await replica.hello();
        expect(hello).toMatchObject({ replicaId: expect.stringMatching(/^rep_/), leaseMs: 1000, resumed: false });
        const { seq } = await replica.next<{ seq: number }>('ready');
        expect(replica.events.some((e) => e.event === 'snapshot')).toBe(true);
        const fast = await ack(token, { replicaId: hello.replicaId, seq }, false);
        expect(fast).toMatchObject({ status: 200, path: 'fast' });
        expect((fast.body as AckAnswer).lease).toBe('granted');
        const full = await ack(token, { replicaId: hello.replicaId, seq }, true);
        expect(full).toMatchObject({ status: 200, path: 'full' });
        expect((full.body as AckAnswer).lease).toBe('granted');
        await replica.ack({ closing: true });
      } finally {
        replica.close();
      }
    }
  });
});
