/**
 * `keyward status`: is the daemon up, where, for which home, as whom, and what it holds. The
 * health probe never carries a token; the token goes out only once the daemon daemon.json
 * names has proven itself (or to a URL the user gave).
 */
import type { Command } from 'commander';
import { kindText } from '../alert-text.js';
import { ApiError, DaemonUnproven, DaemonUnreachable, type AlertJson, type KeywardClient, type MeJson } from '../client/client.js';
import { clientOf, noDaemonMessage, type Connection } from '../client/connection.js';
import { readDaemonInfo } from '../home.js';
import { withThousands } from '../thousands.js';
import { CliError, EXIT } from './exit.js';
import { shortTime } from './format.js';
import { emit, renderFields } from './output.js';
import { examples, locate, withJson } from './session.js';

type Counts = {
  keys: { active: number; inactive: number };
  openRotations: number;
  openAlerts: number;
  /** The open alerts by kind, most first: what to look at first, before `keyward alerts`. */
  openAlertKinds: Partial<Record<AlertJson['kind'], number>>;
};

/** `2 leaked, 1 canary tripped`: the kinds open, most first. */
function kindsText(kinds: Counts['openAlertKinds']): string {
  const rows = Object.entries(kinds) as [AlertJson['kind'], number][];
  return rows
    .sort(([a, m], [b, n]) => n - m || a.localeCompare(b))
    .map(([kind, n]) => `${withThousands(n)} ${kindText({ kind })}`)
    .join(', ');
}

function byKind(alerts: readonly AlertJson[]): Counts['openAlertKinds'] {
  const kinds: Counts['openAlertKinds'] = {};
  for (const a of alerts) kinds[a.kind] = (kinds[a.kind] ?? 0) + 1;
  return kinds;
}

export type StatusReport = {
  reachable: boolean;
  /**
   * For an address from daemon.json: whether what answers there proved it is that daemon
   * (false: something else answers, and was sent no token). Null when not asked: a URL the
   * user gave is trusted as given, and nothing answered.
   */
  proven: boolean | null;
  /** `ok`, or `degraded` when the daemon cannot write (it says why in /v1/health). */
  health: string | null;
  /** Why the daemon is degraded, as it says; null when it is not. */
  healthReason: string | null;
  /** Null when no daemon runs for the home and no URL was given. */
  url: string | null;
  /** Without a URL: a daemon this version cannot talk to (an older keyward's) holds the home. */
  foreign: boolean;
  /** Without a URL: a daemon holds the home but has not written daemon.json yet (starting?). */
  starting: boolean;
  urlSource: Connection['urlSource'];
  home: string;
  version: string | null;
  pid: number | null;
  startedAt: string | null;
  operator: MeJson['operator'] | null;
  /** Null when the operator may not read keys (a service token), or the store cannot be read. */
  counts: Counts | null;
  /** The counts were asked for and the key store could not answer (PostgreSQL down): the daemon still verifies. */
  countsUnavailable: boolean;
};

/**
 * The daemon's counts: the key list's own (`counts=true` on a page of one key), never the list
 * itself, which at a million keys took seconds and a gigabyte to count here.
 */
async function counts(client: KeywardClient): Promise<Counts | null | 'unavailable'> {
  try {
    const [{ counts: keys }, { rotations }, alerts] = await Promise.all([client.listKeys({ limit: 1, counts: true }), client.rotations('open'), client.allAlerts()]);
    // Every daemon that pages the key list counts it when asked; one that does not is another program.
    if (!keys) throw new CliError('the daemon answered the key list without its counts', EXIT.refused);
    return { keys: { active: keys.active, inactive: keys.inactive }, openRotations: rotations.length, openAlerts: alerts.length, openAlertKinds: byKind(alerts) };
  } catch (err) {
    if (err instanceof ApiError && err.code === 'forbidden') return null;
    if (err instanceof ApiError && err.code === 'store_unavailable') return 'unavailable';
    throw err;
  }
}

function daemonLine(s: StatusReport): string {
  if (s.url === null) {
    if (s.foreign) return 'held by a daemon this version cannot talk to (an older keyward?)';
    return s.starting ? 'held by a daemon that has not said where it listens yet (starting?)' : 'not running (no daemon.json in the home)';
  }
  if (s.proven === false) return `something else answers at ${s.url} (it cannot prove it is this home's daemon)`;
  return s.reachable ? `${s.health}, keyward ${s.version} at ${s.url}` : `not reachable at ${s.url}`;
}

function render(s: StatusReport): string {
  const fields: Array<[string, string]> = [
    ['daemon', daemonLine(s)],
    ['address from', s.urlSource],
    ['home', s.home],
  ];
  if (s.healthReason !== null) fields.push(['degraded', s.healthReason]);
  if (s.pid !== null) fields.push(['pid', `${s.pid} (started ${shortTime(s.startedAt)})`]);
  if (s.operator) fields.push(['operator', `${s.operator.name} (${s.operator.role})`]);
  else if (s.reachable) fields.push(['operator', 'token not accepted']);
  if (s.counts) {
    const { active, inactive } = s.counts.keys;
    fields.push(['keys', `${withThousands(active)} active, ${withThousands(inactive)} inactive`], ['rotations', `${s.counts.openRotations} open`]);
    if (s.counts.openAlerts > 0) fields.push(['alerts', `${withThousands(s.counts.openAlerts)} open: ${kindsText(s.counts.openAlertKinds)} (keyward alerts)`]);
  } else if (s.countsUnavailable) fields.push(['keys', 'not counted: the key store cannot be read now (verify still answers)']);
  else if (s.operator) fields.push(['keys', 'not visible to this operator (needs keys:read)']);
  return renderFields(fields);
}

/** What status reports; the failure to report on exit, if any. */
async function gather(home: string, connection: Connection): Promise<{ report: StatusReport; failure?: Error }> {
  const info = readDaemonInfo(home);
  const ours = info !== undefined && info.url === connection.url;
  const report: StatusReport = {
    reachable: false,
    proven: null,
    health: null,
    healthReason: null,
    url: connection.url ?? null,
    foreign: connection.url === undefined && connection.holder?.why === 'foreign',
    starting: connection.url === undefined && connection.holder?.why === 'starting',
    urlSource: connection.urlSource,
    home,
    version: null,
    pid: ours ? info.pid : null,
    startedAt: ours ? info.startedAt : null,
    operator: null,
    counts: null,
    countsUnavailable: false,
  };
  if (connection.url === undefined) return { report, failure: new CliError(noDaemonMessage(connection), EXIT.unreachable) };
  const client = clientOf(connection);
  try {
    const health = await client.health();
    Object.assign(report, { reachable: true, version: health.version, health: health.status, healthReason: health.reason ?? null, proven: connection.identity ? true : null });
  } catch (err) {
    if (err instanceof DaemonUnproven) {
      report.proven = false;
      return { report, failure: new CliError(err.message, EXIT.unreachable) };
    }
    if (err instanceof DaemonUnreachable) {
      return { report, failure: new CliError(`no keyward daemon answers at ${connection.url}; start one with "keyward daemon"`, EXIT.unreachable) };
    }
    throw err;
  }
  try {
    report.operator = (await client.me()).operator;
    const counted = await counts(client);
    report.counts = counted === 'unavailable' ? null : counted;
    report.countsUnavailable = counted === 'unavailable';
  } catch (err) {
    if (err instanceof ApiError && err.code === 'unauthorized') return { report, failure: err };
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
    const { home, connection } = locate(cmd);
    const { report, failure } = await gather(home, connection);
    await emit(opts, report, () => render(report));
    if (failure) throw failure;
  });
}
