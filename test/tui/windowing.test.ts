/**
 * The TUI's window over a large list as it grows (src/tui/windowing.ts) against a real
 * in-process daemon: the collection holds the window's rows and nothing more, the rows of
 * pages dropped on either side let go of as the window moves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collection } from '../../src/tui/state/collection.js';
import { windowIds, type KeyWindow } from '../../src/tui/state/window.js';
import { Windowing } from '../../src/tui/windowing.js';
import { KeywardClient } from '../../src/client/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let t: TestDaemon;
beforeAll(async () => {
  t = await startTestDaemon();
  for (let i = 0; i < 12; i++) await t.client.createKey(`key-${String(i).padStart(2, '0')}`);
});
afterAll(() => t?.stop());

describe('Windowing', () => {
  it('drops the rows of the pages it drops from the collection, paging down and back up', async () => {
    let state: { collection: Collection; window: KeyWindow | undefined } = {
      collection: { keys: new Map(), rotations: new Map(), alerts: new Map() },
      window: undefined,
    };
    const windowing = new Windowing(t.client, { pageSize: 2, maxPages: 2 }, () => state, (change) => (state = { ...state, ...change }));
    const names = () => [...state.collection.keys.values()].map((k) => k.name).sort();
    const shown = () => windowIds(state.window!).map((id) => state.collection.keys.get(id)?.name);

    await windowing.open({ sort: 'name', reversed: false, filter: '' });
    expect(names()).toEqual(['key-00', 'key-01']);
    // The cursor on the window's last row: a page after it, the first dropped once there are two.
    for (const last of ['key-03', 'key-05', 'key-07', 'key-09', 'key-11']) {
      await windowing.follow(windowIds(state.window!).length - 1);
      expect(shown().at(-1)).toBe(last);
      expect(names()).toEqual(shown().sort());
    }
    expect(names()).toEqual(['key-08', 'key-09', 'key-10', 'key-11']);
    // Back up: a page before it, the last dropped.
    await windowing.follow(0);
    await windowing.follow(0);
    expect(names()).toEqual(['key-04', 'key-05', 'key-06', 'key-07']);
    expect(shown()).toEqual(['key-04', 'key-05', 'key-06', 'key-07']);
  });

  it('reloads the query being opened, not the one before it: the rows follow the new sort', async () => {
    // The new sort's first page held on its way, as a slow answer would be.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const fetch: typeof globalThis.fetch = async (input, init) => {
      if (String(input instanceof Request ? input.url : input).includes('reverse=true')) await held;
      return globalThis.fetch(input, init);
    };
    const client = new KeywardClient({ url: t.url, token: t.adminToken, fetch });
    let state: { collection: Collection; window: KeyWindow | undefined } = { collection: { keys: new Map(), rotations: new Map(), alerts: new Map() }, window: undefined };
    const windowing = new Windowing(client, { pageSize: 4, maxPages: 2 }, () => state, (change) => (state = { ...state, ...change }));
    await windowing.open({ sort: 'name', reversed: false, filter: '' });
    const opening = windowing.open({ sort: 'name', reversed: true, filter: '' });
    // Live changes arrive meanwhile: the feed reloads the window.
    const reloading = windowing.reload();
    release();
    await Promise.all([opening, reloading]);
    expect(state.window!.query).toEqual({ sort: 'name', reversed: true, filter: '' });
    expect(windowIds(state.window!).map((id) => state.collection.keys.get(id)?.name)).toEqual(['key-11', 'key-10', 'key-09', 'key-08']);
  });
});
