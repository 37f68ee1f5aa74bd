/**
 * Issue 13.1: tokens handed to a port squatter. Another local user binds the daemon's port
 * while it is down (a crash leaves daemon.json behind; a clean stop leaves no daemon.json and
 * clients used to fall back to 127.0.0.1:7420). Each test plays that user and checks that the
 * CLI, `keyward status`, the TUI's autostart and a long-running client send it no token and no
 * key; and that a daemon the TUI starts has no token in its environment.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DaemonNotReachable, reachDaemon } from '../../src/client/autostart.js';
import { DaemonUnproven, KeywardClient } from '../../src/client/client.js';
import { clientOf, resolveConnection, type Located } from '../../src/client/connection.js';
import type { StatusReport } from '../../src/cli/status-command.js';
import { generateSecret, KEY_PREFIX, OPERATOR_TOKEN_PREFIX } from '../../src/daemon/secrets/format.js';
import { DEFAULT_PORT, homeFiles, readDaemonInfo } from '../../src/home.js';
import { writePrivate } from '../../src/private-files.js';
import { CHALLENGE_HEADER, newChallenge, newInstance, PROOF_HEADER, proofOf } from '../../src/identity.js';
import { keyward } from '../cli/harness.js';
import { KEYWARD } from '../helpers/cli.js';
import { freePort, isAlive, startTestApp, startTestDaemon, tempHome } from '../helpers/daemon.js';
import { squat, type Squatter } from './helpers/squatter.js';

// CLI runs and daemon starts are processes of their own; a busy machine needs the time.
vi.setConfig({ testTimeout: 60_000 });

const command = KEYWARD;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function squatter(port = 0): Promise<Squatter> {
  const s = await squat(port);
  cleanups.push(() => s.close());
  return s;
}

function home(): string {
  const dir = tempHome();
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A home as a crashed daemon leaves it: its token, and daemon.json naming `url`. */
function crashedHome(url: string): { dir: string; token: string } {
  const dir = home();
  const token = generateSecret(OPERATOR_TOKEN_PREFIX);
  writePrivate(homeFiles(dir).adminToken, token + '\n');
  writePrivate(homeFiles(dir).daemonJson, JSON.stringify({ pid: 2 ** 22 + 1, url, startedAt: new Date().toISOString(), instance: newInstance() }));
  return { dir, token };
}

describe('the proof on /v1/health', () => {
  it('answers a challenge with the HMAC of the instance, refuses a malformed one, and adds nothing otherwise', async () => {
    const t = await startTestApp();
    cleanups.push(() => t.stop());
    const challenge = newChallenge();
    const proven = await t.fetch(`${t.url}/v1/health`, { headers: { [CHALLENGE_HEADER]: challenge } });
    expect(proven.status).toBe(200);
    expect(proven.headers.get(PROOF_HEADER)).toBe(proofOf(t.daemon.instance, challenge));
    expect(proven.headers.get(PROOF_HEADER), 'another challenge, another answer').not.toBe(proofOf(t.daemon.instance, newChallenge()));

    const plain = await t.fetch(`${t.url}/v1/health`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get(PROOF_HEADER)).toBeNull();

    for (const bad of ['short', 'x'.repeat(257), 'has spaces in it, sixteen+']) {
      const res = await t.fetch(`${t.url}/v1/health`, { headers: { [CHALLENGE_HEADER]: bad } });
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
      expect(res.headers.get(PROOF_HEADER)).toBeNull();
    }
  });

  it('is written to daemon.json as a fresh secret at each start', async () => {
    const t = await startTestDaemon();
    cleanups.push(() => t.stop());
    const first = readDaemonInfo(t.home)!.instance;
    expect(Buffer.from(first, 'base64url')).toHaveLength(32);
    expect(first).toBe(t.daemon.instance);
    await t.restart();
    expect(readDaemonInfo(t.home)!.instance).not.toBe(first);
  });

  it('lets a client with the right instance through, and stops one with another before its token goes out', async () => {
    const t = await startTestApp();
    cleanups.push(() => t.stop());
    const seen: Headers[] = [];
    const recording: typeof fetch = (input, init) => {
      seen.push(new Headers(init?.headers));
      return t.fetch(input, init);
    };
    const good = new KeywardClient({ url: t.url, token: t.adminToken, fetch: recording, identity: () => t.daemon.instance });
    expect((await good.me()).operator.name).toBe('admin');
    expect(seen.map((h) => h.has('authorization')), 'the health probe carries no token').toEqual([false, true]);

    seen.length = 0;
    const fooled = new KeywardClient({ url: t.url, token: t.adminToken, fetch: recording, identity: () => newInstance() });
    await expect(fooled.verify(generateSecret(KEY_PREFIX))).rejects.toBeInstanceOf(DaemonUnproven);
    expect(seen, 'only the challenge went out').toHaveLength(1);
    expect(seen[0]!.has('authorization')).toBe(false);
  });
});

describe('a squatter on the address daemon.json names', () => {
  it('gets no token and no key from the CLI, and keyward status says something else answers', async () => {
    const s = await squatter();
    const { dir, token } = crashedHome(s.url);
    const env = { KEYWARD_HOME: dir };
    const key = generateSecret(KEY_PREFIX);
    const [list, verify, status, human] = await Promise.all([
      keyward(['keys', 'list'], { env }),
      keyward(['verify'], { env, input: key }),
      keyward(['status', '--json'], { env: { ...env, KEYWARD_TOKEN: token } }),
      keyward(['status'], { env }),
    ]);
    for (const run of [list, verify]) {
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toMatch(new RegExp(`^keyward: something else answers on ${s.url}: .*no token was sent.*\\n$`));
    }
    expect(status.code).toBe(3);
    expect(JSON.parse(status.stdout) as StatusReport).toMatchObject({ reachable: false, proven: false, url: s.url, urlSource: 'daemon.json', operator: null });
    expect(human.stdout).toMatch(new RegExp(`^daemon\\s+something else answers at ${s.url}`, 'm'));
    expect(s.leaks(), 'requests that carried a token or key').toEqual([]);
    expect(s.requests.length, 'the squatter was asked for the proof').toBeGreaterThan(0);
    expect(s.requests.every((r) => r.path === '/v1/health' && typeof r.headers['x-keyward-challenge'] === 'string')).toBe(true);
  });

  it('gets nothing from the TUI, which refuses in one line and starts no daemon', async () => {
    const s = await squatter();
    const { dir } = crashedHome(s.url);
    const attempt = reachDaemon({ home: dir }, { env: { ...process.env, KEYWARD_URL: '', KEYWARD_TOKEN: '' }, command });
    await expect(attempt).rejects.toBeInstanceOf(DaemonNotReachable);
    await expect(attempt).rejects.toThrow(new RegExp(`^something else answers on ${s.url}: [^\\n]*$`));
    expect(existsSync(homeFiles(dir).daemonLog), 'no daemon was started').toBe(false);
    expect(s.leaks()).toEqual([]);
  });

  it('gets nothing from a client that proved the daemon before it went down', async () => {
    const port = await freePort();
    const t = await startTestDaemon({ port });
    cleanups.push(() => t.stop());
    const connection = resolveConnection({ home: t.home }, {}) as Located;
    const client = clientOf(connection);
    expect((await client.me()).operator.name).toBe('admin');
    // A TUI follows the event stream; it ends when the daemon does.
    const stream = client.events(() => {}, new AbortController().signal).catch(() => undefined);
    await vi.waitFor(() => expect(t.daemon.core.streams.size).toBe(1));
    const crashed = readFileSync(homeFiles(t.home).daemonJson, 'utf8');
    await t.daemon.close();
    await stream;
    // The daemon died without its cleanup; another user took the port at once.
    writePrivate(homeFiles(t.home).daemonJson, crashed);
    const s = await squatter(port);
    await expect(client.me()).rejects.toBeInstanceOf(DaemonUnproven);
    await expect(client.createKey('leaked')).rejects.toBeInstanceOf(DaemonUnproven);
    expect(s.leaks()).toEqual([]);
  });
});

describe('no daemon.json: no default address', () => {
  it('sends nothing to whatever listens on the old default port; the TUI cannot start over it', async (ctx) => {
    let s: Squatter;
    try {
      s = await squatter(DEFAULT_PORT);
    } catch {
      // Something else holds the port on this machine: the attack cannot be staged here.
      ctx.skip();
      return;
    }
    const dir = home();
    writePrivate(homeFiles(dir).adminToken, generateSecret(OPERATOR_TOKEN_PREFIX) + '\n');
    const env = { KEYWARD_HOME: dir };
    const [list, status] = await Promise.all([keyward(['keys', 'list'], { env }), keyward(['status', '--json'], { env })]);
    expect(list.code).toBe(3);
    expect(list.stderr).toBe(`keyward: no daemon is running for ${dir}; start one with "keyward daemon" (or pass --url)\n`);
    expect(status.code).toBe(3);
    expect(JSON.parse(status.stdout) as StatusReport).toMatchObject({ reachable: false, url: null, urlSource: 'none' });

    const env2 = { ...process.env, KEYWARD_URL: '', KEYWARD_TOKEN: '', KEYWARD_PORT: '' };
    const attempt = reachDaemon({ home: dir }, { env: env2, command, timeoutMs: 30_000 });
    await expect(attempt).rejects.toThrow(new RegExp(`could not start a daemon for .*: port ${DEFAULT_PORT} on 127\\.0\\.0\\.1 is already in use`));
    expect(s.requests, 'not even a health probe').toEqual([]);
  });
});

describe('a daemon the TUI starts', () => {
  it('has no token in its environment, and is proven before it is used', async () => {
    const dir = home();
    const token = generateSecret(OPERATOR_TOKEN_PREFIX);
    const port = await freePort();
    const env = { ...process.env, KEYWARD_URL: '', KEYWARD_PORT: String(port), KEYWARD_TOKEN: token, DEPLOY_NOTE: `ci uses ${token}` };
    const reached = await reachDaemon({ home: dir }, { env, command, timeoutMs: 30_000 });
    const pid = reached.started!.pid;
    cleanups.push(async () => {
      process.kill(pid, 'SIGTERM');
      await vi.waitFor(() => expect(isAlive(pid)).toBe(false), { timeout: 10_000 });
    });
    const environ = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
    expect(environ, 'the settings it needs are there').toContain(`KEYWARD_PORT=${port}`);
    expect(environ.filter((v) => v.startsWith('KEYWARD_TOKEN=') || v.includes('kwo_'))).toEqual([]);
    expect(reached.connection).toMatchObject({ url: `http://127.0.0.1:${port}`, urlSource: 'daemon.json' });
    expect(reached.connection.identity?.(), 'proven against the instance it wrote').toBe(readDaemonInfo(dir)!.instance);
  });
});
