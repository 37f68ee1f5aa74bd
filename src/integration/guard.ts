/**
 * The part of the middlewares (`keyward/hono`, `keyward/express`) that does not depend on the
 * framework: options checked once, the verifier chosen (a shared replica by default), and for
 * each request the key it presents turned into either the key to let through or the HTTP
 * answer that refuses it (./outcome.ts). It fails closed: when neither the verifier's copy nor
 * the daemon can answer, the answer is 503, never a pass.
 */
import { performance } from 'node:perf_hooks';
import { scopesGranted } from '../decide/scopes.js';
import type { VerifyResult } from '../decide/verify.js';
import { rateLimitHeaders, rejectionAnswer, unavailableAnswer, type HttpAnswer } from './outcome.js';
import { bearerKey } from './presented.js';
import { sharedVerifier, type VerifierOptions } from './verifier/index.js';
import { reasonOf, verifyScopes, type Verifier } from './verifier/request.js';

export type GuardOptions = Pick<VerifierOptions, 'url' | 'token' | 'home' | 'leaseMs' | 'timeoutMs' | 'onStateChange'> & {
  /** `replica` (default): verify from an in-process copy of the index; `remote`: ask the daemon per request. */
  mode?: 'replica' | 'remote';
  /** A verifier of your own (`createVerifier`) instead of the shared one for `url` and `token`. */
  verifier?: Verifier;
  /** Scopes every request through this middleware needs, all of them (e.g. `orders:write`). */
  scope?: string | readonly string[];
  /** Told when the daemon cannot be asked (the request then gets 503); default: a line on stderr, at most one every 10 s. */
  onUnavailable?: (error: Error) => void;
};

/** The key a request was let through with. */
export type ApiKey = Pick<Extract<VerifyResult, { valid: true }>, 'owner' | 'meta' | 'scopes' | 'rateLimit' | 'quota'> & { id: string; name: string };

/** What a request presents, as the framework reads it. */
export type Presented = {
  authorization: string | undefined;
  ip: string | undefined;
  caller: string | undefined;
  /** The key an earlier middleware already let this request through with, if any. */
  verified?: ApiKey;
};

export type Checked = { ok: true; apiKey: ApiKey; headers: Record<string, string> } | { ok: false; answer: HttpAnswer };

/**
 * The answer for a key that lacks one of the scopes a route needs, by the daemon's matching;
 * undefined when it has them all. Decided here, so not counted as a rejected use.
 */
export function missingScope(apiKey: ApiKey, wanted: readonly string[]): HttpAnswer | undefined {
  return apiKey.scopes !== null && !scopesGranted(apiKey.scopes, wanted) ? rejectionAnswer({ valid: false, code: 'insufficient_scope' }, wanted) : undefined;
}

const UNAVAILABLE_LOG_EVERY_MS = 10_000;

/**
 * The default `onUnavailable`: a line for the first failure, then at most one every 10 s
 * counting those in between. In an outage every request fails; a line each would bury the log.
 */
function unavailableLog(): (err: Error) => void {
  let lastAt = Number.NEGATIVE_INFINITY;
  let quiet = 0;
  return (err) => {
    const now = performance.now();
    if (now - lastAt < UNAVAILABLE_LOG_EVERY_MS) {
      quiet++;
      return;
    }
    const since = quiet > 0 ? ` (${quiet} more requests refused since the last line)` : '';
    process.stderr.write(`keyward: cannot verify API keys: ${reasonOf(err)}${since}\n`);
    lastAt = now;
    quiet = 0;
  };
}

/** `check` answers at once when the verifier decides from memory, else later: await only a promise. */
export type Guard = { readonly verifier: Verifier; check(request: Presented): Checked | Promise<Checked> };

export function guard(options: GuardOptions): Guard {
  const scopes = verifyScopes(options.scope, 'scope');
  const verifier = options.verifier ?? sharedVerifier({ ...options, mode: options.mode ?? 'replica' });
  const onUnavailable = options.onUnavailable ?? unavailableLog();
  const context = scopes.length > 0 ? { scope: scopes } : {};

  const outcome = (result: VerifyResult): Checked => {
    if (!result.valid) return { ok: false, answer: rejectionAnswer(result, scopes) };
    const { keyId: id, name, owner, meta, scopes: granted, rateLimit, quota } = result;
    return { ok: true, apiKey: { id, name, owner, meta, scopes: granted, ...(rateLimit && { rateLimit }), ...(quota && { quota }) }, headers: rateLimitHeaders(rateLimit) };
  };
  const unavailable = (err: unknown): Checked => {
    onUnavailable(err instanceof Error ? err : new Error(String(err)));
    return { ok: false, answer: unavailableAnswer() };
  };

  return {
    verifier,
    check(request) {
      // Verified once per request, however many middlewares match it (`/orders/*` matches
      // `/orders` too): verifying again would count it twice against the key's rate limit, quota
      // and usage. A later one checks only its scopes, as requireScope() does.
      if (request.verified) {
        const refusal = missingScope(request.verified, scopes);
        return refusal ? { ok: false, answer: refusal } : { ok: true, apiKey: request.verified, headers: {} };
      }
      const key = bearerKey(request.authorization);
      if (!key) return { ok: false, answer: rejectionAnswer({ valid: false, code: 'missing' }) };
      const options = { caller: request.caller, ip: request.ip, ...context };
      const now = verifier.verifyNow?.(key, options);
      if (now) return outcome(now);
      return verifier.verify(key, options).then(outcome, unavailable);
    },
  };
}
