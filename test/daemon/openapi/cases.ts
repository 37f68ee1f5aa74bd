/**
 * What the OpenAPI coverage test sends to each operation besides the probes every operation
 * gets (no token, a weak token, a foreign Host, bodies too large, not JSON or not UTF-8, a
 * malformed or unknown id, bad query values, a store that is down, full or broken).
 *
 * Adding an operation: add an entry under its `operationId` with `ok`, a request it accepts
 * (the generic probes reuse it), and in `more` one request for each status only that operation
 * answers (its 409s, say). The test fails for an operation without an entry, for an answer the
 * document does not list, and for a documented status no request produced.
 */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { KeywardClient, KeyJson, RotationJson, RotationStepName } from '../../../src/client/client.js';
import type { Role } from '../../../src/daemon/auth/permissions.js';
import { DEFAULT_STREAM_LIMITS } from '../../../src/daemon/events/streams.js';
import { REPLICA_DEFAULTS } from '../../../src/daemon/replica/hub.js';

/** One request to an operation; the method and path come from the document. */
export type Probe = {
  /** What it tries, for failure messages. */
  why: string;
  /** Fills `{id}`; without it, a well-formed id that names nothing. */
  id?: string;
  /** The query string, without `?`. */
  query?: string;
  /** An object is sent as JSON; a string or Buffer as given. */
  body?: unknown;
  contentType?: string;
  /** The operator token; undefined sends the admin's, null sends none. */
  token?: string | null;
  /** Sent instead of the daemon's own address. */
  host?: string;
  /** Other request headers. */
  headers?: Record<string, string>;
  /** The statuses this request may be answered with. */
  expect: number | number[];
};

export type OperationCases = { ok: Probe; more?: Probe[] };

/** What cases build their requests from: a client with the admin token and fresh objects. */
export type Context = {
  client: KeywardClient;
  tokens: Record<Role, string>;
  /** A name no key or operator has yet. */
  unique(prefix: string): string;
  /** A fresh key with its secret; `inactive` deactivates it. */
  key(options?: { inactive?: boolean }): Promise<KeyJson & { secret: string }>;
  /** A rotation of a fresh key, advanced with force to `step` (or cancelled). */
  rotation(step: RotationStepName): Promise<RotationJson>;
  /** A fresh operator's token with `count` streams (`/v1/events` by a viewer unless said) held open until the test ends. */
  streamingOperator(count: number, stream?: { path: string; role: Role }): Promise<string>;
};

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export const CASES: Record<string, (cx: Context) => Promise<OperationCases>> = {
  getHealth: async () => ({
    ok: { why: 'an identity challenge', token: null, headers: { 'x-keyward-challenge': 'coverage-challenge-0123456789' }, expect: 200 },
    more: [{ why: 'a challenge too short to be a nonce', token: null, headers: { 'x-keyward-challenge': 'short' }, expect: 400 }],
  }),
  getMe: async () => ({ ok: { why: 'who am I', expect: 200 } }),
  getOpenApi: async () => ({ ok: { why: 'the document', expect: 200 } }),
  getMetrics: async (cx) => ({ ok: { why: 'a viewer scraping', token: cx.tokens.viewer, expect: 200 } }),
  streamEvents: async (cx) => ({
    ok: { why: 'a subscription', expect: 200 },
    more: [{ why: 'one stream more than an operator may hold', token: await cx.streamingOperator(DEFAULT_STREAM_LIMITS.perOperator), expect: 429 }],
  }),

  streamReplica: async (cx) => ({
    ok: { why: 'a replica of a service', token: cx.tokens.service, expect: 200 },
    more: [
      { why: 'a replica resuming from another daemon run', token: cx.tokens.service, query: 'resume=Qm9vdA.7&leaseMs=500', expect: 200 },
      { why: 'a resume token that is none', token: cx.tokens.service, query: 'resume=seven', expect: 400 },
      {
        why: 'one stream more than an operator may hold',
        token: await cx.streamingOperator(REPLICA_DEFAULTS.perOperator, { path: '/v1/replica', role: 'service' }),
        expect: 429,
      },
    ],
  }),
  ackReplica: async (cx) => ({
    ok: { why: 'an ack of a replica this daemon does not know', token: cx.tokens.service, body: { replicaId: 'rep_gone', seq: 3 }, expect: 200 },
    more: [{ why: 'a negative seq', token: cx.tokens.service, body: { replicaId: 'rep_gone', seq: -1 }, expect: 400 }],
  }),

  listOperators: async () => ({ ok: { why: 'the list', expect: 200 } }),
  createOperator: async (cx) => ({
    ok: { why: 'a new operator', body: { name: cx.unique('op'), role: 'viewer' }, expect: 201 },
    more: [{ why: 'a taken name', body: { name: 'ADMIN', role: 'viewer' }, expect: 409 }],
  }),
  disableOperator: async (cx) => {
    const { operator } = await cx.client.createOperator(cx.unique('op'), 'viewer');
    const { operator: me } = await cx.client.me();
    return {
      ok: { why: 'a viewer', id: operator.id, expect: 200 },
      more: [{ why: 'the last admin', id: me.id, expect: 409 }],
    };
  },

  listKeys: async () => ({
    ok: { why: 'a page', query: 'status=active&limit=5', expect: 200 },
    more: [{ why: 'a cursor the daemon never gave out', query: 'cursor=bm9wZQ', expect: 400 }],
  }),
  createKey: async (cx) => {
    const taken = await cx.key();
    return {
      ok: { why: 'a new key', body: { name: cx.unique('key'), expiresAt: '2099-01-01T00:00:00Z' }, expect: 201 },
      more: [
        { why: 'a taken name', body: { name: taken.name.toUpperCase() }, expect: 409 },
        { why: 'a past expiresAt', body: { name: cx.unique('key'), expiresAt: '2001-01-01T00:00:00Z' }, expect: 400 },
      ],
    };
  },
  getKey: async (cx) => ({ ok: { why: 'a key', id: (await cx.key()).id, expect: 200 } }),
  editKey: async (cx) => {
    const key = await cx.key();
    const taken = await cx.key();
    return {
      ok: { why: 'an owner, scopes and a rate limit', id: key.id, body: { owner: 'team-coverage', scopes: ['orders:*'], rateLimit: { limit: 10, windowSeconds: 60 } }, expect: 200 },
      more: [
        { why: 'a taken name', id: key.id, body: { name: taken.name.toUpperCase() }, expect: 409 },
        { why: 'a past expiresAt', id: key.id, body: { expiresAt: '2001-01-01T00:00:00Z' }, expect: 400 },
      ],
    };
  },
  deactivateKey: async (cx) => ({ ok: { why: 'an active key', id: (await cx.key()).id, expect: 200 } }),
  activateKey: async (cx) => ({ ok: { why: 'an inactive key', id: (await cx.key({ inactive: true })).id, expect: 200 } }),
  deleteKey: async (cx) => ({
    ok: { why: 'an inactive key', id: (await cx.key({ inactive: true })).id, expect: 204 },
    more: [
      { why: 'an active key', id: (await cx.key()).id, expect: 409 },
      { why: 'the old key of an open rotation', id: (await cx.rotation('double_check')).oldKeyId, expect: 409 },
    ],
  }),
  lookupSecrets: async (cx) => ({
    ok: { why: 'a key and a stranger', body: { sha256: [sha256((await cx.key()).secret), sha256('nobody')] }, token: cx.tokens.viewer, expect: 200 },
  }),
  reportLeaks: async (cx) => ({
    ok: { why: 'a live key found in a file', body: { leaks: [{ sha256: sha256((await cx.key()).secret), where: 'deploy/.env:3' }] }, token: cx.tokens.viewer, expect: 200 },
  }),
  importKeys: async (cx) => {
    const name = cx.unique('imported');
    return {
      ok: { why: 'a key by hash', body: { keys: [{ name, sha256: sha256(name) }] }, expect: 201 },
      more: [{ why: 'a taken name', body: { keys: [{ name: (await cx.key()).name, sha256: sha256(cx.unique('x')) }] }, expect: 409 }],
    };
  },
  getKeyUsage: async (cx) => ({ ok: { why: 'a key', id: (await cx.key()).id, query: 'minutes=5', expect: 200 } }),

  verifyKey: async (cx) => {
    const service = cx.tokens.service;
    // Each answer below is first asked for through the client, to be sure it is the kind named:
    // the probe alone would pass with any answer the document allows. The probes are plain
    // requests (a service token, a JSON body with its length), which the fast path answers
    // (src/daemon/http/fast-routes.ts, with the JSON src/daemon/verify/answer.ts writes).
    const withPolicy = await cx.client.createKey(cx.unique('policy'), {
      owner: 'team-coverage',
      meta: { plan: 'pro', seats: 3, tags: ['eu'], nested: { on: true }, none: null },
      scopes: ['orders:read', 'billing:*'],
      rateLimit: { limit: 1000, windowSeconds: 3600 },
      quota: { remaining: 1000, refill: { amount: 1000, intervalSeconds: 86_400 } },
    });
    expect(await cx.client.verify(withPolicy.secret, 'coverage', { scope: 'orders:read' })).toMatchObject({
      valid: true,
      owner: 'team-coverage',
      meta: { plan: 'pro' },
      scopes: ['orders:read', 'billing:*'],
      rateLimit: { limit: 1000, windowSeconds: 3600 },
      quota: { remaining: 999 },
    });
    // One verification a window: the client's takes it, and every one after is refused.
    const limited = await cx.client.createKey(cx.unique('limited'), { rateLimit: { limit: 1, windowSeconds: 3600 } });
    expect(await cx.client.verify(limited.secret)).toMatchObject({ valid: true, rateLimit: { limit: 1, remaining: 0 } });
    expect(await cx.client.verify(limited.secret)).toMatchObject({ valid: false, code: 'rate_limited', retryAfterSeconds: expect.any(Number), rateLimit: { limit: 1, remaining: 0 } });
    // A spent quota, refused with the time to its refill and, without a refill, without one.
    const spent = await cx.client.createKey(cx.unique('spent'), { quota: { remaining: 1, refill: { amount: 5, intervalSeconds: 3600 } } });
    expect(await cx.client.verify(spent.secret)).toMatchObject({ valid: true, quota: { remaining: 0 } });
    expect(await cx.client.verify(spent.secret)).toEqual({ valid: false, code: 'quota_exhausted', retryAfterSeconds: expect.any(Number) });
    const spentForGood = await cx.client.createKey(cx.unique('spent-for-good'), { quota: { remaining: 0 } });
    expect(await cx.client.verify(spentForGood.secret)).toEqual({ valid: false, code: 'quota_exhausted' });
    return {
      ok: { why: 'a service verifying a key', body: { key: (await cx.key()).secret, caller: 'coverage' }, token: service, expect: 200 },
      more: [
        { why: 'a key with owner, meta, scopes, a rate limit and a quota (valid, with rateLimit and quota)', body: { key: withPolicy.secret, caller: 'coverage', scope: ['orders:read', 'billing:refunds'] }, token: service, expect: 200 },
        { why: 'a key over its rate limit (rate_limited, with retryAfterSeconds and rateLimit)', body: { key: limited.secret, caller: 'coverage' }, token: service, expect: 200 },
        { why: 'a key whose quota is spent until its refill (quota_exhausted, with retryAfterSeconds)', body: { key: spent.secret, caller: 'coverage' }, token: service, expect: 200 },
        { why: 'a key whose quota is spent for good (quota_exhausted, without retryAfterSeconds)', body: { key: spentForGood.secret }, token: service, expect: 200 },
      ],
    };
  },

  startRotation: async (cx) => {
    const rotating = await cx.rotation('update_systems');
    const taken = await cx.key();
    return {
      ok: { why: 'a key', id: (await cx.key()).id, body: {}, expect: 201 },
      more: [
        { why: 'a key already rotating', id: rotating.oldKeyId, body: {}, expect: 409 },
        { why: 'a taken name for the new key', id: (await cx.key()).id, body: { name: taken.name }, expect: 409 },
        { why: 'a canary key', id: (await cx.client.createKey(cx.unique('canary'), { canary: true })).key.id, body: { emergency: true }, expect: 409 },
        { why: 'a reason without emergency', id: (await cx.key()).id, body: { reason: 'why' }, expect: 400 },
      ],
    };
  },
  listRotations: async () => ({ ok: { why: 'all of them', query: 'state=all', expect: 200 } }),
  getRotation: async (cx) => ({ ok: { why: 'a rotation', id: (await cx.rotation('verify_new')).id, expect: 200 } }),
  advanceRotation: async (cx) => {
    const unused = await cx.rotation('verify_new');
    return {
      ok: { why: 'the step it is at', id: (await cx.rotation('update_systems')).id, body: { from: 'update_systems' }, expect: 200 },
      more: [
        { why: 'a step it has left', id: unused.id, body: { from: 'update_systems' }, expect: 409 },
        { why: 'a new key never used', id: unused.id, body: { from: 'verify_new' }, expect: 409 },
      ],
    };
  },
  rollbackRotation: async (cx) => ({
    ok: { why: 'a rotation in double_check', id: (await cx.rotation('double_check')).id, expect: 200 },
    more: [{ why: 'a rotation before double_check', id: (await cx.rotation('verify_new')).id, expect: 409 }],
  }),
  cancelRotation: async (cx) => ({
    ok: { why: 'an open rotation', id: (await cx.rotation('verify_new')).id, expect: 200 },
    more: [{ why: 'a cancelled rotation', id: (await cx.rotation('cancelled')).id, expect: 409 }],
  }),

  listWebhooks: async () => ({ ok: { why: 'the list', expect: 200 } }),
  createWebhook: async () => ({ ok: { why: 'a receiver', body: { url: 'http://127.0.0.1:9/hook', events: ['key.leaked'] }, expect: 201 } }),
  deleteWebhook: async (cx) => ({ ok: { why: 'a webhook', id: (await cx.client.createWebhook('http://127.0.0.1:9/gone')).webhook.id, expect: 204 } }),
  listWebhookDeliveries: async (cx) => ({
    ok: { why: 'a webhook', id: (await cx.client.createWebhook('http://127.0.0.1:9/log')).webhook.id, query: 'limit=5', expect: 200 },
  }),

  listAudit: async () => ({ ok: { why: 'the newest events', query: 'limit=5', expect: 200 } }),

  listAlerts: async () => ({
    ok: { why: 'every alert', query: 'state=all&limit=5', expect: 200 },
    more: [{ why: 'a cursor the daemon never gave out', query: 'cursor=bm9wZQ', expect: 400 }],
  }),
  ackAlert: async (cx) => {
    const canary = await cx.client.createKey(cx.unique('canary'), { canary: true });
    await cx.client.verify(canary.secret, cx.unique('thief'));
    const [alert] = (await cx.client.alerts({ state: 'open' })).alerts.filter((a) => a.keyId === canary.key.id);
    return { ok: { why: 'an open alert', id: alert!.id, expect: 200 } };
  },
  listTombstones: async (cx) => {
    const gone = await cx.key({ inactive: true });
    await cx.client.deleteKey(gone.id);
    return { ok: { why: 'a page', query: 'limit=5', expect: 200 } };
  },

  verifyAudit: async () => ({ ok: { why: 'the whole chain against the home key and checkpoint', expect: 200 } }),
};
