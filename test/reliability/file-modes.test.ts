/**
 * File modes under a permissive umask: whatever the shell's umask, the home is 0700 and the
 * store, its WAL and shared-memory files, the admin token, the lock and daemon.json are 0600.
 * Checked for a home the daemon creates, one that exists with mode 0755, after a restart, and
 * for `startDaemon` in a process whose own umask is 000.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/main.js';
import { killLeftoverDaemons, startChildDaemon } from './helpers/child-daemon.js';

const root = mkdtempSync(join(tmpdir(), 'keyward-modes-'));
afterAll(() => {
  killLeftoverDaemons();
  rmSync(root, { recursive: true, force: true });
});

const PRIVATE_FILES = ['keyward.db', 'keyward.db-wal', 'keyward.db-shm', 'keyward.reserve', 'admin.token', 'daemon.json', 'daemon.lock'];

/** The mode of the home and of every file in it, by name. */
function modes(home: string): Record<string, string> {
  const out: Record<string, string> = { '(home)': (statSync(home).mode & 0o777).toString(8) };
  for (const f of readdirSync(home)) out[f] = (statSync(join(home, f)).mode & 0o777).toString(8);
  return out;
}

function expectPrivate(home: string): void {
  const found = modes(home);
  expect(Object.keys(found)).toEqual(expect.arrayContaining(PRIVATE_FILES));
  const loose = Object.entries(found).filter(([name, mode]) => mode !== (name === '(home)' ? '700' : '600'));
  expect(loose, `modes in ${home}`).toEqual([]);
}

describe('file modes under umask 000', () => {
  it('keeps a home the daemon creates private, also after a restart', async () => {
    const home = join(root, 'created', 'deeper', 'home');
    const daemon = await startChildDaemon(home, { umask: '000' });
    await daemon.client.createKey('modes');
    expectPrivate(home);
    await daemon.stop('SIGKILL');
    const again = await startChildDaemon(home, { umask: '000' });
    await again.client.createKey('modes-again');
    expectPrivate(home);
    await again.stop('SIGTERM');
  });

  it('tightens a home that exists with mode 0755 (others may read it, not write it)', async () => {
    const home = join(root, 'loose');
    mkdirSync(home, { mode: 0o755 });
    chmodSync(home, 0o755);
    const daemon = await startChildDaemon(home, { umask: '000' });
    expectPrivate(home);
    await daemon.stop('SIGTERM');
  });

  it('keeps files private when startDaemon runs in a process with umask 000', async () => {
    const home = join(root, 'in-process');
    const previous = process.umask(0);
    try {
      const daemon = await startDaemon({ home, port: 0, log: () => {} });
      expectPrivate(home);
      await daemon.close();
    } finally {
      process.umask(previous);
    }
  });
});
