/**
 * The key table TUI (issue 5) against a real daemon on a temp home: real keystrokes, waiting
 * for the frame to change.
 */
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/decide/secret.js';
import type { FeedOptions } from '../../src/tui/feed.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { addKey, cursorLine, exited, KEY, press, screen, SECRET, submitAdd, waitForFrame, waitForText, type Rendered } from './frames.js';
import { daemonPerTest, openApp } from './open-app.js';

let t: TestDaemon;
daemonPerTest({ get: () => t, set: (d) => (t = d) });

async function keys(...names: string[]) {
  for (const name of names) await t.client.createKey(name);
}

describe('key table', () => {
  it('shows the keys with a cursor that j/k, G/g and the arrows move', async () => {
    await keys('alpha', 'bravo', 'charlie');
    const { app } = await openApp(t);
    let frame = await waitForText(app, 'charlie');
    expect(frame, 'header: daemon, operator, counts').toContain(`${t.url} · admin (admin)`);
    expect(frame).toContain('3 keys: 3 active, 0 inactive');
    expect(frame, 'the sorted column carries its direction').toMatch(/NAME ▲\s+HINT\s+STATUS\s+ATTENTION\s+CREATED\s+LAST USED\s+USES 24H/);
    expect(cursorLine(frame)).toContain('alpha');
    press(app, 'j');
    frame = await waitForFrame(app, (f) => cursorLine(f)?.includes('bravo') === true, 'cursor on bravo');
    press(app, 'G');
    await waitForFrame(app, (f) => cursorLine(f)?.includes('charlie') === true, 'cursor on the last key');
    press(app, KEY.up);
    await waitForFrame(app, (f) => cursorLine(f)?.includes('bravo') === true, 'up arrow');
    press(app, 'g');
    await waitForFrame(app, (f) => cursorLine(f)?.includes('alpha') === true, 'cursor on the first key');
    expect(frame, 'the footer lists the keys of this mode').toContain('j/k move · ⏎ menu · / filter · s/S sort · a add · A audit');
  });

  it('takes keys that arrive together (a slow link) in order, before the screen redraws', async () => {
    await keys('alpha', 'bravo', 'charlie', 'delta');
    const { app } = await openApp(t);
    await waitForText(app, 'delta');
    press(app, 'jj');
    await waitForFrame(app, (f) => cursorLine(f)?.includes('charlie') === true, 'two moves from one read');
    press(app, 'k', KEY.enter);
    await waitForText(app, 'Actions for "bravo"');
  });

  it('hands the rest of a read to the screen its first key opened: a, /, ? and d typed ahead', async () => {
    await keys('alpha', 'bravo');
    const { app } = await openApp(t);
    await waitForText(app, 'bravo');
    press(app, 'aorders-');
    press(app, 'us');
    await waitForText(app, 'Name: orders-us█');
    press(app, KEY.escape);
    await waitForText(app, 'j/k move');
    press(app, '/bra');
    await waitForFrame(app, (f) => f.includes('/bra█') && !f.includes('alpha'), 'the filter typed ahead');
    press(app, KEY.escape);
    await waitForFrame(app, (f) => f.includes('alpha') && !f.includes('/bra'), 'filter cleared');
    press(app, '?/rot');
    await waitForText(app, '/rot█');
    press(app, KEY.escape);
    await waitForFrame(app, (f) => f.includes('Keys table (this screen)') && !f.includes('/rot'), 'the search cancelled');
    press(app, KEY.escape);
    await waitForText(app, 'j/k move');
    // The rest of the read after a key that opens a screen without typing: its keys.
    press(app, 'gdj');
    await waitForText(app, 'Key "bravo"');
    press(app, KEY.escape);
    await waitForText(app, 'j/k move');
    // Text and keys in one read, the first opening the form: the name, then Tab to the next field.
    press(app, 'abilling\t');
    await waitForFrame(app, (f) => f.includes('Name: billing') && /› +Expires:/.test(f), 'typed, then Tab');
  });

  it('takes a key pressed the moment a screen is drawn, before React has run its effects', async () => {
    await keys('alpha', 'bravo');
    const { app } = await openApp(t);
    await waitForFrame(app, (f) => cursorLine(f)?.includes('alpha') === true, 'cursor on alpha');
    // Right behind the frame that opens the details: after React commits it, before its passive
    // effects, where a screen subscribing to Ink's input (a useInput) has not subscribed yet.
    const stdout = app.stdout as { write: (frame: string) => void };
    const write = stdout.write;
    let pressed = false;
    stdout.write = (frame) => {
      write(frame);
      if (!pressed && stripVTControlCharacters(frame).includes('Key "alpha"')) {
        pressed = true;
        queueMicrotask(() => press(app, 'j'));
      }
    };
    press(app, 'd');
    await waitForText(app, 'Key "bravo"');
    expect(pressed).toBe(true);
  });

  it('filters with / as you type, keeps it on enter, and clears it with esc', async () => {
    await keys('billing', 'search', 'billing-eu');
    const { app } = await openApp(t);
    await waitForText(app, 'search');
    press(app, '/');
    await waitForText(app, 'name, hint or id');
    // Longer than a hint's four random characters, so no key's hint can match it by chance.
    press(app, 'billing');
    let frame = await waitForFrame(app, (f) => !f.includes('search'), 'search filtered out');
    expect(frame).toContain('billing-eu');
    press(app, KEY.enter);
    frame = await waitForText(app, 'j/k move');
    expect(frame, 'the filter stays').toContain('filter "billing": 2 of 3');
    press(app, KEY.escape);
    frame = await waitForFrame(app, (f) => f.includes('search') && !f.includes('filter "'), 'filter cleared');
  });

  it('sorts with s and says by what', async () => {
    await keys('zulu');
    await t.client.createKey('alpha');
    const { app } = await openApp(t);
    await waitForText(app, 'zulu');
    expect(screen(app)).toContain('sort: name ▲');
    expect(cursorLine(screen(app))).toContain('alpha');
    press(app, 's');
    await waitForText(app, 'sort: created ▼');
    expect(cursorLine(screen(app)), 'the cursor stays on its key').toContain('alpha');
    const frame = screen(app);
    expect(frame.indexOf('alpha'), 'newest first').toBeLessThan(frame.indexOf('zulu'));
  });

  it('renders only the rows that fit, scrolling with the cursor', async () => {
    for (let i = 0; i < 40; i++) await t.client.createKey(`key-${String(i).padStart(2, '0')}`);
    const { app } = await openApp(t, { size: { columns: 100, rows: 20 } });
    let frame = await waitForText(app, 'key-00');
    expect(frame).not.toContain('key-39');
    expect(frame.split('\n').length, 'one row shorter than the terminal').toBeLessThanOrEqual(19);
    press(app, 'G');
    frame = await waitForFrame(app, (f) => cursorLine(f)?.includes('key-39') === true, 'last key');
    expect(frame).not.toContain('key-00');
    press(app, KEY.pageUp);
    await waitForFrame(app, (f) => cursorLine(f)?.includes('key-39') === false, 'a page up');
  });
});

describe('add', () => {
  it('shows the secret once, copies it with OSC 52, and forgets it after confirmation', async () => {
    const { app, clipboard } = await openApp(t, { env: { TMUX: '/tmp/tmux-0/default,1,0' } });
    await waitForText(app, 'No keys yet');
    await submitAdd(app, 'billing');
    const frame = await waitForText(app, 'shown this once');
    const secret = SECRET.exec(frame)?.[0];
    expect(secret, 'the secret is on screen').toBeDefined();
    expect(frame, 'tmux hint').toContain('set -g set-clipboard on');
    expect((await t.client.verify(secret!)).valid, 'it is the real secret').toBe(true);

    press(app, KEY.escape, KEY.enter, 'q');
    await waitForText(app, 'press y once you have stored it');
    expect(screen(app), 'no stray key closes the secret').toContain(secret);

    press(app, 'c');
    await waitForText(app, 'Sent to your terminal');
    const b64 = Buffer.from(secret!).toString('base64');
    expect(clipboard, 'OSC 52, plain and wrapped for tmux').toEqual([`\x1b]52;c;${b64}\x07\x1bPtmux;\x1b\x1b]52;c;${b64}\x07\x1b\\`]);

    const seenBefore = app.frames.length;
    press(app, 'y');
    const table = await waitForFrame(app, (f) => cursorLine(f)?.includes('billing') === true, 'the new key under the cursor');
    expect(table).not.toContain(secret);
    press(app, 'j', 'k', '?');
    await waitForText(app, 'Keys table (this screen)');
    press(app, '/');
    await waitForText(app, '⏎ keep');
    press(app, 'force');
    await waitForText(app, 'FORCE past the guard');
    press(app, KEY.escape);
    await waitForText(app, 'j/k scroll');
    press(app, KEY.escape);
    await waitForText(app, 'j/k move');
    const later = app.frames.slice(seenBefore);
    expect(later.length).toBeGreaterThan(0);
    expect(later.some((f) => f.includes(secret!)), 'the secret never shows again').toBe(false);
  });

  it('shows the daemon\'s objections under the field: empty, taken', async () => {
    await keys('billing');
    const { app } = await openApp(t);
    await waitForText(app, 'billing');
    press(app, 'a');
    await waitForText(app, 'Add a key');
    press(app, KEY.enter);
    const [name, objection] = (await waitForText(app, '✗ must not be empty')).split('\n').slice(4, 6);
    expect(name, 'under the name field').toContain('Name: █');
    expect(objection).toContain('✗ must not be empty');
    press(app, 'Billing');
    await waitForFrame(app, (f) => f.includes('Name: Billing') && !f.includes('must not be empty'), 'typing clears the error');
    press(app, KEY.enter);
    await waitForText(app, '✗ A key named "billing" already exists ("Billing" differs only in case)');
    press(app, KEY.backspace.repeat(7), 'x'.repeat(70), KEY.enter);
    await waitForText(app, 'at most 64 characters');
    press(app, KEY.escape);
    await waitForText(app, '1 key: 1 active');
    expect((await t.client.allKeys()).length, 'nothing was created').toBe(1);
  });
});

describe('deactivate and delete', () => {
  it('deactivates after a confirmation that defaults to No, then deletes', async () => {
    const { key } = await t.client.createKey('old-billing');
    const { app } = await openApp(t);
    await waitForText(app, 'old-billing');
    press(app, 'x');
    await waitForText(app, 'Deactivate "old-billing"?');
    press(app, KEY.enter);
    await waitForText(app, 'j/k move');
    expect((await t.client.getKey(key.id)).key.status, 'enter means no').toBe('active');

    press(app, 'x');
    await waitForText(app, 'Deactivate "old-billing"?');
    press(app, 'y');
    await waitForText(app, '0 active, 1 inactive');
    expect((await t.client.getKey(key.id)).key.status).toBe('inactive');

    press(app, 'D');
    await waitForText(app, 'Delete "old-billing" permanently?');
    press(app, 'y');
    await waitForText(app, 'Deleted "old-billing"');
    expect(screen(app)).toContain('0 keys');
    await expect(t.client.getKey(key.id)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('takes an Escape and a key read together (type-ahead, Alt-y) as the Escape: the delete is cancelled, not confirmed', async () => {
    const { key } = await t.client.createKey('typed-ahead');
    await t.client.deactivateKey(key.id);
    const { app } = await openApp(t);
    await waitForText(app, 'typed-ahead');
    /** Opens the prompt with `shortcut`, then sends Escape and `y` in one read. */
    const escapeTypedAhead = async (shortcut: string, question: string) => {
      press(app, shortcut);
      await waitForText(app, question);
      press(app, '\x1by');
      await waitForFrame(app, (f) => !f.includes(question) && f.includes('j/k move'), 'the prompt closed');
    };
    await escapeTypedAhead('D', 'Delete "typed-ahead" permanently?');
    expect((await t.client.getKey(key.id)).key.status, 'not deleted').toBe('inactive');
    await t.client.activateKey(key.id);
    await waitForText(app, '1 active, 0 inactive');
    await escapeTypedAhead('x', 'Deactivate "typed-ahead"?');
    expect((await t.client.getKey(key.id)).key.status, 'not deactivated').toBe('active');
  });

  it('refuses to delete an active key and says to deactivate it first, from the shortcut and the menu', async () => {
    const { key } = await t.client.createKey('live-key');
    const { app } = await openApp(t);
    await waitForText(app, 'live-key');
    press(app, 'D');
    await waitForText(app, 'only an inactive key can be deleted: deactivate it first (x)');
    press(app, KEY.enter);
    let frame = await waitForText(app, 'Actions for "live-key"');
    expect(frame).toMatch(/Delete\s+D\s+\(only an inactive key can be deleted/);
    press(app, 'j', KEY.enter);
    frame = await waitForText(app, '✗ Delete: only an inactive key');
    expect(frame, 'the menu stays open').toContain('Actions for');
    expect((await t.client.getKey(key.id)).key.status).toBe('active');
  });

  it('shows a daemon error as a toast, not a crash', async () => {
    const { key } = await t.client.createKey('racing');
    const { app } = await openApp(t);
    await waitForText(app, 'racing');
    press(app, 'x');
    await waitForText(app, 'Deactivate "racing"?');
    await t.client.deactivateKey(key.id);
    await t.client.deleteKey(key.id);
    press(app, 'y');
    await waitForText(app, `✗ No key with id ${key.id}`);
    press(app, 'a');
    await waitForText(app, 'Add a key', 2000);
  });
});

describe('live', () => {
  it('shows a change made through the API within a second', async () => {
    await keys('first');
    const { app } = await openApp(t);
    await waitForText(app, '● live');
    const { key } = await t.client.createKey('made-elsewhere');
    await waitForText(app, 'made-elsewhere', 1000);
    await t.client.deactivateKey(key.id);
    await waitForText(app, '1 active, 1 inactive', 1000);
    await t.client.deleteKey(key.id);
    await waitForFrame(app, (f) => !f.includes('made-elsewhere'), 'deleted elsewhere', 1000);
  });

  it('says "reconnecting" when the daemon goes away and catches up when it is back', async () => {
    const port = t.daemon.port;
    await t.stop();
    t = await startTestDaemon({ port });
    await t.client.createKey('held');
    const { app } = await openApp(t);
    await waitForText(app, '● live');
    await t.daemon.close();
    await waitForText(app, 'reconnecting');
    // A change says at once that it cannot be made: a question first would only end in a toast.
    press(app, 'x');
    const frame = await waitForText(app, 'the daemon does not answer: try again once it is back');
    expect(frame).not.toContain('Deactivate "held"?');
    await t.restart();
    await t.client.createKey('while-away');
    await waitForText(app, '● live');
    await waitForText(app, 'while-away');
  });

  /**
   * A manager the daemon then refuses (disabled), at `size`: the refused frame and the app.
   * `feed`: the TUI's feed settings (a small `fullLimit` for a window); `whileLive`: what is
   * done before the refusal comes.
   */
  async function refusedApp(size: { columns: number; rows: number }, options: { feed?: FeedOptions; whileLive?: (app: Rendered) => Promise<void> } = {}) {
    await keys('alpha', 'bravo');
    const { operator, token } = await t.client.createOperator('alice', 'manager');
    const { app } = await openApp(t, { token, size, feed: options.feed });
    const live = await waitForText(app, '● live');
    expect(live, 'a manager is offered the writes while the daemon answers').toContain('a add');
    await options.whileLive?.(app);
    await t.client.disableOperator(operator.id);
    return { app, token, frame: await waitForText(app, '✕ refused') };
  }

  /** The footer once refused: what works on the rows held; the views read from the daemon and every write gone. */
  const REFUSED_FOOTER = 'j/k move · ⏎ menu · / filter · s/S sort · d details · ? help · q quit';
  // E's toast names the menu's item first, and at 80 columns takes two lines.
  const REFUSED_TOAST = 'the daemon refuses this operator: ask an admin';
  /** The written lines above the toast, and the footer: shows that a key opened nothing over the table. */
  const body = (f: string) => {
    const lines = f.split('\n');
    const toast = lines.findIndex((l) => l.startsWith('✗ ') || l.includes('to the clipboard'));
    return [...lines.slice(0, toast).filter((l) => l.trim()), lines.at(-1)].join('\n');
  };

  it.each([
    { columns: 80, rows: 24 },
    { columns: 120, rows: 35 },
  ])('says the daemon refuses the token once its operator is disabled, keeps the rows as of then, offers only what still works, and quits on q (%o)', async (size) => {
    const { app, token, frame } = await refusedApp(size);
    const lines = frame.split('\n');
    expect(lines[0], 'the header says so first, then since when the rows are stale').toMatch(/^keyward {2}✕ refused data as of \d\d:\d\d:\d\d · /);
    expect(frame.replace(/\n/g, ' ').replace(/ {2,}/g, ' ')).toContain(
      "✕ The daemon refuses this operator's token: the operator was disabled, or the token is not one it knows. Ask an admin for another token and start keyward with --token or KEYWARD_TOKEN. Nothing is tried again · q quits",
    );
    expect(frame, 'the rows stay, to read').toContain('bravo');
    expect(frame).not.toContain('reconnecting');
    expect(frame).not.toContain(token);
    expect(lines.at(-1)?.trimEnd(), 'the footer offers only what works without the daemon').toBe(REFUSED_FOOTER);
    expect(lines.every((line) => line.length <= size.columns), `fits ${size.columns} columns`).toBe(true);
    expect(lines.length, `fits ${size.rows} rows`).toBeLessThanOrEqual(size.rows - 1);
    press(app, 'q');
    await waitForFrame(app, () => exited(app), 'the app to exit');
  });

  it.each([
    { columns: 80, rows: 24 },
    { columns: 120, rows: 35 },
  ])('once refused, a write or a view read from the daemon says so at once, asking nothing; sort, filter and details still work (%o)', async (size) => {
    const { app } = await refusedApp(size);
    // x asks before deactivating and D before deleting, a, e and E open a form or a question, u, A and ! a view.
    for (const key of ['x', 'D', 'a', 'e', 'r', 'E', 'u', 'A', '!']) {
      // Copying the id works without the daemon, and its toast tells this refusal from the last.
      press(app, 'i');
      const before = await waitForText(app, 'to the clipboard');
      press(app, key);
      const frame = await waitForText(app, REFUSED_TOAST);
      // No question, form or view opened over the table.
      expect(body(frame), `${key} asks nothing and opens nothing`).toBe(body(before));
      // The toast wraps rather than cuts: E's is longer than 80 columns, its advice at the end.
      expect(frame.replace(/\s+/g, ' '), `${key}'s toast whole`).toContain('refuses this operator: ask an admin for another token');
      expect(frame.split('\n').length, `fits ${size.rows} rows`).toBeLessThanOrEqual(size.rows - 1);
      expect(frame.split('\n').at(-1)?.trimEnd()).toBe(REFUSED_FOOTER);
    }
    press(app, 's');
    await waitForText(app, 'sort: created ▼');
    press(app, '/');
    await waitForText(app, 'name, hint or id');
    press(app, 'bravo');
    await waitForFrame(app, (f) => !f.includes('alpha'), 'alpha filtered out');
    press(app, KEY.enter);
    let frame = await waitForText(app, REFUSED_FOOTER);
    expect(frame, 'the filter kept').toContain('filter "bravo": 1 of 2');
    press(app, 'd');
    frame = await waitForText(app, 'Key "bravo"');
    expect(frame, 'the details of the key held, with why the daemon gave no newer copy').toContain('✗ ');
    expect(frame.split('\n').at(-1)?.trimEnd(), 'the details offer no view read from the daemon, nor edit').toBe('j/k next key · ⏎ menu · ? help · esc back');
  });

  /** Two keys over a `fullLimit` of 1: the TUI holds a window the daemon served, which sorts and filters it. */
  const WINDOWED: FeedOptions = { fullLimit: 1 };
  const REFUSED_WINDOW_FOOTER = 'j/k move · ⏎ menu · d details · ? help · q quit';
  const FILTER_TOAST = '✗ filtering this many keys needs the daemon, which refuses this operator';
  const SORT_TOAST = '✗ sorting this many keys needs the daemon, which refuses this operator';
  /** While live: `s`, then the filter "bravo" (too long for a random hint to match) kept, both answered by the daemon. */
  async function sortAndFilter(app: Rendered) {
    press(app, 's');
    await waitForText(app, 'sort: created ▼');
    press(app, '/');
    await waitForText(app, 'name, hint or id');
    press(app, 'bravo');
    await waitForFrame(app, (f) => !f.includes('alpha'), 'alpha filtered out by the daemon');
  }

  it('once refused over a window, / s S and esc say at once that they need the daemon, open nothing, and the sort and filter shown stay', async () => {
    const { app } = await refusedApp(
      { columns: 80, rows: 24 },
      {
        feed: WINDOWED,
        whileLive: async (live) => {
          await sortAndFilter(live);
          press(live, KEY.enter);
          await waitForText(live, 'j/k move');
        },
      },
    );
    let frame = screen(app);
    expect(frame.split('\n').at(-1)?.trimEnd(), 'the footer offers no filter or sort the daemon would have to answer').toBe(REFUSED_WINDOW_FOOTER);
    for (const [key, toast] of [['/', FILTER_TOAST], ['s', SORT_TOAST], ['S', SORT_TOAST], [KEY.escape, FILTER_TOAST]] as const) {
      press(app, 'i');
      const before = await waitForText(app, 'to the clipboard');
      press(app, key);
      frame = await waitForText(app, toast);
      expect(body(frame), `${JSON.stringify(key)} opens and changes nothing`).toBe(body(before));
      expect(frame.split('\n').at(-1)?.trimEnd()).toBe(REFUSED_WINDOW_FOOTER);
    }
    expect(frame, 'the sort in force when the refusal came').toContain('sort: created ▼');
    expect(frame, 'the filter in force when the refusal came, with the rows it narrowed').toContain('filter "bravo": 1 of 2');
    expect(frame).not.toContain('alpha');
  });

  it.each(['n', 'C'])('once refused in the rotation view, %s says so at once, asking nothing and changing nothing', async (key) => {
    let rotationId = '';
    const { app } = await refusedApp(
      { columns: 80, rows: 24 },
      {
        whileLive: async (live) => {
          const { keys: all } = await t.client.listKeys();
          const selected = all.find((k) => cursorLine(screen(live))?.includes(k.name))!;
          rotationId = (await t.client.startRotation(selected.id)).rotation.id;
          await waitForText(live, '↻ 1 rotating');
          press(live, 'r');
          await waitForText(live, '1/6 Update your systems');
        },
      },
    );
    press(app, key);
    const frame = await waitForText(app, REFUSED_TOAST);
    expect(frame, 'no question first').not.toMatch(/Cancel this rotation\?|Next step/);
    expect(frame, 'the rotation view stays').toContain('1/6 Update your systems');
    const { rotation } = await t.client.rotation(rotationId);
    expect({ step: rotation.step, outcome: rotation.outcome }).toEqual({ step: 'update_systems', outcome: null });
  });

  it('once refused over a window while a filter is typed, typing and esc say the daemon is needed and the filter shown stays', async () => {
    const { app } = await refusedApp({ columns: 80, rows: 24 }, { feed: WINDOWED, whileLive: sortAndFilter });
    press(app, 'x');
    let frame = await waitForText(app, FILTER_TOAST);
    expect(frame, 'the filter typed before the refusal, not one the rows do not follow').toContain('filter "bravo": 1 of 2');
    press(app, KEY.escape);
    frame = await waitForText(app, REFUSED_WINDOW_FOOTER);
    expect(frame, 'esc closes the field and keeps the filter the rows show').toContain('filter "bravo": 1 of 2');
    expect(frame).not.toContain('alpha');
  });

  it('once refused over a window, moving past the rows held says the daemon is needed and the cursor stays; moving among them works', async () => {
    await keys('charlie');
    // Pages of one key, at most two held: of alpha, bravo and charlie, the window never holds all three.
    const { app } = await refusedApp({ columns: 80, rows: 24 }, { feed: { fullLimit: 1, pageSize: 1, maxPages: 2 } });
    const MOVE_TOAST = '✗ the keys past these need the daemon, which refuses this operator';
    const held = ['alpha', 'bravo', 'charlie'].filter((name) => screen(app).includes(name));
    expect(held, 'two of the three keys held').toHaveLength(2);
    const selected = () => /alpha|bravo|charlie/.exec(cursorLine(screen(app)) ?? '')?.[0];
    expect(selected()).toBe('alpha');
    press(app, 'j');
    await waitForFrame(app, () => selected() === 'bravo', 'the cursor on bravo, a row held');
    press(app, 'i');
    const before = await waitForText(app, 'to the clipboard');
    press(app, 'G');
    const frame = await waitForText(app, MOVE_TOAST);
    expect(body(frame), 'G to an end not held moves nothing').toBe(body(before));
    press(app, 'i');
    await waitForText(app, 'to the clipboard');
    press(app, 'j');
    await waitForText(app, MOVE_TOAST);
    expect(selected(), 'j past the last row held').toBe('bravo');
    press(app, 'k');
    await waitForFrame(app, () => selected() === 'alpha', 'k back to alpha');
  });
});

describe('safety and terminals', () => {
  it('draws escape-laden names and callers inert', async () => {
    const evil = 'evil\u001b[2J\u001b]0;pwned\u0007\u202e';
    const { key } = await t.daemon.core.keys.create(evil, null, { id: 'op_test', name: 'test' });
    const { app } = await openApp(t);
    const frame = await waitForText(app, 'evil[2J]0;pwned');
    const raw = app.lastFrame()!;
    expect(raw, 'no clear-screen').not.toContain('\u001b[2J');
    expect(raw, 'no title change').not.toContain('\u001b]0');
    expect(raw).not.toContain('\u0007');
    expect(raw).not.toContain('\u202e');
    expect(frame).toContain('evil[2J]0;pwned');
    press(app, KEY.enter);
    await waitForText(app, 'Actions for "evil[2J]0;pwned"');
    expect(key.name, 'the store really holds the escapes').toBe(evil);
  });

  it('fits the secret modal in 60×15 with its border, keeping the secret and the Ctrl-C warning over the hints', async () => {
    const { app } = await openApp(t, { size: { columns: 60, rows: 15 }, env: { TMUX: '/tmp/tmux-0/default,1,0' } });
    await waitForText(app, 'No keys yet');
    const secret = await addKey(app, 'small-screen');
    press(app, 'c');
    await waitForText(app, 'Sent to your terminal');
    press(app, KEY.ctrlC);
    const frame = await waitForText(app, 'Ctrl-C again to');
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(15);
    expect(frame).toContain(secret);
    const bottom = lines.findIndex((l) => l.startsWith('╰'));
    expect(bottom, 'the panel keeps its bottom border').toBeGreaterThan(lines.findIndex((l) => l.includes('Ctrl-C again to')));
    expect(frame, 'the tmux hint gave way').not.toContain('set-clipboard');
    press(app, 'y');
    await waitForFrame(app, (f) => !f.includes(secret) && f.includes('small-screen'), 'the secret gone');
  });

  it('keeps the marked answer of a choice on screen in 60×15, the dialog whole', async () => {
    await keys('a-key-with-a-rather-long-name-for-the-question');
    const { app } = await openApp(t, { size: { columns: 60, rows: 15 } });
    await waitForText(app, 'a-key-with');
    press(app, 'r');
    await waitForText(app, 'Rotate key');
    press(app, 'k');
    const frame = await waitForFrame(app, (f) => /› 5\. 1 minute/.test(f), 'the last answer marked, on screen');
    const lines = frame.split('\n');
    expect(lines.findIndex((l) => l.startsWith('╰')), 'the bottom border').toBeGreaterThan(lines.findIndex((l) => l.includes('› 5.')));
    expect(frame).toContain('esc: none of them');
  });

  it('says the terminal is too small below 60×15, where q still quits, and re-lays out on resize', async () => {
    await keys('billing');
    const { app, resize } = await openApp(t, { size: { columns: 50, rows: 12 } });
    await waitForText(app, 'terminal too small');
    expect(screen(app)).toContain('50×12, needs 60×15');
    resize({ columns: 64, rows: 20 });
    let frame = await waitForText(app, 'billing');
    expect(frame, 'narrow: low-value columns dropped').not.toContain('HINT');
    expect(frame).not.toContain('CREATED');
    expect(frame).toContain('STATUS');
    resize({ columns: 120, rows: 30 });
    frame = await waitForText(app, 'HINT');
    resize({ columns: 59, rows: 30 });
    await waitForText(app, 'terminal too small');
    const stdin = app.stdin as unknown as NodeJS.EventEmitter;
    expect(stdin.listenerCount('readable'), 'listening for q').toBeGreaterThan(0);
    press(app, 'q');
    await waitForFrame(app, () => stdin.listenerCount('readable') === 0, 'the app to exit');
  });

  it('keeps a secret not yet stored when the terminal shrinks too small: q does not quit, Ctrl-C asks first', async () => {
    const { app, resize } = await openApp(t);
    await waitForText(app, 'No keys yet');
    await submitAdd(app, 'small-pane');
    await waitForText(app, 'shown this once');
    resize({ columns: 50, rows: 12 });
    await waitForText(app, 'The secret of "small-pane" is not stored yet');
    press(app, 'q');
    press(app, KEY.ctrlC);
    await waitForText(app, 'Ctrl-C again quits and loses it');
    expect(exited(app), 'neither q nor the first Ctrl-C quit').toBe(false);
    resize({ columns: 100, rows: 30 });
    const frame = await waitForText(app, 'shown this once');
    expect(frame).toMatch(SECRET);
  });

  it('flags keys that need attention and counts them in the header', async () => {
    await t.client.createKey('soon', new Date(Date.now() + 3 * 86_400_000).toISOString());
    await t.client.createKey('fine');
    const { app } = await openApp(t);
    const frame = await waitForText(app, 'expires 3d');
    expect(frame).toContain('⚠ 1 need attention (1 expiring) · sort');
  });

  it('flags an active key found leaked (an open key.leaked alert) in red, until the alert is acknowledged', async () => {
    const exposed = await t.client.createKey('exposed');
    await t.client.createKey('fine');
    await t.client.reportLeaks([{ sha256: hashSecret(exposed.secret), where: 'deploy/.env:3' }]);
    const { app } = await openApp(t);
    let frame = await waitForFrame(app, (f) => /exposed .* leaked/.test(f), 'the leaked key flagged');
    expect(frame).toContain('! 1 open alert · ⚠ 1 need attention (1 leaked) · sort');
    expect(frame.split('\n').find((l) => l.includes('fine')), 'the other key is not').not.toContain('leaked');
    press(app, 'd');
    frame = await waitForText(app, 'leaked by deploy/.env:3');
    const lines = frame.split('\n');
    const status = lines.findIndex((l) => /│ status +active /.test(l));
    expect(lines[status + 1], 'the details say why, under the status').toMatch(/│ alerts +leaked by deploy\/\.env:3 · once, last just now /);
    press(app, KEY.escape);
    await waitForFrame(app, (f) => !f.includes('alerts ') && f.includes('NAME'), 'back in the table');
    const [alert] = (await t.client.alerts()).alerts;
    await t.client.ackAlert(alert!.id);
    frame = await waitForFrame(app, (f) => !f.includes('leaked') && !f.includes('need attention'), 'acknowledged: the flag goes, live');
    expect(frame).toMatch(/exposed +kw_/);
  });

  it('flags a canary someone presented as tripped, switched off too, until the alert is acknowledged', async () => {
    const bait = await t.client.createKey('bait', { canary: true });
    await t.client.createKey('plain');
    await t.client.verify(bait.secret, 'crawler-7');
    await t.client.deactivateKey(bait.key.id);
    const { app } = await openApp(t);
    const frame = await waitForFrame(app, (f) => /bait .*canary +tripped/.test(f), 'the tripped canary flagged');
    expect(frame).toContain('! 1 open alert · ⚠ 1 need attention (1 tripped) · sort');
    const [alert] = (await t.client.alerts()).alerts;
    await t.client.ackAlert(alert!.id);
    await waitForFrame(app, (f) => !f.includes('tripped') && /bait .*canary/.test(f), 'acknowledged: the flag goes, live');
  });

  it('shows what a viewer may not do, with the reason', async () => {
    await keys('billing');
    const { token } = await t.client.createOperator('eve', 'viewer');
    const { app } = await openApp(t, { token });
    let frame = await waitForText(app, 'billing');
    expect(frame).toContain('eve (viewer)');
    expect(frame, 'write keys are not offered').not.toContain('a add');
    press(app, 'a');
    await waitForText(app, '✗ your role (viewer) may not change keys');
    press(app, KEY.enter);
    frame = await waitForText(app, 'Actions for "billing"');
    expect(frame).toMatch(/Deactivate\s+x\s+\(your role \(viewer\) may not change keys\)/);
    expect(frame, 'reading is allowed').toMatch(/Usage\s+u\s+│/);
    press(app, KEY.escape);
    await waitForText(app, 'j/k move · ⏎ menu');
    press(app, '?');
    frame = await waitForText(app, 'Keys table (this screen)');
    expect(frame, 'help lists what the role cannot do, saying what it needs').toMatch(/ a +add a key \(needs keys:write\)/);
    expect(frame, 'and what it can, as it is').toMatch(/ u +usage and callers +│/);
  });
});

describe('other views', () => {
  it('shows long caller names whole where the terminal allows, and says where every caller is listed', async () => {
    const { secret } = await t.client.createKey('workers');
    const names = Array.from({ length: 30 }, (_, i) => `payments-worker-prod-eu-west-1${String.fromCharCode(97 + (i % 26))}-${i}`);
    for (const name of names) await t.client.verify(secret, name);
    const { app } = await openApp(t, { size: { columns: 120, rows: 35 } });
    await waitForText(app, 'workers');
    press(app, 'u');
    const frame = await waitForText(app, 'keyward keys usage lists all');
    expect(frame, 'the latest caller, whole').toContain(names.at(-1));
    expect(frame).toMatch(/… and \d+ more: keyward keys usage lists all/);
    expect(frame.split('\n').every((l) => l.length <= 120)).toBe(true);
  });

  it('shows usage and callers (u), the audit log (A) and help (?)', async () => {
    const { key, secret } = await t.client.createKey('billing');
    await t.client.verify(secret, 'web-1');
    const { app } = await openApp(t);
    await waitForText(app, 'billing');
    press(app, 'u');
    let frame = await waitForText(app, 'web-1');
    expect(frame).toContain('Usage of "billing"');
    expect(frame, 'the callers\' counts are not the chart\'s hour').toContain('counts since first seen (kept 30 days)');
    await t.client.verify(secret, 'web-2');
    await t.daemon.core.usage.flush();
    await waitForText(app, 'web-2');
    press(app, KEY.escape);
    await waitForText(app, 'j/k move');
    press(app, 'A');
    frame = await waitForText(app, 'key.create');
    expect(frame).toContain('Audit log');
    press(app, KEY.escape);
    await waitForText(app, 'j/k move');
    press(app, '?');
    frame = await waitForText(app, 'Keys table (this screen)');
    press(app, 'G');
    frame = await waitForText(app, 'Everywhere');
    expect(frame, 'scrolled to the end').toContain('redraw the screen');
    // A search that finds nothing says so of the help, not of API keys.
    press(app, '/');
    await waitForText(app, 'a key or what it does');
    press(app, 'zzqx');
    frame = await waitForText(app, 'Nothing in the help matches "zzqx"');
    expect(frame).not.toContain('No key matches');
    expect(frame, 'typing into the search').toContain('/zzqx█');
    press(app, KEY.enter);
    frame = await waitForFrame(app, (f) => f.includes('/zzqx') && !f.includes('/zzqx█'), 'Enter keeps the search, no longer typed into');
    press(app, KEY.escape);
    await waitForText(app, 'j/k move');
    expect(key.id).toMatch(/^key_/);
  });
});

describe('a malformed secret', () => {
  it('is never drawn: a create answered with one shows an error, not the secret modal', async () => {
    // The daemon's answer rewritten on its way to the TUI, as a server given with --url could
    // answer: a "secret" that clears the screen and writes the clipboard.
    const evil = '\x1b[2J\x1b]52;c;ZXZpbA==\x07';
    const tampering: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (init?.method !== 'POST' || !String(input).endsWith('/v1/keys')) return res;
      const body = (await res.json()) as { secret: string };
      return new Response(JSON.stringify({ ...body, secret: evil + body.secret }), { status: res.status, headers: { 'content-type': 'application/json' } });
    };
    const { app, clipboard } = await openApp(t, { fetch: tampering });
    await waitForText(app, 'No keys yet');
    await submitAdd(app, 'billing');
    const frame = await waitForText(app, 'malformed key for "billing"; it was not shown');
    expect(frame).not.toContain('shown this once');
    expect(app.frames.join('\n')).not.toContain(']52;c;ZXZpbA==');
    expect(clipboard).toEqual([]);
  });
});
