/**
 * A service protected by `keyward/hono` in a process of its own — the compiled sources, as a
 * service would run the package — for what a replica in the test's own process cannot show:
 * SIGSTOP, a daemon that dies under it, usage sent at a clean stop. `GET /api/check` is
 * protected (its `X-Caller` header is the caller label); `GET /state` answers the verifier's
 * state. SIGTERM closes the verifier (which sends its usage) and exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { pathToFileURL } from 'node:url';
import { vi } from 'vitest';
import { cleanEnv, COMPILED_DIR, REPO } from './cli.js';

const SCRIPT = `
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { keyward } from ${JSON.stringify(pathToFileURL(`${COMPILED_DIR}integration/hono.js`).href)};
const options = JSON.parse(process.env.SERVICE_OPTIONS);
const auth = keyward({ ...options, caller: (c) => c.req.header('x-caller'), onUnavailable: () => {} });
const app = new Hono()
  .get('/state', (c) => c.json({ state: auth.verifier.state }))
  .use('/api/*', auth)
  .get('/api/check', (c) => c.json(c.get('apiKey')));
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => process.stdout.write(JSON.stringify({ port: info.port }) + '\\n'));
process.once('SIGTERM', () => server.close(() => void auth.verifier.close().then(() => process.exit(0))));
`;

export type ServiceOptions = { url: string; token: string; mode?: 'replica' | 'remote'; leaseMs?: number };

export type Checked = { status: number; reason: string | undefined; retryAfter: string | undefined };

export type ServiceProcess = {
  url: string;
  child: ChildProcess;
  /** `GET /api/check` with `key` (and `caller`). */
  check(key: string, caller?: string): Promise<Checked>;
  /** The verifier's state: starting, replica, remote. */
  state(): Promise<string>;
  /** Resolves once the verifier answers from its copy. */
  replicating(): Promise<void>;
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, and the exit. */
  stop(): Promise<number | null>;
  stderr(): string;
};

const running = new Set<ChildProcess>();

/** SIGKILLs every service this file started that still runs (afterAll). */
export function killLeftoverServices(): void {
  for (const child of running) {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
}

function get(agent: Agent, url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.once('error', reject);
    req.end();
  });
}

export async function startService(options: ServiceOptions): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    cwd: REPO,
    env: cleanEnv({ SERVICE_OPTIONS: JSON.stringify(options) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => running.delete(child));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const port = await vi.waitFor(
    () => {
      const line = stdout.split('\n')[0];
      if (!line || !stdout.includes('\n')) throw new Error(`the service did not start:\n${stderr}`);
      return (JSON.parse(line) as { port: number }).port;
    },
    { timeout: 10_000, interval: 10 },
  );
  const url = `http://127.0.0.1:${port}`;
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const service: ServiceProcess = {
    url,
    child,
    async check(key, caller) {
      const res = await get(agent, `${url}/api/check`, { authorization: `Bearer ${key}`, ...(caller && { 'x-caller': caller }) });
      const reason = res.status === 200 ? undefined : (JSON.parse(res.body) as { error: { reason?: string } }).error.reason;
      return { status: res.status, reason, retryAfter: res.headers['retry-after'] as string | undefined };
    },
    async state() {
      return (JSON.parse((await get(agent, `${url}/state`)).body) as { state: string }).state;
    },
    async replicating() {
      await vi.waitFor(async () => {
        if ((await service.state()) !== 'replica') throw new Error(`the service's verifier does not answer from a copy:\n${stderr}`);
      }, { timeout: 10_000, interval: 20 });
    },
    signal: (signal) => void child.kill(signal),
    async stop() {
      agent.destroy();
      child.kill('SIGTERM');
      return exited;
    },
    stderr: () => stderr,
  };
  return service;
}
