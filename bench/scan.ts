/**
 * Issue 17's leak-scan benchmark: a tree of source-like text (~160 MB in 1,600 files, a few
 * real keys in it) scanned in-process by the scanner alone, and by `keyward scan DIR` as users
 * run it (a process of its own, looking its findings up in a real daemon). The baseline in the
 * same run is reading the same files without looking at them, so the ratio says what finding
 * secrets adds to the I/O; the CLI is also timed on an empty folder, to tell its start-up from
 * its scanning. Target: ≥ 100 MB/s of text.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { generateSecret } from '../src/daemon/secrets/format.js';
import { PathScanner, type Finding } from '../src/scan/sources.js';
import { benchHome, removeHome, startDaemonProcess } from './support/daemon.js';
import { count, printTable, ratio } from './support/stats.js';

const FILES = 1_600;
const FILE_BYTES = 100_000;
const RUNS = 3;
const TARGET_MB_S = 100;
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Lines as code has them: identifiers, strings, the odd `kw` and `kw_` that is no key. */
const LINES = [
  'export async function handler(request: Request, env: Env): Promise<Response> {',
  '  const url = new URL(request.url); // keyword: kw_ prefix is not a key by itself',
  "  if (!url.pathname.startsWith('/api/')) return new Response('not found', { status: 404 });",
  '  const body = await request.json() as { items: Array<{ id: string; qty: number }> };',
  '  for (const item of body.items) total += prices.get(item.id) ?? 0; // TODO: kwargs',
  '',
];

function makeTree(dir: string, keys: readonly string[]): number {
  const block = LINES.join('\n') + '\n';
  const text = block.repeat(Math.ceil(FILE_BYTES / block.length)).slice(0, FILE_BYTES);
  let bytes = 0;
  for (let i = 0; i < FILES; i++) {
    const sub = join(dir, `pkg${i % 40}`, 'src');
    mkdirSync(sub, { recursive: true });
    const key = i % 400 === 7 ? `\nconst API_KEY = "${keys[(i / 400) | 0]}";\n` : '';
    const content = text + key;
    writeFileSync(join(sub, `file${i}.ts`), content);
    bytes += Buffer.byteLength(content);
  }
  return bytes;
}

/** The baseline: every file read through the same size of buffer, nothing looked at. */
function readAll(dir: string, buffer: Buffer): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) readAll(path, buffer);
    else {
      const fd = openSync(path, 'r');
      while (readSync(fd, buffer, 0, buffer.length, null) > 0);
      closeSync(fd);
    }
  }
}

function timed(run: () => void): number {
  const started = performance.now();
  run();
  return (performance.now() - started) / 1000;
}

function cli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; seconds: number; stdout: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, seconds: (performance.now() - started) / 1000, stdout })));
}

const best = (samples: readonly number[]) => Math.min(...samples);

export async function run(): Promise<void> {
  const home = benchHome();
  const daemon = await startDaemonProcess(home);
  try {
    const keys = [(await daemon.admin.createKey('leaked')).secret, generateSecret('kw_'), generateSecret('kw_'), generateSecret('kwo_')];
    const tree = join(home, 'tree');
    const bytes = makeTree(tree, keys);
    const mbs = (seconds: number) => bytes / 1e6 / seconds;

    const buffer = Buffer.allocUnsafe(1 << 20);
    const reads: number[] = [];
    const scans: number[] = [];
    let found: Finding[] = [];
    for (let i = 0; i < RUNS; i++) {
      reads.push(timed(() => readAll(tree, buffer)));
      found = [];
      const scanner = new PathScanner({ found: (f) => found.push(f), failed: (path, message) => console.error(`${path}: ${message}`) });
      scans.push(timed(() => scanner.scanPath(tree)));
    }
    if (found.length !== keys.length) throw new Error(`the scanner found ${found.length} secrets, not ${keys.length}`);

    const env = { ...process.env, KEYWARD_HOME: home };
    const empty = join(home, 'empty');
    mkdirSync(empty);
    const runs: number[] = [];
    const starts: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await cli(['scan', tree], env);
      if (r.code !== 1 || !r.stdout.includes('key "leaked" (active)')) throw new Error(`keyward scan exited ${r.code}: ${r.stdout}`);
      runs.push(r.seconds);
      starts.push((await cli(['scan', empty], env)).seconds);
    }
    const startup = best(starts);

    console.log(`${count(FILES)} files, ${(bytes / 1e6).toFixed(0)} MB of text, ${keys.length} secrets; best of ${RUNS} runs`);
    printTable(
      ['what', 'seconds', 'MB/s', 'target', 'vs reading alone'],
      [
        ['read the files (baseline)', best(reads).toFixed(2), mbs(best(reads)).toFixed(0), '', ''],
        ['scanner in-process', best(scans).toFixed(2), mbs(best(scans)).toFixed(0), `≥ ${TARGET_MB_S}`, ratio(best(scans) / best(reads))],
        ['keyward scan DIR (process, lookup)', best(runs).toFixed(2), mbs(best(runs)).toFixed(0), `≥ ${TARGET_MB_S}`, ratio(best(runs) / best(reads))],
        ['  less its start-up (an empty DIR)', (best(runs) - startup).toFixed(2), mbs(best(runs) - startup).toFixed(0), `≥ ${TARGET_MB_S}`, ratio((best(runs) - startup) / best(reads))],
      ],
    );
    console.log(`a keyward process starting and asking the daemon who it is took ${startup.toFixed(2)} s of that (the box's load decides most of it)`);
  } finally {
    await daemon.stop();
    removeHome(home);
  }
}
