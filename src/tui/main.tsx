/**
 * `keyward` with no arguments: reach (or start) the daemon, check who we are, then run the
 * full-screen TUI on the alternate screen until the operator quits.
 */
import { render } from 'ink';
import { ApiError, type KeywardClient } from '../client/client.js';
import { DaemonNotReachable, reachDaemon, type StartedDaemon } from '../client/autostart.js';
import type { ConnectionFlags } from '../client/connection.js';
import { App } from './App.js';
import { errorText } from './format.js';
import type { Operator } from './state/actions.js';
import { applyColorPreference, enterAlternateScreen, onEveryExit } from './terminal.js';

const EXIT_USAGE = 2;
const EXIT_REFUSED = 1;
const EXIT_UNREACHABLE = 3;
/** Enough to follow a held-down arrow key, few enough for a slow SSH link. */
const MAX_FPS = 20;

function fail(line: string, code: number): number {
  process.stderr.write(`keyward: ${line}\n`);
  return code;
}

function startedNotice(started: StartedDaemon | undefined, url: string): string | undefined {
  return started && `Started a background daemon for this home at ${url} (pid ${started.pid}); its log is ${started.log}`;
}

async function whoAmI(client: KeywardClient): Promise<Operator> {
  const { operator } = await client.me();
  return operator;
}

export async function runTui(flags: ConnectionFlags): Promise<number> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    return fail('the terminal UI needs an interactive terminal; in scripts use "keyward keys …" (see keyward --help)', EXIT_USAGE);
  }
  let client: KeywardClient;
  let notice: string | undefined;
  let operator: Operator;
  try {
    const reached = await reachDaemon(flags, { onStarting: (home) => process.stderr.write(`keyward: no daemon answers for ${home}; starting one…\n`) });
    client = reached.client;
    notice = startedNotice(reached.started, reached.connection.url);
    operator = await whoAmI(client);
  } catch (err) {
    if (err instanceof DaemonNotReachable) return fail(err.message, EXIT_UNREACHABLE);
    if (err instanceof ApiError && err.code === 'unauthorized') {
      return fail(`the daemon refused the operator token (${errorText(err)}); pass --token or set KEYWARD_TOKEN`, EXIT_REFUSED);
    }
    return fail(errorText(err), EXIT_UNREACHABLE);
  }
  if (!operator.permissions.includes('keys:read')) {
    return fail(`operator "${operator.name}" (role ${operator.role}) may not read keys; use an admin, manager or viewer token`, EXIT_REFUSED);
  }

  applyColorPreference(process.env);
  const leave = enterAlternateScreen(process.stdout);
  const instance = render(<App client={client} operator={operator} notice={notice} />, {
    maxFps: MAX_FPS,
    exitOnCtrlC: true,
  });
  const restore = () => {
    instance.unmount();
    leave();
  };
  const removeHandlers = onEveryExit({ restore, report: (line) => process.stderr.write(`${line}\n`) });
  try {
    await instance.waitUntilExit();
    return 0;
  } catch (err) {
    leave();
    return fail(`internal error: ${errorText(err)}`, EXIT_REFUSED);
  } finally {
    leave();
    removeHandlers();
  }
}
