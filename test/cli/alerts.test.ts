/**
 * Issue 17 in the CLI, spawned as processes against a daemon process: `keys create --canary`
 * and the canary mark, `keyward alerts [--all] [--key KEY] [--json] [--ack ID | --ack-all]` and a key's open
 * alerts in `keys show`, `keys list --status
 * deleted`, `keys deactivate --reason`, and `keys rotate --emergency` (asking first).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AlertJson, KeyJson, RotationJson, TombstoneJson } from '../../src/client/client.js';
import { json, keywardOnTerminal, startDaemonProcess, type DaemonProcess } from './harness.js';

vi.setConfig({ testTimeout: 90_000 });

let d: DaemonProcess;
beforeAll(async () => {
  d = await startDaemonProcess();
});
afterAll(() => d.stop());

describe('canaries and alerts', () => {
  it('creates a canary, marks it in list and show, and lists, shows as JSON and acknowledges its alert', async () => {
    const created = await d.run(['keys', 'create', 'aws-backup-old', '--canary']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toMatch(/created canary key "aws-backup-old"/);
    const secret = created.stdout.trim();
    expect(await d.client.verify(secret, 'crawler-7', { ip: '203.0.113.9' })).toEqual({ valid: false, code: 'not_found' });

    expect((await d.run(['keys', 'list'])).stdout).toMatch(/^aws-backup-old\s+key_\w+\s+active \(canary\)\s/m);
    const shown = await d.run(['keys', 'show', 'aws-backup-old']);
    expect(shown.stdout).toMatch(/^canary\s+yes: it never verifies/m);
    expect(shown.stdout, 'its open alert, right under the status').toMatch(/^canary .*\nalerts\s+canary tripped by crawler-7 from 203\.0\.113\.9 · once, last just now\nhint /m);
    const byKey = await d.run(['alerts', '--key', 'aws-backup-old']);
    expect(byKey.stdout).toMatch(/^alr_\w+\s+open\s+canary\.tripped\s+aws-backup-old\s+crawler-7\s/m);
    await d.client.createKey('quiet');
    expect((await d.run(['alerts', '--key', 'quiet'])).stdout, 'another key\u2019s alerts are not listed').toBe('no open alerts about "quiet"\n');
    expect((await d.run(['keys', 'show', 'quiet'])).stdout).not.toMatch(/^alerts/m);

    expect(json<{ key: KeyJson }>(await d.run(['keys', 'show', 'aws-backup-old', '--json'])).key.canary).toBe(true);

    const table = await d.run(['alerts']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+STATE\s+KIND\s+KEY\s+CALLER\s+IP\s+COUNT\s+LAST SEEN\s+DETAIL$/);
    expect(table.stdout).toMatch(/^alr_\w+\s+open\s+canary\.tripped\s+aws-backup-old\s+crawler-7\s+203\.0\.113\.9\s+1\s/m);
    const [alert] = json<{ alerts: AlertJson[] }>(await d.run(['alerts', '--json'])).alerts;
    expect(alert).toMatchObject({ kind: 'canary.tripped', caller: 'crawler-7', count: 1 });

    const acked = await d.run(['alerts', '--ack', alert!.id]);
    expect(acked.code, acked.stderr).toBe(0);
    expect(acked.stdout).toMatch(/acknowledged alert alr_\w+ \(canary\.tripped, key "aws-backup-old"\)/);
    expect((await d.run(['alerts'])).stdout).toBe('no open alerts\n');
    expect(json<{ alerts: AlertJson[] }>(await d.run(['alerts', '--all', '--json'])).alerts).toMatchObject([{ id: alert!.id, state: 'acknowledged' }]);

    const unknown = await d.run(['alerts', '--ack', 'alr_0000000000000000000000']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^keyward: No alert with id alr_0+ \(not_found\)\n$/);
  });

  it('shows five of a key’s open alerts and how to list the rest', async () => {
    const bait = await d.client.createKey('bait-many', { canary: true });
    for (let i = 0; i < 7; i++) await d.client.verify(bait.secret, `crawler-${i}`);
    const shown = await d.run(['keys', 'show', 'bait-many']);
    expect(shown.stdout.match(/canary tripped by crawler-/g), 'five of the seven').toHaveLength(5);
    expect(shown.stdout).toContain(`\n             +2 more: keyward alerts --key ${bait.key.id}\n`);
    const listed = await d.run(['alerts', '--key', bait.key.id, '--json']);
    expect(json<{ alerts: AlertJson[] }>(listed).alerts).toHaveLength(7);
  });

  it('acknowledges every open alert of a key with --ack-all, asking first, and leaves the others open', async () => {
    const other = await d.client.createKey('bait-other', { canary: true });
    await d.client.verify(other.secret, 'crawler-x');
    const unasked = await d.run(['alerts', '--key', 'bait-many', '--ack-all']);
    expect(unasked.code, 'nobody to ask: --yes is required').toBe(2);
    expect(unasked.stderr).toMatch(/stdin is not a terminal.*--yes/);
    expect((await d.client.alerts({ key: 'bait-many' })).alerts).toHaveLength(7);
    const acked = await d.run(['alerts', '--key', 'bait-many', '--ack-all', '--yes']);
    expect(acked.code, acked.stderr).toBe(0);
    expect(acked.stdout).toBe('acknowledged 7 alerts about "bait-many"\n');
    expect((await d.client.alerts()).alerts.map((a) => a.keyName)).toEqual(['bait-other']);
    const rest = await d.run(['alerts', '--ack-all', '--yes', '--json']);
    expect(json<{ acknowledged: AlertJson[] }>(rest).acknowledged.map((a) => [a.keyName, a.state])).toEqual([['bait-other', 'acknowledged']]);
    expect((await d.run(['alerts', '--ack-all', '--yes'])).stdout).toBe('no open alerts\n');
    const both = await d.run(['alerts', '--ack', 'alr_1Aa2Bb3Cc4Dd5Ee6Ff7Gg8', '--ack-all']);
    expect([both.code, both.stderr]).toEqual([2, 'keyward: --ack and --ack-all: give one\n']);
  });

  it('lists deleted keys with their presentations, and deactivates with a reason that reports a leak', async () => {
    const made = await d.client.createKey('billing-2024');
    await d.run(['keys', 'deactivate', 'billing-2024', '--reason', 'leaked: deploy/.env:3']);
    expect((await d.client.getKey(made.key.id)).key.deactivationReason).toBe('leaked: deploy/.env:3');
    expect((await d.client.alerts()).alerts).toContainEqual(expect.objectContaining({ kind: 'key.leaked', keyId: made.key.id }));
    await d.run(['keys', 'delete', 'billing-2024', '--yes']);
    await d.client.verify(made.secret, 'nightly-export');

    const table = await d.run(['keys', 'list', '--status', 'deleted']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+ID\s+HINT\s+DELETED\s+PRESENTED\s+LAST PRESENTED$/);
    expect(table.stdout).toMatch(/^billing-2024\s+key_\w+\s+kw_\S+\s+\d{4}-\d\d-\d\d \d\d:\d\dZ by admin\s+1\s+just now by nightly-export$/m);
    const { tombstones } = json<{ tombstones: TombstoneJson[] }>(await d.run(['keys', 'list', '--status', 'deleted', '--json']));
    expect(tombstones).toMatchObject([{ keyId: made.key.id, presentations: 1, lastCaller: 'nightly-export' }]);
    const refused = await d.run(['keys', 'list', '--status', 'deleted', '--filter', 'x']);
    expect(refused.code).toBe(2);
  });

  it('finds a key\'s alerts by its name now, and not another key\'s that once had the name', async () => {
    const bait = await d.client.createKey('bait-renamed', { canary: true });
    await d.client.verify(bait.secret, 'early-crawler');
    await d.client.editKey(bait.key.id, { name: 'bait-renamed-2' });
    await d.client.verify(bait.secret, 'late-crawler');
    const byNew = json<{ alerts: AlertJson[] }>(await d.run(['alerts', '--key', 'bait-renamed-2', '--json'])).alerts;
    expect(byNew.map((a) => a.caller).sort(), 'both, whichever name each recorded').toEqual(['early-crawler', 'late-crawler']);
    // The old name, given to another key since, finds that key's alerts: none.
    await d.client.createKey('bait-renamed');
    expect((await d.run(['alerts', '--key', 'bait-renamed'])).stdout).toBe('no open alerts about "bait-renamed"\n');
    const acked = await d.run(['alerts', '--key', 'bait-renamed-2', '--ack-all', '--yes']);
    expect(acked.stdout).toBe('acknowledged 2 alerts about "bait-renamed-2"\n');
  });
});

describe('keyward keys rotate --emergency', () => {
  it('asks first, refuses without --yes when nobody can answer, and then cuts over at once', async () => {
    const old = await d.client.createKey('payments');
    const noTerminal = await d.run(['keys', 'rotate', 'payments', '--emergency']);
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toMatch(/pass --yes/);
    expect((await d.client.verify(old.secret)).valid, 'nothing changed').toBe(true);
    expect((await d.run(['keys', 'rotate', 'payments', '--reason', 'why'])).code, '--reason needs --emergency').toBe(2);

    const declined = await keywardOnTerminal(['keys', 'rotate', 'payments', '--emergency'], 'deactivate it at once?', 'n\r', { KEYWARD_HOME: d.home });
    expect(declined.code).toBe(1);
    expect((await d.client.verify(old.secret)).valid).toBe(true);

    const run = await d.run(['keys', 'rotate', 'payments', '--emergency', '--reason', 'pasted in #general', '--yes']);
    expect(run.code, run.stderr).toBe(0);
    const secret = run.stdout.trim();
    expect(run.stderr).toMatch(/"payments" is deactivated: put the new key into your systems/);
    expect(await d.client.verify(old.secret)).toEqual({ valid: false, code: 'inactive' });
    expect((await d.client.verify(secret)).valid).toBe(true);
    expect((await d.client.getKey(old.key.id)).key.deactivationReason).toBe('pasted in #general');
    const { rotations } = await d.client.rotations();
    expect(rotations.find((r: RotationJson) => r.oldKeyId === old.key.id)?.step).toBe('double_check');
  });
});
