/**
 * One run of the full-screen TUI: the alternate screen, Ink drawing through the ScreenWriter,
 * and the terminal restored on every way out. Loaded by `runTui` only once the daemon answers,
 * so React starts in production mode.
 */
import { render } from 'ink';
import type { KeywardClient } from '../client/client.js';
import { App } from './App.js';
import { errorText } from './format.js';
import { ScreenWriter } from './screen-writer.js';
import type { Operator } from './state/actions.js';
import { applyColorPreference, enterAlternateScreen, onEveryExit } from './terminal.js';

/** Enough to follow a held-down arrow key, few enough for a slow SSH link. */
export const MAX_FPS = 20;

/**
 * How Ink runs: in debug mode it hands every frame to the ScreenWriter whole, which sends the
 * terminal only what changed, at most MAX_FPS times a second.
 */
export function inkOptions(screen: ScreenWriter, stdin: NodeJS.ReadStream = process.stdin) {
  return { stdout: screen as unknown as NodeJS.WriteStream, stdin, debug: true, exitOnCtrlC: true, patchConsole: false } as const;
}

export type Session = { readonly client: KeywardClient; readonly operator: Operator; readonly notice: string | undefined };

/** Runs the TUI until the operator quits; resolves with the exit code. */
export async function openTui({ client, operator, notice }: Session): Promise<number> {
  applyColorPreference(process.env);
  const leave = enterAlternateScreen(process.stdout);
  const screen = new ScreenWriter(process.stdout, 1000 / MAX_FPS);
  const instance = render(<App client={client} operator={operator} notice={notice} />, inkOptions(screen));
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    instance.unmount();
    screen.close();
    leave();
  };
  const removeHandlers = onEveryExit({ restore, report: (line) => process.stderr.write(`${line}\n`) });
  try {
    await instance.waitUntilExit();
    return 0;
  } catch (err) {
    restore();
    process.stderr.write(`keyward: internal error: ${errorText(err)}\n`);
    return 1;
  } finally {
    restore();
    removeHandlers();
  }
}
