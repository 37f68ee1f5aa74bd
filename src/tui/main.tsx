/**
 * `keyward` with no arguments: check for a terminal, reach (or start) the daemon and check who
 * we are, each failure one line on stderr; then run the full-screen TUI.
 */
import { ApiError, type KeywardClient } from '../client/client.js';
import { DaemonNotReachable, reachDaemon } from '../client/autostart.js';
import type { ConnectionFlags } from '../client/connection.js';
import { homeFiles } from '../home.js';
import { safeText } from '../sanitize.js';
import { errorText } from './format.js';
import type { Operator } from './state/actions.js';
import { safeOperator } from './state/safe.js';

const EXIT_USAGE = 2;
const EXIT_REFUSED = 1;
const EXIT_UNREACHABLE = 3;

function fail(line: string, code: number): number {
  process.stderr.write(`keyward: ${safeText(line)}\n`);
  return code;
}

export async function runTui(flags: ConnectionFlags): Promise<number> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    return fail('the terminal UI needs an interactive terminal; in scripts use "keyward keys …" (see keyward --help)', EXIT_USAGE);
  }
  let client: KeywardClient;
  let notice: string | undefined;
  let operator: Operator;
  let restartDaemon: (() => Promise<string>) | undefined;
  try {
    const reached = await reachDaemon(flags, { onStarting: (home) => process.stderr.write(`keyward: no daemon answers for ${home}; starting one…\n`) });
    client = reached.client;
    if (reached.started) {
      notice = safeText(`Started a background daemon for this home at ${reached.connection.url} (pid ${reached.started.pid}); its log is ${reached.started.log}`);
      restartDaemon = () => restart(flags, client.url);
    }
    // The operator's name comes from the daemon: made safe here, before the header or any line shows it.
    operator = safeOperator((await client.me()).operator);
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
  // React picks its build when first loaded: the development one is several times slower.
  process.env.NODE_ENV ??= 'production';
  const { openTui } = await import('./session.js');
  return openTui({ client, operator, notice, logFile: homeFiles(flags.home).tuiLog, restartDaemon });
}

/**
 * `R` in the TUI: the same lookup as at startup, which starts a daemon when none answers. A
 * daemon found at another address (started by hand with another `--port`) is not the one this
 * TUI follows, which would go on reconnecting: said as an error, with what to do.
 */
async function restart(flags: ConnectionFlags, url: string): Promise<string> {
  const reached = await reachDaemon(flags);
  if (reached.client.url !== url) {
    throw new Error(`a daemon answers for this home at ${reached.client.url}, not at ${url}, where this TUI is connected: quit (q) and start keyward again to use it`);
  }
  return reached.started ? `Started the daemon again (pid ${reached.started.pid}); its log is ${reached.started.log}` : 'The daemon answers again';
}
