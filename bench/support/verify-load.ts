/** The verify requests the benchmarks drive a daemon with, and the check that it accepts them. */
import type { DaemonProcess } from './daemon.js';
import type { LoadRequest } from './load.js';
import type { SeededKey } from './seed.js';

/** Caller labels the load cycles through, as a few services calling one daemon would. */
const CALLERS = 8;

/** One `POST /v1/verify` a key, each with one of a few caller labels and whatever `more` adds to the `i`-th body. */
export function verifyRequests(keys: readonly SeededKey[], token: string, more: (i: number) => Record<string, unknown> = () => ({})): LoadRequest[] {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  return keys.map((k, i) => ({
    method: 'POST',
    path: '/v1/verify',
    headers,
    body: JSON.stringify({ key: k.secret, caller: `bench-service-${i % CALLERS}`, ...more(i) }),
  }));
}

/** Fails loudly if the daemon does not accept the keys: a benchmark of 401s measures nothing. */
export async function checkAccepted(daemon: DaemonProcess, requests: readonly LoadRequest[]): Promise<void> {
  for (const r of requests.slice(0, 20)) {
    const res = await fetch(daemon.url + r.path, { method: r.method, headers: r.headers, body: r.body });
    const body = (await res.json()) as { valid?: boolean };
    if (res.status !== 200 || body.valid !== true) throw new Error(`verify answered ${res.status} ${JSON.stringify(body)}`);
  }
}

export const LOAD_DESCRIPTION = `no pipelining, each connection cycling through the seeded keys' secrets with ${CALLERS} caller labels`;
