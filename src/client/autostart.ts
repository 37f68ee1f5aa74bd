/**
 * Finding the daemon for a home, and starting one in the background when none answers
 * (DESIGN.md §3): `keyward daemon --home H --port P`, detached, its output appended to
 * `daemon.log`. Only a daemon the home's own lookup points at is started; a URL given by
 * `--url` or `KEYWARD_URL` names someone else's daemon, so its absence is reported instead.
 */
import { spawn } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PORT, ensureHome, homeFiles, readDaemonInfo } from '../home.js';
import { openPrivateLog, UnsafePath } from '../private-files.js';
import { KeywardClient } from './client.js';
import { resolveConnection, type Connection, type ConnectionFlags } from './connection.js';

export type StartedDaemon = { readonly pid: number; readonly log: string };
export type Reached = { readonly client: KeywardClient; readonly connection: Connection; readonly started: StartedDaemon | undefined };

export type AutostartOptions = {
  env?: NodeJS.ProcessEnv;
  /** How to run keyward; by default this Node running `dist/cli.js`. */
  command?: readonly string[];
  /** How long a new daemon may take to answer `/v1/health`. */
  timeoutMs?: number;
  /** Told before a daemon is started, so the user knows what the wait is for. */
  onStarting?: (home: string) => void;
};

/** The daemon could not be reached or started; the message is one line for the user. */
export class DaemonNotReachable extends Error {
  override name = 'DaemonNotReachable';
}

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const POLL_MS = 100;

/** Undefined when a daemon answers at `url`, else why not. */
async function silence(url: string): Promise<string | undefined> {
  try {
    await new KeywardClient({ url, timeoutMs: 1500 }).health();
    return undefined;
  } catch (err) {
    return rootCause(err);
  }
}

/** The innermost message: fetch's own ("fetch failed") says less than its cause ("connect ECONNREFUSED"). */
function rootCause(err: unknown): string {
  let inner = err;
  while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
  return inner instanceof Error ? inner.message : String(inner);
}

function lastLine(file: string): string | undefined {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    return lines[lines.length - 1]?.replace(/^keyward: /, '') || undefined;
  } catch {
    return undefined;
  }
}

function portFrom(env: NodeJS.ProcessEnv): string {
  return env.KEYWARD_PORT || String(DEFAULT_PORT);
}

/** The daemon for `flags`, started first if the home has none running. */
export async function reachDaemon(flags: ConnectionFlags, options: AutostartOptions = {}): Promise<Reached> {
  const env = options.env ?? process.env;
  const found = resolveConnection(flags, env);
  const client = (c: Connection) => new KeywardClient({ url: c.url, token: c.token });
  if ((await silence(found.url)) === undefined) return { client: client(found), connection: found, started: undefined };
  if (found.urlSource === 'flag' || found.urlSource === 'env') {
    throw new DaemonNotReachable(`no keyward daemon answers at ${found.url} (from ${found.urlSource === 'flag' ? '--url' : 'KEYWARD_URL'})`);
  }
  options.onStarting?.(flags.home);
  const started = await startDaemon(flags.home, env, options);
  const connection = resolveConnection(flags, env);
  return { client: client(connection), connection, started };
}

async function startDaemon(home: string, env: NodeJS.ProcessEnv, options: AutostartOptions): Promise<StartedDaemon> {
  const [program, ...prefix] = options.command ?? [process.execPath, CLI];
  const log = homeFiles(home).daemonLog;
  let out: number;
  try {
    ensureHome(home);
    out = openPrivateLog(log);
  } catch (err) {
    if (err instanceof UnsafePath) throw new DaemonNotReachable(`will not start a daemon for ${home}: ${err.message}`);
    throw err;
  }
  let exited: string | undefined;
  const child = spawn(program!, [...prefix, 'daemon', '--home', home, '--port', portFrom(env)], {
    detached: true,
    stdio: ['ignore', out, out],
    env,
  });
  closeSync(out);
  child.once('error', (err) => (exited = err.message));
  child.once('exit', (code, signal) => (exited ??= `exited with ${signal ?? `code ${code}`}`));
  child.unref();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  let why: string | undefined = 'it did not write daemon.json';
  while (Date.now() < deadline) {
    // The new daemon writes daemon.json once it listens; whatever was there before is stale.
    const info = readDaemonInfo(home);
    if (info && info.pid === child.pid) {
      why = await silence(info.url);
      if (why === undefined) return { pid: child.pid, log };
    }
    if (exited !== undefined) {
      throw new DaemonNotReachable(`could not start a daemon for ${home}: ${lastLine(log) ?? exited} (log: ${log})`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  // A daemon we cannot talk to is of no use to anyone; do not leave it running.
  if (exited === undefined) child.kill('SIGTERM');
  throw new DaemonNotReachable(`started a daemon for ${home} but it did not answer within ${Math.round(timeoutMs / 1000)}s (${why}; log: ${log})`);
}
