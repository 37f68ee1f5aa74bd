/**
 * Issue 18 item 10: `GET /v1/audit` filtered by action, key and operator in the store, so a
 * filtered page is full and `before` continues exactly; runs on both backends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEventJson } from '../../src/client/client.js';
import { startTestApp, type TestApp } from '../helpers/daemon.js';

let t: TestApp;
let bob: { id: string; token: string };
let billing: { id: string };
let rotationId: string;

beforeAll(async () => {
  t = await startTestApp();
  const created = (await t.api('POST', '/v1/operators', { name: 'bob', role: 'manager' })).body;
  bob = { id: created.operator.id, token: created.token };
  billing = (await t.api('POST', '/v1/keys', { name: 'billing' })).body.key;
  for (let i = 0; i < 6; i++) {
    const { key } = (await t.api('POST', '/v1/keys', { name: `noise-${i}` }, i % 2 ? bob.token : undefined)).body;
    await t.api('POST', `/v1/keys/${key.id}/deactivate`, undefined, bob.token);
  }
  await t.api('POST', `/v1/keys/${billing.id}/deactivate`, undefined, bob.token);
  await t.api('POST', `/v1/keys/${billing.id}/activate`);
  rotationId = (await t.api('POST', `/v1/keys/${billing.id}/rotations`, {}, bob.token)).body.rotation.id;
  await t.api('POST', `/v1/rotations/${rotationId}/advance`, { from: 'update_systems' });
  await t.api('POST', `/v1/rotations/${rotationId}/cancel`, undefined, bob.token);
});
afterAll(() => t.stop());

async function audit(query: string): Promise<AuditEventJson[]> {
  const res = await t.api('GET', `/v1/audit?${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.events;
}

/** Every page of `query`, `limit` at a time, following `before`. */
async function pages(query: string, limit: number): Promise<AuditEventJson[][]> {
  const out: AuditEventJson[][] = [];
  for (let before = ''; ; ) {
    const page = await audit(`${query}&limit=${limit}${before}`);
    if (page.length === 0) return out;
    out.push(page);
    before = `&before=${page[page.length - 1]!.seq}`;
  }
}

describe('audit filters', () => {
  it('filters by exact action or by family', async () => {
    const deactivations = await audit('action=key.deactivate');
    expect(deactivations).toHaveLength(7);
    expect(deactivations.every((e) => e.action === 'key.deactivate')).toBe(true);
    expect((await audit('action=rotation')).map((e) => e.action)).toEqual(['rotation.cancel', 'rotation.advance', 'rotation.start']);
    expect(await audit('action=rotation.adv')).toEqual([]);
    expect(await audit('action=rot')).toEqual([]);
  });

  it("filters by key id or name, the key's rotations included", async () => {
    const byId = await audit(`key=${billing.id}`);
    const byName = await audit('key=billing');
    expect(byName.map((e) => e.seq)).toEqual(byId.map((e) => e.seq));
    expect(byName.map((e) => e.action)).toEqual(['rotation.cancel', 'rotation.advance', 'rotation.start', 'key.activate', 'key.deactivate', 'key.create']);
    expect(byName.every((e) => e.targetName === 'billing')).toBe(true);
    expect(await audit('key=bob')).toEqual([]); // an operator's name is no key
    // The new key's history includes the rotation that created it.
    expect((await audit('key=billing-2')).map((e) => e.action)).toEqual(['rotation.cancel', 'rotation.advance', 'rotation.start', 'key.create']);
  });

  it('filters by operator id or name and combines filters', async () => {
    const byBob = await audit('operator=bob');
    expect(byBob.length).toBeGreaterThan(0);
    expect(byBob.every((e) => e.operatorName === 'bob')).toBe(true);
    expect((await audit(`operator=${bob.id}`)).map((e) => e.seq)).toEqual(byBob.map((e) => e.seq));
    expect((await audit('operator=bob&key=billing')).map((e) => e.action)).toEqual(['rotation.cancel', 'rotation.start', 'key.deactivate']);
    expect((await audit('operator=admin&action=key.create')).map((e) => e.targetName)).toEqual(['noise-4', 'noise-2', 'noise-0', 'billing']);
  });

  it('pages a filtered log exactly: full pages, no event twice, none skipped', async () => {
    const all = await audit('action=key&limit=10000');
    expect(all.length).toBe(16); // 8 creates (billing, 6 noise, the rotation's new key), 7 deactivations, 1 activation
    const paged = await pages('action=key', 4);
    expect(paged.slice(0, -1).every((p) => p.length === 4)).toBe(true);
    expect(paged.flat().map((e) => e.seq)).toEqual(all.map((e) => e.seq));
  });

  it('refuses malformed filters with invalid_request', async () => {
    for (const query of ['action=KEY.CREATE', 'action=key.', 'action=%25', `key=${'x'.repeat(65)}`, 'operator=', 'key=a%1Bb', 'before=0', 'limit=10001']) {
      const res = await t.api('GET', `/v1/audit?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
  });
});

describe('the page size', () => {
  it('is 1000 events unless asked, as for every list', async () => {
    // Over the 100 an earlier default answered, under 1000.
    for (let i = 0; i < 110; i++) expect((await t.api('POST', '/v1/keys', { name: `page-${i}` })).status).toBe(201);
    const all = await audit('limit=10000');
    expect(all.length).toBeGreaterThan(130);
    expect((await audit('')).map((e) => e.seq)).toEqual(all.map((e) => e.seq));
    expect(await audit('limit=5')).toEqual(all.slice(0, 5));
  });
});
