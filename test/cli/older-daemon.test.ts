/**
 * Beside a daemon of an older keyward, whose daemon.json has no `instance` for this version to
 * prove: a real daemon process holds the home's lock, its daemon.json rewritten as an older
 * keyward writes it. A command, `status`, the TUI on a terminal and a new daemon each say in
 * one line what holds the home, naming the pid the kernel gives; once nothing holds the lock,
 * the same file is only a stale one and no daemon is running.
 */
import { existsSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StatusReport } from '../../src/cli/status-command.js';
import { homeFiles } from '../../src/home.js';
import { writePrivate } from '../../src/private-files.js';
import { tempHome } from '../helpers/daemon.js';
import { startChildDaemon, type ChildDaemon } from '../reliability/helpers/child-daemon.js';
import { keyward, keywardOnTerminal } from './harness.js';

// Each run is a process of its own; on a busy machine a few of them outlast the default.
vi.setConfig({ testTimeout: 90_000 });

let home: string;
let daemon: ChildDaemon;

/** daemon.json as keyward wrote it before daemons proved themselves: no `instance`. */
function writeOlderDaemonJson(): void {
  writePrivate(homeFiles(home).daemonJson, `${JSON.stringify({ pid: daemon.pid, url: daemon.url, startedAt: new Date().toISOString() })}\n`);
}

/** The line, with the pid where the kernel names lock holders (Linux). */
function heldLine(): string {
  const pid = process.platform === 'linux' ? ` (pid ${daemon.pid})` : '';
  return `keyward: a keyward daemon this version cannot talk to${pid} holds ${home}: its daemon.json is not one this version reads (an older keyward's?); stop that daemon before using this version`;
}

beforeAll(async () => {
  home = tempHome();
  daemon = await startChildDaemon(home);
  writeOlderDaemonJson();
});
afterAll(async () => {
  await daemon.stop('SIGTERM');
  rmSync(home, { recursive: true, force: true });
});

describe('a daemon this version cannot talk to holds the home', () => {
  it('a command says so in one line and exits 3', async () => {
    const run = await keyward(['keys', 'list'], { env: { KEYWARD_HOME: home } });
    expect(run).toEqual({ code: 3, stdout: '', stderr: `${heldLine()}\n` });
  });

  it('status reports the home held, not a daemon that is not running', async () => {
    const [human, machine] = await Promise.all([keyward(['status'], { env: { KEYWARD_HOME: home } }), keyward(['status', '--json'], { env: { KEYWARD_HOME: home } })]);
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(/^daemon\s+held by a daemon this version cannot talk to \(an older keyward\?\)$/m);
    expect(human.stderr).toBe(`${heldLine()}\n`);
    expect(JSON.parse(machine.stdout) as StatusReport).toMatchObject({ reachable: false, url: null, urlSource: 'none', foreign: true });
  });

  it('the TUI says so on a terminal and starts no daemon of its own', async () => {
    const run = await keywardOnTerminal([], 'keyward:', '', { KEYWARD_HOME: home });
    expect(run.code).toBe(3);
    expect(run.stdout.trim()).toBe(heldLine());
    expect(existsSync(homeFiles(home).daemonLog), 'nothing was started in the background').toBe(false);
  });

  it('a new daemon refuses to start, saying the same', async () => {
    const run = await keyward(['daemon', '--port', '0'], { env: { KEYWARD_HOME: home } });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`${heldLine()}\n`);
  });

  it('once nothing holds the lock, the file is stale: no daemon is running', async () => {
    await daemon.stop('SIGTERM');
    writeOlderDaemonJson();
    const run = await keyward(['keys', 'list'], { env: { KEYWARD_HOME: home } });
    expect(run).toEqual({ code: 3, stdout: '', stderr: `keyward: no daemon is running for ${home}; start one with "keyward daemon" (or pass --url)\n` });
  });
});
