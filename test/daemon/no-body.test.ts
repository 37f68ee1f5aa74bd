/**
 * Operations that take no body refuse one (400, nothing changed) instead of ignoring it and
 * acting: a malformed body, or fields a client meant to count (`{"force":true}` on a delete).
 * No body at all and `{}` still go through: keyward's client sends none.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/daemon.js';

let t: TestApp;
afterEach(async () => {
  await t?.stop();
});

/** Everything a refused request might have changed (of rotations, their step: the evidence is live). */
async function state() {
  const get = async (path: string) => (await t.api('GET', path)).body;
  const rotations = (await get('/v1/rotations?state=all')).rotations.map((r) => [r.id, r.step, r.stepStartedAt]);
  return { keys: await get('/v1/keys'), operators: await get('/v1/operators'), rotations, alerts: await get('/v1/alerts?state=all'), audit: await get('/v1/audit') };
}

describe('operations that take no body', () => {
  it('refuse any body but {} with 400 invalid_request naming the body, and change nothing', async () => {
    t = await startTestApp();
    const create = async (name: string, extra: Record<string, unknown> = {}) => (await t.api('POST', '/v1/keys', { name, ...extra })).body;
    const inactive = (await create('inactive')).key.id;
    await t.api('POST', `/v1/keys/${inactive}/deactivate`);
    const rotating = (await create('rotating')).key.id;
    const rotation = (await t.api('POST', `/v1/keys/${rotating}/rotations`, {})).body.rotation.id;
    const operator = (await t.api('POST', '/v1/operators', { name: 'ci', role: 'viewer' })).body.operator as { id: string };
    const canary = await create('honeypot', { canary: true });
    const service = (await t.api('POST', '/v1/operators', { name: 'svc', role: 'service' })).body.token;
    await t.api('POST', '/v1/verify', { key: canary.secret }, service);
    const [alert] = ((await t.api('GET', '/v1/alerts')).body as unknown as { alerts: { id: string }[] }).alerts;
    expect(alert, 'the canary raised an alert').toBeDefined();

    const before = await state();
    for (const [method, path, body] of [
      ['POST', `/v1/keys/${inactive}/activate`, '{"name":'],
      ['POST', `/v1/keys/${inactive}/activate`, '[]'],
      ['POST', `/v1/operators/${operator.id}/disable`, { confirm: false, dryRun: true }],
      ['POST', `/v1/alerts/${alert!.id}/ack`, '1'],
      ['DELETE', `/v1/keys/${inactive}`, { force: true }],
      ['POST', `/v1/rotations/${rotation}/cancel`, 'null'],
      ['POST', `/v1/rotations/${rotation}/rollback`, '"please"'],
    ] as const) {
      const res = await t.api(method, path, body);
      const what = `${method} ${path} ${JSON.stringify(body)}`;
      expect(res.status, what).toBe(400);
      expect(res.body.error.code, what).toBe('invalid_request');
      expect(res.body.error.issues, what).toEqual([{ path: 'body', message: 'must be empty or {}: this operation takes no fields' }]);
    }
    expect(await state(), 'a refused request changes nothing').toEqual(before);

    // The permission is checked first, as for every other refusal of the body.
    const viewer = (await t.api('POST', '/v1/operators', { name: 'viewer', role: 'viewer' })).body.token;
    expect((await t.api('POST', `/v1/keys/${inactive}/activate`, '{"name":', viewer)).status).toBe(403);

    expect((await t.api('POST', `/v1/keys/${inactive}/activate`)).body.key.status, 'no body').toBe('active');
    expect((await t.api('POST', `/v1/operators/${operator.id}/disable`, {})).body.operator, '{}').toMatchObject({ disabledAt: expect.any(String) });
    expect((await t.api('POST', `/v1/alerts/${alert!.id}/ack`, ' { } ')).status, '{} with blanks').toBe(200);
    expect((await t.api('POST', `/v1/rotations/${rotation}/cancel`, '')).body.rotation.step, 'an empty body').toBe('cancelled');
  });
});
