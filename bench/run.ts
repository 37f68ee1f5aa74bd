/**
 * `npm run bench [-- NAME…]`: the benchmarks in sequence (keys, verify, scale, import, streams,
 * hardening, audit, scan, alerts, service, feed, and the TUI's when it exists), or only those named. They print
 * numbers and never pass or fail on time; the exit code is non-zero only when one crashed.
 * `--cpu-prof` has the verify, scale and import benchmarks' daemons write V8 CPU profiles (open them
 * in Chrome DevTools) to a directory it prints.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as runAlerts } from './alerts.js';
import { run as runAudit } from './audit.js';
import { run as runHardening } from './hardening.js';
import { run as runFeed } from './feed.js';
import { run as runImport } from './import.js';
import { run as runKeys } from './keys.js';
import { run as runScale } from './scale.js';
import { run as runScan } from './scan.js';
import { run as runService } from './service.js';
import { run as runStreams } from './streams.js';
import { run as runVerify } from './verify.js';

type Bench = { name: string; run(): Promise<void> };

const TUI = new URL('./tui.ts', import.meta.url);

async function tuiBench(): Promise<Bench | undefined> {
  if (!existsSync(TUI)) return undefined;
  const { run } = (await import(TUI.href)) as { run(): Promise<void> };
  return { name: 'tui', run };
}

function conditions(): string {
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  return `node ${process.version}, ${availableParallelism()} × ${cpus()[0]?.model ?? 'unknown CPU'}, load average ${load}`;
}

const args = process.argv.slice(2);
const profile = args.includes('--cpu-prof') ? mkdtempSync(join(tmpdir(), 'keyward-profile-')) : undefined;
const daemonNodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];

const benches: Bench[] = [
  { name: 'keys', run: runKeys },
  { name: 'verify', run: () => runVerify({ daemonNodeArgs }) },
  { name: 'scale', run: () => runScale({ daemonNodeArgs }) },
  { name: 'import', run: () => runImport({ daemonNodeArgs }) },
  { name: 'streams', run: runStreams },
  { name: 'hardening', run: runHardening },
  { name: 'audit', run: runAudit },
  { name: 'scan', run: runScan },
  { name: 'alerts', run: runAlerts },
  { name: 'service', run: runService },
  { name: 'feed', run: runFeed },
];
const tui = await tuiBench();
if (tui) benches.push(tui);

const wanted = args.filter((a) => a !== '--cpu-prof');
const unknown = wanted.filter((name) => !benches.some((b) => b.name === name));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}; have ${benches.map((b) => b.name).join(', ')}`);
  process.exit(2);
}

for (const bench of benches.filter((b) => wanted.length === 0 || wanted.includes(b.name))) {
  console.log(`\n== ${bench.name} (${conditions()})`);
  await bench.run();
}
if (profile) console.log(`\ndaemon CPU profiles: ${profile}`);
console.log(`\ndone (${conditions()})`);
// With stdout a pipe (`npm run bench -- tui | tee`), something the in-process TUI leaves behind
// kept the runner alive after the last benchmark; every benchmark has stopped its servers by now.
process.exit(0);
