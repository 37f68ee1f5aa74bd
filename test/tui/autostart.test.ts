/**
 * Starting the TUI's daemon (src/client/autostart.ts): a real `keyward daemon` child in the
 * background on a temp home, found again next time, and one clear line when it cannot be.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DaemonNotReachable, reachDaemon } from '../../src/client/autostart.js';
import { KEYWARD } from '../helpers/cli.js';
import { freePort, isAlive, tempHome } from '../helpers/daemon.js';

const command = KEYWARD;
const homes: string[] = [];
const children: number[] = [];

async function listening(): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function home(): string {
  const dir = tempHome();
  homes.push(dir);
  return dir;
}

function envWith(port: number): NodeJS.ProcessEnv {
  return { ...process.env, KEYWARD_PORT: String(port), KEYWARD_URL: '', KEYWARD_TOKEN: '' };
}

afterEach(async () => {
  for (const pid of children.splice(0)) {
    if (isAlive(pid)) process.kill(pid, 'SIGTERM');
    await vi.waitFor(() => expect(isAlive(pid), `daemon ${pid} still running after SIGTERM`).toBe(false), { timeout: 10_000 });
  }
  for (const dir of homes.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('reaching the daemon', () => {
  it('starts one in the background when none answers, logs to daemon.log, and finds it next time', async () => {
    const dir = home();
    const port = await freePort();
    const env = envWith(port);
    const starting: string[] = [];
    const reached = await reachDaemon({ home: dir }, { env, command, timeoutMs: 30_000, onStarting: (h) => starting.push(h) });
    expect(reached.started, 'it says it started one').toBeDefined();
    children.push(reached.started!.pid);
    expect(starting).toEqual([dir]);
    expect(reached.connection.url).toBe(`http://127.0.0.1:${port}`);
    expect((await reached.client.me()).operator.name, 'with the new home\'s admin token').toBe('admin');
    expect(readFileSync(join(dir, 'daemon.log'), 'utf8')).toContain(`listening on http://127.0.0.1:${port}`);

    const again = await reachDaemon({ home: dir }, { env, command });
    expect(again.started, 'the running daemon is used').toBeUndefined();
    expect(again.connection.urlSource).toBe('daemon.json');
  });

  it('does not start anything for a --url that does not answer', async () => {
    const dir = home();
    const url = `http://127.0.0.1:${await freePort()}`;
    const attempt = reachDaemon({ home: dir, url }, { env: envWith(await freePort()), command });
    await expect(attempt).rejects.toBeInstanceOf(DaemonNotReachable);
    await expect(attempt).rejects.toThrow(`no keyward daemon answers at ${url} (from --url)`);
    expect(existsSync(join(dir, 'daemon.log')), 'no daemon was started').toBe(false);
  });

  it('says in one line why a daemon could not start', async () => {
    const dir = home();
    const taken = await listening();
    try {
      const { port } = taken.address() as AddressInfo;
      const attempt = reachDaemon({ home: dir }, { env: envWith(port), command, timeoutMs: 30_000 });
      await expect(attempt).rejects.toThrow(new RegExp(`could not start a daemon for .*: port ${port} on 127.0.0.1 is already in use.*\\(log: .*daemon\\.log\\)$`));
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
