/**
 * Drives one server with autocannon from this process (the server runs in its own), keeping
 * every response time: autocannon's own histogram rounds to whole milliseconds, too coarse
 * for sub-millisecond loopback latencies.
 */
import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import type { ServerProcess } from './server-process.js';
import { summarize, type Summary } from './stats.js';

export type LoadRequest = { method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string };

export type LoadSpec = {
  connections: number;
  seconds: number;
  /** Each connection sends these in turn, round and round. */
  requests: readonly LoadRequest[];
};

export type LoadResult = {
  requestsPerSecond: number;
  latency: Summary;
  non2xx: number;
  errors: number;
  /** Share of one core the server used while driven (1 = one core saturated). */
  serverCpu: number;
  /**
   * Server CPU time per response, in microseconds: the cost of a request, and far steadier
   * than req/s when other processes compete for the cores.
   */
  serverCpuPerRequestUs: number;
  /** Share of one core the load generator (this process) used. */
  clientCpu: number;
};

export async function drive(server: ServerProcess, spec: LoadSpec): Promise<LoadResult> {
  const samples: number[] = [];
  const serverCpuBefore = server.cpuSeconds();
  const clientCpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: server.url,
        connections: spec.connections,
        duration: spec.seconds,
        pipelining: 1,
        requests: spec.requests.map((r) => ({ ...r })),
      },
      (err: unknown, res: autocannon.Result) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(res)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode < 300) samples.push(responseTime);
    });
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const serverCpuSeconds = server.cpuSeconds() - serverCpuBefore;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  return {
    requestsPerSecond: result.requests.average,
    latency: summarize(samples),
    non2xx: result.non2xx,
    errors: result.errors,
    serverCpu: serverCpuSeconds / wallSeconds,
    serverCpuPerRequestUs: (serverCpuSeconds * 1e6) / result.requests.total,
    clientCpu: (clientCpu.user + clientCpu.system) / 1e6 / wallSeconds,
  };
}

/** The median of each figure across rounds (each figure on its own). */
export function medianOf(results: readonly LoadResult[]): LoadResult {
  const median = (pick: (r: LoadResult) => number) => {
    const sorted = results.map(pick).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  };
  return {
    requestsPerSecond: median((r) => r.requestsPerSecond),
    latency: {
      count: median((r) => r.latency.count),
      mean: median((r) => r.latency.mean),
      min: median((r) => r.latency.min),
      p50: median((r) => r.latency.p50),
      p99: median((r) => r.latency.p99),
      max: median((r) => r.latency.max),
    },
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    serverCpu: median((r) => r.serverCpu),
    serverCpuPerRequestUs: median((r) => r.serverCpuPerRequestUs),
    clientCpu: median((r) => r.clientCpu),
  };
}
