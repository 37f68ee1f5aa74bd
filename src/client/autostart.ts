/**
 * Finding the daemon for a home, and starting one in the background when none is running:
 * `keyward daemon --home H --port P`, detached, its output appended to `daemon.log`, with no
 * token in its environment. The daemon daemon.json names must prove itself (identity.ts); when
 * something else answers there, nothing is started and nothing sent. A URL given by `--url` or
 * `KEYWARD_URL` names someone else's daemon, so its absence is reported instead.
 */
import { spawn } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import pRetry, { AbortError } from 'p-retry';
import { containsSecret } from '../secret-text.js';
import { DEFAULT_PORT, ensureHome, homeFiles, readDaemonInfo } from '../home.js';
import { openPrivateLog, UnsafePath } from '../private-files.js';
import { rootCause } from '../root-cause.js';
import { DaemonUnproven, KeywardClient } from './client.js';
import { clientOf, noDaemonMessage, resolveConnection, type ConnectionFlags, type Located } from './connection.js';

export type StartedDaemon = { readonly pid: number; readonly log: string };
export type Reached = { readonly client: KeywardClient; readonly connection: Located; readonly started: StartedDaemon | undefined };

export type AutostartOptions = {
  env?: NodeJS.ProcessEnv;
  /**
   * How to run keyward; by default this Node running the script this process was started as:
   * autostart runs in the CLI and in the TUI the CLI opens, whose script is keyward's.
   */
  command?: readonly string[];
  /** How long a new daemon may take to answer `/v1/health`. */
  timeoutMs?: number;
  /** Told before a daemon is started, so the user knows what the wait is for. */
  onStarting?: (home: string) => void;
};

/** The daemon could not be reached, proven or started; the message is one line for the user. */
export class DaemonNotReachable extends Error {
  override name = 'DaemonNotReachable';
}


/** Undefined when the daemon answers (and proves itself, if it must); else why not. */
async function silence(client: KeywardClient): Promise<string | undefined> {
  try {
    await client.health();
    return undefined;
  } catch (err) {
    if (err instanceof DaemonUnproven) throw new DaemonNotReachable(err.message);
    return rootCause(err);
  }
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

/**
 * The environment a daemon starts with: the user's, less every variable that carries an
 * operator token or key (`KEYWARD_TOKEN`, or any value shaped like one). A daemon needs none,
 * and a process's environment is readable by whoever can read its /proc entry.
 */
function daemonEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || name === 'KEYWARD_TOKEN' || containsSecret(value)) continue;
    out[name] = value;
  }
  return out;
}

/** `resolveConnection`, a home that cannot be believed reported as the daemon not reachable. */
function locate(flags: ConnectionFlags, env: NodeJS.ProcessEnv) {
  try {
    return resolveConnection(flags, env);
  } catch (err) {
    if (err instanceof UnsafePath) throw new DaemonNotReachable(`will not use this home: ${err.message}`);
    throw err;
  }
}

/** The daemon for `flags`, started first if the home has none running. */
export async function reachDaemon(flags: ConnectionFlags, options: AutostartOptions = {}): Promise<Reached> {
  const env = options.env ?? process.env;
  const found = locate(flags, env);
  if (found.url !== undefined) {
    const client = clientOf(found);
    if ((await silence(client)) === undefined) return { client, connection: found, started: undefined };
    if (found.urlSource !== 'daemon.json') {
      throw new DaemonNotReachable(`no keyward daemon answers at ${found.url} (from ${found.urlSource === 'flag' ? '--url' : 'KEYWARD_URL'})`);
    }
    // daemon.json names a daemon that no longer answers (it was killed): start another.
  } else if (found.holder) {
    // Another would only fail on the lock: the one holding it has to be stopped, or to finish
    // starting (a daemon this client starts is waited for in startDaemon, never seen here).
    throw new DaemonNotReachable(noDaemonMessage(found));
  }
  options.onStarting?.(flags.home);
  const started = await startDaemon(flags.home, env, options);
  const connection = locate(flags, env);
  if (connection.url === undefined) throw new DaemonNotReachable(`the daemon started for ${flags.home} (pid ${started.pid}) has gone again (log: ${started.log})`);
  return { client: clientOf(connection), connection, started };
}

async function startDaemon(home: string, env: NodeJS.ProcessEnv, options: AutostartOptions): Promise<StartedDaemon> {
  const [program, ...prefix] = options.command ?? [process.execPath, process.argv[1]!];
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
    env: daemonEnv(env),
  });
  closeSync(out);
  child.once('error', (err) => (exited = err.message));
  child.once('exit', (code, signal) => (exited ??= `exited with ${signal ?? `code ${code}`}`));
  child.unref();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pid = child.pid;
  try {
    await pRetry(
      async () => {
        if (exited !== undefined || pid === undefined) {
          throw new AbortError(new DaemonNotReachable(`could not start a daemon for ${home}: ${lastLine(log) ?? exited} (log: ${log})`));
        }
        // The new daemon writes daemon.json once it listens; whatever was there before is stale.
        const info = readDaemonInfo(home);
        if (info?.pid !== pid) throw new Error('it did not write daemon.json');
        // The daemon we started proves itself too: the port may have been taken meanwhile.
        try {
          const why = await silence(new KeywardClient({ url: info.url, identity: () => info.instance, timeoutMs: 1500 }));
          if (why !== undefined) throw new Error(why);
        } catch (err) {
          throw err instanceof DaemonNotReachable ? new AbortError(err) : err;
        }
      },
      { retries: Infinity, minTimeout: 50, factor: 1.5, maxTimeout: 500, maxRetryTime: timeoutMs },
    );
    return { pid: pid!, log };
  } catch (err) {
    // A daemon we cannot talk to is of no use to anyone; do not leave it running.
    if (exited === undefined) child.kill('SIGTERM');
    if (err instanceof DaemonNotReachable) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new DaemonNotReachable(`started a daemon for ${home} but it did not answer within ${Math.round(timeoutMs / 1000)}s (${why}; log: ${log})`);
  }
}
