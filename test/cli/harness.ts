/**
 * The CLI as a user runs it: `keyward …` spawned as a process (the sources, compiled for the
 * run: test/helpers/cli.ts) against a daemon that is itself a spawned `keyward daemon` on a
 * temp home and a free port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { vi } from 'vitest';
import type { KeywardClient } from '../../src/client/client.js';
import { cleanEnv, KEYWARD, REPO } from '../helpers/cli.js';
import { tempHome } from '../helpers/daemon.js';
import { startChildDaemon } from '../reliability/helpers/child-daemon.js';

const [NODE, ...CLI] = KEYWARD;

export type CliRun = { code: number; stdout: string; stderr: string };
export type RunOptions = {
  input?: string;
  /**
   * A file to give the process as its stdin instead of `input`: a device such as /dev/zero is a
   * stream without end, so such a run is ended (SIGTERM) after a minute, whatever it does.
   */
  stdinFile?: string;
  env?: Record<string, string>;
  /** The working directory; the repository by default. */
  cwd?: string;
};

function collect(child: ChildProcess): Promise<CliRun> {
  if (!child.stdout || !child.stderr) throw new Error('a run is spawned with stdout and stderr piped');
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr }));
  });
}

/** `keyward ARGS` with stdin from `stdinFile` or `input` (empty when absent: never a terminal). */
export function keyward(args: readonly string[], options: RunOptions = {}): Promise<CliRun> {
  if (options.stdinFile !== undefined) {
    const fd = openSync(options.stdinFile, 'r');
    try {
      return collect(spawn(NODE, [...CLI, ...args], { cwd: options.cwd ?? REPO, env: cleanEnv(options.env), stdio: [fd, 'pipe', 'pipe'], timeout: 60_000 }));
    } finally {
      // The child holds its own copy of the descriptor.
      closeSync(fd);
    }
  }
  const child = spawn(NODE, [...CLI, ...args], { cwd: options.cwd ?? REPO, env: cleanEnv(options.env) });
  const done = collect(child);
  child.stdin.end(options.input ?? '');
  return done;
}

/**
 * `keyward ARGS` on a pseudo-terminal (util-linux `script`), answering `answer` once `prompt`
 * shows, as a person would. The output is the terminal's: stdout and stderr together.
 */
export async function keywardOnTerminal(args: readonly string[], prompt: string, answer: string, env: Record<string, string>): Promise<CliRun> {
  const command = [...KEYWARD, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['--echo', 'never', '-qec', command, '/dev/null'], { cwd: REPO, env: cleanEnv(env) });
  const done = collect(child);
  let seen = '';
  child.stdout.on('data', (d: Buffer) => (seen += d.toString()));
  await vi.waitFor(
    () => {
      if (!seen.includes(prompt) && child.exitCode === null) throw new Error(`no prompt ${JSON.stringify(prompt)} yet; the terminal shows:\n${seen}`);
    },
    { timeout: 20_000 },
  );
  // The program may have ended without reading its answer (a refusal before the question):
  // the answer then has nowhere to go, which is not the test's failure.
  child.stdin.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  child.stdin.end(answer);
  return done;
}

export type DaemonProcess = {
  home: string;
  url: string;
  pid: number;
  adminToken: string;
  /** An admin client, for setting up and checking state without spawning the CLI. */
  client: KeywardClient;
  /** `keyward ARGS` with this daemon's home in KEYWARD_HOME. */
  run(args: readonly string[], options?: RunOptions): Promise<CliRun>;
  stop(): Promise<void>;
};

export async function startDaemonProcess(): Promise<DaemonProcess> {
  const home = tempHome();
  const daemon = await startChildDaemon(home).catch((err: unknown) => {
    // The caller gets no stop() to remove this home with: it goes here.
    rmSync(home, { recursive: true, force: true });
    throw err;
  });
  return {
    home,
    url: daemon.url,
    pid: daemon.pid,
    adminToken: daemon.adminToken,
    client: daemon.client,
    run: (args, options = {}) => keyward(args, { ...options, env: { KEYWARD_HOME: home, ...options.env } }),
    async stop() {
      await daemon.stop('SIGTERM');
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** stdout of a successful `--json` run, parsed. */
export function json<T>(run: CliRun): T {
  if (run.code !== 0) throw new Error(`exit ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}
