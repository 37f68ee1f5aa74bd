/**
 * While the TUI draws, nothing else may write to the terminal: a line from anywhere else lands
 * on the frame and stays there. Process warnings, console output and direct writes to stderr
 * are sent to a log instead (the frame itself goes to stdout, which is left alone).
 */
import { closeSync, writeSync } from 'node:fs';
import { format } from 'node:util';
import { openPrivateLog } from '../private-files.js';

export type LogLine = (text: string) => void;

const CONSOLE_METHODS = ['log', 'info', 'debug', 'warn', 'error', 'trace', 'dir'] as const;

type Callback = (err?: Error | null) => void;

/** Diverts stray output to `log` until the returned function puts everything back. */
export function divertStrayOutput(log: LogLine): () => void {
  const stderrWrite = Object.getOwnPropertyDescriptor(process.stderr, 'write');
  const consoleMethods = CONSOLE_METHODS.map((name) => [name, console[name]] as const);
  // Node's own listener prints warnings to stderr; ours takes its place while the TUI runs.
  const warningListeners = process.listeners('warning');
  const onWarning = (warning: Error) => log(`${warning.name}: ${warning.message}`);

  process.removeAllListeners('warning');
  process.on('warning', onWarning);
  const write = (chunk: string | Uint8Array, encoding?: BufferEncoding | Callback, callback?: Callback): boolean => {
    log(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    (typeof encoding === 'function' ? encoding : callback)?.();
    return true;
  };
  process.stderr.write = write as typeof process.stderr.write;
  for (const name of CONSOLE_METHODS) console[name] = (...args: unknown[]) => log(format(...args));

  return () => {
    process.off('warning', onWarning);
    for (const listener of warningListeners) process.on('warning', listener);
    if (stderrWrite) Object.defineProperty(process.stderr, 'write', stderrWrite);
    else delete (process.stderr as { write?: unknown }).write;
    for (const [name, method] of consoleMethods) console[name] = method;
  };
}

/** Appends each piece of stray output to `file` (owner-only, never through a link), stamped with the time. */
export function logTo(file: string): LogLine {
  return (text) => {
    try {
      const fd = openPrivateLog(file);
      try {
        writeSync(fd, `${new Date().toISOString()} ${text.endsWith('\n') ? text : `${text}\n`}`);
      } finally {
        closeSync(fd);
      }
    } catch {
      // Nowhere to put it, and the terminal is not an option: drop it.
    }
  };
}
