/**
 * Issue 16: the TUI over more keys than it loads. A real in-process daemon holds 3,000 keys;
 * the TUI loads whole lists only up to 500 and otherwise holds a window of 50-row pages
 * (4 at most) around its cursor, asking the daemon for sort, filter and counts.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { KeywardClient } from '../../src/client/client.js';
import type { TestDaemon } from '../helpers/daemon.js';
import { cursorLine, KEY, press, waitForFrame, waitForText } from './frames.js';
import { daemonPerTest, openApp } from './open-app.js';

let t: TestDaemon;
daemonPerTest({ get: () => t, set: (d) => (t = d) });

const COUNT = 3000;
const name = (i: number) => `key-${String(i).padStart(4, '0')}`;
/** A stored hash as a real key's would be: a SHA-256, not a counter padded with zeros. */
const digest = (i: number) => createHash('sha256').update(`seed-${i}`).digest('hex');

/**
 * Rows written straight into the daemon's database in one transaction (the FTS triggers index
 * them), then the daemon restarted, as one would start on such a store: the keys it verifies
 * and counts are those its index loaded, and rows written behind its back are not among them.
 */
async function seed(count: number): Promise<void> {
  const db = new Database(join(t.home, 'keyward.db'));
  const insert = db.prepare(
    `insert into keys (id, name, name_folded, name_skeleton, hash, hint, status, created_at, created_by, owner)
     values (?, ?, ?, ?, ?, ?, ?, ?, 'admin', ?)`,
  );
  const at = Date.now() - 86_400_000;
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      insert.run(`key_seed${String(i).padStart(6, '0')}`, name(i), name(i), `seed-${i}`, digest(i), 'kw_seed…0000', i % 100 === 0 ? 'inactive' : 'active', at + i * 1000, `team-${i % 7}`);
    }
  })();
  db.close();
  await t.restart();
}

const WINDOW = { fullLimit: 500, pageSize: 50, maxPages: 4, windowReloadMs: 20 };

/** A fetch for the TUI that notes each key-list request when sent, and again once its answer is read. */
function recordLists() {
  const sent: string[] = [];
  const answered: string[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (!url.includes('/v1/keys?')) return t.fetch(input, init);
    sent.push(url);
    const res = await t.fetch(input, init);
    const body = await res.text();
    answered.push(url);
    return new Response(body, res);
  };
  return { sent, answered, fetch };
}
const on = (i: number) => (f: string) => cursorLine(f)?.includes(name(i)) === true;

/** The TUI over the seeded keys, ten pages down (row 230), past the window's first pages. */
async function deepInTheList() {
  await seed(COUNT);
  const { app } = await openApp(t, { feed: WINDOW, size: { columns: 100, rows: 30 } });
  await waitForText(app, name(0));
  for (let page = 1; page <= 10; page++) {
    press(app, KEY.pageDown);
    await waitForFrame(app, on(page * 23), `PgDn ${page}`);
  }
  return app;
}

describe('the TUI over a window of a large list', () => {
  it('opens on the first rows with the daemon\'s counts and pages past the window with j, PgDn, G and g', async () => {
    await seed(COUNT);
    const { sent, fetch: recording } = recordLists();
    const { app } = await openApp(t, { feed: WINDOW, fetch: recording, size: { columns: 100, rows: 30 } });
    const first = await waitForText(app, name(0));
    expect(first).toMatch(/3,000 keys: 2,970 active, 30 inactive/);
    // 25 table rows; 23 a page. Ten pages down crosses four 50-row pages, so the window has
    // grown and dropped pages on the way.
    for (let page = 1; page <= 10; page++) {
      press(app, KEY.pageDown);
      await waitForFrame(app, on(page * 23), `PgDn ${page}`);
    }
    for (let row = 231; row <= 260; row++) {
      press(app, 'j');
      await waitForFrame(app, on(row), `j to ${name(row)}`);
    }
    // The window holds four pages at most, so on the way down it dropped its first ones (rows
    // 0-149): paging back up towards the top fetches them again, before its first row.
    const down = sent.length;
    for (const row of [237, 214, 191]) {
      press(app, KEY.pageUp);
      await waitForFrame(app, on(row), `PgUp to ${name(row)}`);
    }
    await vi.waitFor(() => expect(sent.slice(down).filter((url) => /[?&]before=/.test(url))).not.toEqual([]));
    press(app, 'G');
    let frame = await waitForFrame(app, on(COUNT - 1), 'G: the last key');
    expect(frame).toContain(name(COUNT - 2));
    press(app, 'k');
    await waitForFrame(app, on(COUNT - 2), 'k from the end');
    for (let page = 1; page <= 5; page++) {
      press(app, KEY.pageUp);
      await waitForFrame(app, on(COUNT - 2 - page * 23), `PgUp ${page}, back past the first page loaded`);
    }
    press(app, 'g');
    frame = await waitForFrame(app, on(0), 'g: the first key');
    expect(frame).toContain(name(1));
  });

  it('sorts and filters on the daemon as you type, counting the matches, and follows live changes in the window', async () => {
    await seed(COUNT);
    const { app } = await openApp(t, { feed: WINDOW });
    await waitForText(app, name(0));
    press(app, 's');
    await waitForFrame(app, on(COUNT - 1), 's: newest first');
    press(app, 'S');
    await waitForFrame(app, on(0), 'S: oldest first');
    press(app, 's', 's', 's', 's');
    await waitForFrame(app, (f) => f.includes('sort: owner ▲') && on(0)(f), 'by owner: team-0 first, then by name');
    press(app, 'S');
    // Owners are team-0 … team-6 (i % 7): the last is team-6's last name, key-2995.
    await waitForFrame(app, (f) => f.includes('sort: owner ▼') && on(2995)(f), 'S: by owner, from the last');
    press(app, 's');
    await waitForFrame(app, (f) => f.includes('sort: name ▲'), 'back to name');
    press(app, '/');
    await waitForText(app, 'name, hint or id');
    press(app, 'key-12');
    let frame = await waitForFrame(app, (f) => f.includes('filter "key-12": 100 of'), 'narrowed to 100');
    expect(cursorLine(frame)).toContain(name(1200));
    expect(frame).not.toContain(name(0));
    press(app, '3');
    frame = await waitForFrame(app, (f) => f.includes('filter "key-123": 10 of'), 'narrowed to 10');
    expect(frame).toContain(name(1239));
    press(app, KEY.enter);
    await waitForText(app, 'j/k move');
    // A change by someone else: the key under the cursor deactivated, a new one matching the filter.
    await t.client.deactivateKey('key_seed001230');
    await t.client.createKey('key-123-new');
    frame = await waitForFrame(app, (f) => f.includes('key-123-new') && f.includes('filter "key-123": 11 of'), 'the window and counts reloaded');
    expect(cursorLine(frame)).toMatch(/key-1230\s.*inactive/);
    press(app, KEY.escape);
    await waitForFrame(app, (f) => !f.includes('filter "') && /3,001 keys: 2,970 active, 31 inactive/.test(f), 'filter cleared; the counts follow the changes');
  });
  it('shows a key created above the first row when the top of the list is on screen, the cursor staying on its key', async () => {
    await seed(COUNT);
    const { app } = await openApp(t, { feed: WINDOW, size: { columns: 100, rows: 30 } });
    await waitForText(app, name(0));
    press(app, 's');
    await waitForFrame(app, on(COUNT - 1), 's: newest first');
    press(app, 'j');
    await waitForFrame(app, on(COUNT - 2), 'j: the second newest');
    await t.client.createKey('brand-new');
    const frame = await waitForFrame(app, (f) => f.includes('brand-new'), 'the new key, on the first row');
    expect(cursorLine(frame)).toContain(name(COUNT - 2));
    const lines = frame.split('\n');
    const top = lines.findIndex((l) => l.includes('brand-new'));
    expect(lines[top + 1]).toContain(name(COUNT - 1));
    expect(lines[top + 2]).toContain(name(COUNT - 2));
  });

  it('keeps the cursor on its key deep in the list when an import reloads it', async () => {
    const app = await deepInTheList();
    // An import reloads the list as the five-minute refresh does (one path, feed.ts `load`).
    await t.client.importKeys([{ name: 'zz-imported', secret: 'sk_window_import_0123456789' }]);
    const frame = await waitForFrame(app, (f) => f.includes('3,001 keys'), 'the import counted');
    expect(cursorLine(frame)).toContain(name(230));
    expect(frame).toContain(name(229));
  });

  it('puts the cursor on the first row of a new sort or filter asked for from deep in the list', async () => {
    const app = await deepInTheList();
    press(app, 's');
    // Newest first: the last key seeded is the first row.
    await waitForFrame(app, (f) => f.includes('sort: created ▼') && on(COUNT - 1)(f), 'the cursor on the first row of the new order');
    for (let page = 1; page <= 10; page++) {
      press(app, KEY.pageDown);
      await waitForFrame(app, on(COUNT - 1 - page * 23), `PgDn ${page} in the new order`);
    }
    press(app, '/');
    await waitForText(app, 'name, hint or id');
    press(app, 'key-2');
    await waitForFrame(app, (f) => f.includes('filter "key-2": ') && on(2999)(f), 'the cursor on the first match');
  });

  it('draws g and G from the first and last pages fetched ahead, and fetches them again after a change', async () => {
    await seed(COUNT);
    const { sent, answered, fetch: recording } = recordLists();
    const { app } = await openApp(t, { feed: WINDOW, fetch: recording, size: { columns: 100, rows: 30 } });
    await waitForText(app, name(0));
    await vi.waitFor(() => expect(answered.some((url) => url.includes('end=true'))).toBe(true));
    // From here on only the window's growth (a page before or after it) may be asked for.
    const asked = sent.length;
    const jumps = () => sent.slice(asked).filter((url) => !/[?&](before|cursor)=/.test(url));
    press(app, 'G');
    await waitForFrame(app, on(COUNT - 1), 'G: the last key');
    press(app, 'g');
    await waitForFrame(app, on(0), 'g: the first key');
    expect(jumps()).toEqual([]);
    // Someone adds a key that sorts last: once the window shows the change, G must land on it,
    // not on the last page fetched before (the next fetch ahead waits for the list to be quiet).
    await t.client.createKey('zz-after');
    await waitForFrame(app, (f) => /3,?001 keys/.test(f), 'the window reloaded');
    press(app, 'G');
    await waitForFrame(app, (f) => cursorLine(f)?.includes('zz-after') === true, 'G: the new last key');
  });

  it('counts uses on the pages fetched ahead, so g shows what the table showed before G', async () => {
    await seed(COUNT);
    const { answered, fetch: recording } = recordLists();
    const { app } = await openApp(t, { feed: WINDOW, fetch: recording, size: { columns: 100, rows: 30 } });
    await waitForText(app, name(0));
    await vi.waitFor(() => expect(answered.some((url) => url.includes('end=true'))).toBe(true));
    // The reloaded window's page ahead may be answered before its frame is seen: count from here.
    const before = answered.length;
    const { secret } = await t.client.createKey('aaa-first');
    await waitForFrame(app, (f) => /3,?001 keys/.test(f), 'the window reloaded');
    await vi.waitFor(() => expect(answered.slice(before).some((url) => url.includes('end=true'))).toBe(true));
    // Used after the first page was fetched ahead: the table counts the uses as they tick in.
    const { token } = await t.client.createOperator('svc', 'service');
    const service = new KeywardClient({ url: t.url, token });
    for (let i = 0; i < 3; i++) expect((await service.verify(secret)).valid).toBe(true);
    await t.daemon.core.usage.flush();
    press(app, 'k');
    await waitForFrame(app, (f) => /› aaa-first.*\s3$/m.test(f), 'three uses counted on the first key');
    press(app, 'G');
    await waitForFrame(app, on(COUNT - 1), 'G: the last key');
    press(app, 'g');
    const frame = await waitForFrame(app, (f) => cursorLine(f)?.includes('aaa-first') === true, 'g: the first key');
    expect(cursorLine(frame)).toMatch(/\s3$/);
  });

  it('jumps with G within a filter whose first page is still on its way', async () => {
    await seed(COUNT);
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding = false;
    const holdingFilter: typeof fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (holding && url.includes('filter=key-12')) {
        holding = false;
        await held;
      }
      return t.fetch(input, init);
    };
    const { app } = await openApp(t, { feed: WINDOW, fetch: holdingFilter, size: { columns: 100, rows: 30 } });
    await waitForText(app, name(0));
    press(app, '/');
    await waitForText(app, 'name, hint or id');
    holding = true;
    press(app, 'key-12');
    press(app, KEY.enter);
    await waitForText(app, 'j/k move');
    // The filter's first page has been asked for and is held back: G comes before its answer.
    await vi.waitFor(() => expect(holding).toBe(false));
    press(app, 'G');
    release();
    const frame = await waitForFrame(app, on(1299), 'G: the last key the filter matches');
    expect(frame).toMatch(/filter "key-12": 100 of/);
  });

  it('loads the list again after an import: the imported keys appear, and a list grown past the limit becomes a window', async () => {
    await t.client.createKey('before');
    const { app } = await openApp(t, { feed: WINDOW, size: { columns: 100, rows: 30 } });
    await waitForText(app, 'before');
    const imported = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({ name: `imported-${String(from + i).padStart(4, '0')}`, sha256: digest(from + i) }));
    await t.client.importKeys(imported(0, 3));
    await waitForFrame(app, (f) => f.includes('imported-0002') && /4 keys: 4 active/.test(f), 'three imported keys in the table');
    await t.client.importKeys(imported(3, 600));
    const frame = await waitForFrame(app, (f) => /604 keys: 604 active/.test(f), 'a window over 604 keys, counted by the daemon');
    expect(frame).toContain('before');
  });
});
