/**
 * The TUI's pure state for key policy: the forms (reading fields, only what changed, objections
 * under their fields), what makes an edit narrower, the details cut to fit, and the sanitizer
 * on every string of a key.
 */
import { describe, expect, it } from 'vitest';
import type { Key } from 'ink';
import type { AlertJson } from '../../src/client/client.js';
import { detailLines, packItems } from '../../src/tui/state/details.js';
import { ADD_FORM, editForm, fitObjections, issuesByField, moveFocus, readForm, textsOf, typeInto, NO_SCOPES, type KeyForm } from '../../src/tui/state/key-form.js';
import { keyName } from '../../src/tui/state/keymap.js';
import { narrowings, refusedLists } from '../../src/tui/state/narrowing.js';
import { safeKey } from '../../src/tui/state/safe.js';
import { DAY, keyJson, NOW } from './key-json.js';

const policed = keyJson({
  id: 'k1',
  name: 'orders-eu',
  owner: 'team-orders',
  description: 'Checkout, EU',
  expiresAt: '2025-09-01T00:00:00.000Z',
  scopes: ['orders:*', 'billing:read'],
  allowedIps: ['10.0.0.0/8', '2001:db8::/32'],
  rateLimit: { limit: 100, windowSeconds: 60 },
  quota: { remaining: 940, refill: { amount: 1000, intervalSeconds: 86_400 }, nextRefillAt: new Date(NOW + 5 * 3_600_000).toISOString() },
  meta: { plan: 'pro' },
});

/** `form` with field after field typed over (emptied, then `text`). */
function typed(form: KeyForm, fields: Partial<Record<keyof KeyForm['texts'], string>>): KeyForm {
  return { ...form, texts: { ...form.texts, ...fields } };
}

describe('the forms', () => {
  it('show a key as it is typed, and an untouched edit sends nothing', () => {
    expect(textsOf(policed)).toEqual({
      name: 'orders-eu',
      expires: '2025-09-01T00:00:00Z',
      description: 'Checkout, EU',
      owner: 'team-orders',
      scopes: 'orders:*, billing:read',
      allowedIps: '10.0.0.0/8, 2001:db8::/32',
      rate: '100/1m',
      quota: '940',
      refill: '1000/1d',
      canary: '',
    });
    expect(readForm(editForm(policed), NOW)).toEqual({ input: {}, problems: {} });
    expect(textsOf(keyJson({ id: 'k', scopes: [] })).scopes, 'no scope at all is not "any"').toBe(NO_SCOPES);
  });

  it('send only the fields changed; an emptied field clears', () => {
    const form = typed(editForm(policed), { owner: 'team-payments', allowedIps: '', description: ' Checkout, EU ' });
    expect(readForm(form, NOW).input, 'the description only gained spaces').toEqual({ owner: 'team-payments', allowedIps: null });
    expect(readForm(typed(editForm(policed), { scopes: NO_SCOPES }), NOW).input).toEqual({ scopes: [] });
    expect(readForm(typed(editForm(policed), { scopes: ' a:b ,c:d,, ' }), NOW).input, 'commas part entries, spaces around them go').toEqual({ scopes: ['a:b', 'c:d'] });
    expect(readForm(typed(editForm(policed), { scopes: 'b:c!, c:d' }), NOW).input, 'an entry the daemon will refuse is its to judge').toEqual({ scopes: ['b:c!', 'c:d'] });
    expect(readForm(typed(editForm(policed), { expires: '' }), NOW).input).toEqual({ expiresAt: null });
    expect(readForm(typed(editForm(policed), { expires: '30d' }), NOW).input).toEqual({ expiresAt: new Date(NOW + 30 * DAY).toISOString() });
    expect(readForm(typed(editForm(policed), { expires: '2026-01-31' }), NOW).input).toEqual({ expiresAt: '2026-01-31T00:00:00.000Z' });
  });

  it('send a quota whole with its refill, since setting one starts its count over', () => {
    expect(readForm(typed(editForm(policed), { refill: '500/1h' }), NOW).input).toEqual({ quota: { remaining: 940, refill: { amount: 500, intervalSeconds: 3600 } } });
    expect(readForm(typed(editForm(policed), { refill: '' }), NOW).input).toEqual({ quota: { remaining: 940, refill: null } });
    expect(readForm(typed(editForm(policed), { quota: '', refill: '' }), NOW).input).toEqual({ quota: null });
  });

  it('object under the field to what cannot be read, and send nothing for it', () => {
    const read = readForm(typed(ADD_FORM, { name: 'x', rate: 'fast', expires: 'soon', quota: '', refill: '10/1d' }), NOW);
    expect(read.problems).toEqual({
      rate: ['is not N/DURATION: a whole number, a slash and a duration in s, m, h or d'],
      expires: ['is not a date: write 2030-12-31, 2030-12-31T12:00Z, or a time from now such as 30d'],
      refill: ['needs a quota: a refill sets the quota back to N'],
    });
    expect(read.input).toEqual({ name: 'x' });
    expect(readForm(typed(ADD_FORM, { name: 'x', quota: 'many' }), NOW).problems).toEqual({ quota: ['is not a whole number'] });
    const spaced = readForm(typed(ADD_FORM, { name: 'x', scopes: 'a:b, orders:read orders:write', allowedIps: '10.0.0.0/8 ::1' }), NOW);
    expect(spaced.problems, 'a list separated by spaces is named as that, not split by guess').toEqual({
      scopes: ['"orders:read orders:write" has a space: separate entries with commas'],
      allowedIps: ['"10.0.0.0/8 ::1" has a space: separate entries with commas'],
    });
    expect(spaced.input).toEqual({ name: 'x' });
    expect(readForm(typed(ADD_FORM, { name: 'x', expires: '2030-02-30' }), NOW).problems, 'no day that does not exist').toEqual({ expires: [expect.stringMatching(/^is not a date/)] });
  });

  it('add: only the name until tab opens the rest; typing clears that field\'s objections', () => {
    expect(ADD_FORM.expanded).toBe(false);
    const opened = moveFocus(ADD_FORM, 1);
    expect(opened).toMatchObject({ expanded: true, focus: 'expires' });
    expect(moveFocus(ADD_FORM, -1).focus, 'round the ends: the add form ends with the canary').toBe('canary');
    expect(moveFocus(editForm(policed), -1).focus, 'which the edit form has not').toBe('refill');
    const objected: KeyForm = { ...opened, issues: { expires: ['must be in the future'], name: ['is already taken'], form: ['the daemon does not answer'] } };
    expect(typeInto(objected, '3', '3').issues).toEqual({ name: ['is already taken'] });
    expect(typeInto(objected, 'tab', '\t'), 'a key that types nothing changes nothing').toBe(objected);
  });

  it('put the daemon\'s objections under their fields, naming list entries', () => {
    const sent = { scopes: ['ok', 'b!', 'd$'], allowedIps: ['10.0.0.1/8'], rateLimit: { limit: 0, windowSeconds: 0 } };
    const issues = issuesByField(
      [
        { path: 'scopes.1', message: 'must be segments' },
        { path: 'scopes.2', message: 'must be segments' },
        { path: 'allowedIps.0', message: 'has host bits set; the network is 10.0.0.0/8' },
        { path: 'rateLimit.limit', message: 'must be at least 1' },
        { path: 'rateLimit.windowSeconds', message: 'must be at least 1' },
        { path: 'quota.refill.intervalSeconds', message: 'must be at most 31,622,400' },
        { path: 'expiresAt', message: 'must be in the future' },
        { path: 'name', message: 'is already \u001b[2Jtaken' },
        { path: 'meta', message: 'must be at most 4096 bytes as JSON' },
      ],
      sent,
    );
    expect(issues).toEqual({
      scopes: ['"b!", "d$" must be segments'],
      allowedIps: ['"10.0.0.1/8" has host bits set; the network is 10.0.0.0/8'],
      rate: ['N must be at least 1', 'the window, in seconds, must be at least 1'],
      refill: ['the interval, in seconds, must be at most 31,622,400'],
      expires: ['must be in the future'],
      name: ['is already [2Jtaken'],
      form: ['meta must be at most 4096 bytes as JSON'],
    });
  });

  it('fit objections in the room there is: wrapped, else a line each, else the first of each', () => {
    const lists = [['one'], ['two', 'three'], []];
    expect(fitObjections(lists, 6, () => 2)).toEqual({ lists: [['one'], ['two', 'three'], []], compact: false });
    expect(fitObjections(lists, 3, () => 2)).toEqual({ lists: [['one'], ['two', 'three'], []], compact: true });
    expect(fitObjections(lists, 2, () => 2)).toEqual({ lists: [['one'], ['two (+1 more)'], []], compact: true });
  });

  it('tell Tab from Shift-Tab', () => {
    const key = (over: Partial<Key>) => ({ tab: true, shift: false, ...over }) as Key;
    expect(keyName('', key({}))).toBe('tab');
    expect(keyName('', key({ shift: true }))).toBe('shift+tab');
  });
});

describe('narrowing', () => {
  const edit = (over: Partial<KeyForm['texts']>) => readForm(typed(editForm(policed), over), NOW).input;

  it('names scopes no longer granted, and not those a wider pattern still grants', () => {
    expect(narrowings(policed, edit({ scopes: 'orders:read, billing:read' }))).toEqual(['scopes: no longer grants orders:*']);
    expect(narrowings(policed, edit({ scopes: '*' })), 'a lone * grants everything').toEqual([]);
    expect(narrowings(policed, edit({ scopes: 'orders:*, billing:*' }))).toEqual([]);
    expect(narrowings(policed, edit({ scopes: '' })), 'no restriction').toEqual([]);
    expect(narrowings(policed, edit({ scopes: NO_SCOPES }))).toEqual(['scopes: no longer grants orders:*, billing:read']);
    expect(narrowings(keyJson({ id: 'k' }), { scopes: ['orders:read'] })).toEqual(['scopes: any → orders:read']);
  });

  it('names addresses no longer allowed, reading ranges as ranges', () => {
    expect(narrowings(policed, edit({ allowedIps: '10.0.0.0/16, 2001:db8::/32' }))).toEqual(['allowed IPs: not all of 10.0.0.0/8 any more (now 10.0.0.0/16, 2001:db8::/32)']);
    expect(narrowings(policed, edit({ allowedIps: '10.0.0.0/7, 2001:db8::/31' })), 'wider ranges').toEqual([]);
    expect(narrowings(policed, edit({ allowedIps: '::ffff:10.0.0.0/104, 2001:db8::/32' })), 'the IPv4-mapped form of the same range').toEqual([]);
    expect(narrowings(policed, edit({ allowedIps: '10.0.0.0/9, 10.128.0.0/9, 2001:db8::/33, 2001:db8:8000::/33' })), 'each range split in halves').toEqual([]);
    expect(narrowings(policed, edit({ allowedIps: '10.0.0.0/9, 10.128.0.0/10, 10.192.0.0/11, 10.224.0.0/11, 2001:db8::/32' })), 'in unequal parts').toEqual([]);
    expect(narrowings(policed, edit({ allowedIps: '10.0.0.0/9, 10.128.0.0/10, 10.224.0.0/11, 2001:db8::/32' })), 'a part missing').toEqual([
      'allowed IPs: not all of 10.0.0.0/8 any more (now 10.0.0.0/9, 10.128.0.0/10, 10.224.0.0/11, 2001:db8::/32)',
    ]);
    expect(narrowings(policed, edit({ allowedIps: '0.0.0.0/1, 128.0.0.0/1, 2001:db8::/32' })), 'all of IPv4, in two').toEqual([]);
    expect(narrowings(policed, edit({ allowedIps: '10.0.0.0/9, 10.128.0.1, 2001:db8::/32' })), 'one address is not its /9').toHaveLength(1);
    const many = Array.from({ length: 63 }, (_, i) => `2001:db8:${i.toString(16)}::/48`);
    const wide = { ...policed, allowedIps: [...many, '2001:db8:ffff::/48'], scopes: many.map((_, i) => `svc${i}:read`) };
    expect(narrowings(wide, edit({ allowedIps: many.join(', '), scopes: 'svc0:read' })), 'long lists named in part').toEqual([
      'scopes: no longer grants svc1:read, svc2:read, svc3:read, svc4:read and 58 more',
      'allowed IPs: not all of 2001:db8:ffff::/48 any more (now 2001:db8:0::/48, 2001:db8:1::/48, 2001:db8:2::/48, 2001:db8:3::/48 and 59 more)',
    ]);
    expect(narrowings(policed, edit({ allowedIps: '' }))).toEqual([]);
    expect(narrowings(keyJson({ id: 'k' }), { allowedIps: ['192.0.2.1'] })).toEqual(['allowed IPs: any address → 192.0.2.1']);
  });

  it('names a slower rate, a smaller quota or refill, and an earlier expiry', () => {
    expect(narrowings(policed, edit({ rate: '10/1m' }))).toEqual(['rate limit: 100 per 1m → 10 per 1m']);
    expect(narrowings(policed, edit({ rate: '100/2m' }))).toEqual(['rate limit: 100 per 1m → 100 per 2m']);
    expect(narrowings(policed, edit({ rate: '6000/1h' })), 'the same rate over a longer window').toEqual([]);
    expect(narrowings(policed, edit({ rate: '' }))).toEqual([]);
    expect(narrowings(policed, edit({ quota: '10' }))).toEqual(['quota: 940 left → 10']);
    expect(narrowings(policed, edit({ quota: '940', refill: '' }))).toEqual(['quota: no longer refills (was 1,000 every 1d)']);
    expect(narrowings(policed, edit({ refill: '1000/2d' }))).toEqual(['quota refill: 1,000 every 1d → 1,000 every 2d']);
    expect(narrowings(policed, edit({ quota: '' }))).toEqual([]);
    expect(narrowings(keyJson({ id: 'k' }), { quota: { remaining: 5 } })).toEqual(['quota: unlimited → 5 uses']);
    expect(narrowings(policed, edit({ expires: '2025-07-01' }))).toEqual(['expiry: 2025-09-01 00:00:00Z → 2025-07-01 00:00:00Z (earlier)']);
    expect(narrowings(policed, edit({ expires: '2026-01-01' }))).toEqual([]);
    expect(narrowings(keyJson({ id: 'k' }), { expiresAt: '2025-07-01T00:00:00.000Z' })).toEqual(['expiry: never → 2025-07-01 00:00:00Z']);
  });

  it('leaves labels alone, and knows which lists the daemon will refuse', () => {
    expect(narrowings(policed, edit({ name: 'orders-europe', owner: '', description: 'x' }))).toEqual([]);
    expect(refusedLists({ scopes: ['orders:read', 'bad scope!'] })).toBe(true);
    expect(refusedLists({ allowedIps: ['10.0.0.1/8'] })).toBe(true);
    expect(refusedLists({ scopes: ['orders:*'], allowedIps: ['10.0.0.0/8'] })).toBe(false);
  });
});

describe('details', () => {
  it('say the policy in words', () => {
    const lines = detailLines(policed, NOW, 120, 30);
    const text = Object.fromEntries(lines.filter((l) => l.label).map((l) => [l.label, l.text]));
    expect(text).toMatchObject({
      owner: 'team-orders',
      description: 'Checkout, EU',
      scopes: 'orders:*, billing:read',
      'allowed IPs': '10.0.0.0/8, 2001:db8::/32',
      'rate limit': '100 per 1m',
      quota: '940 left; back to 1,000 every 1d (next in 5h)',
      expires: '2025-09-01 00:00:00Z (in 91d12h)',
      meta: '{',
    });
    const none = Object.fromEntries(detailLines(keyJson({ id: 'k', scopes: [] }), NOW, 120, 30).map((l) => [l.label, l]));
    expect(none.scopes).toEqual({ label: 'scopes', text: 'none', tone: 'warn' });
    expect(none['allowed IPs']).toEqual({ label: 'allowed IPs', text: 'any address', tone: 'dim' });
    expect(none.quota!.text).toBe('unlimited');
    expect(none.reason, 'no reason line for an active key').toBeUndefined();
    const busy = detailLines(keyJson({ id: 'k', uses24h: 1_234_567 }), NOW, 120, 30).find((l) => l.label === 'last used');
    expect(busy?.text).toBe('never · 1,234,567 uses in 24h');
    const off = keyJson({ id: 'k', status: 'inactive', deactivatedAt: '2025-05-31T10:00:00.000Z', deactivationReason: 'found in a public repository' });
    expect(detailLines(off, NOW, 120, 30).slice(2, 4)).toEqual([
      { label: 'status', text: 'inactive since 2025-05-31 10:00:00Z', tone: 'bad' },
      { label: 'reason', text: 'found in a public repository', tone: 'bad' },
    ]);
  });

  it('list the key’s open alerts under its status, newest first, at most three and how many more', () => {
    const at = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString();
    const alert = (id: string, over: Partial<AlertJson>): AlertJson => ({
      id, kind: 'key.leaked', state: 'open', keyId: 'k', keyName: 'k', caller: null, ip: null, count: 1, firstSeenAt: at(60), lastSeenAt: at(5), detail: {}, acknowledgedAt: null, acknowledgedBy: null, ...over,
    });
    const open = [
      alert('a1', { caller: 'deploy/.env:3', count: 2, lastSeenAt: at(5) }),
      alert('a2', { kind: 'canary.tripped', keyId: 'other', caller: 'crawler' }),
      alert('a3', { kind: 'old_key.presented_after_cutover', caller: 'billing-svc', ip: '10.0.0.7', lastSeenAt: at(1) }),
      alert('a4', { state: 'acknowledged', caller: 'old/.env:1' }),
    ];
    const lines = detailLines(keyJson({ id: 'k' }), NOW, 120, 30, open);
    const from = lines.findIndex((l) => l.label === 'alerts');
    expect(lines[from - 1]!.label, 'right under the status').toBe('status');
    expect(lines.slice(from, from + 3)).toEqual([
      { label: 'alerts', text: 'old key used by billing-svc from 10.0.0.7 · once, last 1m ago', tone: 'bad' },
      { label: '', text: 'leaked by deploy/.env:3 · 2 times, last 5m ago', tone: 'bad' },
      { label: 'expires', text: 'never', tone: 'dim' },
    ]);
    expect(detailLines(keyJson({ id: 'other' }), NOW, 120, 30, []).some((l) => l.label === 'alerts'), 'no line without an open alert').toBe(false);
    const many = Array.from({ length: 5 }, (_, i) => alert(`m${i}`, { caller: `file-${i}:1`, lastSeenAt: at(i + 1) }));
    const listed = detailLines(keyJson({ id: 'k' }), NOW, 120, 30, many).filter((l) => l.tone === 'bad' && l.label !== 'status');
    expect(listed.map((l) => l.text)).toEqual([
      'leaked by file-0:1 · once, last 1m ago',
      'leaked by file-1:1 · once, last 2m ago',
      'leaked by file-2:1 · once, last 3m ago',
      '+2 more (! lists them all)',
    ]);
  });

  it('fit the height given: meta gives way first, then the longest list', () => {
    const meta = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`field${i}`, i]));
    const scopes = Array.from({ length: 40 }, (_, i) => `service-${i}:read`);
    const big = { ...policed, meta, scopes };
    const tall = detailLines(big, NOW, 76, 60);
    expect(tall.length, 'everything when there is room: nine one-line fields, the scopes, meta').toBe(9 + tall.filter((l) => l.text.includes('service-')).length + 32);
    const fitted = detailLines(big, NOW, 76, 16);
    expect(fitted.length).toBe(16);
    const metaLines = fitted.slice(fitted.findIndex((l) => l.label === 'meta'));
    expect(metaLines.map((l) => l.text), 'meta down to one line').toEqual([JSON.stringify(meta)]);
    const scopeLines = fitted.filter((l, i) => i >= fitted.findIndex((x) => x.label === 'scopes') && i < fitted.findIndex((x) => x.label === 'allowed IPs'));
    expect(scopeLines.length).toBeGreaterThanOrEqual(1);
    expect(scopeLines.at(-1)!.text).toMatch(/\+\d+ more$/);
    const shown = scopeLines.flatMap((l) => l.text.split(/,? /)).filter((t) => t.startsWith('service-')).length;
    expect(Number(/\+(\d+) more$/.exec(scopeLines.at(-1)!.text)![1]) + shown, 'the count adds up').toBe(40);
    const short = detailLines(big, NOW, 60, 7);
    expect(short.length, 'a very short terminal: the last lines go, saying so').toBe(7);
    expect(short.at(-1)!.text).toMatch(/more lines in a taller terminal/);
  });

  it('wrap a long description and reason over the lines they take, cut to one line ending in … last of all', () => {
    const description = `Checkout for the EU shops ${'and more words '.repeat(20)}END`;
    const reason = `leaked: ${'deploy/secrets/'.repeat(8)}prod.env:3`;
    const off = { ...policed, description, status: 'inactive' as const, deactivatedAt: '2025-05-31T10:00:00.000Z', deactivationReason: reason };
    const tall = detailLines(off, NOW, 76, 60);
    const describing = tall.slice(tall.findIndex((l) => l.label === 'description'), tall.findIndex((l) => l.label === 'owner'));
    expect(describing.length, 'the whole description, wrapped').toBeGreaterThan(3);
    expect(describing.every((l) => l.text.length <= 76 - 13)).toBe(true);
    expect(describing.map((l) => l.text).join(' ')).toBe(description);
    const from = tall.findIndex((l) => l.label === 'reason');
    const reasoning = tall.slice(from, from + 4);
    expect(reasoning[0]!.text).toBe('leaked:');
    expect(reasoning.map((l) => l.text).join(''), 'the path, longer than a line, cut into lines').toBe(reason.replace(' ', ''));
    expect(reasoning.every((l) => l.tone === 'bad')).toBe(true);
    // Short of room: meta and the lists give way first; then the texts, down to one line each.
    const fitted = detailLines(off, NOW, 76, 14);
    expect(fitted.length).toBeLessThanOrEqual(14);
    const short = detailLines(off, NOW, 76, 12);
    const shortDescription = short.slice(short.findIndex((l) => l.label === 'description'), short.findIndex((l) => l.label === 'owner'));
    expect(shortDescription).toHaveLength(1);
    expect(shortDescription[0]!.text).toMatch(/^Checkout for the EU shops .*…$/);
    expect(short.find((l) => l.label === 'meta')!.text, 'meta went first').toBe(JSON.stringify(policed.meta));
  });

  it('pack list entries into lines, ending in +N more past the lines given', () => {
    const items = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
    expect(packItems(items, 20)).toEqual(['alpha, bravo,', 'charlie, delta, echo']);
    expect(packItems(items, 21, 1)).toEqual(['alpha, bravo, +3 more']);
    expect(packItems(items, 20, 1), 'room made for the count').toEqual(['alpha, +4 more']);
    expect(packItems(items, 14, 1)).toEqual(['alpha, +4 more']);
    const long = Array.from({ length: 64 }, (_, i) => `s${String(i).padStart(2, '0')}:${'x'.repeat(124)}`);
    const packed = packItems(long, 60, 3);
    expect(packed).toHaveLength(3);
    expect(packed[2], 'an item wider than the line is cut so the count shows').toMatch(/^s02:x+… \+61 more$/);
    expect(packed[2]!.length).toBeLessThanOrEqual(60);
  });
});

describe('the sanitizer on a key', () => {
  it('strips control and format characters from every string, meta at any depth and its keys too', () => {
    const hostile = keyJson({
      id: 'k',
      name: 'evil\u001b]52;c;AAAA\u0007',
      owner: 'team\u202eevil',
      description: 'line\u2028break',
      scopes: ['orders:read\u009b2J'],
      allowedIps: ['10.0.0.0/8\u200b'],
      deactivationReason: 'leaked\u001b[2J',
      meta: { 'ke\u001by': ['a\u009bb', { deep: 'c\u202ed' }], n: 1, ok: true, none: null },
    });
    const safe = safeKey(hostile);
    expect(safe).toMatchObject({
      name: 'evil]52;c;AAAA',
      owner: 'teamevil',
      description: 'linebreak',
      scopes: ['orders:read2J'],
      allowedIps: ['10.0.0.0/8'],
      deactivationReason: 'leaked[2J',
      meta: { key: ['ab', { deep: 'cd' }], n: 1, ok: true, none: null },
    });
    expect(safeKey(keyJson({ id: 'k' })), 'nulls stay null').toMatchObject({ owner: null, meta: null, scopes: null });
  });
});

describe('the add form\'s canary', () => {
  it('sends canary: true for "yes", nothing when empty, and objects to anything else', () => {
    const canary = (text: string) => readForm({ ...ADD_FORM, texts: { ...ADD_FORM.texts, name: 'bait', canary: text } }, NOW);
    expect(canary('yes').input).toEqual({ name: 'bait', canary: true });
    expect(canary('Y').input).toEqual({ name: 'bait', canary: true });
    expect(canary('').input).toEqual({ name: 'bait' });
    expect(canary('maybe').problems).toEqual({ canary: ['is "yes" for a canary, or empty for an ordinary key'] });
  });
});
