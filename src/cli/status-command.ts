/** `keyward status`: is the daemon up, where, for which home, as whom, and what it holds. */
import type { Command } from 'commander';
import { ApiError, DaemonUnreachable, type KeywardClient, type MeJson } from '../client/client.js';
import { readDaemonInfo } from '../home.js';
import { CliError, EXIT } from './exit.js';
import { shortTime } from './format.js';
import { emit, renderFields } from './output.js';
import { examples, session, withJson, type Session } from './session.js';

type Counts = { keys: { active: number; inactive: number }; openRotations: number };

export type StatusReport = {
  reachable: boolean;
  /** `ok`, or `degraded` when the daemon cannot write (it says why in /v1/health). */
  health: string | null;
  url: string;
  urlSource: string;
  home: string;
  version: string | null;
  pid: number | null;
  startedAt: string | null;
  operator: MeJson['operator'] | null;
  /** Null when the operator may not read keys (a service token). */
  counts: Counts | null;
};

async function counts(client: KeywardClient): Promise<Counts | null> {
  try {
    const [keys, { rotations }] = await Promise.all([client.allKeys(), client.rotations('open')]);
    const active = keys.filter((k) => k.status === 'active').length;
    return { keys: { active, inactive: keys.length - active }, openRotations: rotations.length };
  } catch (err) {
    if (err instanceof ApiError && err.code === 'forbidden') return null;
    throw err;
  }
}

function render(s: StatusReport): string {
  const fields: Array<[string, string]> = [
    ['daemon', s.reachable ? `${s.health}, keyward ${s.version} at ${s.url}` : `not reachable at ${s.url}`],
    ['address from', s.urlSource],
    ['home', s.home],
  ];
  if (s.pid !== null) fields.push(['pid', `${s.pid} (started ${shortTime(s.startedAt)})`]);
  if (s.operator) fields.push(['operator', `${s.operator.name} (${s.operator.role})`]);
  else if (s.reachable) fields.push(['operator', 'token not accepted']);
  if (s.counts) {
    const { active, inactive } = s.counts.keys;
    fields.push(['keys', `${active} active, ${inactive} inactive`], ['rotations', `${s.counts.openRotations} open`]);
  } else if (s.operator) fields.push(['keys', 'not visible to this operator (needs keys:read)']);
  return renderFields(fields);
}

/** What status reports, and the refusal of the token if the daemon refused it. */
async function gather({ home, connection, client }: Session): Promise<{ report: StatusReport; tokenRefused?: ApiError }> {
  const info = readDaemonInfo(home);
  const ours = info !== undefined && info.url === connection.url;
  const report: StatusReport = {
    reachable: false,
    health: null,
    url: connection.url,
    urlSource: connection.urlSource,
    home,
    version: null,
    pid: ours ? info.pid : null,
    startedAt: ours ? info.startedAt : null,
    operator: null,
    counts: null,
  };
  try {
    const health = await client.health();
    Object.assign(report, { reachable: true, version: health.version, health: health.status });
  } catch (err) {
    if (err instanceof DaemonUnreachable) return { report };
    throw err;
  }
  try {
    report.operator = (await client.me()).operator;
    report.counts = await counts(client);
  } catch (err) {
    if (err instanceof ApiError && err.code === 'unauthorized') return { report, tokenRefused: err };
    throw err;
  }
  return { report };
}

export function statusCommand(program: Command): void {
  examples(withJson(program.command('status').description('daemon health, address, home, pid, operator and key counts; exit 3 if the daemon is down')), [
    'keyward status',
    "keyward status --json | jq '.counts.keys.active'",
    'keyward status >/dev/null || echo "keyward is down"',
  ]).action(async (opts: { json?: boolean }, cmd: Command) => {
    const { report, tokenRefused } = await gather(session(cmd));
    emit(opts, report, () => render(report));
    if (!report.reachable) throw new CliError(`no keyward daemon answers at ${report.url}; start one with "keyward daemon"`, EXIT.unreachable);
    if (tokenRefused) throw tokenRefused;
  });
}
