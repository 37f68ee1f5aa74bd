/**
 * What a verify asks, and what every verifier (replica or remote) answers with: the request
 * brought to the form the daemon takes (so a replica decides exactly what the daemon would),
 * the scopes a service names checked up front, the verifier interface, and its one error.
 */
import { CALLER_MAX, cleanCallerLabel } from '../../caller-label.js';
import { parseAddress } from '../../decide/ip.js';
import { scopeProblem, SCOPES_MAX } from '../../decide/scopes.js';
import { KEY_MAX, type VerifyResult } from '../../decide/verify.js';

export type { VerifyResult };

export type VerifyOptions = {
  /** Who presented the key (a client name, an address): shown in its usage and a rotation's evidence. */
  caller?: string;
  /** Scopes the request needs, all of them. */
  scope?: string | readonly string[];
  /** The client's address, for keys with an allow list. */
  ip?: string;
};

/**
 * `starting`: no copy yet, verify asks the daemon; `replica`: verify answers from the copy;
 * `remote`: the lease ran out (the daemon is silent, or the copy fell behind), verify asks the
 * daemon and fails when it cannot; `closed`.
 */
export type VerifierState = 'starting' | 'replica' | 'remote' | 'closed';

export interface Verifier {
  /** The decision on `key`; rejects with `VerifierUnavailable` when neither a copy nor the daemon can answer. */
  verify(key: string, options?: VerifyOptions): Promise<VerifyResult>;
  /**
   * The decision at once, without a promise, when the verifier can give it from memory (a
   * replica holding a lease); undefined when only `verify` can (it must ask the daemon).
   */
  verifyNow?(key: string, options?: VerifyOptions): VerifyResult | undefined;
  /** Resolves once verify answers without asking the daemon (at once for a remote verifier). */
  ready(): Promise<void>;
  /**
   * Resolves once this verifier sees every change the daemon had made when it was called (at
   * once for a remote verifier): after a write that widened access (a new key is seen at once
   * anyway), to use it here without a refusal in between.
   */
  sync(): Promise<void>;
  /** Stops; a replica first sends the usage it counted. */
  close(): Promise<void>;
  readonly state: VerifierState;
}

/** Neither the verifier's copy nor the daemon could answer: a service must refuse the request (503). */
export class VerifierUnavailable extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'VerifierUnavailable';
  }
}

/** `err`'s message without the `keyward: ` each of ours begins with, to quote in a line that says it already. */
export function reasonOf(err: Error): string {
  return err.message.replace(/^keyward: /, '');
}

export const MALFORMED: VerifyResult = { valid: false, code: 'malformed' };
export const NOT_FOUND: VerifyResult = { valid: false, code: 'not_found' };

/** A verify as `POST /v1/verify` takes it. */
export type VerifyBody = { key: string; caller?: string; scope?: string | readonly string[]; ip?: string };

type Scopes = string | readonly string[];

const asList = (scope: Scopes | undefined): string[] => (scope === undefined ? [] : typeof scope === 'string' ? [scope] : [...scope]);

/** Throws for a scope that is none: a typo in a route's scope is the service's bug. */
function checkScope(scope: string, where: string): void {
  const problem = scopeProblem(scope);
  if (problem) throw new TypeError(`keyward: ${where} ${JSON.stringify(scope)} ${problem}`);
}

/**
 * Throws for scopes a verify cannot send: one that is none, or more than the daemon's verify
 * takes, so a replica refuses what the daemon would refuse (it answered 400, which a service
 * saw as the daemon unavailable, while a replica decided). Without a copy: a middleware with
 * `scope` sends its list with every request.
 */
function checkVerifyScopes(scope: Scopes, where: string): void {
  if (typeof scope === 'string') return checkScope(scope, where);
  if (scope.length > SCOPES_MAX) throw new TypeError(`keyward: ${where} names ${scope.length} scopes: a verify takes at most ${SCOPES_MAX} scopes`);
  for (const s of scope) checkScope(s, where);
}

/** `scope` as a list, each checked up front. */
export function scopeList(scope: Scopes | undefined, where: string): string[] {
  const list = asList(scope);
  for (const s of list) checkScope(s, where);
  return list;
}

/** `scope` as a list a verify may send (see `checkVerifyScopes`). */
export function verifyScopes(scope: Scopes | undefined, where: string): string[] {
  if (scope !== undefined) checkVerifyScopes(scope, where);
  return asList(scope);
}

/**
 * `key` and `options` as the daemon would read them: the caller without control characters,
 * trimmed and cut to its limit (never through a character); an address that is none dropped
 * (a key with an allow list then refuses it, as without one). Undefined for a key too long to
 * be one. A scope that is not one is a mistake in the service: it throws.
 */
export function verifyBody(key: string, options: VerifyOptions = {}): VerifyBody | undefined {
  if (key.length > KEY_MAX) return undefined;
  const body: VerifyBody = { key };
  const caller = options.caller === undefined ? undefined : cleanCaller(options.caller);
  if (caller) body.caller = caller;
  if (options.scope !== undefined) {
    checkVerifyScopes(options.scope, 'scope');
    body.scope = options.scope;
  }
  if (options.ip !== undefined && parseAddress(options.ip)) body.ip = options.ip;
  return body;
}

/**
 * Callers cleaned lately: a service sees the same few labels (client names, addresses) again
 * and again, and cleaning one is most of what preparing a verify costs. Bounded: when full it
 * starts over.
 */
const cleaned = new Map<string, string>();
const CLEANED_MAX = 4096;

/** Raw labels longer than this are cleaned each time: from a header, they would fill the map with kilobytes a label. */
const CLEANED_RAW_MAX = 4 * CALLER_MAX;

/** `cleanCallerLabel`, cut to the daemon's limit (a service may pass on any header); empty is none. */
function cleanCaller(raw: string): string {
  if (raw.length > CLEANED_RAW_MAX) return cut(cleanCallerLabel(raw) ?? '');
  let label = cleaned.get(raw);
  if (label === undefined) {
    if (cleaned.size >= CLEANED_MAX) cleaned.clear();
    label = cut(cleanCallerLabel(raw) ?? '');
    cleaned.set(raw, label);
  }
  return label;
}

function cut(text: string): string {
  if (text.length <= CALLER_MAX) return text;
  let out = '';
  for (const ch of text) {
    if (out.length + ch.length > CALLER_MAX) break;
    out += ch;
  }
  return out.trim();
}
