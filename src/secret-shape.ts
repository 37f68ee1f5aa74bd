/**
 * The shape of each secret the daemon hands out once: a key and an operator token with their
 * checksum, a webhook's signing secret `whsec_` + base64url of 32 bytes (daemon/webhooks/service.ts).
 * The CLI prints such a secret, and the TUI draws it, as it came (it must be copied exactly), so
 * it must have its shape first: a daemon given with `--url` could answer a "secret" that clears
 * the screen or writes the clipboard (OSC 52).
 */
import { isWellFormed, KEY_PREFIX, OPERATOR_TOKEN_PREFIX } from './decide/secret.js';

const SECRET_SHAPES = {
  key: (secret: string) => isWellFormed(secret, KEY_PREFIX),
  token: (secret: string) => isWellFormed(secret, OPERATOR_TOKEN_PREFIX),
  'signing secret': (secret: string) => /^whsec_[0-9A-Za-z_-]{43}$/.test(secret),
} as const;

export type SecretKind = keyof typeof SECRET_SHAPES;

/** Whether `value` has the shape of a `kind`; the client takes answers as they come, so it may not even be a string. */
export function hasSecretShape(kind: SecretKind, value: unknown): value is string {
  return typeof value === 'string' && SECRET_SHAPES[kind](value);
}
