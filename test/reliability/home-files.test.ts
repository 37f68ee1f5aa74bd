/**
 * Issue 13.3, a home another user prepared: a daemon started on a home another user owns, on
 * one others may write, on a link, or on a home where a file is a planted link (or hard link,
 * or someone else's file) refuses to start, and writes nothing anywhere — before, it wrote
 * `admin.token` through a planted link into a file the planter reads, and created files as
 * root wherever a `daemon.json` link pointed. These tests run as root; "another user" is
 * `nobody` (uid 65534), given a directory with chown.
 */
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDaemon, StartupError } from '../../src/daemon/main.js';
import { openPrivateLog, writePrivate } from '../../src/private-files.js';
import { logTo } from '../../src/tui/stray-output.js';

const NOBODY = 65534;
const root = mkdtempSync(join(tmpdir(), 'keyward-home-attack-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function dir(mode = 0o700): string {
  const path = join(root, `d${n++}`);
  mkdirSync(path, { mode });
  chmodSync(path, mode);
  return path;
}

/** What an attacker would read afterwards: a file of theirs, empty to start with. */
function loot(): string {
  const file = join(dir(0o755), 'loot');
  writeFileSync(file, '');
  return file;
}

async function refusal(home: string): Promise<string> {
  const opened = openDaemon({ home, log: () => {} });
  await expect(opened).rejects.toBeInstanceOf(StartupError);
  return opened.then(
    () => '',
    (err: Error) => err.message,
  );
}

describe.skipIf(process.getuid?.() !== 0)('a home another user prepared (as root)', () => {
  it('refuses a home another user owns, writing nothing into it', async () => {
    const home = dir();
    chownSync(home, NOBODY, NOBODY);
    expect(await refusal(home)).toMatch(/belongs to uid 65534/);
    expect(readdirSync(home)).toEqual([]);
  });

  it.each([
    ['777', 0o777],
    ['770', 0o770],
    ['702', 0o702],
  ])('refuses a home of mode %s (others may write it)', async (_, mode) => {
    const home = dir(mode);
    expect(await refusal(home)).toMatch(/is writable by .*chmod 700/);
    expect(readdirSync(home)).toEqual([]);
  });

  it('refuses a home that is a link to a directory', async () => {
    const real = dir();
    const home = join(root, `link-${n++}`);
    symlinkSync(real, home);
    expect(await refusal(home)).toMatch(/is a symbolic link/);
    expect(readdirSync(real)).toEqual([]);
  });

  it.each(['admin.token', 'daemon.json', 'daemon.log', 'tui.log', 'daemon.lock', 'keyward.db', 'keyward.db-wal', 'keyward.db-shm', 'audit.key', 'audit.checkpoint', 'keyward.reserve'])(
    'refuses a planted link at %s, writing nothing through it',
    async (name) => {
      const home = dir();
      const target = loot();
      const absent = join(dir(0o755), 'created-by-the-daemon');
      symlinkSync(target, join(home, name));
      symlinkSync(absent, join(home, `${name === 'daemon.json' ? 'admin.token' : 'daemon.json'}`));
      expect(await refusal(home)).toMatch(/is a symbolic link/);
      expect(readFileSync(target, 'utf8'), 'nothing was written through the link').toBe('');
      expect(existsSync(absent), 'nothing was created where a link points').toBe(false);
      expect(readdirSync(home).sort()).toEqual([name, name === 'daemon.json' ? 'admin.token' : 'daemon.json'].sort());
    },
  );

  it('refuses a file in the home that another user owns', async () => {
    const home = dir();
    writeFileSync(join(home, 'admin.token'), '');
    chownSync(join(home, 'admin.token'), NOBODY, NOBODY);
    expect(await refusal(home)).toMatch(/admin\.token belongs to uid 65534/);
    expect(readFileSync(join(home, 'admin.token'), 'utf8')).toBe('');
  });

  it('refuses a file in the home that has another name elsewhere (a hard link)', async () => {
    const home = dir();
    const outside = join(dir(0o755), 'outside');
    writeFileSync(outside, '');
    linkSync(outside, join(home, 'admin.token'));
    expect(await refusal(home)).toMatch(/hard link/);
    expect(readFileSync(outside, 'utf8')).toBe('');
  });

  it('starts on a home that is only readable by others, and makes it private', async () => {
    const home = dir(0o755);
    const daemon = await openDaemon({ home, log: () => {} });
    await daemon.close();
    expect((lstatSync(home).mode & 0o777).toString(8)).toBe('700');
    expect(readdirSync(home)).toContain('admin.token');
  });
});

describe('writing files in the home', () => {
  it('replaces a link at a file it rewrites instead of writing through it', () => {
    const home = dir();
    const target = loot();
    symlinkSync(target, join(home, 'daemon.json'));
    writePrivate(join(home, 'daemon.json'), '{}\n');
    expect(readFileSync(target, 'utf8')).toBe('');
    const st = lstatSync(join(home, 'daemon.json'));
    expect(st.isFile() && (st.mode & 0o777) === 0o600).toBe(true);
    expect(readdirSync(home), 'no temporary file is left').toEqual(['daemon.json']);
  });

  it('opens the background daemon log without following a link', () => {
    const home = dir();
    const target = loot();
    symlinkSync(target, join(home, 'daemon.log'));
    expect(() => openPrivateLog(join(home, 'daemon.log'))).toThrow(/is a symbolic link/);
  });

  it("writes nothing through a link at the TUI's log of stray output", () => {
    const home = dir();
    const target = loot();
    symlinkSync(target, join(home, 'tui.log'));
    logTo(join(home, 'tui.log'))('a warning while the TUI draws');
    expect(readFileSync(target, 'utf8')).toBe('');
  });
});
