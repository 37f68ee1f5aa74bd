/**
 * Secrets in text that people read: a hint that tells keys apart, and redaction of anything
 * shaped like a key, token or signing secret. Shared by the daemon (names, error messages, a
 * webhook's URL), the clients (sanitize.ts, a daemon's environment) and the leak scanner, so
 * none of them reaches into the daemon for it.
 */
import type { SecretPrefix } from './decide/secret.js';

/** A human hint such as `kw_AbCd…wXyZ`: enough to tell keys apart, far too little to guess one. */
export function hintOf(secret: string, prefix: SecretPrefix): string {
  return `${secret.slice(0, prefix.length + 4)}…${secret.slice(-4)}`;
}

// A prefix and 16 or more base62 characters: a secret, or enough of one to help guess it
// (webhook signing secrets are base64url, so `-` and `_` count for them).
const SECRET_LIKE = /kwo?_[0-9A-Za-z]{16,}|whsec_[0-9A-Za-z_-]{16,}/g;

/**
 * `text` with anything shaped like a key or token replaced, for text that may quote what a
 * client sent (an error message naming the "id" a user pasted a secret into).
 */
export function redactSecrets(text: string): string {
  return text.replace(SECRET_LIKE, (match) => `${match.slice(0, match.indexOf('_') + 1)}…(secret removed)`);
}

/** Whether `text` holds anything shaped like a key or token (what `redactSecrets` removes). */
export function containsSecret(text: string): boolean {
  return redactSecrets(text) !== text;
}
