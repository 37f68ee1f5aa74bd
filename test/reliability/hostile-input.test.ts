/**
 * Hostile input: fast-check throws random and broken requests at every route the app has
 * (and at paths it does not have). Every refusal must be a 4xx in the error envelope, nothing
 * may ever be a 5xx or an unexpected error in the log, the daemon must keep serving, and a
 * refused request must leave keys, operators, rotations and the audit log exactly as they were.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS, type ErrorCode } from '../../src/daemon/errors.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { describeRequest, hostileRequests, trickyString, type BodyKind, type HostileRequest, type Route, type Tokens } from './helpers/hostile.js';
import { rawAgent, sendRaw, type RawResponse } from './helpers/raw-http.js';
import { openStoreFile, type StoreFile } from './helpers/store-file.js';

/**
 * Requests per run: every body kind at every route several times over (6–8 s on a quiet
 * 2-core box, 15 s beside the rest of the suite); `KEYWARD_FUZZ_RUNS=20000` fuzzes longer. The
 * time limit only keeps a busy machine from running into the test's timeout.
 */
const RUNS = Number(process.env.KEYWARD_FUZZ_RUNS) || 2000;
const TIME_LIMIT_MS = 20_000;

let t: TestDaemon;
let file: StoreFile;
let routes: Route[];
let ids: string[];
let tokens: Tokens;

beforeAll(async () => {
  t = await startTestDaemon();
  file = openStoreFile(t.home);
  const seen = new Set<string>();
  routes = t.daemon.app.routes
    .filter((r) => r.method !== 'ALL')
    .map((r) => ({ method: r.method, path: r.path }))
    .filter((r) => !seen.has(`${r.method} ${r.path}`) && seen.add(`${r.method} ${r.path}`));
  const active = await t.client.createKey('fuzz-active');
  const inactive = await t.client.createKey('fuzz-inactive');
  await t.client.deactivateKey(inactive.key.id);
  const rotated = await t.client.createKey('fuzz-rotated');
  const { rotation } = await t.client.startRotation(rotated.key.id);
  await t.client.advance(rotation.id, { from: 'update_systems' });
  const viewer = await t.client.createOperator('fuzz-viewer', 'viewer');
  const service = await t.client.createOperator('fuzz-service', 'service');
  const disabled = await t.client.createOperator('fuzz-disabled', 'manager');
  await t.client.disableOperator(disabled.operator.id);
  const me = await t.client.me();
  ids = [active.key.id, inactive.key.id, rotated.key.id, rotation.newKeyId, rotation.id, viewer.operator.id, me.operator.id, 'key_0000000000000000000000', 'rot_missing'];
  tokens = { admin: t.adminToken, viewer: viewer.token, service: service.token, disabled: disabled.token, apiKey: active.secret };
});

afterAll(async () => {
  file.close();
  await t.stop();
});

/** A refusal in the daemon's envelope: `{error:{code,message,requestId,issues?}}` matching the status. */
function checkEnvelope(res: RawResponse, req: HostileRequest): void {
  const what = `${res.status} for ${describeRequest(req)}: ${res.body.slice(0, 300)}`;
  expect(res.headers['content-type'], what).toMatch(/^application\/json/);
  const parsed = JSON.parse(res.body) as { error?: { code?: unknown; message?: unknown; requestId?: unknown; issues?: unknown } };
  const error = parsed.error;
  expect(Object.keys(parsed), what).toEqual(['error']);
  expect(typeof error?.code === 'string' && error.code in ERROR_STATUS, what).toBe(true);
  expect(ERROR_STATUS[error!.code as ErrorCode], what).toBe(res.status);
  expect(typeof error!.message === 'string' && error!.message.length > 0, what).toBe(true);
  expect(error!.message as string, what).not.toMatch(/\n\s+at /);
  expect(typeof error!.requestId === 'string' && error!.requestId.length > 0, what).toBe(true);
  if (error!.issues !== undefined) {
    expect(Array.isArray(error!.issues), what).toBe(true);
    for (const issue of error!.issues as { path?: unknown; message?: unknown }[]) {
      expect(typeof issue.path === 'string' && typeof issue.message === 'string', what).toBe(true);
    }
  }
}

/** A created key or operator is stored under exactly the name the answer shows. */
function checkStoredAsAnswered(res: RawResponse): void {
  const body = JSON.parse(res.body) as { key?: { id: string; name: string }; operator?: { id: string; name: string }; rotation?: { newKeyId: string; newKeyName: string } };
  const created = body.key ?? body.operator ?? (body.rotation && { id: body.rotation.newKeyId, name: body.rotation.newKeyName });
  expect(created, res.body).toBeDefined();
  expect(file.nameOf(created!.id), `stored name of ${created!.id}`).toBe(created!.name);
}

describe('hostile input', () => {
  it('stores every name it accepts exactly as it answers, and refuses the rest with a name issue', { timeout: 60_000 }, async () => {
    // Lone surrogates are half a character: SQLite would keep bytes that read back as U+FFFD.
    for (const name of ['\\ud800', 'a\\udfffb', '\\udbff\\udbff']) {
      const res = await t.api('POST', '/v1/keys', `{"name":"${name}"}`);
      expect(res.status, name).toBe(400);
    }
    const created = { keys: 0, operators: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(trickyString, fc.constantFrom('keys', 'operators'), async (name, kind) => {
        const before = file.snapshot();
        const res = kind === 'keys' ? await t.api('POST', '/v1/keys', { name }) : await t.api('POST', '/v1/operators', { name, role: 'viewer' });
        if (res.status === 201) {
          const answered = kind === 'keys' ? res.body.key : res.body.operator;
          expect(answered.name).toBe(name.normalize('NFC').trim());
          expect(file.nameOf(answered.id), `stored name of ${JSON.stringify(name)}`).toBe(answered.name);
          created[kind]++;
        } else {
          expect([400, 409], JSON.stringify(res.body)).toContain(res.status);
          expect(res.body.error.issues.map((i) => i.path)).toEqual(['name']);
          expect(file.snapshot()).toBe(before);
          created.refused++;
        }
      }),
      { numRuns: 400, interruptAfterTimeLimit: 10_000, markInterruptAsFailure: false },
    );
    console.log(`hostile names: ${created.keys} keys and ${created.operators} operators created, ${created.refused} names refused`);
    expect(created.keys + created.operators).toBeGreaterThan(0);
    expect(created.refused).toBeGreaterThan(0);
  });

  it('answers every hostile request with a 4xx envelope or a harmless success, and never changes the store on a refusal', { timeout: 120_000 }, async () => {
    const agent = rawAgent();
    const statuses = new Map<number, number>();
    const kinds = new Map<BodyKind, number>();
    let requests = 0;
    let refusedBeforeApp = 0;
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(hostileRequests(routes, ids, tokens), async (req) => {
        // Usage counted by earlier (accepted) verifies is written by the flush timer at any time
        // (last used, quotas): write it now, so only this request can change the snapshot.
        await t.daemon.core.usage.flush();
        const before = file.snapshot();
        const res = await sendRaw(t.url, req, agent);
        requests++;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        kinds.set(req.bodyKind, (kinds.get(req.bodyKind) ?? 0) + 1);
        const what = `${res.status} for ${describeRequest(req)}: ${res.body.slice(0, 300)}`;
        expect(res.status, what).toBeLessThan(500);
        const changed = file.snapshot() !== before;
        // Also what Node or the Hono adapter refuses before the app sees it (an unknown method,
        // raw bytes or a backslash in the path) is answered in the envelope, with a request id.
        expect(res.headers['x-request-id'], what).toBeDefined();
        if (res.status >= 400 && req.method !== 'HEAD') checkEnvelope(res, req);
        if (res.status === 400 && res.headers.connection === 'close') refusedBeforeApp++;
        if (res.status === 201) checkStoredAsAnswered(res);
        if (res.status >= 400) expect(changed, `the store changed under a refused ${describeRequest(req)}`).toBe(false);
        // A write that succeeded may change the store: PATCH too (a "malformed" body with a BOM
        // is JSON once the BOM is dropped, as RFC 8259 allows, and renamed a key; seed -1478061714).
        else if (!['POST', 'PATCH', 'DELETE'].includes(req.method)) expect(changed, `the store changed under ${describeRequest(req)}`).toBe(false);
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
    );
    agent.destroy();
    const byStatus = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
    const byKind = [...kinds].map(([k, n]) => `${k} ${n}`).join(', ');
    console.log(
      `hostile input: ${requests} requests fuzzed at ${routes.length} routes in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
        `statuses ${byStatus}; bodies: ${byKind}; ${refusedBeforeApp} refused by Node or the adapter before the app (400, connection closed)`,
    );
    expect(t.logs.filter((line) => /internal error/.test(line)), 'unexpected errors in the daemon log').toEqual([]);
    expect((await t.api('GET', '/v1/health')).status).toBe(200);
    const { secret } = await t.client.createKey('after-the-fuzz');
    expect(await t.client.verify(secret)).toMatchObject({ valid: true });
    expect(await file.problems()).toEqual([]);
    expect(requests).toBeGreaterThan(500);
  });
});
