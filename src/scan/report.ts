/**
 * What `keyward scan` says about what it found: each finding joined with what the daemon knows
 * of its hash, the line a human reads, the JSON a script reads, and the exit code. Pure. No
 * secret leaves here: a finding is shown by its hint (`kw_AbCd…wXyZ`).
 */
import { LEAK_PREFIX, LEAK_WHERE_MAX } from '../daemon/limits.js';
import type { SecretPrefix } from '../decide/secret.js';
import { hintOf } from '../secret-text.js';
import type { LookupResultJson } from '../daemon/keys/lookup.js';
import { stripUnsafe } from '../sanitize.js';
import type { Finding } from './sources.js';

/**
 * The lookup's states, and `unchecked`: an operator token the scanning operator may not look
 * up (only `operators:manage` may), so whether it is live is not known.
 */
export type FindingState = LookupResultJson['state'] | 'unchecked';

export type ReportedFinding = {
  file: string;
  line: number;
  kind: 'key' | 'operator';
  state: FindingState;
  hint: string;
  keyId?: string;
  operatorId?: string;
  name?: string;
  /** A canary key: planted to be found, it never verifies, so finding it is no leak. */
  canary?: true;
  /** Set by `--deactivate` on the findings of a key it deactivated. */
  deactivated?: boolean;
  /** Set without `--deactivate` on the findings of an active key: whether the daemon took the report (`key.leaked`). */
  reported?: boolean;
};

function kindOf(prefix: SecretPrefix): 'key' | 'operator' {
  return prefix === 'kw_' ? 'key' : 'operator';
}

/**
 * Joins findings with the lookup's results by hash. `canCheckOperators` is false when the
 * daemon would answer `unknown` for any operator token, so such an answer means `unchecked`.
 */
export function reportFindings(
  findings: ReadonlyArray<Finding & { hash: string }>,
  results: ReadonlyMap<string, LookupResultJson>,
  canCheckOperators: boolean,
): ReportedFinding[] {
  return findings.map((f) => {
    const kind = kindOf(f.prefix);
    const r = results.get(f.hash);
    const base = { file: f.file, line: f.line, kind, hint: hintOf(f.secret, f.prefix) };
    if (!r || r.state === 'unknown') return { ...base, state: kind === 'operator' && !canCheckOperators ? 'unchecked' : 'unknown' };
    return { ...base, state: r.state, keyId: r.keyId, operatorId: r.operatorId, name: r.name, ...(r.canary && { canary: true as const }) };
  });
}

/**
 * A key that verifies: active and not a canary. A canary is meant to sit where a thief looks
 * (a config file, a wiki page), never verifies, and trips an alert when presented: a scan that
 * counted it would fail every run over the place it was planted, and `--deactivate` would
 * take it out of service as a leak.
 */
export function isLiveKey(f: ReportedFinding): boolean {
  return f.kind === 'key' && f.state === 'active' && f.canary === undefined;
}

/** Findings that make the scan fail: a live key or token, or a token nobody could check. */
export function isAlarming(f: ReportedFinding): boolean {
  return (f.state === 'active' && f.canary === undefined) || f.state === 'unchecked';
}

/** `FILE:LINE`, as the start of each line names a finding. */
export function location(f: Pick<ReportedFinding, 'file' | 'line'>): string {
  return `${stripUnsafe(f.file)}:${f.line}`;
}

/**
 * `FILE:LINE`, as a leak report names it (`POST /v1/keys/leaks`). A path too long for the
 * daemon's `LEAK_WHERE_MAX` keeps its end (the file's name, where it lies) after a `…`: the
 * daemon would refuse the whole report (or deactivation), and the key would stay live.
 */
export function leakWhere(f: Pick<ReportedFinding, 'file' | 'line'>): string {
  const tail = `:${f.line}`;
  const file = stripUnsafe(f.file);
  const room = LEAK_WHERE_MAX - tail.length;
  if (file.length <= room) return file + tail;
  let start = file.length - (room - 1);
  // Never half of a surrogate pair: the daemon counts UTF-16 units, as .length does.
  if (isLowSurrogate(file.charCodeAt(start))) start++;
  return `…${file.slice(start)}${tail}`;
}

/** `leaked: FILE:LINE`, the reason `--deactivate` gives: within the daemon's `REASON_MAX`. */
export function leakReason(f: Pick<ReportedFinding, 'file' | 'line'>): string {
  return LEAK_PREFIX + leakWhere(f);
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

const OPERATOR_STATE: Record<string, string> = { active: 'active', inactive: 'disabled' };

/** `src/a.ts:3  key "billing" (active)  kw_AbCd…wXyZ` */
export function findingLine(f: ReportedFinding): string {
  const name = f.name === undefined ? '' : ` "${stripUnsafe(f.name)}"`;
  let what: string;
  if (f.state === 'unchecked') what = 'operator token (not checked: looking up operator tokens needs operators:manage)';
  else if (f.state === 'unknown') what = f.kind === 'key' ? 'unknown key' : 'unknown operator token';
  else if (f.kind === 'operator') what = `operator${name} (${OPERATOR_STATE[f.state] ?? f.state})`;
  else if (f.canary) what = `canary key${name} (${f.state}; it never verifies)`;
  else what = `key${name} (${f.state}${f.deactivated ? ', now deactivated' : ''})`;
  return `${location(f)}  ${what}  ${f.hint}`;
}
