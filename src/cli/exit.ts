/**
 * The CLI's exit codes (docs/design.md) and how every failure becomes one line on stderr and one
 * of them. Commands throw; only the entry point decides what the process says and returns.
 */
import { CommanderError } from 'commander';
import { ApiError, DaemonUnproven, DaemonUnreachable } from '../client/client.js';
import { UnsafePath } from '../private-files.js';
import { safeText } from '../sanitize.js';

export const EXIT = {
  ok: 0,
  /** The daemon refused, or the answer is "no" (invalid key, broken audit chain). */
  refused: 1,
  usage: 2,
  unreachable: 3,
  /** Ctrl-C at a prompt, as shells report a SIGINT. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI itself detects, with the exit code it means. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);
export const refused = (message: string) => new CliError(message, EXIT.refused);

/**
 * The exit code for `err` and the line to print, if any (commander has printed its own
 * usage errors already, through `errorLine` too).
 */
export function describeFailure(err: unknown): { exitCode: number; line?: string } {
  // Commander ends with 0 for what was asked (--help, --version, `keyward keys help`), else with 1.
  if (err instanceof CommanderError) return { exitCode: err.exitCode === 0 ? EXIT.ok : EXIT.usage };
  if (err instanceof CliError) return { exitCode: err.exitCode, line: err.message };
  if (err instanceof DaemonUnproven) return { exitCode: EXIT.unreachable, line: err.message };
  // Nothing was sent: the home that would say where the daemon is cannot be believed.
  if (err instanceof UnsafePath) return { exitCode: EXIT.unreachable, line: `will not use this home: ${err.message}` };
  if (err instanceof DaemonUnreachable) {
    return { exitCode: EXIT.unreachable, line: `${err.message}; start one with "keyward daemon" (or pass --url)` };
  }
  if (err instanceof ApiError) {
    const hint = err.code === 'unauthorized' ? '; pass --token or set KEYWARD_TOKEN' : '';
    return { exitCode: EXIT.refused, line: `${err.message} (${err.code})${hint}` };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { exitCode: EXIT.refused, line: `unexpected error: ${message}` };
}

/** The one line a failure prints: controls stripped and secrets redacted (`keyward keys show kw_…` must not echo it). */
export function errorLine(text: string): string {
  return `keyward: ${safeText(text.replace(/\s*\n\s*/g, ' ').trim())}\n`;
}
