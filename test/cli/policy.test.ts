/**
 * Issue 15 in the CLI, spawned as a user runs it: `keys create` and `keys edit` with the
 * policy flags, `--clear`, `keys list --owner`, `keys show` printing the policy, bad flag
 * values as one line on stderr with exit 2, `verify --scope --ip`, and `rotations advance
 * --take-old-name`.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KeyJson } from '../../src/client/client.js';
import { CliError, EXIT } from '../../src/cli/exit.js';
import { fieldsFromFlags, type PolicyFlags } from '../../src/cli/policy-flags.js';
import { json, startDaemonProcess, type CliRun, type DaemonProcess } from './harness.js';

vi.setConfig({ testTimeout: 90_000 });

let d: DaemonProcess;
beforeAll(async () => {
  d = await startDaemonProcess();
});
afterAll(() => d.stop());

function expectUsageError(run: CliRun, message: RegExp): void {
  expect(run.code, run.stderr).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/^keyward: [^\n]+\n$/);
  expect(run.stderr).toMatch(message);
}

describe('keyward keys create with policy flags', () => {
  it('sets every field, and keys show prints them readably', async () => {
    const created = json<{ key: KeyJson }>(
      await d.run([
        'keys', 'create', 'orders-eu',
        '--scope', 'orders:*', '--scope', 'billing:read',
        '--allow-ip', '10.0.0.0/8', '--allow-ip', '2001:db8::/32',
        '--rate', '100/1m', '--quota', '5000', '--refill', '5000/1d',
        '--owner', 'team-orders', '--description', 'Checkout, EU', '--meta', '{"plan":"pro"}',
        '--json',
      ]),
    );
    expect(created.key).toMatchObject({
      scopes: ['orders:*', 'billing:read'],
      allowedIps: ['10.0.0.0/8', '2001:db8::/32'],
      rateLimit: { limit: 100, windowSeconds: 60 },
      quota: { remaining: 5000, refill: { amount: 5000, intervalSeconds: 86_400 } },
      owner: 'team-orders',
      description: 'Checkout, EU',
      meta: { plan: 'pro' },
    });
    const shown = await d.run(['keys', 'show', 'orders-eu']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^owner\s+team-orders$/m);
    expect(shown.stdout).toMatch(/^scopes\s+orders:\*, billing:read$/m);
    expect(shown.stdout).toMatch(/^allowed IPs\s+10\.0\.0\.0\/8, 2001:db8::\/32$/m);
    expect(shown.stdout).toMatch(/^rate limit\s+100 per 1m$/m);
    expect(shown.stdout).toMatch(/^quota\s+5,000 left; back to 5,000 every 1d \(next \d{4}-\d\d-\d\d \d\d:\d\dZ\)$/m);
    expect(shown.stdout).toMatch(/^meta\s+\{"plan":"pro"\}$/m);
    expect(shown.stdout).toMatch(/^description\s+Checkout, EU$/m);
  });

  it('refuses a bad flag value with one line and exit 2, creating nothing', async () => {
    expectUsageError(await d.run(['keys', 'create', 'refused', '--rate', '100']), /--rate "100" is not N\/DURATION/);
    expectUsageError(await d.run(['keys', 'create', 'refused', '--allow-ip', '10.0.0.1/8']), /--allow-ip "10\.0\.0\.1\/8": has host bits set; the network is 10\.0\.0\.0\/8/);
    expect((await d.client.listKeys({ q: 'refused' })).keys).toEqual([]);
  });
});

describe('fieldsFromFlags', () => {
  it('turns flags into the request fields', async () => {
    expect(await fieldsFromFlags({ scope: ['a:*'], allowIp: ['192.0.2.1'], rate: '10/30s', quota: '5', refill: '5/h', owner: ' o ', meta: '{"a":1}' })).toEqual({
      scopes: ['a:*'],
      allowedIps: ['192.0.2.1/32'],
      rateLimit: { limit: 10, windowSeconds: 30 },
      quota: { remaining: 5, refill: { amount: 5, intervalSeconds: 3600 } },
      owner: 'o',
      meta: { a: 1 },
    });
    expect(await fieldsFromFlags({ clear: ['scope', 'allow-ip', 'rate', 'quota', 'owner', 'description', 'meta'] })).toEqual({
      scopes: null,
      allowedIps: null,
      rateLimit: null,
      quota: null,
      owner: null,
      description: null,
      meta: null,
    });
  });

  it('refuses bad values as usage errors naming the flag, in the daemon’s words', async () => {
    const cases: Array<[PolicyFlags, RegExp]> = [
      [{ rate: '100/fortnight' }, /--rate "100\/fortnight" is not N\/DURATION/],
      [{ rate: '0/1m' }, /--rate: must be at least 1/],
      [{ rate: '5/2d' }, /--rate: must be at most 86,400/],
      [{ quota: 'lots' }, /--quota "lots" is not a whole number/],
      [{ refill: '10/1d' }, /--refill needs --quota/],
      [{ quota: '10', refill: '0/1d' }, /--refill: must be at least 1/],
      [{ scope: ['ok:read', 'orders read'] }, /--scope "orders read" has a space: give --scope once for each entry/],
      [{ scope: ['orders:read,orders:write'] }, /--scope "orders:read,orders:write" has a comma: give --scope once for each entry/],
      [{ allowIp: ['10.0.0.0/8,::1'] }, /--allow-ip "10\.0\.0\.0\/8,::1" has a comma: give --allow-ip once for each entry/],
      [{ allowIp: ['10.0.0.0/8 ::1'] }, /--allow-ip "10\.0\.0\.0\/8 ::1" has a space/],
      [{ scope: ['orders!read'] }, /--scope "orders!read": must be segments/],
      [{ meta: '{nope' }, /--meta is not JSON/],
      [{ meta: '[1,2]' }, /--meta: must be a JSON object/],
      [{ owner: '' }, /--owner: must not be empty/],
      [{ clear: ['owner'], owner: 'x' }, /--clear owner and --owner contradict/],
    ];
    for (const [flags, message] of cases) {
      const error = await fieldsFromFlags(flags).catch((err: unknown) => err);
      expect(error, JSON.stringify(flags)).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(EXIT.usage);
      expect((error as CliError).message).toMatch(message);
    }
  });
});

describe('keyward keys edit', () => {
  it('changes, clears and renames; a narrower policy holds at once', async () => {
    const { key, secret } = await d.client.createKey('editable', { scopes: ['a:read'], rateLimit: { limit: 5, windowSeconds: 60 } });
    const edited = json<{ key: KeyJson }>(
      await d.run(['keys', 'edit', 'editable', '--name', 'edited', '--allow-ip', '192.0.2.0/24', '--owner', 'team-b', '--clear', 'rate', '--clear', 'scope', '--json']),
    );
    expect(edited.key).toMatchObject({ id: key.id, name: 'edited', allowedIps: ['192.0.2.0/24'], owner: 'team-b', rateLimit: null, scopes: null });
    expect(await d.client.verify(secret, undefined, { ip: '198.51.100.1' })).toEqual({ valid: false, code: 'ip_not_allowed' });

    const human = await d.run(['keys', 'edit', key.id, '--expires', '2099-01-01']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout, 'one line, as every write prints').toMatch(/^updated key "edited" \(key_\w+\): expiresAt\n$/);
    const cleared = await d.run(['keys', 'edit', key.id, '--clear', 'owner', '--clear', 'owner']);
    expect(cleared.stdout, 'a field cleared twice is cleared, not a contradiction').toMatch(/^updated key "edited" \(key_\w+\): owner\n$/);
    expect(json<{ key: KeyJson }>(await d.run(['keys', 'edit', 'edited', '--clear', 'expires', '--json'])).key.expiresAt).toBeNull();

    expectUsageError(await d.run(['keys', 'edit', 'edited']), /nothing to change/);
    expectUsageError(await d.run(['keys', 'edit', 'edited', '--clear', 'colour']), /--clear "colour": can clear description, owner, meta, scope, allow-ip, rate, quota, expires/);
    const taken = await d.run(['keys', 'edit', 'edited', '--name', 'orders-eu']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/already exists \(name_taken\)/);
  });
});

describe('keyward keys list --owner', () => {
  it('lists only that owner’s keys', async () => {
    await d.client.createKey('owned-1', { owner: 'team-z' });
    await d.client.createKey('owned-2', { owner: 'team-z' });
    const listed = json<{ keys: KeyJson[] }>(await d.run(['keys', 'list', '--owner', 'team-z', '--json']));
    expect(listed.keys.map((k) => k.name)).toEqual(['owned-1', 'owned-2']);
    // The table shows whose each key is.
    const table = (await d.run(['keys', 'list', '--sort', 'name'])).stdout.split('\n');
    expect(table[0]).toMatch(/^NAME\s+OWNER\s+ID\s+STATUS/);
    expect(table.find((line) => line.startsWith('owned-1 '))).toMatch(/^owned-1\s+team-z\s+key_/);
  });
});

describe('keyward verify --scope --ip', () => {
  it('asks as a service would: the address and every scope checked, the refusal named', async () => {
    const { secret } = await d.client.createKey('checked', { scopes: ['orders:*'], allowedIps: ['10.0.0.0/8', '2001:db8::/32'] });
    const verify = (...flags: string[]) => d.run(['verify', ...flags], { input: secret });
    for (const ip of ['10.1.2.3', '::ffff:10.9.9.9', '2001:db8::5']) {
      const run = await verify('--scope', 'orders:write', '--ip', ip);
      expect(run.code, `${ip}: ${run.stderr}`).toBe(0);
    }
    for (const [flags, code] of [
      [['--scope', 'orders:write', '--ip', '11.0.0.1'], 'ip_not_allowed'],
      [['--scope', 'orders:write'], 'ip_not_allowed'],
      [['--scope', 'orders:write', '--scope', 'billing:read', '--ip', '10.0.0.1'], 'insufficient_scope'],
    ] as const) {
      const run = await verify(...flags);
      expect(run.code, flags.join(' ')).toBe(1);
      expect(run.stderr).toBe(`keyward: the key is not valid: ${code}\n`);
    }
  });

  it('says when a rate-limited key is let through again', async () => {
    const { secret } = await d.client.createKey('limited', { rateLimit: { limit: 1, windowSeconds: 3600 } });
    expect((await d.run(['verify'], { input: secret })).code).toBe(0);
    const run = await d.run(['verify'], { input: secret });
    expect(run.code).toBe(1);
    const [, seconds] = /^keyward: the key is not valid: rate_limited \(try again in (\d+) s\)\n$/.exec(run.stderr) ?? [];
    expect(Number(seconds), run.stderr).toBeGreaterThan(3000);
    expect(Number(seconds)).toBeLessThanOrEqual(7200);
  });

  it('refuses an address that is none with one line, the key not echoed', async () => {
    const { secret } = await d.client.createKey('checked-bad-ip', { allowedIps: ['10.0.0.0/8'] });
    const run = await d.run(['verify', '--ip', '10.1'], { input: secret });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/^keyward: [^\n]*ip[^\n]*\n$/);
    expect(run.stderr).not.toContain(secret);
  });
});

describe('keyward rotations advance --take-old-name', () => {
  it('finishes the rotation with the new key under the old name', async () => {
    const { key } = await d.client.createKey('renamed-by-rotation', { owner: 'team-r' });
    const { rotation, secret } = await d.client.startRotation(key.id);
    await d.client.advance(rotation.id, { from: 'update_systems' });
    await d.client.verify(secret);
    // Forced past double_check: its watch window is not what this test is about.
    for (const from of ['verify_new', 'deactivate_old', 'double_check'] as const) await d.client.advance(rotation.id, { from, force: from === 'double_check' });
    const run = await d.run(['rotations', 'advance', rotation.id, '--take-old-name', '--json']);
    expect(json<{ rotation: { step: string; newKeyName: string } }>(run).rotation).toMatchObject({ step: 'completed', newKeyName: 'renamed-by-rotation' });
    expect((await d.client.getKey(rotation.newKeyId)).key).toMatchObject({ name: 'renamed-by-rotation', owner: 'team-r' });
  });
});
