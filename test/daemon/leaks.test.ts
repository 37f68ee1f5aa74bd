/**
 * `POST /v1/keys/leaks`: `keyward scan` reports the live keys it found by hash and location, and
 * the daemon raises `key.leaked` for each active key, one open alert per key and location.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../src/client/client.js';
import type { AlertJson } from '../../src/daemon/alerts/schemas.js';
import { LEAK_WHERE_MAX } from '../../src/daemon/limits.js';
import { hashSecret } from '../../src/daemon/secrets/format.js';
import { startTestApp, type TestApp } from '../helpers/daemon.js';

let t: TestApp;
let viewer: string;
beforeEach(async () => {
  t = await startTestApp();
  viewer = (await t.client.createOperator('ci', 'viewer')).token;
});
afterEach(async () => {
  await t.stop();
});

async function createKey(name: string, extra: Record<string, unknown> = {}) {
  const { body } = await t.api('POST', '/v1/keys', { name, ...extra });
  return { id: body.key.id as string, secret: body.secret as string };
}

async function report(leaks: Array<{ sha256: string; where: string }>, token: string | null = viewer) {
  return t.api('POST', '/v1/keys/leaks', { leaks }, token);
}

type LeakResult = { sha256: string; where: string; reported: boolean };

function results(res: { body: unknown }): LeakResult[] {
  return (res.body as { results: LeakResult[] }).results;
}

async function leakAlerts(): Promise<AlertJson[]> {
  const { body } = await t.api('GET', '/v1/alerts?state=all');
  return (body as unknown as { alerts: AlertJson[] }).alerts.filter((a) => a.kind === 'key.leaked');
}

describe('POST /v1/keys/leaks', () => {
  it('raises one open key.leaked per active key and location, announced as an event; a repeat counts on it', async () => {
    const key = await createKey('billing');
    const events: StreamEvent[] = [];
    const ctl = new AbortController();
    await new Promise<void>((resolve) => void t.client.events((e) => events.push(e), ctl.signal, resolve));

    const first = await report([{ sha256: hashSecret(key.secret), where: 'deploy/.env:3' }]);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(results(first)).toEqual([{ sha256: hashSecret(key.secret), where: 'deploy/.env:3', reported: true }]);
    const [alert] = await leakAlerts();
    expect(alert).toMatchObject({ state: 'open', keyId: key.id, keyName: 'billing', caller: 'deploy/.env:3', count: 1, detail: { reason: 'leaked: deploy/.env:3', reportedBy: 'ci' } });

    // The next CI run finds it again: no second alert, the first counted.
    await report([{ sha256: hashSecret(key.secret), where: 'deploy/.env:3' }]);
    const again = await leakAlerts();
    expect(again, 'one alert per key and location').toHaveLength(1);
    expect(again[0]).toMatchObject({ id: alert!.id, count: 2 });
    expect(Date.parse(again[0]!.lastSeenAt)).toBeGreaterThanOrEqual(Date.parse(alert!.lastSeenAt));

    await report([{ sha256: hashSecret(key.secret), where: 'gist.txt:1' }]);
    expect((await leakAlerts()).map((a) => [a.caller, a.count]).sort(), 'another location, another alert').toEqual([
      ['deploy/.env:3', 2],
      ['gist.txt:1', 1],
    ]);

    await expect.poll(() => events.filter((e) => e.event === 'alert.raised').length).toBe(2);
    ctl.abort();
    const raised = events.filter((e) => e.event === 'alert.raised').map((e) => (e.data as { alert: AlertJson }).alert);
    expect(raised.map((a) => [a.kind, a.keyId, a.caller])).toEqual([
      ['key.leaked', key.id, 'deploy/.env:3'],
      ['key.leaked', key.id, 'gist.txt:1'],
    ]);
    expect(events.some((e) => e.event === 'alert.updated' && (e.data as { alert: AlertJson }).alert.count === 2)).toBe(true);
  });

  it('leaves alone an unknown hash, an inactive, deleted or canary key, and an operator token, and says so', async () => {
    const off = await createKey('off');
    await t.api('POST', `/v1/keys/${off.id}/deactivate`);
    const gone = await createKey('gone');
    await t.api('POST', `/v1/keys/${gone.id}/deactivate`);
    await t.api('DELETE', `/v1/keys/${gone.id}`);
    const canary = await createKey('bait', { canary: true });
    const hashes = [hashSecret(off.secret), hashSecret(gone.secret), hashSecret(canary.secret), hashSecret('kw_nobody'), hashSecret(t.adminToken)];
    for (const token of [viewer, t.adminToken]) {
      const res = await report(hashes.map((sha256) => ({ sha256, where: 'a.txt:1' })), token);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(results(res).map((r) => r.reported)).toEqual([false, false, false, false, false]);
    }
    expect(await leakAlerts()).toEqual([]);
  });

  it('raises nothing for a key named by its id: only its hash proves the reporter holds it', async () => {
    const key = await createKey('billing');
    for (const sha256 of [key.id, hashSecret(key.id)]) {
      const res = await report([{ sha256, where: 'a.txt:1' }]);
      expect(res.status).toBe(sha256 === key.id ? 400 : 200);
    }
    expect(await leakAlerts()).toEqual([]);
  });

  it('needs keys:read, and refuses bad bodies with 400', async () => {
    const key = await createKey('billing');
    const sha256 = hashSecret(key.secret);
    const service = (await t.client.createOperator('svc', 'service')).token;
    expect((await report([{ sha256, where: 'a.txt:1' }], service)).status).toBe(403);
    expect((await report([{ sha256, where: 'a.txt:1' }], null)).status).toBe(401);
    const bad: unknown[] = [
      {},
      { leaks: [] },
      { leaks: [{ sha256 }] },
      { leaks: [{ sha256, where: '   ' }] },
      { leaks: [{ sha256, where: 'x'.repeat(LEAK_WHERE_MAX + 1) }] },
      { leaks: [{ sha256: 'abc', where: 'a.txt:1' }] },
      { leaks: [{ sha256, where: 'a.txt:1', keyId: key.id }] },
      { leaks: Array.from({ length: 501 }, () => ({ sha256, where: 'a.txt:1' })) },
      { leaks: [{ sha256, where: 'a.txt:1' }], extra: 1 },
    ];
    for (const body of bad) expect((await t.api('POST', '/v1/keys/leaks', body, viewer)).status, JSON.stringify(body).slice(0, 80)).toBe(400);
    expect(await leakAlerts()).toEqual([]);
  });

  it('cleans the location like other text: no control characters, no secret', async () => {
    const key = await createKey('billing');
    const res = await report([{ sha256: hashSecret(key.secret), where: `\u001b[2Jnotes ${key.secret}.md:1 ` }]);
    expect(results(res)[0]).toMatchObject({ where: '[2Jnotes kw_…(secret removed).md:1', reported: true });
    expect((await leakAlerts())[0]).toMatchObject({ caller: '[2Jnotes kw_…(secret removed).md:1' });
  });

  it('and a deactivation reporting the same location counts on the same alert', async () => {
    const key = await createKey('billing');
    await report([{ sha256: hashSecret(key.secret), where: 'deploy/.env:3' }]);
    await t.api('POST', `/v1/keys/${key.id}/deactivate`, { reason: 'leaked: deploy/.env:3' });
    expect(await leakAlerts()).toMatchObject([{ caller: 'deploy/.env:3', count: 2, state: 'open' }]);
    // Now inactive: a further report raises nothing.
    expect(results(await report([{ sha256: hashSecret(key.secret), where: 'deploy/.env:3' }]))[0]!.reported).toBe(false);
    expect(await leakAlerts()).toMatchObject([{ count: 2 }]);
  });
});
