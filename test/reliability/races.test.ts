/**
 * Races: many callers at once on one name, one key, one rotation, one home. Each race is run
 * many times; every run must end in exactly one winner and a store, index and audit log that
 * agree with it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readDaemonInfo } from '../../src/home.js';
import { startTestApp, type ApiBody, type TestApp } from '../helpers/daemon.js';
import { killLeftoverDaemons, spawnDaemonProcess, startChildDaemon } from './helpers/child-daemon.js';

/** Race → outcome → how often: a race that always ends the same way tests less than it seems. */
const races = new Map<string, Map<string, number>>();
function count(race: string, outcome = 'ok'): void {
  const outcomes = races.get(race) ?? new Map<string, number>();
  races.set(race, outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1));
}

let t: TestApp;
let secondAdmin: string;

beforeAll(async () => {
  t = await startTestApp();
  secondAdmin = (await t.client.createOperator('second-admin', 'admin')).token;
});

afterAll(async () => {
  await t.stop();
  const lines = [...races].map(([race, outcomes]) => `  ${race}: ${[...outcomes].map(([o, n]) => `${n} ${o}`).join(', ')}`);
  const total = [...races.values()].flatMap((o) => [...o.values()]).reduce((a, b) => a + b, 0);
  console.log(`races: ${total} run\n${lines.join('\n')}`);
});

type Answer = { status: number; body: ApiBody };

/** Sends all requests at once, in a random order, and returns their answers in the given order. */
async function together(requests: (() => Promise<Answer>)[]): Promise<Answer[]> {
  const order = requests.map((_, i) => i).sort(() => Math.random() - 0.5);
  const answers: Answer[] = new Array(requests.length);
  await Promise.all(order.map(async (i) => (answers[i] = await requests[i]!())));
  return answers;
}

async function newKey(name: string): Promise<{ id: string; secret: string }> {
  const created = await t.client.createKey(name);
  return { id: created.key.id, secret: created.secret };
}

async function auditActions(targetId: string): Promise<string[]> {
  const { events } = await t.client.audit({ limit: 10_000 });
  return events
    .filter((e) => e.targetId === targetId)
    .map((e) => e.action)
    .reverse();
}

describe('races', () => {
  it('lets exactly one of many concurrent creates of one name win', async () => {
    for (let round = 0; round < 15; round++) {
      const spellings = [`race-${round}`, `RACE-${round}`, ` Race-${round} `, `rAcE-${round}`];
      const answers = await together(Array.from({ length: 16 }, (_, i) => () => t.api('POST', '/v1/keys', { name: spellings[i % 4] })));
      const won = answers.filter((a) => a.status === 201);
      expect(won, `round ${round}: ${answers.map((a) => a.status).join(' ')}`).toHaveLength(1);
      for (const lost of answers.filter((a) => a.status !== 201)) {
        expect(lost.status).toBe(409);
        expect(lost.body.error.code).toBe('name_taken');
      }
      const stored = (await t.client.listKeys({ q: `race-${round}` })).keys.filter((k) => k.name.toLowerCase() === `race-${round}`);
      expect(stored.map((k) => k.id)).toEqual([won[0]!.body.key.id]);
      expect(await t.client.verify(won[0]!.body.secret)).toMatchObject({ valid: true, keyId: won[0]!.body.key.id });
      expect(await auditActions(won[0]!.body.key.id)).toEqual(['key.create']);
      count('creates of one name');
    }
  });

  it('keeps store and index in step when deactivate and delete race', async () => {
    for (let round = 0; round < 20; round++) {
      const key = await newKey(`deactivate-delete-${round}`);
      const [deactivated, deleted] = await together([
        () => t.api('POST', `/v1/keys/${key.id}/deactivate`),
        () => t.api('DELETE', `/v1/keys/${key.id}`),
      ]);
      expect(deactivated!.status, 'deactivate always finds the key: delete cannot win first').toBe(200);
      expect([204, 409]).toContain(deleted!.status);
      const gone = deleted!.status === 204;
      if (!gone) expect(deleted!.body.error.code).toBe('key_active');
      expect((await t.api('GET', `/v1/keys/${key.id}`)).status).toBe(gone ? 404 : 200);
      expect(await t.client.verify(key.secret)).toEqual({ valid: false, code: gone ? 'not_found' : 'inactive' });
      expect(await auditActions(key.id)).toEqual(gone ? ['key.create', 'key.deactivate', 'key.delete'] : ['key.create', 'key.deactivate']);
      count('deactivate + delete', gone ? 'deleted after the deactivation' : 'delete refused, key active');
    }
  });

  it('never brings a deleted key back when activate and delete race', async () => {
    for (let round = 0; round < 20; round++) {
      const key = await newKey(`activate-delete-${round}`);
      await t.client.deactivateKey(key.id);
      const [activated, deleted] = await together([
        () => t.api('POST', `/v1/keys/${key.id}/activate`),
        () => t.api('DELETE', `/v1/keys/${key.id}`),
      ]);
      const gone = deleted!.status === 204;
      // Exactly one of them takes effect: the other finds the key gone, or active.
      expect([activated!.status, deleted!.status].sort()).toEqual(gone ? [204, 404] : [200, 409]);
      expect(await t.client.verify(key.secret)).toEqual(gone ? { valid: false, code: 'not_found' } : { valid: true, keyId: key.id, name: `activate-delete-${round}`, owner: null, meta: null, scopes: null });
      expect((await t.api('GET', `/v1/keys/${key.id}`)).status).toBe(gone ? 404 : 200);
      count('activate + delete', gone ? 'delete won' : 'activate won');
    }
  });

  /**
   * Hammers `verify` from several callers while `cut` deactivates the key; no verification
   * sent after `cut` answered may succeed. The cut waits for the key to verify under load, and
   * the hammering goes on until every caller has been answered after the cut.
   */
  async function hammerDuringCut(secret: string, cut: () => Promise<unknown>): Promise<void> {
    const results: { sentAt: number; valid: boolean }[] = [];
    let cutAnsweredAt = Infinity;
    const CALLERS = 8;
    const hammer = async () => {
      for (let afterCut = 0; afterCut < 2; ) {
        const sentAt = performance.now();
        const res = await t.api('POST', '/v1/verify', { key: secret, caller: 'hammer' });
        expect(res.status).toBe(200);
        results.push({ sentAt, valid: res.body.valid });
        if (sentAt > cutAnsweredAt) afterCut++;
      }
    };
    const hammers = Array.from({ length: CALLERS }, hammer);
    await vi.waitFor(() => expect(results.filter((r) => r.valid).length, 'the key to verify under load').toBeGreaterThanOrEqual(CALLERS), { timeout: 10_000 });
    await cut();
    cutAnsweredAt = performance.now();
    await Promise.all(hammers);
    const after = results.filter((r) => r.sentAt > cutAnsweredAt);
    expect(after.filter((r) => r.valid), 'verifications sent after the deactivation answered that succeeded').toEqual([]);
    expect(after.length).toBeGreaterThanOrEqual(2 * CALLERS);
  }

  it('refuses a key from the moment its deactivation answers, under verify load', async () => {
    for (let round = 0; round < 10; round++) {
      const key = await newKey(`hammered-${round}`);
      await hammerDuringCut(key.secret, () => t.client.deactivateKey(key.id));
      count('verify hammered during deactivate');
    }
  });

  it('refuses the old key from the moment a rotation cut-over answers, under verify load', async () => {
    for (let round = 0; round < 5; round++) {
      const old = await newKey(`r${round}-cut-over`);
      const { rotation } = await t.client.startRotation(old.id);
      await t.client.advance(rotation.id, { from: 'update_systems' });
      await t.client.advance(rotation.id, { from: 'verify_new', force: true });
      await hammerDuringCut(old.secret, () => t.client.advance(rotation.id, { from: 'deactivate_old' }));
      count('verify hammered during rotation cut-over');
    }
  });

  it('lets only one of two admins advance a rotation step', async () => {
    const steps = [
      { from: 'update_systems' },
      { from: 'verify_new', force: true },
      { from: 'deactivate_old' },
      { from: 'double_check', force: true }, // past the watch window
      { from: 'delete_old' },
    ] as const;
    for (let round = 0; round < 4; round++) {
      const old = await newKey(`r${round}-two-admins`);
      const { rotation } = await t.client.startRotation(old.id);
      for (const body of steps) {
        const path = `/v1/rotations/${rotation.id}/advance`;
        const answers = await together([() => t.api('POST', path, body), () => t.api('POST', path, body, secondAdmin)]);
        expect(answers.map((a) => a.status).sort(), `advancing from ${body.from}`).toEqual([200, 409]);
        expect(answers.find((a) => a.status === 409)!.body.error.code).toBe('step_changed');
        count('two admins advancing', answers[0]!.status === 200 ? 'first admin won' : 'second admin won');
      }
      const { events } = await t.client.audit({ limit: 10_000 });
      const advances = events.filter((e) => e.targetId === rotation.id && e.action === 'rotation.advance');
      expect(advances, 'one audit event per step').toHaveLength(steps.length);
      expect((await t.client.rotation(rotation.id)).rotation.step).toBe('completed');
    }
  });

  it('lets only one of advance and rollback win at double_check', async () => {
    for (let round = 0; round < 8; round++) {
      const old = await newKey(`r${round}-advance-rollback`);
      const { rotation } = await t.client.startRotation(old.id);
      await t.client.advance(rotation.id, { from: 'update_systems' });
      await t.client.advance(rotation.id, { from: 'verify_new', force: true });
      await t.client.advance(rotation.id, { from: 'deactivate_old' });
      const [advanced, rolledBack] = await together([
        () => t.api('POST', `/v1/rotations/${rotation.id}/advance`, { from: 'double_check', force: true }),
        () => t.api('POST', `/v1/rotations/${rotation.id}/rollback`, undefined, secondAdmin),
      ]);
      expect([advanced!.status, rolledBack!.status].sort()).toEqual([200, 409]);
      const rollbackWon = rolledBack!.status === 200;
      expect((await t.client.rotation(rotation.id)).rotation.step).toBe(rollbackWon ? 'verify_new' : 'delete_old');
      expect((await t.client.verify(old.secret)).valid, 'the old key works again only if the rollback won').toBe(rollbackWon);
      count('advance + rollback', rollbackWon ? 'rollback won' : 'advance won');
    }
  });

  it('lets only one of two concurrent rotations of one key start', async () => {
    for (let round = 0; round < 8; round++) {
      const old = await newKey(`r${round}-double-start`);
      const answers = await together([
        () => t.api('POST', `/v1/keys/${old.id}/rotations`, {}),
        () => t.api('POST', `/v1/keys/${old.id}/rotations`, {}, secondAdmin),
      ]);
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
      expect(answers.find((a) => a.status === 409)!.body.error.code).toBe('rotation_open');
      const open = (await t.client.rotations('open')).rotations.filter((r) => r.oldKeyId === old.id);
      expect(open).toHaveLength(1);
      const keys = (await t.client.listKeys({ q: `r${round}-double-start` })).keys;
      expect(keys.map((k) => k.id).sort(), 'the refused rotation left no new key behind').toEqual([old.id, open[0]!.newKeyId].sort());
      count('two rotations of one key');
    }
  });
});

describe('one daemon per home', () => {
  const home = mkdtempSync(join(tmpdir(), 'keyward-race-home-'));
  afterAll(() => {
    killLeftoverDaemons();
    rmSync(home, { recursive: true, force: true });
  });

  it('refuses a second daemon process while the first keeps serving', async () => {
    const first = await startChildDaemon(home);
    const { key, secret } = await first.client.createKey('before-the-second');
    const second = spawnDaemonProcess(home);
    const exit = await second.exited;
    expect(exit.code, second.stderr()).not.toBe(0);
    expect(exit.code, 'exits by itself, with a status').not.toBeNull();
    expect(second.stderr()).toMatch(new RegExp(`already running .*pid ${first.pid}`));
    count('second daemon on one home');
    expect(readDaemonInfo(home)?.pid, 'daemon.json still names the first daemon').toBe(first.pid);
    expect(await first.client.health()).toMatchObject({ status: 'ok' });
    expect(await first.client.verify(secret)).toMatchObject({ valid: true, keyId: key.id });
    await first.client.createKey('after-the-second');
    expect((await first.client.allKeys()).map((k) => k.name).sort()).toEqual(['after-the-second', 'before-the-second']);
    expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
