/**
 * Issue 5's TUI benchmark: with 10,000 keys, the time from a keystroke to the frame that shows
 * its effect (target: median under 30 ms) and the time to the first frame, through the path
 * users get (Ink → ScreenWriter → terminal) against a real daemon in its own process. It also
 * prints what a keystroke costs on the wire, next to a full redraw.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { stripVTControlCharacters } from 'node:util';
import { frameDiff, ScreenWriter } from '../src/tui/screen-writer.js';
import { benchHome, removeHome, startDaemonProcess } from './support/daemon.js';
import { seedKeys } from './support/seed.js';
import { count, ms, percentile, printTable, summarize } from './support/stats.js';

const KEYS = 10_000;
const COLUMNS = 120;
const ROWS = 40;
const STEPS = 200;
const PAGES = 50;
const TIMEOUT_MS = 30_000;
/** Keys are pressed a little slower than the frame cap (20/s), so each one is measured on its own. */
const SPACING_MS = 60;

type Waiter = { matches: (text: string) => boolean; resolve: (at: number) => void };

/** A terminal that records what it is sent and tells waiters when a write shows something. */
class BenchTerminal extends EventEmitter {
  readonly columns = COLUMNS;
  readonly rows = ROWS;
  private waiters: Waiter[] = [];

  write(data: string): boolean {
    const at = performance.now();
    const text = stripVTControlCharacters(data);
    this.waiters = this.waiters.filter((w) => {
      if (!w.matches(text)) return true;
      w.resolve(at);
      return false;
    });
    return true;
  }

  /** When a write matching `matches` arrives (register before causing it). */
  next(matches: (text: string) => boolean, what: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no frame showed ${what} within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      this.waiters.push({ matches, resolve: (at) => (clearTimeout(timer), resolve(at)) });
    });
  }
}

/** Keyboard input as Ink reads it from a TTY. */
class BenchKeyboard extends EventEmitter {
  readonly isTTY = true;
  private data: string | null = null;
  press(key: string): void {
    this.data = key;
    this.emit('readable');
  }
  read(): string | null {
    const data = this.data;
    this.data = null;
    return data;
  }
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

function pause(msDelay: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, msDelay));
}

/** Presses `key` `times` times, each timed until a write shows the cursor on the expected key. */
async function timeKeys(terminal: BenchTerminal, keyboard: BenchKeyboard, key: string, times: number, expected: (i: number) => string): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const name = expected(i);
    const shown = terminal.next((text) => text.includes(`› ${name}`), `the cursor on ${name}`);
    const pressed = performance.now();
    keyboard.press(key);
    samples.push((await shown) - pressed);
    await pause(SPACING_MS);
  }
  return samples;
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
    const table = terminal.next((text) => text.includes(`${count(KEYS).replace(/,/g, '')} keys:`) && text.includes(`› ${name(0)}`), 'the loaded table');
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
    const page = ROWS - 7;
    const pages = await timeKeys(terminal, keyboard, '\x1b[6~', PAGES, (i) => name(STEPS + (i + 1) * page));
    const end = await timeKeys(terminal, keyboard, 'G', 1, () => name(KEYS - 1));
    const top = await timeKeys(terminal, keyboard, 'g', 1, () => name(0));
    instance.unmount();

    const fullFrame = Buffer.byteLength(frameDiff(undefined, Array.from({ length: ROWS - 1 }, () => 'x'.repeat(COLUMNS))));
    console.log(`${count(KEYS)} keys (${seeded.length} secrets kept), ${COLUMNS}×${ROWS} terminal, frames capped at ${MAX_FPS}/s, keys ${SPACING_MS} ms apart`);
    printTable(['startup', 'time'], [
      ['first frame (render to first write)', ms(first)],
      [`first frame with all ${count(KEYS)} keys loaded`, ms(loaded)],
    ]);
    console.log('');
    printTable(['keystroke → frame', 'runs', 'median', 'p95', 'max'], [
      row('j (next key)', steps),
      row('PgDn (next page)', pages),
      row('G, then g (last, first key)', [...end, ...top]),
    ]);
    console.log(`\nmedian j: ${ms(summarize(steps).p50)} (target < 30 ms), ${ms(cpuPerStep)} of CPU each (the wall time includes waiting for a core on a busy machine)`);
    console.log(`on the wire: ${count(bytesPerStep)} bytes per j against ~${count(fullFrame)} for a full ${COLUMNS}×${ROWS - 1} redraw`);
  } finally {
    screen.close();
    await daemon.stop();
    removeHome(home);
  }
}
