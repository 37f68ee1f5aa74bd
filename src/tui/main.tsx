/** Entry point of the full-screen TUI (issue 5 fills this in). */
import type { ConnectionFlags } from '../client/connection.js';

export async function runTui(flags: ConnectionFlags): Promise<number> {
  process.stderr.write(`keyward: the terminal UI is not built yet (home ${flags.home}); use "keyward daemon"\n`);
  return 2;
}
