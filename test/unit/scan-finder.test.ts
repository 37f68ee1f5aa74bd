import { describe, expect, it } from 'vitest';
import { generateSecret } from '../../src/daemon/secrets/format.js';
import { looksBinary, SecretFinder, type Found } from '../../src/scan/finder.js';

/** Finds secrets in `chunks`, the last one handed to `end()` when `lastToEnd` (as files are read). */
function find(chunks: Array<string | Buffer>, lastToEnd = false): Found[] {
  const found: Found[] = [];
  const finder = new SecretFinder((f) => found.push(f));
  const buffers = chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c));
  const last = lastToEnd ? buffers.pop() : undefined;
  for (const chunk of buffers) finder.write(chunk);
  finder.end(last);
  return found;
}

/** `secret` with one character of its random body changed: the checksum no longer matches. */
function typo(secret: string): string {
  const i = secret.indexOf('_') + 5;
  return secret.slice(0, i) + (secret[i] === 'A' ? 'B' : 'A') + secret.slice(i + 1);
}

describe('SecretFinder', () => {
  const key = generateSecret('kw_');
  const token = generateSecret('kwo_');

  it('finds keys and operator tokens with the line each is on', () => {
    const text = `line one\nAPI_KEY=${key}\n\n  "token": "${token}",\nend ${key}`;
    expect(find([text])).toEqual([
      { secret: key, prefix: 'kw_', line: 2 },
      { secret: token, prefix: 'kwo_', line: 4 },
      { secret: key, prefix: 'kw_', line: 5 },
    ]);
  });

  it('ignores a bad checksum, a truncated secret and prefixes in ordinary text', () => {
    const text = `${typo(key)}\n${key.slice(0, -1)}\nkw_ kwo_ kw_short kwo_${'x'.repeat(60)}\nthe kw_ prefix\n`;
    expect(find([text])).toEqual([]);
  });

  it('finds a secret however the input is cut into chunks', () => {
    const text = Buffer.from(`a\nb\n${key}\nc\nd ${token}\n`);
    const whole = find([text]);
    expect(whole.map((f) => f.line)).toEqual([3, 5]);
    for (let cut = 0; cut <= text.length; cut++) {
      expect(find([text.subarray(0, cut), text.subarray(cut)]), `cut at ${cut}`).toEqual(whole);
      expect(find([text.subarray(0, cut), text.subarray(cut)], true), `cut at ${cut}, end(last)`).toEqual(whole);
    }
    // One byte at a time.
    expect(find([...text].map((b) => Buffer.from([b])))).toEqual(whole);
  });

  it('counts lines across many chunks', () => {
    const filler = 'x\n'.repeat(100_000);
    const found = find([filler, filler, `${key}\n`, filler, token]);
    expect(found.map((f) => f.line)).toEqual([200_001, 300_002]);
    expect(find([filler, filler, `${key}\n`, filler, `${filler}${token}`], true).map((f) => f.line)).toEqual([200_001, 400_002]);
  });

  it('finds a secret glued to other text (a URL, an assignment without spaces)', () => {
    expect(find([`https://api.example.com/?key=${key}&x=1`]).map((f) => f.secret)).toEqual([key]);
    expect(find([`X${key}`]).map((f) => f.secret)).toEqual([key]);
  });
});

describe('looksBinary', () => {
  it('is true for a NUL byte among the first 8000 bytes only', () => {
    expect(looksBinary(Buffer.from('plain text\n'))).toBe(false);
    expect(looksBinary(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00]))).toBe(true);
    expect(looksBinary(Buffer.concat([Buffer.alloc(8000, 0x61), Buffer.from([0])]))).toBe(false);
  });
});
