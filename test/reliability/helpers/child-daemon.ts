/**
 * A daemon in its own process (`keyward daemon`), for what an in-process daemon cannot show:
 * SIGKILL, the home lock between processes, file modes under the shell's umask, stderr as the
 * daemon log. It is ready once `daemon.json` names its pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { vi } from 'vitest';
import { KeywardClient } from '../../../src/client/client.js';
import { readAdminToken, readDaemonInfo } from '../../../src/home.js';
import { cleanEnv, KEYWARD, REPO } from '../../helpers/cli.js';

const READY_TIMEOUT_MS = 20_000;

/** Daemon processes not yet exited, so a failed test does not leave one holding its home. */
const alive = new Set<ChildProcess>();

/** SIGKILLs every daemon process this file started that is still running. */
export function killLeftoverDaemons(): void {
  for (const child of alive) child.kill('SIGKILL');
}

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export type ChildOptions = {
  /** Runs the daemon under `sh -c 'umask …; exec node …'`. */
  umask?: string;
  /** More `keyward daemon` arguments. */
  args?: readonly string[];
};

/** A `keyward daemon` process that has not necessarily started listening. */
export type DaemonProcess = {
  child: ChildProcess;
  pid: number;
  /** Everything the process wrote to stderr so far: the daemon's log. */
  stderr(): string;
  exited: Promise<Exit>;
};

export type ChildDaemon = DaemonProcess & {
  home: string;
  url: string;
  adminToken: string;
  client: KeywardClient;
  /** Sends `signal` and waits for the process to end. */
  stop(signal: NodeJS.Signals): Promise<Exit>;
};

export function spawnDaemonProcess(home: string, options: ChildOptions = {}): DaemonProcess {
  const [node, ...args] = [...KEYWARD, 'daemon', '--home', home, '--port', '0', ...(options.args ?? [])];
  const child = options.umask
    ? spawn('sh', ['-c', `umask ${options.umask}; exec "$0" "$@"`, node, ...args], { cwd: REPO, env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(node, args, { cwd: REPO, env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  alive.add(child);
  child.once('exit', () => alive.delete(child));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, pid: child.pid!, stderr: () => stderr, exited };
}

/** Starts a daemon for `home` and resolves once it listens, or rejects with its stderr. */
export async function startChildDaemon(home: string, options: ChildOptions = {}): Promise<ChildDaemon> {
  const proc = spawnDaemonProcess(home, options);
  let exit: Exit | undefined;
  void proc.exited.then((e) => (exit = e));
  try {
    const info = await vi.waitFor(
      () => {
        // An exit ends the wait at once: vi.waitFor gives up early on nothing but a timeout.
        if (exit) return { exit };
        const found = readDaemonInfo(home);
        if (found?.pid !== proc.pid) throw new Error(`daemon did not listen within ${READY_TIMEOUT_MS} ms:\n${proc.stderr()}`);
        return found;
      },
      { timeout: READY_TIMEOUT_MS, interval: 10 },
    );
    if ('exit' in info) throw new Error(`daemon exited (${info.exit.code ?? info.exit.signal}) before listening:\n${proc.stderr()}`);
    const adminToken = readAdminToken(home)!;
    const stop = async (signal: NodeJS.Signals) => {
      if (!exit) proc.child.kill(signal);
      return proc.exited;
    };
    return { ...proc, home, url: info.url, adminToken, client: new KeywardClient({ url: info.url, token: adminToken }), stop };
  } catch (err) {
    proc.child.kill('SIGKILL');
    throw err;
  }
}
