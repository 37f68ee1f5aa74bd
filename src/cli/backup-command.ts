/** `keyward backup FILE`: an online, consistent copy of the home's key store. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { homeFiles } from '../home.js';
import { plural, withThousands } from '../thousands.js';
import { emit } from './output.js';
import { examples, homeOf, withJson } from './session.js';

export function backupCommand(program: Command): void {
  examples(
    withJson(
      program
        .command('backup')
        .description("copy the home's key store to FILE while the daemon runs, and check the copy")
        .argument('<file>', 'where to write the copy (a SQLite database, mode 0600)')
        .option('--force', 'replace FILE if it exists')
        .addHelpText(
          'after',
          '\nThe copy is made from the database file in the home (--home, KEYWARD_HOME), so run it as the\nuser the daemon runs as; --url does not apply.\n\n' +
            'Restore: stop the daemon; in the home delete keyward.db-wal and keyward.db-shm (a WAL left by a\n' +
            'crash would be replayed onto the copy and corrupt it) and audit.checkpoint (the events written\n' +
            'since the backup are gone, and the checkpoint would say so); copy FILE to keyward.db (mode 0600);\n' +
            'start the daemon. The copy holds no audit.key: keep that file of the home safe on its own.',
        ),
    ),
    ['keyward backup ~/keyward-$(date +%F).db', 'sudo -u keyward KEYWARD_HOME=/var/lib/keyward keyward backup /var/backups/keyward/keyward.db'],
  ).action(async (file: string, opts: { force?: boolean; json?: boolean }, cmd: Command) => {
    // Loaded here so other commands never pay for the native SQLite module.
    const { backupStore } = await import('./backup.js');
    const report = await backupStore(homeFiles(homeOf(cmd)).db, resolve(file), opts.force === true);
    const { active, inactive } = report.keys;
    await emit(
      opts,
      report,
      () =>
        `backed up to ${report.file} (${withThousands(report.bytes)} bytes, integrity ok): ${plural(active + inactive, 'key')} (${withThousands(active)} active, ${withThousands(inactive)} inactive), ` +
        `${plural(report.operators, 'operator')}, ${plural(report.auditEvents, 'audit event')}`,
    );
  });
}
