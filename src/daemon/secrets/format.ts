/**
 * The secret format of DESIGN.md §2: `<prefix>` + base62 of 32 random bytes + a 6-character
 * base62 CRC32 of everything before it. The checksum lets the daemon (and secret scanners)
 * reject a typo without a store lookup. Pure apart from `randomBytes`.
 */
import * as crypto from 'node:crypto';
import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const KEY_PREFIX = 'kw_';
export const OPERATOR_TOKEN_PREFIX = 'kwo_';
export type SecretPrefix = typeof KEY_PREFIX | typeof OPERATOR_TOKEN_PREFIX;

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 43; // ceil(256 bits / log2(62))
const CHECKSUM_LENGTH = 6; // 62^6 > 2^32

/** Base62 of a big-endian unsigned integer, left-padded with `0` to `width`. */
function base62(bytes: Uint8Array, width: number): string {
  let n = BigInt('0x' + (Buffer.from(bytes).toString('hex') || '0'));
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(width, '0');
}

/**
 * Base62 of the CRC32, six digits. Plain number arithmetic, not `base62()`'s BigInt: every
 * verify and every authenticated request runs this.
 */
function checksum(text: string): string {
  let n = crc32(text);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** A new secret with the given prefix, e.g. `kw_…` for an API key. */
export function generateSecret(prefix: SecretPrefix): string {
  const head = prefix + base62(randomBytes(32), BODY_LENGTH);
  return head + checksum(head);
}

const BASE62_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) BASE62_VALUE[ALPHABET.charCodeAt(i)] = i;

/**
 * True when `value` has the shape and checksum of a secret with `prefix`. No I/O. The checksum
 * is compared as a number, not rebuilt as text: every verify checks two secrets (the token and
 * the key), and slicing and rebuilding the checksum cost more than the SHA-256 after it.
 */
export function isWellFormed(value: string, prefix: SecretPrefix): boolean {
  if (value.length !== prefix.length + BODY_LENGTH + CHECKSUM_LENGTH || !value.startsWith(prefix)) return false;
  const checksumStart = value.length - CHECKSUM_LENGTH;
  let stated = 0;
  for (let i = prefix.length; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const digit = code < 128 ? BASE62_VALUE[code]! : -1;
    if (digit < 0) return false;
    if (i >= checksumStart) stated = stated * 62 + digit;
  }
  // Six base62 digits hold any CRC32 exactly (62^6 > 2^32), so the numbers compare as the text would.
  return stated === crc32(value.slice(0, checksumStart));
}

// One-shot crypto.hash (Node ≥ 20.12) skips building a Hash object, about twice as fast;
// every verify hashes two secrets (the operator token and the key).
const sha256Hex: (value: string) => string =
  typeof crypto.hash === 'function'
    ? (value) => crypto.hash('sha256', value, 'hex')
    : (value) => createHash('sha256').update(value).digest('hex');

/** The stored form of a secret: hex SHA-256 of the whole string. */
export function hashSecret(value: string): string {
  return sha256Hex(value);
}

/** A human hint such as `kw_AbCd…wXyZ`: enough to tell keys apart, far too little to guess one. */
export function hintOf(secret: string, prefix: SecretPrefix): string {
  return `${secret.slice(0, prefix.length + 4)}…${secret.slice(-4)}`;
}

// A prefix and 16 or more base62 characters: a secret, or enough of one to help guess it.
const SECRET_LIKE = /kwo?_[0-9A-Za-z]{16,}/g;

/**
 * `text` with anything shaped like a key or token replaced, for text that may quote what a
 * client sent (an error message naming the "id" a user pasted a secret into).
 */
export function redactSecrets(text: string): string {
  return text.replace(SECRET_LIKE, (match) => `${match.slice(0, match.indexOf('_') + 1)}…(secret removed)`);
}

/** A random public id such as `key_3xY…`, unrelated to any secret. */
export function newId(prefix: 'key_' | 'op_' | 'rot_' | 'evt_'): string {
  return prefix + base62(randomBytes(16), 22);
}
