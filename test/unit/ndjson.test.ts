/** The CLI's NDJSON reader: line numbers across chunk boundaries, batches by count and bytes, bad lines. */
import { describe, expect, it } from 'vitest';
import { BadLine, batches, numberedLines, type Batch } from '../../src/cli/ndjson.js';

async function* chunksOf(...parts: (string | Buffer)[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield typeof part === 'string' ? Buffer.from(part) : part;
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('numberedLines', () => {
  it('numbers lines as an editor does, across chunks, CRLF and a multi-byte character split in two', async () => {
    const euro = Buffer.from('€');
    const lines = await all(numberedLines(chunksOf('{"a":1}\r\n\n{"b"', ':2}\n  \n{"c":"', euro.subarray(0, 1), Buffer.concat([euro.subarray(1), Buffer.from('"}')])), 1024));
    expect(lines).toEqual([
      { number: 1, text: '{"a":1}' },
      { number: 3, text: '{"b":2}' },
      { number: 5, text: '{"c":"€"}' },
    ]);
  });

  it('skips a byte order mark before the first line only, even cut between chunks', async () => {
    const bom = Buffer.from('\uFEFF');
    const lines = await all(numberedLines(chunksOf(bom.subarray(0, 1), Buffer.concat([bom.subarray(1), Buffer.from('{"a":1}\n\uFEFF{"b":2}\n')])), 1024));
    expect(lines).toEqual([
      { number: 1, text: '{"a":1}' },
      { number: 2, text: '\uFEFF{"b":2}' },
    ]);
  });

  it('refuses a line that is not UTF-8, naming it, rather than import U+FFFD for its bytes', async () => {
    const euro = Buffer.from('€');
    const read: string[] = [];
    const err = await (async () => {
      for await (const line of numberedLines(chunksOf('{"a":1}\n', Buffer.concat([Buffer.from('{"name":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]), '{"b":2}\n'), 1024)) read.push(line.text);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadLine);
    expect(err).toMatchObject({ line: 2, message: 'line 2: not valid UTF-8' });
    expect(read, 'the lines before it were read').toEqual(['{"a":1}']);
    // A character whose bytes are cut off by the end of the input is no character either.
    const cut = await all(numberedLines(chunksOf('{"a":1}\n{"b":"', euro.subarray(0, 2)), 1024)).catch((e: unknown) => e);
    expect(cut).toMatchObject({ line: 2, message: 'line 2: not valid UTF-8' });
  });

  it('refuses a line at the limit while it is read, whether or not a newline ever comes', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"a":1}\n');
      for (;;) {
        pulled++;
        yield Buffer.alloc(100, 0x78);
      }
    }
    const err = await all(numberedLines(endless(), 1024)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadLine);
    expect(err).toMatchObject({ line: 2, message: 'line 2: longer than the 1 KiB one import call may send' });
    expect(pulled).toBe(11);
    // A line of exactly the limit, its newline counted, is taken.
    const fits = await all(numberedLines(chunksOf('x'.repeat(1023) + '\n', 'y'.repeat(1023)), 1024));
    expect(fits.map((l) => l.text.length)).toEqual([1023, 1023]);
  });
});

describe('batches', () => {
  const lines = (n: number) => chunksOf(Array.from({ length: n }, (_, i) => JSON.stringify({ name: `k${i + 1}` })).join('\n'));

  it('cuts batches by count and by bytes, keeping each item’s line', async () => {
    const byCount = await all(batches(numberedLines(lines(5), 1024), { count: 2, bytes: 1024 }));
    expect(byCount.map((b) => b.lines)).toEqual([[1, 2], [3, 4], [5]]);
    expect(byCount[2]!.items).toEqual([{ name: 'k5' }]);
    const byBytes = await all(batches(numberedLines(lines(5), 1024), { count: 100, bytes: 30 }));
    expect(byBytes.map((b) => b.lines)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('throws BadLine for a line that is not a JSON object, without the batch it belongs to', async () => {
    for (const bad of ['{"name":', '[1,2]', '42', 'null']) {
      const seen: Batch[] = [];
      const input = chunksOf(['{"name":"k1"}', '{"name":"k2"}', '{"name":"k3"}', bad, '{"name":"k5"}'].join('\n'));
      const err = await (async () => {
        for await (const batch of batches(numberedLines(input, 1024), { count: 2, bytes: 1024 })) seen.push(batch);
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadLine);
      expect(err).toMatchObject({ line: 4 });
      expect(seen.map((b) => b.lines)).toEqual([[1, 2]]);
    }
  });

  it('refuses a line longer than a call may send, never quoting it', async () => {
    const secret = 'sk_live_' + 'x'.repeat(100);
    const err = await all(batches(numberedLines(chunksOf(JSON.stringify({ name: 'big', secret })), 1024), { count: 10, bytes: 64 })).catch((e: unknown) => e);
    expect(err).toMatchObject({ line: 1, message: expect.stringContaining('line 1: longer than') });
    expect(String((err as Error).message)).not.toContain(secret);
  });
});
