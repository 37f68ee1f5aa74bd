/**
 * `keyward daemon stop`: the daemon holding the home stops as SIGTERM stops it (exit 0,
 * daemon.json removed) and the command returns once it has let go of the home; with no daemon
 * it says so and succeeds. The process signalled is the one the kernel says holds the home's
 * lock: a daemon.json left behind by a killed daemon, naming a pid that is now another
 * process's, gets that process no signal.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { homeFiles, readDaemonInfo } from '../../src/home.js';
import { writePrivate } from '../../src/private-files.js';
import { tempHome } from '../helpers/daemon.js';
import { startChildDaemon } from '../reliability/helpers/child-daemon.js';
import { keyward } from './harness.js';

vi.setConfig({ testTimeout: 60_000 });

const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function newHome(): string {
  const home = tempHome();
  homes.push(home);
  return home;
}

describe('keyward daemon stop', () => {
  it('stops the daemon holding the home as SIGTERM does, and returns once it has; then finds none', async () => {
    const home = newHome();
    const daemon = await startChildDaemon(home);
    const run = await keyward(['daemon', 'stop'], { env: { KEYWARD_HOME: home } });
    expect(run).toEqual({ code: 0, stdout: `stopped the daemon of ${home} (pid ${daemon.pid})\n`, stderr: '' });
    expect(await daemon.exited, 'a clean stop: usage flushed, store closed').toEqual({ code: 0, signal: null });
    expect(existsSync(homeFiles(home).daemonJson)).toBe(false);
    expect(await keyward(['daemon', 'stop'], { env: { KEYWARD_HOME: home } })).toEqual({ code: 0, stdout: `no daemon is running for ${home}\n`, stderr: '' });
    const nowhere = join(home, 'never-made');
    expect((await keyward(['daemon', 'stop'], { env: { KEYWARD_HOME: nowhere } })).stdout).toBe(`no daemon is running for ${nowhere}\n`);
  });

  it('refuses extra words as a usage error in one line, for `daemon` and `daemon stop` alike', async () => {
    const home = newHome();
    for (const argv of [['daemon', 'stop', 'now'], ['daemon', 'sotp']]) {
      const run = await keyward(argv, { env: { KEYWARD_HOME: home } });
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^keyward: too many arguments for '(stop|daemon)'\. Expected 0 arguments but got 1\.\n$/);
    }
  });

  it('signals no pid that daemon.json names when no process holds the home', async () => {
    const home = newHome();
    const daemon = await startChildDaemon(home);
    const info = readDaemonInfo(home)!;
    await daemon.stop('SIGKILL');
    // A killed daemon's daemon.json stays; its pid now this test's process, as a recycled pid could be anyone's.
    writePrivate(homeFiles(home).daemonJson, `${JSON.stringify({ ...info, pid: process.pid })}\n`);
    const run = await keyward(['daemon', 'stop'], { env: { KEYWARD_HOME: home } });
    expect(run).toEqual({ code: 0, stdout: `no daemon is running for ${home}\n`, stderr: '' });
  });
});
