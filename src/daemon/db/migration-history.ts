/**
 * Whether this build may migrate a store, judged by the migrations the store records, before
 * any of them runs (both stores). drizzle's migrator compares times only: it runs each of this
 * build's migrations dated after the newest one the store records, and looks at nothing else.
 * On its own it would let this build
 * - start on a store a newer keyward migrated (a downgrade): nothing here is newer, nothing
 *   runs, and this build works on a schema it does not know, skipping what the newer one keeps
 *   in step (builds before 0007 leave `keys.uses_24h` short; builds before signed audit events
 *   append unsigned events after signed ones, which every later `audit --verify` reports as a
 *   rewritten log);
 * - migrate a store a development build migrated with migrations renamed since (branches
 *   carried `0002_deactivation_reason` and `0005_watch_trouble` for a while): some of this
 *   build's migrations run again over that build's own and fail half-way ("table already
 *   exists"), others are skipped.
 * Both are refused, saying what to do instead. Hashes are not compared, as drizzle does not: a
 * migration file is never edited once it is in the history, only renamed with a new time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { plural } from '../../thousands.js';

/** A migration this build ships: its tag and the time the store records when it has run. */
export type ShippedMigration = { tag: string; when: number };

/** The store's migrations are not a prefix of this build's; the message says what to do. */
export class MigrationHistoryError extends Error {
  override name = 'MigrationHistoryError';
}

/** The migrations in `folder`, oldest first, from drizzle's journal. */
export function shippedMigrations(folder: string): ShippedMigration[] {
  const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: ShippedMigration[] };
  return journal.entries.map(({ tag, when }) => ({ tag, when }));
}

/**
 * Throws `MigrationHistoryError` when `recorded` (the store's `created_at` times) holds one this
 * build does not ship; `store` names the store in the message.
 */
export function checkMigrationHistory(store: string, recorded: readonly number[], shipped: readonly ShippedMigration[]): void {
  const known = new Set(shipped.map((m) => m.when));
  const unknown = recorded.filter((when) => !known.has(when));
  if (unknown.length === 0) return;
  const newest = shipped.at(-1);
  if (newest && unknown.every((when) => when > newest.when)) {
    throw new MigrationHistoryError(
      `${store} was migrated by a newer keyward (${plural(unknown.length, 'migration')} after this build's newest, ${newest.tag}), ` +
        `whose schema this build does not know. Start the newer keyward again, or restore the backup taken before the upgrade (docs/operations.md, "Upgrading")`,
    );
  }
  throw new MigrationHistoryError(
    `${store} records ${plural(unknown.length, 'migration')} that this build does not have, the oldest dated ${new Date(Math.min(...unknown)).toISOString()}: ` +
      `a development build migrated it, with migrations renamed since, and this build cannot tell which of its own to run. ` +
      `Open it with the build that made it, or restore a backup from a released build (docs/operations.md, "Upgrading")`,
  );
}
