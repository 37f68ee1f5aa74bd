/**
 * PATCH under concurrency: two edits of one key both land and verify sees both; two keys
 * renamed to one name at once, one wins and the other gets name_taken; an edit racing a
 * deactivate never brings the key back for verify.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/daemon.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.stop());

const ROUNDS = 10;

describe('concurrent edits', () => {
  it('apply both of two edits of different fields, in the store, the audit log and verify', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { key, secret } = (await t.api('POST', '/v1/keys', { name: `both-${round}` })).body;
      const [a, b] = await Promise.all([
        t.api('PATCH', `/v1/keys/${key.id}`, { owner: `team-${round}` }),
        t.api('PATCH', `/v1/keys/${key.id}`, { scopes: ['orders:read'], meta: { round } }),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const stored = (await t.api('GET', `/v1/keys/${key.id}`)).body.key;
      expect(stored).toMatchObject({ owner: `team-${round}`, scopes: ['orders:read'], meta: { round } });
      expect(await t.client.verify(secret)).toMatchObject({ valid: true, owner: `team-${round}`, scopes: ['orders:read'], meta: { round } });
      const events = (await t.api('GET', '/v1/audit?limit=2')).body.events.map((e) => e.detail.fields);
      expect(events.sort()).toEqual([['meta', 'scopes'], ['owner']]);
    }
  });

  it('let one of two renames to the same name win; the other gets name_taken and changes nothing', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const first = (await t.api('POST', '/v1/keys', { name: `first-${round}` })).body.key;
      const second = (await t.api('POST', '/v1/keys', { name: `second-${round}` })).body.key;
      const results = await Promise.all([
        t.api('PATCH', `/v1/keys/${first.id}`, { name: `taken-${round}`, owner: 'first' }),
        t.api('PATCH', `/v1/keys/${second.id}`, { name: `TAKEN-${round}`, owner: 'second' }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const loser = results.find((r) => r.status === 409)!;
      expect(loser.body.error.code).toBe('name_taken');
      const keys = (await t.api('GET', `/v1/keys?q=${round}`)).body.keys.filter((k) => k.id === first.id || k.id === second.id);
      const winners = keys.filter((k) => k.name.toLowerCase() === `taken-${round}`);
      expect(winners).toHaveLength(1);
      const other = keys.find((k) => k !== winners[0])!;
      expect(other.owner, 'the refused edit changed nothing').toBeNull();
      expect(other.name).toMatch(/^(first|second)-/);
    }
  });

  it('never let an edit racing a deactivate make the key verify again', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { key, secret } = (await t.api('POST', '/v1/keys', { name: `racing-${round}` })).body;
      await Promise.all([t.api('PATCH', `/v1/keys/${key.id}`, { description: `round ${round}` }), t.api('POST', `/v1/keys/${key.id}/deactivate`)]);
      expect((await t.api('GET', `/v1/keys/${key.id}`)).body.key).toMatchObject({ status: 'inactive', description: `round ${round}` });
      expect(await t.client.verify(secret)).toEqual({ valid: false, code: 'inactive' });
    }
  });
});
