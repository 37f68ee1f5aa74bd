/** `keyward alerts [--all] [--key KEY] [--json] [--ack ID | --ack-all [--yes]]`: what keyward noticed (docs/alerts.md), and acknowledging it. */
import type { Command } from 'commander';
import { detailText } from '../alert-text.js';
import { ApiError, type AlertJson, type KeywardClient } from '../client/client.js';
import { ago } from '../duration.js';
import { plural } from '../thousands.js';
import { CliError, refused, usageError } from './exit.js';
import { findKey } from './lookup.js';
import { shortTime } from './format.js';
import { nonEmpty } from './non-empty.js';
import { emit, quoted, type Column, renderTable } from './output.js';
import { confirmOrRefuse } from './prompt.js';
import { examples, session, withJson, withYes } from './session.js';

const columns: Column<AlertJson>[] = [
  { header: 'ID', value: (a) => a.id },
  { header: 'STATE', value: (a) => a.state },
  { header: 'KIND', value: (a) => a.kind },
  { header: 'KEY', value: (a) => a.keyName },
  { header: 'CALLER', value: (a) => a.caller ?? '—' },
  { header: 'IP', value: (a) => a.ip ?? '—' },
  { header: 'COUNT', value: (a) => String(a.count), align: 'right' },
  { header: 'LAST SEEN', value: (a) => ago(a.lastSeenAt, Date.now()) },
  { header: 'DETAIL', value: (a) => detailText(a, shortTime) },
];

/**
 * What `--key` asks the daemon for: a key that exists, by its id, so its alerts are found under
 * whatever name they recorded (it may have been renamed since, or its old name given to another
 * key); else the text as given, an id or a name recorded on alerts of a key deleted since.
 */
async function alertKey(client: KeywardClient, ref: string): Promise<string> {
  try {
    return (await findKey(client, ref)).id;
  } catch (err) {
    if (err instanceof CliError) return ref;
    throw err;
  }
}

/**
 * Every open alert (about `key`, if given), after a question on a terminal: a canary tripped by
 * a hundred crawlers is a hundred alerts, one a caller. One after another; one that fails stops
 * the rest, and the error says how many were acknowledged before it.
 */
async function ackAll(client: KeywardClient, opts: { key?: string; yes?: boolean; json?: boolean }, key: string | undefined): Promise<void> {
  const open = await client.allAlerts({ state: 'open', key });
  const about = opts.key === undefined ? '' : ` about ${quoted(opts.key)}`;
  if (open.length === 0) return emit(opts, { acknowledged: [] }, () => `no open alerts${about}`);
  await confirmOrRefuse(opts.yes, `Acknowledge ${plural(open.length, 'open alert')}${about}?`);
  const acknowledged: AlertJson[] = [];
  for (const a of open) {
    try {
      acknowledged.push((await client.ackAlert(a.id)).alert);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      throw refused(`alert ${a.id}: ${err.message} (${err.code}); ${plural(acknowledged.length, 'alert')} acknowledged before it`);
    }
  }
  await emit(opts, { acknowledged }, () => `acknowledged ${plural(acknowledged.length, 'alert')}${about}`);
}

export function alertsCommand(program: Command): void {
  examples(
    withYes(
      withJson(
        program
          .command('alerts')
          .description('open alerts (canary tripped, deleted or rotated-out key presented, key expiring or leaked), newest first')
          .option('--all', 'acknowledged ones too')
          .option('--key <key>', 'only those about this key (id or name)', nonEmpty('--key'))
          .option('--ack <id>', 'acknowledge this alert (needs keys:write)', nonEmpty('--ack'))
          .option('--ack-all', 'acknowledge every open alert (with --key: about that key); asks first on a terminal'),
      ),
    ),
    [
      'keyward alerts',
      'keyward alerts --key billing --all',
      'keyward alerts --all --json',
      'keyward alerts --ack alr_4nV8qT2xLm7RbK9cWp3ZsE',
      'keyward alerts --key aws-backup-old --ack-all',
      "keyward alerts --json | jq -r '.alerts[] | select(.kind == \"canary.tripped\") | .id'",
    ],
  ).action(async (opts: { all?: boolean; key?: string; ack?: string; ackAll?: boolean; yes?: boolean; json?: boolean }, cmd: Command) => {
    const { client } = session(cmd);
    if (opts.ack !== undefined && opts.ackAll) throw usageError('--ack and --ack-all: give one');
    if (opts.ack !== undefined) {
      const { alert } = await client.ackAlert(opts.ack);
      await emit(opts, { alert }, () => `acknowledged alert ${alert.id} (${alert.kind}, key "${alert.keyName}")`);
      return;
    }
    const key = opts.key === undefined ? undefined : await alertKey(client, opts.key);
    if (opts.ackAll) return ackAll(client, opts, key);
    const alerts = await client.allAlerts({ state: opts.all ? 'all' : 'open', key });
    // A key never seen is no error: alerts outlive their keys, and are matched by recorded name.
    const about = opts.key === undefined ? '' : ` about ${quoted(opts.key)}`;
    await emit(opts, { alerts }, () => (alerts.length ? renderTable(alerts, columns) : `${opts.all ? 'no alerts' : 'no open alerts'}${about}`));
  });
}
