/**
 * NDJSON read as a stream, for `keyward keys import`: lines numbered as an editor numbers them,
 * grouped into batches that fit one import call (a count and a byte budget), with no more than
 * one batch in memory. The stream is pulled, never pushed, so a million-line file is read as
 * fast as the daemon takes it and no faster.
 */
import { StringDecoder } from 'node:string_decoder';

export type Line = { number: number; text: string };

/** The lines of `chunks` (UTF-8), `\n` or `\r\n` ended, with their 1-based numbers; blank lines are skipped. */
export async function* numberedLines(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<Line> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let number = 0;
  const split = function* (text: string, final: boolean): Generator<Line> {
    const parts = text.split('\n');
    pending = final ? '' : parts.pop()!;
    for (const part of parts) {
      number++;
      const line = part.endsWith('\r') ? part.slice(0, -1) : part;
      if (line.trim() !== '') yield { number, text: line };
    }
  };
  for await (const chunk of chunks) yield* split(pending + (typeof chunk === 'string' ? chunk : decoder.write(chunk)), false);
  yield* split(pending + decoder.end(), true);
}

/** A batch: the items to send and, for each, the line it came from. */
export type Batch = { items: unknown[]; lines: number[]; bytes: number };

export type BatchLimits = { count: number; bytes: number };

/** The item a line holds (one JSON object), or why it holds none. */
function itemOf(text: string, bytes: number, maxBytes: number): { item: object } | { problem: string } {
  // Re-serialized, an item is never longer than its line, so lines within budget make a body within it.
  if (bytes > maxBytes) return { problem: `longer than the ${Math.round(maxBytes / 1024)} KiB one import call may send` };
  let item: unknown;
  try {
    item = JSON.parse(text);
  } catch {
    return { problem: 'not valid JSON (each line must be one JSON object)' };
  }
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return { problem: 'not a JSON object' };
  return { item };
}

/** A line that cannot be sent: it names the line, never its content (which may hold a secret). */
export class BadLine extends Error {
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(`line ${line}: ${problem}`);
    this.name = 'BadLine';
  }
}

/**
 * Batches of at most `limits.count` items whose JSON stays within `limits.bytes`. A line that is
 * not a JSON object, or too long for any batch, throws `BadLine`: the batches before it are out,
 * the one it belongs to never is.
 */
export async function* batches(lines: AsyncIterable<Line>, limits: BatchLimits): AsyncGenerator<Batch> {
  let batch: Batch = { items: [], lines: [], bytes: 0 };
  for await (const { number, text } of lines) {
    const bytes = Buffer.byteLength(text) + 1;
    const parsed = itemOf(text, bytes, limits.bytes);
    // The batch this line would join is never sent: all or nothing, as the daemon does with a batch.
    if ('problem' in parsed) throw new BadLine(number, parsed.problem);
    if (batch.items.length === limits.count || batch.bytes + bytes > limits.bytes) {
      yield batch;
      batch = { items: [], lines: [], bytes: 0 };
    }
    batch.items.push(parsed.item);
    batch.lines.push(number);
    batch.bytes += bytes;
  }
  if (batch.items.length) yield batch;
}
