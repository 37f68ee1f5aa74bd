/**
 * Owner-only files that no other local user can redirect. A home another user prepared could
 * hold a symbolic link (or a hard link) where keyward writes `admin.token`, and a write that
 * follows it hands them the token, or writes as this user wherever it points. So directories
 * and files are checked with `lstat` (never following a link), new files are created with
 * `O_EXCL|O_NOFOLLOW`, and files that are replaced are written beside their final name and
 * renamed over it: a rename replaces a link, it does not write through it.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, linkSync, lstatSync, openSync, readFileSync, renameSync, rmSync, writeSync, type Stats } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';

/** A home or file in it that keyward refuses to use; the message says why and what to do. */
export class UnsafePath extends Error {
  override name = 'UnsafePath';
}

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** The user keyward runs as; Windows has no uid, and no such attack to check for. */
function myUid(): number | undefined {
  return process.getuid?.();
}

function lstatIfAny(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function refuseForeign(path: string, st: Stats, what: string): void {
  const uid = myUid();
  if (st.isSymbolicLink()) throw new UnsafePath(`${what} ${path} is a symbolic link; keyward does not follow links in its home`);
  if (uid !== undefined && st.uid !== uid) {
    throw new UnsafePath(`${what} ${path} belongs to uid ${st.uid}, not to this user (uid ${uid}); whoever owns it could read or redirect keyward's secrets`);
  }
}

/**
 * Checks a directory keyward keeps secrets in: a real directory (not a link to one), owned by
 * this user, and writable by nobody else — another user who can write it can plant links.
 */
export function checkPrivateDirectory(dir: string): void {
  const st = lstatSync(dir);
  refuseForeign(dir, st, 'the home');
  if (!st.isDirectory()) throw new UnsafePath(`the home ${dir} is not a directory`);
  if (st.mode & 0o022) {
    throw new UnsafePath(
      `the home ${dir} is writable by ${[st.mode & 0o020 && 'its group', st.mode & 0o002 && 'other users'].filter(Boolean).join(' and ')} (mode ${(st.mode & 0o777).toString(8)}); ` +
        `check that nothing in it was planted, then: chmod 700 ${dir}`,
    );
  }
}

/** A file in the home, if it exists, to read: a regular file of this user's; its stat. */
export function checkOwnFile(file: string): Stats | undefined {
  const st = lstatIfAny(file);
  if (!st) return undefined;
  refuseForeign(file, st, 'the file');
  if (!st.isFile()) throw new UnsafePath(`${file} is not a regular file`);
  return st;
}

/** Checks a file in the home, if it exists, to write: `checkOwnFile`, and no other name; its stat. */
export function checkPrivateFile(file: string): Stats | undefined {
  const st = checkOwnFile(file);
  if (st && st.nlink > 1) throw new UnsafePath(`${file} has ${st.nlink} names (hard links); keyward will not write a file that is also elsewhere`);
  return st;
}

/** Opens a new owner-only file to write; EEXIST when anything has its name, a link included (never followed). */
export function openNewPrivate(file: string): number {
  return openSync(file, CREATE, 0o600);
}

/** Creates `file` empty and owner-only if it does not exist; an existing one must pass `checkPrivateFile`. */
export function createPrivate(file: string): void {
  try {
    closeSync(openNewPrivate(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    checkPrivateFile(file);
  }
}

const tempName = (file: string) => `${file}.${randomBytes(6).toString('hex')}.tmp`;

/** A new owner-only file beside `file` holding `content`, on disk; its name. */
function writeTemp(file: string, content: string): string {
  const temp = tempName(file);
  const fd = openNewPrivate(temp);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  } finally {
    closeSync(fd);
  }
  return temp;
}

/** Writes `content` to a new owner-only file and renames it to `file`, replacing whatever was there. */
export function writePrivate(file: string, content: string): void {
  const temp = writeTemp(file, content);
  try {
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/**
 * `writePrivate` off the event loop (the same steps, on libuv's threads): for a file rewritten
 * after every write a request makes, whose fsync would otherwise hold every other request.
 */
export async function writePrivateAsync(file: string, content: string): Promise<void> {
  const temp = tempName(file);
  try {
    const handle = await open(temp, CREATE, 0o600);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * Creates `file` with `content`, whole or not at all, only if nothing has that name yet (a
 * hard link of a finished temporary file: atomic, and it never replaces). False if it existed.
 * Something with that name is seen before anything is written: a daemon starting on a full
 * disk with its keys in place must not fail on a temporary file it would throw away.
 */
export function publishPrivate(file: string, content: string): boolean {
  if (lstatSync(file, { throwIfNoEntry: false })) return false;
  const temp = writeTemp(file, content);
  try {
    linkSync(temp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Reads `file` without following a link; undefined when it does not exist. */
export function readPrivate(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** Opens `file` for appending (a log), creating it owner-only, refusing a link. */
export function openPrivateLog(file: string): number {
  checkPrivateFile(file);
  return openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
}
