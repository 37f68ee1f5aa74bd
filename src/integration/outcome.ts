/**
 * What a service answers its client for each verification outcome, independent of the web
 * framework (the Hono and Express middlewares both use it, through guard.ts): status, headers
 * and a JSON body. The mapping:
 *
 * - `malformed`, `not_found`, `inactive`, `expired` → 401 with
 *   `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1); no key (no
 *   `Authorization`, or another scheme) → 401 with a bare `WWW-Authenticate: Bearer`: a client
 *   that sent no credentials is told which scheme to use, without an error code (§3.1);
 * - `insufficient_scope` → 403 with `WWW-Authenticate: Bearer error="insufficient_scope",
 *   scope="…"` naming the scopes the route needs;
 * - `ip_not_allowed` → 403;
 * - `rate_limited` → 429 with `Retry-After` and the `RateLimit` / `RateLimit-Policy` fields of
 *   draft-ietf-httpapi-ratelimit-headers; `quota_exhausted` → 429, with `Retry-After` when a
 *   refill is due;
 * - the daemon cannot answer → 503 with `Retry-After: 1` (fail closed).
 *
 * Bodies are `{"error":{"code","reason","message"}}`: `code` is the class of refusal, `reason`
 * the verify outcome.
 */
import type { RateLimitState } from '../decide/rate-limit.js';
import type { VerifyResult } from '../decide/verify.js';

export type Rejection = Extract<VerifyResult, { valid: false }> | { valid: false; code: 'missing' };
export type Reason = Rejection['code'];

export type HttpAnswer = {
  status: 401 | 403 | 429 | 503;
  headers: Record<string, string>;
  body: { error: { code: 'unauthorized' | 'forbidden' | 'too_many_requests' | 'unavailable'; reason?: Reason; message: string } };
};

const MESSAGES: Record<Reason, string> = {
  missing: 'An API key is required: Authorization: Bearer kw_…',
  malformed: 'The API key is malformed',
  not_found: 'The API key is not valid',
  inactive: 'The API key has been deactivated',
  expired: 'The API key has expired',
  ip_not_allowed: 'The API key may not be used from this address',
  insufficient_scope: 'The API key lacks a scope this request needs',
  rate_limited: 'Too many requests with this API key; slow down',
  quota_exhausted: 'The API key has used up its quota',
};

/** The name the rate limit goes by in the `RateLimit` fields: the limit of the key presented. */
const POLICY = '"key"';

/**
 * The `RateLimit-Policy` and `RateLimit` fields for a key's rate limit, e.g.
 * `"key";q=100;w=60` and `"key";r=42;t=17`.
 */
export function rateLimitHeaders(state: RateLimitState | undefined): Record<string, string> {
  if (!state) return {};
  return {
    'RateLimit-Policy': `${POLICY};q=${state.limit};w=${state.windowSeconds}`,
    RateLimit: `${POLICY};r=${state.remaining};t=${state.resetSeconds}`,
  };
}

/** The answer to a request whose key was refused; `required` are the scopes the route needs. */
export function rejectionAnswer(rejection: Rejection, required: readonly string[] = []): HttpAnswer {
  const reason = rejection.code;
  const error = (code: HttpAnswer['body']['error']['code']) => ({ error: { code, reason, message: MESSAGES[reason] } });
  switch (rejection.code) {
    case 'insufficient_scope':
      return {
        status: 403,
        headers: { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${required.join(' ')}"` },
        body: error('forbidden'),
      };
    case 'ip_not_allowed':
      return { status: 403, headers: {}, body: error('forbidden') };
    case 'rate_limited':
      return {
        status: 429,
        headers: { 'Retry-After': String(rejection.retryAfterSeconds), ...rateLimitHeaders(rejection.rateLimit) },
        body: error('too_many_requests'),
      };
    case 'quota_exhausted':
      return {
        status: 429,
        headers: rejection.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(rejection.retryAfterSeconds) },
        body: error('too_many_requests'),
      };
    case 'missing':
      return { status: 401, headers: { 'WWW-Authenticate': 'Bearer' }, body: error('unauthorized') };
    default:
      return { status: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' }, body: error('unauthorized') };
  }
}

/** The answer when the daemon cannot be asked: never a pass. */
export function unavailableAnswer(): HttpAnswer {
  return {
    status: 503,
    headers: { 'Retry-After': '1' },
    body: { error: { code: 'unavailable', message: 'API keys cannot be checked right now; try again shortly' } },
  };
}
