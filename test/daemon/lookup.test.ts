/**
 * Issue 17: `POST /v1/keys/lookup` (what keyward knows of hashes, for `keyward scan`) and the
 * deactivation reason, with `key.leaked` for a reason that reports a leak.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../src/client/client.js';
import { generateSecret, hashSecret } from '../../src/daemon/secrets/format.js';
import { startTestApp, storeText, type TestApp } from '../helpers/daemon.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => {
  await t.stop();
});

async function createKey(name: string) {
  const { body } = await t.api('POST', '/v1/keys', { name });
  return { id: body.key.id, secret: body.secret };
}

async function lookup(hashes: string[], token?: string | null) {
  return t.api('POST', '/v1/keys/lookup', { sha256: hashes }, token);
}

describe('POST /v1/keys/lookup', () => {
  it('answers each hash, in the order asked, with the key and its state', async () => {
    const live = await createKey('live');
    const off = await createKey('off');
    await t.api('POST', `/v1/keys/${off.id}/deactivate`);
    const gone = await createKey('gone');
    await t.api('POST', `/v1/keys/${gone.id}/deactivate`);
    await t.api('DELETE', `/v1/keys/${gone.id}`);
    const stranger = hashSecret(generateSecret('kw_'));

    const asked = [hashSecret(off.secret), stranger, hashSecret(live.secret).toUpperCase(), hashSecret(gone.secret), hashSecret(live.secret)];
    const res = await lookup(asked);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((res.body as unknown as { results: unknown[] }).results).toEqual([
      { sha256: hashSecret(off.secret), state: 'inactive', kind: 'key', keyId: off.id, name: 'off' },
      { sha256: stranger, state: 'unknown' },
      { sha256: hashSecret(live.secret), state: 'active', kind: 'key', keyId: live.id, name: 'live' },
      // A deleted key is remembered by its tombstone.
      { sha256: hashSecret(gone.secret), state: 'deleted', kind: 'key', keyId: gone.id, name: 'gone' },
      { sha256: hashSecret(live.secret), state: 'active', kind: 'key', keyId: live.id, name: 'live' },
    ]);
  });

  it('answers operator tokens only to operators who may manage operators', async () => {
    const viewer = (await t.api('POST', '/v1/operators', { name: 'looker', role: 'viewer' })).body;
    const manager = (await t.api('POST', '/v1/operators', { name: 'boss', role: 'manager' })).body;
    const disabled = (await t.api('POST', '/v1/operators', { name: 'gone', role: 'service' })).body;
    await t.api('POST', `/v1/operators/${disabled.operator.id}/disable`);
    const hashes = [hashSecret(t.adminToken), hashSecret(disabled.token)];

    const asAdmin = await lookup(hashes);
    expect((asAdmin.body as unknown as { results: unknown[] }).results).toEqual([
      { sha256: hashes[0], state: 'active', kind: 'operator', operatorId: expect.stringMatching(/^op_/), name: 'admin' },
      { sha256: hashes[1], state: 'inactive', kind: 'operator', operatorId: disabled.operator.id, name: 'gone' },
    ]);
    // To anyone else a token is exactly as unknown as a hash nobody has.
    for (const token of [viewer.token, manager.token]) {
      const res = await lookup(hashes, token);
      expect(res.status).toBe(200);
      expect((res.body as unknown as { results: unknown[] }).results).toEqual(hashes.map((sha256) => ({ sha256, state: 'unknown' })));
    }
  });

  it('refuses bad bodies with invalid_request and too many hashes at once', async () => {
    const hash = hashSecret(generateSecret('kw_'));
    for (const body of [{}, { sha256: [] }, { sha256: ['xyz'] }, { sha256: [hash.slice(1)] }, { sha256: hash }, { sha256: [hash], extra: 1 }]) {
      const res = await t.api('POST', '/v1/keys/lookup', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    const tooMany = await lookup(Array.from({ length: 501 }, () => hash));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.issues[0]?.path).toBe('sha256');
    expect((await lookup(Array.from({ length: 500 }, () => hash))).status).toBe(200);
  });

  it('needs keys:read', async () => {
    const service = (await t.api('POST', '/v1/operators', { name: 'svc', role: 'service' })).body;
    const res = await lookup([hashSecret(t.adminToken)], service.token);
    expect(res.status).toBe(403);
    expect((await lookup([hashSecret(t.adminToken)], null)).status).toBe(401);
  });
});

describe('deactivation reason', () => {
  it('is kept on the key, audited, cleared by activate, and a leak report raises key.leaked once', async () => {
    const key = await createKey('billing');
    const events: StreamEvent[] = [];
    const ctl = new AbortController();
    const opened = new Promise<void>((resolve) => void t.client.events((e) => events.push(e), ctl.signal, resolve));
    await opened;

    const off = await t.api('POST', `/v1/keys/${key.id}/deactivate`, { reason: '  leaked: deploy/.env:3\u001b[2J ' });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    expect(off.body.key).toMatchObject({ status: 'inactive', deactivationReason: 'leaked: deploy/.env:3[2J' });
    expect((await t.api('GET', `/v1/keys/${key.id}`)).body.key.deactivationReason).toBe('leaked: deploy/.env:3[2J');
    const [audit] = (await t.api('GET', '/v1/audit?limit=1')).body.events;
    expect(audit).toMatchObject({ action: 'key.deactivate', targetId: key.id, detail: { reason: 'leaked: deploy/.env:3[2J' } });
    // Deactivating again changes nothing and reports nothing.
    await t.api('POST', `/v1/keys/${key.id}/deactivate`, { reason: 'leaked: again.txt:1' });

    const on = await t.api('POST', `/v1/keys/${key.id}/activate`);
    expect(on.body.key).toMatchObject({ status: 'active', deactivationReason: null });
    await t.api('POST', `/v1/keys/${key.id}/deactivate`, { reason: 'rotated by hand' });
    await t.api('POST', `/v1/keys/${key.id}/activate`);
    const plain = await t.api('POST', `/v1/keys/${key.id}/deactivate`);
    expect(plain.body.key.deactivationReason).toBeNull();

    await expect.poll(() => events.filter((e) => e.event === 'key.updated').length).toBe(6);
    ctl.abort();
    const leaks = events.filter((e) => e.event === 'key.leaked');
    expect(leaks).toHaveLength(1);
    expect(leaks[0]!.data).toMatchObject({ reason: 'leaked: deploy/.env:3[2J', key: { id: key.id, name: 'billing', status: 'inactive' } });
  });

  it('refuses a blank, overlong or unexpected reason, and never stores a secret pasted into one', async () => {
    const key = await createKey('k');
    for (const body of [{ reason: '   ' }, { reason: 'x'.repeat(501) }, { reason: 5 }, { why: 'x' }]) {
      const res = await t.api('POST', `/v1/keys/${key.id}/deactivate`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await t.api('GET', `/v1/keys/${key.id}`)).body.key.status).toBe('active');
    const res = await t.api('POST', `/v1/keys/${key.id}/deactivate`, { reason: `leaked: it was ${key.secret}` });
    expect(res.body.key.deactivationReason).toBe('leaked: it was kw_…(secret removed)');
    for (const text of await storeText(t)) expect(text).not.toContain(key.secret);
  });
});
