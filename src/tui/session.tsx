/**
 * One run of the full-screen TUI: the alternate screen, Ink drawing through the ScreenWriter,
 * stray output sent to a log instead of the frame, and the terminal restored on every way out —
 * after which, if a shown-once secret was still on screen, stderr says which key's it was.
 * Loaded by `runTui` only once the daemon answers, so React starts in production mode.
 */
import { render } from 'ink';
import type { KeywardClient } from '../client/client.js';
import { App, type ShownSecret } from './App.js';
import { errorText } from './format.js';
import { ScreenWriter } from './screen-writer.js';
import type { Operator } from './state/actions.js';
import { divertStrayOutput, logTo } from './stray-output.js';
import { applyColorPreference, enterAlternateScreen, onEveryExit } from './terminal.js';

/** Enough to follow a held-down arrow key, few enough for a slow SSH link. */
export const MAX_FPS = 20;

/**
 * How Ink runs: in debug mode it hands every frame to the ScreenWriter whole, which sends the
 * terminal only what changed, at most MAX_FPS times a second. Ctrl-C reaches the app as a key
 * (it asks first while a secret is on screen).
 */
export function inkOptions(screen: ScreenWriter, stdin: NodeJS.ReadStream = process.stdin) {
  return { stdout: screen as unknown as NodeJS.WriteStream, stdin, debug: true, exitOnCtrlC: false, patchConsole: false } as const;
}

export type Session = {
  readonly client: KeywardClient;
  readonly operator: Operator;
  readonly notice: string | undefined;
  /** Where stray output (warnings, console, stderr) goes while the TUI draws. */
  readonly logFile: string;
  /** Starts the daemon again; given when this TUI started it. */
  readonly restartDaemon: (() => Promise<string>) | undefined;
};

/** The line stderr gets when the TUI ended with a secret still unconfirmed. */
export function lostSecretLine(shown: NonNullable<ShownSecret>): string {
  return `keyward: the secret of key "${shown.keyName}" (${shown.keyId}) was shown but never confirmed as stored, and cannot be shown again; if it was not stored, rotate the key (keyward keys rotate ${shown.keyId})\n`;
}

/** Runs the TUI until the operator quits; resolves with the exit code. */
export async function openTui({ client, operator, notice, logFile, restartDaemon }: Session): Promise<number> {
  applyColorPreference(process.env);
  const leave = enterAlternateScreen(process.stdout);
  const restoreOutput = divertStrayOutput(logTo(logFile));
  const screen = new ScreenWriter(process.stdout, 1000 / MAX_FPS);
  let secret: ShownSecret;
  const app = (
    <App
      client={client}
      operator={operator}
      notice={notice}
      redraw={() => screen.repaint()}
      onSecret={(shown) => (secret = shown)}
      restartDaemon={restartDaemon}
    />
  );
  const instance = render(app, inkOptions(screen));
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    instance.unmount();
    screen.close();
    leave();
    restoreOutput();
    if (secret) process.stderr.write(lostSecretLine(secret));
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
