/**
 * `keyward daemon stop`: stops the daemon that holds the home, as SIGTERM does (it flushes
 * usage, closes the store, removes daemon.json), and waits until it has let go of the home.
 * The process is the one the kernel says holds the home's lock (`homeLockHolder`), not a pid
 * read from daemon.json: a file can outlive its daemon, and its pid then be anyone's. Being
 * allowed to signal that process (the same user) is the authority; no token is asked.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { checkHomeToRead, homeHolder } from '../home.js';
import { refused } from './exit.js';

/** How long a daemon gets to flush its usage and close its store. */
const STOP_WAIT_MS = 15_000;
const POLL_MS = 100;

export type StopResult = { stopped: false } | { stopped: true; pid: number };

export async function stopDaemon(home: string): Promise<StopResult> {
  // As every command reads a home (one not made yet holds no daemon); the lock file is checked by homeHolder.
  checkHomeToRead(home);
  const holder = homeHolder(home);
  if (!holder) return { stopped: false };
  const { pid } = holder;
  if (pid === undefined) throw refused(`a daemon holds ${home}, but this system does not say which process; stop it with SIGTERM (keyward status names its pid)`);
  try {
    process.kill(pid, 'SIGTERM');
  } catch (err) {
    // Gone between the look and the signal: stopped all the same.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return { stopped: true, pid };
    throw refused(`cannot signal the daemon holding ${home} (pid ${pid}): ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  for (const deadline = Date.now() + STOP_WAIT_MS; Date.now() < deadline; await sleep(POLL_MS)) {
    if (!homeHolder(home)) return { stopped: true, pid };
  }
  throw refused(`sent SIGTERM to the daemon holding ${home} (pid ${pid}), which still holds it after ${STOP_WAIT_MS / 1000} s`);
}
