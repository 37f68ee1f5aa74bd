/** `keyward alerts [--all] [--key KEY] [--json] [--ack ID]`: what keyward noticed (docs/alerts.md), and acknowledging it. */
import type { Command } from 'commander';
import { detailText } from '../alert-text.js';
import type { AlertJson } from '../client/client.js';
import { ago } from '../duration.js';
import { shortTime } from './format.js';
import { nonEmpty } from './non-empty.js';
import { emit, quoted, type Column, renderTable } from './output.js';
import { examples, session, withJson } from './session.js';

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

export function alertsCommand(program: Command): void {
  examples(
    withJson(
      program
        .command('alerts')
        .description('open alerts (canary tripped, deleted or rotated-out key presented, key expiring or leaked), newest first')
        .option('--all', 'acknowledged ones too')
        .option('--key <key>', 'only those about this key (id or name)', nonEmpty('--key'))
        .option('--ack <id>', 'acknowledge this alert (needs keys:write)', nonEmpty('--ack')),
    ),
    ['keyward alerts', 'keyward alerts --key billing --all', 'keyward alerts --all --json', 'keyward alerts --ack alr_4nV8qT2xLm7RbK9cWp3ZsE', "keyward alerts --json | jq -r '.alerts[] | select(.kind == \"canary.tripped\") | .id'"],
  ).action(async (opts: { all?: boolean; key?: string; ack?: string; json?: boolean }, cmd: Command) => {
    const { client } = session(cmd);
    if (opts.ack !== undefined) {
      const { alert } = await client.ackAlert(opts.ack);
      await emit(opts, { alert }, () => `acknowledged alert ${alert.id} (${alert.kind}, key "${alert.keyName}")`);
      return;
    }
    const alerts = await client.allAlerts({ state: opts.all ? 'all' : 'open', key: opts.key });
    // A key never seen is no error: alerts outlive their keys, and are matched by recorded name.
    const about = opts.key === undefined ? '' : ` about ${quoted(opts.key)}`;
    await emit(opts, { alerts }, () => (alerts.length ? renderTable(alerts, columns) : `${opts.all ? 'no alerts' : 'no open alerts'}${about}`));
  });
}
