/**
 * Issues 6 and 7: a whole rotation driven from the CLI (`keyward keys rotate`, `keyward
 * rotations …`) with traffic from `keyward verify`, against a daemon process: guards refuse
 * with exit 1 and say how to force, rollback, cancel, and rotations addressed by key name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotationJson } from '../../src/client/client.js';
import { json, startDaemonProcess, type DaemonProcess } from './harness.js';

let d: DaemonProcess;
beforeAll(async () => {
  d = await startDaemonProcess();
});
afterAll(() => d.stop());

// About twenty CLI processes run one after the other in a rotation; each takes a second or two.
const step = async (ref: string) => json<{ rotation: RotationJson }>(await d.run(['rotations', 'show', ref, '--json'])).rotation;

describe('a rotation from the CLI', () => {
  it('runs start to finish, with the guards, a rollback and --keep-old', async () => {
    const { secret: oldSecret, key: oldKey } = await d.client.createKey('payments');

    const started = await d.run(['keys', 'rotate', 'payments']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/^kw_[0-9A-Za-z]+\n$/);
    expect(started.stderr).toMatch(/started rotation (rot_\w+): new key "payments-2" \(key_\w+\) replaces "payments"/);
    const newSecret = started.stdout.trim();
    const id = /started rotation (rot_\w+)/.exec(started.stderr)![1]!;

    const listed = await d.run(['rotations', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+payments\\s+payments-2\\s+update_systems\\s`, 'm'));

    const toVerify = await d.run(['rotations', 'advance', 'payments']);
    expect(toVerify.code, toVerify.stderr).toBe(0);
    expect(toVerify.stdout).toMatch(/update_systems → verify_new/);

    const refused = await d.run(['rotations', 'advance', id]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`^keyward: The new key has not been used.*\\(rotation_guard\\); to advance anyway: keyward rotations advance ${id} --force\\n$`));

    expect((await d.run(['verify', '--caller', 'checkout'], { input: newSecret })).code).toBe(0);
    const shown = await d.run(['rotations', 'show', 'payments-2']);
    expect(shown.stdout).toMatch(/› verify_new/);
    expect(shown.stdout).toMatch(/new payments-2 \(active\): 1 ok, 0 rejected .*callers: checkout \(1 ok, 0 rejected\)/);
    expect(shown.stdout).toContain(`next: keyward rotations advance ${id}`);

    expect((await d.run(['rotations', 'advance', id])).stdout).toMatch(/verify_new → deactivate_old/);
    expect((await d.run(['rotations', 'advance', id, '--from', 'deactivate_old'])).stdout).toMatch(/deactivate_old → double_check/);
    const oldRejected = await d.run(['verify', '--caller', 'legacy-batch'], { input: oldSecret });
    expect(oldRejected.code).toBe(1);
    expect(oldRejected.stderr).toMatch(/not valid: inactive/);

    const watching = await step(id);
    expect(watching.step).toBe('double_check');
    expect(watching.evidence.oldKey).toMatchObject({ status: 'inactive', rejected: 1 });
    expect(watching.evidence.oldKey.callers.map((c) => c.caller)).toContain('legacy-batch');
    expect((await d.run(['rotations', 'advance', id])).code).toBe(1);

    const rolledBack = await d.run(['rotations', 'rollback', 'payments']);
    expect(rolledBack.stdout).toMatch(/double_check → verify_new\n[^]*"payments" is active again/);
    expect((await d.client.getKey(oldKey.id)).key.status).toBe('active');

    // legacy-batch is still on the old key after the second cut-over; the admin forces past
    // it, and the audit log records that.
    for (const from of ['verify_new', 'deactivate_old']) expect((await d.run(['rotations', 'advance', id, '--from', from])).code).toBe(0);
    expect((await d.run(['verify', '--caller', 'legacy-batch'], { input: oldSecret })).code).toBe(1);
    expect((await d.run(['rotations', 'advance', id])).stderr).toMatch(/presented \d+ times? since it was deactivated/);
    const forced = await d.run(['rotations', 'advance', id, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/double_check → delete_old \(forced\)/);
    const stale = await d.run(['rotations', 'advance', id, '--from', 'double_check']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/\(step_changed\)/);

    const done = json<{ rotation: RotationJson }>(await d.run(['rotations', 'advance', id, '--keep-old', '--json'])).rotation;
    expect(done).toMatchObject({ step: 'completed', outcome: 'kept_inactive' });
    expect((await d.client.getKey(oldKey.id)).key.status).toBe('inactive');
    const { events } = await d.client.audit({ limit: 20 });
    expect(events.find((e) => e.action === 'rotation.advance' && e.detail.to === 'delete_old')?.detail.force).toBe(true);

    const open = await d.run(['rotations', 'list']);
    expect(open.stdout).toBe('');
    expect(open.stderr).toBe('no open rotations\n');
    const all = json<{ rotations: RotationJson[] }>(await d.run(['rotations', 'list', '--all', '--json']));
    expect(all.rotations.map((r) => r.id)).toContain(id);
  }, 180_000);

  it('says before anything else that the new key keeps the old key\'s expiry', async () => {
    const { key } = await d.client.createKey('partner', { expiresAt: '2030-12-31T00:00:00.000Z' });
    const started = await d.run(['keys', 'rotate', 'partner']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stderr).toContain('The new key expires when this one does (2030-12-31 00:00Z): a rotation copies the expiry with the policy and never extends it; edit the new key to change it.');
    expect((await d.client.getKey((await step('partner')).newKeyId)).key.expiresAt).toBe(key.expiresAt);
    await d.client.createKey('forever');
    expect((await d.run(['keys', 'rotate', 'forever'])).stderr, 'nothing said of a key that never expires').not.toContain('expires when');
  });

  it('cancels, leaving both keys as they are, and takes --name and --json', async () => {
    await d.client.createKey('search');
    const started = json<{ rotation: RotationJson; secret: string }>(await d.run(['keys', 'rotate', 'search', '--name', 'search-2025', '--json']));
    expect(started.secret).toMatch(/^kw_/);
    expect(started.rotation).toMatchObject({ oldKeyName: 'search', newKeyName: 'search-2025', step: 'update_systems' });
    const again = await d.run(['keys', 'rotate', 'search']);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/\(rotation_open\)/);

    const cancelled = await d.run(['rotations', 'cancel', 'search']);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toMatch(/both keys were left as they are: "search" is active, "search-2025" is active/);
    const missing = await d.run(['rotations', 'show', 'search']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no open rotation of a key by that id or name/);
    expect((await step(started.rotation.id)).step).toBe('cancelled');
  }, 90_000);

  it('finds an open rotation by its keys\' names now, not by the names it started with', async () => {
    await d.client.createKey('pay');
    const started = json<{ rotation: RotationJson }>(await d.run(['keys', 'rotate', 'pay', '--json']));
    await d.client.editKey(started.rotation.newKeyId, { name: 'pay-next' });
    const shown = await d.run(['rotations', 'show', 'pay-next', '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(json<{ rotation: RotationJson }>(shown).rotation.id).toBe(started.rotation.id);
    // The name the new key had is free again: another key takes it, and has no rotation.
    await d.client.createKey('pay-2');
    const other = await d.run(['rotations', 'advance', 'pay-2', '--yes']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/no open rotation of a key by that id or name/);
    expect((await step(started.rotation.id)).step, 'the rotation did not move').toBe('update_systems');
    expect((await d.run(['rotations', 'cancel', 'pay'])).code).toBe(0);
  }, 90_000);
});
