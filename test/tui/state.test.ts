/** The TUI's pure logic: table view, cursor, columns, attention, keymaps, events, clipboard. */
import chalk from 'chalk';
import { describe, expect, it } from 'vitest';
import type { AlertJson, KeyJson, RotationJson } from '../../src/client/client.js';
import { osc52 } from '../../src/tui/clipboard.js';
import { fit } from '../../src/tui/format.js';
import { menuItems, queryRefusal, refusal, type Operator } from '../../src/tui/state/actions.js';
import { alertFlags, attentionLabel, attentionOf, countAttention, statusLabel } from '../../src/tui/state/attention.js';
import { applyEvents, collectionOf, parseFeedEvent, rotationsByKey } from '../../src/tui/state/collection.js';
import { layoutColumns } from '../../src/tui/state/columns.js';
import { moveCursor, resolveCursor, START } from '../../src/tui/state/cursor.js';
import { footerText, TABLE_KEYS } from '../../src/tui/state/keymap.js';
import { currentRefusal, rotationCommands, stepState } from '../../src/tui/state/rotation.js';
import { sparkline } from '../../src/tui/state/sparkline.js';
import { deriveRows, initialView, nextSort } from '../../src/tui/state/table.js';
import { edit, editAt } from '../../src/tui/state/text.js';
import type { KeyWindow } from '../../src/tui/state/window.js';
import { applyColorPreference } from '../../src/tui/terminal.js';
import { DAY, keyJson, NOW } from './key-json.js';

const key = keyJson;

const admin: Operator = { name: 'admin', role: 'admin', permissions: ['keys:read', 'keys:write', 'keys:verify', 'operators:manage'] };
const viewer: Operator = { name: 'eve', role: 'viewer', permissions: ['keys:read'] };

describe('table rows', () => {
  const keys = [
    key({ id: 'k1', name: 'billing', uses24h: 5, owner: 'payments', createdAt: '2025-05-01T00:00:00.000Z' }),
    key({ id: 'k2', name: 'Alpha', status: 'inactive', owner: 'ops', createdAt: '2025-05-03T00:00:00.000Z' }),
    key({ id: 'k3', name: 'search', uses24h: 9, lastUsedAt: '2025-06-01T11:00:00.000Z', createdAt: '2025-05-02T00:00:00.000Z' }),
  ];

  it('sorts by name case-insensitively, then by each order `s` cycles through', () => {
    let view = initialView;
    expect(deriveRows(keys, view.sort, '').map((k) => k.name), 'name').toEqual(['Alpha', 'billing', 'search']);
    view = nextSort(view);
    expect(deriveRows(keys, view.sort, '').map((k) => k.id), 'newest first').toEqual(['k2', 'k3', 'k1']);
    view = nextSort(view);
    expect(deriveRows(keys, view.sort, '')[0]!.id, 'last used first, never used last').toBe('k3');
    view = nextSort(view);
    expect(deriveRows(keys, view.sort, '').map((k) => k.id), 'most used first').toEqual(['k3', 'k1', 'k2']);
    view = nextSort(view);
    expect(deriveRows(keys, view.sort, '').map((k) => k.id), 'active first').toEqual(['k1', 'k3', 'k2']);
    view = nextSort(view);
    expect(deriveRows(keys, view.sort, '').map((k) => k.id), 'by owner, keys without one first, as the daemon sorts').toEqual(['k3', 'k2', 'k1']);
    expect(nextSort(view).sort, 'wraps around').toBe('name');
  });

  it('filters by name, hint or exact id, ignoring case and control characters', () => {
    expect(deriveRows(keys, 'name', 'BIL').map((k) => k.id)).toEqual(['k1']);
    expect(deriveRows(keys, 'name', 'k3').map((k) => k.id)).toEqual(['k3']);
    expect(deriveRows(keys, 'name', 'ab\u001bcd').length, 'the hint kw_AbCd matches all').toBe(3);
    expect(deriveRows(keys, 'name', 'nothing')).toEqual([]);
  });

  it('filters by owner too', () => {
    const owned = [...keys, key({ id: 'k4', name: 'orders', owner: 'Team-Checkout' })];
    expect(deriveRows(owned, 'name', 'checkout').map((k) => k.id)).toEqual(['k4']);
    expect(deriveRows(owned, 'name', 'team-').map((k) => k.id), 'keys without an owner do not match').toEqual(['k4']);
  });
});

describe('cursor', () => {
  const rows = Array.from({ length: 100 }, (_, i) => ({ id: `k${i}` }));

  it('moves within bounds and scrolls the viewport as little as possible', () => {
    let c = moveCursor(rows, START, 1, 10);
    expect([c.cursorId, c.offset]).toEqual(['k1', 0]);
    c = moveCursor(rows, c, 9, 10);
    expect([c.cursorIndex, c.offset], 'the 11th row scrolls by one').toEqual([10, 1]);
    c = moveCursor(rows, c, 'pageDown', 10);
    expect(c.cursorIndex).toBe(19);
    c = moveCursor(rows, c, 'bottom', 10);
    expect([c.cursorIndex, c.offset]).toEqual([99, 90]);
    c = moveCursor(rows, c, 5, 10);
    expect(c.cursorIndex, 'stops at the end').toBe(99);
    c = moveCursor(rows, c, 'top', 10);
    expect([c.cursorIndex, c.offset]).toEqual([0, 0]);
    expect(moveCursor(rows, c, -1, 10).cursorIndex, 'stops at the start').toBe(0);
  });

  it('follows its key when rows move, and keeps its place when the key goes', () => {
    const c = moveCursor(rows, START, 5, 10);
    const shifted = [{ id: 'new' }, ...rows];
    expect(resolveCursor(shifted, c, 10).index, 'same key, one row down').toBe(6);
    const without = rows.filter((r) => r.id !== 'k5');
    expect(resolveCursor(without, c, 10).index, 'the row after takes its place').toBe(5);
    expect(resolveCursor(rows.slice(0, 3), c, 10).index, 'clamped to the last row').toBe(2);
    expect(resolveCursor([], c, 10).index).toBe(-1);
  });
});

describe('columns', () => {
  it('shows every column on a wide terminal and gives the name the room left', () => {
    const cols = layoutColumns(140);
    expect(cols.map((c) => c.id)).toEqual(['name', 'owner', 'hint', 'status', 'attention', 'created', 'lastUsed', 'uses']);
    expect(cols[0]!.width).toBe(40);
  });

  it('drops the owner first, then created, hint and uses as the terminal narrows, never name or status', () => {
    expect(layoutColumns(120).map((c) => c.id), 'the owner at 120 columns').toContain('owner');
    expect(layoutColumns(104).map((c) => c.id)).toContain('owner');
    expect(layoutColumns(103).map((c) => c.id)).toEqual(['name', 'hint', 'status', 'attention', 'created', 'lastUsed', 'uses']);
    expect(layoutColumns(80).map((c) => c.id)).toEqual(['name', 'hint', 'status', 'attention', 'lastUsed', 'uses']);
    expect(layoutColumns(70).map((c) => c.id)).toEqual(['name', 'status', 'attention', 'lastUsed', 'uses']);
    expect(layoutColumns(58).map((c) => c.id)).toEqual(['name', 'status', 'attention', 'lastUsed']);
    expect(layoutColumns(30).map((c) => c.id)).toEqual(['name', 'status']);
    for (const width of [60, 70, 84, 100, 120]) {
      const used = 2 + layoutColumns(width).reduce((sum, c) => sum + c.width + 1, 0);
      expect(used, `fits in ${width}`).toBeLessThanOrEqual(width);
    }
  });
});

describe('attention', () => {
  it('flags expired, expiring within 7 days, and active keys unused for 30 days', () => {
    expect(attentionOf(key({ id: 'a', expiresAt: new Date(NOW - 1).toISOString() }), NOW)).toEqual({ kind: 'expired' });
    expect(attentionOf(key({ id: 'b', expiresAt: new Date(NOW + 3 * DAY).toISOString() }), NOW)).toEqual({ kind: 'expiring', inMs: 3 * DAY });
    expect(attentionOf(key({ id: 'c', expiresAt: new Date(NOW + 8 * DAY).toISOString() }), NOW)).toBeUndefined();
    expect(attentionOf(key({ id: 'd', createdAt: new Date(NOW - 40 * DAY).toISOString() }), NOW)).toEqual({ kind: 'unused', days: 40 });
    expect(attentionOf(key({ id: 'e', createdAt: new Date(NOW - 40 * DAY).toISOString(), lastUsedAt: new Date(NOW - DAY).toISOString() }), NOW)).toBeUndefined();
    expect(attentionOf(key({ id: 'f', status: 'inactive', expiresAt: new Date(NOW - 1).toISOString() }), NOW), 'inactive keys are not flagged').toBeUndefined();
    const all = ['a', 'b', 'd'].map((id, i) =>
      key({ id, expiresAt: i === 0 ? new Date(NOW - 1).toISOString() : i === 1 ? new Date(NOW + DAY).toISOString() : null, createdAt: new Date(NOW - 31 * DAY).toISOString() }),
    );
    expect(countAttention(all, NOW)).toEqual({ leaked: 0, tripped: 0, expired: 1, expiring: 1, unused: 1 });
  });

  it('flags an active key found leaked before its expiry or idleness, and a canary tripped even switched off; nothing else for either', () => {
    const at = new Date(NOW).toISOString();
    const alert = (keyId: string, kind: AlertJson['kind'] = 'key.leaked', state: AlertJson['state'] = 'open'): AlertJson => ({
      id: `alr_${keyId}`, kind, state, keyId, keyName: keyId, caller: 'deploy/.env:3', ip: null, count: 1, firstSeenAt: at, lastSeenAt: at, detail: {}, acknowledgedAt: null, acknowledgedBy: null,
    });
    const flags = alertFlags([alert('a'), alert('b', 'canary.tripped'), alert('c', 'key.leaked', 'acknowledged'), alert('d'), alert('e'), alert('g', 'key.expiring'), alert('h', 'old_key.presented_after_cutover')]);
    expect(Object.fromEntries(flags)).toEqual({ a: 'leaked', b: 'tripped', d: 'leaked', e: 'leaked' });
    const soon = new Date(NOW + DAY).toISOString();
    expect(attentionOf(key({ id: 'a', expiresAt: soon, createdAt: new Date(NOW - 40 * DAY).toISOString() }), NOW, flags.get('a'))).toEqual({ kind: 'leaked' });
    expect(attentionOf(key({ id: 'd', expiresAt: new Date(NOW - 1).toISOString() }), NOW, 'leaked'), 'an expired key no longer verifies').toEqual({ kind: 'expired' });
    expect(attentionOf(key({ id: 'e', status: 'inactive' }), NOW, 'leaked')).toBeUndefined();
    expect(attentionOf(key({ id: 'b', canary: true }), NOW, 'tripped')).toEqual({ kind: 'tripped' });
    expect(attentionOf(key({ id: 'b', canary: true, status: 'inactive' }), NOW, 'tripped'), 'a canary switched off still trips').toEqual({ kind: 'tripped' });
    expect(attentionOf(key({ id: 'f', canary: true }), NOW, 'leaked')).toBeUndefined();
    expect(attentionOf(key({ id: 'x' }), NOW, 'tripped'), 'only a canary trips').toBeUndefined();
    expect([attentionLabel({ kind: 'leaked' }), attentionLabel({ kind: 'tripped' })]).toEqual(['leaked', 'tripped']);
    const left = (inMs: number) => attentionLabel({ kind: 'expiring', inMs });
    const HOUR = DAY / 24;
    // Days and hours to the nearest, as the details' "in 1d8h" reads; seconds and minutes up, never 0s.
    expect([DAY + 8 * HOUR, DAY + 13 * HOUR, 12 * HOUR + 5_000, 12 * HOUR - 5_000, 20 * 60_000, 500].map(left)).toEqual(['expires 1d', 'expires 2d', 'expires 12h', 'expires 12h', 'expires 20m', 'expires 1s']);
    const keys = [key({ id: 'a' }), key({ id: 'b', canary: true }), key({ id: 'g', expiresAt: soon }), key({ id: 'x' })];
    expect(countAttention(keys, NOW, flags)).toEqual({ leaked: 1, tripped: 1, expired: 0, expiring: 1, unused: 0 });
  });
});

describe('permissions and the action menu', () => {
  it('refuses writes to a viewer with the reason, and deleting an active key to anyone', () => {
    const active = key({ id: 'k' });
    expect(refusal('toggle', active, viewer)).toMatch(/viewer.*may not change keys/);
    expect(refusal('usage', active, viewer)).toBeUndefined();
    expect(refusal('delete', active, admin)).toMatch(/deactivate it first/);
    expect(refusal('delete', { ...active, status: 'inactive' }, admin)).toBeUndefined();
    const items = menuItems(active, undefined, admin);
    expect(items.map((i) => i.label)).toEqual(['Deactivate', 'Delete', 'Rotate', 'Compromised: replace now', 'Edit', 'Usage', 'Details', 'Copy id']);
    expect(refusal('edit', active, viewer)).toMatch(/viewer.*may not change keys/);
    expect(refusal('details', active, viewer)).toBeUndefined();
    expect(items.find((i) => i.action === 'delete')!.disabled).toMatch(/inactive/);
    expect(menuItems({ ...active, status: 'inactive' }, undefined, admin)[0]!.label).toBe('Activate');
  });

  it('refuses, to an operator the daemon refuses, every write and the usage for that reason, whatever its role', () => {
    const active = key({ id: 'k' });
    const refused: Operator = { ...admin, permissions: [], refused: true };
    for (const action of ['toggle', 'delete', 'rotate', 'emergency', 'edit', 'usage', 'add'] as const) {
      expect(refusal(action, active, refused), action).toBe('the daemon refuses this operator: ask an admin for another token');
    }
    expect(refusal('details', active, refused), 'the details show the key held').toBeUndefined();
    expect(refusal('copyId', active, refused)).toBeUndefined();
  });

  it('refuses, while the daemon cannot reach its store, every change and the usage for that reason, at once', () => {
    const active = key({ id: 'k' });
    const storeDown: Operator = { ...admin, unreachable: 'store' };
    for (const action of ['toggle', 'delete', 'rotate', 'emergency', 'edit', 'usage', 'add'] as const) {
      expect(refusal(action, active, storeDown), action).toBe('the daemon cannot reach its key store: try again once it is back');
    }
    expect(refusal('details', active, storeDown), 'the details show the key held').toBeUndefined();
    expect(refusal('copyId', active, storeDown)).toBeUndefined();
    expect(menuItems(active, undefined, storeDown).filter((i) => !i.disabled).map((i) => i.action)).toEqual(['details', 'copyId']);
    const gone: Operator = { ...admin, unreachable: 'daemon' };
    expect(refusal('toggle', active, gone), 'and while the daemon does not answer at all').toBe('the daemon does not answer: try again once it is back');
  });

  it('refuses a new sort or filter over a window to an operator the daemon refuses, but not over every key held, nor esc over no filter', () => {
    const refused: Operator = { ...admin, permissions: [], refused: true };
    const window = (filter: string): KeyWindow => ({ query: { sort: 'name', reversed: false, filter }, pages: [], matched: { total: 0, active: 0, inactive: 0 } });
    expect(queryRefusal('filter', refused, window(''))).toBe('filtering this many keys needs the daemon, which refuses this operator');
    expect(queryRefusal('reverse', refused, window(''))).toBe('sorting this many keys needs the daemon, which refuses this operator');
    expect(queryRefusal('clearFilter', refused, window('bra'))).toMatch(/^filtering/);
    expect(queryRefusal('clearFilter', refused, window(' ')), 'no filter shown: esc changes nothing').toBeUndefined();
    expect(queryRefusal('sort', refused, undefined), 'every key held: sorted here').toBeUndefined();
    expect(queryRefusal('sort', admin, window('')), 'the daemon answers').toBeUndefined();
  });
});

describe('keymaps', () => {
  it('lists only what the operator may do, keeping help and quit when the line is short', () => {
    expect(footerText(TABLE_KEYS, admin.permissions)).toContain('a add');
    expect(footerText(TABLE_KEYS, viewer.permissions)).not.toContain('a add');
    const short = footerText(TABLE_KEYS, admin.permissions, 40);
    expect([...short].length).toBeLessThanOrEqual(40);
    expect(short.endsWith('? help · q quit'), short).toBe(true);
  });

  it('edits a field: typing and pasting append without control characters, backspace removes one', () => {
    expect(edit('bil', 'l', 'l')).toBe('bill');
    expect(edit('a', 'x\u001b[2Jy', 'x\u001b[2Jy')).toBe('ax[2Jy');
    expect(edit('bill', 'backspace', '')).toBe('bil');
    expect(edit('bill', 'up', '')).toBe('bill');
  });

  it('edits a form field where its caret stands: arrows, Home and End move it; typing and backspace work there; at the end it follows the text', () => {
    expect(editAt('ordrs', undefined, 'left', '')).toEqual({ value: 'ordrs', caret: 4 });
    expect(editAt('ordrs', 3, 'e', 'e')).toEqual({ value: 'orders', caret: 4 });
    expect(editAt('orders', 4, 'backspace', '')).toEqual({ value: 'ordrs', caret: 3 });
    expect(editAt('orders', 4, 'right', '')).toEqual({ value: 'orders', caret: 5 });
    expect(editAt('orders', 5, 'right', ''), 'at the end again').toEqual({ value: 'orders', caret: undefined });
    expect(editAt('orders', 3, 'home', '')).toEqual({ value: 'orders', caret: 0 });
    expect(editAt('orders', 0, 'left', '')).toEqual({ value: 'orders', caret: 0 });
    expect(editAt('orders', 2, 'end', '')).toEqual({ value: 'orders', caret: undefined });
    expect(editAt('orders', 0, 'backspace', ''), 'nothing before the caret').toEqual({ value: 'orders', caret: 0 });
    expect(editAt('ab', undefined, 'c', 'c')).toEqual({ value: 'abc', caret: undefined });
    expect(editAt('añb', 2, 'x', 'x'), 'by characters, not UTF-16 units').toEqual({ value: 'añxb', caret: 3 });
    expect(editAt('x'.repeat(200), 100, 'y', 'y').value, 'the field stays at its limit').toHaveLength(200);
    // What a reader sees as one character is one: a flag, a skin tone, a family.
    const emoji = 'ab🇫🇷cd👍🏽';
    expect(editAt(emoji, undefined, 'left', '')).toEqual({ value: emoji, caret: 5 });
    expect(editAt(emoji, 3, 'left', '')).toEqual({ value: emoji, caret: 2 });
    expect(editAt(emoji, 3, 'backspace', ''), 'the whole flag goes').toEqual({ value: 'abcd👍🏽', caret: 2 });
    expect(edit(emoji, 'backspace', ''), 'the whole thumb goes').toBe('ab🇫🇷cd');
  });
});

describe('events', () => {
  const k1 = key({ id: 'k1', name: 'one' });
  const base = collectionOf([k1], []);

  it('applies created, updated, deleted and usage events, and strips unsafe text on the way in', () => {
    const created = parseFeedEvent({ event: 'key.created', data: { type: 'key.created', key: key({ id: 'k2', name: 'evil\u001b[2J' }) } });
    expect(created).toBeDefined();
    let c = applyEvents(base, [created!]);
    expect(c.keys.get('k2')!.name).toBe('evil[2J');
    c = applyEvents(c, [{ type: 'usage', tick: { at: NOW, keys: [{ id: 'k1', ok: 2, rejected: 1 }] } }]);
    expect(c.keys.get('k1')!.uses24h).toBe(3);
    expect(c.keys.get('k1')!.lastUsedAt).toBe(new Date(NOW).toISOString());
    c = applyEvents(c, [{ type: 'key.deleted', id: 'k1' }]);
    expect([...c.keys.keys()]).toEqual(['k2']);
    expect(applyEvents(c, [{ type: 'key.deleted', id: 'nope' }]), 'nothing changed: same object').toBe(c);
    expect(parseFeedEvent({ event: 'operator.created', data: { type: 'operator.created' } })).toBeUndefined();
    expect(parseFeedEvent({ event: 'key.created', data: { type: 'key.updated', key: k1 } }), 'name and payload disagree').toBeUndefined();
  });

  it('keeps open rotations, badges both of their keys, and drops ended ones', () => {
    const rotation = { id: 'r1', oldKeyId: 'k1', newKeyId: 'k2', step: 'verify_new' } as RotationJson;
    let c = applyEvents(base, [{ type: 'rotation.created', rotation }]);
    expect([...rotationsByKey(c).keys()].sort()).toEqual(['k1', 'k2']);
    c = applyEvents(c, [{ type: 'rotation.updated', rotation: { ...rotation, step: 'completed' } }]);
    expect(c.rotations.size).toBe(0);
  });
});

describe('rotation view', () => {
  const rotation = (step: RotationJson['step'], canAdvance: boolean) => ({ id: 'r', step, evidence: { canAdvance } }) as RotationJson;

  it('marks steps done, current and to do', () => {
    const r = rotation('deactivate_old', true);
    expect(['update_systems', 'deactivate_old', 'delete_old'].map((s) => stepState(r, s as RotationJson['step']))).toEqual(['done', 'current', 'todo']);
  });

  it('offers force only on a guarded step whose guard refuses, rollback only in double_check', () => {
    expect(rotationCommands(rotation('verify_new', false))).toContain('force');
    expect(rotationCommands(rotation('verify_new', true))).not.toContain('force');
    expect(rotationCommands(rotation('deactivate_old', false))).not.toContain('force');
    expect(rotationCommands(rotation('double_check', true))).toContain('rollback');
    expect(rotationCommands(rotation('delete_old', true))).toContain('keepOld');
    expect(rotationCommands(rotation('completed', true))).toEqual(['back']);
  });

  it('shows a refusal only for the current step while the guard still refuses', () => {
    const refusal = { step: 'verify_new', reason: 'no traffic' };
    expect(currentRefusal(rotation('verify_new', false), refusal)).toBe('no traffic');
    expect(currentRefusal(rotation('verify_new', true), refusal), 'evidence arrived').toBeUndefined();
    expect(currentRefusal(rotation('double_check', false), refusal), 'another step').toBeUndefined();
  });
});

describe('sparkline', () => {
  it('draws zero as a dot and scales bars to a shared maximum', () => {
    expect(sparkline([0, 1, 2, 4])).toBe('·▂▄█');
    expect(sparkline([1, 1], 8)).toBe('▁▁');
    expect(sparkline([])).toBe('');
  });
});

describe('terminal', () => {
  it('builds OSC 52, wrapped for tmux and screen', () => {
    const b64 = Buffer.from('kw_secret').toString('base64');
    expect(osc52('kw_secret', {})).toBe(`\x1b]52;c;${b64}\x07`);
    expect(osc52('kw_secret', { TMUX: '/tmp/tmux-0/default,1,0' })).toBe(`\x1b]52;c;${b64}\x07\x1bPtmux;\x1b\x1b]52;c;${b64}\x07\x1b\\`);
    expect(osc52('kw_secret', { STY: '123.pts-0' })).toBe(`\x1bP\x1b]52;c;${b64}\x07\x1b\\`);
  });

  it('turns colour off for NO_COLOR', () => {
    const before = chalk.level;
    try {
      chalk.level = 3;
      applyColorPreference({});
      expect(chalk.level).toBe(3);
      applyColorPreference({ NO_COLOR: '1' });
      expect(chalk.level).toBe(0);
    } finally {
      chalk.level = before;
    }
  });
});

describe('fit', () => {
  it('pads or cuts to an exact width in terminal columns, wide characters counting double', () => {
    expect(fit('abc', 5)).toBe('abc  ');
    expect(fit('42', 5, 'right')).toBe('   42');
    expect(fit('billing-service', 8)).toBe('billing…');
    expect(fit('日本語のキー', 7)).toBe('日本語…');
    expect(fit('👩‍💻dev', 4)).toBe('👩‍💻d…');
    expect(fit('x', 0)).toBe('');
  });
});

describe('canaries and alerts', () => {
  const alert = (over: Partial<AlertJson> = {}): AlertJson => ({
    id: 'alr_1',
    kind: 'canary.tripped',
    state: 'open',
    keyId: 'k1',
    keyName: 'bait\u001b[2J',
    caller: 'crawler\u0007',
    ip: null,
    count: 1,
    firstSeenAt: new Date(NOW).toISOString(),
    lastSeenAt: new Date(NOW).toISOString(),
    detail: { reason: 'leaked:\u001b]0;x\u0007 a.env:1' },
    acknowledgedAt: null,
    acknowledgedBy: null,
    ...over,
  });

  it('never flags a canary (not unused, not expiring) and labels its status canary', () => {
    const idle = key({ id: 'c', canary: true, createdAt: new Date(NOW - 90 * DAY).toISOString(), expiresAt: new Date(NOW + DAY).toISOString() });
    expect(attentionOf({ ...idle, canary: false }, NOW), 'the same key, not a canary, is flagged').toBeDefined();
    expect(attentionOf(idle, NOW)).toBeUndefined();
    expect(statusLabel(idle, NOW)).toBe('canary');
  });

  it('offers the emergency replacement unless the key is a canary or already being replaced', () => {
    const plain = key({ id: 'k' });
    const emergency = (k: KeyJson, r?: RotationJson) => menuItems(k, r, admin).find((i) => i.action === 'emergency')!;
    expect(emergency(plain)).toEqual({ action: 'emergency', label: 'Compromised: replace now', shortcut: 'E' });
    expect(emergency({ ...plain, canary: true }).disabled).toMatch(/canary is not rotated/);
    expect(emergency(plain, { step: 'verify_new', oldKeyId: 'k', newKeyId: 'n' } as RotationJson).disabled).toBe(
      'already being replaced (verify_new): resume the rotation (r); to stop it at once, deactivate it (x)',
    );
    expect(emergency({ ...plain, id: 'n' }, { step: 'verify_new', oldKeyId: 'k', newKeyId: 'n' } as RotationJson).disabled).toBe(
      'the new key of an open rotation (verify_new): resume the rotation (r); to stop it at once, deactivate it (x)',
    );
    expect(emergency({ ...plain, status: 'inactive' }, { step: 'double_check', oldKeyId: 'k', newKeyId: 'n' } as RotationJson).disabled, 'an inactive key is already stopped').toBe(
      'already being replaced (double_check): resume the rotation (r)',
    );
    expect(refusal('emergency', plain, { ...admin, role: 'viewer', permissions: ['keys:read'] })).toMatch(/may not change keys/);
  });

  it('keeps the open alerts, safe to draw, as their events come: raised, counted, acknowledged', () => {
    const raised = parseFeedEvent({ event: 'alert.raised', data: { type: 'alert.raised', alert: alert() } })!;
    expect(raised).toMatchObject({ alert: { keyName: 'bait[2J', caller: 'crawler', detail: { reason: 'leaked:]0;x a.env:1' } } });
    let c = applyEvents(collectionOf([], []), [raised]);
    expect([...c.alerts.keys()]).toEqual(['alr_1']);
    c = applyEvents(c, [{ type: 'alert.updated', alert: alert({ count: 5 }) }]);
    expect(c.alerts.get('alr_1')!.count).toBe(5);
    const acked = applyEvents(c, [{ type: 'alert.updated', alert: alert({ state: 'acknowledged' }) }]);
    expect(acked.alerts.size).toBe(0);
    expect(applyEvents(acked, [{ type: 'alert.updated', alert: alert({ id: 'alr_2', state: 'acknowledged' }) }]), 'nothing to change').toBe(acked);
    expect(collectionOf([], [], [alert(), alert({ id: 'alr_2', state: 'acknowledged' })]).alerts.size).toBe(1);
  });
});
