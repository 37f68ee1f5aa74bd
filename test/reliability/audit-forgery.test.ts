/**
 * Issue 13.7, a forgeable audit chain: someone who can write the store but not read the home
 * edits an event and recomputes every hash after it (which a plain SHA-256 chain let them do),
 * or deletes the newest events (which no chain notices by itself). `keyward audit --verify`
 * (here the route behind it) must report each, naming the event or the cut. A chain written
 * before events were signed still verifies after the upgrade, and stays protected after it.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, legacyHash } from '../../src/daemon/audit/chain.js';
import type { AuditEvent } from '../../src/daemon/store.js';
import { homeFiles } from '../../src/home.js';
import { startTestApp, storeQuery, type TestApp } from '../helpers/daemon.js';

let t: TestApp;

beforeEach(async () => {
  t = await startTestApp();
  for (const name of ['one', 'two', 'three', 'four']) await t.client.createKey(name);
});
afterEach(() => t.stop());

type Verdict = { ok: boolean; events: number; reason?: string; brokenAt?: { seq: number } | null; signed: number; unsigned: number };

async function verdict(): Promise<Verdict> {
  const res = await t.api('GET', '/v1/audit/verify');
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as unknown as Verdict;
}

const COLUMNS = `seq, id, at, operator_id as "operatorId", operator_name as "operatorName", action, target_type as "targetType",
  target_id as "targetId", target_name as "targetName", detail, prev_hash as "prevHash", hash, signer`;

async function events(): Promise<AuditEvent[]> {
  const rows = await storeQuery<AuditEvent>(t, `select ${COLUMNS} from audit_events order by seq`);
  return rows.map((r) => ({ ...r, seq: Number(r.seq), at: Number(r.at) }));
}

/**
 * Rewrites the chain from `from` on with `hash` (what an attacker can compute), as they would
 * after editing an event: every later event re-linked, so no link is visibly broken.
 */
async function recompute(from: number, hash: (e: AuditEvent) => string, signer: string | null): Promise<void> {
  let prev = GENESIS_HASH;
  for (const e of await events()) {
    if (e.seq >= from) {
      const rewritten = { ...e, prevHash: prev, signer };
      const h = hash(rewritten);
      await storeQuery(t, 'update audit_events set prev_hash = ?, hash = ?, signer = ? where seq = ?', [prev, h, signer, e.seq]);
      prev = h;
    } else prev = e.hash;
  }
}

describe('a forged audit chain', () => {
  it('verifies an untouched chain, every event signed, the head anchored', async () => {
    const all = await events();
    expect(await verdict()).toMatchObject({ ok: true, events: all.length, signed: all.length, unsigned: 0, checkpointSeq: all[all.length - 1]!.seq });
    expect(all.every((e) => e.signer !== null && /^[0-9a-f]{64}$/.test(e.hash))).toBe(true);
  });

  it('detects an edit whose chain was recomputed as plain SHA-256', async () => {
    const two = (await events()).find((e) => e.targetName === 'two')!;
    await storeQuery(t, 'update audit_events set operator_name = ? where seq = ?', ['mallory', two.seq]);
    await recompute(two.seq, legacyHash, null);
    const v = await verdict();
    expect(v.ok, JSON.stringify(v)).toBe(false);
    expect(v.brokenAt?.seq).toBe(two.seq);
    expect(v.reason).toMatch(/unsigned although signed events come before it/);
  });

  it('detects an edit whose chain was recomputed with a key the attacker made up', async () => {
    const all = await events();
    const two = all.find((e) => e.targetName === 'two')!;
    const guess = randomBytes(32);
    const sign = (e: AuditEvent) => createHmac('sha256', guess).update(JSON.stringify([e.operatorName, e.prevHash])).digest('hex');
    await storeQuery(t, 'update audit_events set target_name = ? where seq = ?', ['someone-else', two.seq]);
    await recompute(two.seq, sign, two.signer);
    const v = await verdict();
    expect(v).toMatchObject({ ok: false, brokenAt: { seq: two.seq } });
    expect(v.reason).toMatch(/does not match its signature/);
  });

  it('detects the newest events removed from the end', async () => {
    const all = await events();
    const kept = all[all.length - 3]!;
    await storeQuery(t, 'delete from audit_events where seq > ?', [kept.seq]);
    const v = await verdict();
    expect(v.ok, JSON.stringify(v)).toBe(false);
    expect(v.reason).toBe(`the log ends at event ${kept.seq} but the checkpoint names event ${all[all.length - 1]!.seq}: events were removed from its end`);
  });

  it('detects a removed event in the middle, re-linked around', async () => {
    const all = await events();
    const two = all.find((e) => e.targetName === 'two')!;
    await storeQuery(t, 'delete from audit_events where seq = ?', [two.seq]);
    const v = await verdict();
    expect(v).toMatchObject({ ok: false });
    expect(v.reason).toMatch(/previous-hash does not match/);
  });

  it('detects a checkpoint edited to match a cut log', async () => {
    const all = await events();
    const kept = all[all.length - 2]!;
    await storeQuery(t, 'delete from audit_events where seq > ?', [kept.seq]);
    const file = homeFiles(t.home).auditCheckpoint;
    const cp = JSON.parse(readFileSync(file, 'utf8')) as { seq: number; hash: string };
    writeFileSync(file, JSON.stringify({ ...cp, seq: kept.seq, hash: kept.hash }));
    const v = await verdict();
    expect(v).toMatchObject({ ok: false, reason: "the checkpoint file is not signed by this home's audit key (it was edited)" });
  });

  it('answers a write only once the checkpoint names its event (the checkpoint is written off the loop)', async () => {
    const checkpointSeq = () => (JSON.parse(readFileSync(homeFiles(t.home).auditCheckpoint, 'utf8')) as { seq: number }).seq;
    for (let i = 0; i < 5; i++) {
      const { key } = await t.client.createKey(`answered-${i}`);
      const all = await events();
      expect(checkpointSeq(), 'right after the create').toBe(all[all.length - 1]!.seq);
      await t.client.deactivateKey(key.id);
      expect(checkpointSeq(), 'right after the deactivate').toBe(all[all.length - 1]!.seq + 1);
    }
  });

  it('keeps the audit key and checkpoint owner-only and out of the store', async () => {
    const key = readFileSync(homeFiles(t.home).auditKey, 'utf8').trim();
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    const stored = JSON.stringify(await storeQuery(t, 'select * from audit_events'));
    expect(stored).not.toContain(key);
  });
});

describe('a chain from before events were signed', () => {
  /** What an older keyward left: SHA-256 events, no audit key, no checkpoint. */
  async function downgradeToLegacy(): Promise<void> {
    await recompute(1, legacyHash, null);
    await t.daemon.close();
    rmSync(homeFiles(t.home).auditKey);
    rmSync(homeFiles(t.home).auditCheckpoint);
    await t.restart();
  }

  it('verifies after the upgrade, signs what comes next, and anchors the old events', async () => {
    const before = (await events()).length;
    await downgradeToLegacy();
    expect(await verdict()).toMatchObject({ ok: true, events: before, signed: 0, unsigned: before });
    await t.client.createKey('after-upgrade');
    expect(await verdict()).toMatchObject({ ok: true, events: before + 1, signed: 1, unsigned: before });
  });

  it('detects an old event edited and the old chain recomputed after the upgrade', async () => {
    await downgradeToLegacy();
    await t.client.createKey('after-upgrade');
    const three = (await events()).find((e) => e.targetName === 'three')!;
    await storeQuery(t, 'update audit_events set operator_name = ? where seq = ?', ['mallory', three.seq]);
    // The attacker re-links the unsigned part; the first signed event names the old head.
    const all = await events();
    let prev = GENESIS_HASH;
    for (const e of all.filter((x) => x.signer === null)) {
      const h = legacyHash({ ...e, prevHash: prev });
      await storeQuery(t, 'update audit_events set prev_hash = ?, hash = ? where seq = ?', [prev, h, e.seq]);
      prev = h;
    }
    const v = await verdict();
    expect(v.ok, JSON.stringify(v)).toBe(false);
    expect(v.reason).toMatch(/previous-hash does not match/);
  });
});
