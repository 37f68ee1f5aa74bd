/**
 * A disk another program fills to its last byte, on a real 48 MiB tmpfs: the room keyward keeps
 * for writes that take access away is gone, and before the reserve file a deactivation failed
 * with 507 storage_full. Now the daemon gives up `keyward.reserve` for it and tries again; writes
 * that add are still refused, and the file comes back once the disk has room. A link planted
 * where the file was is never followed.
 */
import { existsSync, lstatSync, readFileSync, rmSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RESERVE_FILE_BYTES } from '../../src/daemon/db/sqlite/reserve-file.js';
import { homeFiles } from '../../src/home.js';
import { publishPrivate } from '../../src/private-files.js';
import { startTestApp, startTestDaemon, type TestApp, type TestDaemon } from '../helpers/daemon.js';
import { parsePrometheusText, sampleValue } from '../helpers/prom-text.js';
import { canMount, fillDisk, onSmallDisk } from './helpers/small-disk.js';
import { openStoreFile } from './helpers/store-file.js';

type Victims = { keyId: string; operatorId: string };

/**
 * Runs `body` with a daemon whose home is on a small disk that `disk/filler` then fills
 * completely; `beforeFull` runs on the disk just before.
 */
async function onFullDisk(body: (t: TestApp, disk: string, victims: Victims) => Promise<void>, beforeFull?: (t: TestApp, disk: string) => Promise<void>): Promise<void> {
  await onSmallDisk(async (disk) => {
    const t = await startTestApp({ home: join(disk, 'home'), reserveFileBytes: RESERVE_FILE_BYTES });
    try {
      expectReserveFile(t);
      const victims = { keyId: (await t.client.createKey('leaked')).key.id, operatorId: (await t.client.createOperator('leaving', 'manager')).operator.id };
      await beforeFull?.(t, disk);
      fillDisk(join(disk, 'filler'));
      expect(statfsSync(disk).bavail, 'not one block is free').toBe(0);
      await body(t, disk, victims);
    } finally {
      // The disk can only be unmounted once the daemon has closed its files on it.
      await t.daemon.close();
    }
  });
}

/** The reserve file in place: this user's, owner-only, and every byte of it on the disk (a sparse file would reserve nothing). */
function expectReserveFile(t: TestApp): void {
  const st = lstatSync(homeFiles(t.home).reserve);
  expect(st.isFile() && (st.mode & 0o777) === 0o600, 'a regular file, mode 0600').toBe(true);
  expect(st.size).toBe(RESERVE_FILE_BYTES);
  expect(st.blocks * 512, 'allocated blocks').toBeGreaterThanOrEqual(RESERVE_FILE_BYTES);
}

async function reserveFileMissing(t: TestApp): Promise<number | undefined> {
  const res = await t.fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${t.adminToken}` } });
  return sampleValue(parsePrometheusText(await res.text()), 'keyward_reserve_file_missing');
}

const released = (t: Pick<TestDaemon, 'logs'>) => t.logs.filter((line) => line.startsWith('released the reserve file'));

describe.skipIf(!canMount())('the reserve file on a disk another program filled (a 48 MiB tmpfs)', () => {
  it('deactivates, deletes and disables with no byte free, refuses writes that add, and comes back once there is room', async () => {
    await onFullDisk(async (t, disk, victims) => {
      expect(await reserveFileMissing(t)).toBe(0);
      const deactivated = await t.api('POST', `/v1/keys/${victims.keyId}/deactivate`, { reason: 'leaked at 3 a.m.' });
      expect(deactivated.status, JSON.stringify(deactivated.body)).toBe(200);
      expect(released(t), 'one line says the file was given up').toHaveLength(1);
      expect(existsSync(homeFiles(t.home).reserve)).toBe(false);
      expect(await reserveFileMissing(t)).toBe(1);
      const deleted = await t.api('DELETE', `/v1/keys/${victims.keyId}`);
      expect(deleted.status, JSON.stringify(deleted.body)).toBe(204);
      const disabled = await t.api('POST', `/v1/operators/${victims.operatorId}/disable`);
      expect(disabled.status, JSON.stringify(disabled.body)).toBe(200);
      const { events } = await t.client.audit({ limit: 3 });
      expect(events.map((e) => e.action)).toEqual(['operator.disable', 'key.delete', 'key.deactivate']);
      // Writes that add never get the file's space.
      for (const [path, body] of [
        ['/v1/keys', { name: 'grows' }],
        ['/v1/operators', { name: 'grows', role: 'viewer' }],
      ] as const) {
        const refused = await t.api('POST', path, body);
        expect(refused.status, `POST ${path}: ${JSON.stringify(refused.body)}`).toBe(507);
        expect(refused.body.error.code).toBe('storage_full');
      }
      rmSync(join(disk, 'filler'));
      expect((await t.api('POST', '/v1/keys', { name: 'space-is-back' })).status).toBe(201);
      expectReserveFile(t);
      expect(await reserveFileMissing(t)).toBe(0);
      expect(t.logs.filter((line) => line.includes('is in place again'))).toHaveLength(1);
      expect(released(t)).toHaveLength(1);
      expect(await t.client.verifyAudit()).toMatchObject({ ok: true });
      const file = openStoreFile(t.home);
      expect(await file.problems()).toEqual([]);
      file.close();
    });
  }, 60_000);

  it('keeps the file of the last start when the disk is nearly full at the next', async () => {
    await onFullDisk(
      async (t, _disk, victims) => {
        expect((await t.api('POST', `/v1/keys/${victims.keyId}/deactivate`)).status).toBe(200);
        expect(released(t)).toHaveLength(1);
      },
      async (t, disk) => {
        // Less free than a new file would need (the room writes that add keep, and the file).
        writeFileSync(join(disk, 'earlier'), Buffer.alloc(24 * 1024 * 1024));
        await t.restart();
        expect(t.logs.filter((line) => line.includes('not in place'))).toEqual([]);
        expect(await reserveFileMissing(t)).toBe(0);
      },
    );
  }, 60_000);

  it('starts again on a disk with no byte free, the file given up for it, and then deactivates', async () => {
    await onFullDisk(async (t, _disk, victims) => {
      // A daemon restarted at 3 a.m. (a crash, a reboot) on the full disk, listening and
      // publishing daemon.json as a real start does, must still take access away.
      await t.daemon.close();
      // The keys the home already holds are read, never written again (that took a block).
      expect(publishPrivate(homeFiles(t.home).auditKey, 'another key\n')).toBe(false);
      const again = await startTestDaemon({ home: t.home, reserveFileBytes: RESERVE_FILE_BYTES });
      try {
        expect(released(again), 'one line says the file was given up at the start').toHaveLength(1);
        const deactivated = await again.api('POST', `/v1/keys/${victims.keyId}/deactivate`, { reason: 'leaked at 3 a.m.' });
        expect(deactivated.status, JSON.stringify(deactivated.body)).toBe(200);
        expect((await again.api('POST', '/v1/keys', { name: 'grows' })).status).toBe(507);
        expect(await again.client.verifyAudit()).toMatchObject({ ok: true });
      } finally {
        await again.stop();
      }
    });
  }, 60_000);

  it('does not follow a link planted where the file was: it stays missing, and says why', async () => {
    await onFullDisk(async (t, disk, victims) => {
      expect((await t.api('POST', `/v1/keys/${victims.keyId}/deactivate`)).status).toBe(200);
      const loot = join(disk, 'loot');
      writeFileSync(loot, '');
      symlinkSync(loot, homeFiles(t.home).reserve);
      rmSync(join(disk, 'filler'));
      expect((await t.api('POST', '/v1/keys', { name: 'space-is-back' })).status).toBe(201);
      expect(readFileSync(loot, 'utf8'), 'nothing was written through the link').toBe('');
      expect(lstatSync(homeFiles(t.home).reserve).isSymbolicLink(), 'the link is left for whoever looks into it').toBe(true);
      expect(t.logs.filter((line) => /reserve file .* is not in place: .* is a symbolic link/.test(line))).toHaveLength(1);
      expect(await reserveFileMissing(t)).toBe(1);
    });
  }, 60_000);
});
