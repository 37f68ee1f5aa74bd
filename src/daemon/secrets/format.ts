/**
 * Making secrets and ids: `<prefix>` + base62 of 32 random bytes + the checksum. The checking
 * half (checksum, shape, hash) lives in `src/decide/secret.ts`, which verifiers outside the
 * daemon share; it is re-exported here so daemon code makes and checks secrets through one
 * module. Hints and redaction, which clients need too, are in `src/secret-text.ts`.
 */
import { randomBytes } from 'node:crypto';
import { BASE62_ALPHABET, SECRET_BODY_LENGTH, secretChecksum, type SecretPrefix } from '../../decide/secret.js';

export { hashSecret, isWellFormed, KEY_PREFIX, OPERATOR_TOKEN_PREFIX, type SecretPrefix } from '../../decide/secret.js';

/**
 * Base62 of a big-endian unsigned integer, left-padded with `0` to `width`. Long division by 62
 * over 32-bit digits in plain numbers (each step stays under 62 × 2^32, exact in a double):
 * through BigInt it took ~5 µs an id, a twentieth of what importing a key costs.
 */
export function base62(bytes: Uint8Array, width: number): string {
  const digits: number[] = [];
  const head = bytes.length % 4;
  if (head) digits.push(bytes.subarray(0, head).reduce((n, byte) => n * 256 + byte, 0));
  for (let i = head; i < bytes.length; i += 4) digits.push(bytes[i]! * 0x1000000 + ((bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!));
  let start = 0;
  let out = '';
  for (;;) {
    while (start < digits.length && digits[start] === 0) start++;
    if (start === digits.length) break;
    let rest = 0;
    for (let i = start; i < digits.length; i++) {
      const value = rest * 0x100000000 + digits[i]!;
      const quotient = Math.floor(value / 62);
      rest = value - quotient * 62;
      digits[i] = quotient;
    }
    out = BASE62_ALPHABET[rest] + out;
  }
  return out.padStart(width, '0');
}

/** A new secret with the given prefix, e.g. `kw_…` for an API key. */
export function generateSecret(prefix: SecretPrefix): string {
  const head = prefix + base62(randomBytes(32), SECRET_BODY_LENGTH);
  return head + secretChecksum(head);
}

type IdPrefix = 'key_' | 'op_' | 'rot_' | 'evt_' | 'whk_' | 'dlv_' | 'alr_';

/** A random public id such as `key_3xY…`, unrelated to any secret. */
export function newId(prefix: IdPrefix): string {
  return prefix + base62(randomBytes(16), 22);
}

/** `count` ids as `newId` makes them, from one draw of random bytes: an import makes 10,000 at once. */
export function newIds(prefix: IdPrefix, count: number): string[] {
  const bytes = randomBytes(16 * count);
  return Array.from({ length: count }, (_, i) => prefix + base62(bytes.subarray(16 * i, 16 * (i + 1)), 22));
}
