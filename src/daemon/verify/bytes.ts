/**
 * Byte-level helpers for the verification index's columns. Plain loops on purpose: for 32 bytes
 * or a 26-character id, Buffer's native write/compare/hex calls measured 100-200 ns each, the
 * loops a tenth of that, and a verify runs several of them. Pure.
 */

export const DIGEST_BYTES = 32;

type Column = Uint8Array | Uint16Array | Uint32Array | Float64Array;

/** A longer copy of `column` (a Buffer stays a Buffer: `new Buffer()` is deprecated). */
export function grown<T extends Column>(column: T, length: number): T {
  const next = Buffer.isBuffer(column) ? Buffer.alloc(length) : new (column.constructor as new (length: number) => T)(length);
  next.set(column);
  return next as T;
}

/** FNV-1a over `bytes[start, end)`: ids are random, but not necessarily in every byte. */
export function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0;
}

const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;

/** Writes the 32 bytes of a lowercase hex SHA-256 at `out[offset]`; false if `hex` is not one. */
export function parseDigest(hex: string, out: Uint8Array, offset: number): boolean {
  if (hex.length !== DIGEST_BYTES * 2) return false;
  for (let i = 0; i < DIGEST_BYTES; i++) {
    const high = HEX_VALUE[hex.charCodeAt(2 * i)] ?? -1;
    const low = HEX_VALUE[hex.charCodeAt(2 * i + 1)] ?? -1;
    if ((high | low) < 0) return false;
    out[offset + i] = (high << 4) | low;
  }
  return true;
}

export function sameBytes(a: Uint8Array, aStart: number, b: Uint8Array, bStart: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}

/** Writes `text` at `out[offset]` if it is all ASCII (one byte a character); false otherwise. */
export function writeAscii(text: string, out: Uint8Array, offset: number): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return false;
    out[offset + i] = code;
  }
  return true;
}

function readUint32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));

/**
 * A 32-bit hash of the digest at `bytes[offset]`, from all of its bytes and `seed`:
 * MurmurHash3 (x86, 32-bit) of the 32 bytes. A key's digest is a SHA-256 of its secret, but one
 * imported by `sha256` is whatever the importer sent: digests sharing their first bytes, filed
 * by those bytes alone, would all land in one probe sequence, and every lookup would walk it.
 * The index picks the seed at random.
 */
export function digestHash(bytes: Uint8Array, offset: number, seed: number): number {
  let hash = seed | 0;
  for (let i = 0; i < DIGEST_BYTES; i += 4) {
    let word = Math.imul(readUint32(bytes, offset + i), 0xcc9e2d51);
    word = Math.imul(rotl(word, 15), 0x1b873593);
    hash = (Math.imul(rotl(hash ^ word, 13), 5) + 0xe6546b64) | 0;
  }
  hash ^= DIGEST_BYTES;
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}
