/**
 * Issue 16: `keyward keys import FILE` spawned as a process against a daemon process: NDJSON by
 * secret and by hash, stdin, a refused line named by its number with nothing of its batch
 * imported, earlier batches kept, and no secret in any output.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashSecret } from '../../src/daemon/secrets/format.js';
import { cleanEnv, KEYWARD } from '../helpers/cli.js';
import { fakeDaemon, HANG_UP } from './fake-daemon.js';
import { json, keywardOnTerminal, startDaemonProcess, type DaemonProcess } from './harness.js';

vi.setConfig({ testTimeout: 90_000 });

let d: DaemonProcess;
let dir: string;

beforeAll(async () => {
  d = await startDaemonProcess();
  dir = mkdtempSync(join(tmpdir(), 'keyward-import-'));
});
afterAll(async () => {
  await d?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, lines: readonly string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

const line = (item: object) => JSON.stringify(item);

async function names(): Promise<string[]> {
  return (await d.client.allKeys()).map((k) => k.name);
}

describe('keyward keys import', () => {
  it('imports a file by secret and by hash, and each key verifies', async () => {
    const secrets = ['legacy-secret-aaaa-0001', 'sk_test_4eC39HqLyjWDarjtT1zdp7dc'];
    const path = file('ok.ndjson', [
      line({ name: 'legacy-1', secret: secrets[0], owner: 'team-a' }),
      '',
      line({ name: 'legacy-2', sha256: hashSecret(secrets[1]!) }),
    ]);
    const run = await d.run(['keys', 'import', path]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^imported 2 keys in \d+\.\d s\n$/);
    expect(run.stderr).toBe('');
    for (const secret of secrets) {
      expect((await d.client.verify(secret)).valid).toBe(true);
      expect(run.stdout + run.stderr).not.toContain(secret);
    }
  });

  it('reads stdin with -, and answers --json', async () => {
    const run = await d.run(['keys', 'import', '-', '--json'], { input: line({ name: 'from-stdin', sha256: hashSecret('from-stdin-secret') }) + '\n' });
    expect(json<{ imported: number }>(run)).toEqual({ imported: 1 });
    expect(await names()).toContain('from-stdin');
  });

  it('names a line the daemon refuses, imports nothing of its batch and nothing after it', async () => {
    const secret = 'a-secret-on-the-bad-line-0001';
    const path = file('taken.ndjson', [
      line({ name: 'batch-1', sha256: hashSecret('batch-1-secret') }),
      line({ name: 'batch-2', sha256: hashSecret('batch-2-secret') }),
      line({ name: 'legacy-1', secret }),
      line({ name: 'batch-4', sha256: hashSecret('batch-4-secret') }),
    ]);
    const run = await d.run(['keys', 'import', path]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^keyward: line 3: A key named "legacy-1" already exists \(name_taken\); nothing from lines 1–4 was imported, no key was imported\n$/);
    expect(run.stderr).not.toContain(secret);
    expect(await names()).not.toContain('batch-1');
    expect((await d.client.verify(secret)).valid).toBe(false);
  });

  it('names both lines of a name or secret given twice in one batch, by their line in the file', async () => {
    const twice = await d.run(['keys', 'import', file('twice.ndjson', [
      line({ name: 'keys.0', sha256: hashSecret('twice-1') }),
      '',
      line({ name: 'twice-2', sha256: hashSecret('twice-2') }),
      line({ name: 'KEYS.0', sha256: hashSecret('twice-3') }),
    ])]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toBe(
      'keyward: line 4: The name "KEYS.0" is given to line 1 too (or one that looks like it) (name_taken); nothing from lines 1–4 was imported, no key was imported\n',
    );
    const secret = await d.run(['keys', 'import', file('same-secret.ndjson', ['', line({ name: 'same-1', secret: 'same-secret-0001' }), line({ name: 'same-2', secret: 'same-secret-0001' })])]);
    expect(secret.stderr).toBe("keyward: line 3: This secret is already line 2's in this batch (invalid_request); nothing from lines 2–3 was imported, no key was imported\n");
    expect(await names()).not.toContain('same-1');
  });

  it('names a line and its field when the daemon refuses the field, imports nothing of its batch', async () => {
    const path = file('bad-hash.ndjson', [
      line({ name: 'hash-1', sha256: hashSecret('hash-1') }),
      line({ name: 'hash-2', sha256: 'not-a-sha256' }),
      line({ name: 'hash-3', sha256: hashSecret('hash-3') }),
    ]);
    const run = await d.run(['keys', 'import', path]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'keyward: line 2: sha256: must be a SHA-256 of the secret: 64 hex characters or 43 base64url characters (invalid_request); nothing from lines 1–3 was imported, no key was imported\n',
    );
    expect(run.stderr).not.toContain('not-a-sha256');
    expect(await names()).not.toContain('hash-1');
  });

  it('draws a progress bar on a terminal\'s stderr after each batch, and clears it before the summary', async () => {
    const path = file('progress.ndjson', ['bar-1', 'bar-2', 'bar-3'].map((name) => line({ name, sha256: hashSecret(name) })));
    const run = await keywardOnTerminal(['keys', 'import', '--batch', '1', path], 'imported 3 keys', '', { KEYWARD_HOME: d.home });
    expect(run.code, run.stdout).toBe(0);
    // The file is read whole before the first batch is stored: each bar is full.
    const bars = [...run.stdout.matchAll(/\r\x1b\[K\[(#{30})\] 100% {2}(\d+) keys {2}[\d,]+ keys\/s/g)].map((m) => m[2]);
    expect(bars, JSON.stringify(run.stdout)).toEqual(['1', '2', '3']);
    expect(run.stdout).toMatch(/ keys\/s\r\x1b\[Kimported 3 keys in \d+\.\d s\r?\n$/);
  });

  it('says on Ctrl-C what is imported and where to go on, and exits 130', async () => {
    const child = spawn(KEYWARD[0], [...KEYWARD.slice(1), 'keys', 'import', '--batch', '10', '-'], { env: cleanEnv({ KEYWARD_HOME: d.home }) });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    // Thirty lines, and stdin left open: two batches stored; the third waits for the line (or the
    // end) that says it is whole.
    const items = Array.from({ length: 30 }, (_, i) => line({ name: `interrupted-${i}`, sha256: hashSecret(`interrupted-secret-${i}-0123456789`) }));
    child.stdin.write(items.join('\n') + '\n');
    await vi.waitFor(async () => expect((await names()).filter((n) => n.startsWith('interrupted-'))).toHaveLength(20), { timeout: 10_000, interval: 100 });
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    // Stored by the daemon, the second batch may not have been answered yet when the signal came:
    // then it is the batch in doubt, and the line to go on from is its first.
    expect(stderr).toMatch(
      /^keyward: interrupted: (20 keys \(the lines before line 21\) were imported and stay so; go on from line 21|10 keys \(the lines before line 11\) were imported and stay so; lines 11–20 were being stored and may or may not have been: "keyward keys list" shows which, and importing again from line 11 is safe; go on from line 11) of the input\n$/,
    );
    expect((await names()).filter((n) => n.startsWith('interrupted-'))).toHaveLength(20);
  });

  it('names a line that is not JSON, and sends nothing of its batch', async () => {
    const path = file('broken.ndjson', [line({ name: 'broken-1', sha256: hashSecret('broken-1') }), line({ name: 'broken-2', sha256: hashSecret('broken-2') }), '{"name": "broken-3", "secret": "half-a-line']);
    const run = await d.run(['keys', 'import', path]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('keyward: line 3: not valid JSON (each line must be one JSON object); its batch was not sent, no key was imported\n');
    expect(await names()).not.toContain('broken-1');
    // Batches before it are stored, and the message says where to go on: its own batch's first line.
    const good = (i: number) => line({ name: `late-${i}`, sha256: hashSecret(`late-${i}`) });
    const late = file('late.ndjson', [good(1), good(2), good(3), good(4), good(5), '{"name": "late-6", "secret": "half-a-line']);
    const later = await d.run(['keys', 'import', '--batch', '2', late]);
    expect(later.code).toBe(1);
    expect(later.stderr).toBe(
      `keyward: line 6: not valid JSON (each line must be one JSON object); its batch was not sent, the 4 keys of the lines before it were imported and stay so; once it is fixed, go on with: tail -n +5 ${late} | keyward keys import -\n`,
    );
    expect(await names()).toEqual(expect.arrayContaining(['late-1', 'late-4']));
    expect(await names()).not.toContain('late-5');
  });

  it('names a line that is not UTF-8 (a Latin-1 export), and sends nothing of its batch', async () => {
    const path = join(dir, 'latin1.ndjson');
    writeFileSync(path, Buffer.concat([Buffer.from(`${line({ name: 'latin-1', sha256: hashSecret('latin-1') })}\n{"name":"caf`), Buffer.from([0xe9]), Buffer.from(`","sha256":"${hashSecret('latin-2')}"}\n`)]));
    const run = await d.run(['keys', 'import', path]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('keyward: line 2: not valid UTF-8; its batch was not sent, no key was imported\n');
    expect(await names()).not.toContain('latin-1');
    expect(await names()).not.toContain('caf\uFFFD');
  });

  it('refuses a line that never ends at the limit, as soon as it is read: keys import - < /dev/zero', async () => {
    const started = Date.now();
    const run = await d.run(['keys', 'import', '-'], { stdinFile: '/dev/zero' });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toBe('keyward: line 1: longer than the 4095 KiB one import call may send; its batch was not sent, no key was imported\n');
    // Time enough for a slow machine; it ran until the minute's kill before.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('takes a file that starts with a byte order mark', async () => {
    const path = join(dir, 'bom.ndjson');
    writeFileSync(path, `\uFEFF${line({ name: 'after-bom', sha256: hashSecret('after-bom') })}\r\n`);
    const run = await d.run(['keys', 'import', path]);
    expect(run.code, run.stderr).toBe(0);
    expect(await names()).toContain('after-bom');
  });

  it('keeps the batches before a refused one, and says how many', async () => {
    // 10,000 keys a batch: line 10,003 is in the second batch, the first stays imported.
    const lines = Array.from({ length: 10_005 }, (_, i) => line({ name: `many-${i + 1}`, sha256: hashSecret(`many-${i + 1}`) }));
    lines[10_002] = line({ name: 'many-3', sha256: hashSecret('another') });
    const run = await d.run(['keys', 'import', file('many.ndjson', lines)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `keyward: line 10003: A key named "many-3" already exists (name_taken); nothing from lines 10001–10005 was imported, the 10,000 keys of the lines before it were imported and stay so; once it is fixed, go on with: tail -n +10001 ${join(dir, 'many.ndjson')} | keyward keys import -\n`,
    );
    const all = await names();
    expect(all).toContain('many-10000');
    expect(all).not.toContain('many-10001');
  });

  it('sends --batch keys a call: the batches before a refused one stay imported', async () => {
    const lines = Array.from({ length: 5 }, (_, i) => line({ name: `small-${i + 1}`, sha256: hashSecret(`small-${i + 1}`) }));
    lines[3] = line({ name: 'small-1', sha256: hashSecret('another small') });
    // A file name with a space and a quote is given back as one shell word.
    const path = file("small it's.ndjson", lines);
    const run = await d.run(['keys', 'import', '--batch', '2', path]);
    expect(run.code).toBe(1);
    const quotedPath = `'${path.replace("'", "'\\''")}'`;
    expect(run.stderr).toBe(
      `keyward: line 4: A key named "small-1" already exists (name_taken); nothing from lines 3–4 was imported, the 2 keys of the lines before it were imported and stay so; once it is fixed, go on with: tail -n +3 ${quotedPath} | keyward keys import -\n`,
    );
    const all = await names();
    expect(all).toEqual(expect.arrayContaining(['small-1', 'small-2']));
    expect(all).not.toContain('small-3');
    // Doing as it says, with line 4 fixed, imports the rest and nothing twice.
    lines[3] = line({ name: 'small-4', sha256: hashSecret('small-4') });
    file("small it's.ndjson", lines);
    const rest = execFileSync('sh', ['-c', `tail -n +3 ${quotedPath}`]).toString();
    const resumed = await d.run(['keys', 'import', '-'], { input: rest });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await names()).filter((n) => n.startsWith('small-')).sort()).toEqual(['small-1', 'small-2', 'small-3', 'small-4', 'small-5']);
    for (const bad of ['0', '10001', '2.5', 'many']) {
      const refusedRun = await d.run(['keys', 'import', '--batch', bad, file('small.ndjson', lines)]);
      expect(refusedRun.code, bad).toBe(2);
      expect(refusedRun.stderr).toBe(`keyward: --batch "${bad}" must be a whole number from 1 to 10,000\n`);
    }
  });

  it('says which batch is in doubt when the daemon stops answering during it, and what was imported before (exit 3)', async () => {
    // The first batch is stored; the daemon dies during the second.
    let batchesSeen = 0;
    const dying = await fakeDaemon((_method, path) => {
      if (path !== '/v1/keys/import') return { operator: { name: 'admin', role: 'admin' } };
      return ++batchesSeen === 1 ? { imported: 2 } : HANG_UP;
    });
    try {
      const lines = Array.from({ length: 5 }, (_, i) => line({ name: `doubt-${i + 1}`, sha256: hashSecret(`doubt-${i + 1}`) }));
      const run = await dying.run(['keys', 'import', '--batch', '2', file('doubt.ndjson', lines)]);
      expect(run.code).toBe(3);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(
        /^keyward: no answer from the daemon at http:\/\/127\.0\.0\.1:\d+ while it stored lines 3–4 \(socket hang up\); the 2 keys of the lines before it were imported and stay so; lines 3–4 may or may not have been: "keyward keys list" shows which, and importing again from line 3 is safe .*\n$/,
      );
      expect(batchesSeen).toBe(2);
    } finally {
      await dying.close();
    }
  });

  it('refuses a file that is not there, as a usage error', async () => {
    const run = await d.run(['keys', 'import', join(dir, 'missing.ndjson')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^keyward: cannot read .*missing\.ndjson: ENOENT\n$/);
  });
});
