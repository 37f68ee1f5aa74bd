/**
 * Issue 13's stalled-streams benchmark: the real daemon in its own process, driven with
 * verifications (so a usage tick naming hundreds of keys goes out every second), first with no
 * event streams open, then with 1,000 `/v1/events` streams whose clients never read. Prints the
 * daemon's memory and `/v1/health` latency in both phases and their ratios; never judges.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { benchHome, removeHome, startDaemonProcess, type DaemonProcess } from './support/daemon.js';
import { drive, type LoadRequest } from './support/load.js';
import { seedKeys } from './support/seed.js';
import { count, mb, ms, printTable, ratio, summarize, type Summary } from './support/stats.js';

const VERIFIED_KEYS = 300;
const OPERATORS = 40;
const STREAMS = 1_000;
const SECONDS = 8;
const HEALTH_EVERY_MS = 50;

type Stalled = { socket: Socket; status: Promise<number> };

/** A stream whose client sends the request, reads the status line, then never reads again. */
function stalledStream(url: URL, token: string): Stalled {
  const socket = connect(Number(url.port), url.hostname);
  const status = new Promise<number>((resolve) => {
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(chunk.toString('latin1'))?.[1] ?? 0));
    });
    socket.once('error', () => resolve(0));
    socket.once('close', () => resolve(0));
  });
  socket.write(`GET /v1/events HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
  return { socket, status };
}

type Phase = { health: Summary; rssStart: number; rssPeak: number; rssEnd: number; verifies: number };

/** Verify load for SECONDS while health is asked every HEALTH_EVERY_MS and memory sampled. */
async function phase(daemon: DaemonProcess, requests: readonly LoadRequest[]): Promise<Phase> {
  const rssStart = daemon.memory().rss;
  let rssPeak = rssStart;
  const latencies: number[] = [];
  let running = true;
  const sampling = (async () => {
    while (running) {
      const started = performance.now();
      const res = await fetch(`${daemon.url}/v1/health`);
      await res.arrayBuffer();
      latencies.push(performance.now() - started);
      rssPeak = Math.max(rssPeak, daemon.memory().rss);
      await new Promise((resolve) => setTimeout(resolve, HEALTH_EVERY_MS));
    }
  })();
  const load = await drive(daemon, { connections: 10, seconds: SECONDS, requests });
  running = false;
  await sampling;
  const rssEnd = daemon.memory().rss;
  return { health: summarize(latencies), rssStart, rssPeak: Math.max(rssPeak, rssEnd), rssEnd, verifies: load.requestsPerSecond };
}

export async function run(): Promise<void> {
  const home = benchHome();
  let daemon: DaemonProcess | undefined;
  const sockets: Socket[] = [];
  try {
    const keys = seedKeys(home, VERIFIED_KEYS, VERIFIED_KEYS);
    daemon = await startDaemonProcess(home);
    const { token: service } = await daemon.admin.createOperator('bench-verify', 'service');
    const viewers: string[] = [];
    for (let i = 0; i < OPERATORS; i++) viewers.push((await daemon.admin.createOperator(`bench-viewer-${i}`, 'viewer')).token);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${service}` };
    const requests: LoadRequest[] = keys.map((k, i) => ({ method: 'POST', path: '/v1/verify', headers, body: JSON.stringify({ key: k.secret, caller: `svc-${i % 8}` }) }));
    console.log(`load: autocannon, 10 connections, ${SECONDS} s a phase, ${count(VERIFIED_KEYS)} different valid keys (a usage tick a second names each); /v1/health every ${HEALTH_EVERY_MS} ms`);

    const quiet = await phase(daemon, requests);

    const url = new URL(daemon.url);
    const opened = Array.from({ length: STREAMS }, (_, i) => stalledStream(url, viewers[i % OPERATORS]!));
    sockets.push(...opened.map((s) => s.socket));
    const statuses = await Promise.all(opened.map((s) => s.status));
    const accepted = statuses.filter((s) => s === 200).length;
    const refused = statuses.filter((s) => s === 429).length;
    console.log(`${count(STREAMS)} stalled streams (${OPERATORS} viewer operators): ${count(accepted)} accepted, ${count(refused)} refused with 429, ${count(STREAMS - accepted - refused)} other`);

    const stalled = await phase(daemon, requests);

    // Whatever the daemon dropped ends once its socket is read again; the rest stay open.
    let ended = 0;
    for (const socket of sockets) {
      socket.on('data', () => {});
      socket.once('end', () => ended++);
      socket.resume();
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
    console.log(`streams the daemon dropped for falling behind (ended once read again): ${count(ended)} of ${count(accepted)}`);

    const row = (name: string, p: Phase) => [name, mb(p.rssStart), mb(p.rssPeak), mb(p.rssEnd), ms(p.health.p50), ms(p.health.p99), ms(p.health.max), count(p.verifies)];
    printTable(
      ['phase', 'RSS start', 'RSS peak', 'RSS end', 'health p50', 'health p99', 'health max', 'verify/s'],
      [
        row('no streams', quiet),
        row(`${count(STREAMS)} stalled`, stalled),
        [
          'stalled/none',
          '',
          `${ratio(stalled.rssPeak / quiet.rssPeak)} (≤ 1.25×)`,
          '',
          ratio(stalled.health.p50 / quiet.health.p50),
          `${ratio(stalled.health.p99 / quiet.health.p99)} (≤ 2×)`,
          ratio(stalled.health.max / quiet.health.max),
          ratio(stalled.verifies / quiet.verifies),
        ],
      ],
    );
    console.log(`RSS growth while stalled: ${mb(stalled.rssPeak - quiet.rssEnd)} (target: bounded by the stream caps, not by time)`);
  } finally {
    for (const socket of sockets) socket.destroy();
    await daemon?.stop();
    removeHome(home);
  }
}
