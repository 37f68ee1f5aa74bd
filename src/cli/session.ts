/**
 * From a command's global flags (`--home`, `--url`, `--token`) to the home directory, the
 * daemon connection and a client. Every command that talks to the daemon starts here.
 */
import type { Command } from 'commander';
import type { KeywardClient } from '../client/client.js';
import { clientOf, DAEMON_URL_EXAMPLE, daemonUrlProblem, noDaemonMessage, resolveConnection, type Connection, type Located } from '../client/connection.js';
import { resolveHome } from '../home.js';
import { CliError, EXIT, usageError } from './exit.js';

export type GlobalFlags = { home?: string; url?: string; token?: string };

export type Session = { home: string; connection: Located; client: KeywardClient };

export function homeOf(cmd: Command): string {
  return resolveHome(cmd.optsWithGlobals<GlobalFlags>().home);
}

const URL_SOURCES: Record<Located['urlSource'], string> = { flag: '--url', env: 'KEYWARD_URL', 'daemon.json': 'the URL in daemon.json' };

/** A URL that cannot be a daemon's address is a mistake in the invocation, not an absent daemon. */
function checkUrl(connection: Located): void {
  const problem = daemonUrlProblem(connection.url);
  if (problem) throw usageError(`${URL_SOURCES[connection.urlSource]} ${JSON.stringify(problem.shown)} is not a daemon's address: ${DAEMON_URL_EXAMPLE}`);
}

/**
 * A token with a character no token has (a CR from a file saved on Windows, a space, a byte of
 * something else) cannot go into a header: `fetch` refuses it before it reaches the daemon,
 * which would otherwise read as a daemon that does not answer. Surrounding blanks are taken off,
 * as they are from admin.token; anything else is the invocation's mistake, said as such.
 */
function checkToken(connection: Connection): Connection {
  const token = connection.token?.trim();
  if (token === undefined || /^[\x21-\x7e]+$/.test(token)) return { ...connection, token };
  throw usageError('the operator token (--token, KEYWARD_TOKEN or the home\'s admin.token) holds a character no token has: a control character, a space or a non-ASCII byte');
}

/** The home and where its daemon is (if anywhere), from the global flags and the environment. */
export function locate(cmd: Command): { home: string; connection: Connection } {
  const flags = cmd.optsWithGlobals<GlobalFlags>();
  const home = resolveHome(flags.home);
  const connection = checkToken(resolveConnection({ home, url: flags.url, token: flags.token }));
  if (connection.url !== undefined) checkUrl(connection);
  return { home, connection };
}

/** A client of the home's daemon; without one running (and no URL given) the command fails with exit 3. */
export function session(cmd: Command): Session {
  const { home, connection } = locate(cmd);
  if (connection.url === undefined) throw new CliError(noDaemonMessage(connection), EXIT.unreachable);
  return { home, connection, client: clientOf(connection) };
}

/** Adds `--json` to a command: the daemon's answer, as JSON on stdout. */
export function withJson(cmd: Command): Command {
  return cmd.option('--json', 'print the result as JSON on stdout');
}

/** Adds `-y, --yes` to a command that asks before it destroys something. */
export function withYes(cmd: Command): Command {
  return cmd.option('-y, --yes', 'do not ask; required when stdin is not a terminal');
}

/** Appends an "Examples:" section to a command's `--help`. */
export function examples(cmd: Command, lines: readonly string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
}
