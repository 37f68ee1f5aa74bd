/**
 * `keyward keys import FILE` (docs/import.md): NDJSON keys, `-` for stdin, streamed in batches
 * of one import call each, the next batch read while the daemon stores the last. A refusal names
 * the line at fault; batches before it stay imported, its own is not. A batch that gets no answer
 * (the daemon stopped, or took longer than the client waits) is in doubt, and said to be. Secrets
 * come only from the file, never from argv, and no line's content is ever printed.
 */
import { createReadStream, statSync } from 'node:fs';
import type { Command } from 'commander';
import { ApiError, DaemonUnreachable } from '../client/client.js';
import { IMPORT_BATCH, IMPORT_MAX_BYTES } from '../daemon/limits.js';
import { rootCause } from '../root-cause.js';
import { stripUnsafe } from '../sanitize.js';
import { plural, withThousands } from '../thousands.js';
import { CliError, EXIT, refused, usageError } from './exit.js';
import { BadLine, batches, numberedLines, type Batch } from './ndjson.js';
import { emit } from './output.js';
import { examples, session, withJson } from './session.js';
import { wholeNumber } from './whole-number.js';

/** Room for `{"keys":[` … `]}` and the commas between items. */
const BODY_OVERHEAD = 1024;
/** The lines of a batch, together, and so any one line. */
const BATCH_MAX_BYTES = IMPORT_MAX_BYTES - BODY_OVERHEAD;

/**
 * The line an `ApiError` about item `keys.<i>` of `batch` is about, and what is wrong with it.
 * The daemon names items by their place in the batch; a person reads the file, so any other
 * item it names (the first holder of a duplicate name or secret) is named by its line too.
 */
function lineFailure(err: ApiError, batch: Batch): { line: number; problem: string } | undefined {
  const match = /^keys\.(\d+)(?:\.(.+))?$/.exec(err.issues[0]?.path ?? '');
  const line = match ? batch.lines[Number(match[1])] : undefined;
  if (!match || line === undefined) return undefined;
  // The daemon's own refusals say `keys.<i>: what`; a validation refusal says it per field.
  const own = /^keys\.\d+: (.*)$/s.exec(err.message);
  const problem = own ? own[1]! : err.issues.map((i) => `${i.path.replace(/^keys\.\d+\.?/, '') || 'key'}: ${i.message}`).join('; ');
  // Quoted text (a name) is the file's own, kept as it is even when it reads `keys.0`.
  const onLines = problem.replace(/"[^"]*"|\bkeys\.(\d+)\b/g, (text, index: string | undefined) => {
    const other = index === undefined ? undefined : batch.lines[Number(index)];
    return other === undefined ? text : `line ${other}`;
  });
  return { line, problem: `${onLines} (${err.code})` };
}

function span(batch: Batch): string {
  const [first, last] = [batch.lines[0]!, batch.lines[batch.lines.length - 1]!];
  return first === last ? `line ${first}` : `lines ${first}–${last}`;
}

function imported(count: number): string {
  return count === 0 ? 'no key was imported' : `the ${withThousands(count)} keys of the lines before it were imported and stay so`;
}

/** `file` as one shell word: single-quoted unless it is plain. */
function shellWord(file: string): string {
  return /^[\w@%+=:,./-]+$/.test(file) ? file : `'${file.replace(/'/g, `'\\''`)}'`;
}

/**
 * How to go on once the line is fixed, when batches before it stayed imported (running the
 * whole file again would refuse the first batch: its keys are stored). Nothing when none was.
 */
function goOn(file: string, line: number, done: number): string {
  if (done === 0) return '';
  return file === '-' ? `; once it is fixed, go on from line ${line} of the input` : `; once it is fixed, go on with: tail -n +${line} ${stripUnsafe(shellWord(file))} | keyward keys import -`;
}

/**
 * A batch that got no answer: the daemon stopped, or took longer than the client waits. It may
 * have stored the batch all the same (one transaction, committed or not), so the user is told
 * what is certain, what is not, and how to find out. Importing again from the batch's first
 * line is safe: the daemon refuses a batch holding a stored key's name or secret, whole.
 */
function unanswered(err: DaemonUnreachable, batch: Batch, done: number): CliError {
  const lines = span(batch);
  return new CliError(
    `no answer from the daemon at ${err.url} while it stored ${lines} (${rootCause(err)}); ${imported(done)}; ` +
      `${lines} may or may not have been: "keyward keys list" shows which, and importing again from line ${batch.lines[0]} is safe ` +
      '(a batch holding a stored key is refused whole, so nothing is imported twice)',
    EXIT.unreachable,
  );
}

/**
 * What an import cut short by Ctrl-C leaves: the keys stored stay; a batch being stored may or
 * may not be (one transaction: the daemon commits it or not), and importing again from its
 * first line is safe, as after a batch with no answer.
 */
function interruption(file: string, done: number, next: number, sending: Batch | undefined): string {
  const stored = done === 0 ? 'no key was imported' : `${plural(done, 'key')} (the lines before line ${next}) were imported and stay so`;
  const from = sending?.lines[0] ?? next;
  const doubt = sending ? `; ${span(sending)} were being stored and may or may not have been: "keyward keys list" shows which, and importing again from line ${from} is safe` : '';
  const on = file === '-' ? `go on from line ${from} of the input` : `go on with: tail -n +${from} ${stripUnsafe(shellWord(file))} | keyward keys import -`;
  return `interrupted: ${stored}${doubt}; ${on}`;
}

/** A bar on a terminal's stderr, redrawn after each batch; nothing anywhere else. */
class Progress {
  private readonly started = Date.now();
  private readonly on = process.stderr.isTTY === true;
  constructor(private readonly totalBytes: number | undefined) {}

  show(keys: number, bytesRead: number): void {
    if (!this.on) return;
    const rate = Math.round(keys / Math.max((Date.now() - this.started) / 1000, 0.001));
    const width = 30;
    const share = this.totalBytes ? Math.min(bytesRead / this.totalBytes, 1) : undefined;
    const bar = share === undefined ? '' : `[${'#'.repeat(Math.round(share * width)).padEnd(width, '.')}] ${String(Math.round(share * 100)).padStart(3)}%  `;
    process.stderr.write(`\r\x1b[K${bar}${withThousands(keys)} keys  ${withThousands(rate)} keys/s`);
  }

  end(): void {
    if (this.on) process.stderr.write('\r\x1b[K');
  }

  get seconds(): number {
    return (Date.now() - this.started) / 1000;
  }
}

/** The file's chunks, counting the bytes read so far into `read.bytes`. */
async function* counted(chunks: AsyncIterable<Buffer>, read: { bytes: number }): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    read.bytes += chunk.length;
    yield chunk;
  }
}

function open(file: string): { chunks: AsyncIterable<Buffer>; size: number | undefined } {
  if (file === '-') return { chunks: process.stdin, size: undefined };
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw usageError(`${file} is not a file`);
    size = stat.size;
  } catch (err) {
    if (err instanceof Error && 'code' in err) throw usageError(`cannot read ${file}: ${String(err.code)}`);
    throw err;
  }
  return { chunks: createReadStream(file), size };
}

export function importCommand(keys: Command): void {
  examples(
    withJson(
      keys
        .command('import')
        .description('import keys from another system: NDJSON, one {"name", "secret" or "sha256", …} a line; see docs/import.md')
        .argument('<file>', 'the NDJSON file, or - for stdin')
        .option(
          '--batch <n>',
          'keys a call, each one transaction, all or none; other changes wait while the daemon stores one (docs/import.md)',
          wholeNumber('--batch', IMPORT_BATCH),
          IMPORT_BATCH,
        ),
    ),
    ['keyward keys import keys.ndjson', 'keyward keys import --batch 1000 keys.ndjson', "sqlite3 -json legacy.db 'select …' | jq -c '.[]' | keyward keys import -"],
  ).action(async (file: string, opts: { json?: boolean; batch: number }, cmd: Command) => {
    const { client } = session(cmd);
    const { chunks, size } = open(file);
    // Asked first, so a daemon that is not there at all fails as it does for any command, not
    // as a batch in doubt.
    await client.me();
    const read = { bytes: 0 };
    const progress = new Progress(size);
    let done = 0;
    /** The first line after the last batch stored: where a refused line's batch began. */
    let next = 1;
    /** The batch being stored while the next is read: resolves to its refusal, if any (never rejects). */
    let storing: Promise<unknown> = Promise.resolve(undefined);
    const settle = async () => {
      const failure = await storing;
      if (failure) throw failure;
    };
    /** The batch the daemon is storing, if any: in doubt if the import is cut short. */
    let sending: Batch | undefined;
    /** `readUpTo`: the bytes read when the batch was whole, for the bar (the reader runs a batch ahead). */
    const store = async (batch: Batch, readUpTo: number): Promise<unknown> => {
      sending = batch;
      try {
        await client.importKeys(batch.items);
      } catch (err) {
        if (err instanceof DaemonUnreachable) return unanswered(err, batch, done);
        if (!(err instanceof ApiError)) return err;
        const at = lineFailure(err, batch);
        const what = at ? `line ${at.line}: ${at.problem}` : `${err.message} (${err.code})`;
        return refused(`${what}; nothing from ${span(batch)} was imported, ${imported(done)}${goOn(file, batch.lines[0]!, done)}`);
      } finally {
        sending = undefined;
      }
      done += batch.items.length;
      next = batch.lines[batch.lines.length - 1]! + 1;
      progress.show(done, readUpTo);
      return undefined;
    };
    // Ctrl-C: what is stored stays; say so, and where to go on, as a refusal does.
    const interrupted = () => {
      progress.end();
      process.stderr.write(`keyward: ${interruption(file, done, next, sending)}\n`);
      process.exit(EXIT.interrupted);
    };
    process.once('SIGINT', interrupted);
    try {
      for await (const batch of batches(numberedLines(counted(chunks, read), BATCH_MAX_BYTES), { count: opts.batch, bytes: BATCH_MAX_BYTES })) {
        await settle();
        storing = store(batch, read.bytes);
      }
      await settle();
    } catch (err) {
      // A refusal of an earlier batch comes first: it is about an earlier line.
      await settle();
      throw err instanceof BadLine ? refused(`${err.message}; its batch was not sent, ${imported(done)}${goOn(file, next, done)}`) : err;
    } finally {
      process.removeListener('SIGINT', interrupted);
      progress.end();
    }
    await emit(opts, { imported: done }, () => `imported ${plural(done, 'key')} in ${progress.seconds.toFixed(1)} s`);
  });
}
