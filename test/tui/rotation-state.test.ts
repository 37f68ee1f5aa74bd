/** The TUI's pure rotation and audit texts: watch countdown, questions, the audit filter. */
import { describe, expect, it } from 'vitest';
import type { KeyJson, RotationJson, UsageJson } from '../../src/client/client.js';
import { filterLabel, filterNote, parseAuditFilter } from '../../src/tui/state/audit.js';
import { deactivateQuestion, deleteQuestion, emergencyQuestion, rotateQuestion } from '../../src/tui/state/questions.js';
import { advanceQuestion, callerNames, presentedText, watchText } from '../../src/tui/state/rotation.js';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const at = (msAgo: number) => new Date(NOW - msAgo).toISOString();

function rotation(step: RotationJson['step'], over: Partial<RotationJson['evidence']> = {}): RotationJson {
  const key = { id: 'k', name: 'x', status: 'active' as const, since: at(0), ok: 0, rejected: 0, lastUsedAt: null, callers: [] };
  return {
    id: 'rot_1', oldKeyId: 'key_o', oldKeyName: 'billing', newKeyId: 'key_n', newKeyName: 'billing-2', step, stepStartedAt: at(0), createdAt: at(0), createdBy: 'admin',
    watchSeconds: 600, deactivateAt: null, endedAt: null, outcome: null,
    evidence: {
      newKey: key, oldKey: key, series: [], systems: { yetToSwitch: [], switched: [] },
      watch: { seconds: 600, since: null, watchedSeconds: 0, passed: false }, canAdvance: true, guard: null, ...over,
    },
  };
}

describe('rotation texts', () => {
  it('counts the watch window down from what the daemon last said', () => {
    const cut = rotation('double_check', { watch: { seconds: 600, since: at(192_000), watchedSeconds: 192, passed: false } });
    expect(watchText(cut, 0)).toBe('Watched 3m12s of 10m · 6m48s left');
    expect(watchText(cut, 5_400), 'whole seconds: the two add up to the window').toBe('Watched 3m17s of 10m · 6m43s left');
    expect(watchText(cut, 408_000)).toBe('Watched 10m of 10m ✓');
    expect(watchText(rotation('verify_new'), 50_000)).toBe('After the cut-over, traffic is watched for 10m.');
    expect(presentedText(cut)).toBeUndefined();
    expect(presentedText(rotation('double_check', { oldKey: { ...cut.evidence.oldKey, rejected: 3 } }))).toMatch(/^The old key was presented 3 times since the cut-over/);
  });

  it('names the callers yet to switch before the cut-over, and a late caller before deleting', () => {
    const system = (caller: string, msAgo: number) => ({ caller, oldLastSeenAt: at(msAgo), newLastSeenAt: null });
    const pending = rotation('deactivate_old', { systems: { yetToSwitch: [system('nightly-cron', 3 * 3_600_000), system('billing-ui', 0)], switched: [] } });
    expect(advanceQuestion(pending, NOW)).toBe(
      'Deactivate the old key "billing" now? Not seen on the new key, and refused from then on if still on the old: nightly-cron (last seen 3h ago), billing-ui (last seen just now).',
    );
    expect(advanceQuestion(rotation('deactivate_old'), NOW)).toMatch(/No caller label was seen on it/);
    const switched = { caller: 'orders', oldLastSeenAt: at(60_000), newLastSeenAt: at(0) };
    expect(advanceQuestion(rotation('deactivate_old', { systems: { yetToSwitch: [], switched: [switched] } }), NOW)).toMatch(/Every caller seen on it has switched/);
    const many = Array.from({ length: 7 }, (_, i) => system(`svc-${i}`, 0));
    expect(callerNames(many, NOW)).toMatch(/svc-4 \(last seen just now\), and 2 more$/);
    const late = rotation('delete_old', { oldKey: { ...rotation('delete_old').evidence.oldKey, rejected: 2, callers: [{ caller: 'cron', lastSeenAt: at(120_000), ok: 0, rejected: 2 }] } });
    expect(advanceQuestion(late, NOW)).toBe('Delete the old key "billing" permanently? It was presented 2 times since the cut-over, by cron (2m ago).');
    expect(advanceQuestion(rotation('delete_old'), NOW)).toBe('Delete the old key "billing" permanently?');
    expect(advanceQuestion(rotation('verify_new'), NOW)).toBeUndefined();
  });

  it('says when a key to delete was presented in the last hour', () => {
    const key = { name: 'old-billing' } as KeyJson;
    const usage = (rejected: number, callers: UsageJson['callers']): UsageJson => ({ buckets: [{ start: at(600_000), ok: 0, rejected }], callers });
    expect(deleteQuestion(key, usage(0, []), NOW)).toMatch(/^Delete "old-billing" permanently\?/);
    expect(deleteQuestion(key, undefined, NOW)).toMatch(/^Delete "old-billing" permanently\?/);
    const caller = (name: string, msAgo: number) => ({ caller: name, firstSeenAt: at(msAgo), lastSeenAt: at(msAgo), ok: 0, rejected: 1 });
    expect(deleteQuestion(key, usage(3, [caller('ancient', 86_400_000), caller('batch', 300_000)]), NOW)).toMatch(
      /^It was presented 3 times in the last hour, last by batch 5m ago: something still uses it\. Delete "old-billing"/,
    );
    expect(deleteQuestion(key, usage(1, [caller('ancient', 86_400_000)]), NOW)).toMatch(/^It was presented 1 time in the last hour: something/);
  });

  it('says before a rotation, an emergency one too, that the new key keeps the expiry, and nothing of one for a key that never expires', () => {
    expect(rotateQuestion({ name: 'partner', expiresAt: '2030-12-31T00:00:00.000Z' } as KeyJson)).toContain(
      'The new key expires when this one does (2030-12-31 00:00:00Z): a rotation copies the expiry with the policy and never extends it; edit the new key to change it. After the cut-over',
    );
    expect(rotateQuestion({ name: 'plain', expiresAt: null } as KeyJson)).not.toContain('expires');
    // An emergency replacement inherits it too, and is asked about just as well.
    expect(emergencyQuestion({ name: 'partner', expiresAt: '2030-12-31T00:00:00.000Z' } as KeyJson)).toContain(
      'fails from now on. The new key expires when this one does (2030-12-31 00:00:00Z): a rotation copies the expiry with the policy and never extends it; edit the new key to change it. Replace it now?',
    );
    expect(emergencyQuestion({ name: 'plain', expiresAt: null } as KeyJson)).toBe(
      '"plain" is compromised? A new key is created now and its secret shown once, and "plain" is deactivated at once: every client still using it fails from now on. Replace it now?',
    );
  });

  it('says when a key to deactivate verified in the last hour, and for whom', () => {
    const key = { name: 'billing' } as KeyJson;
    const usage = (ok: number, rejected: number, callers: UsageJson['callers']): UsageJson => ({ buckets: [{ start: at(600_000), ok, rejected }], callers });
    const caller = (name: string, msAgo: number, ok: number) => ({ caller: name, firstSeenAt: at(msAgo), lastSeenAt: at(msAgo), ok, rejected: ok === 0 ? 1 : 0 });
    const base = 'Deactivate "billing"? Every verification of it fails from now on, until you activate it again.';
    expect(deactivateQuestion(key, undefined, NOW)).toBe(base);
    expect(deactivateQuestion(key, usage(0, 5, [caller('scanner', 60_000, 0)]), NOW), 'refusals break nobody').toBe(base);
    // The caller named is the last one the key verified for, not a refused one seen since.
    expect(deactivateQuestion(key, usage(1_500, 1, [caller('orders', 120_000, 1_500), caller('scanner', 60_000, 0)]), NOW)).toBe(
      `It was accepted 1,500 times in the last hour, last by orders 2m ago: those clients fail from now on; to replace it without an outage, answer n and rotate it (r). ${base}`,
    );
  });
});

describe('audit filter', () => {
  it('reads prefixed words, and words without a prefix as a key', () => {
    expect(parseAuditFilter('action:Rotation key:billing op:alice')).toEqual({ action: 'rotation', key: 'billing', operator: 'alice' });
    expect(parseAuditFilter('  billing prod  a:key.delete ')).toEqual({ action: 'key.delete', key: 'billing prod' });
    expect(parseAuditFilter('k:svc-1 stray')).toEqual({ key: 'svc-1' });
    expect(parseAuditFilter('')).toEqual({});
    expect(parseAuditFilter('key: x')).toEqual({ key: 'key: x' });
    expect(filterLabel(parseAuditFilter('operator:bob rotation'))).toBe('key rotation · operator bob');
    // A prefix that is none of the filters' is said, not taken silently.
    expect(filterLabel(parseAuditFilter('usr:bob'))).toBe('key usr:bob');
    expect(filterNote('usr:bob')).toBe('usr: is no filter (action:, key:, operator:); read as a key name');
    expect(filterNote('Usr:bob what:x a:key.create')).toBe('usr:, what: are no filters (action:, key:, operator:); read as a key name');
    expect(filterNote('op:alice billing')).toBe('');
  });
});
