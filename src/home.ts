/**
 * The files keyward keeps in its home (docs/design.md): where the home is and its files are,
 * and checking and reading them with owner-only modes, never through a link (`private-files.ts`
 * does the checks, and writes them). Shared by the daemon and its clients.
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { homeLockHolder, type LockHolder } from './home-lock.js';
import { checkOwnFile, checkPrivateDirectory, checkPrivateFile, readPrivate } from './private-files.js';

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
    /** Disk space held for the writes that take access away (daemon/db/sqlite/reserve-file.ts). */
    reserve: join(home, 'keyward.reserve'),
    adminToken: join(home, 'admin.token'),
    /** Seals the webhooks' signing secrets in the store (webhooks/sealer.ts). */
    webhookKey: join(home, 'webhook.key'),
    daemonJson: join(home, 'daemon.json'),
    daemonLog: join(home, 'daemon.log'),
    /** What reached stderr or the console while the TUI was drawing (never the screen). */
    tuiLog: join(home, 'tui.log'),
    lock: join(home, 'daemon.lock'),
    auditKey: join(home, 'audit.key'),
    auditCheckpoint: join(home, 'audit.checkpoint'),
    /** When the leases this home's daemon gave its replicas end (docs/replicas.md). */
    replicaLeases: join(home, 'replica-leases'),
  };
}

/**
 * Creates the home if needed and makes it owner-only, after refusing one that another user
 * could have prepared: a link, someone else's directory, one others may write, or a file in it
 * that is a link, someone else's, or has another name.
 */
export function ensureHome(home: string): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  checkPrivateDirectory(home);
  chmodSync(home, 0o700);
  const files = homeFiles(home);
  for (const file of [...Object.values(files), `${files.db}-wal`, `${files.db}-shm`]) checkPrivateFile(file);
}

/**
 * Refuses, before a client believes anything in it, a home that another user could have
 * prepared, as `ensureHome` does for the daemon: whoever writes daemon.json chooses where a
 * token goes and the instance that daemon proves, and whoever writes admin.token chooses the
 * operator. A home that does not exist yet holds nothing to believe. Files are only read here,
 * so a second name is no danger (and daemon.json has one for an instant as it is published).
 */
export function checkHomeToRead(home: string): void {
  try {
    checkPrivateDirectory(home);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const files = homeFiles(home);
  checkOwnFile(files.daemonJson);
  checkOwnFile(files.adminToken);
}

/** `instance` is the daemon's identity secret for this start (see identity.ts). */
export type DaemonInfo = { pid: number; url: string; startedAt: string; instance: string };

export function readDaemonInfo(home: string): DaemonInfo | undefined {
  try {
    const info = JSON.parse(readPrivate(homeFiles(home).daemonJson) ?? '') as Partial<DaemonInfo>;
    if (typeof info.pid === 'number' && typeof info.url === 'string' && typeof info.startedAt === 'string' && typeof info.instance === 'string') {
      return info as DaemonInfo;
    }
  } catch {
    // absent or half-written: no daemon to report
  }
  // Without an instance no client could prove the daemon, so such a file names none.
  return undefined;
}

/**
 * A daemon holding `home` that no client of this build can reach, and why: `foreign` when
 * daemon.json is there but not one this build reads (an older keyward's has no `instance`, so no
 * client of this build can prove that daemon); `starting` when there is none yet (a daemon writes
 * it once it listens, so one still opening its store, or stuck before listening, holds the lock
 * without it). Starting another would only fail on the lock.
 */
export type HomeHolder = LockHolder & { readonly why: 'foreign' | 'starting' };

/**
 * Who holds `home`, for a caller that found no daemon this build can talk to in daemon.json
 * (`readDaemonInfo` undefined); undefined when nothing holds the lock (a daemon.json left is
 * stale). Nothing in daemon.json is believed: the pid is the kernel's, when it names one.
 */
export function homeHolder(home: string): HomeHolder | undefined {
  const files = homeFiles(home);
  if (checkOwnFile(files.lock) === undefined) return undefined;
  const holder = homeLockHolder(files.lock);
  return holder && { ...holder, why: checkOwnFile(files.daemonJson) === undefined ? 'starting' : 'foreign' };
}

/** The one line for a home `homeHolder` found held. */
export function homeHolderMessage(home: string, holder: HomeHolder): string {
  const pid = holder.pid === undefined ? '' : ` (pid ${holder.pid})`;
  return holder.why === 'foreign'
    ? `a keyward daemon this version cannot talk to${pid} holds ${home}: its daemon.json is not one this version reads (an older keyward's?); stop that daemon before using this version`
    : `a keyward daemon${pid} holds ${home} but has not said where it listens yet (it may be starting); try again in a moment`;
}

export function removeDaemonInfo(home: string): void {
  rmSync(homeFiles(home).daemonJson, { force: true });
}

export function readAdminToken(home: string): string | undefined {
  try {
    return readPrivate(homeFiles(home).adminToken)?.trim() || undefined;
  } catch {
    return undefined;
  }
}
