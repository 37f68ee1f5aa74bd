/**
 * The command tree and how a run ends: every command registered on one commander program,
 * usage errors reported as one `keyward: …` line with exit 2, and every other failure mapped
 * to its exit code by `describeFailure`.
 */
import { Command } from 'commander';
import type { ConnectionFlags } from '../client/connection.js';
import { VERSION } from '../version.js';
import { alertsCommand } from './alerts-command.js';
import { auditCommand } from './audit-command.js';
import { backupCommand } from './backup-command.js';
import { completionCommand } from './completion-command.js';
import { daemonCommand } from './daemon-command.js';
import { describeFailure, errorLine, usageError } from './exit.js';
import { keysCommand } from './keys-command.js';
import { isBlank, nonEmpty } from './non-empty.js';
import { operatorsCommand } from './operators-command.js';
import { rotationsCommand } from './rotations-command.js';
import { scanCommand } from './scan-command.js';
import { homeOf, type GlobalFlags } from './session.js';
import { statusCommand } from './status-command.js';
import { verifyCommand } from './verify-command.js';
import { webhooksCommand } from './webhooks-command.js';

export type ProgramHooks = { runTui(flags: ConnectionFlags): Promise<number> };

function createProgram(hooks: ProgramHooks): Command {
  const program = new Command('keyward')
    .description('Local API-key manager. With no command, opens the terminal UI.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--home <dir>', 'keyward home (env KEYWARD_HOME; default ~/.local/share/keyward)', nonEmpty('--home'))
    .option('--url <url>', 'daemon URL, trusted as given (env KEYWARD_URL; default: the running daemon named in daemon.json, which must prove itself)', nonEmpty('--url'))
    .option('--token <token>', 'operator token (env KEYWARD_TOKEN; default the home\'s admin.token)', nonEmpty('--token'))
    // Settings made before the subcommands exist are inherited by them.
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(errorLine(text.replace(/^error: /, ''))) })
    .addHelpText(
      'after',
      `
Exit codes: 0 ok, 1 refused or invalid, 2 usage, 3 daemon unreachable.

Examples:
  keyward                                   open the terminal UI
  keyward daemon                            run the daemon in the foreground
  keyward status
  SECRET=$(keyward keys create billing)
  keyward verify < billing.key && echo valid
  keyward keys list --json | jq -r '.keys[].name'`,
    );

  const home = () => homeOf(program);
  daemonCommand(program, home);
  statusCommand(program);
  keysCommand(program);
  rotationsCommand(program);
  verifyCommand(program);
  scanCommand(program);
  webhooksCommand(program);
  alertsCommand(program);
  operatorsCommand(program);
  auditCommand(program);
  backupCommand(program);
  completionCommand(program);

  for (const group of program.commands) if (group.commands.length > 0 && !RUNS_WITHOUT_COMMAND.has(group.name())) oneLineWithoutCommand(group);
  program.hook('preAction', refuseBlankArguments);

  // Only the bare program takes no command; anything else left over is a mistyped one.
  program.allowExcessArguments().action(async () => {
    if (program.args.length) throw usageError(`unknown command '${program.args[0]}' (see keyward --help)`);
    const { url, token } = program.opts<GlobalFlags>();
    process.exitCode = await hooks.runTui({ home: home(), url, token });
  });
  return program;
}

/** Commands with subcommands that do something of their own without one: `keyward daemon` runs the daemon, `keyward daemon stop` stops it. */
const RUNS_WITHOUT_COMMAND: ReadonlySet<string> = new Set(['daemon']);

/**
 * A group (`keys`, `rotations`, …) run without one of its commands is a usage mistake: one line
 * naming them, where commander would print the group's whole help on stderr. `--help` and
 * `help` still print that, on stdout.
 */
function oneLineWithoutCommand(group: Command): void {
  // Commander drops the `help` command of a command with an action unless asked to keep it.
  group.helpCommand(true).allowExcessArguments().action(() => {
    const typed = group.args[0];
    const what = typed === undefined ? 'needs a command' : `has no command '${typed}'`;
    const names = group.commands.map((c) => c.name()).join(', ');
    throw usageError(`${group.name()} ${what}: ${names} (see keyward ${group.name()} --help)`);
  });
}

/** An id, name, URL or file given as "" is a mistake in the invocation, not something to ask the daemon about. */
function refuseBlankArguments(_program: Command, command: Command): void {
  command.registeredArguments.forEach((argument, i) => {
    const value = command.args[i];
    if (value !== undefined && isBlank(value)) throw usageError(`<${argument.name()}> is empty`);
  });
}

/** Runs `argv` and returns the exit code; prints at most one line on stderr for a failure. */
export async function runCli(argv: readonly string[], hooks: ProgramHooks): Promise<number> {
  try {
    await createProgram(hooks).parseAsync(argv as string[]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    const { exitCode, line } = describeFailure(err);
    if (line) process.stderr.write(errorLine(line));
    return exitCode;
  }
}
