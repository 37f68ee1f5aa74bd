/**
 * The key list and the TUI at 1k, 100k and 1M keys (issue 16), for the scale benchmark: what
 * `GET /v1/keys` costs for a first page, the last page, a page deep in a million-key tie,
 * counts and filters; and the real TUI (Ink → ScreenWriter → a recording terminal) against
 * each daemon: the first frame with rows, keystroke → frame for j, PgDn, G and g, and a
 * filter typed key by key → the frame with its result. The daemons hold keys named by the
 * caller's `nameOf(n)`; the numbers are medians, printed with their targets.
 */
import { performance } from 'node:perf_hooks';
import type { KeyListParams } from '../../src/client/client.js';
import type { DaemonProcess } from './daemon.js';
import { count, ms, printTable, summarize } from './stats.js';
import { BenchKeyboard, BenchTerminal, pause, SPACING_MS, timeKeys, WIDE } from './tui-driver.js';

const API_RUNS = 15;
const STEPS = 30;
const PAGES = 15;
const JUMPS = 3;
const FIRST_FRAME_TARGET_MS = 1000;
const KEYSTROKE_TARGET_MS = 15;
const FILTER_TARGET_MS = 150;

export type ListFigures = { keys: number; api: [string, number][]; tui: [string, number, string][] };

/** The names in the list's name order (SQLite's and JavaScript's default order agree on ASCII). */
type Names = {
  sorted: string[];
  /** Names of the longest length, so no other name holds one: filters matching one key each (the first from the middle). */
  uniques: string[];
};

/** How many filters the TUI types, each a different name: one sample was too few to judge a 150 ms target by. */
const FILTERS = 3;

function namesOf(keys: number, nameOf: (n: number) => string): Names {
  const sorted = Array.from({ length: keys }, (_, n) => nameOf(n).toLowerCase()).sort();
  const longest = Math.max(...sorted.slice(-1000).map((n) => n.length), nameOf(keys - 1).length);
  const uniques = new Set<string>();
  for (const at of [1 / 2, 1 / 3, 2 / 3]) uniques.add(sorted.slice(Math.floor(keys * at)).find((n) => n.length === longest && !uniques.has(n)) ?? sorted[keys - 1]!);
  return { sorted, uniques: [...uniques].slice(0, FILTERS) };
}

async function timed(run: () => Promise<unknown>, runs = API_RUNS): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return summarize(samples).p50;
}

async function measureApi(daemon: DaemonProcess, names: Names): Promise<[string, number][]> {
  const list = (params: KeyListParams) => daemon.admin.listKeys({ limit: 50, ...params });
  const last = await list({ sort: 'uses24h', end: true });
  const middle = names.uniques[0]!;
  const prefix = names.sorted[0]!.replace(/\d+$/, '');
  return [
    ['first page (50, by name)', await timed(() => list({ sort: 'name' }))],
    ['last page (end=true, by name)', await timed(() => list({ sort: 'name', end: true }))],
    ['page before the last, by uses 24h (inside one tie of every key)', await timed(() => list({ sort: 'uses24h', before: last.prevCursor ?? undefined }))],
    ['first page, newest first', await timed(() => list({ sort: 'newest' }))],
    ['counts (counts=true)', await timed(() => list({ limit: 1, counts: true }))],
    [`filter: the middle key's name, ${middle.length} characters (one match, trigram)`, await timed(() => list({ filter: middle, counts: true }))],
    [`filter "${prefix}" (every key matches)`, await timed(() => list({ filter: prefix, counts: true }))],
    ['filter "99" (two characters: no trigram)', await timed(() => list({ filter: '99', counts: true }))],
  ];
}

async function measureTui(daemon: DaemonProcess, keys: number, names: Names): Promise<[string, number, string][]> {
  process.env.NODE_ENV ??= 'production';
  const [{ render }, { createElement }, { App }, { inkOptions, MAX_FPS }, { ScreenWriter }] = await Promise.all([
    import('ink'),
    import('react'),
    import('../../src/tui/App.js'),
    import('../../src/tui/session.js'),
    import('../../src/tui/screen-writer.js'),
  ]);
  const terminal = new BenchTerminal();
  const keyboard = new BenchKeyboard();
  const screen = new ScreenWriter(terminal as unknown as NodeJS.WriteStream, 1000 / MAX_FPS);
  const name = (n: number) => names.sorted[n]!;
  try {
    const { operator } = await daemon.admin.me();
    const table = terminal.next((text) => text.includes(`${count(keys)} keys:`) && text.includes(`› ${name(0)}`), 'the first rows');
    const started = performance.now();
    const instance = render(createElement(App, { client: daemon.admin, operator, writeRaw: () => {}, env: {} }), inkOptions(screen, keyboard as unknown as NodeJS.ReadStream));
    const first = (await table) - started;
    await pause(SPACING_MS);
    const page = WIDE.rows - 7;
    const steps = await timeKeys(terminal, keyboard, 'j', STEPS, (i) => name(i + 1));
    const pages = await timeKeys(terminal, keyboard, '\x1b[6~', PAGES, (i) => name(STEPS + (i + 1) * page));
    const jumps: number[] = [];
    for (let i = 0; i < JUMPS; i++) {
      jumps.push(...(await timeKeys(terminal, keyboard, 'G', 1, () => name(keys - 1))));
      jumps.push(...(await timeKeys(terminal, keyboard, 'g', 1, () => name(0))));
    }
    // Filters typed key by key, as fast as the frame cap lets each show: timed from the last key;
    // esc clears each before the next.
    const filtered: number[] = [];
    for (const target of names.uniques) {
      keyboard.press('/');
      await pause(SPACING_MS);
      for (const char of target.slice(0, -1)) {
        keyboard.press(char);
        await pause(SPACING_MS);
      }
      const narrowed = terminal.next((text) => text.includes(`filter "${target}": 1 of`) && text.includes(`› ${target}`), `the filter ${target}`);
      const typed = performance.now();
      keyboard.press(target.slice(-1));
      filtered.push((await narrowed) - typed);
      const cleared = terminal.next((text) => text.includes(`${count(keys)} keys:`) && !text.includes('filter "'), 'the filter cleared');
      keyboard.press('\x1b');
      await cleared;
      await pause(SPACING_MS);
    }
    instance.unmount();
    const median = (samples: number[]) => summarize(samples).p50;
    return [
      ['first frame with rows', first, `≤ ${FIRST_FRAME_TARGET_MS} ms`],
      [`j (median of ${STEPS})`, median(steps), `≤ ${KEYSTROKE_TARGET_MS} ms`],
      [`PgDn (median of ${PAGES})`, median(pages), `≤ ${KEYSTROKE_TARGET_MS} ms`],
      [`G and g (median of ${JUMPS * 2})`, median(jumps), `≤ ${KEYSTROKE_TARGET_MS} ms`],
      [`filter typed, last key → result (median of ${filtered.length})`, median(filtered), `≤ ${FILTER_TARGET_MS} ms`],
    ];
  } finally {
    screen.close();
  }
}

/** The list and TUI figures of one daemon holding `keys` keys named `nameOf(0…keys-1)`. */
export async function measureList(daemon: DaemonProcess, keys: number, nameOf: (n: number) => string): Promise<ListFigures> {
  const names = namesOf(keys, nameOf);
  return { keys, api: await measureApi(daemon, names), tui: await measureTui(daemon, keys, names) };
}

/** One table of API latencies and one of TUI figures, a column per size. */
export function reportList(figures: readonly ListFigures[]): void {
  const sizes = figures.map((f) => `${count(f.keys)} keys`);
  console.log('\nGET /v1/keys, median of ' + API_RUNS + ' requests over HTTP (including the client)');
  printTable(['request', ...sizes, 'target'], figures[0]!.api.map(([label], i) => [label, ...figures.map((f) => ms(f.api[i]![1])), i === 0 ? 'as fast at 1M as at 1k' : '']));
  console.log(`\nthe TUI (${WIDE.columns}×${WIDE.rows}, up to 5,000 keys loaded whole, above a window of 200-row pages)`);
  printTable(['', ...sizes, 'target'], figures[0]!.tui.map(([label, , target], i) => [label, ...figures.map((f) => ms(f.tui[i]![1])), target]));
}
