/**
 * NDJSON read as a stream, for `keyward keys import`: lines numbered as an editor numbers them,
 * grouped into batches that fit one import call (a count and a byte budget), with no more than
 * one batch in memory. The stream is pulled, never pushed, so a million-line file is read as
 * fast as the daemon takes it and no faster.
 */
export type Line = { number: number; text: string };

const NEWLINE = 0x0a;
/** A byte order mark, which some Windows tools write first; JSON.parse takes it for a stray character. */
const BOM = '\uFEFF';
/**
 * Lines are read as the daemon reads a body: strict UTF-8. A lenient decode would turn a bad
 * byte into U+FFFD and import a name, or hash a secret, other than the one in the file.
 */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Why a line is refused for its length: the same words whether its end was seen or not. */
function tooLong(maxBytes: number): string {
  return `longer than the ${Math.round(maxBytes / 1024)} KiB one import call may send`;
}

/**
 * The lines of `chunks` (UTF-8), `\n` or `\r\n` ended, with their 1-based numbers; blank lines
 * are skipped, and a byte order mark before the first. A line longer than `maxLineBytes` (its
 * newline counted) throws `BadLine` as soon as that many bytes are read without a newline: input
 * that never ends a line (`< /dev/zero`) is refused at the limit, not held without bound. A line
 * that is not UTF-8 throws `BadLine` too.
 */
export async function* numberedLines(chunks: AsyncIterable<Buffer | string>, maxLineBytes: number): AsyncGenerator<Line> {
  // The unfinished line, as the pieces of the chunks that hold it: joined once, when it ends,
  // and split on bytes, so a character cut between two chunks is whole again when decoded.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let number = 0;
  const take = (last: Buffer): Line | undefined => {
    number++;
    let text: string;
    try {
      text = strictUtf8.decode(pending.length ? Buffer.concat([...pending, last]) : last);
    } catch {
      throw new BadLine(number, 'not valid UTF-8');
    }
    pending = [];
    pendingBytes = 0;
    if (number === 1 && text.startsWith(BOM)) text = text.slice(BOM.length);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    return text.trim() === '' ? undefined : { number, text };
  };
  const check = (bytes: number) => {
    if (bytes > maxLineBytes) throw new BadLine(number + 1, tooLong(maxLineBytes));
  };
  for await (const chunk of chunks) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    for (let end = buf.indexOf(NEWLINE); end !== -1; end = buf.indexOf(NEWLINE, start)) {
      check(pendingBytes + end - start + 1);
      const line = take(buf.subarray(start, end));
      if (line) yield line;
      start = end + 1;
    }
    if (start < buf.length) {
      pending.push(buf.subarray(start));
      pendingBytes += buf.length - start;
      // A last line without a newline is counted as if it had one, as every other line is.
      check(pendingBytes + 1);
    }
  }
  if (pending.length) {
    const line = take(Buffer.alloc(0));
    if (line) yield line;
  }
}

/** A batch: the items to send and, for each, the line it came from. */
export type Batch = { items: unknown[]; lines: number[]; bytes: number };

export type BatchLimits = { count: number; bytes: number };

/** The item a line holds (one JSON object), or why it holds none. */
function itemOf(text: string, bytes: number, maxBytes: number): { item: object } | { problem: string } {
  // Re-serialized, an item is never longer than its line, so lines within budget make a body within it.
  if (bytes > maxBytes) return { problem: tooLong(maxBytes) };
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
