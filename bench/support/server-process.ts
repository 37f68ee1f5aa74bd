/**
 * A server under test in its own process, so it never shares an event loop (or, on a
 * multi-core machine, a core) with the load generator. Readiness is its health URL answering
 * 200; memory and CPU time come from /proc, as an operator would read them.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';

export type ServerProcess = {
  readonly pid: number;
  readonly url: string;
  /** Spawn to the first 200 from the health URL. */
  readonly startupMs: number;
  /** Resident set size now and its peak (VmRSS, VmHWM), in bytes. */
  memory(): { rss: number; peak: number };
  /** User + system CPU seconds the process has used so far. */
  cpuSeconds(): number;
  /** Resolves when a line of its stderr matches `pattern` (at once if one already did); rejects if it exits first. */
  logged(pattern: RegExp): Promise<void>;
  stop(): Promise<void>;
};

export type ServerSpec = {
  /** Arguments to `node`; `{port}` is replaced by the port chosen for this server. */
  args: readonly string[];
  healthPath: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
};

const HOST = '127.0.0.1';
const POLL_MS = 5;
const STOP_TIMEOUT_MS = 10_000;
const STDERR_TAIL = 8_000;
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

// A crashed benchmark must not leave servers behind on a shared machine.
const running = new Set<ChildProcess>();
// Interrupted (Ctrl-C, or killed with SIGTERM), exit through the handler below too.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A loopback port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${field} for pid ${pid}`);
  return Number(match[1]) * 1024;
}

function cpuSeconds(pid: number): number {
  // Fields after "pid (comm) " start at field 3 (state); utime and stime are fields 14 and 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Lines of stderr kept for `logged`: the startup's, not a long run's. */
const SEEN_LINES = 100;

export async function startServer(spec: ServerSpec): Promise<ServerProcess> {
  const port = await freePort();
  const url = `http://${HOST}:${port}`;
  const started = performance.now();
  const child = spawn(process.execPath, spec.args.map((a) => a.replaceAll('{port}', String(port))), {
    env: spec.env ?? process.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child);
  // The tail of stderr, for the error when the server fails; a noisy server must not grow it.
  let stderr = '';
  /** Every stderr line so far is offered to these; each drops out once it matched. */
  const watchers = new Set<(line: string) => boolean>();
  const seen: string[] = [];
  let partial = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (seen.length < SEEN_LINES) seen.push(line);
      for (const watcher of watchers) if (watcher(line)) watchers.delete(watcher);
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));

  const deadline = started + (spec.timeoutMs ?? 30_000);
  let startupMs: number | undefined;
  while (startupMs === undefined) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited before it was healthy (${child.exitCode ?? child.signalCode}):\n${stderr}`);
    }
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not healthy within ${spec.timeoutMs ?? 30_000} ms:\n${stderr}`);
    }
    try {
      const res = await fetch(url + spec.healthPath);
      await res.arrayBuffer();
      if (res.ok) startupMs = performance.now() - started;
    } catch {
      // not listening yet
    }
    if (startupMs === undefined) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }

  const pid = child.pid!;
  return {
    pid,
    url,
    startupMs,
    memory: () => ({ rss: procStatus(pid, 'VmRSS'), peak: procStatus(pid, 'VmHWM') }),
    cpuSeconds: () => cpuSeconds(pid),
    logged: (pattern) =>
      seen.some((line) => pattern.test(line))
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            watchers.add((line) => pattern.test(line) && (resolve(), true));
            void exited.then(() => reject(new Error(`exited before logging ${pattern}:\n${stderr}`)));
          }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
      if (child.exitCode !== 0) throw new Error(`server exited with ${child.exitCode ?? child.signalCode} on SIGTERM:\n${stderr}`);
    },
  };
}
