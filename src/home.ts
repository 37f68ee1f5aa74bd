/**
 * The files keyward keeps in its home (DESIGN.md §3): where the home is, and reading and
 * writing them with owner-only modes. Shared by the daemon and its clients.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7420;

export function resolveHome(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag;
  if (env.KEYWARD_HOME) return env.KEYWARD_HOME;
  const data = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(data, 'keyward');
}

export function homeFiles(home: string) {
  return {
    db: join(home, 'keyward.db'),
    adminToken: join(home, 'admin.token'),
    daemonJson: join(home, 'daemon.json'),
    daemonLog: join(home, 'daemon.log'),
    /** What reached stderr or the console while the TUI was drawing (never the screen). */
    tuiLog: join(home, 'tui.log'),
    lock: join(home, 'daemon.lock'),
  };
}

/** Creates the home if needed and makes it owner-only. */
export function ensureHome(home: string): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  chmodSync(home, 0o700);
}

export function writePrivate(file: string, content: string, flag: 'w' | 'wx' = 'w'): void {
  writeFileSync(file, content, { mode: 0o600, flag });
  chmodSync(file, 0o600);
}

/** `instance` is the daemon's identity secret for this start (see identity.ts). */
export type DaemonInfo = { pid: number; url: string; startedAt: string; instance: string };

export function readDaemonInfo(home: string): DaemonInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(homeFiles(home).daemonJson, 'utf8')) as Partial<DaemonInfo>;
    if (typeof info.pid === 'number' && typeof info.url === 'string' && typeof info.startedAt === 'string' && typeof info.instance === 'string') {
      return info as DaemonInfo;
    }
  } catch {
    // absent or half-written: no daemon to report
  }
  // Without an instance no client could prove the daemon, so such a file names none.
  return undefined;
}

export function removeDaemonInfo(home: string): void {
  rmSync(homeFiles(home).daemonJson, { force: true });
}

export function readAdminToken(home: string): string | undefined {
  try {
    return readFileSync(homeFiles(home).adminToken, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
