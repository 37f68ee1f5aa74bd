/**
 * Driving the real TUI in a benchmark: a terminal that records what Ink writes and tells a
 * waiter when a write shows something, a keyboard Ink reads as a TTY, and keystrokes timed
 * to the frame that shows their effect. Shared by the TUI and scale benchmarks.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { stripVTControlCharacters } from 'node:util';

const TIMEOUT_MS = 30_000;
/** Keys are pressed a little slower than the frame cap (20/s), so each one is measured on its own. */
export const SPACING_MS = 60;
export const WIDE = { columns: 120, rows: 40 };

type Waiter = { matches: (text: string) => boolean; resolve: (at: number) => void };
export type Size = { columns: number; rows: number };

/** A terminal that records what it is sent and tells waiters when a write shows something. */
export class BenchTerminal extends EventEmitter {
  columns = WIDE.columns;
  rows = WIDE.rows;
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

  resize(size: Size): void {
    this.columns = size.columns;
    this.rows = size.rows;
    this.emit('resize');
  }
}

/** Keyboard input as Ink reads it from a TTY. */
export class BenchKeyboard extends EventEmitter {
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

export function pause(msDelay: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, msDelay));
}

/** Presses `key` `times` times, each timed until a write shows the cursor on the expected key. */
export async function timeKeys(terminal: BenchTerminal, keyboard: BenchKeyboard, key: string, times: number, expected: (i: number) => string): Promise<number[]> {
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

