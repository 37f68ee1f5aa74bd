/**
 * Key policy in the TUI (issue 15) against a real listening daemon, pressing real keys: the
 * edit form's round trip (only changed fields sent, the table follows), the daemon's objections
 * under their fields, the question before a narrowing edit, the add form's collapsed fields,
 * the details at 80×24, the owner column and filter.
 */
import { describe, expect, it } from 'vitest';
import type { EditKeyInput } from '../../src/client/client.js';
import type { TestDaemon } from '../helpers/daemon.js';
import { cursorLine, KEY, press, SECRET, screen, waitForFrame, waitForText } from './frames.js';
import { daemonPerTest, openApp } from './open-app.js';

let t: TestDaemon;
daemonPerTest({ get: () => t, set: (d) => (t = d) });

const WIDE = { columns: 120, rows: 35 };

/** A fetch that keeps the body of every PATCH the TUI sends. */
function recordPatches(): { fetch: typeof fetch; patches: EditKeyInput[] } {
  const patches: EditKeyInput[] = [];
  const recording: typeof fetch = (input, init) => {
    if (init?.method === 'PATCH') patches.push(JSON.parse(String(init.body)) as EditKeyInput);
    return fetch(input, init);
  };
  return { fetch: recording, patches };
}

async function policedKey(name: string) {
  return t.client.createKey(name, {
    owner: 'team-orders',
    description: 'Checkout, EU',
    scopes: ['orders:*', 'billing:read'],
    allowedIps: ['10.0.0.0/8'],
    rateLimit: { limit: 100, windowSeconds: 60 },
    quota: { remaining: 1000, refill: { amount: 1000, intervalSeconds: 86_400 } },
  });
}

/** The screen line holding `text`, and the line below it. */
function lineAndNext(frame: string, text: string): [string, string] {
  const lines = frame.split('\n');
  const at = lines.findIndex((l) => l.includes(text));
  expect(at, `"${text}" on screen:\n${frame}`).toBeGreaterThanOrEqual(0);
  return [lines[at]!, lines[at + 1] ?? ''];
}

/** Empties the focused field, labelled `label`, and types `text` into it. */
async function retype(app: Parameters<typeof press>[0], label: string, text: string) {
  press(app, KEY.ctrlU);
  await waitForFrame(app, (f) => new RegExp(`› +${label}: █`).test(f), `${label} emptied`);
  press(app, text);
  await waitForText(app, `${label}: ${text}█`);
}

describe('the edit form', () => {
  it('opens with the key\'s fields, sends only what changed, toasts, and the table follows', async () => {
    const { key } = await policedKey('orders-eu');
    const { fetch, patches } = recordPatches();
    const { app } = await openApp(t, { size: WIDE, fetch });
    await waitForText(app, 'orders-eu');
    press(app, 'e');
    let frame = await waitForText(app, 'Edit "orders-eu"');
    for (const shown of ['Name: orders-eu█', 'Owner: team-orders', 'Scopes: orders:*, billing:read', 'Allowed IPs: 10.0.0.0/8', 'Rate limit: 100/1m', 'Quota: 1000', 'Refill: 1000/1d', 'Expires: never']) {
      expect(frame, shown).toContain(shown);
    }
    await retype(app, 'Name', 'orders-europe');
    press(app, KEY.down, KEY.tab, KEY.down);
    await waitForFrame(app, (f) => /› +Owner: team-orders█/.test(f), 'the cursor on the owner');
    await retype(app, 'Owner', 'team-payments');
    press(app, KEY.enter);
    frame = await waitForText(app, 'Saved "orders-europe": name, owner');
    expect(patches, 'only the changed fields, once').toEqual([{ name: 'orders-europe', owner: 'team-payments' }]);
    expect(cursorLine(frame), 'the table follows: renamed, new owner, cursor on it').toMatch(/orders-europe\s+team-payments/);

    const { key: stored } = await t.client.getKey(key.id);
    expect(stored).toMatchObject({ name: 'orders-europe', owner: 'team-payments', scopes: ['orders:*', 'billing:read'], rateLimit: { limit: 100, windowSeconds: 60 } });
    const { events } = await t.client.audit({ limit: 5 });
    expect(events.find((e) => e.action === 'key.update')?.detail, 'the quota was not set again (that would restart its count)').toMatchObject({ fields: ['name', 'owner'] });

    press(app, 'e');
    await waitForText(app, 'Edit "orders-europe"');
    press(app, 'xyz');
    await waitForText(app, 'Name: orders-europexyz█');
    press(app, KEY.escape);
    await waitForFrame(app, (f) => cursorLine(f)?.includes('orders-europe ') === true && !f.includes('Edit "'), 'esc cancels');
    press(app, 'e');
    await waitForText(app, 'Edit "orders-europe"');
    press(app, KEY.enter);
    await waitForText(app, 'Nothing changed in "orders-europe"');
    expect(patches.length, 'neither esc nor an unchanged form sends anything').toBe(1);
  });

  it('stays open when its key is deleted meanwhile, saying so: what is typed next stays in it, and nothing is saved or asked', async () => {
    const { key } = await t.client.createKey('victim-a');
    const other = await t.client.createKey('victim-b');
    const { app } = await openApp(t, { size: WIDE });
    await waitForText(app, 'victim-b');
    press(app, 'e');
    await waitForText(app, 'Edit "victim-a"');
    await t.client.deactivateKey(key.id);
    await t.client.deleteKey(key.id);
    await waitForText(app, 'This key was deleted meanwhile: nothing here can be saved; esc goes back to the table');
    // What the admin was typing: on the table, x then y would deactivate the key under the cursor.
    press(app, 'xy');
    let frame = await waitForText(app, 'Name: victim-axy█');
    expect(frame, 'still said after typing').toContain('This key was deleted meanwhile');
    press(app, KEY.enter);
    frame = await waitForText(app, 'Name: victim-axy█');
    expect(frame).toContain('This key was deleted meanwhile');
    expect(frame).not.toMatch(/Deactivate|Narrow/);
    expect((await t.client.getKey(other.key.id)).key.status, 'the key behind the form untouched').toBe('active');
    press(app, KEY.escape);
    frame = await waitForFrame(app, (f) => !f.includes('Edit "victim-a"') && f.includes('victim-b'), 'the table');
    expect(frame).not.toContain('victim-a');
  });

  it('changes a refill alone keeping the uses left as the daemon counts them now, not as the form opened with them', async () => {
    const { key, secret } = await policedKey('metered');
    const { app } = await openApp(t, { size: WIDE });
    await waitForText(app, 'metered');
    press(app, 'e');
    await waitForText(app, 'Edit "metered"');
    for (let i = 0; i < 8; i++) press(app, KEY.down);
    await waitForFrame(app, (f) => /› +Refill: 1000\/1d/.test(f), 'the cursor on the refill');
    // Uses made while the form is open.
    for (let i = 0; i < 3; i++) expect((await t.client.verify(secret, undefined, { ip: '10.1.2.3' })).valid).toBe(true);
    await retype(app, 'Refill', '2000/1d');
    press(app, KEY.enter);
    await waitForText(app, 'Saved "metered"');
    expect((await t.client.getKey(key.id)).key.quota).toMatchObject({ remaining: 997, refill: { amount: 2000, intervalSeconds: 86_400 } });
  });

  it('takes a description as long as the daemon allows, the cursor kept in view inside it', async () => {
    const { key } = await t.client.createKey('long-text');
    const { app } = await openApp(t, { size: { columns: 80, rows: 24 } });
    await waitForText(app, 'long-text');
    press(app, 'e');
    await waitForText(app, 'Edit "long-text"');
    press(app, KEY.down, KEY.down);
    await waitForFrame(app, (f) => /› +Description:/.test(f), 'the cursor on the description');
    // Pasted at once: 453 characters, past the 200 the form once cut every field to.
    press(app, `${'d'.repeat(450)}END`);
    await waitForFrame(app, (f) => /Description: …d+END█/.test(f), 'the end of the paste in view');
    press(app, KEY.end, KEY.left, KEY.left, KEY.left);
    // The cursor on the E, far past the line's end: the stretch around it is drawn.
    await waitForFrame(app, (f) => /Description: d+END *│/.test(f), 'the cursor inside, in view');
    press(app, 'X');
    await waitForFrame(app, (f) => /Description: d+XEND *│/.test(f), 'typed at the cursor, in view');
    press(app, KEY.enter);
    await expect.poll(async () => (await t.client.getKey(key.id)).key.description, { timeout: 5000 }).toBe(`${'d'.repeat(450)}XEND`);
  });

  it('shows the daemon\'s objections under each field and changes nothing', async () => {
    const { key } = await policedKey('orders');
    await t.client.createKey('other');
    const { fetch, patches } = recordPatches();
    const { app } = await openApp(t, { size: WIDE, fetch });
    await waitForText(app, 'other');
    press(app, 'e');
    await waitForText(app, 'Edit "orders"');
    press(app, KEY.down, KEY.down, KEY.down, KEY.down);
    await waitForFrame(app, (f) => /› +Scopes:/.test(f), 'the cursor on the scopes');
    await retype(app, 'Scopes', 'orders:read, bad!');
    press(app, KEY.tab);
    await retype(app, 'Allowed IPs', '10.0.0.1/8');
    press(app, KEY.tab);
    await retype(app, 'Rate limit', '0/1m');
    press(app, KEY.tab, KEY.tab);
    await retype(app, 'Refill', '1000/1y');
    // The cursor on Name, the objection's field far below it.
    for (let i = 0; i < 8; i++) press(app, KEY.up);
    await waitForFrame(app, (f) => /› +Name: orders█/.test(f), 'the cursor on the name');
    press(app, KEY.enter);
    let frame = await waitForFrame(app, (f) => /› +Refill: 1000\/1y█/.test(f), 'the cursor on the field that cannot be read');
    expect(lineAndNext(frame, 'Refill: 1000/1y')[1], 'what cannot be read is said before sending').toContain('✗ is not N/DURATION: a whole number, a slash and a duration in s, m, h or d');
    expect(patches, 'nothing sent while a field cannot be read').toEqual([]);

    await retype(app, 'Refill', '1000/1d');
    press(app, KEY.enter);
    frame = await waitForFrame(app, (f) => f.includes('has host bits set') && /› +Scopes: orders:read, bad!█/.test(f), 'the objections, the cursor on the first field objected to');
    expect(lineAndNext(frame, 'Scopes: orders:read, bad!')[1]).toMatch(/✗ "bad!" must be segments of letters/);
    expect(lineAndNext(frame, 'Allowed IPs: 10.0.0.1/8')[1]).toContain('✗ "10.0.0.1/8" has host bits set; the network is 10.0.0.0/8');
    expect(lineAndNext(frame, 'Rate limit: 0/1m')[1]).toContain('✗ N must be at least 1');
    expect(frame, 'a refused edit needs no confirmation').not.toContain('Narrow');

    press(app, KEY.tab, KEY.tab);
    await waitForFrame(app, (f) => /› +Rate limit: 0\/1m█/.test(f), 'Tab goes on');
    expect(screen(app), 'moving keeps the objections').toContain('✗ N must be at least 1');
    await retype(app, 'Rate limit', '10/1m');
    expect(screen(app), 'typing in a field clears its objections, not the others\'').not.toContain('✗ N must be at least 1');
    expect(screen(app)).toContain('has host bits set');
    press(app, KEY.up, KEY.up);
    await retype(app, 'Scopes', 'orders:read');
    press(app, KEY.down);
    await retype(app, 'Allowed IPs', '10.0.0.0/8');
    for (let i = 0; i < 5; i++) press(app, KEY.up);
    await waitForFrame(app, (f) => /› +Name: orders█/.test(f), 'back on the name');
    await retype(app, 'Name', 'Other');
    press(app, KEY.enter);
    await waitForText(app, 'Narrow "orders"?');
    press(app, 'y');
    frame = await waitForText(app, 'already exists');
    expect(frame, 'refused after yes: back in the form').toContain('Edit "orders"');
    expect(lineAndNext(frame, 'Name: Other')[1]).toContain('✗ A key named "other" already exists ("Other" differs only in case)');
    expect((await t.client.getKey(key.id)).key, 'nothing changed').toMatchObject({ name: 'orders', scopes: ['orders:*', 'billing:read'], allowedIps: ['10.0.0.0/8'] });
  });

  it('refuses an expiry in the past under its field, before asking to narrow or sending anything', async () => {
    await policedKey('orders');
    const { fetch, patches } = recordPatches();
    const { app } = await openApp(t, { size: WIDE, fetch });
    await waitForText(app, 'orders');
    press(app, 'e');
    await waitForText(app, 'Edit "orders"');
    press(app, KEY.down);
    await waitForFrame(app, (f) => /› +Expires:/.test(f), 'the cursor on the expiry');
    await retype(app, 'Expires', '2020-01-01');
    press(app, KEY.enter);
    const frame = await waitForText(app, 'must be in the future');
    expect(lineAndNext(frame, 'Expires: 2020-01-01')[1]).toContain('✗ must be in the future');
    expect(frame, 'nothing to confirm').not.toContain('Narrow');
    expect(patches, 'nothing sent').toEqual([]);
  });

  it('asks before narrowing, naming what gets narrower; No keeps the form, yes saves and is in force at once', async () => {
    const { key, secret } = await policedKey('orders');
    const { fetch, patches } = recordPatches();
    const { app } = await openApp(t, { size: WIDE, fetch });
    await waitForText(app, 'orders');
    press(app, 'e');
    await waitForText(app, 'Edit "orders"');
    press(app, KEY.down, KEY.down, KEY.down, KEY.down);
    await retype(app, 'Scopes', 'orders:read, billing:read');
    press(app, KEY.down, KEY.down);
    await retype(app, 'Rate limit', '10/1m');
    press(app, KEY.enter);
    let frame = await waitForText(app, 'Narrow "orders"?');
    const question = frame.replace(/[│\n]/g, ' ').replace(/\s+/g, ' ');
    expect(question).toContain('scopes: no longer grants orders:*; rate limit: 100 per 1m → 10 per 1m.');
    expect(frame).toContain('n, ⏎ or esc: no (the default)');

    press(app, KEY.enter);
    frame = await waitForText(app, 'Edit "orders"');
    expect(frame, 'No goes back to the form, edits kept').toContain('Scopes: orders:read, billing:read');
    expect(patches, 'nothing sent on No').toEqual([]);

    press(app, KEY.enter);
    await waitForText(app, 'Narrow "orders"?');
    press(app, 'y');
    await waitForText(app, 'Saved "orders": scopes, rate limit');
    expect(patches).toEqual([{ scopes: ['orders:read', 'billing:read'], rateLimit: { limit: 10, windowSeconds: 60 } }]);
    expect(await t.client.verify(secret, undefined, { scope: 'orders:write', ip: '10.1.2.3' }), 'in force when saved').toMatchObject({ valid: false, code: 'insufficient_scope' });
    expect(await t.client.verify(secret, undefined, { scope: 'orders:read', ip: '10.1.2.3' })).toMatchObject({ valid: true, keyId: key.id });

    press(app, 'e');
    await waitForText(app, 'Edit "orders"');
    press(app, KEY.down, KEY.down, KEY.down, KEY.down);
    await retype(app, 'Scopes', 'orders:*, billing:*');
    press(app, KEY.enter);
    frame = await waitForFrame(app, (f) => f.split('\n').some((l) => l.trim() === 'Saved "orders": scopes'), 'the wider edit saved');
    expect(frame, 'a wider edit asks nothing').not.toContain('Narrow');
    expect(patches.at(-1)).toEqual({ scopes: ['orders:*', 'billing:*'] });
  });
});

describe('the add form', () => {
  it('stays a, a name, enter; tab opens expiry, labels and policy', async () => {
    const { app } = await openApp(t, { size: WIDE });
    await waitForText(app, 'No keys yet');
    press(app, 'a');
    let frame = await waitForText(app, 'Add a key');
    expect(frame, 'collapsed: the name alone').not.toContain('Scopes:');
    expect(frame).toContain('tab: expiry, description, owner, scopes, IPs, rate limit, quota');
    expect(frame.split('\n').at(-1)?.trimEnd(), 'tab opens more fields').toBe('⏎ create · tab more fields · esc cancel');
    press(app, 'quick');
    await waitForText(app, 'Name: quick█');
    press(app, KEY.enter);
    await waitForText(app, 'shown this once');
    press(app, 'y');
    await waitForFrame(app, (f) => cursorLine(f)?.includes('quick') === true, 'quick created');

    press(app, 'a');
    await waitForText(app, 'Add a key');
    press(app, 'partner', KEY.tab);
    frame = await waitForText(app, 'Scopes:');
    expect(frame).toMatch(/› +Expires: █/);
    expect(frame.split('\n').at(-1)?.trimEnd(), 'open, tab moves between the fields').toBe('⏎ create · tab/↑↓ field · Ctrl-U empty · esc cancel');
    press(app, '2020-01-01', KEY.tab, 'For ACME', KEY.tab, 'acme', KEY.tab, 'orders:read', KEY.tab, '203.0.113.0/24', KEY.tab, '5/1s', KEY.tab, '100', KEY.tab, '100/1d');
    await waitForText(app, 'Refill: 100/1d█');
    press(app, KEY.enter);
    frame = await waitForFrame(app, (f) => /› +Expires: 2020-01-01█/.test(f), 'the cursor back on the expiry');
    expect(lineAndNext(frame, 'Expires: 2020-01-01')[1]).toContain('✗ must be in the future');
    await retype(app, 'Expires', '30d');
    press(app, KEY.enter);
    frame = await waitForText(app, 'shown this once');
    const secret = SECRET.exec(frame)![0];
    press(app, 'y');
    await waitForFrame(app, (f) => cursorLine(f)?.includes('partner') === true, 'partner created, under the cursor');

    const created = (await t.client.allKeys()).find((k) => k.name === 'partner')!;
    expect(created).toMatchObject({
      description: 'For ACME',
      owner: 'acme',
      scopes: ['orders:read'],
      allowedIps: ['203.0.113.0/24'],
      rateLimit: { limit: 5, windowSeconds: 1 },
      quota: { remaining: 100, refill: { amount: 100, intervalSeconds: 86_400 } },
    });
    expect(Date.parse(created.expiresAt!) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(await t.client.verify(secret, undefined, { ip: '198.51.100.1' })).toMatchObject({ valid: false, code: 'ip_not_allowed' });
  });

  it('parts scopes at commas only: an entry with a space is named under Scopes as a list to separate with commas, not split into two', async () => {
    const { app } = await openApp(t, { size: WIDE });
    await waitForText(app, 'No keys yet');
    press(app, 'a');
    await waitForText(app, 'Add a key');
    press(app, 'spaced', KEY.tab, KEY.tab, KEY.tab, KEY.tab);
    await waitForFrame(app, (f) => /› +Scopes: █/.test(f), 'the cursor on the scopes');
    press(app, ' orders:read ,bad scope', KEY.tab);
    await waitForFrame(app, (f) => /› +Allowed IPs: █/.test(f), 'the cursor past the scopes');
    press(app, KEY.enter);
    const frame = await waitForFrame(app, (f) => /› +Scopes:  orders:read ,bad scope█/.test(f), 'the cursor back on the scopes');
    expect(lineAndNext(frame, 'Scopes:  orders:read ,bad scope')[1]).toMatch(/✗ "bad scope" has a space: separate entries with commas/);
    expect(await t.client.allKeys(), 'nothing created').toEqual([]);
    await retype(app, 'Scopes', 'orders:read, billing:read');
    press(app, KEY.enter);
    await waitForText(app, 'shown this once');
    expect((await t.client.allKeys())[0]).toMatchObject({ name: 'spaced', scopes: ['orders:read', 'billing:read'] });
  });

  it('edits inside a field: the arrows, Home and End move the cursor, typing and backspace work where it stands', async () => {
    await t.client.createKey('ordrs-eu');
    const { app } = await openApp(t, { size: WIDE });
    await waitForText(app, 'ordrs-eu');
    press(app, 'e');
    await waitForText(app, 'Name: ordrs-eu█');
    press(app, KEY.left, KEY.left, KEY.left, KEY.left, KEY.left);
    press(app, 'e');
    await waitForText(app, 'Name: orders-eu');
    press(app, KEY.home);
    press(app, KEY.backspace, 'X');
    await waitForText(app, 'Name: Xorders-eu');
    press(app, KEY.right, KEY.backspace);
    await waitForText(app, 'Name: Xrders-eu');
    press(app, KEY.end, '!');
    await waitForText(app, 'Name: Xrders-eu!█');
    press(app, KEY.escape);
  });

  it('keeps a field\'s label in view when its value is wider than the line, at 80 columns', async () => {
    const { app } = await openApp(t, { size: { columns: 80, rows: 24 } });
    await waitForText(app, 'No keys yet');
    press(app, 'a');
    await waitForText(app, 'Add a key');
    press(app, KEY.tab, KEY.tab);
    await waitForFrame(app, (f) => /› +Description: █/.test(f), 'the cursor on the description');
    press(app, `${'long description '.repeat(7)}END`);
    const line = (await waitForText(app, 'END█')).split('\n').find((l) => l.includes('END█'))!;
    expect(line, 'the label, then the end of the value').toMatch(/› +Description: .*END█/);
    expect(line.length).toBeLessThanOrEqual(80);
  });

  it('takes Tab, Ctrl-U and Enter read together with the text (a paste, type-ahead) as keys', async () => {
    const { app } = await openApp(t, { size: WIDE });
    await waitForText(app, 'No keys yet');
    press(app, 'a');
    await waitForText(app, 'Add a key');
    press(app, 'typed-ahead\t\t\tnobody\x15acme\r');
    await waitForText(app, 'shown this once');
    expect((await t.client.allKeys())[0]).toMatchObject({ name: 'typed-ahead', owner: 'acme', description: null });
  });
});

describe('the details', () => {
  it('fit 80×24: the policy in words, meta cut to fit and made safe, quota left live, j/k to the next key', async () => {
    const meta: Record<string, unknown> = { plan: 'pro', csi: 'a\u009b2Jb', bidi: 'c\u202ed', nested: { list: [1, 2, 3], deeper: { x: 'y' } } };
    for (let i = 0; i < 20; i++) meta[`field${i}`] = `value ${i}`;
    const { key, secret } = await t.client.createKey('a-key', {
      owner: 'team-orders',
      description: 'What it is for',
      scopes: ['orders:*', 'billing:read'],
      allowedIps: ['10.0.0.0/8', '2001:db8::/32'],
      rateLimit: { limit: 100, windowSeconds: 60 },
      quota: { remaining: 1000, refill: { amount: 1000, intervalSeconds: 86_400 } },
      meta,
    });
    await t.client.createKey('b-other');
    const { app } = await openApp(t, { size: { columns: 80, rows: 24 } });
    await waitForText(app, 'b-other');
    press(app, 'd');
    let frame = await waitForText(app, `Key "a-key" · ${key.id}`);
    const lines = frame.split('\n');
    expect(lines.length, 'one row shorter than the terminal').toBeLessThanOrEqual(23);
    for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(80);
    expect(lines.some((l) => l.startsWith('╰')), 'the panel is whole').toBe(true);
    for (const shown of ['owner        team-orders', 'description  What it is for', 'scopes       orders:*, billing:read', 'allowed IPs  10.0.0.0/8, 2001:db8::/32', 'rate limit   100 per 1m', 'expires      never']) {
      expect(frame, shown).toContain(shown);
    }
    expect(frame).toMatch(/quota {8}1,000 left; back to 1,000 every 1d \(next in (23h59m|1d)\)/);
    expect(frame).toMatch(/… \d+ more lines/);
    const raw = app.lastFrame()!;
    expect(raw.includes('\u009b') || raw.includes('\u202e'), 'meta values drawn without their control and format characters').toBe(false);
    expect(frame).toContain('"csi": "a2Jb"');
    expect(frame.split('\n').at(-1)).toContain('j/k next key · e edit · u usage');

    expect(await t.client.verify(secret, 'orders-api', { ip: '10.0.0.1' })).toMatchObject({ valid: true });
    await waitForText(app, '999 left', 10_000);

    press(app, 'j');
    frame = await waitForText(app, 'Key "b-other"');
    expect(frame).toContain('scopes       any (no restriction)');
    press(app, 'k');
    await waitForText(app, 'Key "a-key"');
    press(app, '?');
    frame = await waitForText(app, 'Key details (this screen)');
    expect(frame, 'help starts with the details\' keys').toMatch(/Key details \(this screen\)\s*│?\s*│?\s*j ↓\s+the next key/);
    press(app, KEY.escape);
    await waitForText(app, 'Key "a-key"');
    press(app, KEY.escape);
    await waitForFrame(app, (f) => cursorLine(f)?.includes('a-key') === true, 'back on the table, on the key shown');
  });

  it('lets a viewer read but not edit', async () => {
    await policedKey('orders');
    const { token } = await t.client.createOperator('eve', 'viewer');
    const { app } = await openApp(t, { token, size: WIDE });
    await waitForText(app, 'orders');
    press(app, 'd');
    const frame = await waitForText(app, 'rate limit   100 per 1m');
    expect(frame.split('\n').at(-1), 'no e for a viewer').not.toContain('e edit');
    press(app, 'e');
    await waitForText(app, '✗ your role (viewer) may not change keys');
  });
});

describe('the owner', () => {
  it('has a column when the terminal is wide enough, and the filter matches it', async () => {
    await t.client.createKey('billing', { owner: 'team-payments' });
    await t.client.createKey('search', { owner: 'team-discovery' });
    const { app, resize } = await openApp(t, { size: WIDE });
    let frame = await waitForText(app, 'search');
    expect(frame).toMatch(/NAME ▲\s+OWNER\s+HINT/);
    expect(frame).toMatch(/billing\s+team-payments/);
    press(app, '/');
    await waitForText(app, 'name, hint or id, or owner');
    press(app, 'discov');
    frame = await waitForFrame(app, (f) => !f.includes('billing'), 'filtered by owner');
    expect(cursorLine(frame)).toContain('search');
    press(app, KEY.escape);
    resize({ columns: 100, rows: 30 });
    frame = await waitForFrame(app, (f) => f.includes('billing') && !f.includes('OWNER'), 'no owner column at 100 columns');
    expect(frame).toMatch(/NAME ▲\s+HINT\s+STATUS/);
  });
});
