/**
 * Issue 17: `keyward scan` spawned as a process against a daemon process, on a fixture tree
 * with a live key, an inactive one, a deleted one, a `kw_` string with a bad checksum, binary
 * files, `.git/` and `node_modules/`, and an operator token: exit codes, output that never
 * holds a secret, stdin, `--json`, `--all`, `--deactivate`, and what a viewer is told.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REASON_MAX } from '../../src/daemon/limits.js';
import type { ReportedFinding } from '../../src/scan/report.js';
import { startDaemonProcess, type CliRun, type DaemonProcess } from './harness.js';

vi.setConfig({ testTimeout: 90_000 });

let d: DaemonProcess;
let dir: string;
const secrets = { live: '', inactive: '', deleted: '', hidden: '' };
const ids = { live: '', inactive: '' };

/** `secret` with one character of its random body changed: the checksum no longer matches. */
function typo(secret: string): string {
  const i = 10;
  return secret.slice(0, i) + (secret[i] === 'A' ? 'B' : 'A') + secret.slice(i + 1);
}

function write(path: string, content: string | Buffer): void {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), content);
}

beforeAll(async () => {
  d = await startDaemonProcess();
  const live = await d.client.createKey('billing');
  const inactive = await d.client.createKey('old-billing');
  const deleted = await d.client.createKey('gone');
  const hidden = await d.client.createKey('hidden');
  await d.client.deactivateKey(inactive.key.id);
  await d.client.deactivateKey(deleted.key.id);
  await d.client.deleteKey(deleted.key.id);
  Object.assign(secrets, { live: live.secret, inactive: inactive.secret, deleted: deleted.secret, hidden: hidden.secret });
  Object.assign(ids, { live: live.key.id, inactive: inactive.key.id });

  dir = mkdtempSync(join(tmpdir(), 'keyward-scan-'));
  write('app/config.env', `# settings\nDEBUG=0\nAPI_KEY=${secrets.live}\n`);
  write('app/old.txt', `old=${secrets.inactive}\n`);
  write('notes/deleted.md', `1\n2\n3\n4\n${secrets.deleted} was rotated out\n`);
  write('src/typo.ts', `const key = "${typo(secrets.live)}";\n`);
  write('assets/blob.bin', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]), Buffer.from(`\n${secrets.hidden}\n`)]));
  write('.git/objects/ab/cdef', `${secrets.hidden}\n`);
  write('node_modules/pkg/index.js', `module.exports = "${secrets.hidden}";\n`);
});

afterAll(async () => {
  await d.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Nothing a scan prints may hold a whole secret. */
function expectNoSecret(run: CliRun): void {
  for (const secret of [...Object.values(secrets), d.adminToken]) {
    expect(run.stdout).not.toContain(secret);
    expect(run.stderr).not.toContain(secret);
  }
}

function hint(secret: string): string {
  return `${secret.slice(0, secret.indexOf('_') + 5)}…${secret.slice(-4)}`;
}

describe('keyward scan', () => {
  it('prints FILE:LINE, name, state and hint per secret, skips binaries, .git and node_modules, and exits 1 on a live key', async () => {
    const run = await d.run(['scan', dir]);
    expectNoSecret(run);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout.split('\n').filter(Boolean)).toEqual([
      `${dir}/app/config.env:3  key "billing" (active)  ${hint(secrets.live)}`,
      `${dir}/app/old.txt:1  key "old-billing" (inactive)  ${hint(secrets.inactive)}`,
      // The store keeps a deleted key's hash (a tombstone), so the finding names it.
      `${dir}/notes/deleted.md:5  key "gone" (deleted)  ${hint(secrets.deleted)}`,
    ]);
    expect(run.stderr).toMatch(/scanned 4 files.*skipped 1 binary file and 2 \.git\/node_modules folders.*3 secrets found, 1 live/);
  });

  it('exits 0 when nothing live is found, and 2 for a path that does not exist', async () => {
    const quiet = await d.run(['scan', join(dir, 'app/old.txt'), join(dir, 'notes'), join(dir, 'src')]);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout.split('\n').filter(Boolean)).toHaveLength(2);

    const missing = await d.run(['scan', join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^keyward: no such file or directory: .*nope\n$/);
  });

  it('scans everything with --all, and gives findings as JSON with --json', async () => {
    const run = await d.run(['scan', dir, '--all', '--json']);
    expectNoSecret(run);
    expect(run.code).toBe(1);
    const body = JSON.parse(run.stdout) as { findings: ReportedFinding[]; scanned: { files: number; skippedBinary: number } };
    expect(body.scanned).toMatchObject({ files: 7, skippedBinary: 0, skippedDirs: 0 });
    expect(body.findings.map((f) => [f.file.slice(dir.length + 1), f.line, f.state, f.name])).toEqual([
      ['.git/objects/ab/cdef', 1, 'active', 'hidden'],
      ['app/config.env', 3, 'active', 'billing'],
      ['app/old.txt', 1, 'inactive', 'old-billing'],
      ['assets/blob.bin', 2, 'active', 'hidden'],
      ['node_modules/pkg/index.js', 1, 'active', 'hidden'],
      ['notes/deleted.md', 5, 'deleted', 'gone'],
    ]);
    expect(body.findings[1]).toEqual({ file: `${dir}/app/config.env`, line: 3, kind: 'key', state: 'active', hint: hint(secrets.live), keyId: ids.live, name: 'billing', reported: true });
  });

  it('reads stdin for -, as git log -p | keyward scan - does', async () => {
    const history = `commit 1\n+++ b/.env\n+KEY=${secrets.inactive}\ncommit 2\n-KEY=${secrets.inactive}\n+KEY=${secrets.live}\n`;
    const run = await d.run(['scan', '-', '--json'], { input: history });
    expectNoSecret(run);
    expect(run.code).toBe(1);
    const { findings } = JSON.parse(run.stdout) as { findings: ReportedFinding[] };
    expect(findings.map((f) => [f.file, f.line, f.state])).toEqual([
      ['(stdin)', 3, 'inactive'],
      ['(stdin)', 5, 'inactive'],
      ['(stdin)', 6, 'active'],
    ]);
  });

  it('scans the current directory with no path, and says that what is piped in needs -', async () => {
    const app = join(dir, 'app');
    const piped = await d.run(['scan', '--json'], { input: `KEY=${secrets.live}\n`, cwd: app });
    expectNoSecret(piped);
    const { findings } = JSON.parse(piped.stdout) as { findings: ReportedFinding[] };
    expect(findings.map((f) => f.file), 'the directory, not stdin').not.toContain('(stdin)');
    expect(findings.length).toBeGreaterThan(0);
    expect(piped.stderr).toMatch(/^keyward: scanning the current directory; what is piped in is read only with "-" \(… \| keyward scan -\)\n/);
    // Nothing given on stdin (a terminal, /dev/null): nothing to say.
    const plain = await d.run(['scan', '--json'], { stdinFile: '/dev/null', cwd: app });
    expect(JSON.parse(plain.stdout)).toEqual(JSON.parse(piped.stdout));
    expect(plain.stderr).not.toContain('piped in');
  });

  it('reads a FIFO named on the command line to its end, as keyward scan <(…) gives one', async () => {
    // A pipe answers at most 64 KiB a read: the key lies well past the first read.
    const fifo = join(dir, '..', `${dir.split('/').pop()}-fifo`);
    execFileSync('mkfifo', [fifo]);
    try {
      const filler = `${'x'.repeat(99)}\n`.repeat(2000);
      const writing = writeFile(fifo, `${filler}API_KEY=${secrets.live}\n`).then(() => undefined, (err: unknown) => err);
      const run = await d.run(['scan', fifo]);
      expect(await writing, 'the scan closed the FIFO before its end').toBeUndefined();
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toBe(`${fifo}:2001  key "billing" (active)  ${hint(secrets.live)}\n`);
      expect(run.stderr).toMatch(/scanned 1 file, 0\.2 MB/);
    } finally {
      rmSync(fifo, { force: true });
    }
  });

  it('refuses a device named on the command line, which may have no end, as a usage error', async () => {
    for (const device of ['/dev/zero', '/dev/null']) {
      const run = await d.run(['scan', dir, device]);
      expect(run.code, device).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(`keyward: ${device} is a device, not a file, and may have no end; to scan part of it, pipe that in: head -c 100M ${device} | keyward scan -\n`);
    }
  });

  it('reports operator tokens to an admin, and to a viewer as unchecked without saying whose', async () => {
    const viewer = await d.client.createOperator('auditor', 'viewer');
    const tokenFile = join(dir, '..', `${dir.split('/').pop()}-token.txt`);
    writeFileSync(tokenFile, `token: ${d.adminToken}\n`);
    try {
      const asAdmin = await d.run(['scan', tokenFile]);
      expect(asAdmin.code).toBe(1);
      expect(asAdmin.stdout).toBe(`${tokenFile}:1  operator "admin" (active)  ${hint(d.adminToken)}\n`);
      expect(asAdmin.stderr).toMatch(/operator "admin" has a live token .*keyward operators disable op_/);

      const asViewer = await d.run(['scan', tokenFile], { env: { KEYWARD_TOKEN: viewer.token } });
      expect(asViewer.code).toBe(1);
      expect(asViewer.stdout).toBe(`${tokenFile}:1  operator token (not checked: looking up operator tokens needs operators:manage)  ${hint(d.adminToken)}\n`);
      expect(asViewer.stdout + asViewer.stderr).not.toContain('admin');
    } finally {
      rmSync(tokenFile, { force: true });
    }
  });

  it('deactivates each live key once with --deactivate, naming where it leaked', async () => {
    const leaked = await d.client.createKey('leaky');
    writeFileSync(join(dir, 'app/leaky.txt'), `${leaked.secret}\nagain ${leaked.secret}\n`);
    secrets.hidden = leaked.secret; // checked by expectNoSecret
    const run = await d.run(['scan', join(dir, 'app'), '--deactivate', '--json']);
    expectNoSecret(run);
    expect(run.code).toBe(1);
    const { findings } = JSON.parse(run.stdout) as { findings: ReportedFinding[] };
    expect(findings.filter((f) => f.deactivated).map((f) => [f.name, f.line])).toEqual([
      ['billing', 3],
      ['leaky', 1],
      ['leaky', 2],
    ]);
    expect(run.stderr).toContain(`deactivated key "leaky" (${leaked.key.id}): leaked: ${dir}/app/leaky.txt:1`);
    const key = (await d.client.getKey(leaked.key.id)).key;
    expect(key).toMatchObject({ status: 'inactive', deactivationReason: `leaked: ${dir}/app/leaky.txt:1` });
    const shown = await d.run(['keys', 'show', leaked.key.id]);
    expect(shown.stdout).toMatch(new RegExp(`^reason +leaked: ${dir}/app/leaky.txt:1$`, 'm'));
    const reported = (await d.client.audit({ limit: 10 })).events.filter((e) => e.action === 'key.deactivate' && String(e.detail.reason).startsWith('leaked: '));
    expect(reported.map((e) => [e.targetName, e.detail.reason]).sort()).toEqual([
      ['billing', `leaked: ${dir}/app/config.env:3`],
      ['leaky', `leaked: ${dir}/app/leaky.txt:1`],
    ]);

    // Nothing live is left in app/: the next scan passes.
    const again = await d.run(['scan', join(dir, 'app')]);
    expect(again.code, again.stdout).toBe(0);
  });
  it('deactivates a key found under a path too long for a whole reason, naming the path by its end', async () => {
    const leaked = await d.client.createKey('far-away');
    secrets.hidden = leaked.secret; // checked by expectNoSecret
    const deep = join(dir, 'd'.repeat(200), 'e'.repeat(200), 'f'.repeat(100));
    mkdirSync(deep, { recursive: true });
    const path = join(deep, 'leak.txt');
    writeFileSync(path, `${leaked.secret}\n`);
    expect(`leaked: ${path}:1`.length).toBeGreaterThan(REASON_MAX);
    const run = await d.run(['scan', path, '--deactivate']);
    expectNoSecret(run);
    expect(run.code, run.stderr).toBe(1);
    const reason = `leaked: …${path.slice(path.length - (REASON_MAX - 'leaked: …:1'.length))}:1`;
    expect(reason).toHaveLength(REASON_MAX);
    expect(run.stderr).toContain(`deactivated key "far-away" (${leaked.key.id}): ${reason}\n`);
    expect((await d.client.getKey(leaked.key.id)).key).toMatchObject({ status: 'inactive', deactivationReason: reason });
  });

  it('finds a canary planted in a file but counts it as no leak: exit 0, no key.leaked, and --deactivate leaves it in place', async () => {
    const canary = await d.client.createKey('bait', { canary: true });
    secrets.hidden = canary.secret; // checked by expectNoSecret
    const planted = mkdtempSync(join(tmpdir(), 'keyward-scan-canary-'));
    try {
      writeFileSync(join(planted, 'backup.env'), `AWS_BACKUP_KEY=${canary.secret}\n`);
      const run = await d.run(['scan', planted]);
      expectNoSecret(run);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe(`${planted}/backup.env:1  canary key "bait" (active; it never verifies)  ${hint(canary.secret)}\n`);
      expect(run.stderr).toContain('1 secret found, 0 live or unchecked');

      const off = await d.run(['scan', planted, '--deactivate', '--json']);
      expect(off.code, off.stderr).toBe(0);
      const { findings } = JSON.parse(off.stdout) as { findings: ReportedFinding[] };
      expect(findings).toEqual([{ file: `${planted}/backup.env`, line: 1, kind: 'key', state: 'active', hint: hint(canary.secret), keyId: canary.key.id, name: 'bait', canary: true }]);
      expect((await d.client.getKey(canary.key.id)).key, 'still armed').toMatchObject({ status: 'active', canary: true });
      const alerts = (await d.client.alerts({ state: 'all' })).alerts.filter((a) => a.keyId === canary.key.id);
      expect(alerts, 'finding it is no sighting and no leak').toEqual([]);
    } finally {
      rmSync(planted, { recursive: true, force: true });
    }
  });

  it('reports a live key a viewer\'s scan finds: one open key.leaked per key and location, counted on by the next scan', async () => {
    const ci = await d.client.createOperator('ci-scan', 'viewer');
    const leaked = await d.client.createKey('ci-leaky');
    secrets.hidden = leaked.secret; // checked by expectNoSecret
    const file = join(dir, '..', `${dir.split('/').pop()}-ci.env`);
    writeFileSync(file, `A=${leaked.secret}\nB=${leaked.secret}\nOLD=${secrets.inactive}\n`);
    const leakAlerts = async () => (await d.client.alerts({ state: 'all' })).alerts.filter((a) => a.kind === 'key.leaked' && a.keyId === leaked.key.id);
    try {
      const first = await d.run(['scan', file], { env: { KEYWARD_TOKEN: ci.token } });
      expectNoSecret(first);
      expect(first.code, first.stderr).toBe(1);
      expect(first.stdout).toContain(`${file}:1  key "ci-leaky" (active)`);
      const [alert] = await leakAlerts();
      expect(alert, 'once per key, at its first location').toMatchObject({ state: 'open', caller: `${file}:1`, count: 1, detail: { reason: `leaked: ${file}:1`, reportedBy: 'ci-scan' } });

      const second = await d.run(['scan', file, '--json'], { env: { KEYWARD_TOKEN: ci.token } });
      expect(second.code).toBe(1);
      const { findings } = JSON.parse(second.stdout) as { findings: ReportedFinding[] };
      expect(findings.map((f) => [f.line, f.state, f.reported])).toEqual([
        [1, 'active', true],
        [2, 'active', true],
        [3, 'inactive', undefined],
      ]);
      expect(await leakAlerts(), 'the next scan counts on the open alert').toMatchObject([{ id: alert!.id, count: 2 }]);

      // --deactivate reports by its deactivation, at the same location: still one alert, counted once more.
      const off = await d.run(['scan', file, '--deactivate'], { env: { KEYWARD_TOKEN: d.adminToken } });
      expect(off.code).toBe(1);
      expect(await leakAlerts()).toMatchObject([{ id: alert!.id, count: 3 }]);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('still reports a live key --deactivate could not switch off (a viewer\'s token): key.leaked as from a plain scan', async () => {
    const ci = await d.client.createOperator('ci-deactivating', 'viewer');
    const leaked = await d.client.createKey('ci-cannot-deactivate');
    secrets.hidden = leaked.secret;
    const file = join(dir, '..', `${dir.split('/').pop()}-ci-off.env`);
    writeFileSync(file, `A=${leaked.secret}\n`);
    try {
      const run = await d.run(['scan', file, '--deactivate', '--json'], { env: { KEYWARD_TOKEN: ci.token } });
      expectNoSecret(run);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/could not deactivate key "ci-cannot-deactivate"/);
      expect((JSON.parse(run.stdout) as { findings: ReportedFinding[] }).findings[0]).toMatchObject({ deactivated: false, reported: true });
      const alerts = (await d.client.alerts({ state: 'all' })).alerts.filter((a) => a.kind === 'key.leaked' && a.keyId === leaked.key.id);
      expect(alerts).toMatchObject([{ state: 'open', caller: `${file}:1` }]);
      expect((await d.client.getKey(leaked.key.id)).key.status).toBe('active');
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('reports every live key found under long paths: the reports are split to fit the daemon\'s body limit', async () => {
    // 130 keys under a ~470-character directory: one report of them all would be ~75 KB.
    const deep = join(dir, '..', `${dir.split('/').pop()}-deep`, 'p'.repeat(200), 'q'.repeat(200), 'r'.repeat(30));
    mkdirSync(deep, { recursive: true });
    const made = [];
    for (let i = 0; i < 130; i++) made.push(await d.client.createKey(`deep-${i}`));
    await Promise.all(made.map((k, i) => writeFile(join(deep, `file-${String(i).padStart(3, '0')}.env`), `K=${k.secret}\n`)));
    try {
      const run = await d.run(['scan', deep, '--json']);
      expect(run.code).toBe(1);
      expect(run.stderr).not.toMatch(/could not report/);
      const { findings } = JSON.parse(run.stdout) as { findings: ReportedFinding[] };
      expect(findings.filter((f) => f.reported === true)).toHaveLength(130);
      expect(Math.max(...findings.map((f) => `${f.file}:${f.line}`.length)), 'locations near the longest a report takes').toBeGreaterThan(440);
      const ids = new Set(made.map((k) => k.key.id));
      const alerts = (await d.client.alerts({ state: 'all' })).alerts.filter((a) => a.kind === 'key.leaked' && ids.has(a.keyId!));
      expect(alerts).toHaveLength(130);
    } finally {
      rmSync(join(dir, '..', `${dir.split('/').pop()}-deep`), { recursive: true, force: true });
    }
  });
});
