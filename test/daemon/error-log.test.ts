/**
 * What the daemon logs of a request it failed: the request's id, the one its answer carries
 * (the client's own `X-Request-Id` when it sent a well-formed one), so a user quoting an
 * error's `requestId` leads to its log line.
 */
import { DrizzleQueryError } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/daemon.js';

let t: TestApp;
afterEach(async () => {
  vi.restoreAllMocks();
  await t?.stop();
});

/** `GET /v1/operators` with the store failing as `error`, and the answer's request id. */
async function failingList(error: Error, headers: Record<string, string> = {}): Promise<{ status: number; requestId: string }> {
  vi.spyOn(t.daemon.core.store, 'listOperators').mockRejectedValue(error);
  const res = await t.fetch(`${t.url}/v1/operators`, { headers: { authorization: `Bearer ${t.adminToken}`, ...headers } });
  const body = (await res.json()) as { error: { requestId: string } };
  expect(res.headers.get('x-request-id')).toBe(body.error.requestId);
  return { status: res.status, requestId: body.error.requestId };
}

describe('the log line of a failed request', () => {
  it('names the request id the answer carries, the client’s own or the daemon’s', async () => {
    t = await startTestApp();
    const own = await failingList(new Error('no such table: operators (injected)'), { 'x-request-id': 'trace-4711' });
    expect(own).toEqual({ status: 500, requestId: 'trace-4711' });
    expect(t.logs.filter((line) => line.startsWith('internal error on GET /v1/operators (request trace-4711): Error: no such table'))).toHaveLength(1);

    const made = await failingList(Object.assign(new Error('busy (injected)'), { code: 'SQLITE_BUSY' }));
    expect(made.status).toBe(503);
    expect(t.logs.filter((line) => line === `store error on GET /v1/operators (request ${made.requestId}): busy (injected)`)).toHaveLength(1);

    // As drizzle wraps a driver's error: the query quoted, its parameters on a line of their own.
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const wrapped = await failingList(new DrizzleQueryError('select "id", "name" from "operators" limit $1', [10001], refused));
    expect(wrapped.status).toBe(503);
    const logged = t.logs.filter((line) => line.includes(wrapped.requestId));
    expect(logged, 'one line, saying what the network said, not the query').toEqual([
      `store error on GET /v1/operators (request ${wrapped.requestId}): connect ECONNREFUSED 127.0.0.1:5432`,
    ]);

    // An id that is not well-formed is replaced, in the answer and the log alike.
    const forged = await failingList(new Error('again (injected)'), { 'x-request-id': 'x\u001b[2J' });
    expect(forged.requestId).not.toContain('\u001b');
    expect(t.logs.some((line) => line.startsWith(`internal error on GET /v1/operators (request ${forged.requestId}): `))).toBe(true);

    // So is one shaped like a secret (a token pasted into the wrong header): never quoted back or logged.
    const pasted = await failingList(new Error('once more (injected)'), { 'x-request-id': t.adminToken });
    expect(pasted.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.logs.some((line) => line.startsWith(`internal error on GET /v1/operators (request ${pasted.requestId}): `))).toBe(true);
    expect(t.logs.join('\n')).not.toContain(t.adminToken);
  });

  it('logs a store that fails every request once per reason every 10 s, counting the lines left out', async () => {
    t = await startTestApp();
    let now = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const down = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await failingList(down())).requestId);
    const busy = await failingList(Object.assign(new Error('busy (injected)'), { code: 'SQLITE_BUSY' }));
    const lines = () => t.logs.filter((line) => line.startsWith('store error on'));
    expect(lines()).toEqual([
      `store error on GET /v1/operators (request ${ids[0]}): connect ECONNREFUSED 127.0.0.1:5432`,
      `store error on GET /v1/operators (request ${busy.requestId}): busy (injected)`,
    ]);
    now += 10_001;
    const later = await failingList(down());
    expect(lines().at(-1)).toBe(`store error on GET /v1/operators (request ${later.requestId}): connect ECONNREFUSED 127.0.0.1:5432 (and 4 more like it since the last line)`);
  });

  it('answers a request refused before any route with its own id, never a secret-shaped one sent', async () => {
    t = await startTestApp();
    const res = await t.fetch(`${t.url}/v1/keys/key_nosuch`, { headers: { authorization: 'Bearer kwo_wrong', 'x-request-id': t.adminToken } });
    const body = (await res.json()) as { error: { code: string; requestId: string } };
    expect(body.error.code).toBe('unauthorized');
    expect(JSON.stringify(body) + res.headers.get('x-request-id')).not.toContain(t.adminToken);
  });
});
