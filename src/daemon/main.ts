/**
 * Starts a daemon for one home (docs/design.md): take the home lock, open and migrate the store,
 * load the indexes, create the first admin, listen, write `daemon.json`. `close()` stops
 * accepting, flushes usage, closes the store and removes `daemon.json`.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_HOST, DEFAULT_PORT, ensureHome, homeFiles, homeHolder, homeHolderMessage, readDaemonInfo, removeDaemonInfo, type DaemonInfo } from '../home.js';
import { newInstance } from '../identity.js';
import { createApp } from './app.js';
import { MAX_BODY_BYTES } from './limits.js';
import type { Clock } from './clock.js';
import { AuditTrail, type AuditFiles } from './audit/trail.js';
import { createCore, type Core } from './core.js';
import type { StreamLimits } from './events/streams.js';
import type { ReplicaOptions } from './replica/hub.js';
import { fastAckRoute } from './replica/routes.js';
import { MigrationHistoryError } from './db/migration-history.js';
import { openDatabase } from './db/sqlite/open.js';
import type { PgTimeouts } from './db/pg/open.js';
import { describeDatabase } from './db/pg/url.js';
import { ReserveFile } from './db/sqlite/reserve-file.js';
import { SqliteStore, type SqliteStoreOptions } from './db/sqlite/store.js';
import { KeywardError } from './errors.js';
import { fastRoutes, type FastRoutes } from './http/fast-routes.js';
import { hostnameOf, hostPolicy, isLoopback } from './http/host.js';
import { createHttpServer, HTTP_LIMITS, type HttpLimits, type HttpServerOptions } from './http/server.js';
import { lockHome } from '../home-lock.js';
import type { DispatchOptions } from './webhooks/dispatcher.js';
import { WebhookSealer } from './webhooks/sealer.js';
import { createPrivate, UnsafePath, writePrivate } from '../private-files.js';
import { failureText } from './db/storage-errors.js';
import type { Store } from './store.js';
import { fastVerifyRoute } from './verify/fast-path.js';
import { plural } from '../thousands.js';


/**
 * Webhooks whose signing secrets were sealed under another `webhook.key` (the home's was lost or
 * replaced, or they were added through a daemon of another home on a shared store): this daemon
 * delivers nothing to them, and their deliveries wait for a daemon that holds that key. Said once
 * at startup, since nothing else would say it until someone asks why no webhook arrives.
 */
async function warnOfForeignWebhooks(core: Core, log: (line: string) => void): Promise<void> {
  const foreign = (await core.webhooks.list()).filter((w) => !core.webhooks.canSign(w));
  if (foreign.length === 0) return;
  const one = foreign.length === 1;
  log(
    `${one ? '1 webhook was' : `${foreign.length} webhooks were`} added under another webhook.key than this home's (${foreign.map((w) => w.id).join(', ')}): ` +
      `this daemon cannot sign for ${one ? 'it' : 'them'} and delivers nothing to ${one ? 'it' : 'them'}; a daemon that holds that key does. ` +
      'With several daemons on one database, copy webhook.key from the daemon that added it into this home (docs/webhooks.md); ' +
      `with one daemon, put back the webhook.key ${one ? 'it was' : 'they were'} added under, or remove ${one ? 'it' : 'them'} and add ${one ? 'it' : 'them'} again`,
  );
}

export type DaemonOptions = {
  home: string;
  host?: string;
  port?: number;
  allowRemote?: boolean;
  migrationsFolder?: string;
  maxPageCount?: number;
  now?: () => number;
  /** Time and intervals for the services (createCore); the system clock by default. */
  clock?: Clock;
  log?: (line: string) => void;
  heartbeatMs?: number;
  /** How often counted usage is written to the store (FLUSH_INTERVAL_MS by default). */
  usageFlushMs?: number;
  /** Caps of the `/v1/events` streams (defaults in events/streams.ts). */
  streamLimits?: Partial<StreamLimits>;
  /** The home reserve file's size (`RESERVE_FILE_BYTES` by default); the test suite's hundreds of homes keep it small. */
  reserveFileBytes?: number;
  /** Leases and limits of the `/v1/replica` streams (defaults in replica/hub.ts). */
  replicas?: Partial<ReplicaOptions>;
  /** A `postgres://` URL: share the store with other daemons there instead of the home's SQLite file. */
  database?: string;
  /** How often a daemon on PostgreSQL reloads its indexes in full, in case it missed a change. */
  reconcileMs?: number;
  /** Timing of webhook deliveries (tests shorten it). */
  webhooks?: Partial<DispatchOptions>;
  /** How long a daemon on PostgreSQL waits for the server (to connect, for an answer) before answering 503. */
  pgTimeouts?: PgTimeouts;
  /** Host names served besides loopback ones (`--allow-host`); see the Host check in docs/api.md. */
  allowHosts?: string[];
  /** The HTTP server's time-outs and connection cap, when not the defaults (tests shorten them). */
  httpLimits?: Partial<HttpLimits>;
};

/** A daemon whose store, services and app are ready, before (or without) listening on a port. */
export type OpenDaemon = {
  home: string;
  core: Core;
  app: ReturnType<typeof createApp>;
  /** This start's identity secret: written to daemon.json, proven by `/v1/health`. */
  instance: string;
  /** Stops the services, flushes usage, closes the store and releases the home. */
  close(): Promise<void>;
};

export type RunningDaemon = OpenDaemon & {
  url: string;
  port: number;
  /** The fast routes in front of the app (their `answered` count tells tests which path answered). */
  fastRoutes: FastRoutes;
};

/** A refusal to start that the CLI prints as one line. */
export class StartupError extends Error {}

function defaultLog(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
}

/**
 * Everything a daemon does before it listens: take the home lock, open and migrate the store,
 * load the indexes, create the first admin, start the usage flush and the rotation scheduler,
 * and build the app. Tests drive the returned app in-process with `app.request()`.
 */
export async function openDaemon(options: DaemonOptions, hooks: { beforeRelease?: () => void } = {}): Promise<OpenDaemon> {
  const log = options.log ?? defaultLog;
  const hosts = hostPolicy(servedHosts(options));
  const files = homeFiles(options.home);
  try {
    ensureHome(options.home);
  } catch (err) {
    throw err instanceof UnsafePath ? new StartupError(`refusing to start: ${err.message}`) : err;
  }
  const lock = lockHome(files.lock);
  if (!lock) {
    const running = readDaemonInfo(options.home);
    const holder = running ? undefined : homeHolder(options.home);
    throw new StartupError(
      running
        ? `a daemon is already running for ${options.home} (pid ${running.pid}, ${running.url})`
        : holder
          ? homeHolderMessage(options.home, holder)
          : `another daemon is starting for ${options.home}`,
    );
  }
  // Holding the lock, no other daemon runs for this home: a daemon.json left by one that was
  // killed is stale, and clients must not take it for the daemon now holding the lock while
  // this one starts (an older keyward's would read as a daemon this version cannot talk to).
  removeDaemonInfo(options.home);
  let store: Store | undefined;
  // Set once filtered key lists fall back to the daemon's own connection (SQLite's read worker stopped).
  let listReadsOnLoop = false;
  const readsLost = (reason: string) => {
    listReadsOnLoop = true;
    log(`filtered key lists are read on the daemon's own connection from now on (their worker stopped: ${reason})`);
  };
  // PostgreSQL's disk is not the home's: a file here would hold nothing for it.
  const reserveFile = options.database ? undefined : new ReserveFile(files.reserve, log, options.reserveFileBytes);
  try {
    reserveFile?.releaseToStart();
    const audit = openAuditTrail(files, log);
    const writesLost = (reason: string) => log(`imports are written on the daemon's own connection from now on, holding everything else while they run (their worker stopped: ${reason})`);
    store = options.database ? await openSharedStore(options.database, options, audit, log) : openHomeStore(files.db, options, audit, { readsLost, writesLost, reserveFile });
    await audit.start(store);
    const core = await createCore(store, {
      clock: options.clock,
      now: options.now,
      log,
      audit,
      streams: { heartbeatMs: options.heartbeatMs, ...options.streamLimits },
      replicas: options.replicas,
      leaseHorizonFile: files.replicaLeases,
      sealer: WebhookSealer.forFile(files.webhookKey),
      webhooks: options.webhooks,
      listReadsOnLoop: () => listReadsOnLoop,
      reserveFileMissing: () => reserveFile?.placed === false,
    });
    const adminToken = await core.operators.bootstrap().catch((err: unknown) => {
      // Daemons starting together on an empty shared database: another one created admin first.
      if (store?.shared && err instanceof KeywardError && err.code === 'name_taken') return undefined;
      throw err;
    });
    if (adminToken) {
      writePrivate(files.adminToken, adminToken + '\n');
      log(`created operator "admin"; its token is in ${files.adminToken}`);
    }
    core.usage.start((err) => {
      // On a shared store the change feed has logged the outage once; a line a second adds nothing.
      if (store?.shared && !store.shared.live) return;
      log(`usage flush failed (will retry): ${failureText(err)}`);
    }, options.usageFlushMs);
    await core.alerts.start((err) => {
      if (store?.shared && !store.shared.live) return;
      log(`alert flush failed (will retry): ${failureText(err)}`);
    });
    await core.rotations.startScheduler();
    core.dispatcher.start();
    await warnOfForeignWebhooks(core, log);
    const instance = newInstance();
    const app = createApp(core, { instance, hosts });
    const opened = store;
    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        core.stopIndexLoad();
        core.rotations.stopScheduler();
        core.streams.close();
        core.replicas.close();
        await core.dispatcher.stop();
        try {
          await core.usage.stop();
        } catch (err) {
          log(`final usage flush failed: ${failureText(err)}`);
        }
        try {
          await core.alerts.stop();
        } catch (err) {
          log(`final alert flush failed: ${failureText(err)}`);
        }
        await audit.settled();
        await opened.close();
        // Whatever names this daemon goes before the lock: the next daemon may take it at once.
        hooks.beforeRelease?.();
        lock.release();
      })());
    return { home: options.home, core, app, instance, close };
  } catch (err) {
    await store?.close();
    lock.release();
    throw err;
  }
}

export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  const log = options.log ?? defaultLog;
  if (!isLoopback(host) && !options.allowRemote) {
    throw new StartupError(`refusing to listen on non-loopback host ${host}: operator tokens would cross the network; pass --allow-remote if you mean it`);
  }
  const opened = await openDaemon({ ...options, log }, { beforeRelease: () => removeDaemonInfo(options.home) });
  const { core, app } = opened;
  const fast = fastRoutes({
    operators: core.operators,
    routes: [fastVerifyRoute(core.verifier), fastAckRoute(core.replicas)],
    maxBodyBytes: MAX_BODY_BYTES,
    hosts: hostPolicy(servedHosts(options)),
  });
  let server: Server;
  try {
    server = await listen(app.fetch, host, port, { limits: { ...HTTP_LIMITS, ...options.httpLimits }, log, front: fast.listener });
  } catch (err) {
    await opened.close();
    throw err;
  }
  const actualPort = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  const info: DaemonInfo = { pid: process.pid, url, startedAt: new Date().toISOString(), instance: opened.instance };
  writePrivate(homeFiles(options.home).daemonJson, JSON.stringify(info) + '\n');
  const where = options.database ? `, store ${describeDatabase(options.database)}` : '';
  log(`keyward daemon listening on ${url} (home ${options.home}, ${plural(core.keyTotal, 'key')}${where})`);
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Event streams never end by themselves; end them so close() can finish.
        server.closeAllConnections();
      });
      await opened.close();
      log('keyward daemon stopped');
    })());
  return { ...opened, url, port: actualPort, fastRoutes: fast, close };
}

function openAuditTrail(files: AuditFiles, log: (line: string) => void): AuditTrail {
  try {
    return AuditTrail.open(files, log);
  } catch (err) {
    throw new StartupError(`cannot open the audit key: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function openHomeStore(file: string, options: DaemonOptions, audit: AuditTrail, storeOptions: SqliteStoreOptions): SqliteStore {
  // SQLite gives -wal and -shm the mode of the database file, so create it owner-only first.
  createPrivate(file);
  try {
    const { sqlite, db } = openDatabase(file, { migrationsFolder: options.migrationsFolder, maxPageCount: options.maxPageCount });
    return new SqliteStore(sqlite, db, audit, storeOptions);
  } catch (err) {
    throw err instanceof MigrationHistoryError ? new StartupError(`refusing to start: ${err.message}`) : err;
  }
}

async function openSharedStore(url: string, options: DaemonOptions, audit: AuditTrail, log: (line: string) => void): Promise<Store> {
  // Loaded here only: a daemon on SQLite never pays for loading the PostgreSQL driver.
  const [{ openPgStore }, { PgOpenError }] = await Promise.all([import('./db/pg/store.js'), import('./db/pg/open.js')]);
  try {
    return await openPgStore(url, { audit, log, reconcileMs: options.reconcileMs, timeouts: options.pgTimeouts });
  } catch (err) {
    throw err instanceof PgOpenError ? new StartupError(err.message) : err;
  }
}

/**
 * Names the Host check lets through besides loopback: `--allow-host`, and the address the
 * daemon listens on when that is a specific non-loopback one (`--allow-remote`), since remote
 * clients name it. A DNS-rebinding page always sends its own name, never one of these.
 */
function servedHosts(options: DaemonOptions): string[] {
  for (const name of options.allowHosts ?? []) {
    // A name with a port or scheme would never match a Host header: say so instead.
    if (hostnameOf(name) !== name.replace(/^\[|\]$/g, '').toLowerCase()) throw new StartupError(`--allow-host takes a host name or address without a port, not ${JSON.stringify(name)}`);
  }
  const listening = options.host && !['0.0.0.0', '::'].includes(options.host) ? [options.host] : [];
  return [...(options.allowHosts ?? []), ...listening];
}

function listen(fetch: (request: Request, env: unknown) => Response | Promise<Response>, hostname: string, port: number, options: Omit<HttpServerOptions, 'hostname'>): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createHttpServer(fetch, { hostname, ...options });
    server.listen(port, hostname, () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new StartupError(`port ${port} on ${hostname} is already in use (another program, or another keyward home)`) : err),
    );
  });
}
