/**
 * What `keyward scan` reads: files and directories (recursively) or a stream such as stdin,
 * fed through `SecretFinder`. A directory walk skips `.git/`, `node_modules/` and binary files
 * unless `all` is set, and never follows a symbolic link (a link can leave the tree or loop);
 * a path named on the command line is read whatever it is, but a device with no end.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { isatty } from 'node:tty';
import { join } from 'node:path';
import { looksBinary, SecretFinder, SNIFF_BYTES, type Found } from './finder.js';

export type Finding = Found & { file: string };

export type ScanSink = {
  found(finding: Finding): void;
  /** A file or directory that could not be read; the scan goes on. */
  failed(path: string, message: string): void;
};

export type ScanStats = { files: number; bytes: number; skippedBinary: number; skippedDirs: number };

export type ScanOptions = {
  /** Also walk `.git/` and `node_modules/`, and read binary files. */
  all?: boolean;
};

const SKIPPED_DIRS = new Set(['.git', 'node_modules']);
const READ_SIZE = 1 << 20;

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}${e.syscall ? ` (${e.syscall})` : ''}` : String(err);
}

/** Scans files and directories synchronously; one read buffer serves every file. */
export class PathScanner {
  readonly stats: ScanStats = { files: 0, bytes: 0, skippedBinary: 0, skippedDirs: 0 };
  private readonly buffer = Buffer.allocUnsafe(READ_SIZE);

  constructor(
    private readonly sink: ScanSink,
    private readonly options: ScanOptions = {},
  ) {}

  /** A path from the command line: a directory is walked, anything else is read as it is. */
  scanPath(path: string): void {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch (err) {
      this.sink.failed(path, describe(err));
      return;
    }
    if (isDirectory) this.walk(path);
    else this.readFile(path, false);
  }

  private walk(dir: string): void {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      this.sink.failed(dir, describe(err));
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!this.options.all && SKIPPED_DIRS.has(entry.name)) this.stats.skippedDirs++;
        else this.walk(path);
      } else if (entry.isFile()) {
        this.readFile(path, !this.options.all);
      }
      // Links, sockets, FIFOs and devices met on the way are not read: a FIFO would block forever.
    }
  }

  private readFile(path: string, skipBinary: boolean): void {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      this.sink.failed(path, describe(err));
      return;
    }
    try {
      const finder = new SecretFinder((found) => this.sink.found({ ...found, file: path }));
      let bytes = 0;
      for (;;) {
        const filled = this.fill(fd);
        if (bytes === 0 && skipBinary && looksBinary(this.buffer.subarray(0, Math.min(filled, SNIFF_BYTES)))) {
          this.stats.skippedBinary++;
          return;
        }
        bytes += filled;
        // A buffer left short holds the end of the file: handing it to end() spares counting its lines.
        if (filled < READ_SIZE) {
          finder.end(this.buffer.subarray(0, filled));
          break;
        }
        finder.write(this.buffer);
      }
      this.stats.files++;
      this.stats.bytes += bytes;
    } catch (err) {
      this.sink.failed(path, describe(err));
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Fills the buffer from `fd`; less than full only at the end of the file. Only a read of
   * nothing is the end: a pipe or FIFO (`keyward scan <(…)`) answers at most 64 KiB a read.
   */
  private fill(fd: number): number {
    let filled = 0;
    while (filled < READ_SIZE) {
      const n = readSync(fd, this.buffer, filled, READ_SIZE - filled, null);
      if (n === 0) break;
      filled += n;
    }
    return filled;
  }
}

/** Scans a stream (stdin) to its end; findings name it `name`. Binary or not, all of it is read. */
export async function scanStream(stream: AsyncIterable<Buffer | string>, name: string, sink: ScanSink, stats: ScanStats): Promise<void> {
  const finder = new SecretFinder((found) => sink.found({ ...found, file: name }));
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    stats.bytes += buf.length;
    finder.write(buf);
  }
  finder.end();
  stats.files++;
}

/**
 * Whether this process was given something on stdin to read: a pipe, a file or a socket, as a
 * terminal or /dev/null is not. `scan` with no path scans the current directory, not stdin
 * (a script's empty pipe must not turn a scan of the tree into a scan of nothing), so it says
 * how to scan what was piped in.
 */
export function stdinIsGiven(): boolean {
  try {
    const stats = fstatSync(0);
    return stats.isFIFO() || stats.isFile() || stats.isSocket();
  } catch {
    return false;
  }
}

/**
 * Whether `path` is a device other than a terminal: `/dev/zero` and `/dev/urandom` have no end,
 * and a disk is no text file, so one named on the command line is refused rather than read
 * forever. A terminal ends at Ctrl-D, and FIFOs (`scan <(…)`) at their writer's end: both read.
 */
export function isEndlessDevice(path: string): boolean {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    return false;
  }
  if (!stats.isCharacterDevice() && !stats.isBlockDevice()) return false;
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    return !isatty(fd);
  } catch {
    return true;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Whether `path` exists without following a final link; a missing path on the command line is a usage error. */
export function pathExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
