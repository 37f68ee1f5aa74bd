/**
 * Issue 18 items 7, 8 and 10 from the CLI, against a daemon process: `keys rotate --watch`,
 * the systems to update in `rotations show`, the callers yet to switch named before the
 * cut-over (asked on a terminal), and `audit` with filters and a limit beyond one page.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEventJson } from '../../src/client/client.js';
import { json, keywardOnTerminal, startDaemonProcess, type DaemonProcess } from './harness.js';

let d: DaemonProcess;
beforeAll(async () => {
  d = await startDaemonProcess();
});
afterAll(() => d.stop());

describe('keys rotate --watch and the systems to update', () => {
  it('takes the watch window, shows who has switched, and names who has not before the cut-over', async () => {
    const { secret: oldSecret } = await d.client.createKey('ledger');
    await d.client.verify(oldSecret, 'nightly-cron');
    await d.client.verify(oldSecret, 'orders');

    const started = await d.run(['keys', 'rotate', 'ledger', '--watch', '2m']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stderr).toMatch(/traffic is watched for 2m before the old key may be deleted/);
    const newSecret = started.stdout.trim();
    const id = /started rotation (rot_\w+)/.exec(started.stderr)![1]!;
    expect((await d.client.rotation(id)).rotation.watchSeconds).toBe(120);

    const before = await d.run(['rotations', 'show', id]);
    expect(before.stdout).toMatch(/^watch\s+2m after the cut-over$/m);
    expect(before.stdout).toMatch(/systems to update \(the old key's callers\): (orders|nightly-cron) \(last seen just now\), (orders|nightly-cron) \(last seen just now\)/);

    await d.client.verify(newSecret, 'orders');
    await d.client.advance(id, { from: 'update_systems' });
    await d.client.advance(id, { from: 'verify_new' });
    const split = await d.run(['rotations', 'show', 'ledger']);
    expect(split.stdout).toMatch(/^ {2}yet to switch: nightly-cron \(last seen just now\)$/m);
    expect(split.stdout).toMatch(/^ {2}switched: orders \(new key just now\)$/m);

    // On a terminal the cut-over asks, naming who has not switched; No changes nothing.
    const asked = await keywardOnTerminal(['rotations', 'advance', id], 'Deactivate the old key now?', 'n\n', { KEYWARD_HOME: d.home });
    expect(asked.code).toBe(1);
    expect(asked.stdout.replace(/\s+/g, ' ')).toMatch(/Callers of "ledger" not seen on the new key, refused from then on if still on the old: nightly-cron \(last seen just now\)\. Deactivate/);
    expect((await d.client.rotation(id)).rotation.step).toBe('deactivate_old');

    // A script is not stopped, but its log names them.
    const scripted = await d.run(['rotations', 'advance', id]);
    expect(scripted.code, scripted.stderr).toBe(0);
    expect(scripted.stderr).toBe('yet to switch to the new key: nightly-cron (last seen just now)\n');
    expect(scripted.stdout).toMatch(/deactivate_old → double_check/);

    const watching = await d.run(['rotations', 'show', id]);
    expect(watching.stdout).toMatch(/^watch\s+watched \d+s of 2m \((1m)?\d*[ms]? left\)$/m);
    const refused = await d.run(['rotations', 'advance', id]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Traffic has been watched \d+s of 2m since the cut-over; wait .* more, or advance with force \(rotation_guard\); to advance anyway: keyward rotations advance rot_\w+ --force/);
    expect((await d.run(['rotations', 'advance', id, '--force'])).code).toBe(0);
    const { events } = await d.client.audit({ action: 'rotation.advance', limit: 1 });
    expect(events[0]!.detail).toMatchObject({ force: true, guard: expect.stringMatching(/^Traffic has been watched/) });
  }, 120_000);

  it('refuses a watch window it cannot read or out of bounds, as a usage error', async () => {
    for (const span of ['30s', 'soon', '31d']) {
      const run = await d.run(['keys', 'rotate', 'ledger', '--watch', span]);
      expect(run.code, span).toBe(2);
      expect(run.stderr).toMatch(/--watch .* must be a span from 1m to 30d/);
    }
  }, 60_000);
});

describe('keyward audit', () => {
  it('filters by action, key and operator, and continues with --before', async () => {
    const bob = await d.client.createOperator('bob', 'manager');
    const created = await d.run(['keys', 'create', 'invoices'], { env: { KEYWARD_TOKEN: bob.token } });
    expect(created.code, created.stderr).toBe(0);
    await d.run(['keys', 'deactivate', 'invoices']);

    const byKey = json<{ events: AuditEventJson[] }>(await d.run(['audit', '--key', 'invoices', '--json'])).events;
    expect(byKey.map((e) => [e.action, e.operatorName])).toEqual([
      ['key.deactivate', 'admin'],
      ['key.create', 'bob'],
    ]);
    const mine = await d.run(['audit', '--operator', 'bob', '--action', 'key']);
    expect(mine.stdout.trim().split('\n')).toHaveLength(2);
    expect(mine.stdout).toMatch(/^\s*\d+\s+\S+ \S+\s+bob\s+key\.create\s+invoices \(key_\w+\)$/m);
    const older = json<{ events: AuditEventJson[] }>(await d.run(['audit', '--key', 'invoices', '--before', String(byKey[0]!.seq), '--json'])).events;
    expect(older.map((e) => e.seq)).toEqual([byKey[1]!.seq]);
    const none = await d.run(['audit', '--operator', 'nobody']);
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: 'no audit events match\n' });
    expect((await d.run(['audit', '--action', 'Key.Create'])).code).toBe(1);
    expect((await d.run(['audit', '--verify', '--key', 'invoices'])).code).toBe(2);
  }, 60_000);

  it('pages past 10,000 events for a larger --limit', async () => {
    // Ten thousand events through the API would take minutes; rows written behind the
    // daemon's back list the same (the listing does not check the chain).
    const db = new Database(join(d.home, 'keyward.db'));
    try {
      const insert = db.prepare(
        "INSERT INTO audit_events (id, at, operator_id, operator_name, action, target_type, target_id, target_name, detail, prev_hash, hash) VALUES (?, ?, 'op_bulk', 'bulk', 'key.create', 'key', ?, ?, '{}', 'x', 'x')",
      );
      db.transaction(() => {
        for (let i = 0; i < 10_050; i++) insert.run(`evt_bulk${i}`, Date.now(), `key_bulk${i}`, `bulk-${i}`);
      })();
    } finally {
      db.close();
    }
    const some = json<{ events: AuditEventJson[] }>(await d.run(['audit', '--operator', 'bulk', '--limit', '10040', '--json'])).events;
    expect(some).toHaveLength(10_040);
    expect(new Set(some.map((e) => e.seq)).size).toBe(10_040);
    expect(some.every((e, i) => i === 0 || e.seq < some[i - 1]!.seq)).toBe(true);
    const all = json<{ events: AuditEventJson[] }>(await d.run(['audit', '--operator', 'bulk', '--limit', '50000', '--json'])).events;
    expect(all).toHaveLength(10_050);
    expect((await d.run(['audit', '--limit', '0'])).code).toBe(2);
  }, 60_000);
});
