/**
 * Starts a real daemon on a temp home and a free loopback port, for tests that go through
 * HTTP. Log lines are kept so tests can check nothing secret reached them. With
 * `KEYWARD_TEST_BACKEND=postgres` (the vitest project `daemon-postgres` sets it) each daemon
 * gets a fresh PostgreSQL database instead of the home's SQLite file.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KeywardClient,
  type AuditEventJson,
  type KeyJson,
  type MeJson,
  type OperatorJson,
  type RotationJson,
  type UsageJson,
} from '../../src/client/client.js';
import type { ErrorBody } from '../../src/daemon/errors.js';
import { readAdminToken } from '../../src/home.js';
import { openDaemon, startDaemon, type DaemonOptions, type OpenDaemon, type RunningDaemon } from '../../src/daemon/main.js';
import { createTestDatabase, type TestDatabase } from '../pg/database.js';

/** The store the daemons of this run use; tests of the SQLite file itself skip on `postgres`. */
export const testBackend: 'sqlite' | 'postgres' = process.env.KEYWARD_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';

/**
 * Every field any response may carry, so a test reads `body.key.id` directly; which fields a
 * given response really has is what the test asserts.
 */
export type ApiBody = { error: Required<ErrorBody['error']> } &
  UsageJson &
  MeJson & {
    key: KeyJson;
    keys: KeyJson[];
    nextCursor: string | null;
    prevCursor: string | null;
    counts?: { total: number; active: number; inactive: number };
    secret: string;
    rotation: RotationJson;
    rotations: RotationJson[];
    operators: OperatorJson[];
    token: string;
    events: AuditEventJson[];
    valid: boolean;
    code: string;
    keyId: string;
    name: string;
    status: string;
    version: string;
    message: string;
    paths: Record<string, Record<string, unknown>>;
  };

export type TestDaemon<D extends OpenDaemon = RunningDaemon> = {
  home: string;
  daemon: D;
  url: string;
  adminToken: string;
  client: KeywardClient;
  logs: string[];
  /** `fetch` to this daemon: real HTTP when it listens, `app.request()` in-process. */
  fetch: typeof fetch;
  /** A raw request; `token` null sends none. */
  api(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; body: ApiBody }>;
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** On the `postgres` backend: the daemon's database, to read or change rows around it. */
  database?: TestDatabase;
};

export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'keyward-test-'));
}

/** A loopback port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether a process with this pid runs (a daemon a test started in the background). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The URL in-process requests are addressed to: a loopback name, as a local client would use. */
/** A daemon driven in-process. */
export type TestApp = TestDaemon<OpenDaemon>;

export const IN_PROCESS_URL = 'http://127.0.0.1:7420';

/**
 * A real daemon listening on a free loopback port: for what needs a process boundary or a
 * socket (the CLI, the TUI's autostart, event streams over a network, crashes).
 */
export function startTestDaemon(options: Partial<DaemonOptions> = {}): Promise<TestDaemon> {
  return startTest(options, startDaemon);
}

/**
 * The same daemon without a socket: its app answers `app.request()` in-process (as Hono's own
 * tests do), against a real SQLite file in a temp home (or a fresh PostgreSQL database). The
 * fast tier for route suites; `t.url` is a loopback URL only as far as the app can tell.
 */
export function startTestApp(options: Partial<DaemonOptions> = {}): Promise<TestDaemon<OpenDaemon>> {
  return startTest(options, openDaemon);
}

async function startTest<D extends OpenDaemon>(options: Partial<DaemonOptions>, open: (options: DaemonOptions) => Promise<D>): Promise<TestDaemon<D>> {
  const home = options.home ?? tempHome();
  const logs: string[] = [];
  const database: TestDatabase | undefined = testBackend === 'postgres' && !options.database ? await createTestDatabase(undefined, { migrated: true }) : undefined;
  // The reserve file small: 8 MiB of zeros written in each of the suite's hundreds of homes was
  // gigabytes for the disk to take; test/reliability/reserve-file.test.ts asks for the real size.
  const start = () => open({ port: 0, database: database?.url, reserveFileBytes: 64 * 1024, ...options, home, log: (line) => logs.push(line) });
  const t = {} as TestDaemon<D>;
  const attach = (daemon: D) => {
    t.daemon = daemon;
    t.url = 'url' in daemon && typeof daemon.url === 'string' ? daemon.url : IN_PROCESS_URL;
    t.adminToken = readAdminToken(home)!;
    t.client = new KeywardClient({ url: t.url, token: t.adminToken, fetch: send });
  };
  // Listening daemons get real HTTP; in-process ones get the app's own request(), with the
  // Content-Length a real client would send (the body limit and the fast path read it). Each
  // in-process request first waits a turn of the event loop, as one over a socket does: a test
  // that loops on requests would otherwise run in microtasks alone and starve every timer,
  // vitest's timeouts and vi.waitFor included.
  const send: typeof fetch = async (input, init) => {
    if ('url' in t.daemon) return fetch(input, init);
    await new Promise(setImmediate);
    const { url, method, headers, body } = await plainRequest(input, init);
    if (body && !headers.has('content-length') && !headers.has('transfer-encoding')) headers.set('content-length', String(body.byteLength));
    return t.daemon.app.request(url, { method, headers, body, signal: init?.signal ?? undefined });
  };
  try {
    attach(await start());
  } catch (err) {
    // A start a test makes fail leaves its audit key, lock and store behind: the home is ours to remove.
    if (!options.home) rmSync(home, { recursive: true, force: true });
    await database?.drop();
    throw err;
  }
  Object.assign(t, {
    home,
    logs,
    fetch: send,
    database,
    async api(method: string, path: string, body?: unknown, token?: string | null) {
      const headers: Record<string, string> = {};
      const bearer = token === undefined ? t.adminToken : token;
      if (bearer) headers.authorization = `Bearer ${bearer}`;
      let payload: string | undefined;
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        payload = typeof body === 'string' ? body : JSON.stringify(body);
      }
      const res = await send(t.url + path, { method, headers, body: payload });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // keep the raw text: a test will say what it expected
      }
      return { status: res.status, body: parsed as ApiBody };
    },
    async restart() {
      await t.daemon.close();
      attach(await start());
    },
    async stop() {
      await t.daemon.close();
      rmSync(home, { recursive: true, force: true });
      await database?.drop();
    },
  });
  return t;
}

/**
 * A fetch's request as bytes, as `new Request(input, init)` would send it. The usual one (a URL
 * and a string body or none) is read as it stands: a `Request` more, with its body stream, was
 * a third of what an in-process request cost the suite (a body-less `Request` still reads
 * `init.headers` as fetch does).
 */
async function plainRequest(input: string | URL | Request, init: RequestInit | undefined): Promise<{ url: string; method: string; headers: Headers; body: Uint8Array | undefined }> {
  if (typeof input === 'string' && (init?.body === undefined || init.body === null || typeof init.body === 'string')) {
    const headers = new Headers(init?.headers);
    const body = typeof init?.body === 'string' ? new TextEncoder().encode(init.body) : undefined;
    // What fetch gives a string sent without a type of its own.
    if (body && !headers.has('content-type')) headers.set('content-type', 'text/plain;charset=UTF-8');
    return { url: new URL(input).href, method: normalizedMethod(init?.method ?? 'GET'), headers, body };
  }
  const request = new Request(input, init);
  return { url: request.url, method: request.method, headers: new Headers(request.headers), body: request.body ? new Uint8Array(await request.arrayBuffer()) : undefined };
}

/** Fetch upper-cases these six methods and sends any other as written. */
const NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
const normalizedMethod = (method: string) => (NORMALIZED_METHODS.has(method.toUpperCase()) ? method.toUpperCase() : method);

/**
 * Runs SQL on the daemon's store behind its back, on either backend: the SQLite file through a
 * second connection, or the PostgreSQL database. Placeholders are written `?`.
 */
export async function storeQuery<R>(t: TestDaemon<OpenDaemon>, text: string, values: unknown[] = []): Promise<R[]> {
  if (t.database) {
    let n = 0;
    return t.database.query(text.replace(/\?/g, () => `$${++n}`), values) as Promise<R[]>;
  }
  const db = new Database(join(t.home, 'keyward.db'));
  try {
    const statement = db.prepare(text);
    if (statement.reader) return statement.all(...values) as R[];
    statement.run(...values);
    return [];
  } finally {
    db.close();
  }
}

/**
 * Everything the store holds, as text to search for secrets: on SQLite the raw bytes of the
 * database and its WAL (so even freed pages count), on PostgreSQL every row of every table.
 */
export async function storeText(t: TestDaemon<OpenDaemon>): Promise<string[]> {
  if (t.database) {
    const tables = await t.database.query<{ tablename: string }>("select tablename from pg_tables where schemaname = 'public'");
    return Promise.all(tables.map(async ({ tablename }) => JSON.stringify(await t.database!.query(`select * from "${tablename}"`))));
  }
  return readdirSync(t.home)
    .filter((f) => f.startsWith('keyward.db'))
    .map((f) => readFileSync(join(t.home, f)).toString('latin1'));
}
