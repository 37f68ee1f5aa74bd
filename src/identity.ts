/**
 * Daemon identity: how a client tells the daemon of its home from whatever else answers on
 * that address (a program that took the port while the daemon was down). Each start draws a
 * fresh secret, `instance`, and writes it to `daemon.json`, which only the home's owner can
 * read. A client asks `GET /v1/health` with a random challenge and accepts the daemon only if
 * it answers with the HMAC of the challenge under that secret; only then does a token go out.
 * Shared by the daemon (which answers) and its clients (which check).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const CHALLENGE_HEADER = 'X-Keyward-Challenge';
export const PROOF_HEADER = 'X-Keyward-Proof';

/** What a challenge may look like: visible ASCII, long enough to be a real nonce. */
export const CHALLENGE_PATTERN = /^[\x21-\x7e]{16,256}$/;

/** A new instance secret: 32 random bytes, base64url as written to daemon.json. */
export function newInstance(): string {
  return randomBytes(32).toString('base64url');
}

/** A new challenge: never reused, so an answer overheard once proves nothing later. */
export function newChallenge(): string {
  return randomBytes(32).toString('base64url');
}

/** base64url(HMAC-SHA256(key = the 32 bytes `instance` encodes, message = the challenge)). */
export function proofOf(instance: string, challenge: string): string {
  return createHmac('sha256', Buffer.from(instance, 'base64url')).update(challenge, 'utf8').digest('base64url');
}

/** True when `proof` is the answer to `challenge` under `instance`. */
export function isProof(instance: string, challenge: string, proof: string | null): boolean {
  if (proof === null) return false;
  const want = Buffer.from(proofOf(instance, challenge));
  const got = Buffer.from(proof);
  return got.length === want.length && timingSafeEqual(got, want);
}
