/** Issue 2: the daemon process — home files and modes, one daemon per home, loopback, startup and shutdown. */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { startDaemon, StartupError } from '../../src/daemon/main.js';
import { readDaemonInfo } from '../../src/home.js';
import { cleanEnv, COMPILED_DIR, KEYWARD, REPO } from '../helpers/cli.js';
import { startTestDaemon, tempHome, testBackend } from '../helpers/daemon.js';
import { parsePrometheusText, sampleValue } from '../helpers/prom-text.js';

const quiet = () => {};

// These look at the home's SQLite files and spawn a SQLite daemon: the PostgreSQL run has its own
// process tests in test/pg/.
describe.skipIf(testBackend === 'postgres')('daemon process', () => {
  it('keeps its files owner-only and describes itself in daemon.json', async () => {
    const t = await startTestDaemon();
    // A failed expectation must not leave the daemon running nor its home behind.
    onTestFinished(() => t.stop());
    expect(statSync(t.home).mode & 0o777).toBe(0o700);
    for (const f of ['keyward.db', 'keyward.db-wal', 'keyward.db-shm', 'admin.token', 'daemon.json']) {
      expect(statSync(join(t.home, f)).mode & 0o777, f).toBe(0o600);
    }
    expect(readDaemonInfo(t.home)).toMatchObject({ pid: process.pid, url: t.url });
    await t.daemon.close();
    expect(existsSync(join(t.home, 'daemon.json'))).toBe(false);
  });

  it('refuses a second daemon on the same home, naming the running pid', async () => {
    const t = await startTestDaemon();
    onTestFinished(() => t.stop());
    const second = startDaemon({ home: t.home, port: 0, log: quiet });
    await expect(second).rejects.toThrow(StartupError);
    await expect(second).rejects.toThrow(new RegExp(`already running .*pid ${process.pid}`));
    expect((await t.api('GET', '/v1/health')).status).toBe(200);
  });

  it('refuses a non-loopback host unless allowed', async () => {
    const home = tempHome();
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    await expect(startDaemon({ home, host: '0.0.0.0', port: 0, log: quiet })).rejects.toThrow(/--allow-remote/);
    const d = await startDaemon({ home, host: '0.0.0.0', port: 0, allowRemote: true, log: quiet });
    await d.close();
  });

  it('fails loudly when the migrations folder is missing', async () => {
    const home = tempHome();
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    const empty = mkdtempSync(join(tmpdir(), 'keyward-nomig-'));
    onTestFinished(() => rmSync(empty, { recursive: true, force: true }));
    const missing = join(empty, 'drizzle');
    await expect(startDaemon({ home, port: 0, migrationsFolder: missing, log: quiet })).rejects.toThrow(/migrations folder not found/);
    // The lock was released: a correct start works right after.
    const d = await startDaemon({ home, port: 0, log: quiet });
    await d.close();
  });

  it('says in one line that an installation without its package root is incomplete', () => {
    // The command line copied away from keyward's package (and so from drizzle/): the
    // migrations are looked for at the copy's root, and their absence is the usual one-line
    // refusal. One level down in a private directory, so that root is the test's own.
    const dir = mkdtempSync(join(tmpdir(), 'keyward-partial-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const copy = join(dir, 'dist');
    cpSync(join(COMPILED_DIR, 'cli.js'), join(copy, 'cli.js'));
    cpSync(join(COMPILED_DIR, 'chunks'), join(copy, 'chunks'), { recursive: true });
    symlinkSync(join(REPO, 'node_modules'), join(copy, 'node_modules'));
    const home = tempHome();
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    const run = spawnSync(process.execPath, [join(copy, 'cli.js'), 'daemon', '--home', home, '--port', '0'], { env: cleanEnv(), encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(1);
    const refusal = run.stderr.split('\n').filter((line) => line.startsWith('keyward: '));
    expect(refusal).toEqual([expect.stringMatching(/^keyward: migrations folder not found at .*: the installation is incomplete$/)]);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('stops gracefully on SIGTERM: flushes, removes daemon.json, exits 0', async () => {
    const home = tempHome();
    // Registered first, so it runs last (onTestFinished runs in reverse): after the kill below.
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    const [node, ...cli] = KEYWARD;
    const child = spawn(node, [...cli, 'daemon', '--home', home, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    // A failed expectation before the SIGTERM below must not leave the daemon running.
    onTestFinished(() => void child.kill('SIGKILL'));
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const info = await vi.waitFor(() => readDaemonInfo(home) ?? expect.fail(`no daemon.json yet:\n${stderr}`), { timeout: 15_000 });
    expect(info.pid).toBe(child.pid);
    const token = readFileSync(join(home, 'admin.token'), 'utf8').trim();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = (await (await fetch(`${info.url}/v1/keys`, { method: 'POST', headers, body: JSON.stringify({ name: 'before-stop' }) })).json()) as {
      key: { id: string };
      secret: string;
    };
    await fetch(`${info.url}/v1/verify`, { method: 'POST', headers, body: JSON.stringify({ key: created.secret }) });
    // The young generation stays at its first size (src/daemon/heap.ts): left to V8, loading the
    // daemon's modules alone grew it to 16.8 MB, resident for good.
    const metrics = parsePrometheusText(await (await fetch(`${info.url}/metrics`, { headers })).text());
    expect(sampleValue(metrics, 'nodejs_heap_space_size_total_bytes', { space: 'new' })).toBeLessThanOrEqual(8 * 1024 * 1024);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(join(home, 'daemon.json'))).toBe(false);
    expect(stderr).toContain('stopped');
    expect(stderr).not.toContain(created.secret);
    expect(stderr).not.toContain(token);
    // The verification made just before the signal was flushed.
    const again = await startTestDaemon({ home });
    onTestFinished(() => again.stop());
    expect((await again.client.getKey(created.key.id)).key.uses24h).toBe(1);
  });
});
