import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BASE62_ALPHABET } from '../../src/decide/secret.js';
import { base62, generateSecret, hashSecret, isWellFormed, KEY_PREFIX, newId, OPERATOR_TOKEN_PREFIX } from '../../src/daemon/secrets/format.js';
import { hintOf } from '../../src/secret-text.js';

describe('secret format', () => {
  it('generates kw_ + 43 base62 + 6-char checksum that checks out', () => {
    const secret = generateSecret(KEY_PREFIX);
    expect(secret).toMatch(/^kw_[0-9A-Za-z]{49}$/);
    expect(isWellFormed(secret, KEY_PREFIX)).toBe(true);
  });

  it('rejects any single-character typo through the checksum', () => {
    const secret = generateSecret(KEY_PREFIX);
    for (let i = 3; i < secret.length; i++) {
      const c = secret[i] === 'a' ? 'b' : 'a';
      const typo = secret.slice(0, i) + c + secret.slice(i + 1);
      expect(isWellFormed(typo, KEY_PREFIX), `typo at ${i}`).toBe(false);
    }
  });

  it('never accepts an operator token as an API key or the reverse', () => {
    const token = generateSecret(OPERATOR_TOKEN_PREFIX);
    expect(token.startsWith('kwo_')).toBe(true);
    expect(isWellFormed(token, OPERATOR_TOKEN_PREFIX)).toBe(true);
    expect(isWellFormed(token, KEY_PREFIX)).toBe(false);
    expect(isWellFormed(generateSecret(KEY_PREFIX), OPERATOR_TOKEN_PREFIX)).toBe(false);
  });

  it('rejects wrong lengths, prefixes and characters', () => {
    const secret = generateSecret(KEY_PREFIX);
    for (const bad of ['', 'kw_', secret + 'a', secret.slice(0, -1), 'xx' + secret.slice(2), secret.replace(/.$/, '-'), secret.toUpperCase()]) {
      expect(isWellFormed(bad, KEY_PREFIX), bad).toBe(false);
    }
  });

  it('hashes with SHA-256 and hints with a short prefix and suffix', () => {
    const secret = generateSecret(KEY_PREFIX);
    expect(hashSecret(secret)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSecret(secret)).not.toBe(hashSecret(generateSecret(KEY_PREFIX)));
    const hint = hintOf(secret, KEY_PREFIX);
    expect(hint).toBe(`${secret.slice(0, 7)}…${secret.slice(-4)}`);
  });

  it('makes ids unrelated to secrets', () => {
    expect(newId('key_')).toMatch(/^key_[0-9A-Za-z]{22}$/);
    expect(newId('key_')).not.toBe(newId('key_'));
  });
});

describe('base62', () => {
  /** The encoding as a BigInt states it: the reference the plain-number division is held to. */
  function viaBigInt(bytes: Uint8Array, width: number): string {
    let n = BigInt('0x' + (Buffer.from(bytes).toString('hex') || '0'));
    let out = '';
    while (n > 0n) {
      out = BASE62_ALPHABET[Number(n % 62n)] + out;
      n /= 62n;
    }
    return out.padStart(width, '0');
  }

  it('writes any bytes as their number in base 62, as BigInt arithmetic does', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), fc.integer({ min: 0, max: 60 }), (bytes, width) => {
        expect(base62(bytes, width)).toBe(viaBigInt(bytes, width));
      }),
      { numRuns: 5_000 },
    );
    for (const bytes of [new Uint8Array(16), new Uint8Array(16).fill(255), new Uint8Array(32).fill(255), Uint8Array.of(0, 0, 1), Uint8Array.of(61), Uint8Array.of(62)]) {
      expect(base62(bytes, 22)).toBe(viaBigInt(bytes, 22));
    }
  });
});
