/** `keyward keys …`: list (deleted ones too), show, create (canaries too), import, usage, deactivate, activate, delete and rotate (in an emergency too) API keys. */
import { Option, type Command } from 'commander';
import { keyAlertLine } from '../alert-text.js';
import type { AlertJson, KeyJson, KeySortName, KeywardClient, TombstoneJson, UsageJson } from '../client/client.js';
import { WATCH_MAX_SECONDS, WATCH_MIN_SECONDS } from '../daemon/limits.js';
import { ago, formatElapsed } from '../duration.js';
import { RECENT_USE_MINUTES, recentUse } from '../recent-use.js';
import { inheritedExpiryNote } from '../policy-text.js';
import { safeText } from '../sanitize.js';
import { withThousands } from '../thousands.js';
import { refused, usageError } from './exit.js';
import { futureTime, shortTime, spanOption } from './format.js';
import { importCommand } from './import-command.js';
import { findKey } from './lookup.js';
import { nonEmpty } from './non-empty.js';
import { emit, note, print, printJson, quoted, renderFields, renderTable, reveal, type Column } from './output.js';
import { fieldsFromFlags, policyFields, withPolicyFlags, type PolicyFlags } from './policy-flags.js';
import { confirmOrRefuse } from './prompt.js';
import { streamRows } from './stream.js';
import { usageCommand } from './usage-command.js';
import { examples, session, withJson, withYes } from './session.js';

/** A canary's status says what it is: it never verifies, whatever its status. */
function statusOf(k: KeyJson): string {
  return k.canary ? `${k.status} (canary)` : k.status;
}

const columns: Column<KeyJson>[] = [
  { header: 'NAME', value: (k) => k.name },
  { header: 'OWNER', value: (k) => k.owner ?? '' },
  { header: 'ID', value: (k) => k.id },
  { header: 'STATUS', value: statusOf },
  { header: 'HINT', value: (k) => k.hint },
  { header: 'LAST USED', value: (k) => ago(k.lastUsedAt, Date.now()) },
  { header: 'USES 24H', value: (k) => withThousands(k.uses24h), align: 'right' },
  { header: 'CREATED', value: (k) => shortTime(k.createdAt) },
];

/** `--watch 10m` → 600 (seconds), within the daemon's bounds. */
const watchSpan = (value: string) => spanOption('--watch', value, { min: WATCH_MIN_SECONDS, max: WATCH_MAX_SECONDS, must: 'a span from 1m to 30d, such as 10m, 1h or 2d' });

const tombstoneColumns: Column<TombstoneJson>[] = [
  { header: 'NAME', value: (t) => t.name },
  { header: 'ID', value: (t) => t.keyId },
  { header: 'HINT', value: (t) => t.hint },
  { header: 'DELETED', value: (t) => `${shortTime(t.deletedAt)} by ${t.deletedBy}${t.rotationId ? ` (${t.rotationId})` : ''}` },
  { header: 'PRESENTED', value: (t) => String(t.presentations), align: 'right' },
  { header: 'LAST PRESENTED', value: (t) => (t.lastPresentedAt ? `${ago(t.lastPresentedAt, Date.now())}${t.lastCaller ? ` by ${t.lastCaller}` : ''}` : 'never') },
];

/** Open alerts `keys show` lists; a canary tripped by a crawler's hundred callers has a hundred. */
const ALERTS_SHOWN = 5;

/** A key's fields; `openAlerts`, the key's open alerts, newest first, right under its status. */
function keyFields(k: KeyJson, openAlerts: readonly AlertJson[] = []): string {
  const now = Date.now();
  return renderFields([
    ['name', k.name],
    ['id', k.id],
    ['status', k.deactivatedAt ? `${k.status} (deactivated ${shortTime(k.deactivatedAt)})` : k.status],
    ...(k.canary ? [['canary', 'yes: it never verifies, and any presentation raises canary.tripped (keyward alerts)'] as const] : []),
    ...(k.deactivationReason ? [['reason', k.deactivationReason] as const] : []),
    ...openAlerts.slice(0, ALERTS_SHOWN).map((a, i) => [i === 0 ? 'alerts' : '', keyAlertLine(a, ago(a.lastSeenAt, now))] as const),
    ...(openAlerts.length > ALERTS_SHOWN ? [['', `+${openAlerts.length - ALERTS_SHOWN} more: keyward alerts --key ${k.id}`] as const] : []),
    ['hint', k.hint],
    ['created', `${shortTime(k.createdAt)} by ${k.createdBy}`],
    ['expires', k.expiresAt ? `${shortTime(k.expiresAt)} (${ago(k.expiresAt, now)})` : 'never'],
    ['last used', k.lastUsedAt ? `${ago(k.lastUsedAt, now)} (${shortTime(k.lastUsedAt)})` : 'never'],
    ['uses 24h', withThousands(k.uses24h)],
    ...policyFields(k),
  ]);
}

type ListOptions = {
  status?: 'active' | 'inactive' | 'deleted';
  filter?: string;
  search?: string;
  owner?: string;
  sort?: KeySortName;
  reverse?: boolean;
  json?: boolean;
  ndjson?: boolean;
  pageSize: number;
};

function pageSize(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw usageError(`--page-size ${JSON.stringify(value)} must be a whole number from 1 to 10000`);
  return n;
}

const KEY_SORT_NAMES: KeySortName[] = ['name', 'newest', 'lastUsed', 'uses24h', 'status', 'owner'];

/** The key's usage over the recent window, or undefined if it cannot be read: it only adds a warning. */
function recentUsage(client: KeywardClient, id: string): Promise<UsageJson | undefined> {
  return client.usage(id, RECENT_USE_MINUTES).catch(() => undefined);
}

export function keysCommand(program: Command): void {
  const keys = examples(program.command('keys').description('list and manage API keys (addressed by id or name)'), [
    'keyward keys list',
    'keyward keys create billing --expires 2030-12-31 > billing.key',
    'keyward keys create orders-eu --scope orders:* --allow-ip 10.0.0.0/8 --rate 100/1m --owner team-orders',
    'keyward keys edit orders-eu --quota 1000 --refill 1000/1d --clear rate',
    'keyward keys deactivate billing',
    'keyward keys delete billing --yes',
  ]);

  examples(
    withJson(
      keys
        .command('list')
        .description('list keys, oldest first, page by page as they come (any number of keys); --status deleted lists deleted keys remembered for a year, most recent first')
        .addOption(new Option('--status <status>', 'only active, inactive or deleted keys').choices(['active', 'inactive', 'deleted']))
        .option('--filter <text>', 'only keys whose name contains TEXT (case-insensitive)')
        .option('--search <text>', "only keys whose name, owner or hint contains TEXT (case-insensitive), or whose id is TEXT (the TUI's /)")
        .option('--owner <owner>', 'only keys of this owner (exact)')
        .addOption(new Option('--sort <order>', 'the order: name A→Z, newest, lastUsed, uses24h (busiest), status (active first), owner').choices(KEY_SORT_NAMES))
        .option('--reverse', 'the order turned round')
        .option('--ndjson', 'one key a line as JSON, for streaming into other tools')
        .option('--page-size <n>', 'keys asked for at a time (1–10000): what the list holds in memory', pageSize, 5000),
    ),
    [
      'keyward keys list --status active',
      'keyward keys list --owner team-orders',
      'keyward keys list --sort uses24h --reverse --ndjson | head',
      "keyward keys list --json | jq -r '.keys[] | select(.uses24h == 0) | .name'",
      'keyward keys list --status deleted',
    ],
  ).action(async (opts: ListOptions, cmd: Command) => {
    const { client } = session(cmd);
    if (opts.json && opts.ndjson) throw usageError('give --json or --ndjson, not both');
    if (opts.status === 'deleted') {
      if (opts.filter !== undefined || opts.owner !== undefined || opts.search !== undefined || opts.sort !== undefined) {
        throw usageError('--status deleted takes no --filter, --search, --owner or --sort: a deleted key keeps only its name and hint');
      }
      const tombstones = await client.allTombstones();
      if (opts.json) printJson({ tombstones });
      else if (opts.ndjson) await streamRows([tombstones], 'ndjson', tombstoneColumns, 'tombstones');
      else if (tombstones.length === 0) note('no deleted keys remembered');
      else print(await renderTable(tombstones, tombstoneColumns));
      return;
    }
    const pages = client.keyPages({ status: opts.status, q: opts.filter, filter: opts.search, owner: opts.owner, sort: opts.sort, reverse: opts.reverse, limit: opts.pageSize });
    const printed = await streamRows(pages, opts.json ? 'json' : opts.ndjson ? 'ndjson' : 'table', columns, 'keys');
    if (printed === 0 && !opts.json && !opts.ndjson) note('no keys');
  });

  examples(withJson(keys.command('show').description('show one key').argument('<key>', 'key id or name')), [
    'keyward keys show billing',
    'keyward keys show key_3kTMd8p6NxLw0aQvYc1bZe --json',
  ]).action(async (ref: string, opts: { json?: boolean }, cmd: Command) => {
    const { client } = session(cmd);
    const key = await findKey(client, ref);
    if (opts.json) return printJson({ key });
    // What an admin acts on first: the alerts open on this key (a leak, a canary tripped, the old
    // key still used). Filtered here too: a daemon from before `?key=` ignores it and sends all.
    const open = (await client.allAlerts({ key: key.id })).filter((a) => a.keyId === key.id);
    print(keyFields(key, open));
  });

  examples(
    withJson(
      withPolicyFlags(
        keys
          .command('create')
          .description('create a key; prints its secret, once, alone on stdout')
          .argument('<name>', 'a unique name, 1–64 characters')
          .option('--expires <date>', 'when verification starts answering "expired" (ISO-8601)')
        .option('--canary', 'a canary key, to plant where a thief would look: it never verifies, and presenting it raises an alert'),
      ),
    ),
    [
      'SECRET=$(keyward keys create billing)',
      'keyward keys create aws-backup-old --canary > bait.key',
      'keyward keys create ci-deploy --expires 2030-06-30T00:00:00Z --json',
      'keyward keys create partner-acme --scope orders:read --allow-ip 203.0.113.0/24 --quota 10000 --refill 10000/1d --owner acme',
    ],
  ).action(async (name: string, opts: PolicyFlags & { expires?: string; canary?: boolean; json?: boolean }, cmd: Command) => {
    const expiresAt = opts.expires === undefined ? undefined : futureTime('--expires', opts.expires);
    const fields = await fieldsFromFlags(opts);
    const created = await session(cmd).client.createKey(name, { ...fields, ...(expiresAt && { expiresAt }), ...(opts.canary && { canary: true }) });
    const what = created.key.canary ? 'canary key' : 'key';
    reveal(opts, created, 'key', created.secret, () => `created ${what} ${quoted(created.key.name)} (${created.key.id}); this is the only time its secret is shown`);
  });

  examples(
    withJson(
      withPolicyFlags(
        keys
          .command('edit')
          .description('change a key: name, expiry, description, owner, meta and policy; a narrower policy is in force when this returns')
          .argument('<key>', 'key id or name')
          .option('--name <new>', 'a new unique name', nonEmpty('--name'))
          .option('--expires <date>', 'when verification starts answering "expired" (ISO-8601); --clear expires removes it'),
        true,
      ),
    ),
    ['keyward keys edit billing --owner team-billing --scope billing:*', 'keyward keys edit billing --clear allow-ip --clear quota', 'keyward keys edit billing --name billing-eu'],
  ).action(async (ref: string, opts: PolicyFlags & { name?: string; expires?: string; json?: boolean }, cmd: Command) => {
    const clearExpiry = opts.clear?.includes('expires') === true;
    if (clearExpiry && opts.expires !== undefined) throw usageError('--clear expires and --expires contradict each other');
    const expiresAt = clearExpiry ? null : opts.expires === undefined ? undefined : futureTime('--expires', opts.expires);
    const fields = await fieldsFromFlags({ ...opts, clear: opts.clear?.filter((f) => f !== 'expires') });
    const edit = { ...fields, ...(opts.name !== undefined && { name: opts.name }), ...(expiresAt !== undefined && { expiresAt }) };
    if (Object.keys(edit).length === 0) throw usageError('nothing to change: give --name, --expires, a policy flag or --clear (see keyward keys edit --help)');
    const { client } = session(cmd);
    const key = await findKey(client, ref);
    const updated = await client.editKey(key.id, edit);
    // One line, as every write prints: the fields sent, as the audit names them; `keys show` has the rest.
    await emit(opts, updated, () => `updated key ${quoted(updated.key.name)} (${updated.key.id}): ${Object.keys(edit).join(', ')}`);
  });

  examples(
    withJson(
      keys
        .command('deactivate')
        .description('deactivate a key: verification fails from now on')
        .argument('<key>', 'key id or name')
        .option('--reason <text>', 'why: kept on the key and audited; "leaked: …" reports a leak and raises key.leaked'),
    ),
    ['keyward keys deactivate billing', 'keyward keys deactivate billing --reason "leaked: pasted in #general"'],
  ).action(async (ref: string, opts: { reason?: string; json?: boolean }, cmd: Command) => {
    const { client } = session(cmd);
    const key = await findKey(client, ref);
    const updated = await client.deactivateKey(key.id, opts.reason);
    await emit(opts, updated, () => `key ${quoted(updated.key.name)} (${updated.key.id}) is ${updated.key.status}`);
    // Asked after, not before: a key under attack goes off first. What it broke, and the way back.
    const used = recentUse(await recentUsage(client, key.id), Date.now(), 'accepted');
    if (used) note(`${used}: those clients fail from now on ("keyward keys activate ${key.id}" undoes it)`);
  });

  examples(withJson(keys.command('activate').description('activate an inactive key again').argument('<key>', 'key id or name')), ['keyward keys activate billing']).action(
    async (ref: string, opts: { json?: boolean }, cmd: Command) => {
      const { client } = session(cmd);
      const updated = await client.activateKey((await findKey(client, ref)).id);
      await emit(opts, updated, () => `key ${quoted(updated.key.name)} (${updated.key.id}) is ${updated.key.status}`);
    },
  );

  examples(
    withJson(
      withYes(
        keys
          .command('delete')
          .description('delete an inactive key, permanently (asks first on a terminal)')
          .argument('<key>', 'key id or name'),
      ),
    ),
    ['keyward keys delete billing', 'keyward keys delete billing --yes'],
  ).action(async (ref: string, opts: { yes?: boolean; json?: boolean }, cmd: Command) => {
    const { client } = session(cmd);
    const key = await findKey(client, ref);
    if (key.status === 'active') throw refused(`key ${quoted(key.name)} is active; deactivate it first: keyward keys deactivate ${key.id}`);
    const presented = opts.yes ? undefined : recentUse(await recentUsage(client, key.id), Date.now(), 'presented');
    await confirmOrRefuse(opts.yes, `${presented ? `${safeText(presented)}: something still uses it. ` : ''}Delete key ${quoted(key.name)} (${key.id}) permanently?`);
    await client.deleteKey(key.id);
    await emit(opts, { deleted: { id: key.id, name: key.name } }, () => `deleted key ${quoted(key.name)} (${key.id})`);
  });

  examples(
    withJson(
      keys
        .command('rotate')
        .description('start replacing a key: creates the new key and prints its secret, once, alone on stdout')
        .argument('<key>', 'id or name of the key to replace')
        .option('--name <new>', 'name of the new key (default: the old name with a suffix, e.g. billing-2)', nonEmpty('--name'))
        .option('--watch <span>', 'how long to watch traffic after the cut-over before the old key may be deleted, 1m to 30d (default 10m)', watchSpan)
        .option('--emergency', 'the key is compromised: deactivate it at once, as the new key is created (asks first on a terminal)')
        .option('--reason <text>', 'with --emergency: why, kept on the old key (default "compromised: emergency rotation")')
        .option('-y, --yes', 'with --emergency: do not ask; required when stdin is not a terminal'),
    ),
    [
      'NEW=$(keyward keys rotate billing)',
      'keyward keys rotate billing --name billing-2025 --json',
      'keyward keys rotate billing --watch 1h > new.key',
      'NEW=$(keyward keys rotate billing --emergency --reason "leaked: pasted in #general" --yes)',
    ],
  ).action(async (ref: string, opts: { name?: string; watch?: number; emergency?: boolean; reason?: string; yes?: boolean; json?: boolean }, cmd: Command) => {
    if (opts.reason !== undefined && !opts.emergency) throw usageError('--reason is for --emergency (a plain rotation deactivates the old key later, at its cut-over)');
    const { client } = session(cmd);
    const key = await findKey(client, ref);
    if (opts.emergency) {
      await confirmOrRefuse(opts.yes, `Replace ${quoted(key.name)} now and deactivate it at once? Every client still using it fails from now on.`);
    }
    const emergency = opts.emergency ? { emergency: true as const, ...(opts.reason !== undefined && { reason: opts.reason }) } : {};
    const started = await client.startRotation(key.id, { name: opts.name, watchSeconds: opts.watch, ...emergency });
    const r = started.rotation;
    const expiry = inheritedExpiryNote(key.expiresAt, shortTime);
    const next = opts.emergency
      ? `${quoted(r.oldKeyName)} is deactivated: put the new key into your systems; presentations of the old one show in: keyward rotations show ${r.id}`
      : `Put it into your systems, then: keyward rotations advance ${r.id}`;
    reveal(
      opts,
      started,
      'key',
      started.secret,
      () =>
        `started rotation ${r.id}: new key ${quoted(r.newKeyName)} (${r.newKeyId}) replaces ${quoted(r.oldKeyName)}; this is the only time its secret is shown.\n` +
        `${next}\n` +
        `After the cut-over, traffic is watched for ${formatElapsed(r.watchSeconds * 1000)} before the old key may be deleted.` +
        (expiry ? `\n${expiry}` : ''),
    );
  });

  importCommand(keys);
  usageCommand(keys);
}
