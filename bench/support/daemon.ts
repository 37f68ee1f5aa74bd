/**
 * The real daemon as users run it (`node dist/cli.js daemon`), on a temp home, in its own
 * process. `npm run bench` builds `dist/` first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KeywardClient } from '../../src/client/client.js';
import { readAdminToken } from '../../src/home.js';
import { startServer, type ServerProcess } from './server-process.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export type DaemonProcess = ServerProcess & {
  home: string;
  adminToken: string;
  admin: KeywardClient;
  /** From spawn to the key index holding every key (it loads in the background after healthy). */
  indexLoadedMs: number;
};

// A million-key home is ~400 MB: an interrupted benchmark must not leave its homes behind.
const homes = new Set<string>();
process.on('exit', () => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

export function benchHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'keyward-bench-'));
  homes.add(home);
  return home;
}

export function removeHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
  homes.delete(home);
}

/**
 * Starts a daemon on `home`; `nodeArgs` go before the script (e.g. `--cpu-prof`); `env` is its
 * environment (default: this process's), e.g. with `KEYWARD_DATABASE_URL` for a PostgreSQL store;
 * `timeoutMs`, how long it may take to be healthy.
 */
export async function startDaemonProcess(home: string, nodeArgs: readonly string[] = [], env?: NodeJS.ProcessEnv, timeoutMs?: number): Promise<DaemonProcess> {
  const server = await startServer({
    args: [...nodeArgs, CLI, 'daemon', '--home', home, '--port', '{port}'],
    healthPath: '/v1/health',
    env,
    timeoutMs,
  });
  const token = readAdminToken(home);
  if (!token) {
    await server.stop();
    throw new Error(`the daemon wrote no admin.token in ${home}`);
  }
  // The benchmarks measure the daemon as it runs for good: memory and load after the index is whole.
  const healthyAt = performance.now();
  // Its log says when; polling /metrics for it would slow the load it waits for.
  await server.logged(/key index loaded/);
  const indexLoadedMs = server.startupMs + performance.now() - healthyAt;
  return { ...server, home, adminToken: token, admin: new KeywardClient({ url: server.url, token }), indexLoadedMs };
}
