/**
 * A home whose lock a real daemon process holds while daemon.json names no daemon this version
 * can talk to: rewritten as an older keyward writes it (no `instance` to prove), or removed, as
 * between a daemon taking the lock and listening (still starting, or stuck before it listens).
 * A command, `status`, the TUI on a terminal and a new daemon each say in one line what holds
 * the home, naming the pid the kernel gives, and the TUI starts no daemon of its own; once
 * nothing holds the lock, an older daemon.json is only a stale file and no daemon is running.
 */
import { existsSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StatusReport } from '../../src/cli/status-command.js';
import { homeFiles, removeDaemonInfo } from '../../src/home.js';
import { writePrivate } from '../../src/private-files.js';
import { tempHome } from '../helpers/daemon.js';
import { startChildDaemon, type ChildDaemon } from '../reliability/helpers/child-daemon.js';
import { keyward, keywardOnTerminal } from './harness.js';

// Each run is a process of its own; on a busy machine a few of them outlast the default.
vi.setConfig({ testTimeout: 90_000 });

/** daemon.json as keyward wrote it before daemons proved themselves: no `instance`. */
function writeOlderDaemonJson(home: string, daemon: ChildDaemon): void {
  writePrivate(homeFiles(home).daemonJson, `${JSON.stringify({ pid: daemon.pid, url: daemon.url, startedAt: new Date().toISOString() })}\n`);
}

const HOLDERS = [
  {
    holder: 'a daemon this version cannot talk to',
    prepare: writeOlderDaemonJson,
    said: (pid: string, home: string) =>
      `a keyward daemon this version cannot talk to${pid} holds ${home}: its daemon.json is not one this version reads (an older keyward's?); stop that daemon before using this version`,
    status: /^daemon\s+held by a daemon this version cannot talk to \(an older keyward\?\)$/m,
    json: { foreign: true, starting: false },
  },
  {
    holder: 'a daemon that has not written daemon.json yet',
    prepare: (home: string) => removeDaemonInfo(home),
    said: (pid: string, home: string) => `a keyward daemon${pid} holds ${home} but has not said where it listens yet (it may be starting); try again in a moment`,
    status: /^daemon\s+held by a daemon that has not said where it listens yet \(starting\?\)$/m,
    json: { foreign: false, starting: true },
  },
];

describe.each(HOLDERS)('$holder holds the home', ({ prepare, said, status, json }) => {
  let home: string;
  let daemon: ChildDaemon;

  /** The line, with the pid where the kernel names lock holders (Linux). */
  const heldLine = () => `keyward: ${said(process.platform === 'linux' ? ` (pid ${daemon.pid})` : '', home)}`;

  beforeAll(async () => {
    home = tempHome();
    daemon = await startChildDaemon(home);
    prepare(home, daemon);
  });
  afterAll(async () => {
    // No daemon when its start failed (the helper killed it then): the home goes all the same.
    await daemon?.stop('SIGTERM');
    rmSync(home, { recursive: true, force: true });
  });

  it('a command says so in one line and exits 3', async () => {
    const run = await keyward(['keys', 'list'], { env: { KEYWARD_HOME: home } });
    expect(run).toEqual({ code: 3, stdout: '', stderr: `${heldLine()}\n` });
  });

  it('status reports the home held, not a daemon that is not running', async () => {
    const [human, machine] = await Promise.all([keyward(['status'], { env: { KEYWARD_HOME: home } }), keyward(['status', '--json'], { env: { KEYWARD_HOME: home } })]);
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(status);
    expect(human.stderr).toBe(`${heldLine()}\n`);
    expect(JSON.parse(machine.stdout) as StatusReport).toMatchObject({ reachable: false, url: null, urlSource: 'none', ...json });
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
});

describe('an older daemon.json once nothing holds the lock', () => {
  it('is a stale file: no daemon is running', async () => {
    const home = tempHome();
    try {
      const daemon = await startChildDaemon(home);
      await daemon.stop('SIGTERM');
      writeOlderDaemonJson(home, daemon);
      const run = await keyward(['keys', 'list'], { env: { KEYWARD_HOME: home } });
      expect(run).toEqual({ code: 3, stdout: '', stderr: `keyward: no daemon is running for ${home}; start one with "keyward daemon" (or pass --url)\n` });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
