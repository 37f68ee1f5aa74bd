/**
 * Issue 7: `keyward keys …` and `keyward verify` spawned as processes against a daemon process:
 * exit codes, what goes to stdout and what to stderr, keys by id or name, confirmations.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KeyJson, VerifyResult } from '../../src/client/client.js';
import { generateSecret } from '../../src/daemon/secrets/format.js';
import { json, keywardOnTerminal, startDaemonProcess, type CliRun, type DaemonProcess } from './harness.js';

// Each CLI run is a process of its own; on a busy machine a few of them outlast the default.
vi.setConfig({ testTimeout: 90_000 });

let d: DaemonProcess;
beforeAll(async () => {
  d = await startDaemonProcess();
});
afterAll(() => d.stop());

/** A failure says one thing, on one line of stderr, and prints nothing on stdout. */
function expectFailure(run: CliRun, code: number, message: RegExp): void {
  expect(run.code, run.stderr).toBe(code);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/^keyward: [^\n]+\n$/);
  expect(run.stderr).toMatch(message);
}

describe('keyward keys create', () => {
  it('prints the secret alone on stdout and the rest on stderr', async () => {
    const run = await d.run(['keys', 'create', 'billing']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^kw_[0-9A-Za-z]+\n$/);
    expect(run.stderr).toMatch(/created key "billing" \(key_\w+\).*only time/);
    expect(run.stderr).not.toContain(run.stdout.trim());
    const verified = await d.client.verify(run.stdout.trim());
    expect(verified).toMatchObject({ valid: true, name: 'billing' });
  });

  it('gives key and secret as JSON with --json, and takes --expires', async () => {
    const run = await d.run(['keys', 'create', 'expiring', '--expires', '2099-01-31', '--json']);
    const body = json<{ key: KeyJson; secret: string }>(run);
    expect(body.secret).toMatch(/^kw_/);
    expect(body.key).toMatchObject({ name: 'expiring', status: 'active', expiresAt: '2099-01-31T00:00:00.000Z' });
  });

  it('refuses a taken name (exit 1) and a bad or past --expires (exit 2)', async () => {
    expectFailure(await d.run(['keys', 'create', 'BILLING']), 1, /already exists.*\(name_taken\)/);
    expectFailure(await d.run(['keys', 'create', 'x', '--expires', 'soon']), 2, /--expires "soon" is not a date/);
    expectFailure(await d.run(['keys', 'create', 'x', '--expires', '2001-01-01']), 2, /in the past/);
    // Date.parse rolled Feb 30 over to March 2 and read US dates: a typo became another day.
    expectFailure(await d.run(['keys', 'create', 'x', '--expires', '2030-02-30']), 2, /--expires "2030-02-30" is not a date/);
    expectFailure(await d.run(['keys', 'create', 'x', '--expires', '12/31/2030']), 2, /is not a date/);
  });
});

describe('keyward keys list and show', () => {
  it('lists keys as a table, or as JSON filtered by status', async () => {
    const table = await d.run(['keys', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+OWNER\s+ID\s+STATUS\s+HINT\s+LAST USED\s+USES 24H\s+CREATED$/);
    expect(table.stdout).toMatch(/^billing\s+key_\w+\s+active\s+kw_\w{4}…\w{4}\s/m);
    const inactive = json<{ keys: KeyJson[] }>(await d.run(['keys', 'list', '--status', 'inactive', '--json']));
    expect(inactive.keys).toEqual([]);
    expectFailure(await d.run(['keys', 'list', '--status', 'gone']), 2, /Allowed choices are active, inactive/);
  });

  it('shows a key by id or by name, in any case', async () => {
    const { key } = json<{ key: KeyJson }>(await d.run(['keys', 'show', 'Billing', '--json']));
    expect(key.name).toBe('billing');
    const byId = await d.run(['keys', 'show', key.id]);
    expect(byId.code).toBe(0);
    expect(byId.stdout).toMatch(/^name\s+billing$/m);
    expect(byId.stdout).toMatch(new RegExp(`^id\\s+${key.id}$`, 'm'));
    expect(byId.stdout).not.toMatch(/kw_[0-9A-Za-z]{20,}/);
    expectFailure(await d.run(['keys', 'show', 'bill']), 1, /no key with id or name "bill"/);
  });
});

describe('keyward verify', () => {
  it('reads the key from stdin: exit 0 when valid, and records the caller', async () => {
    const { secret, key } = await d.client.createKey('verified');
    const run = await d.run(['verify', '--caller', 'cli-test'], { input: `${secret}\n` });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`valid: key "verified" (${key.id})\n`);
    const usage = await d.client.usage(key.id);
    expect(usage.callers.map((c) => c.caller)).toContain('cli-test');
    expect(json<VerifyResult>(await d.run(['verify', '--json'], { input: secret }))).toEqual({ valid: true, keyId: key.id, name: 'verified', owner: null, meta: null, scopes: null });
  });

  it('exits 1 for an unknown, malformed or inactive key, naming why', async () => {
    expectFailure(await d.run(['verify'], { input: generateSecret('kw_') }), 1, /not valid: not_found/);
    expectFailure(await d.run(['verify'], { input: 'kw_typo' }), 1, /not valid: malformed/);
    const { secret, key } = await d.client.createKey('to-deactivate');
    await d.client.deactivateKey(key.id);
    const run = await d.run(['verify', '--json'], { input: secret });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({ valid: false, code: 'inactive' });
  });

  it('takes no key from argv and needs one on stdin (exit 2)', async () => {
    const { secret } = await d.client.createKey('in-argv');
    const run = await d.run(['verify', secret]);
    expectFailure(run, 2, /^keyward: pipe the key on stdin: … \| keyward verify/);
    expect(run.stderr, 'the key is not echoed').not.toContain(secret);
    expect(run.stderr).not.toContain(secret.slice(3, 12));
    expectFailure(await d.run(['verify', '--caller', 'x', 'kw_abc', 'more']), 2, /pipe the key on stdin/);
    expectFailure(await d.run(['verify']), 2, /no key on stdin/);
    expectFailure(await d.run(['verify', '--caller', 'c'.repeat(129)], { input: secret }), 2, /^keyward: --caller must be at most 128 characters \(it is 129\)\n$/);
  });

  it('reads the key without echo on a terminal', async () => {
    const { secret } = await d.client.createKey('typed');
    const run = await keywardOnTerminal(['verify'], 'API key (not echoed)', `${secret}\r`, { KEYWARD_HOME: d.home });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('valid: key "typed"');
    expect(run.stdout).not.toContain(secret);
  });
});

describe('keyward keys usage', () => {
  it('says how often a key was accepted and refused in the window, and by which callers; JSON for scripts', async () => {
    const { key, secret } = await d.client.createKey('used-lately');
    await d.client.verify(secret, 'orders-api');
    await d.client.verify(secret, 'orders-api');
    await d.client.verify(secret);
    await d.client.deactivateKey(key.id);
    await d.client.verify(secret, 'late-cron');
    const human = await d.run(['keys', 'usage', 'used-lately']);
    expect(human.code, human.stderr).toBe(0);
    const [head, note, header, ...rows] = human.stdout.trimEnd().split('\n');
    expect(head).toBe(`key "used-lately" (${key.id}), last 1h: 3 accepted, 1 rejected; last used just now`);
    expect(note).toBe('callers seen in the window, with their counts since first seen:');
    expect(header).toMatch(/^CALLER\s+LAST SEEN\s+FIRST SEEN\s+OK\s+REJECTED$/);
    expect(rows.map((r) => r.split(/ {2,}/).filter(Boolean)).sort()).toEqual(
      [
        ['(no caller label)', 'just now', 'just now', '1', '0'],
        ['late-cron', 'just now', 'just now', '0', '1'],
        ['orders-api', 'just now', 'just now', '2', '0'],
      ].sort(),
    );
    const machine = json<{ key: { id: string }; minutes: number; buckets: { ok: number; rejected: number }[] }>(await d.run(['keys', 'usage', key.id, '--last', '7d', '--json']));
    expect(machine.key.id).toBe(key.id);
    expect(machine.minutes).toBe(7 * 24 * 60);
    expect(machine.buckets).toHaveLength(7 * 24 * 60);
    expect(machine.buckets.reduce((n, b) => n + b.ok + b.rejected, 0)).toBe(4);
    expectFailure(await d.run(['keys', 'usage', 'used-lately', '--last', '90s']), 2, /--last "90s" must be whole minutes from 1m to 30d/);
    expectFailure(await d.run(['keys', 'usage', 'used-lately', '--last', '31d']), 2, /--last "31d"/);
    expectFailure(await d.run(['keys', 'usage', 'never-was']), 1, /no key with id or name "never-was"/);
  });

  it('says when the daemon listed only the most recent of a key\'s callers', async () => {
    const { secret } = await d.client.createKey('many-callers');
    for (let i = 0; i < 101; i++) await d.client.verify(secret, `svc-${i}`);
    const run = await d.run(['keys', 'usage', 'many-callers']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('svc-'))).toHaveLength(100);
    expect(lines.at(-1)).toBe("the daemon lists a key's 100 most recently seen callers: more may have been seen");
  });
});

describe('keyward keys deactivate, activate and delete', () => {
  it('deactivates and activates by name', async () => {
    await d.client.createKey('toggle');
    const off = await d.run(['keys', 'deactivate', 'toggle']);
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/^key "toggle" \(key_\w+\) is inactive\n$/);
    const on = json<{ key: KeyJson }>(await d.run(['keys', 'activate', 'toggle', '--json']));
    expect(on.key.status).toBe('active');
    expect(off.stderr, 'an unused key breaks nobody: no note').toBe('');
  });

  it('says after deactivating a key that verified in the last hour how often, for whom, and how to undo it', async () => {
    const { key, secret } = await d.client.createKey('in-use');
    await d.client.verify(secret, 'orders-api');
    const off = await d.run(['keys', 'deactivate', 'in-use']);
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/^key "in-use" \(key_\w+\) is inactive\n$/);
    expect(off.stderr).toBe(`It was accepted 1 time in the last hour, last by orders-api just now: those clients fail from now on ("keyward keys activate ${key.id}" undoes it)\n`);
  });

  it('refuses to delete an active key, and without --yes when stdin is not a terminal', async () => {
    const { key } = await d.client.createKey('doomed');
    expectFailure(await d.run(['keys', 'delete', 'doomed', '--yes']), 1, /is active; deactivate it first/);
    await d.client.deactivateKey(key.id);
    expectFailure(await d.run(['keys', 'delete', 'doomed']), 2, /stdin is not a terminal.*--yes/);
    expect((await d.client.getKey(key.id)).key.name).toBe('doomed');
    const run = await d.run(['keys', 'delete', 'doomed', '--yes', '--json']);
    expect(json(run)).toEqual({ deleted: { id: key.id, name: 'doomed' } });
    await expect(d.client.getKey(key.id)).rejects.toMatchObject({ status: 404 });
  });

  it('asks on a terminal, saying when the key was presented in the last hour, and "no" (the default) changes nothing', async () => {
    const { key, secret } = await d.client.createKey('asked');
    await d.client.deactivateKey(key.id);
    await d.client.verify(secret, 'late-cron');
    const env = { KEYWARD_HOME: d.home };
    const declined = await keywardOnTerminal(['keys', 'delete', 'asked'], '(y/N)', '\r', env);
    expect(declined.code, declined.stdout).toBe(1);
    expect(declined.stdout.replace(/\s+/g, ' ')).toContain('It was presented 1 time in the last hour, last by late-cron just now: something still uses it. Delete key "asked"');
    expect(declined.stdout).toContain('not confirmed');
    expect((await d.client.getKey(key.id)).key.status).toBe('inactive');
    const confirmed = await keywardOnTerminal(['keys', 'delete', 'asked'], '(y/N)', 'y\r', env);
    expect(confirmed.code, confirmed.stdout).toBe(0);
    await expect(d.client.getKey(key.id)).rejects.toMatchObject({ status: 404 });
  });

  it('ends with exit 130 and changes nothing on Ctrl-C at the prompt', async () => {
    const { key } = await d.client.createKey('interrupted');
    await d.client.deactivateKey(key.id);
    const run = await keywardOnTerminal(['keys', 'delete', 'interrupted'], '(y/N)', '\u0003', { KEYWARD_HOME: d.home });
    expect(run.code, run.stdout).toBe(130);
    expect((await d.client.getKey(key.id)).key.status).toBe('inactive');
  });
});

describe('usage errors', () => {
  it('exit 2 with one line for an unknown command, option or a missing argument', async () => {
    expectFailure(await d.run(['keyz']), 2, /unknown command 'keyz'/);
    expectFailure(await d.run(['keys', 'list', '--jsn']), 2, /unknown option '--jsn' \(Did you mean --json\?\)/);
    expectFailure(await d.run(['keys', 'show']), 2, /missing required argument 'key'/);
  });

  it('one line, exit 2, for a group of commands without one of them; its --help still prints the whole help', async () => {
    for (const group of ['keys', 'rotations', 'webhooks', 'operators']) {
      expectFailure(await d.run([group]), 2, new RegExp(`^keyward: ${group} needs a command: \\w+, \\w+, .* \\(see keyward ${group} --help\\)\n$`));
    }
    expectFailure(await d.run(['keys', 'lst']), 2, /^keyward: keys has no command 'lst': list, show, create, /);
    for (const args of [['keys', '--help'], ['keys', 'help']]) {
      const help = await d.run(args);
      expect(help.code, args.join(' ')).toBe(0);
      expect(help.stdout).toMatch(/^Usage: keyward keys \[options\] \[command\]\n[^]*\n {2}rotate \[options\] <key> /);
      expect(help.stderr).toBe('');
    }
  });

  it('refuses an empty id, name, file or home as a usage error, before asking the daemon anything', async () => {
    const cases: [string[], RegExp][] = [
      [['alerts', '--ack', ''], /^keyward: --ack is empty\n$/],
      [['keys', 'show', ''], /^keyward: <key> is empty\n$/],
      [['keys', 'delete', ' ', '--yes'], /<key> is empty/],
      [['keys', 'create', ''], /<name> is empty/],
      [['keys', 'rotate', 'billing', '--name', ''], /--name is empty/],
      [['keys', 'import', ''], /<file> is empty/],
      [['rotations', 'advance', ''], /<rotation> is empty/],
      [['operators', 'disable', '', '--yes'], /<operator> is empty/],
      [['webhooks', 'remove', '', '--yes'], /<id> is empty/],
      [['audit', '--operator', ''], /--operator is empty/],
      [['--home', '', 'status'], /^keyward: --home is empty\n$/],
      [['status', '--token='], /--token is empty/],
      [['keys', 'list', '--url', ''], /--url is empty/],
    ];
    for (const [args, message] of cases) expectFailure(await d.run(args), 2, message);
    expect((await d.client.allKeys()).map((k) => k.name)).not.toContain('');
  });
});

describe('a daemon address that is not one', () => {
  it('is a usage error, said without its password: a path, a query, credentials or another scheme', async () => {
    const cases: [string, RegExp][] = [
      [`${d.url}/v1`, /--url "http:\/\/127\.0\.0\.1:\d+\/v1" is not a daemon's address: an http\(s\) origin/],
      [`${d.url}/?page=2`, /is not a daemon's address/],
      [d.url.replace('http://', 'http://admin:hunter2@'), /--url "http:\/\/127\.0\.0\.1:\d+\/" is not a daemon's address/],
      ['ftp://127.0.0.1:7420', /is not a daemon's address/],
    ];
    for (const [url, message] of cases) {
      const result = await d.run(['keys', 'list', '--url', url]);
      expectFailure(result, 2, message);
      expect(result.stderr, 'the password is not repeated').not.toContain('hunter2');
    }
  });
});

describe('keyward keys list, streamed', () => {
  it('prints page after page as one table, one JSON document or NDJSON, sorted and searched on the daemon', async () => {
    for (const name of ['stream-c', 'stream-a', 'stream-e', 'stream-b', 'stream-d']) await d.client.createKey(name, { owner: 'team-stream' });
    const names = ['stream-a', 'stream-b', 'stream-c', 'stream-d', 'stream-e'];
    const args = ['keys', 'list', '--search', 'TEAM-STREAM', '--sort', 'name', '--page-size', '2'];
    const table = await d.run(args);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+OWNER\s+ID\s+STATUS/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(names);
    const whole = await d.run([...args, '--json']);
    expect(json<{ keys: KeyJson[] }>(whole).keys.map((k) => k.name)).toEqual(names);
    // The same document printJson writes for a list fetched at once.
    const once = await d.run(['keys', 'list', '--search', 'team-stream', '--sort', 'name', '--json']);
    expect(whole.stdout).toBe(once.stdout);
    const ndjson = await d.run([...args, '--ndjson', '--reverse']);
    expect(ndjson.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as KeyJson).name)).toEqual([...names].reverse());
    expect((await d.run(['keys', 'list', '--search', 'nothing-like-this', '--json'])).stdout).toBe('{\n  "keys": []\n}\n');
    expectFailure(await d.run(['keys', 'list', '--sort', 'size']), 2, /Allowed choices are name, newest/);
    expectFailure(await d.run(['keys', 'list', '--page-size', '0']), 2, /--page-size "0" must be a whole number/);
  });
});
