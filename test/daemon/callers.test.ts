/**
 * Issue 13.2: caller labels are chosen by whoever presents a key, so each key keeps its 1,000
 * most recently seen callers and adds up the rest under one label; callers age out with the
 * usage retention, and none is recorded for a key the daemon does not know. Both backends.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateSecret } from '../../src/daemon/secrets/format.js';
import { OTHER_CALLERS_LABEL } from '../../src/caller-label.js';
import { CALLERS_KEPT } from '../../src/daemon/usage/callers.js';
import { USAGE_RETENTION_MS } from '../../src/daemon/usage/tracker.js';
import { callerTraffic } from '../helpers/callers.js';
import { startTestApp, storeQuery, type TestApp } from '../helpers/daemon.js';

let t: TestApp;
afterEach(() => t.stop());

const traffic = callerTraffic();
const now = traffic.now;
const verify = (secret: string, caller: string) => traffic.verify(t, secret, caller);

async function storedCallers(keyId: string): Promise<{ caller: string; ok: number }[]> {
  const rows = await storeQuery<{ caller: string; ok: number }>(t, 'select caller, ok from key_callers where key_id = ? order by last_seen_at', [keyId]);
  return rows.map((r) => ({ caller: r.caller, ok: Number(r.ok) }));
}

describe('caller labels', () => {
  it('keeps the 1,000 most recent callers of a key and adds up the rest, flush by flush or within one', async () => {
    t = await startTestApp({ now });
    const flushed = await t.client.createKey('flushed');
    const burst = await t.client.createKey('burst');
    for (let i = 0; i < 1500; i++) {
      await verify(flushed.secret, `caller-${i}`);
      if (i % 250 === 249) await t.daemon.core.usage.flush();
    }
    for (let i = 0; i < 1500; i++) await verify(burst.secret, `caller-${i}`);
    await t.daemon.core.usage.flush();
    for (const key of [flushed, burst]) {
      const rows = await storedCallers(key.key.id);
      expect(rows.length, key.key.name).toBe(CALLERS_KEPT + 1);
      const named = rows.filter((r) => r.caller !== '');
      expect(named[0]!.caller, 'the oldest kept is the 1,000th most recent').toBe('caller-500');
      expect(named[named.length - 1]!.caller).toBe('caller-1499');
      expect(rows.find((r) => r.caller === '')?.ok, 'the other 500 are added up').toBe(500);
      expect(rows.reduce((sum, r) => sum + r.ok, 0), 'no use is lost').toBe(1500);
    }
    const usage = await t.client.usage(flushed.key.id);
    expect(usage.callers[0]!.caller).toBe('caller-1499');
    expect(usage.callers.every((c) => c.caller !== ''), 'the sum is never shown under an empty label').toBe(true);
  });

  it('shows the added-up callers under a label of their own', async () => {
    t = await startTestApp({ now });
    const key = await t.client.createKey('labelled');
    for (let i = 0; i < CALLERS_KEPT + 1; i++) await verify(key.secret, `c-${i}`);
    await t.daemon.core.usage.flush();
    // Only the others row is recent now: it heads the list.
    await storeQuery(t, "update key_callers set last_seen_at = 0 where caller <> ''");
    const usage = await t.client.usage(key.key.id);
    expect(usage.callers[0]).toMatchObject({ caller: OTHER_CALLERS_LABEL, ok: 1 });
  });

  it('keeps a caller that calls itself by the added-up row\'s label in quotes, so it cannot pass for it', async () => {
    t = await startTestApp({ now });
    const key = await t.client.createKey('mimicked');
    await verify(key.secret, '(other callers)');
    await verify(key.secret, '  (Other   Callers) ');
    await verify(key.secret, '(other callers) of mine');
    await verify(key.secret, '(No caller label)');
    await t.daemon.core.usage.flush();
    const labels = (await t.client.usage(key.key.id)).callers.map((c) => c.caller).sort();
    expect(labels).toEqual(['"(Other   Callers)"', '"(other callers)"', '(other callers) of mine', '"(No caller label)"'].sort());
  });

  it('counts the uses that came without a label under a row of their own, so the rows add up to the uses', async () => {
    t = await startTestApp({ now });
    const key = await t.client.createKey('partly-labelled');
    await verify(key.secret, 'orders-api');
    await t.client.verify(key.secret);
    await t.client.verify(key.secret, '   ');
    await t.daemon.core.usage.flush();
    const usage = await t.client.usage(key.key.id);
    expect([...usage.callers].sort((a, b) => a.caller.localeCompare(b.caller))).toEqual([
      expect.objectContaining({ caller: '(no caller label)', ok: 2, rejected: 0 }),
      expect.objectContaining({ caller: 'orders-api', ok: 1, rejected: 0 }),
    ]);
    expect(usage.buckets.reduce((n, b) => n + b.ok, 0)).toBe(3);
  });

  it('ages callers out with the usage retention', async () => {
    t = await startTestApp({ now });
    const key = await t.client.createKey('ageing');
    await verify(key.secret, 'long-gone');
    await t.daemon.core.usage.flush();
    traffic.advance(USAGE_RETENTION_MS + 60_000);
    await verify(key.secret, 'recent');
    await t.daemon.core.usage.flush();
    expect((await storedCallers(key.key.id)).map((r) => r.caller)).toEqual(['recent']);
  });

  it('records no caller for a key it does not know', async () => {
    t = await startTestApp({ now });
    for (let i = 0; i < 50; i++) await verify(generateSecret('kw_'), `stranger-${i}`);
    await t.daemon.core.usage.flush();
    expect(await storeQuery(t, 'select * from key_callers')).toEqual([]);
  });
  it('redacts anything shaped like a key, token or signing secret in a label, as it does in every message', async () => {
    t = await startTestApp({ now });
    const used = await t.client.createKey('labelled');
    const other = await t.client.createKey('quoted');
    // Hidden by an invisible character, a secret is still found once the character is gone.
    const hidden = `${other.secret.slice(0, 20)}\u200b${other.secret.slice(20)}`;
    for (const caller of [`svc ${other.secret}`, `tok kwo_${'a'.repeat(43)}`, `hook whsec_${'b'.repeat(32)}`, `zw ${hidden}`]) await verify(used.secret, caller);
    await t.daemon.core.usage.flush();
    const labels = (await t.client.usage(used.key.id)).callers.map((c) => c.caller);
    expect(labels).toHaveLength(4);
    expect(labels.join(' ')).not.toMatch(/kwo?_[0-9A-Za-z]{16}|whsec_[0-9A-Za-z]{16}/);
    expect(labels).toContain('svc kw_…(secret removed)');
    expect((await storedCallers(used.key.id)).map((r) => r.caller).join(' ')).not.toContain(other.secret.slice(3, 30));
  });
});
