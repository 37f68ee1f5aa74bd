#!/usr/bin/env node
/** keyward's entry point: argv → the TUI, the daemon, or a command. */
import { runCli } from './cli/program.js';

// `keyward keys list | head -1` closes stdout early; that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.exitCode = await runCli(process.argv, {
  // Loaded only when the TUI opens, so commands never pay for React and Ink.
  runTui: async (flags) => (await import('./tui/main.js')).runTui(flags),
});
