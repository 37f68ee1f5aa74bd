/**
 * A real small disk that other programs may fill: a 48 MiB tmpfs, mounted for one test. It
 * needs root outside a locked-down container; the tests that use it skip where `canMount` says
 * they cannot.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs `body` with a fresh 48 MiB tmpfs at `disk`; whatever has files open on it must close them before `body` returns. */
export async function onSmallDisk(body: (disk: string) => Promise<void>): Promise<void> {
  const disk = mkdtempSync(join(tmpdir(), 'keyward-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', disk]);
  } catch (err) {
    rmSync(disk, { recursive: true, force: true });
    throw err;
  }
  try {
    await body(disk);
  } finally {
    execFileSync('umount', [disk]);
    rmSync(disk, { recursive: true, force: true });
  }
}

/** Whether this process may mount a small tmpfs (root, outside a locked-down container). */
export function canMount(): boolean {
  const probe = mkdtempSync(join(tmpdir(), 'keyward-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** Another program's file, written at `path` until the disk has not one byte left. */
export function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(1024 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}
