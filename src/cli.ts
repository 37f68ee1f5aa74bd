#!/usr/bin/env node
/** keyward's entry point: argv → the TUI, the daemon, or a command. */
import { Command } from 'commander';
import { daemonCommand } from './cli/daemon-command.js';
import { VERSION } from './daemon/app.js';
import { resolveHome } from './home.js';
import { runTui } from './tui/main.js';

const program = new Command('keyward')
  .description('Local API-key manager')
  .version(VERSION)
  .option('--home <dir>', 'keyward home (env KEYWARD_HOME)')
  .option('--url <url>', 'daemon URL (env KEYWARD_URL)')
  .option('--token <token>', 'operator token (env KEYWARD_TOKEN)');

type GlobalFlags = { home?: string; url?: string; token?: string };
const home = () => resolveHome(program.opts<GlobalFlags>().home);
daemonCommand(program, home);

program.action(async () => {
  const { url, token } = program.opts<GlobalFlags>();
  process.exitCode = await runTui({ home: home(), url, token });
});

await program.parseAsync(process.argv);
