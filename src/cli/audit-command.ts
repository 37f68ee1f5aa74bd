/**
 * `keyward audit`: the audit log, and `--verify` to have the daemon check its chain end to end
 * against the home's audit key and checkpoint (only the home holds the key that signs it).
 */
import type { Command } from 'commander';
import type { AuditEventJson, AuditVerificationJson } from '../client/client.js';
import { refused, usageError } from './exit.js';
import { plural } from '../thousands.js';
import { shortTime } from './format.js';
import { nonEmpty } from './non-empty.js';
import { emit, note, printJson, quoted, renderTable, type Column } from './output.js';
import { examples, session, withJson } from './session.js';
import { wholeNumber } from './whole-number.js';

type AuditOptions = { limit: number; before?: number; action?: string; key?: string; operator?: string; verify?: boolean; json?: boolean };

const columns: Column<AuditEventJson>[] = [
  { header: 'SEQ', value: (e) => String(e.seq), align: 'right' },
  { header: 'AT', value: (e) => shortTime(e.at) },
  { header: 'OPERATOR', value: (e) => e.operatorName },
  { header: 'ACTION', value: (e) => e.action },
  { header: 'TARGET', value: (e) => `${e.targetName} (${e.targetId})` },
  { header: 'DETAIL', value: (e) => (Object.keys(e.detail).length ? JSON.stringify(e.detail) : '') },
];

export function auditCommand(program: Command): void {
  examples(
    withJson(
      program
        .command('audit')
        .description('the audit log, newest first; --verify checks that no event was edited, inserted or removed')
        .option('--limit <n>', 'how many events to show (any number: fetched 10,000 at a time)', wholeNumber('--limit'), 50)
        .option('--before <seq>', 'only events older than this SEQ (to continue where a listing stopped)', wholeNumber('--before'))
        .option('--action <action>', 'only this action (key.delete) or family of actions (rotation)')
        .option('--key <key>', "only events about this key (id or name), its rotations' included", nonEmpty('--key'))
        .option('--operator <operator>', 'only what this operator (id or name) did', nonEmpty('--operator'))
        .option('--verify', "check the whole signed chain and the home's checkpoint; exit 1 naming the first broken event"),
    ),
    [
      'keyward audit --limit 20',
      'keyward audit --key billing --action rotation',
      'keyward audit --operator alice --limit 100000 --json > alice.json',
      'keyward audit --verify',
      "keyward audit --json | jq -r '.events[] | select(.action == \"key.delete\") | .targetName'",
    ],
  ).action(async (opts: AuditOptions, cmd: Command) => {
    const { client } = session(cmd);
    if (!opts.verify) {
      const { limit, before, action, key, operator } = opts;
      const events = await client.auditUpTo(limit, { before, action, key, operator });
      if (events.length === 0 && !opts.json) note('no audit events match');
      else await emit(opts, { events }, () => renderTable(events, columns));
      return;
    }
    if (opts.before || opts.action || opts.key || opts.operator) throw usageError('--verify checks the whole chain; it takes no filter');
    const report = await client.verifyAudit();
    if (report.ok) {
      await emit(opts, report, () => `audit chain intact: ${describeCounts(report)}`);
      return;
    }
    if (opts.json) printJson(report);
    const e = report.brokenAt;
    const where = e ? `at event ${e.seq} (${e.id}, ${e.action} on ${quoted(e.targetName)})` : `after ${plural(report.events, 'event')}`;
    throw refused(`audit chain broken ${where}: ${report.reason ?? 'no reason given'}`);
  });
}

function describeCounts(r: AuditVerificationJson): string {
  const parts = [`${r.signed} signed by this home's key`];
  if (r.unsigned) parts.push(`${r.unsigned} from before events were signed`);
  if (r.otherSigners) parts.push(`${r.otherSigners} signed by other daemons (check those against them)`);
  const anchored = r.checkpointSeq ? `; the checkpoint names event ${r.checkpointSeq}` : '';
  return `${plural(r.events, 'event')} (${parts.join(', ')})${anchored}`;
}
