/** `keyward alerts [--all] [--json] [--ack ID]`: what keyward noticed (docs/alerts.md), and acknowledging it. */
import type { Command } from 'commander';
import type { AlertJson } from '../client/client.js';
import { ago, shortTime } from './format.js';
import { nonEmpty } from './non-empty.js';
import { emit, type Column, renderTable } from './output.js';
import { examples, session, withJson } from './session.js';

/** What an alert's kind adds, in a few words. */
function detailOf(a: AlertJson): string {
  const { reason, expiresAt, rotationId } = a.detail as { reason?: string; expiresAt?: string; rotationId?: string };
  if (reason !== undefined) return reason;
  if (expiresAt !== undefined) return `expires ${shortTime(expiresAt)}`;
  if (rotationId !== undefined) return `replaced by ${rotationId}`;
  return '';
}

const columns: Column<AlertJson>[] = [
  { header: 'ID', value: (a) => a.id },
  { header: 'STATE', value: (a) => a.state },
  { header: 'KIND', value: (a) => a.kind },
  { header: 'KEY', value: (a) => a.keyName },
  { header: 'CALLER', value: (a) => a.caller ?? '—' },
  { header: 'IP', value: (a) => a.ip ?? '—' },
  { header: 'COUNT', value: (a) => String(a.count), align: 'right' },
  { header: 'LAST SEEN', value: (a) => ago(a.lastSeenAt, Date.now()) },
  { header: 'DETAIL', value: detailOf },
];

export function alertsCommand(program: Command): void {
  examples(
    withJson(
      program
        .command('alerts')
        .description('open alerts (canary tripped, deleted or rotated-out key presented, key expiring or leaked), newest first')
        .option('--all', 'acknowledged ones too')
        .option('--ack <id>', 'acknowledge this alert (needs keys:write)', nonEmpty('--ack')),
    ),
    ['keyward alerts', 'keyward alerts --all --json', 'keyward alerts --ack alr_4nV8qT2xLm7RbK9cWp3ZsE', "keyward alerts --json | jq -r '.alerts[] | select(.kind == \"canary.tripped\") | .id'"],
  ).action(async (opts: { all?: boolean; ack?: string; json?: boolean }, cmd: Command) => {
    const { client } = session(cmd);
    if (opts.ack !== undefined) {
      const { alert } = await client.ackAlert(opts.ack);
      await emit(opts, { alert }, () => `acknowledged alert ${alert.id} (${alert.kind}, key "${alert.keyName}")`);
      return;
    }
    const alerts: AlertJson[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.alerts({ state: opts.all ? 'all' : 'open', limit: 10_000, cursor });
      alerts.push(...page.alerts);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    await emit(opts, { alerts }, () => (alerts.length ? renderTable(alerts, columns) : opts.all ? 'no alerts' : 'no open alerts'));
  });
}
