/**
 * The JSON of a verify answer, byte for byte what `JSON.stringify(result)` writes, for the fast
 * path. A valid answer repeats its key's owner, meta and scopes, which change only when the key
 * is written: they are serialised once per written policy (`EntryPolicy` is compiled once per
 * write) instead of on every verify, and the rest is a few strings and integers. Measured in
 * process on a key with three scopes and a rate limit: 2.1 → 0.6 µs an answer
 * (docs/performance.md). `test/unit/answer.test.ts` holds it to `JSON.stringify`.
 */
import type { EntryPolicy } from '../../decide/policy.js';
import type { RateLimitState } from '../../decide/rate-limit.js';
import type { VerifyResult } from '../../decide/verify.js';

const NO_LABELS = '"owner":null,"meta":null,"scopes":null';
const labels = new WeakMap<EntryPolicy, string>();

function labelsOf(policy: EntryPolicy): string {
  let json = labels.get(policy);
  if (json === undefined) {
    json = `"owner":${JSON.stringify(policy.owner)},"meta":${JSON.stringify(policy.meta)},"scopes":${JSON.stringify(policy.scopes)}`;
    labels.set(policy, json);
  }
  return json;
}

/** Integers print the same in a template as in JSON; anything else goes to JSON.stringify. */
const plainNumbers = (state: RateLimitState) =>
  Number.isSafeInteger(state.limit) && Number.isSafeInteger(state.windowSeconds) && Number.isSafeInteger(state.remaining) && Number.isSafeInteger(state.resetSeconds);

/** `result` as JSON; `policy` is the policy of the key it decided about, when it has one. */
export function answerJson(result: VerifyResult, policy: EntryPolicy | undefined): string {
  if (!result.valid) return JSON.stringify(result);
  // The labels come from the policy as they are (decide() copies them over): anything else is
  // serialised as it stands.
  const fromPolicy = policy ? result.owner === policy.owner && result.meta === policy.meta && result.scopes === policy.scopes : result.owner === null && result.meta === null && result.scopes === null;
  const { rateLimit, quota } = result;
  if (!fromPolicy || (rateLimit && !plainNumbers(rateLimit)) || (quota && !Number.isSafeInteger(quota.remaining))) return JSON.stringify(result);
  let json = `{"valid":true,"keyId":${JSON.stringify(result.keyId)},"name":${JSON.stringify(result.name)},${policy ? labelsOf(policy) : NO_LABELS}`;
  if (rateLimit) {
    json += `,"rateLimit":{"limit":${rateLimit.limit},"windowSeconds":${rateLimit.windowSeconds},"remaining":${rateLimit.remaining},"resetSeconds":${rateLimit.resetSeconds}}`;
  }
  if (quota) json += `,"quota":{"remaining":${quota.remaining}}`;
  return `${json}}`;
}
