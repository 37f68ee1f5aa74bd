/**
 * Finds keyward secrets (`kw_…` API keys, `kwo_…` operator tokens) in a stream of bytes, with
 * the line each starts on. Only strings with the right shape and a valid checksum count, so a
 * typo, a truncated key or a look-alike is never reported. Pure: bytes in, findings out.
 *
 * Speed (`npm run bench -- scan`): the searches are native `Buffer.indexOf` calls for `kw_` and
 * `kwo_`; only their rare hits are looked at in JavaScript, and newlines are counted with the
 * same native search (~1.4 GB/s here, where a byte loop in JavaScript managed ~0.5 GB/s), and
 * only as far as the last secret of the final chunk.
 * Chunks are joined to a carry of at most 52 bytes, so a secret split between two reads is
 * still found.
 */
import { isWellFormed, KEY_PREFIX, OPERATOR_TOKEN_PREFIX, type SecretPrefix } from '../decide/secret.js';

export type Found = { secret: string; prefix: SecretPrefix; line: number };

/** Characters after the prefix: 43 of random body, 6 of checksum. */
const TAIL = 49;
/** The longest secret: `kwo_` and its tail. A candidate starting in the last LONGEST-1 bytes may continue in the next chunk. */
const LONGEST = OPERATOR_TOKEN_PREFIX.length + TAIL;
const NEWLINE = 0x0a;

/** Whether byte `c` is an ASCII letter or digit (base62). */
function isBase62(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** Newlines in `buf[from, to)`. */
function countNewlines(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(NEWLINE, from); i !== -1 && i < to; i = buf.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

/**
 * Feed it chunks with `write` and finish with `end`; each secret found is passed to `onFound`
 * in the order it appears.
 *
 * @example
 * const finder = new SecretFinder((f) => found.push(f));
 * for await (const chunk of stream) finder.write(chunk);
 * finder.end();
 */
export class SecretFinder {
  private carry: Buffer = Buffer.alloc(0);
  /** The line at `counted` in the buffer being searched; between writes, the line `carry` starts on. */
  private line = 1;
  private counted = 0;

  constructor(private readonly onFound: (found: Found) => void) {}

  write(chunk: Buffer): void {
    const buf = this.join(chunk);
    // Candidates starting in the tail may be cut short: they wait for the next chunk.
    const limit = Math.max(0, buf.length - (LONGEST - 1));
    this.search(buf, limit);
    this.line += countNewlines(buf, this.counted, limit);
    this.carry = Buffer.from(buf.subarray(limit));
  }

  /**
   * Searches what is left, with `last` as the final bytes when given. Newlines after the last
   * secret are never counted, so a file read in one piece costs no counting unless it has one.
   */
  end(last?: Buffer): void {
    this.search(last ? this.join(last) : this.carry, Number.MAX_SAFE_INTEGER);
    this.carry = Buffer.alloc(0);
  }

  private join(chunk: Buffer): Buffer {
    return this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
  }

  /** Reports every secret starting in `buf[0, limit)`, counting lines up to the last one (`counted`). */
  private search(buf: Buffer, limit: number): void {
    this.counted = 0;
    // Two native searches, merged in order: a text full of "kw" costs nothing in JavaScript.
    let key = buf.indexOf(KEY_PREFIX, 0, 'latin1');
    let token = buf.indexOf(OPERATOR_TOKEN_PREFIX, 0, 'latin1');
    for (;;) {
      const i = key === -1 ? token : token === -1 ? key : Math.min(key, token);
      if (i === -1 || i >= limit) break;
      const prefix = i === key ? KEY_PREFIX : OPERATOR_TOKEN_PREFIX;
      if (i === key) key = buf.indexOf(KEY_PREFIX, i + 1, 'latin1');
      else token = buf.indexOf(OPERATOR_TOKEN_PREFIX, i + 1, 'latin1');
      const end = i + prefix.length + TAIL;
      if (end > buf.length || !base62Run(buf, i + prefix.length, end)) continue;
      const secret = buf.toString('latin1', i, end);
      if (!isWellFormed(secret, prefix)) continue;
      this.line += countNewlines(buf, this.counted, i);
      this.counted = i;
      this.onFound({ secret, prefix, line: this.line });
    }
  }
}

function base62Run(buf: Buffer, from: number, to: number): boolean {
  for (let j = from; j < to; j++) if (!isBase62(buf[j]!)) return false;
  return true;
}

/** The leading bytes of a file that decide whether it is binary (git looks at as many). */
export const SNIFF_BYTES = 8000;

/** A NUL byte among the first bytes marks a binary file, as git and grep decide. */
export function looksBinary(head: Buffer): boolean {
  return head.subarray(0, SNIFF_BYTES).includes(0);
}
