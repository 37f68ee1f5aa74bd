/**
 * PostgreSQL stopped and restarted under running daemons: they say they are degraded, verify
 * keeps answering from memory, writes fail with 503 `store_unavailable`, and once the server
 * is back they recover by themselves, counting the usage they held and following each other
 * again. The server here is a throwaway one of this test's own (test/pg/cluster.sh), since
 * stopping the shared test server would break the tests running beside this one.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { KeyFeed } from '../../src/tui/feed.js';
import { keyward } from '../cli/harness.js';
import type { TestDaemon } from '../helpers/daemon.js';
import { parsePrometheusText, sampleValue } from '../helpers/prom-text.js';
import { press, waitForText } from '../tui/frames.js';
import { openApp } from '../tui/open-app.js';
import { pgTitle, TEST_DATABASE_URL } from './database.js';
import { useDaemonPair, verdict } from './shared-daemons.js';

const CLUSTER = join(import.meta.dirname, 'cluster.sh');
/** Reconnecting backs off to 2 s between tries, then reads a snapshot. */
const RECOVERY_MS = 8000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function cluster(...args: string[]): string {
  return execFileSync('bash', [CLUSTER, ...args], { encoding: 'utf8' }).trim();
}

/** `keyward_store_unreachable` as `d` exposes it. */
async function unreachable(d: TestDaemon): Promise<number | undefined> {
  const res = await d.fetch(`${d.url}/metrics`, { headers: { authorization: `Bearer ${d.adminToken}` } });
  return sampleValue(parsePrometheusText(await res.text()), 'keyward_store_unreachable');
}

async function health(d: TestDaemon): Promise<string> {
  return ((await d.api('GET', '/v1/health')).body.status as string) ?? 'unanswered';
}

describe.skipIf(!TEST_DATABASE_URL)(pgTitle('PostgreSQL stopped and restarted under running daemons'), () => {
  let dir: string;
  let port: number;
  let serverUrl: string;
  let running = false;
  let a: TestDaemon;
  let b: TestDaemon;

  // Registered before the daemons' hooks: the server starts before them and stops after them.
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyward-pg-outage-'));
    port = await freePort();
    serverUrl = cluster('start', dir, String(port));
    running = true;
  }, 60_000);
  afterAll(() => {
    try {
      cluster('stop', dir);
    } finally {
      // Also when the server never started (initdb or pg_ctl failed) and so cannot be stopped.
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
  const pair = useDaemonPair({}, () => serverUrl);
  beforeEach(() => ({ a, b } = pair));
  // A test that failed mid-outage leaves the server stopped; the daemons need it to close.
  afterEach(() => {
    if (!running) start();
  }, 60_000);

  function start(): void {
    cluster('start', dir, String(port));
    running = true;
  }

  function stop(): void {
    running = false;
    cluster('stop', dir);
  }

  it('degrades, keeps verifying, refuses writes with 503, and recovers when the server is back', async () => {
    const kept = await a.client.createKey('kept');
    const dropped = await a.client.createKey('dropped');
    expect(await health(a)).toBe('ok');
    // The TUI's feed on a: its stream stays up through the outage, so only health can tell it.
    const feed = new KeyFeed(a.client, { storeCheckMs: 100 });
    feed.start();
    onTestFinished(() => feed.stop());
    await expect.poll(() => feed.getSnapshot().link, { timeout: 3000 }).toBe('live');
    // b follows a through PostgreSQL: a key it has not heard of before the stop stays unknown
    // to it until the server is back (not_found: closed, never a pass).
    await expect.poll(() => verdict(b, dropped.secret), { timeout: 3000 }).toBe('valid');

    stop();
    await expect.poll(() => health(a), { timeout: 3000 }).toBe('degraded');
    await expect.poll(() => health(b), { timeout: 3000 }).toBe('degraded');
    await expect.poll(() => feed.getSnapshot().link, { timeout: 3000 }).toBe('degraded');
    expect(feed.getSnapshot().problem).toMatch(/^PostgreSQL cannot be followed now \(unreachable, or catching up after a lost connection\): verify answers from memory/);
    expect(feed.getSnapshot().staleSince, 'the table is as of the loss').toBeDefined();
    const body = (await b.api('GET', '/v1/health')).body;
    expect(body.status, 'health still answers 200 with a reason').toBe('degraded');
    expect(await unreachable(a), 'and /metrics says so').toBe(1);

    expect((await a.client.verify(kept.secret, 'during-outage')).valid, 'verify answers from memory').toBe(true);
    expect((await b.client.verify(kept.secret, 'during-outage')).valid).toBe(true);
    for (const attempt of [
      () => a.api('POST', `/v1/keys/${dropped.key.id}/deactivate`),
      () => b.api('POST', '/v1/keys', { name: 'during-outage' }),
      () => a.api('POST', '/v1/operators', { name: 'during-outage', role: 'viewer' }),
      () => b.api('GET', '/v1/keys'),
    ]) {
      const res = await attempt();
      expect(res.status, JSON.stringify(res.body)).toBe(503);
      expect(res.body.error.code).toBe('store_unavailable');
      expect(JSON.stringify(res.body), 'no connection details in the error').not.toMatch(/postgres:|127\.0\.0\.1|ECONNREFUSED/);
    }
    expect(await verdict(b, dropped.secret), 'the refused deactivation changed nothing').toBe('valid');
    // `keyward status` says so, and what it can: not an error in place of the whole report.
    const status = await keyward(['status', '--url', a.url, '--token', a.adminToken]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^daemon +degraded, keyward \S+ at /m);
    expect(status.stdout).toMatch(/^degraded +PostgreSQL cannot be followed now \(unreachable, or catching up after a lost connection\): verify answers from memory/m);
    expect(status.stdout).toMatch(/^operator +admin \(admin\)$/m);
    expect(status.stdout).toMatch(/^keys +not counted: the key store cannot be read now \(verify still answers\)$/m);

    start();
    await expect.poll(() => health(a), { timeout: RECOVERY_MS }).toBe('ok');
    await expect.poll(() => health(b), { timeout: RECOVERY_MS }).toBe('ok');
    await expect.poll(() => feed.getSnapshot().link, { timeout: 3000 }).toBe('live');
    expect(feed.getSnapshot()).toMatchObject({ problem: undefined, staleSince: undefined });
    expect(await unreachable(a)).toBe(0);

    // Writes work again, and the daemons follow each other again.
    await a.client.deactivateKey(dropped.key.id);
    await expect.poll(() => verdict(b, dropped.secret), { timeout: 1000 }).toBe('inactive');
    // The verifications made during the outage were held in memory and written once it ended.
    await expect
      .poll(async () => (await a.client.usage(kept.key.id, 5)).callers.find((c) => c.caller === 'during-outage')?.ok, { timeout: 3000 })
      .toBe(2);
    expect(a.logs.some((l) => l.includes('lost the change feed')), 'the outage was logged').toBe(true);
    expect(a.logs.some((l) => l.includes('following changes from PostgreSQL again')), 'so was the recovery').toBe(true);
    for (const line of [...a.logs, ...b.logs]) expect(line, 'the password never reaches the log').not.toMatch(/postgres:\/\/[^@\s]*:[^@\s]*@/);
  });
  it('shows a TUI on the daemon degraded, refuses a change at once with why, and live again once the server is back', async () => {
    const { key } = await a.client.createKey('seen-in-the-tui');
    const { app } = await openApp(a, { feed: { storeCheckMs: 100 } });
    onTestFinished(() => app.unmount());
    await waitForText(app, 'seen-in-the-tui');

    stop();
    let frame = await waitForText(app, '◐ degraded since', 5000);
    expect(frame).toMatch(/◐ degraded since \S+ · PostgreSQL cannot be followed now/);
    // Any key's change: the question (and the usage it quotes) would only lead to a 503.
    press(app, 'x');
    frame = await waitForText(app, 'the daemon cannot reach its key store: try again once it is back');
    expect(frame).not.toContain('Every verification of it fails');

    start();
    await waitForText(app, '● live', RECOVERY_MS + 3000);
    expect((await a.client.getKey(key.id)).key.status, 'nothing was changed').toBe('active');
  });
});
