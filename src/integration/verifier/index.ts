/**
 * `keyward/verifier`: API-key verification inside a service process, framework-agnostic. By
 * default a replica (docs/replicas.md): a copy of the daemon's verification index, kept in
 * step by a stream, answering from memory as fast as an unprotected route — and never
 * accepting a key after a deactivation (or any narrowing write) has returned. `mode: 'remote'`
 * asks the daemon per request instead.
 *
 * The daemon is found like every client finds it: `url` (and `token`) given, else
 * `KEYWARD_URL` / `KEYWARD_TOKEN`, else the home's `daemon.json`, whose daemon must prove
 * itself before anything is sent (docs/security.md).
 *
 * @example
 * ```ts
 * import { createVerifier } from 'keyward/verifier';
 *
 * const verifier = createVerifier({ url: 'http://127.0.0.1:7420', token: process.env.KEYWARD_SERVICE_TOKEN! });
 * await verifier.ready(); // optional: until then it asks the daemon
 * const result = await verifier.verify(key, { caller: 'checkout', scope: 'orders:write', ip: '192.0.2.10' });
 * if (!result.valid) console.log(result.code); // e.g. 'inactive'
 * process.once('SIGTERM', () => void verifier.close()); // sends the usage it counted
 * ```
 */
import { DAEMON_URL_EXAMPLE, daemonUrlProblem, noDaemonMessage, resolveConnection } from '../../client/connection.js';
import { resolveHome } from '../../home.js';
import { DaemonLink } from './link.js';
import { RemoteVerifier } from './remote.js';
import { ReplicaVerifier } from './replica.js';
import type { Verifier, VerifierState } from './request.js';

export { VerifierUnavailable, type Verifier, type VerifierState, type VerifyOptions, type VerifyResult } from './request.js';
export { rateLimitHeaders, rejectionAnswer, unavailableAnswer, type HttpAnswer } from '../outcome.js';
export { bearerKey } from '../presented.js';
/** An address as keyward writes it (`::ffff:192.0.2.1` as `192.0.2.1`), for a caller label a plain server takes from its socket. */
export { canonicalAddress } from '../../decide/ip.js';

export type VerifierOptions = {
  /** The daemon's URL, e.g. `http://127.0.0.1:7420`; default: `KEYWARD_URL`, else the home's daemon.json. */
  url?: string;
  /** An operator token (`kwo_…`) of role `service`; default: `KEYWARD_TOKEN`. */
  token?: string;
  /** The keyward home whose daemon.json names the daemon, when `url` is not given. */
  home?: string;
  /** `replica` (default): answer from a copy; `remote`: ask the daemon per request. */
  mode?: 'replica' | 'remote';
  /** Ask for a shorter lease than the daemon's 1 s: a write waits at most this long for this process once it stops. */
  leaseMs?: number;
  /** How long to wait for the daemon per request; default 2000 ms. */
  timeoutMs?: number;
  /** Told when the verifier starts or stops answering from its copy; default: one line on stderr. */
  onStateChange?: (state: VerifierState, reason: string) => void;
};

function logState(state: VerifierState, reason: string): void {
  if (state === 'remote' || state === 'replica') process.stderr.write(`keyward: verifier ${state === 'replica' ? 'answers from its copy' : 'asks the daemon'}: ${reason}\n`);
}

function linkFor(options: VerifierOptions): DaemonLink {
  // Given, never the home's admin.token: a service run with its token's variable unset must
  // not quietly verify as an admin.
  const token = options.token ?? (process.env.KEYWARD_TOKEN || undefined);
  if (token === undefined) throw new TypeError('keyward: token is required: an operator token (kwo_…) of role service, as the token option or KEYWARD_TOKEN');
  if (!/^kwo_[0-9A-Za-z]+$/.test(token)) throw new TypeError('keyward: token must be an operator token (kwo_…), ideally of role service');
  const home = resolveHome(options.home);
  const found = resolveConnection({ home, url: options.url, token });
  if (found.url === undefined) throw new TypeError(`keyward: ${noDaemonMessage(found)}`);
  checkDaemonUrl(found.url);
  return new DaemonLink({ url: found.url, token, identity: found.identity, timeoutMs: options.timeoutMs ?? 2000 });
}

/** The daemon's address, as given or from `KEYWARD_URL`: an http(s) origin, nothing more (paths are the verifier's). */
function checkDaemonUrl(text: string): void {
  const problem = daemonUrlProblem(text);
  if (problem) throw new TypeError(`keyward: the daemon's url must be ${DAEMON_URL_EXAMPLE}, got ${JSON.stringify(problem.shown)}`);
}

/** The daemon's bounds of `?leaseMs` (replica/schemas.ts): a value outside would be refused at every connect, and the verifier never ready. */
const LEASE_MS = { min: 100, max: 60_000 };

/** Refuses, when the verifier is made, a lease or a time-out the daemon or `fetch` would refuse at every request. */
function checkDurations({ leaseMs, timeoutMs }: VerifierOptions): void {
  if (leaseMs !== undefined && !(Number.isInteger(leaseMs) && leaseMs >= LEASE_MS.min && leaseMs <= LEASE_MS.max)) {
    throw new TypeError(`keyward: leaseMs must be a whole number of milliseconds from ${LEASE_MS.min} to ${LEASE_MS.max} (the daemon caps it at its own lease, 1000 by default), got ${String(leaseMs)}`);
  }
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0 && timeoutMs <= 2 ** 31 - 1)) {
    throw new TypeError(`keyward: timeoutMs must be a whole number of milliseconds above 0, got ${String(timeoutMs)}`);
  }
}

/** A verifier for the daemon `options` name; it starts following at once. */
export function createVerifier(options: VerifierOptions = {}): Verifier {
  checkDurations(options);
  const link = linkFor(options);
  if (options.mode === 'remote') return new RemoteVerifier(link);
  return new ReplicaVerifier(link, { leaseMs: options.leaseMs, onStateChange: options.onStateChange ?? logState });
}

const shared = new Map<string, Verifier>();

/**
 * One verifier per daemon, token and mode in this process, for the middlewares: a service
 * that mounts the middleware on many routes keeps one copy, not one per route. Closing it
 * lets the next call create a new one.
 */
export function sharedVerifier(options: VerifierOptions): Verifier {
  // Before the lookup: NaN and Infinity are null in the id, as an option not given is.
  checkDurations(options);
  const id = JSON.stringify([options.mode ?? 'replica', options.url, options.token, options.home, options.leaseMs, options.timeoutMs]);
  const existing = shared.get(id);
  if (existing && existing.state !== 'closed') return existing;
  const verifier = createVerifier(options);
  const close = verifier.close.bind(verifier);
  verifier.close = () => {
    if (shared.get(id) === verifier) shared.delete(id);
    return close();
  };
  shared.set(id, verifier);
  return verifier;
}
