/**
 * Upgrading a home: a store as an older keyward left it, opened by this build. Each older store
 * is made by drizzle's own migrator running this build's migrations up to an older one (a copy
 * of the folder with a shortened journal), then holding rows written as that schema held them
 * (the rows mirror what the build of 0002 wrote when driven by hand). Also the two stores this
 * build must refuse rather than migrate: one a newer build migrated (a downgrade), and one a
 * development build migrated with migrations renamed since.
 */
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, legacyHash } from '../../src/daemon/audit/chain.js';
import { DEFAULT_MIGRATIONS } from '../../src/daemon/db/sqlite/open.js';
import { StartupError } from '../../src/daemon/main.js';
import { generateSecret, hashSecret, KEY_PREFIX, OPERATOR_TOKEN_PREFIX } from '../../src/daemon/secrets/format.js';
import { hintOf } from '../../src/secret-text.js';
import { homeFiles } from '../../src/home.js';
import { startTestApp, tempHome, testBackend, type TestApp } from '../helpers/daemon.js';

type Journal = { entries: { idx: number; version: string; when: number; tag: string; breakpoints: boolean }[] };

/** Migration folders and homes a test made, removed after it however it ended (a refused start leaves its home). */
const folders: string[] = [];
let t: TestApp | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A copy of this build's migrations whose journal is changed by `edit` (another build's folder). */
function migrationsFolder(edit: (journal: Journal, folder: string) => void): string {
  const folder = mkdtempSync(join(tmpdir(), 'keyward-migrations-'));
  folders.push(folder);
  cpSync(DEFAULT_MIGRATIONS, folder, { recursive: true });
  const file = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(file, 'utf8')) as Journal;
  edit(journal, folder);
  writeFileSync(file, JSON.stringify(journal));
  return folder;
}

/** The home's store migrated by drizzle alone (none of this build's code) with `folder`. */
function migratedStore(home: string, folder: string): Database.Database {
  const sqlite = new Database(homeFiles(home).db);
  migrate(drizzle(sqlite), { migrationsFolder: folder });
  return sqlite;
}

/** Up to and including the migration tagged `last`, as the build that shipped it had them. */
const upTo = (last: string) => migrationsFolder((journal) => (journal.entries = journal.entries.slice(0, journal.entries.findIndex((e) => e.tag === last) + 1)));

const tables = (sqlite: Database.Database) => sqlite.prepare<[], string>("select name from sqlite_master where type = 'table' order by name").pluck().all();

/** What the build of 0002 left in a home after an admin's first session; secrets to present later. */
function homeOf0002(home: string) {
  const now = Date.now();
  const sqlite = migratedStore(home, upTo('0002_harden'));
  const secrets = { billing: generateSecret(KEY_PREFIX), retired: generateSecret(KEY_PREFIX), deleted: generateSecret(KEY_PREFIX), old: generateSecret(KEY_PREFIX), next: generateSecret(KEY_PREFIX) };
  const tokens = { admin: generateSecret(OPERATOR_TOKEN_PREFIX), alice: generateSecret(OPERATOR_TOKEN_PREFIX), bob: generateSecret(OPERATOR_TOKEN_PREFIX) };
  const operator = sqlite.prepare('insert into operators (id, name, name_folded, name_skeleton, role, token_hash, created_at, disabled_at) values (?, ?, ?, ?, ?, ?, ?, ?)');
  operator.run('op_admin', 'admin', 'admin', 'adrnin', 'admin', hashSecret(tokens.admin), now - 9000, null);
  operator.run('op_alice', 'alice', 'alice', 'alice', 'manager', hashSecret(tokens.alice), now - 8000, null);
  operator.run('op_bob', 'bob', 'bob', 'bob', 'viewer', hashSecret(tokens.bob), now - 8000, now - 7000);
  const key = sqlite.prepare('insert into keys (id, name, name_folded, name_skeleton, hash, hint, status, created_at, created_by, deactivated_at, last_used_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  key.run('key_billing', 'billing', 'billing', 'billing', hashSecret(secrets.billing), hintOf(secrets.billing, KEY_PREFIX), 'active', now - 6000, 'admin', null, now - 1000);
  key.run('key_retired', 'retired', 'retired', 'retired', hashSecret(secrets.retired), hintOf(secrets.retired, KEY_PREFIX), 'inactive', now - 6000, 'admin', now - 5000, null);
  key.run('key_old', 'svc', 'svc', 'svc', hashSecret(secrets.old), hintOf(secrets.old, KEY_PREFIX), 'active', now - 6000, 'admin', null, now - 1000);
  key.run('key_next', 'svc-2', 'svc-2', 'svc-2', hashSecret(secrets.next), hintOf(secrets.next, KEY_PREFIX), 'active', now - 4000, 'admin', null, null);
  sqlite.prepare('insert into usage_buckets (key_id, minute, ok, rejected) values (?, ?, ?, ?)').run('key_billing', Math.floor(now / 60_000), 4, 1);
  // An open rotation waiting to deactivate its old key.
  sqlite
    .prepare(
      "insert into rotations (id, old_key_id, old_key_name, new_key_id, new_key_name, step, step_started_at, created_at, created_by, verify_new_at, deactivate_old_at) values ('rot_open', 'key_old', 'svc', 'key_next', 'svc-2', 'deactivate_old', ?, ?, 'admin', ?, ?)",
    )
    .run(now - 2000, now - 4000, now - 3000, now - 2000);
  // The audit log as the build before signed events chained it: plain SHA-256, `signer` null.
  const event = sqlite.prepare(
    'insert into audit_events (id, at, operator_id, operator_name, action, target_type, target_id, target_name, detail, prev_hash, hash, signer) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null)',
  );
  let prevHash = GENESIS_HASH;
  const actions: [string, string, string, string][] = [
    ['operator.create', 'operator', 'op_admin', 'admin'],
    ['key.create', 'key', 'key_billing', 'billing'],
    ['key.create', 'key', 'key_deleted', 'gone'],
    ['key.deactivate', 'key', 'key_deleted', 'gone'],
    ['key.delete', 'key', 'key_deleted', 'gone'],
    ['rotation.start', 'rotation', 'rot_open', 'svc'],
  ];
  actions.forEach(([action, targetType, targetId, targetName], i) => {
    const fields = { id: `evt_${i}`, at: now - 6000 + i, operatorId: 'op_admin', operatorName: 'admin', action, targetType, targetId, targetName, detail: '{}', prevHash, signer: null };
    const hash = legacyHash(fields);
    event.run(fields.id, fields.at, fields.operatorId, fields.operatorName, action, targetType, targetId, targetName, fields.detail, prevHash, hash);
    prevHash = hash;
  });
  sqlite.close();
  writeFileSync(homeFiles(home).adminToken, `${tokens.admin}\n`, { mode: 0o600 });
  return { secrets, tokens, events: actions.length };
}

describe.skipIf(testBackend !== 'sqlite')('upgrading a home', () => {
  it('from the build of 0002 keeps every key, secret, operator, usage count, rotation and audit event', async () => {
    const home = tempHome();
    folders.push(home);
    const { secrets, tokens, events } = homeOf0002(home);
    t = await startTestApp({ home });

    const keys = (await t.api('GET', '/v1/keys')).body.keys;
    expect(keys.map((k) => [k.id, k.name, k.status]).sort()).toEqual([
      ['key_billing', 'billing', 'active'],
      ['key_next', 'svc-2', 'active'],
      ['key_old', 'svc', 'active'],
      ['key_retired', 'retired', 'inactive'],
    ]);
    expect(keys.find((k) => k.id === 'key_billing')).toMatchObject({ uses24h: 5, description: null, scopes: null, rateLimit: null, quota: null });
    expect(await t.client.verify(secrets.billing)).toMatchObject({ valid: true, keyId: 'key_billing' });
    expect(await t.client.verify(secrets.retired)).toEqual({ valid: false, code: 'inactive' });
    expect(await t.client.verify(secrets.deleted)).toEqual({ valid: false, code: 'not_found' });

    expect((await t.api('GET', '/v1/keys', undefined, tokens.alice)).status).toBe(200);
    expect((await t.api('GET', '/v1/keys', undefined, tokens.bob)).status).toBe(401);

    // The rotation the older build left open goes on to its end.
    for (const from of ['deactivate_old', 'double_check', 'delete_old']) {
      const res = await t.api('POST', '/v1/rotations/rot_open/advance', { from, force: true });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    expect((await t.api('GET', '/v1/rotations/rot_open')).body.rotation).toMatchObject({ step: 'completed', outcome: 'deleted' });
    expect(await t.client.verify(secrets.old)).toEqual({ valid: false, code: 'not_found' });
    expect(await t.client.verify(secrets.next)).toMatchObject({ valid: true, keyId: 'key_next' });

    // The unsigned events come first; this build's signed ones follow, across a restart.
    await t.restart();
    const report = await t.daemon.core.verifyAudit();
    expect(report).toMatchObject({ ok: true, unsigned: events });
    expect(report.signed).toBeGreaterThanOrEqual(4);
  });

  it('refuses a store a newer keyward migrated, and leaves it as it was', async () => {
    const home = tempHome();
    folders.push(home);
    const newer = migrationsFolder((journal, folder) => {
      const last = journal.entries.at(-1)!;
      journal.entries.push({ ...last, idx: last.idx + 1, when: last.when + 60_000, tag: '9999_from_the_future' });
      writeFileSync(join(folder, '9999_from_the_future.sql'), 'CREATE TABLE `future_thing` (`id` text PRIMARY KEY NOT NULL);\n');
    });
    migratedStore(home, newer).close();

    const refused = startTestApp({ home });
    await expect(refused).rejects.toThrow(StartupError);
    await expect(refused).rejects.toThrow(/was migrated by a newer keyward \(1 migration after this build's newest, \d{4}_\w+\).*restore the backup/);
    // The newer build still opens it as it left it.
    const sqlite = migratedStore(home, newer);
    expect(tables(sqlite)).toContain('future_thing');
    sqlite.close();
  });

  it('refuses a store a development build migrated with migrations renamed since, before running any', async () => {
    const home = tempHome();
    folders.push(home);
    // As c666049 had them: 0000-0004 as shipped, then its own 0005 (the alerts table among
    // others), dated after this build's 0005 but before its 0006, which creates alerts again.
    const branch = migrationsFolder((journal, folder) => {
      journal.entries = journal.entries.slice(0, 5);
      journal.entries.push({ ...journal.entries[4]!, idx: 5, when: 1796063434912, tag: '0005_watch_trouble' });
      writeFileSync(join(folder, '0005_watch_trouble.sql'), 'CREATE TABLE `alerts` (`id` text PRIMARY KEY NOT NULL);\n');
    });
    migratedStore(home, branch).close();

    await expect(startTestApp({ home })).rejects.toThrow(/records 1 migration that this build does not have.*development build/);
    const sqlite = new Database(homeFiles(home).db);
    expect(tables(sqlite)).not.toContain('webhooks');
    expect(sqlite.prepare('select count(*) from __drizzle_migrations').pluck().get()).toBe(6);
    sqlite.close();
  });
});
