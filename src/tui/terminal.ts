/**
 * The terminal around the TUI: the alternate screen, entered once and left on every way out
 * (quit, Ctrl-C, SIGTERM, SIGHUP, an exception), so the admin's shell is never left behind a
 * dead frame; and `NO_COLOR`.
 *
 * Autowrap is off while the TUI runs: right after a resize, Ink draws one frame at the old
 * width before the app lays itself out again, and a line wider than the terminal would wrap
 * onto the next row — on the last row, scrolling the whole screen up by one, so that every
 * later frame (drawn by absolute position) lands a line off. Without autowrap the terminal
 * clips such a line at its edge instead.
 */
import chalk from 'chalk';
import { errorText } from './format.js';

// Enter the alternate screen, hide the cursor (the `›` marks the selection), autowrap off.
const ENTER = '\x1b[?1049h\x1b[?25l\x1b[?7l\x1b[H';
// Autowrap on, leave the alternate screen and show the cursor again.
const LEAVE = '\x1b[?7h\x1b[?1049l\x1b[?25h';

/** Switches to the alternate screen; the returned function switches back, once. */
export function enterAlternateScreen(out: NodeJS.WriteStream): () => void {
  out.write(ENTER);
  let left = false;
  return () => {
    if (left) return;
    left = true;
    out.write(LEAVE);
  };
}

/** `NO_COLOR` (any non-empty value, https://no-color.org) turns every style off. */
export function applyColorPreference(env: NodeJS.ProcessEnv): void {
  if (env.NO_COLOR) chalk.level = 0;
}

export type ExitHooks = {
  /** Unmounts and restores the terminal; safe to call more than once. */
  readonly restore: () => void;
  /** Prints one line after the terminal is restored. */
  readonly report: (line: string) => void;
};

/** Restores the terminal on signals and crashes; returns a function that removes the handlers. */
export function onEveryExit({ restore, report }: ExitHooks): () => void {
  const signals = { SIGTERM: 143, SIGHUP: 129, SIGINT: 130 } as const;
  const handlers = Object.entries(signals).map(([signal, code]) => {
    const handler = () => {
      restore();
      process.exit(code);
    };
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  const crash = (err: unknown) => {
    restore();
    report(`keyward: internal error: ${errorText(err)}`);
    process.exit(1);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  process.on('exit', restore);
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    process.off('uncaughtException', crash);
    process.off('unhandledRejection', crash);
    process.off('exit', restore);
  };
}
