/**
 * A client on a home another user prepared: daemon.json there names the daemon a token is sent
 * to and the instance that daemon proves, so whoever can write it can run a daemon that passes
 * the proof. The CLI (and the TUI and a service's verifier, which find the daemon the same way)
 * refuses such a home before it sends anything — before, `keys list` with `KEYWARD_TOKEN` sent
 * the token to the planted daemon, and `verify` sent the key. Ownership cases need root, where
 * "another user" is `nobody` (uid 65534).
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from '../../src/integration/verifier/index.js';
import { CHALLENGE_HEADER, newInstance, PROOF_HEADER, proofOf } from '../../src/identity.js';
import { cleanEnv, KEYWARD } from '../helpers/cli.js';

const NOBODY = 65534;
const TOKEN = `kwo_${'t'.repeat(43)}`;
const isRoot = process.getuid?.() === 0;

/** The planted daemon: it proves the instance the planted daemon.json names, and notes every request. */
const instance = newInstance();
const seen: { url: string; authorization: string | undefined }[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    const challenge = req.headers[CHALLENGE_HEADER.toLowerCase()];
    if (typeof challenge === 'string') res.setHeader(PROOF_HEADER, proofOf(instance, challenge));
    res.setHeader('content-type', 'application/json');
    res.end(req.url?.startsWith('/v1/health') ? '{"status":"ok","version":"0.0.0"}' : '{"keys":[],"nextCursor":null}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const root = mkdtempSync(join(tmpdir(), 'keyward-client-home-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A home of `mode` holding the planted daemon.json. */
function planted(mode: number): string {
  const home = join(root, `h${n++}`);
  mkdirSync(home);
  writeFileSync(join(home, 'daemon.json'), JSON.stringify({ pid: process.pid, url, startedAt: new Date().toISOString(), instance }), { mode: 0o600 });
  chmodSync(home, mode);
  return home;
}

function keyward(home: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(KEYWARD[0], [...KEYWARD.slice(1), '--home', home, ...args], { env: cleanEnv({ KEYWARD_TOKEN: TOKEN }) }, (err, _stdout, stderr) =>
      resolve({ code: err ? Number(err.code) : 0, stderr }),
    );
  });
}

/** `keys list` on `home`: its exit code and line, and what the planted daemon was asked meanwhile. */
async function listOn(home: string) {
  seen.length = 0;
  const run = await keyward(home, ['keys', 'list']);
  return { ...run, asked: [...seen] };
}

describe('a client on a home another user could have prepared', () => {
  it('sends the token to the daemon a private home names (the planted daemon passes the proof)', async () => {
    const run = await listOn(planted(0o700));
    expect(run.code, run.stderr).toBe(0);
    expect(run.asked.some((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it.each([
    ['777', 0o777],
    ['770', 0o770],
    ['702', 0o702],
  ])('sends nothing for a home of mode %s (others may write it), and exits 3', async (_, mode) => {
    const run = await listOn(planted(mode));
    expect(run).toMatchObject({ code: 3, asked: [] });
    expect(run.stderr).toMatch(/^keyward: will not use this home: .* is writable by .*chmod 700/);
  });

  it('sends nothing for a home that is a link to a directory, nor does verify send the key', async () => {
    const link = join(root, `link${n++}`);
    symlinkSync(planted(0o700), link);
    expect(await listOn(link)).toMatchObject({ code: 3, asked: [], stderr: expect.stringMatching(/symbolic link/) });
    seen.length = 0;
    const verify = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = execFile(KEYWARD[0], [...KEYWARD.slice(1), '--home', link, 'verify'], { env: cleanEnv({ KEYWARD_TOKEN: TOKEN }) }, (err, _o, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr }));
      child.stdin!.end(`kw_${'k'.repeat(49)}\n`);
    });
    expect(verify.code, verify.stderr).toBe(3);
    expect(seen).toEqual([]);
  });

  it("refuses it in a service's verifier too", () => {
    expect(() => createVerifier({ home: planted(0o777), token: TOKEN })).toThrow(/writable by/);
  });

  it.skipIf(!isRoot)('sends nothing for a home another user owns', async () => {
    const home = planted(0o755);
    chownSync(home, NOBODY, NOBODY);
    expect(await listOn(home)).toMatchObject({ code: 3, asked: [], stderr: expect.stringMatching(/belongs to uid 65534/) });
  });

  it.skipIf(!isRoot)('sends nothing when daemon.json or admin.token in a private home is another user’s', async () => {
    const home = planted(0o700);
    chownSync(join(home, 'daemon.json'), NOBODY, NOBODY);
    expect(await listOn(home)).toMatchObject({ code: 3, asked: [], stderr: expect.stringMatching(/daemon\.json belongs to uid 65534/) });
    const other = planted(0o700);
    writeFileSync(join(other, 'admin.token'), `${TOKEN}\n`, { mode: 0o600 });
    chownSync(join(other, 'admin.token'), NOBODY, NOBODY);
    seen.length = 0;
    const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(KEYWARD[0], [...KEYWARD.slice(1), '--home', other, 'keys', 'list'], { env: cleanEnv() }, (err, _o, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr }));
    });
    expect(run).toMatchObject({ code: 3, stderr: expect.stringMatching(/admin\.token belongs to uid 65534/) });
    expect(seen).toEqual([]);
  });
});
