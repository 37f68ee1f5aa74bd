/**
 * `keyward scan [PATH…|-]`: finds keyward keys and operator tokens in files or stdin, hashes
 * them here, and asks the daemon what they are (`POST /v1/keys/lookup`): only hashes leave this
 * process. Prints each finding by its hint, never the secret; exits 1 when a live key (or a
 * token it could not check) is found. Each live key is reported as `key.leaked`: by default
 * with `POST /v1/keys/leaks`, by `--deactivate` with the deactivation's reason `leaked: FILE:LINE`.
 */
import type { Command } from 'commander';
import { ApiError, type KeywardClient, type LookupResultJson } from '../client/client.js';
import { can } from '../daemon/auth/permissions.js';
import { LOOKUP_BATCH, MAX_BODY_BYTES } from '../daemon/limits.js';
import { hashSecret } from '../decide/secret.js';
import { findingLine, isAlarming, isLiveKey, leakReason, leakWhere, location, reportFindings, type ReportedFinding } from '../scan/report.js';
import { isEndlessDevice, pathExists, PathScanner, scanStream, stdinIsGiven, type Finding, type ScanSink } from '../scan/sources.js';
import { EXIT, usageError } from './exit.js';
import { note, print, printJson, quoted } from './output.js';
import { examples, session, withJson } from './session.js';
import { plural, withThousands } from '../thousands.js';

/** How stdin is named in findings and deactivation reasons. */
const STDIN_NAME = '(stdin)';

type ScanOpts = { all?: boolean; deactivate?: boolean; json?: boolean };

async function lookupAll(client: KeywardClient, hashes: readonly string[]): Promise<Map<string, LookupResultJson>> {
  const results = new Map<string, LookupResultJson>();
  for (let i = 0; i < hashes.length; i += LOOKUP_BATCH) {
    for (const r of (await client.lookup(hashes.slice(i, i + LOOKUP_BATCH))).results) results.set(r.sha256, r);
  }
  return results;
}

/** Deactivates each live key once, naming where it was first found; returns what could not be done. */
async function deactivateLeaked(client: KeywardClient, findings: ReportedFinding[]): Promise<string[]> {
  const failures: string[] = [];
  const done = new Map<string, boolean>();
  for (const f of findings) {
    if (!isLiveKey(f) || f.keyId === undefined) continue;
    if (!done.has(f.keyId)) {
      const reason = leakReason(f);
      try {
        await client.deactivateKey(f.keyId, reason);
        done.set(f.keyId, true);
        note(`deactivated key ${quoted(f.name ?? f.keyId)} (${f.keyId}): ${reason}`);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        done.set(f.keyId, false);
        failures.push(`could not deactivate key ${quoted(f.name ?? f.keyId)} (${f.keyId}): ${err.message} (${err.code})`);
      }
    }
    f.deactivated = done.get(f.keyId);
  }
  return failures;
}

/**
 * Reports each live key once, where it was first found (`POST /v1/keys/leaks`), so a scan that
 * changes nothing (a CI job with a viewer's token) still raises `key.leaked` for the admins;
 * marks each live key's findings with whether the daemon took the report. Each finding comes
 * with the hash of its secret (kept out of the findings, which `--json` prints). A refusal or a
 * failure is one line: it changes nothing of what the scan found, nor its exit code.
 */
async function reportLeaked(client: KeywardClient, found: readonly { f: ReportedFinding; sha256: string }[]): Promise<string[]> {
  const live = found.filter(({ f }) => isLiveKey(f));
  const first = new Map<string, string>();
  for (const { f, sha256 } of live) if (!first.has(sha256)) first.set(sha256, leakWhere(f));
  const taken = new Set<string>();
  const failures: string[] = [];
  // Each call on its own: one the daemon refuses leaves the others' keys reported.
  for (const batch of leakBatches([...first].map(([sha256, where]) => ({ sha256, where })))) {
    try {
      for (const r of (await client.reportLeaks(batch)).results) if (r.reported) taken.add(r.sha256);
    } catch (err) {
      failures.push(`could not report ${plural(batch.length, 'live key')} found (key.leaked): ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  for (const { f, sha256 } of live) f.reported = taken.has(sha256);
  return failures;
}

/** What a leak report's body may hold: the daemon's limit, less room for the envelope. */
const REPORT_BYTES = MAX_BODY_BYTES - 1024;

/**
 * Leak reports in calls the daemon takes: at most `LOOKUP_BATCH` each, and within its body
 * limit, which 500 long locations (a deep path, up to `LEAK_WHERE_MAX` characters) outgrow.
 */
export function leakBatches<L extends { sha256: string; where: string }>(leaks: readonly L[]): L[][] {
  const batches: L[][] = [];
  let batch: L[] = [];
  let bytes = 0;
  for (const leak of leaks) {
    const size = Buffer.byteLength(JSON.stringify(leak)) + 1;
    if (batch.length > 0 && (batch.length === LOOKUP_BATCH || bytes + size > REPORT_BYTES)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(leak);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

function liveOperatorNotes(findings: ReportedFinding[]): string[] {
  const seen = new Set<string>();
  return findings
    .filter((f) => f.kind === 'operator' && f.state === 'active' && f.operatorId !== undefined && !seen.has(f.operatorId) && seen.add(f.operatorId))
    .map((f) => `operator ${quoted(f.name ?? '')} has a live token in ${location(f)}: disable it with "keyward operators disable ${f.operatorId}" and create a new one (scan does not disable operators)`);
}

export function scanCommand(program: Command): void {
  examples(
    withJson(
      program
        .command('scan')
        .description('find keyward keys and operator tokens in files or stdin; exit 1 if a live one is found')
        .argument('[paths...]', 'files and directories to scan (default: the current directory); - reads stdin')
        .option('--all', 'also scan .git/, node_modules/ and binary files')
        .option('--deactivate', 'deactivate every live key found, with the reason "leaked: FILE:LINE"'),
    ),
    ['keyward scan', 'keyward scan src config/.env', 'git log -p | keyward scan -', 'keyward scan --deactivate --json > leaks.json'],
  ).action(async (paths: string[], opts: ScanOpts, cmd: Command) => {
    const targets = paths.length ? paths : ['.'];
    if (targets.filter((p) => p === '-').length > 1) throw usageError('stdin (-) can be scanned once');
    const missing = targets.find((p) => p !== '-' && !pathExists(p));
    if (missing !== undefined) throw usageError(`no such file or directory: ${missing}`);
    const device = targets.find((p) => p !== '-' && isEndlessDevice(p));
    if (device !== undefined) throw usageError(`${device} is a device, not a file, and may have no end; to scan part of it, pipe that in: head -c 100M ${device} | keyward scan -`);
    if (paths.length === 0 && stdinIsGiven()) note('keyward: scanning the current directory; what is piped in is read only with "-" (… | keyward scan -)');
    const { client } = session(cmd);
    // Asked first: a daemon that is not there, or a token it refuses, fails before a long scan.
    const { operator } = await client.me();

    const findings: Array<Finding & { hash: string }> = [];
    const errors: Array<{ path: string; message: string }> = [];
    const sink: ScanSink = {
      found: (f) => findings.push({ ...f, hash: hashSecret(f.secret) }),
      failed: (path, message) => {
        errors.push({ path, message });
        note(`keyward: cannot read ${path}: ${message}`);
      },
    };
    const scanner = new PathScanner(sink, { all: opts.all });
    for (const target of targets) {
      if (target === '-') await scanStream(process.stdin, STDIN_NAME, sink, scanner.stats);
      else scanner.scanPath(target);
    }

    const results = await lookupAll(client, [...new Set(findings.map((f) => f.hash))]);
    const reported = reportFindings(findings, results, can(operator.role, 'operators:manage'));
    // `--deactivate` reports the leaks by its deactivations; a plain scan prints what it found first.
    const failures = opts.deactivate ? await deactivateLeaked(client, reported) : [];
    if (!opts.json) for (const f of reported) print(findingLine(f));
    // A key `--deactivate` could not switch off (a viewer's CI token) is still reported, so its
    // admins get `key.leaked` as from a plain scan.
    const toReport = reported.flatMap((f, i) => (!opts.deactivate || f.deactivated === false ? [{ f, sha256: findings[i]!.hash }] : []));
    failures.push(...(await reportLeaked(client, toReport)));
    if (opts.json) printJson({ findings: reported, scanned: scanner.stats, errors });
    for (const line of [...failures, ...liveOperatorNotes(reported)]) note(line);
    const { files, bytes, skippedBinary, skippedDirs } = scanner.stats;
    const skipped = skippedBinary + skippedDirs ? `; skipped ${plural(skippedBinary, 'binary file')} and ${plural(skippedDirs, '.git/node_modules folder')} (--all scans them)` : '';
    const alarming = reported.filter(isAlarming).length;
    note(`scanned ${plural(files, 'file')}, ${(bytes / 1e6).toFixed(1)} MB${skipped}; ${plural(reported.length, 'secret')} found, ${withThousands(alarming)} live or unchecked`);
    process.exitCode = alarming > 0 ? EXIT.refused : EXIT.ok;
  });
}
