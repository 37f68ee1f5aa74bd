/**
 * The policy flags of `keys create` and `keys edit`, turned into the fields of the request:
 * `--scope S`…, `--allow-ip CIDR`…, `--rate N/WINDOW`, `--quota N [--refill N/INTERVAL]`,
 * `--owner`, `--description`, `--meta JSON`, and for edit `--clear FIELD`…. The values are
 * checked with the daemon's own schema before anything is sent, so a bad one is a usage error
 * (exit 2) naming the flag, with the daemon's wording.
 */
import type { Command } from 'commander';
import type { KeyFieldsInput, KeyJson } from '../client/client.js';
import { allowedIpsPhrase, parseCount, parsePerInterval, quotaPhrase, ratePhrase, scopesPhrase } from '../policy-text.js';
import { usageError } from './exit.js';
import { shortTime } from './format.js';

export type PolicyFlags = {
  scope?: string[];
  allowIp?: string[];
  rate?: string;
  quota?: string;
  refill?: string;
  owner?: string;
  description?: string;
  meta?: string;
  clear?: string[];
};

/** What `--clear` takes, and the field each clears. */
const CLEARABLE = {
  description: 'description',
  owner: 'owner',
  meta: 'meta',
  scope: 'scopes',
  'allow-ip': 'allowedIps',
  rate: 'rateLimit',
  quota: 'quota',
} as const satisfies Record<string, keyof KeyFieldsInput>;

/** Everything `keys edit --clear` takes (the expiry is not a policy field, but clears the same way). */
const CLEAR_NAMES = [...Object.keys(CLEARABLE), 'expires'].join(', ');

/** The flag a field is set with, for messages. */
const FLAG_OF: Record<keyof KeyFieldsInput, string> = {
  description: '--description',
  owner: '--owner',
  meta: '--meta',
  scopes: '--scope',
  allowedIps: '--allow-ip',
  rateLimit: '--rate',
  quota: '--quota',
};

/** Commander's parser for a flag that may be given again: each value appended. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds the policy flags to `cmd`; `edit` adds `--clear`. */
export function withPolicyFlags(cmd: Command, edit = false): Command {
  cmd
    .option('--scope <scope>', 'a scope the key grants, e.g. orders:read or orders:* (repeat for more)', collect)
    .option('--allow-ip <cidr>', 'an address or CIDR the key may be used from (repeat for more)', collect)
    .option('--rate <n/window>', 'at most N verifications per window, e.g. 100/1m, 10/30s, 5000/1h')
    .option('--quota <n>', 'the key may be used N more times')
    .option('--refill <n/interval>', 'with --quota: set the quota back to N every interval, e.g. 1000/1d')
    .option('--owner <owner>', 'who the key belongs to (returned by verify)')
    .option('--description <text>', 'what the key is for')
    .option('--meta <json>', 'a JSON object returned by verify, e.g. \'{"plan":"pro"}\'');
  if (edit) cmd.option('--clear <field>', `remove a setting: ${CLEAR_NAMES} (repeat for more)`, collect);
  return cmd;
}

function wholeNumber(flag: string, text: string): number {
  const count = parseCount(text);
  if (count === undefined) throw usageError(`${flag} ${JSON.stringify(text)} is not a whole number`);
  return count;
}

/** `N/DURATION` as `[N, seconds]`. */
function perInterval(flag: string, text: string, example: string): [number, number] {
  const read = parsePerInterval(text);
  if ('problem' in read) throw usageError(`${flag} ${JSON.stringify(text)} ${read.problem}, e.g. ${example}`);
  return [read.count, read.seconds];
}

function parseMeta(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw usageError(`--meta is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * A repeatable flag's values, each one entry. No scope, address or CIDR holds a comma or a
 * space, so a value with one is most likely a list, as the TUI's form takes it: it is named as
 * that here, where the daemon could only say the entry is not a scope or has a prefix length
 * that is not a number. Nothing is split by guess.
 */
function entries(flag: string, values: string[]): string[] {
  for (const value of values) {
    const separator = /,/.test(value) ? 'a comma' : /\s/.test(value.trim()) ? 'a space' : undefined;
    if (separator) throw usageError(`${flag} ${JSON.stringify(value)} has ${separator}: give ${flag} once for each entry`);
  }
  return values;
}

/** The fields the flags set, checked; with `--clear`, null for each field cleared. */
export async function fieldsFromFlags(flags: PolicyFlags): Promise<KeyFieldsInput> {
  const fields: Record<string, unknown> = {};
  if (flags.scope) fields.scopes = entries('--scope', flags.scope);
  if (flags.allowIp) fields.allowedIps = entries('--allow-ip', flags.allowIp);
  if (flags.rate !== undefined) {
    const [limit, windowSeconds] = perInterval('--rate', flags.rate, '100/1m');
    fields.rateLimit = { limit, windowSeconds };
  }
  if (flags.refill !== undefined && flags.quota === undefined) throw usageError('--refill needs --quota: a quota is set whole, with its refill');
  if (flags.quota !== undefined) {
    const refill = flags.refill === undefined ? null : perInterval('--refill', flags.refill, '1000/1d');
    fields.quota = { remaining: wholeNumber('--quota', flags.quota), refill: refill && { amount: refill[0], intervalSeconds: refill[1] } };
  }
  if (flags.owner !== undefined) fields.owner = flags.owner;
  if (flags.description !== undefined) fields.description = flags.description;
  if (flags.meta !== undefined) fields.meta = parseMeta(flags.meta);
  // A field cleared twice is cleared once, not taken for a flag that sets it.
  for (const name of new Set(flags.clear ?? [])) {
    const field = CLEARABLE[name as keyof typeof CLEARABLE];
    if (!field) throw usageError(`--clear ${JSON.stringify(name)}: can clear ${CLEAR_NAMES}`);
    if (fields[field] !== undefined) throw usageError(`--clear ${name} and ${FLAG_OF[field]} contradict each other`);
    fields[field] = null;
  }
  return validate(fields);
}

/**
 * `fields` as the daemon's schema reads them, or a usage error naming the flag. The schema is
 * loaded here only: other commands do not pay for it.
 */
async function validate(fields: Record<string, unknown>): Promise<KeyFieldsInput> {
  const { KeyFieldsInput: schema } = await import('../daemon/keys/policy-schemas.js');
  const parsed = schema.safeParse(fields);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = String(issue.path[0]) as keyof KeyFieldsInput;
  const flag = field === 'quota' && issue.path[1] === 'refill' ? '--refill' : FLAG_OF[field];
  const value = field === 'scopes' || field === 'allowedIps' ? (fields[field] as unknown[])[Number(issue.path[1])] : undefined;
  throw usageError(`${flag}${typeof value === 'string' ? ` ${JSON.stringify(value)}` : ''}: ${issue.message}`);
}

/** Readable lines about a key's policy and labels, for `keys show`. */
export function policyFields(key: KeyJson): [string, string][] {
  return [
    ['description', key.description ?? '—'],
    ['owner', key.owner ?? '—'],
    ['scopes', scopesPhrase(key.scopes)],
    ['allowed IPs', allowedIpsPhrase(key.allowedIps)],
    ['rate limit', ratePhrase(key.rateLimit)],
    ['quota', quotaPhrase(key.quota, shortTime)],
    ['meta', key.meta === null ? '—' : JSON.stringify(key.meta)],
  ];
}
