/**
 * `keyward keys usage KEY [--last SPAN]`: how much a key was presented over a recent window,
 * accepted and refused, and by which callers, as the TUI's usage view shows it; for a script
 * that asks whether anything still uses a key before deleting it.
 */
import type { Command } from 'commander';
import type { UsageJson } from '../client/client.js';
import { CALLERS_LISTED } from '../daemon/usage/callers.js';
import { USAGE_MINUTES_MAX } from '../daemon/limits.js';
import { ago, formatDuration } from '../duration.js';
import { withThousands } from '../thousands.js';
import { spanOption } from './format.js';
import { findKey } from './lookup.js';
import { emit, quoted, renderTable, type Column } from './output.js';
import { examples, session, withJson } from './session.js';

/** `--last` in minutes, as the usage route takes its window. */
const lastSpan = (value: string) => spanOption('--last', value, { min: 60, max: USAGE_MINUTES_MAX * 60, step: 60, must: 'whole minutes from 1m to 30d, such as 15m, 1h or 7d' }) / 60;

/** A caller's counts are since it was first seen (kept 30 days), not the window's: the table says so. */
const callerColumns: Column<UsageJson['callers'][number]>[] = [
  { header: 'CALLER', value: (c) => c.caller },
  { header: 'LAST SEEN', value: (c) => ago(c.lastSeenAt, Date.now()) },
  { header: 'FIRST SEEN', value: (c) => ago(c.firstSeenAt, Date.now()) },
  { header: 'OK', value: (c) => withThousands(c.ok), align: 'right' },
  { header: 'REJECTED', value: (c) => withThousands(c.rejected), align: 'right' },
];

export function usageCommand(keys: Command): void {
  examples(
    withJson(
      keys
        .command('usage')
        .description('how often a key was presented lately, accepted and refused, and by which callers')
        .argument('<key>', 'key id or name')
        .option('--last <span>', 'the window, 1m to 30d (default 1h)', lastSpan, 60),
    ),
    [
      'keyward keys usage billing',
      'keyward keys usage billing --last 7d',
      "keyward keys usage billing-old --last 24h --json | jq '[.buckets[] | .ok + .rejected] | add'",
    ],
  ).action(async (ref: string, opts: { last: number; json?: boolean }, cmd: Command) => {
    const { client } = session(cmd);
    const key = await findKey(client, ref);
    const usage = await client.usage(key.id, opts.last);
    await emit(opts, { key: { id: key.id, name: key.name }, minutes: opts.last, ...usage }, async () => {
      const ok = usage.buckets.reduce((n, b) => n + b.ok, 0);
      const rejected = usage.buckets.reduce((n, b) => n + b.rejected, 0);
      // Callers are those last seen in the window: the daemon answers the most recent ones it keeps.
      const since = Date.now() - opts.last * 60_000;
      const callers = usage.callers.filter((c) => Date.parse(c.lastSeenAt) >= since);
      const head = `key ${quoted(key.name)} (${key.id}), last ${formatDuration(opts.last * 60)}: ${withThousands(ok)} accepted, ${withThousands(rejected)} rejected; last used ${ago(key.lastUsedAt, Date.now())}`;
      if (callers.length === 0) return `${head}\nno caller seen in the window`;
      const more = usage.callers.length >= CALLERS_LISTED ? `\nthe daemon lists a key's ${CALLERS_LISTED} most recently seen callers: more may have been seen` : '';
      return `${head}\ncallers seen in the window, with their counts since first seen:\n${await renderTable(callers, callerColumns)}${more}`;
    });
  });
}
