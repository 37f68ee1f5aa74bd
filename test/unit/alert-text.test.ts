/** How an alert's detail and who presented its key read in the CLI and the TUI's alert view. */
import { describe, expect, it } from 'vitest';
import { detailText, whoText } from '../../src/alert-text.js';
import type { AlertJson } from '../../src/daemon/alerts/schemas.js';

const BASE: AlertJson = {
  id: 'alr_4nV8qT2xLm7RbK9cWp3ZsE',
  kind: 'key.leaked',
  state: 'open',
  keyId: 'key_1kl5RQJ1bHWIThn4cY1fM8',
  keyName: 'billing',
  caller: 'deploy/.env:3',
  ip: null,
  count: 1,
  firstSeenAt: '2026-11-30T08:59:59.412Z',
  lastSeenAt: '2026-11-30T08:59:59.412Z',
  detail: { reason: 'leaked: deploy/.env:3' },
  acknowledgedAt: null,
  acknowledgedBy: null,
};
const day = (iso: string) => iso.slice(0, 10);

describe('detailText', () => {
  it('says nothing more of a leak whose reason only names the place its caller names', () => {
    expect(detailText(BASE, day)).toBe('');
    expect(detailText({ ...BASE, caller: '', detail: { reason: 'leaked' } }, day)).toBe('');
    expect(detailText({ ...BASE, detail: { reason: 'leaked: deploy/.env:3', reportedBy: 'vera' } }, day)).toBe('');
  });

  it('keeps a reason that says something else, and what the other kinds add', () => {
    expect(detailText({ ...BASE, caller: 'a/.env:1' }, day)).toBe('leaked: deploy/.env:3');
    expect(detailText({ ...BASE, kind: 'canary.tripped', caller: 'deploy/.env:3' }, day)).toBe('leaked: deploy/.env:3');
    expect(detailText({ ...BASE, kind: 'key.expiring', caller: null, detail: { expiresAt: '2026-12-07T00:00:00Z' } }, day)).toBe('expires 2026-12-07');
    expect(detailText({ ...BASE, kind: 'old_key.presented_after_cutover', detail: { rotationId: 'rot_1' } }, day)).toBe('replaced in rot_1');
  });
});

describe('whoText', () => {
  const presented: AlertJson = { ...BASE, kind: 'deleted_key.presented', caller: 'checkout', ip: '10.0.0.7', detail: {} };

  it('names the caller and the address it came from', () => {
    expect(whoText(presented)).toBe('by checkout from 10.0.0.7');
    expect(whoText({ ...presented, caller: null })).toBe('from 10.0.0.7');
    expect(whoText({ ...presented, ip: null })).toBe('by checkout');
  });

  it('names an address once when the caller is that address, as a middleware labels an unlabelled request', () => {
    expect(whoText({ ...presented, caller: '10.0.0.7' })).toBe('by 10.0.0.7');
  });
});
