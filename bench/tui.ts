/**
 * The TUI benchmark: with 10,000 keys, through the path users get (Ink → ScreenWriter →
 * terminal) against a real daemon in its own process —
 * - keystroke → the frame that shows its effect (target: median under 15 ms);
 * - the first frame with all keys loaded (target: under 500 ms);
 * - a terminal resize → the frame laid out for the new size (a full repaint);
 * - a burst of 1,000 events (keys created through the API as fast as the daemon takes them):
 *   keystrokes during it against keystrokes at rest (the ratio), and how soon after the last
 *   answer the table shows every key.
 * It also prints what a keystroke costs on the wire, next to a full redraw.
 */
import { performance } from 'node:perf_hooks';
import type { KeywardClient } from '../src/client/client.js';
import { frameDiff, ScreenWriter } from '../src/tui/screen-writer.js';
import { benchHome, removeHome, startDaemonProcess } from './support/daemon.js';
import { seedKeys } from './support/seed.js';
import { count, ms, percentile, printTable, ratio, summarize } from './support/stats.js';
import { BenchKeyboard, BenchTerminal, pause, SPACING_MS, timeKeys } from './support/tui-driver.js';

const KEYS = 10_000;
const WIDE = { columns: 120, rows: 40 };
const NARROW = { columns: 80, rows: 24 };
const STEPS = 200;
const PAGES = 50;
const RESIZES = 10;
const BURST = 1000;
/** Requests in flight during the burst. */
const BURST_CONCURRENCY = 16;
const FIRST_FRAME_TARGET_MS = 500;
const KEYSTROKE_TARGET_MS = 15;

/**
 * Resizes back and forth, each timed until a write is laid out for the new size: the narrow
 * layout drops the CREATED column, the wide one shows it.
 */
async function timeResizes(terminal: BenchTerminal): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < RESIZES * 2; i++) {
    const to = i % 2 === 0 ? NARROW : WIDE;
    const shown = terminal.next((text) => text.includes('NAME ▲') && text.includes('CREATED') === (to === WIDE), `the ${to.columns}×${to.rows} layout`);
    const resized = performance.now();
    terminal.resize(to);
    samples.push((await shown) - resized);
    await pause(SPACING_MS);
  }
  return samples;
}

/** Creates `total` keys through the API, `BURST_CONCURRENCY` at a time; resolves when the last one answered. */
async function createBurst(client: KeywardClient, total: number): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < total) await client.createKey(`burst-${String(next++).padStart(4, '0')}`);
  };
  await Promise.all(Array.from({ length: BURST_CONCURRENCY }, worker));
  return performance.now();
}

function row(label: string, samples: readonly number[]): string[] {
  const s = summarize(samples);
  return [label, String(s.count), ms(s.p50), ms(percentile([...samples].sort((a, b) => a - b), 95)), ms(s.max)];
}

export async function run(): Promise<void> {
  // As `keyward` does before it loads React (see src/tui/main.tsx).
  process.env.NODE_ENV ??= 'production';
  const [{ render }, { createElement }, { App }, { inkOptions, MAX_FPS }] = await Promise.all([
    import('ink'),
    import('react'),
    import('../src/tui/App.js'),
    import('../src/tui/session.js'),
  ]);
  const home = benchHome();
  const seeded = seedKeys(home, KEYS, 0, 'bench');
  const daemon = await startDaemonProcess(home);
  const terminal = new BenchTerminal();
  const keyboard = new BenchKeyboard();
  const screen = new ScreenWriter(terminal as unknown as NodeJS.WriteStream, 1000 / MAX_FPS);
  try {
    const { operator } = await daemon.admin.me();
    const name = (n: number) => `bench-${String(n).padStart(String(KEYS).length, '0')}`;
    const firstFrame = terminal.next(() => true, 'anything');
    const table = terminal.next((text) => text.includes(`${count(KEYS)} keys:`) && text.includes(`› ${name(0)}`), 'the loaded table');
    const started = performance.now();
    const instance = render(createElement(App, { client: daemon.admin, operator, writeRaw: () => {}, env: {} }), inkOptions(screen, keyboard as unknown as NodeJS.ReadStream));
    const first = (await firstFrame) - started;
    const loaded = (await table) - started;
    await pause(SPACING_MS);

    const bytesBefore = screen.bytes;
    const cpuBefore = process.cpuUsage();
    const steps = await timeKeys(terminal, keyboard, 'j', STEPS, (i) => name(i + 1));
    const cpu = process.cpuUsage(cpuBefore);
    const cpuPerStep = (cpu.user + cpu.system) / 1000 / STEPS;
    const bytesPerStep = (screen.bytes - bytesBefore) / STEPS;
    const page = WIDE.rows - 7;
    const pages = await timeKeys(terminal, keyboard, '\x1b[6~', PAGES, (i) => name(STEPS + (i + 1) * page));
    const end = await timeKeys(terminal, keyboard, 'G', 1, () => name(KEYS - 1));
    const top = await timeKeys(terminal, keyboard, 'g', 1, () => name(0));

    const resizeBytesBefore = screen.bytes;
    const resizes = await timeResizes(terminal);
    const bytesPerResize = (screen.bytes - resizeBytesBefore) / resizes.length;

    // The burst: keys pressed while 1,000 creations stream in, then the table with all of them.
    const all = KEYS + BURST;
    const complete = terminal.next((text) => text.includes(`${count(all)} keys:`), `${count(all)} keys in the header`);
    const burstStarted = performance.now();
    const lastAnswer = createBurst(daemon.admin, BURST);
    const during: number[] = [];
    let answered = false;
    void lastAnswer.then(() => (answered = true));
    for (let i = 1; !answered && i < STEPS; i++) during.push(...(await timeKeys(terminal, keyboard, 'j', 1, () => name(i))));
    const lastAt = await lastAnswer;
    const completeAt = await complete;
    instance.unmount();

    const fullFrame = Buffer.byteLength(frameDiff(undefined, Array.from({ length: WIDE.rows - 1 }, () => 'x'.repeat(WIDE.columns))));
    const stepMedian = summarize(steps).p50;
    const duringMedian = summarize(during).p50;
    console.log(`${count(KEYS)} keys (${seeded.length} secrets kept), ${WIDE.columns}×${WIDE.rows} terminal, frames capped at ${MAX_FPS}/s, keys ${SPACING_MS} ms apart`);
    printTable(['startup', 'time', 'target'], [
      ['first frame (render to first write)', ms(first), ''],
      [`first frame with all ${count(KEYS)} keys loaded`, ms(loaded), `< ${FIRST_FRAME_TARGET_MS} ms`],
    ]);
    console.log('');
    printTable(['keystroke → frame', 'runs', 'median', 'p95', 'max'], [
      row('j (next key)', steps),
      row('PgDn (next page)', pages),
      row('G, then g (last, first key)', [...end, ...top]),
      row(`resize ${WIDE.columns}×${WIDE.rows} ↔ ${NARROW.columns}×${NARROW.rows} → new layout`, resizes),
      row(`j during a burst of ${count(BURST)} events`, during),
    ]);
    console.log(`\nmedian j: ${ms(stepMedian)} (target < ${KEYSTROKE_TARGET_MS} ms), ${ms(cpuPerStep)} of CPU each (the wall time includes waiting for a core on a busy machine)`);
    console.log(`during the burst: median j ${ms(duringMedian)} = ${ratio(duringMedian / stepMedian)} the median at rest; ${count(BURST)} creations took ${ms(lastAt - burstStarted)}, all ${count(all)} keys shown ${ms(completeAt - lastAt)} after the last answer`);
    console.log(`on the wire: ${count(bytesPerStep)} bytes per j, ${count(bytesPerResize)} per resize (a full repaint), against ~${count(fullFrame)} for a full ${WIDE.columns}×${WIDE.rows - 1} redraw`);
  } finally {
    screen.close();
    await daemon.stop();
    removeHome(home);
  }
}
