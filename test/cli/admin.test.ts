/**
 * Issue 7: `keyward status`, `operators`, `audit`, `backup`, `completion`, help and version,
 * spawned as processes against a daemon process; and exit 3 when no daemon answers.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { backupStore } from '../../src/cli/backup.js';
import type { OperatorJson } from '../../src/client/client.js';
import { homeFiles } from '../../src/home.js';
import { VERSION } from '../../src/version.js';
import type { StatusReport } from '../../src/cli/status-command.js';
import { tempHome } from '../helpers/daemon.js';
import { json, keyward, startDaemonProcess, type DaemonProcess } from './harness.js';

// Each CLI run is a process of its own; on a busy machine a few of them outlast the default.
vi.setConfig({ testTimeout: 90_000 });

let d: DaemonProcess;
const scratchDirs: string[] = [];
/** An empty directory, removed after the tests. */
function scratch(): string {
  const dir = tempHome();
  scratchDirs.push(dir);
  return dir;
}

beforeAll(async () => {
  d = await startDaemonProcess();
  await d.client.createKey('alpha');
  const { key } = await d.client.createKey('beta');
  await d.client.deactivateKey(key.id);
});
afterAll(async () => {
  await d.stop();
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

describe('keyward status', () => {
  it('shows health, address, home, pid, operator and counts', async () => {
    const [human, machine] = await Promise.all([d.run(['status']), d.run(['status', '--json'])]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^daemon\\s+ok, keyward ${VERSION} at ${d.url}$`, 'm'));
    expect(human.stdout).toMatch(new RegExp(`^pid\\s+${d.pid} `, 'm'));
    expect(human.stdout).toMatch(/^keys\s+1 active, 1 inactive$/m);
    expect(json<StatusReport>(machine)).toMatchObject({
      reachable: true,
      health: 'ok',
      url: d.url,
      urlSource: 'daemon.json',
      home: d.home,
      pid: d.pid,
      operator: { name: 'admin', role: 'admin' },
      counts: { keys: { active: 1, inactive: 1 }, openRotations: 0, openAlerts: 0, openAlertKinds: {} },
    });
    expect(human.stdout, 'no alerts line while none is open').not.toMatch(/^alerts/m);
  });

  it('counts the open alerts, and says where to read them', async () => {
    const bait = await d.client.createKey('status-bait', { canary: true });
    await d.client.verify(bait.secret, 'crawler-1');
    await d.client.verify(bait.secret, 'crawler-2');
    const leaked = await d.client.createKey('status-leaked');
    await d.client.deactivateKey(leaked.key.id, 'leaked: pasted in #general');
    const [human, machine] = await Promise.all([d.run(['status']), d.run(['status', '--json'])]);
    expect(human.stdout, 'by kind, most first').toMatch(/^alerts\s+3 open: 2 canary tripped, 1 leaked \(keyward alerts\)$/m);
    expect(json<StatusReport>(machine).counts).toMatchObject({ keys: { active: 2, inactive: 2 }, openAlerts: 3, openAlertKinds: { 'canary.tripped': 2, 'key.leaked': 1 } });
    for (const alert of (await d.client.alerts()).alerts) await d.client.ackAlert(alert.id);
    await d.client.deactivateKey(bait.key.id);
    await d.client.deleteKey(bait.key.id);
    await d.client.deleteKey(leaked.key.id);
  });

  it('exits 3 when no daemon answers, for status and for any other command', async () => {
    const down = { KEYWARD_HOME: scratch(), KEYWARD_URL: 'http://127.0.0.1:9' };
    const [status, list] = await Promise.all([keyward(['status', '--json'], { env: down }), keyward(['keys', 'list'], { env: down })]);
    expect(status.code).toBe(3);
    expect(JSON.parse(status.stdout)).toMatchObject({ reachable: false, url: 'http://127.0.0.1:9', urlSource: 'env' });
    expect(list.code).toBe(3);
    expect(list.stdout).toBe('');
    expect(list.stderr).toMatch(/^keyward: no keyward daemon answers at http:\/\/127\.0\.0\.1:9.*\n$/);
  });

  it('takes an empty KEYWARD_HOME as unset, as it does an empty KEYWARD_URL or KEYWARD_TOKEN', async () => {
    const data = scratch();
    const run = await keyward(['status', '--json'], { env: { KEYWARD_HOME: '', KEYWARD_URL: '', KEYWARD_TOKEN: '', XDG_DATA_HOME: data } });
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ reachable: false, home: join(data, 'keyward'), urlSource: 'none' });
  });

  it('exits 1 when the daemon refuses the token', async () => {
    const run = await d.run(['keys', 'list'], { env: { KEYWARD_TOKEN: 'kwo_nope' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^keyward: .*\(unauthorized\); pass --token or set KEYWARD_TOKEN\n$/);
  });

  it('takes a token with a trailing CR or blank as the token; one with a control character inside is a usage error, not a daemon that does not answer', async () => {
    const token = readFileSync(homeFiles(d.home).adminToken, 'utf8').trim();
    const crlf = await d.run(['keys', 'list', '--json'], { env: { KEYWARD_TOKEN: `${token}\r` } });
    expect(crlf.code, crlf.stderr).toBe(0);
    const spaced = await d.run(['--token', ` ${token} `, 'keys', 'list', '--json']);
    expect(spaced.code, spaced.stderr).toBe(0);
    const broken = await d.run(['keys', 'list'], { env: { KEYWARD_TOKEN: `${token.slice(0, 10)}\u0001${token.slice(10)}` } });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^keyward: the operator token \(--token, KEYWARD_TOKEN or the home's admin\.token\) holds a character no token has: .*\n$/);
  });
});

describe('keyward operators', () => {
  it('creates an operator, printing its token alone on stdout; the token works with its role', async () => {
    const run = await d.run(['operators', 'create', 'orders-service', '--role', 'service']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^kwo_[0-9A-Za-z]+\n$/);
    expect(run.stderr).toMatch(/created operator "orders-service" \(op_\w+, role service\)/);
    const env = { KEYWARD_TOKEN: run.stdout.trim() };
    const [status, list] = await Promise.all([d.run(['status', '--json'], { env }), d.run(['keys', 'list'], { env })]);
    expect(json<StatusReport>(status)).toMatchObject({ operator: { name: 'orders-service', role: 'service' }, counts: null });
    expect(list.code).toBe(1);
    expect(list.stderr).toMatch(/lacks the permission keys:read \(forbidden\)/);
  });

  it('needs a valid --role (exit 2)', async () => {
    const [missing, wrong] = await Promise.all([d.run(['operators', 'create', 'x']), d.run(['operators', 'create', 'x', '--role', 'boss'])]);
    expect([missing.code, wrong.code]).toEqual([2, 2]);
    expect(missing.stderr).toMatch(/^keyward: required option '--role <role>' not specified\n$/);
  });

  it('lists and disables operators by name, with --yes off a terminal', async () => {
    await d.client.createOperator('carol', 'viewer');
    const refused = await d.run(['operators', 'disable', 'carol']);
    expect(refused.code).toBe(2);
    const disabled = json<{ operator: OperatorJson }>(await d.run(['operators', 'disable', 'carol', '--yes', '--json']));
    expect(disabled.operator.disabledAt).not.toBeNull();
    const { operators } = json<{ operators: OperatorJson[] }>(await d.run(['operators', 'list', '--json']));
    expect(operators.map((o) => o.name).sort()).toEqual(['admin', 'carol', 'orders-service']);
  });
});

describe('keyward backup', () => {
  it('writes a consistent owner-only copy that opens and lists the keys', async () => {
    const file = join(scratch(), 'copy.db');
    const run = await d.run(['backup', file]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/integrity ok\): 2 keys \(1 active, 1 inactive\)/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(`${file}-wal`)).toBe(false);
    const copy = new Database(file, { readonly: true });
    try {
      expect(copy.prepare('SELECT name, status FROM keys ORDER BY name').all()).toEqual([
        { name: 'alpha', status: 'active' },
        { name: 'beta', status: 'inactive' },
      ]);
    } finally {
      copy.close();
    }
    const again = await d.run(['backup', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists; pass --force/);

    // Online: the daemon keeps writing all the while the copy is made.
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) await d.client.createKey(`bulk-${written++}`);
    })();
    const during = await d.run(['backup', file, '--force', '--json']);
    writing = false;
    await writer;
    const counts = json<{ keys: { active: number; inactive: number } }>(during).keys;
    expect(counts.inactive).toBe(1);
    expect(counts.active).toBeGreaterThanOrEqual(1);
    expect(counts.active).toBeLessThanOrEqual(1 + written);
  });

  it('builds the copy in a private directory of its own: what others plant beside FILE changes nothing', async () => {
    // Another user's database, its pages left in its WAL: what they would plant in a shared /tmp.
    const theirs = join(scratch(), 'theirs.db');
    const planter = new Database(theirs);
    planter.pragma('journal_mode = WAL');
    planter.pragma('wal_autocheckpoint = 0');
    planter.exec("CREATE TABLE keys (name TEXT, status TEXT); INSERT INTO keys VALUES ('mallory', 'active')");
    const wal = readFileSync(`${theirs}-wal`);
    planter.close();

    const dir = scratch();
    const file = join(dir, 'copy.db');
    // The names the copy had before (in-process, this pid is the one it used), and a WAL beside FILE.
    const planted = { [`${file}.partial-${process.pid}`]: readFileSync(theirs), [`${file}.partial-${process.pid}-wal`]: wal, [`${file}-wal`]: wal };
    for (const [path, content] of Object.entries(planted)) writeFileSync(path, content);

    const report = await backupStore(homeFiles(d.home).db, file, false);
    expect(report.keys.inactive).toBe(1);
    // The private directory is gone; what was planted is untouched, and never read.
    expect(readdirSync(dir).sort()).toEqual(['copy.db', ...Object.keys(planted).map((p) => p.slice(dir.length + 1))].sort());
    for (const [path, content] of Object.entries(planted)) expect(readFileSync(path).equals(content), path).toBe(true);
    // Opened where no planted WAL lies beside it, as a restore copies it (SQLite would replay FILE-wal).
    const restored = join(scratch(), 'keyward.db');
    copyFileSync(file, restored);
    const copy = new Database(restored, { readonly: true });
    try {
      const names = copy.prepare('SELECT name FROM keys').pluck().all();
      expect(names).toContain('alpha');
      expect(names).not.toContain('mallory');
    } finally {
      copy.close();
    }

    // A copy that fails leaves nothing behind either.
    const broken = join(scratch(), 'keyward.db');
    writeFileSync(broken, 'not a database');
    const failed = join(scratch(), 'failed.db');
    await expect(backupStore(broken, failed, false)).rejects.toThrow(/not a database/);
    expect(readdirSync(join(failed, '..'))).toEqual([]);
  });

  it('takes a symlink at FILE, even one that leads nowhere, for a file there: refused without --force, replaced (never written through) with it', async () => {
    const dir = scratch();
    const file = join(dir, 'copy.db');
    const aim = join(dir, 'where-the-link-leads.db');
    symlinkSync(aim, file);
    await expect(backupStore(homeFiles(d.home).db, file, false)).rejects.toThrow(/already exists; pass --force to replace it/);
    expect(lstatSync(file).isSymbolicLink(), 'the link is as it was').toBe(true);
    expect(readdirSync(dir), 'no copy left behind').toEqual(['copy.db']);
    await backupStore(homeFiles(d.home).db, file, true);
    expect(lstatSync(file).isFile(), 'the copy is a file of its own').toBe(true);
    expect(existsSync(aim), 'nothing written where the link led').toBe(false);
  });

  it('refuses a FILE inside the home, by any path to it, even with --force: the store, the token and every write stay', async () => {
    const before = readFileSync(homeFiles(d.home).adminToken);
    const link = join(scratch(), 'home-link');
    symlinkSync(d.home, link);
    mkdirSync(join(d.home, 'sub'), { recursive: true, mode: 0o700 });
    for (const file of [homeFiles(d.home).db, homeFiles(d.home).adminToken, join(link, 'keyward.db'), join(d.home, 'sub', 'copy.db')]) {
      const run = await d.run(['backup', file, '--force']);
      expect(run.code, file).toBe(1);
      expect(run.stderr).toMatch(/^keyward: .* is inside the keyward home \(.*\), whose files the daemon owns: write the backup elsewhere\n$/);
    }
    rmSync(join(d.home, 'sub'), { recursive: true });
    expect(readFileSync(homeFiles(d.home).adminToken).equals(before), 'admin.token untouched').toBe(true);
    const { key } = await d.client.createKey('after-the-refusals');
    expect((await d.client.getKey(key.id)).key.name, 'the daemon still writes its own store').toBe('after-the-refusals');
  });

  it('says so when the home holds no key store', async () => {
    const run = await keyward(['backup', join(scratch(), 'x.db')], { env: { KEYWARD_HOME: scratch() } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^keyward: no key store at .*keyward\.db/);
  });
});

describe('help, version and completion', () => {
  it('prints the version, and help with examples and exit codes at every level', async () => {
    const [version, top, create] = await Promise.all([keyward(['--version']), keyward(['--help']), keyward(['keys', 'create', '--help'])]);
    expect(version.stdout).toBe(`${VERSION}\n`);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Exit codes: 0 ok, 1 refused or invalid, 2 usage, 3 daemon unreachable/);
    for (const name of ['daemon', 'status', 'keys', 'rotations', 'verify', 'operators', 'audit', 'backup', 'completion']) expect(top.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    expect(create.stdout).toMatch(/Examples:\n {2}SECRET=\$\(keyward keys create billing\)/);
  });

  it('completes subcommands, options and choices in bash', async () => {
    const script = await keyward(['completion', 'bash']);
    expect(script.code).toBe(0);
    const file = join(scratch(), 'keyward.bash');
    writeFileSync(file, script.stdout);
    const complete = (words: string) => {
      const probe = `source ${file}; COMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _keyward; echo "\${COMPREPLY[*]}"`;
      return spawnSync('bash', ['-c', probe], { encoding: 'utf8' }).stdout.trim();
    };
    expect(complete("keyward ''")).toContain('keys rotations verify');
    expect(complete('keyward keys de')).toBe('deactivate delete');
    expect(complete("keyward operators create bob --role ''")).toBe('admin manager viewer service');
    expect(complete('keyward keys list --st')).toBe('--status');
  });
});

describe('keyward audit', () => {
  it('lists events and verifies the chain; an edited row is named (exit 1)', async () => {
    const [list, verified] = await Promise.all([d.run(['audit', '--json', '--limit', '10000']), d.run(['audit', '--verify'])]);
    const { events } = json<{ events: Array<{ seq: number; action: string }> }>(list);
    expect(events[0]!.seq).toBeGreaterThan(events[events.length - 1]!.seq);
    expect(events.map((e) => e.action)).toContain('key.deactivate');
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(new RegExp(`^audit chain intact: ${events.length} events \\(${events.length} signed by this home's key\\); the checkpoint names event ${events[0]!.seq}\n$`));

    const target = events.find((e) => e.action === 'key.deactivate')!.seq;
    const db = new Database(homeFiles(d.home).db);
    db.prepare("UPDATE audit_events SET target_name = 'someone-else' WHERE seq = ?").run(target);
    db.close();
    const broken = await d.run(['audit', '--verify', '--json']);
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, brokenAt: { seq: target, action: 'key.deactivate' } });
    expect(broken.stderr).toMatch(new RegExp(`^keyward: audit chain broken at event ${target} .*edited`));
  });
});
